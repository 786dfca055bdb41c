#!/usr/bin/env bash
# Search benchmark (issue 10): search latency under a fixed request rate, on SQLite and on
# PostgreSQL, with MESSAGES (100,000) gen_mbox mails imported (each import timed: it builds
# the search index as it goes).
#  - `outloud run` serves the web view and API only (no mailboxes) on a loopback port;
#  - RATE (100) requests/s for SECS (20) seconds to /api/v1/search, one run per query of the
#    list below, from wrk (LOAD=wrk, the default: one process, CONNS (10) connections, random
#    arrivals at the mean rate; bench/paced.lua) or hey (LOAD=hey: 10 workers, each limited to
#    RATE/10 requests/s, every response time kept; both Debian packages, installed if missing);
#  - hey's 10 workers fire together: a burst of 10 every 100 ms. SPREAD=K (1 by default) runs
#    K hey processes of 10/K workers, started 10/(RATE*K) s apart (bench/common.sh hey_spread);
#    SPREAD=10 sends one request every 10 ms, evenly paced;
#  - a row per query: requests, errors, rate reached, p50 / p90 / p99 / max in ms (with hey,
#    bench/search_bench.py adds one over all queries).
# Release build. PostgreSQL: the local server of scripts/ensure-postgres.sh (started if
# needed), database `outloud_search_bench` (dropped and created here, dropped at the end), or
# OUTLOUD_BENCH_PG=postgres://…/db (a database it may wipe). Needs root for apt-get.
# Usage: bench/search.sh [sqlite|postgres|both]. Figures go to stdout; copy them into
# docs/BENCHMARKS.md with the machine line printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
which_backends="${1:-both}"
n="${MESSAGES:-100000}"
rate="${RATE:-100}"
secs="${SECS:-20}"
workers=10
conns="${CONNS:-10}"
spread="${SPREAD:-1}"
# shellcheck source=bench/common.sh
source bench/common.sh
web_bench_setup search

# name|query string. Words from gen_mbox's banks: a project, a customer with an umlaut typed
# without it, accented German, Japanese of two and four characters, a phrase, a prefix, a
# group, an author, a date range, two common words, and the worst case: a word in nearly
# every mail.
queries=(
  "project|q=kestrel"
  "folded umlaut|q=muller"
  "German accented|q=Zust%C3%A4ndigkeiten"
  "Japanese 2 chars|q=%E4%BA%88%E7%AE%97"
  "Japanese 4 chars|q=%E9%9A%9C%E5%AE%B3%E5%A0%B1%E5%91%8A"
  "phrase|q=%22connection+pool%22"
  "prefix|q=migrat*"
  "in one group|q=rollback&group=eng"
  "by author|q=budget&author=garcia"
  "date range|q=latency&from=2024-03-01&to=2024-03-31"
  "two common words|q=review+timeline"
  "worst case: 'the'|q=the"
)

run_backend() {
  local backend=$1 url=$2
  # The API needs a signed-in colleague by default (issue 10); this measures search, not sign-in
  # (bench/thread.sh measures pages as a signed-in colleague).
  web_bench_config "$url" public
  echo "== $backend: import $n mails (builds the index)"
  /usr/bin/time -f "   %e s wall, peak RSS %M KiB" \
    "$bin" --config "$work/bench.toml" import --no-progress "$work/corpus.mbox" 2>&1 | sed -n '1p;$p'
  if [ "$backend" = sqlite ]; then
    echo "   database $(du -m "${url#sqlite:}" | cut -f1) MB"
  else
    psql "$url" -Atc "SELECT '   messages ' || pg_size_pretty(pg_total_relation_size('messages')) || ', search index ' || pg_size_pretty(pg_total_relation_size('message_search'))"
    psql "$url" -qc "VACUUM ANALYZE" >/dev/null
  fi
  web_bench_serve "$backend"
  for entry in "${queries[@]}"; do
    local name=${entry%%|*} qs=${entry#*|}
    local target_url="http://127.0.0.1:$port/api/v1/search?$qs"
    # Warm-up and the hit count (has_more: at least 21).
    local hits
    hits=$(curl -fs "$target_url" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(str(len(d["hits"])) + ("+" if d["has_more"] else ""))')
    load_run "$target_url" "$name ($hits hits)" "$work/$backend"
  done
  web_bench_stop
  echo "== $backend: /api/v1/search at $rate requests/s, $secs s per query (ms)"
  load_summary "$work/$backend" query
}

if [ "$which_backends" != postgres ]; then
  run_backend sqlite "sqlite:$work/bench.db"
fi
if [ "$which_backends" != sqlite ]; then
  if [ -n "${OUTLOUD_BENCH_PG:-}" ]; then
    psql "$OUTLOUD_BENCH_PG" -qc 'drop schema public cascade; create schema public;' >/dev/null
    run_backend postgres "$OUTLOUD_BENCH_PG"
  else
    web_bench_pg_database outloud_search_bench
    run_backend postgres "$bench_pg_url"
  fi
fi
web_bench_machine
