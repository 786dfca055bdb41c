#!/usr/bin/env bash
# Checks scripts/mailstack.sh end to end: install, start (twice), real SMTP deliveries into the
# catch-all Maildir, IMAP over plain, STARTTLS and IMAPS with certificate verification, IDLE,
# fast wrong-password failures, OAuth2 logins (XOAUTH2, OAUTHBEARER) checked by the token
# server, the same mechanisms on Dovecot's auth socket (what an SMTP server would use),
# restart-imap, stop (twice) and start after stop.
#
#   scripts/mailstack-selftest.sh [--keep]
#
# It runs its own stack, from scratch, in $OUTLOUD_SELFTEST_DIR (default
# /tmp/outloud-mailstack-selftest, wiped first) on ports 11143/11993/11024/11025/11150, so a stack on
# the default ports is left alone. --keep leaves it running at the end. Needs root and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=
[ "${1:-}" = --keep ] && keep=1
export OUTLOUD_MAILSTACK_DIR=${OUTLOUD_SELFTEST_DIR:-/tmp/outloud-mailstack-selftest}
export OUTLOUD_IMAP_PORT=11143 OUTLOUD_IMAPS_PORT=11993 OUTLOUD_LMTP_PORT=11024 OUTLOUD_MAILSTACK_SMTP_PORT=11025
export OUTLOUD_SUBMISSION_PORT=11148 OUTLOUD_SUBMISSIONS_PORT=11149
export OUTLOUD_OAUTH_PORT=11150
DIR=$OUTLOUD_MAILSTACK_DIR
ms=scripts/mailstack.sh

