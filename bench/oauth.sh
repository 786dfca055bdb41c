#!/usr/bin/env bash
# OAuth2 and IDLE benchmark (issue 8), against the private Dovecot + Postfix stack and its
# OAuth2 token server (started if needed):
#  (i)   IMAP login latency (bench/imap_login.rs): LOGIN with a password; XOAUTH2 and
#        OAUTHBEARER with a cached token; XOAUTH2 fetching a token first (client credentials
#        at the stack's token server). BENCH_LOGINS (200) logins each: p50, p90, p99, max.
#  (ii)  catch-up of CATCHUP_MAILS (10,000) gen_mbox mails, password vs XOAUTH2 (a fresh daemon
#        and folder each, as bench/daemon.sh measures it).
#  (iii) SMTP accepted -> post visible, LATENCY_MAILS (100) mails one by one, with IDLE alone
#        (idle_recheck_ms = 0), the default (unset: 100 ms on Dovecot), and 250 ms.
# Release build; fresh SQLite databases under a temp dir. Needs root (the mail stack).
# Usage: bench/oauth.sh. Figures go to stdout; copy them into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup oauth

echo "== (i) IMAP login latency"
client="bench-login-$$"
python3 -c 'import json, os, sys, urllib.request as u
spec = {"client_id": sys.argv[1], "secret": "bench-secret", "user": os.environ["OUTLOUD_IMAP_USER"]}
u.urlopen(u.Request(os.environ["OUTLOUD_OAUTH_URL"] + "/admin/clients", json.dumps(spec).encode()), timeout=10)' "$client"
echo bench-secret >"$work/login.secret"
BENCH_OAUTH_CLIENT_ID=$client BENCH_OAUTH_SECRET_FILE=$work/login.secret \
  cargo bench --locked --bench imap_login 2>/dev/null | grep -E 'ms|logins' || true

echo "== (ii) catch-up, password vs XOAUTH2"
for auth in password xoauth2; do
  BENCH_AUTH=$auth python3 bench/daemon_bench.py catchup "$bin" "$work" "$work/corpus.mbox" "$n"
done

echo "== (iii) latency by IDLE setting"
for recheck in 0 "" 250; do
  BENCH_RECHECK=$recheck python3 bench/daemon_bench.py latency "$bin" "$work" "${LATENCY_MAILS:-100}"
done
bench_machine "load $(cut -d' ' -f1-3 /proc/loadavg)"
