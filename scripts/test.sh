#!/usr/bin/env bash
# Runs every test: unit tests, the pipeline fixtures, the storage story on SQLite and on
# PostgreSQL (started here if it is not running), and the daemon's tests against the private
# Dovecot + Postfix stack (installed if missing, started here and stopped at the end; a stack
# already running in $OUTLOUD_MAILSTACK_DIR is reused and left running).
# Usage: scripts/test.sh [cargo test args]. OUTLOUD_SKIP_MAILSTACK=1 skips the mail stack and
# the tests that need it (without it, those tests fail when the stack is not running).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh
export OUTLOUD_TEST_PG="${OUTLOUD_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
# tests/deploy.rs checks the systemd unit with systemd-analyze.
if ! command -v systemd-analyze >/dev/null; then
  echo "test: installing systemd-analyze (package systemd)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd >/dev/null ||
    { echo "test: could not install systemd (for systemd-analyze)" >&2; exit 1; }
fi

if [ "${OUTLOUD_SKIP_MAILSTACK:-}" != 1 ]; then
  bash scripts/mailstack.sh install
  if bash scripts/mailstack.sh status >/dev/null 2>&1; then
    eval "$(bash scripts/mailstack.sh env)"
    echo "test: reusing the mail stack running in $OUTLOUD_MAILSTACK_DIR" >&2
  else
    # Stop what we start, whatever way the run ends.
    trap 'bash scripts/mailstack.sh stop "${OUTLOUD_MAILSTACK_DIR:-}" >/dev/null 2>&1 || true' EXIT
    eval "$(bash scripts/mailstack.sh start)"
  fi
fi

cargo test --locked --all-targets "$@"
