#!/usr/bin/env bash
# Property-based check of the JSON API against its OpenAPI document, with schemathesis, on a
# running outloud holding the fixture mail. See docs/SECURITY.md.
#
# Usage: scripts/api-check.sh [MAX_EXAMPLES]   (per operation; default 200)
#
# Installs schemathesis into var/api-check-venv (Python registry, once), builds outloud, imports
# tests/fixtures/mail into a temporary SQLite database, gives a colleague a personal API token,
# starts `outloud run` on a free loopback port (no mailboxes; sign-in required, as by default)
# and runs every check (no 5xx, status codes, content types and bodies as documented, ...) over
# every operation of /api/v1/openapi.json, with the token. Then every API operation must answer
# a documented JSON 401 without it. Exit status: schemathesis's. The report is in
# var/api-check/. OUTLOUD_API_CHECK_SEED sets the seed (default 9).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
examples="${1:-200}"
SCHEMATHESIS_VERSION=4.32.5
venv="$root/var/api-check-venv"
report="$root/var/api-check"

say() { echo "api-check: $*" >&2; }

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

say "building outloud"
cargo build --locked --bin outloud >&2
bin="${CARGO_TARGET_DIR:-$root/target}/debug/outloud"

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/outloud.toml" <<EOF
[database]
url = "sqlite:$tmp/outloud.db"
[web]
bind = "127.0.0.1:$port"
[[groups]]
slug = "eng"
name = "Engineering"
addresses = ["eng@corp.example"]
[[groups]]
slug = "sales"
name = "Sales"
addresses = ["sales@corp.example"]
EOF
"$bin" --config "$tmp/outloud.toml" import --no-progress --group eng tests/fixtures/mail >&2
# The site needs sign-in (web.public is off): the API is checked as a script would use it, with
# a personal token (stored hashed, as the settings page does).
token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
python3 - "$tmp/outloud.db" "$token" <<'PY'
import hashlib, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.execute("INSERT INTO accounts (email, name, created_at, last_sign_in_at) VALUES (?, ?, ?, ?)",
           ("checker@corp.example", "API checker", now, now))
db.execute("INSERT INTO api_tokens (token_hash, email, label, created_at) VALUES (?, ?, ?, ?)",
           (hashlib.sha256(sys.argv[2].encode()).hexdigest(), "checker@corp.example", "api-check", now))
db.commit()
PY
"$bin" --config "$tmp/outloud.toml" run >"$tmp/outloud.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$tmp/outloud.log" >&2; exit 2; }

say "schemathesis on http://127.0.0.1:$port/api/v1/openapi.json, $examples examples per operation"
mkdir -p "$report"
status=0
seed="${OUTLOUD_API_CHECK_SEED:-9}"
spec="http://127.0.0.1:$port/api/v1/openapi.json"
# The document itself is behind sign-in too: schemathesis fetches it with the token.
# scripts/api-check.toml: the one rule the document cannot express (GET /search's 400).
"$venv/bin/schemathesis" --config-file scripts/api-check.toml run "$spec" \
  -H "Authorization: Bearer $token" \
  --checks all --max-examples "$examples" --seed "$seed" \
  --report junit --report-dir "$report" || status=$?
# Without the token: every API operation a JSON 401 as documented; /healthz still answers.
say "without a token: every API operation must answer a documented JSON 401"
python3 - "$port" "$token" <<'PY' || status=1
import json, sys, urllib.error, urllib.request
port, token = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
req = urllib.request.Request(base + "/api/v1/openapi.json", headers={"Authorization": "Bearer " + token})
doc = json.load(urllib.request.urlopen(req))
bad = []
for path, item in doc["paths"].items():
    server = item.get("servers", doc["servers"])[0]["url"].rstrip("/")
    url = base + server + path.replace("{slug}", "eng").replace("{id}", "1") + ("?q=x" if path == "/search" else "")
    try:
        code, body = urllib.request.urlopen(url).status, b""
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read()
    documented = "401" in item["get"]["responses"]
    if documented and (code != 401 or "error" not in json.loads(body)):
        bad.append(f"{url}: {code} {body[:80]!r}")
    if not documented and code not in (200, 503):
        bad.append(f"{url}: {code} (open route)")
for b in bad:
    print("api-check:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
if grep -qiE 'panicked|ERROR' "$tmp/outloud.log"; then
  say "outloud logged errors meanwhile:"
  grep -iE 'panicked|ERROR' "$tmp/outloud.log" | head -20 >&2
  status=1
fi
exit "$status"
