#!/usr/bin/env bash
# outloud in a real browser (tests/browser/run.mjs): installs Debian's chromium and the npm
# packages of tests/browser (playwright-core, axe-core, oidc-provider; `npm ci` from the
# lock file), builds outloud, then drives headless chromium through sign-in (OpenID Connect
# and emailed link), reading, search, commenting and the mail that comment sends, with axe-core
# on the main pages; then renders a digest mail (tests/browser/digest.mjs); screenshots go to
# docs/screenshots/. Needs the mail stack running (its
# variables set: scripts/test.sh does both). Usage: scripts/browser-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  echo "browser-test: installing chromium" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null ||
    { echo "browser-test: could not install chromium" >&2; exit 1; }
fi
if ! command -v npm >/dev/null; then
  echo "browser-test: installing nodejs and npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >/dev/null ||
    { echo "browser-test: could not install nodejs/npm" >&2; exit 1; }
fi
if [ ! -d tests/browser/node_modules ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; then
  (cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi
cargo build --locked --bin outloud
export OUTLOUD_BIN="${CARGO_TARGET_DIR:-target}/debug/outloud"
: "${OUTLOUD_IMAP_PORT:?start the mail stack first: eval \"\$(scripts/mailstack.sh start)\"}"
node tests/browser/run.mjs
exec node tests/browser/digest.mjs