passed=0 failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
bad() { echo "FAIL - $*"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
quiet() { "$@" >/dev/null; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
pid_of() { tr -dc '0-9' <"$1" 2>/dev/null || true; }
dovecot_pid() { pid_of "$DIR/dovecot-run/master.pid"; }
postfix_pid() { pid_of "$DIR/postfix-queue/pid/master.pid"; }
oauth_pid() { pid_of "$DIR/oauth-server.pid"; }
# A zombie counts as gone: this container's init reaps orphans a little late.
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
closed() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

finish() {
  [ -n "$keep" ] || "$ms" stop "$DIR" >/dev/null 2>&1 || true
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# A fresh directory makes the timing and the idempotence checks meaningful.
"$ms" stop "$DIR" >/dev/null 2>&1 || true
case $DIR in /tmp/?*) rm -rf "$DIR" ;; *) echo "refusing to wipe $DIR (not under /tmp)" >&2; exit 2 ;; esac

envout=$(mktemp)
trap 'rm -f "$envout"' EXIT
t0=$(now)
check "install" "$ms" install
t_install=$(elapsed "$t0")
t1=$(now)
if "$ms" start "$DIR" >"$envout"; then ok "start"; else bad "start"; finish; exit 1; fi
t_start=$(elapsed "$t1")
echo "# install ${t_install}s, start ${t_start}s"
check "start prints export lines" grep -q "^export OUTLOUD_IMAP_PORT=$OUTLOUD_IMAP_PORT\$" "$envout"
check "env file matches output" cmp -s "$envout" "$DIR/env"
check "status says running" quiet "$ms" status "$DIR"

dpid=$(dovecot_pid) ppid=$(postfix_pid)
check "start again is idempotent" quiet "$ms" start "$DIR"
check "start again kept the same processes" test "$(dovecot_pid)/$(postfix_pid)" = "$dpid/$ppid"

# shellcheck disable=SC1091
. "$DIR/env"

py() {
  python3 - "$@" <<'PY'
import base64, imaplib, json, os, smtplib, socket, ssl, sys, time, urllib.request
from email.message import EmailMessage

E = os.environ
HOST = E["OUTLOUD_IMAP_HOST"]
IMAP, IMAPS, SMTP = int(E["OUTLOUD_IMAP_PORT"]), int(E["OUTLOUD_IMAPS_PORT"]), int(E["OUTLOUD_MAILSTACK_SMTP_PORT"])
USER, PASS = E["OUTLOUD_IMAP_USER"], E["OUTLOUD_IMAP_PASSWORD"]
OUSER, OPASS = E["OUTLOUD_IMAP_OTHER_USER"], E["OUTLOUD_IMAP_OTHER_PASSWORD"]
MAILDIR = E["OUTLOUD_MAILSTACK_MAILDIR"]
CA = E["OUTLOUD_MAILSTACK_CA"]
OAUTH = E["OUTLOUD_OAUTH_URL"]
results = []

def check(name, fn):
    try:
        fn()
        results.append(True); print("ok - " + name)
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        results.append(False); print("FAIL - %s: %r" % (name, e))

def ctx():
    return ssl.create_default_context(cafile=CA)

def send(rcpts, tag):
    m = EmailMessage()
    m["From"] = "alice@partner.example"
    m["To"] = ", ".join(rcpts)
    m["Subject"] = "selftest " + tag
    m["Message-ID"] = "<%s.%d@selftest.example>" % (tag, time.time_ns())
    m.set_content("hello from the mailstack selftest (%s)\n" % tag)
    with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
        s.ehlo("selftest.example")
        refused = s.send_message(m, to_addrs=rcpts)
        assert not refused, refused
    return m["Message-ID"]

def maildir_has(root, msgid, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sub in ("new", "cur"):
            d = os.path.join(root, sub)
            for f in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, f), "rb") as fh:
                    if msgid.encode() in fh.read():
                        return True
        time.sleep(0.1)
    raise AssertionError("%s not in %s/{new,cur} after %ss" % (msgid, root, timeout))

def login_count(conn, user, pw):
    typ, _ = conn.login(user, pw)
    assert typ == "OK"
    typ, data = conn.select("INBOX", readonly=True)
    assert typ == "OK", data
    n = int(data[0])
    conn.logout()
    return n

def fail_fast(user, pw):
    t = time.monotonic()
    c = imaplib.IMAP4(HOST, IMAP, timeout=10)
    try:
        c.login(user, pw)
    except imaplib.IMAP4.error as e:
        assert b"AUTHENTICATIONFAILED" in str(e).encode() or "failed" in str(e).lower(), e
    else:
        raise AssertionError("login succeeded")
    took = time.monotonic() - t
    assert took < 2, "took %.2fs" % took

def idle_sees_new_mail():
    c = imaplib.IMAP4(HOST, IMAP, timeout=15)
    assert "IDLE" in c.capabilities, c.capabilities
    c.login(USER, PASS)
    c.select("INBOX")
    tag = c._new_tag().decode()
    c.send(("%s IDLE\r\n" % tag).encode())
    assert c.readline().startswith(b"+"), "no IDLE continuation"
    send(["eng@corp.example"], "idle")
    deadline = time.monotonic() + 20
    while True:
        line = c.readline()
        if line.rstrip().endswith(b"EXISTS"):
            break
        assert time.monotonic() < deadline and line, "no EXISTS during IDLE"
    c.send(b"DONE\r\n")
    while not c.readline().startswith(tag.encode()):
        pass
    c.logout()

def subjects(user, pw):
    c = imaplib.IMAP4(HOST, IMAP, timeout=10)
    c.login(user, pw)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    c.logout()
    return b" ".join(part[1] for part in data if isinstance(part, tuple)).decode()

def other_is_separate():
    mine, theirs = subjects(OUSER, OPASS), subjects(USER, PASS)
    assert "selftest other" in mine and "selftest eng" not in mine, mine
    assert "selftest eng" in theirs and "selftest other" not in theirs, theirs

def tls_rejects_unknown_ca():
    try:
        imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=ssl.create_default_context(), timeout=10)
    except ssl.SSLCertVerificationError:
        return
    raise AssertionError("an untrusted certificate was accepted")

