#!/usr/bin/env bash
# Thread page benchmark (issue 10 item 7): /t/ID latency under a fixed request rate, on SQLite
# and on PostgreSQL, with MESSAGES (100,000) gen_mbox mails imported. The set-up of
# bench/search.sh (release build, gen_mbox --seed 42, `outloud run` on loopback, hey, the same
# summary script); here:
#  - requests are a signed-in colleague's: the bench inserts an account and a session and hey
#    sends its cookie, so every request pays the sign-in gate (session lookup) and the thread
#    page's read mark;
#  - three threads: the largest, one of median size and a one-message thread;
#  - RATE (500) requests/s for SECS (20) s per thread, from wrk (LOAD=wrk, the default: one
#    process, CONNS (20) connections, random arrivals at the mean rate; bench/paced.lua) or
#    from hey (LOAD=hey: 50 workers, each limited to RATE/50 requests/s, every response time
#    kept). hey starts its workers' rate tickers together, so the 50 fire in one burst every
#    50/RATE s (docs/BENCHMARKS.md, "Where the time goes"). SPREAD=K (1 by default) runs K hey
#    processes of 50/K workers each, started 50/(RATE*K) s apart: the same workers and rate in
#    K smaller bursts, evenly spaced.
# Usage: bench/thread.sh [sqlite|postgres|both]. Needs root for apt-get (wrk, hey).
set -euo pipefail
cd "$(dirname "$0")/.."
which_backends="${1:-both}"
n="${MESSAGES:-100000}"
rate="${RATE:-500}"
secs="${SECS:-20}"
workers=50
spread="${SPREAD:-1}"
conns="${CONNS:-20}"
# shellcheck source=bench/common.sh
source bench/common.sh
web_bench_setup thread

token=thread-bench-session-token
token_hash=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
# An account and a session for the bench's requests, and the three threads' ids.
setup_sql="INSERT INTO accounts (email, name, created_at, last_sign_in_at) VALUES ('bench@corp.example', 'Bench', 0, 0);
INSERT INTO sessions (token_hash, email, csrf, method, created_at, expires_at) VALUES ('$token_hash', 'bench@corp.example', 'x', 'link', 0, 4000000000);"
pick_sql="SELECT id, message_count FROM threads ORDER BY message_count DESC, id LIMIT 1;
SELECT id, message_count FROM threads ORDER BY message_count, id LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM threads);
SELECT id, message_count FROM threads WHERE message_count = 1 ORDER BY id LIMIT 1;"

run_backend() {
  local backend=$1 url=$2
  web_bench_config "$url"
  echo "== $backend: import $n mails"
  "$bin" --config "$work/bench.toml" import --no-progress "$work/corpus.mbox" 2>&1 | sed -n '1p'
  local picks
  if [ "$backend" = sqlite ]; then
    sqlite3 "${url#sqlite:}" "$setup_sql"
    picks=$(sqlite3 -separator ' ' "${url#sqlite:}" "$pick_sql")
  else
    psql "$url" -qc "$setup_sql" >/dev/null
    psql "$url" -qc "VACUUM ANALYZE" >/dev/null
    picks=$(psql "$url" -AtF ' ' -c "$pick_sql")
  fi
  web_bench_serve "$backend"
  local names=(largest median single)
  local i=0
  while read -r id count; do
    local target_url="http://127.0.0.1:$port/t/$id"
    local status
    status=$(curl -s -o "$work/page.html" -w '%{http_code}' -H "Cookie: outloud_session=$token" "$target_url")
    [ "$status" = 200 ] || { echo "thread $id answered $status"; exit 1; }
    grep -q 'Sign out' "$work/page.html" || { echo "thread $id: not signed in"; exit 1; }
    load_run "$target_url" "${names[$i]}: /t/$id, $count messages, $(($(wc -c <"$work/page.html") / 1024)) KiB" \
      "$work/$backend" -H "Cookie: outloud_session=$token"
    i=$((i + 1))
  done <<<"$picks"
  web_bench_stop
  echo "== $backend: thread pages at $rate requests/s, $secs s per thread (ms)"
  load_summary "$work/$backend" thread
}

if [ "$which_backends" != postgres ]; then
  run_backend sqlite "sqlite:$work/bench.db"
fi
if [ "$which_backends" != sqlite ]; then
  web_bench_pg_database outloud_thread_bench
  run_backend postgres "$bench_pg_url"
fi
web_bench_machine
