#!/usr/bin/env bash
# Runs every test: unit tests, the pipeline fixtures, and the storage story on SQLite and on
# PostgreSQL (started here if it is not running). Usage: scripts/test.sh [cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh
export OUTLOUD_TEST_PG="${OUTLOUD_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
cargo test --locked --all-targets "$@"
