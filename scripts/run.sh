#!/usr/bin/env bash
# A newcomer's first run, on one machine, as root: installs and starts the private Dovecot +
# Postfix mail stack (scripts/mailstack.sh), writes config/demo.toml (SQLite at var/outloud.db,
# groups eng and sales, one mailbox watching the stack's INBOX over TLS), builds outloud, imports
# the sample mail under tests/fixtures/, checks the configuration, then runs the daemon: mail
# sent to eng@corp.example through the stack's SMTP port shows up at
# http://127.0.0.1:8080/g/eng within a second.
#
# One line per step; the steps' own output (apt, dpkg, cargo) goes to var/run.log. Extra
# arguments go to `outloud run`. Stop with Ctrl-C; `scripts/mailstack.sh stop` stops the mail
# stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/render.sh

mkdir -p var
log=var/run.log
: >"$log"

say() { echo "run: $*" >&2; }

# step "what" COMMAND...: one line for the step, its output to the log; on failure the end of
# the log, so the error is on screen without scrolling through the rest.
step() {
  local what=$1 rc=0
  shift
  printf 'run: %s ... ' "$what" >&2
  echo "=== $what: $*" >>"$log"
  "$@" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok" >&2
    return 0
  fi
  echo "failed (exit $rc); last lines of $log:" >&2
  tail -n 25 "$log" | sed 's/^/    /' >&2
  exit "$rc"
}

start_mailstack() {
  bash scripts/mailstack.sh start >var/mailstack.env
}

# Run by step, where `set -e` does not apply: every failure returns explicitly.
write_config() {
  PASSWORD_FILE=var/demo-imap-password
  (umask 077 && printf '%s\n' "$OUTLOUD_IMAP_PASSWORD" >"$PASSWORD_FILE") || return 1
  local text
  text=$(render scripts/templates/demo.toml) || return 1
  printf '%s\n' "$text" >config/demo.toml
}

import_samples() {
  shopt -s nullglob
  local samples=(tests/fixtures/threads/*.mbox tests/fixtures/mail/*.eml)
  [ ${#samples[@]} -gt 0 ] || return 0
  # Idempotent: a second run finds every mail a duplicate. A quarantined or unreadable file
  # is reported in the summary, not fatal to the demo.
  "$BIN" --config config/demo.toml import --no-progress "${samples[@]}" || true
}

step "installing Dovecot and Postfix if missing (apt)" bash scripts/mailstack.sh install
step "starting the mail stack" start_mailstack
eval "$(cat var/mailstack.env)"
BIN=${CARGO_TARGET_DIR:-target}/release/outloud
step "writing config/demo.toml" write_config
step "building outloud (release; the first build takes a few minutes)" \
  cargo build --release --locked --bin outloud
step "importing the sample mail in tests/fixtures/" import_samples
say "  $(grep -m1 '^read ' "$log" || echo 'nothing to import')"
step "checking the configuration (outloud check-config)" \
  "$BIN" --config config/demo.toml check-config

cat >&2 <<MSG

run: outloud watches INBOX of $OUTLOUD_IMAP_USER on the local mail stack. Send a mail to the group
     from another terminal:

curl -sS --url smtp://$OUTLOUD_MAILSTACK_SMTP_HOST:$OUTLOUD_MAILSTACK_SMTP_PORT --mail-from you@corp.example --mail-rcpt eng@corp.example --upload-file - <<'MAIL'
From: You <you@corp.example>
To: eng@corp.example
Subject: Hello, network

Working out loud: my first post.
MAIL

     and see it at http://127.0.0.1:8080/g/eng (all groups: http://127.0.0.1:8080/, the JSON
     API: http://127.0.0.1:8080/api/v1, health: http://127.0.0.1:8080/healthz).
     Ctrl-C stops outloud. To start it again by hand, from $(pwd):
       $BIN --config config/demo.toml run
     The mail stack keeps running until scripts/mailstack.sh stop. Setup log: $log

MSG
exec "$BIN" --config config/demo.toml run "$@"
