//! Fault tests for `outloud run`: the real binary, a generated config, the private Dovecot +
//! Postfix stack (scripts/mailstack.sh, started by scripts/test.sh). Each test has its own IMAP
//! folder (or group address, for SMTP), its own database and its own web port. Results are read
//! from the database and `/healthz`. Every wait is a poll with a generous deadline: these tests
//! check what happens, never how fast.
//!
//! Without the stack's variables (OUTLOUD_IMAP_PORT, ...) every test fails saying how to start
//! the stack, unless OUTLOUD_SKIP_MAILSTACK=1 (then each prints why and passes).

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::imap::{mail, unique, Stack};
use outloud::store::Store;

const MAILBOX: &str = "corp";

/// A free loopback port: bind :0, read it, let it go.
/// The tests of this file share one mail stack and run in parallel; one of them restarts
/// Dovecot, which refuses or resets the others' IMAP connections meanwhile (seen in CI). That
/// one takes the stack alone; the others share it.
static STACK_USE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What goes into one generated config file.
struct Setup<'a> {
    db_url: &'a str,
    slug: &'a str,
    folder: &'a str,
    batch_size: u32,
    user: &'a str,
    password_env: &'a str,
    /// `(lease_secs, instance)`.
    daemon: Option<(u64, &'a str)>,
}

