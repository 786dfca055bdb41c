# Sourced by the benchmark scripts that drive the daemon against the mail stack: one set-up and
# one machine line, so their figures are taken the same way.

# The mail stack (installed if missing, started if not running), a temp dir in $work removed on
# exit, the release build ($target, $bin) and $n (CATCHUP_MAILS, 10,000) gen_mbox mails in
# $work/corpus.mbox. $1 names the temp dir.
# The benchmarks' own mail stack (installed if missing, started if not running): its own state
# directory and ports (IMAP 20143 and up), so the tens of thousands of mails a benchmark
# delivers never land in the stack the tests share (a browser test once waited behind 20,148
# of them). OUTLOUD_MAILSTACK_DIR and the port variables, when set, choose another.
# bench_mailstack_stop stops it and removes its mail again.
bench_mailstack() {
  export OUTLOUD_MAILSTACK_DIR=${OUTLOUD_MAILSTACK_DIR:-/tmp/outloud-bench-mailstack}
  export OUTLOUD_IMAP_PORT=${OUTLOUD_IMAP_PORT:-20143} OUTLOUD_IMAPS_PORT=${OUTLOUD_IMAPS_PORT:-20193}
  export OUTLOUD_LMTP_PORT=${OUTLOUD_LMTP_PORT:-20144}
  export OUTLOUD_MAILSTACK_SMTP_PORT=${OUTLOUD_MAILSTACK_SMTP_PORT:-20145}
  bash scripts/mailstack.sh install >/dev/null
  eval "$(bash scripts/mailstack.sh start)"
}
bench_mailstack_stop() {
  if [ "${OUTLOUD_MAILSTACK_DIR:-}" = /tmp/outloud-bench-mailstack ]; then
    bash scripts/mailstack.sh stop "$OUTLOUD_MAILSTACK_DIR" >/dev/null 2>&1 || true
    rm -rf "$OUTLOUD_MAILSTACK_DIR"
  fi
}

bench_setup() {
  work=$(mktemp -d "/tmp/outloud-$1-bench.XXXXXX")
  trap 'rm -rf "$work"; bench_mailstack_stop' EXIT
  bench_mailstack
  cargo build --release --locked --bin outloud --example gen_mbox 2>&1 | tail -1
  target=${CARGO_TARGET_DIR:-target}
  bin=$target/release/outloud
  n=${CATCHUP_MAILS:-10000}
  "$target/release/examples/gen_mbox" --messages "$n" --out "$work/corpus.mbox" --seed 42 2>/dev/null
}

# The "== machine:" line the figures in docs/BENCHMARKS.md are quoted with; $1 is added before
# the date (e.g. the load average).
bench_machine() {
  echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version), $(dovecot --version | cut -d' ' -f1) / postfix $(postconf -dh mail_version); ${1:+$1; }$(date -u +%F)"
}

# --- The web-view benchmarks (bench/search.sh, bench/thread.sh): the release `outloud run`
# serving a database of $n gen_mbox mails on a loopback port, driven by wrk (or hey). ---

# A temp dir in $work (removed on exit, with the server started and the database created
# here), hey (Debian package, installed if missing), the release build ($target, $bin) and
# $n gen_mbox mails (seed 42) in $work/corpus.mbox. $1 names the temp dir.
web_bench_setup() {
  work=$(mktemp -d "/tmp/outloud-$1-bench.XXXXXX")
  pid=""
  created_db=""
  trap web_bench_cleanup EXIT
  local pkg
  for pkg in hey wrk; do
    if ! command -v $pkg >/dev/null; then
      echo "== installing $pkg (Debian package)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkg >/dev/null
    fi
  done
  cargo build --release --locked --bin outloud --example gen_mbox 2>&1 | tail -1
  target=${CARGO_TARGET_DIR:-target}
  bin=$target/release/outloud
  "$target/release/examples/gen_mbox" --messages "$n" --out "$work/corpus.mbox" --seed 42 2>/dev/null
  echo "== corpus: $n mails, $(du -m "$work/corpus.mbox" | cut -f1) MB (gen_mbox --seed 42)"
}

