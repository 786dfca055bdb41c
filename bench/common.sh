# Sourced by the benchmark scripts that drive the daemon against the mail stack: one set-up and
# one machine line, so their figures are taken the same way.

# The mail stack (installed if missing, started if not running), a temp dir in $work removed on
# exit, the release build ($target, $bin) and $n (CATCHUP_MAILS, 10,000) gen_mbox mails in
# $work/corpus.mbox. $1 names the temp dir.
bench_setup() {
  work=$(mktemp -d "/tmp/outloud-$1-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  bash scripts/mailstack.sh install >/dev/null
  eval "$(bash scripts/mailstack.sh start)"
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
