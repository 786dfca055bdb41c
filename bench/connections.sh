#!/usr/bin/env bash
# Idle-connection flood against `outloud run` (issue 9): memory before, during and after, and
# whether /healthz answers meanwhile. Loopback only, bounded in count and time.
#
# Usage: bench/connections.sh [CONNECTIONS]   (default 20000, at most the file limit - 200)
#
# Starts outloud with no mailboxes on a free port (web.max_connections 1024, header timeout
# 10 s, the defaults), opens CONNECTIONS idle TCP connections from one Python process, asks
# /healthz with them open, waits for the server to close them, and prints the daemon's VmRSS
# at each step. Results: docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
bin="${CARGO_TARGET_DIR:-target}/debug/outloud"
[ -x "$bin" ] || cargo build --locked --bin outloud
ulimit -n "$(ulimit -Hn)"
# This process holds the client ends: keep below its own limit.
max=$(( $(ulimit -n) - 200 ))
[ "$n" -le "$max" ] || n=$max
tmp=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[database]\nurl = "sqlite:%s/o.db"\n[web]\nbind = "127.0.0.1:%s"\n' "$tmp" "$port" >"$tmp/o.toml"
"$bin" --config "$tmp/o.toml" run >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$n" "$pid" <<'EOF'
import socket, sys, time, urllib.request
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return line.split()[1] + " kB"
def health():
    t = time.time()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).read()
        return f"answered in {1000 * (time.time() - t):.0f} ms"
    except Exception as e:
        return f"FAILED ({e})"
print(f"idle:                  rss {rss()}")
socks, refused = [], 0
t = time.time()
for _ in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
print(f"{len(socks)} open ({refused} failed) in {time.time() - t:.1f} s: rss {rss()}; /healthz {health()}")
# Every socket the server closed reads EOF; wait for all (bounded).
deadline = time.time() + 60
for s in socks:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        s.recv(1)
    except OSError:
        pass
print(f"server closed them after {time.time() - t:.1f} s: rss {rss()}; /healthz {health()}")
for s in socks:
    s.close()
time.sleep(2)
print(f"clients closed too:    rss {rss()}")
EOF
grep -c "connection cap reached" "$tmp/log" | sed 's/^/cap warnings logged: /'
