#!/usr/bin/env bash
# Runs every test: unit tests, the pipeline fixtures, the storage story on SQLite and on
# PostgreSQL (started here if it is not running), and the daemon's tests against the private
# Dovecot + Postfix stack (installed if missing, started here and stopped at the end; a stack
# already running in $OUTLOUD_MAILSTACK_DIR is reused and left running).
# Usage: scripts/test.sh [cargo test args]. OUTLOUD_SKIP_MAILSTACK=1 skips the mail stack and
# the tests that need it (without it, those tests fail when the stack is not running).
# OUTLOUD_FUZZ_SECONDS=N also fuzzes the pure pipeline for N seconds (scripts/fuzz.sh);
# OUTLOUD_API_CHECK_EXAMPLES=N also checks the API against its OpenAPI document with N
# examples per operation (scripts/api-check.sh).
# A whole run ends with the browser test (scripts/browser-test.sh: installs chromium and the
# npm packages of tests/browser; OUTLOUD_SKIP_BROWSER=1 skips it).
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

# Digest schedules read IANA zones from the system's zoneinfo (tests use Europe/Berlin).
if [ ! -e /usr/share/zoneinfo/Europe/Berlin ]; then
  echo "test: installing tzdata (IANA time zones)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tzdata >/dev/null ||
    { echo "test: could not install tzdata" >&2; exit 1; }
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

# OUTLOUD_SMTP_* name outloud's own [smtp] settings. OUTLOUD_SMTP_PORT is also the old input
# name of the stack's relay port: it must not reach the outloud processes the tests start.
unset OUTLOUD_SMTP_HOST OUTLOUD_SMTP_PORT
# A brief coverage-guided fuzz run of the pure pipeline when asked for (CI sets it; builds the
# fuzz target only then). Before the tests, so cargo test's summary stays the last output.
if [ -n "${OUTLOUD_FUZZ_SECONDS:-}" ]; then
  bash scripts/fuzz.sh "$OUTLOUD_FUZZ_SECONDS"
fi

# The API against its OpenAPI document (schemathesis) when asked for (CI sets it).
if [ -n "${OUTLOUD_API_CHECK_EXAMPLES:-}" ]; then
  bash scripts/api-check.sh "$OUTLOUD_API_CHECK_EXAMPLES"
fi

cargo test --locked --all-targets "$@"
# The web view in a real browser (chromium, a real OpenID Connect provider, the mail stack):
# only on a whole run (no test filter given), and only with the mail stack.
if [ $# -eq 0 ] && [ "${OUTLOUD_SKIP_MAILSTACK:-}" != 1 ] && [ "${OUTLOUD_SKIP_BROWSER:-}" != 1 ]; then
  bash scripts/browser-test.sh
fi
