#!/usr/bin/env bash
# A newcomer's first run, on one machine, as root: installs and starts the private Dovecot +
# Postfix mail stack (scripts/mailstack.sh), writes config/demo.toml (SQLite at var/outloud.db,
# groups eng and sales, one mailbox watching the stack's INBOX over TLS), builds outloud, imports
# the sample mail under tests/fixtures/, then runs the daemon: mail sent to eng@corp.example
# through the stack's SMTP port shows up at http://127.0.0.1:8080/g/eng within a second.
# Extra arguments go to `outloud run`. Stop with Ctrl-C; `scripts/mailstack.sh stop` stops
# the mail stack.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/mailstack.sh install
eval "$(bash scripts/mailstack.sh start)"

config=config/demo.toml
mkdir -p var
cat >"$config" <<TOML
# Written by scripts/run.sh on every start (the mail stack's ports may differ); edit
# config/outloud.example.toml's copy for your own setup instead.
[database]
url = "sqlite:var/outloud.db"

[web]
bind = "127.0.0.1:8080"

[[groups]]
slug = "eng"
name = "Engineering"
addresses = ["eng@corp.example"]

[[groups]]
slug = "sales"
name = "Sales"
addresses = ["sales@corp.example"]

# The local mail stack: every address at corp.example lands in user outloud's INBOX.
[[mailboxes]]
name = "demo"
host = "$OUTLOUD_IMAP_HOST"
port = $OUTLOUD_IMAPS_PORT
tls = "implicit"
ca_file = "$OUTLOUD_MAILSTACK_CA"
user = "$OUTLOUD_IMAP_USER"
password_env = "OUTLOUD_IMAP_PASSWORD"
folders = ["INBOX"]
TOML
export OUTLOUD_CONFIG=$config

cargo build --release --locked --bin outloud
bin=${CARGO_TARGET_DIR:-target}/release/outloud
shopt -s nullglob
samples=(tests/fixtures/threads/*.mbox tests/fixtures/mail/*.eml)
if [ ${#samples[@]} -gt 0 ]; then
  echo "run: importing ${#samples[@]} sample files from tests/fixtures/ (idempotent)" >&2
  "$bin" import --no-progress "${samples[@]}" || true
fi

cat >&2 <<MSG

run: outloud watches INBOX of $OUTLOUD_IMAP_USER on the local mail stack. Send a mail to the group
     from another terminal:

curl --url smtp://$OUTLOUD_SMTP_HOST:$OUTLOUD_SMTP_PORT --mail-from you@corp.example --mail-rcpt eng@corp.example --upload-file - <<'MAIL'
From: You <you@corp.example>
To: eng@corp.example
Subject: Hello, network

Working out loud: my first post.
MAIL

     and see it at http://127.0.0.1:8080/g/eng (all groups: http://127.0.0.1:8080/,
     health: http://127.0.0.1:8080/healthz). Ctrl-C stops outloud; the mail stack keeps
     running until scripts/mailstack.sh stop.

MSG
exec "$bin" run "$@"
