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
# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup daemon
echo "== (i) latency and idle memory"
python3 bench/daemon_bench.py latency "$bin" "$work" "${LATENCY_MAILS:-200}"
echo "== (ii) catch-up and peak memory"
python3 bench/daemon_bench.py catchup "$bin" "$work" "$work/corpus.mbox" "$n"
bench_machine