fn write_config(dir: &Path, stack: &Stack, port: u16, s: &Setup) -> PathBuf {
    let daemon = match s.daemon {
        Some((lease, instance)) => {
            format!("[daemon]\nlease_secs = {lease}\ninstance = \"{instance}\"\n")
        }
        None => String::new(),
    };
    let text = format!(
        r#"[database]
url = "{db}"

[web]
bind = "127.0.0.1:{port}"
health_detail = true

[log]
level = "info"

{daemon}
[[groups]]
slug = "{slug}"
name = "Fault test {slug}"
addresses = ["{slug}@corp.example"]

[[mailboxes]]
name = "{MAILBOX}"
host = "{host}"
port = {imap}
tls = "none"
user = "{user}"
password_env = "{penv}"
folders = ["{folder}"]
batch_size = {batch}
poll_secs = 2
idle_secs = 60
# What the default picks for Dovecot (it holds IDLE pushes back 0.5 s), set so it stays so.
idle_recheck_ms = 100
"#,
        db = s.db_url,
        slug = s.slug,
        host = stack.host,
        imap = stack.imap_port,
        user = s.user,
        penv = s.password_env,
        folder = s.folder,
        batch = s.batch_size,
    );
    let path = dir.join(format!("outloud-{port}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// One `outloud run` process; killed (SIGKILL) when dropped.
struct Daemon {
    child: Child,
    port: u16,
    log: PathBuf,
    /// The watcher's key in `/healthz`: `<mailbox>/<folder>`.
    key: String,
}

impl Daemon {
    fn start(
        config: &Path,
        folder: &str,
        port: u16,
        log: PathBuf,
        extra_env: &[(&str, &str)],
    ) -> Daemon {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
        cmd.arg("--config").arg(config).arg("run");
        cmd.env_remove("OUTLOUD_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("OUTLOUD_DATABASE_URL");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = cmd.spawn().expect("start outloud run");
        Daemon {
            child,
            port,
            log,
            key: format!("{MAILBOX}/{folder}"),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} {}", self.pid());
    }

    /// Poll for exit until the deadline.
    fn wait_exit(&mut self, deadline: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `/healthz` as JSON, or `None` while the process does not answer.
    fn healthz(&self) -> Option<serde_json::Value> {
        http_get_json(self.port, "/healthz")
    }

    /// This process's entry for the watched folder in `/healthz`.
    fn mailbox_health(&self) -> Option<serde_json::Value> {
        self.healthz()?.get("mailboxes")?.get(&self.key).cloned()
    }

    fn role(&self) -> Option<String> {
        Some(self.mailbox_health()?.get("role")?.as_str()?.to_string())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A minimal HTTP/1.1 GET (no client crate needed): the JSON body, whatever the status code.
fn http_get_json(port: u16, path: &str) -> Option<serde_json::Value> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).ok()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Poll `f` until it returns `Some` or the deadline passes (then panic with `what`). Blocking:
/// the checks are quick HTTP GETs, and the tests run on a multi-threaded runtime.
fn wait_for<T>(what: &str, deadline: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + deadline;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= end {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Poll the published count of `slug` until `ok(count)`; returns that count.
async fn wait_count(
    store: &dyn Store,
    slug: &str,
    what: &str,
    deadline: Duration,
    ok: impl Fn(i64) -> bool,
) -> i64 {
    let end = Instant::now() + deadline;
    loop {
        let n = published(store, slug).await;
        if ok(n) {
            return n;
        }
        if Instant::now() >= end {
            panic!("timed out after {deadline:?} waiting for {what} in {slug} (at {n})");
        }
        // Short: the kill tests want to strike while a backlog is still being worked.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Messages published in group `slug` (0 before the group exists).
async fn published(store: &dyn Store, slug: &str) -> i64 {
    match store.group_summaries().await {
        Ok(gs) => gs
            .iter()
            .find(|g| g.group.slug == slug)
            .map(|g| g.message_count)
            .unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every stored Message-ID in group `slug`.
async fn message_ids(store: &dyn Store, slug: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Default::default();
    loop {
        let page = store.messages_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.place.id;
        ids.extend(
            page.iter()
                .filter(|m| m.place.group_slug == slug)
                .map(|m| m.message_id.clone()),
        );
    }
    ids
}

/// Exactly `n` messages in `slug`, `n` distinct Message-IDs.
async fn assert_exactly(store: &dyn Store, slug: &str, n: usize) {
    let ids = message_ids(store, slug).await;
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), n, "messages stored in {slug}");
    assert_eq!(distinct.len(), n, "distinct Message-IDs in {slug}");
    assert_eq!(
        published(store, slug).await,
        n as i64,
        "group summary count for {slug}"
    );
}

async fn wait_published(store: &dyn Store, slug: &str, n: i64, deadline: Duration) {
    wait_count(store, slug, &format!("{n} messages"), deadline, |c| c >= n).await;
}

fn mails(tag: &str, range: std::ops::Range<usize>, to: &str) -> Vec<Vec<u8>> {
    range.map(|n| mail(tag, n, to)).collect()
}

const LONG: Duration = Duration::from_secs(180);

/// (a) SIGKILL twice in the middle of a 1,000-mail backlog: nothing lost, nothing doubled, and
/// the checkpoint ends on the highest UID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_backlog_publishes_every_mail_exactly_once() {
    let stack = stack_or_skip!();
    let _shared = STACK_USE.read().await;
    let tmp = tempfile::tempdir().unwrap();
    let slug = unique("kill");
    let folder = slug.clone();
    let to = format!("{slug}@corp.example");
    stack.create_folder(&folder).await;
    stack.append_all(&folder, &mails(&slug, 0..1000, &to)).await;
    let max_uid = stack.max_uid(&folder).await;
    assert_eq!(stack.count(&folder).await, 1000);

    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let port = free_port();
    let setup = Setup {
        db_url: &db_url,
        slug: &slug,
        folder: &folder,
        batch_size: 50,
        user: &stack.user,
        password_env: "OUTLOUD_IMAP_PASSWORD",
        daemon: None,
    };
    let config = write_config(tmp.path(), &stack, port, &setup);
    let log = tmp.path().join("outloud.log");
    // The daemon creates the database; wait for it before opening our reader.
    let mut d = Daemon::start(&config, &folder, port, log.clone(), &[]);
    wait_for("the web port", LONG, || d.healthz().map(|_| ()));
    let store = outloud::store::open(&db_url).await.unwrap();

    let mut last_seen = 0;
    for round in 0..2 {
        // Kill once strictly between the last count and 1,000; a daemon faster than the poll
        // may finish first, which is then reported, not failed.
        let n = wait_count(&*store, &slug, "progress past the last kill", LONG, |n| {
            n > last_seen
        })
        .await;
        if n >= 1000 {
            eprintln!("round {round}: all 1,000 published before the kill; nothing to interrupt");
            break;
        }
        d.kill9();
        let after_kill = published(&*store, &slug).await;
        eprintln!("round {round}: killed with {after_kill} of 1000 published");
        last_seen = after_kill;
        d = Daemon::start(&config, &folder, port, log.clone(), &[]);
    }
    wait_published(&*store, &slug, 1000, LONG).await;
    // Let a late duplicate show up if there were one: the mailbox has no more mail, so the
    // processed count in /healthz must stop moving and the count stay at 1,000.
    wait_for("an idle daemon (backlog 0)", LONG, || {
        let h = d.mailbox_health()?;
        (h.get("backlog")?.as_u64()? == 0).then_some(())
    });
    assert_exactly(&*store, &slug, 1000).await;
    let cp = store
        .checkpoint(&format!("{MAILBOX}/{folder}"))
        .await
        .unwrap()
        .expect("checkpoint");
    assert_eq!(cp.last_uid, max_uid, "checkpoint = highest UID");
    d.kill9();
    drop(d);
    stack.delete_folder(&folder).await;
}

/// (b) Dovecot restarts under an idling daemon; mail sent before, during and after arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_restart_under_the_daemon() {
    let stack = stack_or_skip!();
    let _alone = STACK_USE.write().await;
    let tmp = tempfile::tempdir().unwrap();
    let slug = unique("rst");
    let to = format!("{slug}@corp.example");
    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let port = free_port();
    // SMTP delivers to INBOX, so this test watches INBOX; mail there for other addresses (other
    // tests, earlier runs) is skipped by routing and does not count in this group.
    let setup = Setup {
        db_url: &db_url,
        slug: &slug,
        folder: "INBOX",
        batch_size: 200,
        user: &stack.user,
        password_env: "OUTLOUD_IMAP_PASSWORD",
        daemon: None,
    };
    let config = write_config(tmp.path(), &stack, port, &setup);
    let d = Daemon::start(&config, "INBOX", port, tmp.path().join("outloud.log"), &[]);
    wait_for("connected and caught up", LONG, || {
        let h = d.mailbox_health()?;
        (h.get("connected")?.as_bool()?
            && h.get("backlog")?.as_u64()? == 0
            && h.get("last_sync")?.is_i64())
        .then_some(())
    });
    let store = outloud::store::open(&db_url).await.unwrap();

    for n in 0..5 {
        stack
            .smtp_send("alice@corp.example", &to, &mail(&slug, n, &to))
            .await;
    }
    wait_published(&*store, &slug, 5, LONG).await;

    // Stop Dovecot, send while it is down (Postfix defers), start it again.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mailstack.sh");
    let dovecot_down = Command::new("bash")
        .arg(&script)
        .arg("restart-imap")
        .arg(&stack.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut saw_error = false;
    for n in 5..10 {
        stack
            .smtp_send("alice@corp.example", &to, &mail(&slug, n, &to))
            .await;
        saw_error |= d
            .mailbox_health()
            .is_some_and(|h| !h["last_error"].is_null() || h["connected"] == false);
    }
    let out = dovecot_down.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "restart-imap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in 10..15 {
        stack
            .smtp_send("alice@corp.example", &to, &mail(&slug, n, &to))
            .await;
        saw_error |= d
            .mailbox_health()
            .is_some_and(|h| !h["last_error"].is_null() || h["connected"] == false);
    }
    // Mail deferred by Postfix during the restart is retried within about 10 s.
    wait_published(&*store, &slug, 15, LONG).await;
    let h = wait_for("connected again", LONG, || {
        let h = d.mailbox_health()?;
        h.get("connected")?.as_bool()?.then_some(h.clone())
    });
    // Best effort: the outage may be shorter than one look at /healthz.
    eprintln!("outage seen in /healthz: {saw_error}; after: {h}");
    assert_exactly(&*store, &slug, 15).await;
}

/// (c) Two replicas, one PostgreSQL database: one leads, the other stands by; kill the leader
/// mid-backlog and the standby takes over and publishes the rest, each mail once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_replica_takes_over_when_the_leader_dies() {
    let stack = stack_or_skip!();
    let _shared = STACK_USE.read().await;
    let db = common::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let slug = unique("ha");
    let folder = slug.clone();
    let to = format!("{slug}@corp.example");
    stack.create_folder(&folder).await;
    // The backlog is there before the replicas start, so the leader is still working through
    // it (5 mails per transaction) when it is killed.
    const N: usize = 1000;
    stack.append_all(&folder, &mails(&slug, 0..N, &to)).await;

    let ports = [free_port(), free_port()];
    let mut replicas: Vec<Option<Daemon>> = ["replica-a", "replica-b"]
        .iter()
        .zip(ports)
        .map(|(instance, port)| {
            let setup = Setup {
                db_url: &db.url,
                slug: &slug,
                folder: &folder,
                batch_size: 5,
                user: &stack.user,
                password_env: "OUTLOUD_IMAP_PASSWORD",
                daemon: Some((6, instance)),
            };
            let config = write_config(tmp.path(), &stack, port, &setup);
            Some(Daemon::start(
                &config,
                &folder,
                port,
                tmp.path().join(format!("{instance}.log")),
                &[],
            ))
        })
        .collect();

    let roles = |r: &Vec<Option<Daemon>>| -> Vec<Option<String>> {
        r.iter()
            .map(|d| d.as_ref().and_then(|d| d.role()))
            .collect()
    };
    let leader = wait_for("one leader and one standby", LONG, || {
        let rs = roles(&replicas);
        let leaders: Vec<usize> = (0..2)
            .filter(|&i| rs[i].as_deref() == Some("leader"))
            .collect();
        let standbys = rs
            .iter()
            .filter(|r| r.as_deref() == Some("standby"))
            .count();
        (leaders.len() == 1 && standbys == 1).then(|| leaders[0])
    });
    let standby = 1 - leader;

    let store = &db.store;
    let at_kill = wait_count(&**store, &slug, "the leader publishing", LONG, |n| n > 0).await;
    replicas[leader].take().unwrap().kill9();
    eprintln!(
        "killed the leader ({}) with {at_kill} of {N} published",
        ["replica-a", "replica-b"][leader]
    );
    // The lease lasts 6 s; takeover must come well within 30 s.
    wait_for(
        "the standby to become leader",
        Duration::from_secs(30),
        || (replicas[standby].as_ref()?.role()? == "leader").then_some(()),
    );
    wait_published(&**store, &slug, N as i64, LONG).await;
    assert_exactly(&**store, &slug, N).await;
    drop(replicas);
    db.cleanup().await;
    stack.delete_folder(&folder).await;
}

/// The value of `series` for the test's mailbox in `/metrics`.
async fn counter(port: u16, series: &str) -> u64 {
    let (_, metrics) = common::http_get(port, "/metrics").await.unwrap();
    let prefix = format!("{series}{{mailbox=\"{MAILBOX}\"}} ");
    (metrics.lines())
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix}in /metrics:\n{metrics}"))
}

/// (d) A wrong password: an error naming the account, /healthz still served with last_error,
/// and retries that back off instead of hammering Dovecot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_is_reported_and_retried_gently() {
    let (stack, _shared) = (stack_or_skip!(), STACK_USE.read().await);
    let tmp = tempfile::tempdir().unwrap();
    let slug = unique("auth");
    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let port = free_port();
    let setup = Setup {
        db_url: &db_url,
        slug: &slug,
        folder: "INBOX",
        batch_size: 50,
        user: &stack.user,
        password_env: "FAULTS_WRONG_PASSWORD",
        daemon: None,
    };
    let config = write_config(tmp.path(), &stack, port, &setup);
    let log_before = stack.dovecot_log().len();
    let d = Daemon::start(
        &config,
        "INBOX",
        port,
        tmp.path().join("outloud.log"),
        &[("FAULTS_WRONG_PASSWORD", &slug)],
    );
    let err = wait_for("last_error in /healthz", LONG, || {
        let h = d.mailbox_health()?;
        h.get("last_error")?.as_str().map(str::to_string)
    });
    eprintln!("last_error: {err}");
    assert_eq!(d.mailbox_health().unwrap()["connected"], false);
    let status = d.healthz().unwrap()["status"].clone();
    assert_eq!(status, "degraded");
    // /metrics counts the refused login and the reconnection after it.
    for series in [
        "outloud_imap_auth_failures_total",
        "outloud_imap_reconnects_total",
    ] {
        assert!(counter(port, series).await >= 1, "{series}");
    }

    // Watch for 10 s more: the process stays up and serving, and its attempts stay few. They
    // are counted in Dovecot's log (auth_verbose logs each mismatch) from this test's start.
    let window = Instant::now();
    while window.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut d = d;
    assert!(
        d.child.try_wait().unwrap().is_none(),
        "outloud exited on an auth failure:\n{}",
        d.log_text()
    );
    assert!(d.healthz().is_some(), "/healthz no longer served");
    let log = d.log_text();
    let named = log.lines().any(|l| {
        let l_low = l.to_ascii_lowercase();
        (l_low.contains("error") || l_low.contains("warn"))
            && l.contains(MAILBOX)
            && l.contains(&format!("{}@{}", stack.user, stack.host))
            && (l_low.contains("auth") || l_low.contains("login"))
    });
    assert!(
        named,
        "no error line naming mailbox {MAILBOX:?}, the account and the login failure:\n{log}"
    );
    let dlog = stack.dovecot_log();
    let ours = dlog[log_before.min(dlog.len())..]
        .lines()
        .filter(|l| l.contains("Password mismatch") || l.contains("auth failed"))
        .filter(|l| {
            l.contains(&format!("({},", stack.user))
                || l.contains(&format!("user=<{}>", stack.user))
        })
        .count();
    // About 15 s since start: with any back-off that is a handful of attempts (each may log
    // two lines, auth and imap-login), far from one per poll or a tight loop.
    eprintln!("failed logins logged by Dovecot: {ours}");
    assert!(
        ours >= 1,
        "no failed login of {} in Dovecot's log: is the count looking at the right lines?",
        stack.user
    );
    assert!(
        ours <= 24,
        "{ours} failed-login lines in ~15 s: outloud is hammering the server"
    );
    d.kill9();
}

/// (e) SIGTERM mid-backlog: the batch in hand is finished (checkpoint and messages agree), the
/// process exits 0, and a restart publishes the rest exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_batch_and_exits_cleanly() {
    let stack = stack_or_skip!();
    let _shared = STACK_USE.read().await;
    let tmp = tempfile::tempdir().unwrap();
    let slug = unique("term");
    let folder = slug.clone();
    let to = format!("{slug}@corp.example");
    const N: usize = 1500;
    stack.create_folder(&folder).await;
    stack.append_all(&folder, &mails(&slug, 0..N, &to)).await;

    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let port = free_port();
    let setup = Setup {
        db_url: &db_url,
        slug: &slug,
        folder: &folder,
        batch_size: 100,
        user: &stack.user,
        password_env: "OUTLOUD_IMAP_PASSWORD",
        daemon: None,
    };
    let config = write_config(tmp.path(), &stack, port, &setup);
    let log = tmp.path().join("outloud.log");
    let mut d = Daemon::start(&config, &folder, port, log.clone(), &[]);
    wait_for("the web port", LONG, || d.healthz().map(|_| ()));
    let store = outloud::store::open(&db_url).await.unwrap();
    wait_count(&*store, &slug, "some progress", LONG, |n| n > 0).await;
    d.signal("TERM");
    let status = d
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no exit within 60 s of SIGTERM:\n{}", d.log_text()));
    assert!(
        status.success(),
        "exit status {status} after SIGTERM:\n{}",
        d.log_text()
    );

    // Fresh folder: UIDs are 1..=N in APPEND order, each mail its own group message, so a
    // finished batch means the checkpoint and the count agree.
    let n = published(&*store, &slug).await;
    let cp = store
        .checkpoint(&format!("{MAILBOX}/{folder}"))
        .await
        .unwrap();
    let last_uid = cp.map(|c| c.last_uid).unwrap_or(0);
    eprintln!("stopped with {n} of {N} published, checkpoint UID {last_uid}");
    assert_eq!(
        n,
        i64::from(last_uid),
        "published mails and checkpoint disagree after SIGTERM"
    );

    let d = Daemon::start(&config, &folder, port, log, &[]);
    wait_published(&*store, &slug, N as i64, LONG).await;
    assert_exactly(&*store, &slug, N).await;
    drop(d);
    stack.delete_folder(&folder).await;
}
