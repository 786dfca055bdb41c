#!/usr/bin/env bash
# Import benchmark (issue 2): generates a realistic 10,000-mail mbox, then measures
#  - `outloud import` end to end into a fresh SQLite database: mails/s and peak memory (RSS),
#  - the same into PostgreSQL when OUTLOUD_BENCH_PG is set (a database URL it may wipe),
#  - the per-stage floor (cargo bench --bench pipeline): mbox split, mail-parser alone,
#    outloud's parse stage, the whole pure pipeline.
# Usage: bench/import.sh [MESSAGES]   (default 10000); RUNS (5) imports into SQLite, STAGES=0
# leaves out the stage floor (its bench build), BIN=PATH imports with another build of
# outloud (a copy of an older one, for an A/B run in the same minutes). Figures go to stdout;
# copy them into docs/BENCHMARKS.md with the machine line printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
work=$(mktemp -d /tmp/outloud-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --release --locked --bin outloud --example gen_mbox 2>&1 | tail -1
target=${CARGO_TARGET_DIR:-target}
bin=${BIN:-$target/release/outloud}
"$target/release/examples/gen_mbox" --messages "$n" --out "$work/corpus.mbox" --seed 42
cat > "$work/bench.toml" <<TOML
[database]
url = "sqlite:$work/bench.db"
[[groups]]
slug = "eng"
addresses = ["eng@corp.example"]
[[groups]]
slug = "sales"
addresses = ["sales@corp.example"]
TOML
runs="${RUNS:-5}"
echo "== outloud import into a fresh SQLite database ($n mails), $runs runs"
rates=()
for i in $(seq 1 "$runs"); do
  rm -f "$work"/bench.db*
  out=$(/usr/bin/time -f "peak RSS %M KiB, wall %e s, user %U s, sys %S s" \
    "$bin" --config "$work/bench.toml" import --no-progress "$work/corpus.mbox" 2>&1)
  echo "$out" | sed -n '1p;$p' | sed "s/^/run $i: /"
  rates+=("$(echo "$out" | grep -o '[0-9]* mails/s' | cut -d' ' -f1)")
done
echo "median: $(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') mails/s (min $(printf '%s\n' "${rates[@]}" | sort -n | head -1), max $(printf '%s\n' "${rates[@]}" | sort -n | tail -1))"
echo "== second import of the same file (all duplicates)"
"$bin" --config "$work/bench.toml" import --no-progress "$work/corpus.mbox" | tail -1
if [ -n "${OUTLOUD_BENCH_PG:-}" ]; then
  echo "== outloud import into PostgreSQL"
  psql "$OUTLOUD_BENCH_PG" -qc 'drop schema public cascade; create schema public;' >/dev/null
  OUTLOUD_DATABASE_URL="$OUTLOUD_BENCH_PG" /usr/bin/time -f "peak RSS %M KiB, wall %e s" \
    "$bin" --config "$work/bench.toml" import --no-progress "$work/corpus.mbox" 2>&1 | grep -v '^\s*$'
fi
if [ "${STAGES:-1}" != 0 ]; then
  echo "== stage floor"
  cargo bench --locked --bench pipeline -- "$work/corpus.mbox" 2>/dev/null
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
