#!/usr/bin/env bash
# Daemon benchmark (issue 3), against the private Dovecot + Postfix stack (started if needed):
#  (i)   latency from SMTP acceptance (Postfix's 250 after DATA) to the post visible in the
#        JSON API, LATENCY_MAILS (200) mails sent one by one: p50, p90, p99, max;
#  (ii)  catch-up: CATCHUP_MAILS (10,000) gen_mbox mails already in a fresh folder (written
#        into its Maildir new/, indexed by Dovecot before the start): mails/s until all are
#        processed;
#  (iii) resident memory (VmRSS idle, VmHWM peak during catch-up) from /proc/PID/status.
# Release build; fresh SQLite databases under a temp dir. Needs root (the mail stack).
# Usage: bench/daemon.sh. Figures go to stdout; copy them into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/outloud-daemon-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash scripts/mailstack.sh install >/dev/null
eval "$(bash scripts/mailstack.sh start)"
cargo build --release --locked --bin outloud --example gen_mbox 2>&1 | tail -1
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/outloud
n=${CATCHUP_MAILS:-10000}
"$target/release/examples/gen_mbox" --messages "$n" --out "$work/corpus.mbox" --seed 42 2>/dev/null
echo "== (i) latency and idle memory"
python3 bench/daemon_bench.py latency "$bin" "$work" "${LATENCY_MAILS:-200}"
echo "== (ii) catch-up and peak memory"
python3 bench/daemon_bench.py catchup "$bin" "$work" "$work/corpus.mbox" "$n"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version), $(dovecot --version | cut -d' ' -f1) / postfix $(postconf -dh mail_version); $(date -u +%F)"