def mint(lifetime=300):
    req = urllib.request.Request(OAUTH + "/admin/mint", method="POST",
                                 data=json.dumps({"user": USER, "lifetime": lifetime}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["access_token"]

def revoke(token):
    req = urllib.request.Request(OAUTH + "/admin/revoke", method="POST", data=json.dumps({"token": token}).encode())
    urllib.request.urlopen(req, timeout=10).close()

def sasl(mech, token):
    if mech == "XOAUTH2":
        return "user=%s\x01auth=Bearer %s\x01\x01" % (USER, token)
    return "n,a=%s,\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01" % (USER, HOST, IMAP, token)

def oauth_login(mech, token):
    c = imaplib.IMAP4(HOST, IMAP, timeout=10)
    assert "AUTH=" + mech in c.capabilities, c.capabilities
    answers = iter([sasl(mech, token).encode(), b"" if mech == "XOAUTH2" else b"\x01"])
    typ, _ = c.authenticate(mech, lambda challenge: next(answers))
    assert typ == "OK"
    c.select("INBOX", readonly=True)
    c.logout()

def oauth_refused(mech):
    token = mint()
    revoke(token)
    try:
        oauth_login(mech, token)
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e), e
        return
    raise AssertionError("a revoked token was accepted")

def auth_socket_offers_oauth():
    # Dovecot's auth protocol, as an SMTP server (Postfix smtpd_sasl_type = dovecot) speaks it.
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(os.path.join(E["OUTLOUD_MAILSTACK_DIR"], "dovecot-run", "auth-client"))
    f = s.makefile("rwb")
    f.write(b"VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    f.flush()
    mechs = set()
    for line in f:
        if line.startswith(b"MECH\t"):
            mechs.add(line.split(b"\t")[1].strip().decode())
        if line.strip() == b"DONE":
            break
    assert {"XOAUTH2", "OAUTHBEARER"} <= mechs, mechs
    resp = base64.b64encode(sasl("XOAUTH2", mint()).encode())
    f.write(b"AUTH\t1\tXOAUTH2\tservice=smtp\tsecured\tresp=" + resp + b"\n")
    f.flush()
    answer = f.readline()
    assert answer.startswith(b"OK\t1\t") and b"user=" + USER.encode() in answer, answer
    s.close()

what = sys.argv[1]
if what == "deliver":
    ids = {}
    def sender(local):
        def run():
            ids[local] = send(["%s@corp.example" % local], local)
        return run
    for local in ("eng", "sales", "other"):
        check("SMTP accepts mail for %s@corp.example" % local, sender(local))
    check("eng@ lands in the catch-all Maildir", lambda: maildir_has(MAILDIR, ids["eng"]))
    check("sales@ lands in the catch-all Maildir", lambda: maildir_has(MAILDIR, ids["sales"]))
    other_dir = os.path.join(os.path.dirname(MAILDIR), OUSER)
    check("other@ lands in the other account", lambda: maildir_has(other_dir, ids["other"]))
    def relay_refused():
        try:
            send(["someone@elsewhere.example"], "relay")
        except smtplib.SMTPRecipientsRefused:
            return
        raise AssertionError("accepted a recipient outside the stack")
    check("outside recipient is not relayed", relay_refused)
elif what == "imap":
    def plain():
        assert login_count(imaplib.IMAP4(HOST, IMAP, timeout=10), USER, PASS) >= 2
    check("IMAP plain login sees the mail", plain)
    for name in ("127.0.0.1", "localhost"):
        def starttls(name=name):
            c = imaplib.IMAP4(name, IMAP, timeout=10)
            c.starttls(ssl_context=ctx())
            assert login_count(c, USER, PASS) >= 2
        def imaps(name=name):
            c = imaplib.IMAP4_SSL(name, IMAPS, ssl_context=ctx(), timeout=10)
            assert login_count(c, USER, PASS) >= 2
        check("STARTTLS verifies the certificate as %s" % name, starttls)
        check("IMAPS verifies the certificate as %s" % name, imaps)
    check("TLS fails without the stack's CA", tls_rejects_unknown_ca)
    check("other account sees only its own mail", other_is_separate)
    check("wrong password fails fast", lambda: fail_fast(USER, "wrong"))
    check("wrong password fails fast again (no penalty)", lambda: [fail_fast(USER, "wrong") for _ in range(3)])
    check("other's password does not open outloud", lambda: fail_fast(USER, OPASS))
    check("unknown user fails fast", lambda: fail_fast("nobody", "x"))
    check("IDLE reports new mail", idle_sees_new_mail)
elif what == "oauth":
    check("XOAUTH2 login with a token from the token server", lambda: oauth_login("XOAUTH2", mint()))
    check("OAUTHBEARER login with a token from the token server", lambda: oauth_login("OAUTHBEARER", mint()))
    check("a revoked token is refused (XOAUTH2)", lambda: oauth_refused("XOAUTH2"))
    check("a revoked token is refused (OAUTHBEARER)", lambda: oauth_refused("OAUTHBEARER"))
    check("the auth socket offers XOAUTH2 and OAUTHBEARER for SMTP", auth_socket_offers_oauth)
elif what == "login":
    check("IMAP login works", lambda: login_count(imaplib.IMAP4(HOST, IMAP, timeout=10), USER, PASS))
    check("IMAPS login works", lambda: login_count(imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=ctx(), timeout=10), USER, PASS))
print("#py %d %d" % (results.count(True), results.count(False)))
PY
}