web_bench_cleanup() {
  web_bench_stop
  if [ -n "$created_db" ]; then
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $created_db" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}

# Starts the local PostgreSQL if needed and makes database $1 afresh (dropped on exit); its URL
# in $bench_pg_url.
web_bench_pg_database() {
  bash scripts/ensure-postgres.sh >/dev/null
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  created_db=$1
  bench_pg_url="postgres://postgres@127.0.0.1:5432/$1"
}

# $work/bench.toml for the database URL $1 (OUTLOUD_DATABASE_URL, exported) with the web view
# on a free loopback port ($port) and gen_mbox's two groups; "public" as $2 opens the view
# without sign-in.
web_bench_config() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local public=false
  [ "${2:-}" = public ] && public=true
  cat > "$work/bench.toml" <<TOML
[web]
bind = "127.0.0.1:$port"
public = $public
[[groups]]
slug = "eng"
addresses = ["eng@corp.example"]
[[groups]]
slug = "sales"
addresses = ["sales@corp.example"]
TOML
  export OUTLOUD_DATABASE_URL="$1"
}

# Starts `outloud run` (log in $work/run-$1.log; $pid) and waits until /healthz answers.
web_bench_serve() {
  "$bin" --config "$work/bench.toml" run >"$work/run-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

web_bench_stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}

# The "== machine:" line of the web-view benchmarks (with the load average, PostgreSQL and hey).
web_bench_machine() {
  echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version), $(psql --version | cut -d' ' -f3- ), load ${LOAD:-wrk} $(dpkg-query -W -f='${Version}' "${LOAD:-wrk}"); $(date -u +%F)"
}

# hey at $rate requests/s from $workers workers for $secs s on $1, as $spread staggered
# processes ($workers/$spread workers each, started $workers/($rate*$spread) s apart); one CSV
# ($2) of every response; further arguments go to hey. hey starts a process's workers' rate
# tickers together, so one process sends a burst of all its workers at once; $spread=1 is
# plain hey, $spread=$workers one request at a time, evenly paced (as oha -q or wrk2 send).
hey_spread() {
  local url=$1 csv=$2 k parts=() pids=() gap
  shift 2
  # Computed once: a python3 start per process would add ~20 ms to each gap.
  gap=$(python3 -c "print($workers / ($rate * $spread))")
  for k in $(seq 1 "$spread"); do
    hey -z "${secs}s" -c $((workers / spread)) -q $((rate / workers)) "$@" -o csv "$url" >"$csv.$k" &
    pids+=($!)
    parts+=("$csv.$k")
    sleep "$gap"
  done
  # Only hey's: the server runs in the background too.
  wait "${pids[@]}"
  { head -n 1 "${parts[0]}"; for k in "${parts[@]}"; do tail -n +2 "$k"; done; } >"$csv"
  rm -f "${parts[@]}"
}

# One load run of $secs s at $rate requests/s on $1, summarised as row $2 of the table that
# load_summary prints from the files $3.*; further arguments (e.g. -H 'Cookie: …') go to the
# load tool. LOAD chooses it:
#  - wrk (the default): one process of 2 threads and $conns connections; bench/paced.lua sends
#    at the rate with random (Poisson) arrivals, as independent users do, and prints the row.
#  - hey: hey_spread's $workers workers in $spread processes (bursts: see hey_spread); every
#    response time is kept and bench/search_bench.py summarises them (with an "all" row).
load_run() {
  local url=$1 name=$2 out=$3
  shift 3
  if [ "${LOAD:-wrk}" = hey ]; then
    local csv
    csv="$out.$(($(cat "$out.list" 2>/dev/null | wc -l) + 1)).csv"
    hey_spread "$url" "$csv" "$@"
    printf '%s\t%s\n' "$name" "$csv" >>"$out.list"
  else
    PACED_RATE=$rate PACED_THREADS=2 PACED_NAME=$name \
      wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s -s bench/paced.lua "$@" "$url" | tail -n 1 >>"$out.rows"
  fi
}

# The table of every load_run into $1 (first column named $2).
load_summary() {
  if [ "${LOAD:-wrk}" = hey ]; then
    local args=()
    while IFS=$'\t' read -r name csv; do args+=("$name" "$csv"); done <"$1.list"
    python3 bench/search_bench.py "${args[@]}" | sed "1s/| query |/| $2 |/"
  else
    echo "| $2 | requests | errors | req/s | p50 | p90 | p99 | max |"
    echo "|---|---|---|---|---|---|---|---|"
    cat "$1.rows"
  fi
}
