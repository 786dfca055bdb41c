#!/usr/bin/env bash
# A private Dovecot + Postfix mail stack on loopback, non-standard ports, for outloud's
# integration tests and newcomer demo. Everything (configs, queue, mail, logs, pid files) lives
# in one state directory; no systemd, no service(8), and the machine's own /etc/dovecot and
# /etc/postfix configs are never read or changed.
#
#   scripts/mailstack.sh install              apt-get the packages (update only if missing)
#   scripts/mailstack.sh start [DIR]          start both (idempotent), print `export` lines
#   scripts/mailstack.sh stop [DIR]           stop both (idempotent)
#   scripts/mailstack.sh restart-imap [DIR]   stop and start Dovecot only
#   scripts/mailstack.sh status [DIR]         exit 0 only when everything answers
#   scripts/mailstack.sh env [DIR]            print the `export` lines again
#   scripts/mailstack.sh recipient-access ADDRESS [ACTION] [DIR]
#                                             answer RCPT TO:<ADDRESS> on the submission port
#                                             with ACTION (e.g. "450 4.2.0 try later");
#                                             without ACTION, accept it again
#
# DIR defaults to $OUTLOUD_MAILSTACK_DIR or /tmp/outloud-mailstack. Ports come from
# OUTLOUD_IMAP_PORT, OUTLOUD_IMAPS_PORT, OUTLOUD_LMTP_PORT, OUTLOUD_MAILSTACK_SMTP_PORT (also
# read as OUTLOUD_SMTP_PORT), OUTLOUD_SUBMISSION_PORT (default: the IMAP port + 5),
# OUTLOUD_SUBMISSIONS_PORT (implicit TLS; default: the IMAP port + 6) and OUTLOUD_OAUTH_PORT (the
# OAuth2 token/introspection server, scripts/oauth-server.py; default the IMAP port + 7). See
# docs/MAILSTACK.md.
set -euo pipefail

IMAP_PORT=${OUTLOUD_IMAP_PORT:-10143}
IMAPS_PORT=${OUTLOUD_IMAPS_PORT:-10993}
LMTP_PORT=${OUTLOUD_LMTP_PORT:-10024}
# The plain relay's port. Exported as OUTLOUD_MAILSTACK_SMTP_PORT: OUTLOUD_SMTP_* names are
# outloud's own [smtp] settings, which the stack must not set behind a test's back.
SMTP_PORT=${OUTLOUD_MAILSTACK_SMTP_PORT:-${OUTLOUD_SMTP_PORT:-10025}}
# Postfix submission (STARTTLS, SASL through Dovecot): where outloud's outbox sends.
SUBMISSION_PORT=${OUTLOUD_SUBMISSION_PORT:-$((IMAP_PORT + 5))}
# The same with implicit TLS (RFC 8314 "submissions", port 465 in real life).
SUBMISSIONS_PORT=${OUTLOUD_SUBMISSIONS_PORT:-$((IMAP_PORT + 6))}
OAUTH_PORT=${OUTLOUD_OAUTH_PORT:-$((IMAP_PORT + 7))}
HOST=127.0.0.1
MAIL_DOMAIN=corp.example
# Dovecot refuses to run mail processes as root, so they run as this system user.
MAIL_SYSUSER=outloudmail
# Group mailbox (catch-all for every recipient) and a second account for wrong-account tests.
MAIN_USER=outloud MAIN_PASS=outloud
OTHER_USER=other OTHER_PASS=other
# OAuth2 clients the token server knows from the start (tests register more of their own): one
# signing with a certificate (Entra's certificate credential), one Google-style service account.
OAUTH_CERT_CLIENT=outloud-cert-client
OAUTH_SERVICE_ACCOUNT=outloud-sa@outloud-test.iam.gserviceaccount.com
PACKAGES=(dovecot-imapd dovecot-lmtpd postfix openssl)
START_TIMEOUT=${OUTLOUD_MAILSTACK_TIMEOUT:-30}
# Dovecot and Postfix configs, with ${NAME} placeholders (see write_template).
TEMPLATES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/templates
# shellcheck source=scripts/render.sh
source "$(dirname "${BASH_SOURCE[0]}")/render.sh"

say() { echo "mailstack: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it creates a system user and binds as root)"
}

