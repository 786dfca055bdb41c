#!/usr/bin/env bash
# Digest benchmark (issue 11): 10,000 recipients over 100 groups (each in 3 groups' audiences,
# 5 discussed threads per group): selection and rendering alone, the whole round into the
# outbox, and sending every digest through the private mail stack's Postfix submission port
# with SENDERS (4) connections; peak RSS of the process (RECIPIENTS, DIGEST_GROUPS: not GROUPS,
# which bash sets to the user's group ids). SQLite, then PostgreSQL when
# OUTLOUD_BENCH_PG is set (a database URL it may wipe: every table is dropped first). The mail
# stack is started if needed; the digests land in the stack user's INBOX.
# Usage: bench/digest.sh. Figures go to stdout; copy them into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
bench_mailstack
trap bench_mailstack_stop EXIT
args=(--run --recipients "${RECIPIENTS:-10000}" --groups "${DIGEST_GROUPS:-100}" --senders "${SENDERS:-4}")
echo "== SQLite"
cargo bench --locked --bench digest -- "${args[@]}" 2>&1 | grep -v '^ *\(Compiling\|Finished\|Running\)'
if [ -n "${OUTLOUD_BENCH_PG:-}" ]; then
  echo "== PostgreSQL"
  cargo bench --locked --bench digest -- "${args[@]}" --pg "$OUTLOUD_BENCH_PG" 2>&1 |
    grep -v '^ *\(Compiling\|Finished\|Running\)'
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version), postfix $(postconf -dh mail_version 2>/dev/null || echo '?'); $(date -u +%F)"
