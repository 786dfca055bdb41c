#!/usr/bin/env bash
# Outbox benchmark (issue 8): MAILS (10,000) one-recipient mails queued in a fresh SQLite
# database, then the release `outloud run` sends them through the private mail stack's Postfix
# submission port (STARTTLS and login, as a real deployment; no rate limit): mails/s from the
# daemon's start until every delivery is recorded sent, and the daemon's peak RSS (VmHWM).
# With OUTLOUD_BENCH_PG set (a database URL whose outbox tables it may wipe) it measures
# PostgreSQL too. The mail stack is started if needed (root); the mail lands in a folder of its
# own, deleted at the end. SQLite runs twice: logging in with the password, then with an XOAUTH2
# token from the stack's token server (Dovecot introspects it at each login).
# Usage: bench/outbox.sh. Figures go to stdout; copy them into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
bench_mailstack
trap bench_mailstack_stop EXIT
cargo build --release --locked --bin outloud 2>&1 | tail -1
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/outloud
n=${MAILS:-10000}
for auth in password xoauth2; do
  echo "== SQLite, login: $auth"
  cargo bench --locked --bench outbox -- --bin "$bin" --mails "$n" --auth "$auth" 2>&1 |
    grep -v '^ *\(Compiling\|Finished\|Running\)'
done
if [ -n "${OUTLOUD_BENCH_PG:-}" ]; then
  echo "== PostgreSQL"
  cargo bench --locked --bench outbox -- --bin "$bin" --mails "$n" --pg "$OUTLOUD_BENCH_PG" 2>&1 |
    grep -v '^ *\(Compiling\|Finished\|Running\)'
fi
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version), postfix $(postconf -dh mail_version 2>/dev/null || echo '?'); $(date -u +%F)"