state_dir() {
  local d=${1:-${OUTLOUD_MAILSTACK_DIR:-/tmp/outloud-mailstack}}
  case $d in /*) ;; *) d="$PWD/$d" ;; esac
  printf '%s\n' "${d%/}"
}

set_paths() {
  DIR=$1
  DC_CONF=$DIR/dovecot.conf
  DC_RUN=$DIR/dovecot-run
  DC_PID=$DC_RUN/master.pid
  PF_CONF=$DIR/postfix
  PF_QUEUE=$DIR/postfix-queue
  PF_DATA=$DIR/postfix-data
  PF_PID=$PF_QUEUE/pid/master.pid
  CERT=$DIR/cert.pem
  KEY=$DIR/key.pem
  OAUTH_PID=$DIR/oauth-server.pid
  OAUTH_CLIENT_CERT=$DIR/oauth-client-cert.pem
  OAUTH_CLIENT_KEY=$DIR/oauth-client-key.pem
  OAUTH_SA_FILE=$DIR/oauth-service-account.json
  ACCESS=$DIR/recipient_access
  load_ports
}

# While a stack runs in DIR, later commands use the ports it was started with (recorded in
# DIR/env), whatever the environment says now.
load_ports() {
  [ -r "$DIR/env" ] || return 0
  dovecot_pid >/dev/null || postfix_pid >/dev/null || oauth_pid >/dev/null || return 0
  local key val
  while IFS='=' read -r key val; do
    case $key in
      "export OUTLOUD_IMAP_PORT") IMAP_PORT=$val ;;
      "export OUTLOUD_IMAPS_PORT") IMAPS_PORT=$val ;;
      "export OUTLOUD_LMTP_PORT") LMTP_PORT=$val ;;
      # The old name too: a stack started by an earlier version of this script.
      "export OUTLOUD_SMTP_PORT" | "export OUTLOUD_MAILSTACK_SMTP_PORT") SMTP_PORT=$val ;;
      "export OUTLOUD_SUBMISSION_PORT") SUBMISSION_PORT=$val ;;
      "export OUTLOUD_SUBMISSIONS_PORT") SUBMISSIONS_PORT=$val ;;
      "export OUTLOUD_OAUTH_PORT") OAUTH_PORT=$val ;;
    esac
  done <"$DIR/env"
}

# --- install -----------------------------------------------------------------------------------

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

cmd_install() {
  need_root
  local missing
  missing=$(missing_packages)
  if [ -z "$missing" ]; then
    say "packages already installed: $(versions)"
    return 0
  fi
  say "installing:" $missing
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # The packages' maintainer scripts try to start the system daemons through invoke-rc.d;
  # a policy-rc.d that answers 101 forbids that. Keep an existing one, else add one for the
  # duration of the install only.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" || die "apt-get install failed"
  say "installed: $(versions)"
}

versions() {
  local dv pv
  dv=$(dovecot --version 2>/dev/null | cut -d' ' -f1) || dv='?'
  pv=$(postconf -dh mail_version 2>/dev/null) || pv='?'
  echo "dovecot $dv, postfix $pv"
}

# --- helpers -----------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Reads a pid file and prints the pid only if that process is alive and has the expected name,
# so a stale file left after a reboot never points at an unrelated process.
live_pid() {
  local file=$1 comm=$2 pid
  [ -r "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat "/proc/$pid/comm")" = "$comm" ] && running "$pid" || return 1
  echo "$pid"
}

# True while the process exists and is not a zombie (this container's init reaps orphans late).
running() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}
dovecot_pid() { live_pid "$DC_PID" dovecot; }
postfix_pid() { live_pid "$PF_PID" master; }
# The token server is a python3 process: its pid file is checked against its command line.
oauth_pid() {
  local pid
  [ -r "$OAUTH_PID" ] || return 1
  pid=$(tr -dc '0-9' <"$OAUTH_PID")
  [ -n "$pid" ] && running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "oauth-server.py --port " || return 1
  echo "$pid"
}

wait_ports() {
  local deadline=$((SECONDS + START_TIMEOUT)) p
  for p in "$@"; do
    until port_open "$p"; do
      [ $SECONDS -lt $deadline ] || return 1
      sleep 0.1
    done
  done
}

# Stops a master process and every child it had. Children can outlive their master for a few
# seconds (an LMTP process still holding the listening socket, say), so the list is collected
# until the master is gone, including children forked during shutdown.
stop_pid() {
  local pid=$1 name=$2 kids deadline k left=
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + 15))
  while running "$pid"; do
    kids="$kids $(ps -o pid= --ppid "$pid" 2>/dev/null || true)"
    if [ $SECONDS -ge $deadline ]; then
      say "$name (pid $pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  kids=$(printf '%s\n' $kids | sort -u)
  # Only orphans (now children of init) are ours; a reused pid would have another parent.
  for k in $kids; do
    [ "$(ps -o ppid= -p "$k" 2>/dev/null | tr -d ' ')" = 1 ] && running "$k" &&
      kill -TERM "$k" 2>/dev/null && left="$left $k"
  done
  [ -z "$left" ] && return 0
  sleep 0.5
  for k in $left; do running "$k" && kill -KILL "$k" 2>/dev/null; done
  return 0
}

print_env() {
  cat <<EOF
export OUTLOUD_MAILSTACK_DIR=$DIR
export OUTLOUD_IMAP_HOST=$HOST
export OUTLOUD_IMAP_PORT=$IMAP_PORT
export OUTLOUD_IMAPS_PORT=$IMAPS_PORT
export OUTLOUD_MAILSTACK_SMTP_HOST=$HOST
export OUTLOUD_MAILSTACK_SMTP_PORT=$SMTP_PORT
export OUTLOUD_SUBMISSION_PORT=$SUBMISSION_PORT
export OUTLOUD_SUBMISSIONS_PORT=$SUBMISSIONS_PORT
export OUTLOUD_LMTP_PORT=$LMTP_PORT
export OUTLOUD_IMAP_USER=$MAIN_USER
export OUTLOUD_IMAP_PASSWORD=$MAIN_PASS
export OUTLOUD_IMAP_OTHER_USER=$OTHER_USER
export OUTLOUD_IMAP_OTHER_PASSWORD=$OTHER_PASS
export OUTLOUD_MAILSTACK_CA=$CERT
export OUTLOUD_MAILSTACK_MAILDIR=$DIR/mail/$MAIN_USER
export OUTLOUD_OAUTH_PORT=$OAUTH_PORT
export OUTLOUD_OAUTH_URL=http://$HOST:$OAUTH_PORT
export OUTLOUD_OAUTH_CERT_CLIENT=$OAUTH_CERT_CLIENT
export OUTLOUD_OAUTH_CLIENT_CERT=$OAUTH_CLIENT_CERT
export OUTLOUD_OAUTH_CLIENT_KEY=$OAUTH_CLIENT_KEY
export OUTLOUD_OAUTH_SERVICE_ACCOUNT=$OAUTH_SA_FILE
EOF
}

# Writes stdin to a file only when the content changed: `postfix check` takes seconds longer
# after main.cf is touched, and an unchanged file keeps restarts fast.
put() {
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 0644 "$tmp" && mv -f "$tmp" "$1"; fi
}

# --- preparation -------------------------------------------------------------------------------

ensure_sysuser() {
  if ! getent passwd "$MAIL_SYSUSER" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$MAIL_SYSUSER"
  fi
  MAIL_UID=$(id -u "$MAIL_SYSUSER")
  MAIL_GID=$(id -g "$MAIL_SYSUSER")
}

ensure_dirs() {
  install -d -m 0755 "$DIR"
  install -d -m 0755 -o "$MAIL_SYSUSER" -g "$MAIL_SYSUSER" "$DIR/mail"
  install -d -m 0755 "$DC_RUN" "$DIR/dovecot-state" "$PF_CONF"
  # Mail processes run as $MAIL_SYSUSER and must reach the maildirs through every parent.
  runuser -u "$MAIL_SYSUSER" -- test -w "$DIR/mail" ||
    die "$MAIL_SYSUSER cannot reach $DIR/mail: a parent of $DIR is not world-searchable"
}

ensure_cert() {
  if [ -s "$CERT" ] && [ -s "$KEY" ] &&
    openssl x509 -in "$CERT" -noout -checkend 86400 >/dev/null 2>&1; then
    return 0
  fi
  # rustls (webpki) refuses a self-signed certificate as an end-entity unless it says it is not
  # a CA; the SAN names both ways tests may dial it.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=localhost/O=outloud mailstack" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$KEY" -out "$CERT" 2>/dev/null || die "openssl could not make the certificate"
  chmod 0600 "$KEY"
  chmod 0644 "$CERT"
}

# The OAuth2 clients' credentials: an RSA key with a self-signed certificate (what an Entra app
# registration holds for a certificate credential) and a Google-style service-account key file
# with the same key, whose token_uri points at the stack's token server.
ensure_oauth_keys() {
  if ! [ -s "$OAUTH_CLIENT_CERT" ] || ! [ -s "$OAUTH_CLIENT_KEY" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=outloud oauth test client" \
      -keyout "$OAUTH_CLIENT_KEY" -out "$OAUTH_CLIENT_CERT" 2>/dev/null ||
      die "openssl could not make the OAuth2 client certificate"
    chmod 0600 "$OAUTH_CLIENT_KEY"
  fi
  # Rewritten on every start: token_uri follows the port.
  OAUTH_SA_FILE=$OAUTH_SA_FILE OAUTH_CLIENT_KEY=$OAUTH_CLIENT_KEY SA=$OAUTH_SERVICE_ACCOUNT \
    TOKEN_URI="http://$HOST:$OAUTH_PORT/token" python3 - <<'PY'
import json, os
doc = {
    "type": "service_account", "project_id": "outloud-test", "private_key_id": "outloud-test-key-1",
    "private_key": open(os.environ["OAUTH_CLIENT_KEY"]).read(), "client_email": os.environ["SA"],
    "client_id": "100000000000000000001", "token_uri": os.environ["TOKEN_URI"],
}
path = os.environ["OAUTH_SA_FILE"]
fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(doc, f, indent=2)
os.replace(path + ".tmp", path)
PY
  put "$DIR/oauth-clients.json" <<EOF
[
  {"client_id": "$OAUTH_CERT_CLIENT", "user": "$MAIN_USER", "cert_file": "$OAUTH_CLIENT_CERT"},
  {"client_id": "$OAUTH_SERVICE_ACCOUNT", "user": "$MAIN_USER", "cert_file": "$OAUTH_CLIENT_CERT"}
]
EOF
}

write_users() {
  # passwd-file: user:password:uid:gid:gecos:home:shell:extra. Plain passwords: test stack.
  put "$DIR/users" <<EOF
$MAIN_USER:{PLAIN}$MAIN_PASS::::::
$OTHER_USER:{PLAIN}$OTHER_PASS::::::
EOF
  # Read by Dovecot's auth process, which runs as its default_internal_user, `dovecot`.
  chgrp "$(id -gn dovecot)" "$DIR/users"
  chmod 0640 "$DIR/users"
}

dovecot_major_minor() { dovecot --version | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'; }

# write_template TEMPLATE FILE: scripts/templates/TEMPLATE with its ${NAME} placeholders
# filled in (scripts/render.sh), rendered in full first so a bad template leaves FILE alone.
write_template() {
  local text
  text=$(render "$TEMPLATES/$1") || die "cannot write $2"
  printf '%s\n' "$text" | put "$2"
}

write_dovecot_conf() {
  local ver
  ver=$(dovecot_major_minor)
  # The 2.4 template was written from the 2.4 documentation; Debian bookworm ships 2.3, so
  # it has not been run here. `dovecot -c` reports any setting it rejects.
  case $ver in
    2.3 | 2.4) ;;
    *) die "Dovecot $ver is not supported (2.3 and 2.4 are)" ;;
  esac
  SSL_DH=
  [ -r /usr/share/dovecot/dh.pem ] && SSL_DH="ssl_dh = </usr/share/dovecot/dh.pem"
  write_template "dovecot-$ver.conf" "$DC_CONF"
  # 2.3 reads the oauth2 passdb's settings from a file of their own; 2.4 has them inline.
  [ "$ver" != 2.3 ] || write_template dovecot-2.3-oauth2.conf.ext "$DIR/dovecot-oauth2.conf.ext"
}

write_postfix_conf() {
  write_template postfix-main.cf "$PF_CONF/main.cf"
  # No chroot (column 5 = n): the queue lives outside /var/spool/postfix.
  write_template postfix-master.cf "$PF_CONF/master.cf"
  # The submission port's check_recipient_access map starts empty on every start.
  : >"$ACCESS"
  postmap -c "$PF_CONF" "hash:$ACCESS" || die "postmap $ACCESS failed"
}

# Postfix notices a changed hash map by its mtime (whole seconds) and restarts smtpd before
# the next connection; two changes within one second would look like one, so the new map's
# mtime always moves forward.
cmd_recipient_access() {
  need_root
  local address=${1:-} action=${2:-}
  [ -n "$address" ] || usage
  set_paths "$(state_dir "${3:-}")"
  [ -r "$ACCESS" ] || die "no mailstack in $DIR; run: scripts/mailstack.sh start"
  local before tmp
  # Tests running at once change the map one at a time.
  exec 9>"$ACCESS.lock"
  flock 9
  before=$(stat -c %Y "$ACCESS.db" 2>/dev/null || echo 0)
  tmp=$(mktemp "$ACCESS.XXXXXX")
  grep -v -i -F -- "$address " "$ACCESS" >"$tmp" || true
  [ -z "$action" ] || printf '%s %s\n' "$address" "$action" >>"$tmp"
  mv -f "$tmp" "$ACCESS"
  postmap -c "$PF_CONF" "hash:$ACCESS" || die "postmap $ACCESS failed"
  if [ "$(stat -c %Y "$ACCESS.db")" -le "$before" ]; then
    touch -d "@$((before + 1))" "$ACCESS.db"
  fi
}

# --- start / stop ------------------------------------------------------------------------------

check_port_free() {
  local name=$1 port=$2
  ! port_open "$port" || die "port $port ($name) is already taken by another process; \
another mailstack with a different DIR? (set OUTLOUD_${name}_PORT or stop it)"
}

start_dovecot() {
  dovecot_pid >/dev/null && return 0
  check_port_free IMAP "$IMAP_PORT"
  check_port_free IMAPS "$IMAPS_PORT"
  check_port_free LMTP "$LMTP_PORT"
  write_users
  write_dovecot_conf
  # A socket left by an earlier run that had it would make auth log a connect error.
  rm -f "$DC_RUN/anvil-auth-penalty"
  # Not $(...): the daemonized master would keep the pipe open and the capture would hang.
  if ! dovecot -c "$DC_CONF" >"$DIR/dovecot.start.out" 2>&1 </dev/null; then
    say "dovecot failed to start: $(cat "$DIR/dovecot.start.out")"
    tail -n 20 "$DIR/dovecot.log" >&2 2>/dev/null || true
    exit 1
  fi
  if ! wait_ports "$IMAP_PORT" "$IMAPS_PORT" "$LMTP_PORT"; then
    say "dovecot did not open its ports within ${START_TIMEOUT}s; tail of $DIR/dovecot.log:"
    tail -n 20 "$DIR/dovecot.log" >&2 2>/dev/null || true
    exit 1
  fi
}

start_postfix() {
  postfix_pid >/dev/null && return 0
  check_port_free MAILSTACK_SMTP "$SMTP_PORT"
  check_port_free SUBMISSION "$SUBMISSION_PORT"
  check_port_free SUBMISSIONS "$SUBMISSIONS_PORT"
  write_postfix_conf
  install -d -m 0755 "$PF_QUEUE"
  local out
  # `postfix check` also creates the queue and data directories with their owners.
  if ! out=$(postfix -c "$PF_CONF" check 2>&1); then
    say "postfix check failed: $out"
    exit 1
  fi
  [ -z "$out" ] || say "postfix check: $out"
  # `postfix start` reports problems only to a terminal or to its log file.
  if ! postfix -c "$PF_CONF" start >/dev/null 2>&1 </dev/null ||
    ! wait_ports "$SMTP_PORT" "$SUBMISSION_PORT" "$SUBMISSIONS_PORT"; then
    say "postfix failed to start; tail of $DIR/postfix.log:"
    tail -n 20 "$DIR/postfix.log" >&2 2>/dev/null || true
    exit 1
  fi
}

start_oauth() {
  oauth_pid >/dev/null && return 0
  check_port_free OAUTH "$OAUTH_PORT"
  ensure_oauth_keys
  # setsid: out of the caller's process group, so a Ctrl-C there leaves it running like the
  # two mail daemons; stop finds it by its pid file.
  setsid python3 "$(dirname "$TEMPLATES")/oauth-server.py" --port "$OAUTH_PORT" \
    --clients "$DIR/oauth-clients.json" </dev/null >>"$DIR/oauth-server.log" 2>&1 &
  echo $! >"$OAUTH_PID"
  if ! wait_ports "$OAUTH_PORT"; then
    say "the OAuth2 token server did not open port $OAUTH_PORT; tail of $DIR/oauth-server.log:"
    tail -n 20 "$DIR/oauth-server.log" >&2 2>/dev/null || true
    exit 1
  fi
}

stop_oauth() {
  local pid
  if pid=$(oauth_pid); then
    stop_pid "$pid" "oauth server"
  fi
  rm -f "$OAUTH_PID"
}

stop_dovecot() {
  local pid
  if pid=$(dovecot_pid); then
    stop_pid "$pid" dovecot
  fi
}

stop_postfix() {
  local pid
  if pid=$(postfix_pid); then
    stop_pid "$pid" "postfix master"
  fi
}

healthy() {
  dovecot_pid >/dev/null && postfix_pid >/dev/null &&
    port_open "$IMAP_PORT" && port_open "$IMAPS_PORT" && port_open "$LMTP_PORT" &&
    port_open "$SMTP_PORT" && port_open "$SUBMISSION_PORT" && port_open "$SUBMISSIONS_PORT" &&
      oauth_pid >/dev/null && port_open "$OAUTH_PORT"
}

require_binaries() {
  command -v dovecot >/dev/null && command -v postfix >/dev/null && command -v openssl >/dev/null ||
    die "Dovecot/Postfix are not installed; run: scripts/mailstack.sh install"
}

cmd_start() {
  need_root
  require_binaries
  set_paths "$(state_dir "${1:-}")"
  if healthy; then
    print_env | tee "$DIR/env"
    return 0
  fi
  ensure_sysuser
  ensure_dirs
  ensure_cert
  # The token server first: Dovecot's oauth2 passdb asks it.
  start_oauth
  start_dovecot
  start_postfix
  print_env >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
  cat "$DIR/env"
  say "running in $DIR ($(versions)); logs: $DIR/dovecot.log $DIR/postfix.log"
}

cmd_stop() {
  need_root
  set_paths "$(state_dir "${1:-}")"
  stop_postfix
  stop_dovecot
  stop_oauth
  say "stopped ($DIR)"
}

cmd_restart_imap() {
  need_root
  require_binaries
  set_paths "$(state_dir "${1:-}")"
  [ -d "$DIR" ] || die "no mailstack in $DIR; run: scripts/mailstack.sh start"
  ensure_sysuser
  stop_dovecot
  start_dovecot
  say "dovecot restarted (pid $(dovecot_pid))"
}

cmd_status() {
  set_paths "$(state_dir "${1:-}")"
  local ok=0 pid item name port
  if pid=$(dovecot_pid); then echo "dovecot: running (pid $pid)"; else echo "dovecot: stopped"; ok=1; fi
  if pid=$(postfix_pid); then echo "postfix: running (pid $pid)"; else echo "postfix: stopped"; ok=1; fi
  if pid=$(oauth_pid); then echo "oauth server: running (pid $pid)"; else echo "oauth server: stopped"; ok=1; fi
  for item in IMAP:$IMAP_PORT IMAPS:$IMAPS_PORT LMTP:$LMTP_PORT SMTP:$SMTP_PORT \
    SUBMISSION:$SUBMISSION_PORT SUBMISSIONS:$SUBMISSIONS_PORT OAUTH:$OAUTH_PORT; do
    name=${item%%:*} port=${item#*:}
    if port_open "$port"; then echo "$name $HOST:$port: open"; else echo "$name $HOST:$port: closed"; ok=1; fi
  done
  echo "dir: $DIR"
  return $ok
}

cmd_env() {
  set_paths "$(state_dir "${1:-}")"
  [ -r "$DIR/env" ] || die "no env in $DIR; run: scripts/mailstack.sh start"
  # From the ports recorded at start, in this version's names.
  print_env
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  restart-imap) cmd_restart_imap "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  env) cmd_env "${2:-}" ;;
  recipient-access) cmd_recipient_access "${2:-}" "${3:-}" "${4:-}" ;;
  *) usage ;;
esac