# Runs a python group and folds its counts into ours.
pygroup() {
  local out line
  out=$(py "$1" 2>&1) || true
  while IFS= read -r line; do
    case $line in
      "#py "*) set -- $line; passed=$((passed + $2)); failed=$((failed + $3)) ;;
      *) echo "$line" ;;
    esac
  done <<<"$out"
  grep -q '^#py ' <<<"$out" || { echo "FAIL - python group $1 crashed"; failed=$((failed + 1)); }
}

pygroup deliver
pygroup imap
pygroup oauth

# restart-imap: a new Dovecot, the same Postfix, logins work again.
check "restart-imap" "$ms" restart-imap "$DIR"
check "restart-imap replaced Dovecot" test "$(dovecot_pid)" != "$dpid"
check "restart-imap kept Postfix" test "$(postfix_pid)" = "$ppid"
pygroup login

# stop: every process of both masters is gone and the ports are closed.
dpid=$(dovecot_pid) ppid=$(postfix_pid) opid=$(oauth_pid)
kids=$(ps -o pid= --ppid "$dpid" --ppid "$ppid" | tr '\n' ' ')
check "stop" "$ms" stop "$DIR"
leftover=
for p in $dpid $ppid $opid $kids; do alive "$p" && leftover="$leftover $p"; done
check "stop leaves no processes${leftover:+ (left:$leftover)}" test -z "$leftover"
all_closed() { closed "$OUTLOUD_IMAP_PORT" && closed "$OUTLOUD_IMAPS_PORT" && closed "$OUTLOUD_LMTP_PORT" && closed "$OUTLOUD_MAILSTACK_SMTP_PORT" &&
  closed "$OUTLOUD_SUBMISSION_PORT" && closed "$OUTLOUD_SUBMISSIONS_PORT" && closed "$OUTLOUD_OAUTH_PORT"; }
not_running() { ! "$ms" status "$DIR" >/dev/null; }
check "stop closes the ports" all_closed
check "status says stopped" not_running
check "stop again is idempotent" "$ms" stop "$DIR"

# start after stop: mail is still there.
t2=$(now)
check "start after stop" quiet "$ms" start "$DIR"
echo "# start after stop $(elapsed "$t2")s"
pygroup login
check "logs are in DIR" test -s "$DIR/dovecot.log" -a -s "$DIR/postfix.log"

finish
