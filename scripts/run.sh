#!/usr/bin/env bash
# Brings outloud up doing its main job on SQLite: builds it, creates var/outloud.db with the
# groups of config/outloud.example.toml, imports the sample mail under tests/fixtures/ and
# serves the network. Extra arguments go to `outloud run`.
set -euo pipefail
cd "$(dirname "$0")/.."
export OUTLOUD_CONFIG="${OUTLOUD_CONFIG:-config/outloud.example.toml}"
cargo build --release --locked --bin outloud
bin=target/release/outloud
shopt -s nullglob
samples=(tests/fixtures/threads/*.mbox tests/fixtures/mail/*.eml)
if [ ${#samples[@]} -gt 0 ]; then
  echo "run: importing ${#samples[@]} sample files from tests/fixtures/ (idempotent)" >&2
  "$bin" import --no-progress "${samples[@]}" || true
fi
echo "run: serving; try http://127.0.0.1:8080/ and http://127.0.0.1:8080/api/v1/groups" >&2
exec "$bin" run "$@"
