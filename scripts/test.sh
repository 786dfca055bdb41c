#!/usr/bin/env bash
# Runs every test: unit tests, the pipeline fixtures, and the storage story on SQLite and on
# PostgreSQL, and the IMAP watcher against the mail stack (both started here if they are not
# running). Usage: scripts/test.sh [cargo test args]; OUTLOUD_SKIP_MAILSTACK=1 skips the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh
export OUTLOUD_TEST_PG="${OUTLOUD_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
# The IMAP tests (tests/imap.rs) need the private Dovecot + Postfix stack (docs/MAILSTACK.md).
if [ "${OUTLOUD_SKIP_MAILSTACK:-}" != 1 ]; then
  bash scripts/mailstack.sh install  # apt-get only when Dovecot or Postfix is missing
  eval "$(bash scripts/mailstack.sh start)"
fi
cargo test --locked --all-targets "$@"
