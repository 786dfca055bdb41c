#!/usr/bin/env bash
# Checks that two builds of outloud import the same mail into the same SQLite tables: a
# performance change must not change any output. Imports MESSAGES (10,000) gen_mbox mails
# (seed 42, as bench/import.sh) with each binary into a fresh database, dumps every derived
# table (all columns, in key order) and the search index's contents, and compares them.
#
# Usage: bench/import_same.sh OLD_BIN NEW_BIN   (e.g. a copy of target/release/outloud made
# before the change, and the new build). Exit status 0 when every dump is byte-identical; else
# the first differing lines of each table that differs are shown.
#
# Left out, as they are the time of the run rather than of the mail: raw_mails.received_at,
# skipped.at, and a person's first_seen when it is the run's time (a group address seen only as
# a recipient; shown as 'run time'). The FTS5 index is contentless, so its contents are read through fts5vocab
# ('instance': every term with its message, column and position), not its b-tree pages,
# whose layout depends on how the rows were batched (examples/dump_search_index.rs: the
# system sqlite3 may be too old to open the table).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { sed -n '2,9p' "$0"; exit 2; }
old=$(realpath "$1")
new=$(realpath "$2")
n="${MESSAGES:-10000}"
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d /tmp/outloud-same.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --release --locked --example gen_mbox --example dump_search_index 2>&1 | tail -1
gen="$target/release/examples/gen_mbox"
"$gen" --messages "$n" --out "$work/corpus.mbox" --seed 42 2>/dev/null

start=$(date +%s)
# One query per table: every column the import derives, in a total order.
queries=(
  "messages|SELECT * FROM messages ORDER BY id"
  "threads|SELECT * FROM threads ORDER BY id"
  "thread_refs|SELECT * FROM thread_refs ORDER BY group_id, ref_id"
  "people|SELECT email, name, CASE WHEN first_seen >= $start THEN 'run time' ELSE first_seen END, utc_offset, utc_offset_at FROM people ORDER BY email"
  "raw_mails|SELECT seq, sha256, message_id, source, force_groups, bytes FROM raw_mails ORDER BY seq"
  "skipped|SELECT raw_sha256, message_id, reason, detail FROM skipped ORDER BY raw_sha256"
  "quarantine|SELECT sha256, source, error, bytes FROM quarantine ORDER BY sha256"
  "search_index|"
)

dump() { # BIN NAME: import into $work/NAME.db, dump each table to $work/NAME.TABLE
  local bin=$1 name=$2
  cat > "$work/$name.toml" <<TOML
[database]
url = "sqlite:$work/$name.db"
[[groups]]
slug = "eng"
addresses = ["eng@corp.example"]
[[groups]]
slug = "sales"
addresses = ["sales@corp.example"]
TOML
  echo "== $name: $("$bin" --config "$work/$name.toml" import --no-progress "$work/corpus.mbox" 2>&1 | head -1)"
  for q in "${queries[@]}"; do
    if [ "${q%%|*}" = search_index ]; then
      "$target/release/examples/dump_search_index" "$work/$name.db" > "$work/$name.search_index"
    else
      sqlite3 -bail "$work/$name.db" ".mode quote" "${q#*|}" > "$work/$name.${q%%|*}"
    fi
  done
}

dump "$old" old
dump "$new" new
status=0
for q in "${queries[@]}"; do
  table=${q%%|*}
  rows=$(wc -l < "$work/old.$table")
  if cmp -s "$work/old.$table" "$work/new.$table"; then
    echo "same:    $table ($rows rows, sha256 $(sha256sum < "$work/new.$table" | cut -c1-16))"
  else
    echo "DIFFERS: $table ($rows rows before, $(wc -l < "$work/new.$table") after)"
    { diff "$work/old.$table" "$work/new.$table" || true; } | head -20 | cut -c1-300
    status=1
  fi
done
exit $status
