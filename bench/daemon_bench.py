#!/usr/bin/env python3
"""Daemon benchmark driver (issue 3), called by bench/daemon.sh. Python stdlib only.

  latency  BIN WORK N      SMTP acceptance -> post visible in the JSON API, N mails one by one;
                           also the daemon's idle resident memory
  catchup  BIN WORK MBOX N N mails already in a fresh folder when the daemon starts: mails/s
                           until all are processed, peak resident memory

Options from the environment: BENCH_AUTH = password (default), xoauth2 or oauthbearer (a
client is registered at the stack's token server and the daemon gets its tokens from there);
BENCH_RECHECK = idle_recheck_ms to set (unset: the daemon's default); BENCH_BATCH = batch_size.

Needs the mail stack's variables (eval "$(scripts/mailstack.sh start)").
"""
import imaplib
import json
import mailbox
import os
import pwd
import random
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request

ENV = os.environ
HOST = ENV["OUTLOUD_IMAP_HOST"]
IMAP_PORT = int(ENV["OUTLOUD_IMAP_PORT"])
SMTP_PORT = int(ENV.get("OUTLOUD_MAILSTACK_SMTP_PORT") or ENV["OUTLOUD_SMTP_PORT"])
USER = ENV["OUTLOUD_IMAP_USER"]
MAILDIR = ENV["OUTLOUD_MAILSTACK_MAILDIR"]
MAILBOX = "bench"
AUTH = ENV.get("BENCH_AUTH", "password")
RECHECK = ENV.get("BENCH_RECHECK", "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def login_toml(work):
    """The mailbox's login keys: the stack's password, or an OAuth2 client of its own."""
    if AUTH == "password":
        return 'password_env = "OUTLOUD_IMAP_PASSWORD"\n'
    client = f"bench-{random.randrange(16**8):08x}"
    spec = {"client_id": client, "secret": "bench-secret", "user": USER}
    req = urllib.request.Request(ENV["OUTLOUD_OAUTH_URL"] + "/admin/clients", method="POST",
                                 data=json.dumps(spec).encode())
    urllib.request.urlopen(req, timeout=10).close()
    secret = os.path.join(work, f"{client}.secret")
    with open(secret, "w") as f:
        f.write("bench-secret\n")
    return (f'auth = "{AUTH}"\n\n[mailboxes.oauth2]\nprovider = "generic"\n'
            f'token_url = "{ENV["OUTLOUD_OAUTH_URL"]}/token"\nclient_id = "{client}"\nclient_secret_file = "{secret}"\n')


def write_config(work, port, folder, batch, groups):
    path = os.path.join(work, f"bench-{port}.toml")
    group_toml = "".join(
        f'[[groups]]\nslug = "{slug}"\nname = "{slug}"\naddresses = ["{addr}"]\n\n' for slug, addr in groups
    )
    with open(path, "w") as f:
        f.write(
            f"""[database]
url = "sqlite:{work}/bench-{port}.db"

[web]
bind = "127.0.0.1:{port}"
# The benchmark reads each folder's backlog from /healthz (loopback only).
health_detail = true
# ...and the groups' message counts from /api/v1/groups, without signing in (since sign-in
# came, the API answers 401 otherwise and no mail ever looked published).
public = true

{group_toml}
[[mailboxes]]
name = "{MAILBOX}"
host = "{HOST}"
port = {IMAP_PORT}
tls = "none"
user = "{USER}"
folders = ["{folder}"]
batch_size = {batch}
{f"idle_recheck_ms = {RECHECK}" if RECHECK else ""}
{login_toml(work)}"""
        )
    return path


def start(bin_path, config, work, port):
    log = open(os.path.join(work, f"daemon-{port}.log"), "ab")
    env = {k: v for k, v in ENV.items() if k not in ("OUTLOUD_CONFIG", "RUST_LOG")}
    return subprocess.Popen([bin_path, "--config", config, "run"], stdout=log, stderr=log, env=env)


def get_json(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # /healthz answers 503 when degraded, still JSON
        return json.load(e)
    except (OSError, ValueError):
        return None


def health(port, folder):
    h = get_json(port, "/healthz")
    return (h or {}).get("mailboxes", {}).get(f"{MAILBOX}/{folder}")


def wait(what, deadline, f, interval=0.05):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        v = f()
        if v:
            return v
        time.sleep(interval)
    sys.exit(f"bench: timed out waiting for {what}")


def group_count(port, slug):
    gs = get_json(port, "/api/v1/groups")
    if gs is None:
        return None
    items = gs if isinstance(gs, list) else gs.get("groups", gs.get("items", []))
    for g in items:
        if g.get("slug") == slug:
            return g.get("message_count", 0)
    return 0


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pct(sorted_vals, p):
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


def latency(bin_path, work, n):
    slug = f"lat{random.randrange(16**8):08x}"
    addr = f"{slug}@corp.example"
    port = free_port()
    config = write_config(work, port, "INBOX", 500, [(slug, addr)])
    p = start(bin_path, config, work, port)
    try:
        # INBOX may hold earlier mail (other groups): wait until that is worked off.
        wait("the daemon caught up on INBOX", 600, lambda: (h := health(port, "INBOX")) and h["connected"]
             and h["backlog"] == 0 and h["last_sync"], 0.2)
        time.sleep(2)
        idle_rss = rss_kib(p.pid, "VmRSS")
        lat = []
        smtp = smtplib.SMTP(HOST, SMTP_PORT)
        for i in range(n):
            msg = (
                f"From: Bench <bench@corp.example>\r\nTo: {addr}\r\nSubject: latency {slug} {i}\r\n"
                f"Message-ID: <{slug}.{i}@bench.test>\r\nDate: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\n\r\nMail {i} of the latency run.\r\n"
            )
            smtp.sendmail("bench@corp.example", [addr], msg.encode())
            t0 = time.monotonic()  # Postfix answered 250 to DATA: accepted
            wait(f"mail {i} in the API", 60, lambda: (c := group_count(port, slug)) is not None and c >= i + 1, 0.002)
            lat.append((time.monotonic() - t0) * 1000)
        smtp.quit()
        s = sorted(lat)
        print(f"latency SMTP accepted -> visible in /api/v1/groups, {n} mails one by one: "
              f"p50 {pct(s, 50):.0f} ms, p90 {pct(s, 90):.0f} ms, p99 {pct(s, 99):.0f} ms, max {s[-1]:.0f} ms, "
              f"min {s[0]:.0f} ms")
        print(f"memory idle (IDLE on INBOX, before the run): VmRSS {idle_rss / 1024:.1f} MiB; "
              f"after the run: VmRSS {rss_kib(p.pid, 'VmRSS') / 1024:.1f} MiB")
    finally:
        p.terminate()
        p.wait(60)


def catchup(bin_path, work, mbox_path, n):
    folder = f"catchup{random.randrange(16**8):08x}"
    imap = imaplib.IMAP4(HOST, IMAP_PORT)
    imap.login(USER, ENV["OUTLOUD_IMAP_PASSWORD"])
    imap.create(folder)
    # Maildir++: folder X of this user is MAILDIR/.X; dropping files into new/ is a delivery.
    new = os.path.join(MAILDIR, "." + folder, "new")
    wait("the folder's maildir", 10, lambda: os.path.isdir(new))
    mu = pwd.getpwnam("outloudmail")
    t = time.time()
    count = 0
    box = mailbox.mbox(mbox_path)
    for key in box.iterkeys():
        if count >= n:
            break
        raw = box.get_bytes(key)
        path = os.path.join(new, f"{int(t)}.M{count}P{os.getpid()}.bench")
        with open(path, "wb") as f:
            f.write(raw)
        os.chown(path, mu.pw_uid, mu.pw_gid)
        count += 1
    # Let Dovecot index the folder now (UIDs for all), so the timing below is outloud's.
    typ, data = imap.select(folder)
    exists = int(data[0])
    imap.logout()
    print(f"catch-up folder {folder}: {exists} mails (written {count} into new/, indexed by Dovecot before the start)")
    port = free_port()
    config = write_config(work, port, folder, int(ENV.get("BENCH_BATCH", "500")),
                          [("eng", "eng@corp.example"), ("sales", "sales@corp.example")])
    t0 = time.monotonic()
    p = start(bin_path, config, work, port)
    peak_sampled = 0
    first = None
    try:
        while True:
            h = health(port, folder)
            try:
                peak_sampled = max(peak_sampled, rss_kib(p.pid, "VmRSS"))
            except FileNotFoundError:
                sys.exit("bench: the daemon exited during catch-up")
            if h and h["processed"] > 0 and first is None:
                first = time.monotonic()
            if h and h["processed"] >= exists and h["backlog"] == 0:
                break
            if time.monotonic() - t0 > 1800:
                sys.exit("bench: catch-up did not finish in 30 minutes")
            time.sleep(0.05)
        t1 = time.monotonic()
        hwm = rss_kib(p.pid, "VmHWM")
        published = sum(group_count(port, g) or 0 for g in ("eng", "sales"))
        print(f"catch-up of {exists} mails: {t1 - t0:.2f} s from process start ({exists / (t1 - t0):.0f} mails/s); "
              f"{t1 - first:.2f} s from the first processed mail ({exists / (t1 - first):.0f} mails/s); "
              f"{published} messages published")
        print(f"memory during catch-up: peak VmHWM {hwm / 1024:.1f} MiB (sampled VmRSS max {peak_sampled / 1024:.1f} MiB); "
              f"idle after: VmRSS {rss_kib(p.pid, 'VmRSS') / 1024:.1f} MiB")
    finally:
        p.terminate()
        p.wait(60)
        imap = imaplib.IMAP4(HOST, IMAP_PORT)
        imap.login(USER, ENV["OUTLOUD_IMAP_PASSWORD"])
        imap.delete(folder)
        imap.logout()


if __name__ == "__main__":
    print(f"settings: auth {AUTH}, idle_recheck_ms {RECHECK or 'unset (default)'}")
    cmd = sys.argv[1]
    if cmd == "latency":
        latency(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "catchup":
        catchup(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
