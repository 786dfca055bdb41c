//! The private mail stack (scripts/mailstack.sh) seen from the tests: where it listens, IMAP
//! folder creation and APPEND, SMTP delivery through Postfix, and a mail builder.

use std::path::PathBuf;

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// The running stack, from the variables `scripts/mailstack.sh start` exports.
#[derive(Debug, Clone)]
pub struct Stack {
    pub host: String,
    pub imap_port: u16,
    /// The plain relay (no TLS, no AUTH) that delivers to Dovecot.
    pub smtp_port: u16,
    /// Postfix submission: STARTTLS, then SASL through Dovecot.
    pub submission_port: u16,
    /// The same with implicit TLS.
    pub submissions_port: u16,
    pub user: String,
    pub password: String,
    pub dir: PathBuf,
    pub ca: PathBuf,
}

impl Stack {
    /// `None` when the stack is not up: the caller skips (scripts/test.sh starts it).
    pub fn from_env() -> Option<Stack> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Some(Stack {
            host: var("OUTLOUD_IMAP_HOST")?,
            imap_port: var("OUTLOUD_IMAP_PORT")?.parse().ok()?,
            smtp_port: mailstack_smtp_port()?,
            submission_port: var("OUTLOUD_SUBMISSION_PORT")?.parse().ok()?,
            submissions_port: var("OUTLOUD_SUBMISSIONS_PORT")?.parse().ok()?,
            user: var("OUTLOUD_IMAP_USER")?,
            password: var("OUTLOUD_IMAP_PASSWORD")?,
            dir: var("OUTLOUD_MAILSTACK_DIR")?.into(),
            ca: var("OUTLOUD_MAILSTACK_CA")?.into(),
        })
    }

    pub async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.imap_port))
            .await
            .expect("connect to IMAP");
        let mut client = async_imap::Client::new(tcp);
        client
            .read_response()
            .await
            .expect("IMAP greeting")
            .expect("IMAP greeting");
        client
            .login(&self.user, &self.password)
            .await
            .map_err(|(e, _)| e)
            .expect("IMAP login")
    }

    /// Create a folder (a unique name per test keeps tests apart).
    pub async fn create_folder(&self, name: &str) {
        let mut s = self.session().await;
        s.create(name)
            .await
            .unwrap_or_else(|e| panic!("IMAP CREATE {name}: {e}"));
        let _ = s.logout().await;
    }

    /// Delete a folder and its mail (at the end of a passing test).
    pub async fn delete_folder(&self, name: &str) {
        let mut s = self.session().await;
        let _ = s.delete(name).await;
        let _ = s.logout().await;
    }

    /// APPEND every mail to `folder` over one connection.
    pub async fn append_all(&self, folder: &str, mails: &[Vec<u8>]) {
        let mut s = self.session().await;
        for m in mails {
            s.append(folder, None, None, m)
                .await
                .unwrap_or_else(|e| panic!("IMAP APPEND to {folder}: {e}"));
        }
        let _ = s.logout().await;
    }

    /// Highest UID in `folder` (0 when empty).
    pub async fn max_uid(&self, folder: &str) -> u32 {
        let mut s = self.session().await;
        s.select(folder).await.expect("SELECT");
        let uids = s.uid_search("ALL").await.expect("UID SEARCH");
        let _ = s.logout().await;
        uids.into_iter().max().unwrap_or(0)
    }

    /// Number of mails in `folder`.
    pub async fn count(&self, folder: &str) -> u32 {
        let mut s = self.session().await;
        let m = s.select(folder).await.expect("SELECT");
        let _ = s.logout().await;
        m.exists
    }

    /// Send through Postfix (real SMTP dialogue); Postfix delivers to Dovecot's INBOX by LMTP.
    pub async fn smtp_send(&self, from: &str, to: &str, mail: &[u8]) {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            .port(self.smtp_port)
            .build();
        let envelope =
            lettre::address::Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()])
                .unwrap();
        transport
            .send_raw(&envelope, mail)
            .await
            .unwrap_or_else(|e| panic!("SMTP to {to}: {e}"));
    }

    /// Message-IDs (without brackets) of every mail in `folder`, with repeats.
    pub async fn message_ids(&self, folder: &str) -> Vec<String> {
        use futures::TryStreamExt;
        let mut s = self.session().await;
        let m = s.select(folder).await.expect("SELECT");
        let mut ids = Vec::new();
        if m.exists > 0 {
            let fetches: Vec<_> = s
                .fetch("1:*", "BODY.PEEK[HEADER]")
                .await
                .expect("FETCH")
                .try_collect()
                .await
                .expect("FETCH");
            for f in &fetches {
                let text = String::from_utf8_lossy(f.header().unwrap_or_default()).into_owned();
                // Unfolded, the Message-ID line.
                let unfolded = text.replace("\r\n ", " ").replace("\r\n\t", " ");
                let id = unfolded.lines().find_map(|l| {
                    let (name, v) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("message-id")
                        .then(|| v.trim().trim_matches(['<', '>']).to_string())
                });
                ids.extend(id);
            }
        }
        let _ = s.logout().await;
        ids
    }

    /// Make Postfix submission answer `RCPT TO:<address>` with `action` ("450 4.2.0 …"), or
    /// accept it again (`None`): scripts/mailstack.sh recipient-access.
    pub fn recipient_access(&self, address: &str, action: Option<&str>) {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mailstack.sh");
        let status = std::process::Command::new("bash")
            .arg(script)
            .arg("recipient-access")
            .arg(address)
            .arg(action.unwrap_or(""))
            .arg(&self.dir)
            .status()
            .expect("run scripts/mailstack.sh");
        assert!(status.success(), "mailstack.sh recipient-access {address}");
    }

    /// Wait until Postfix has handed on everything it accepted (its queue is empty).
    pub fn wait_postfix_queue_empty(&self) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            let out = std::process::Command::new("postqueue")
                .arg("-c")
                .arg(self.dir.join("postfix"))
                .arg("-p")
                .output()
                .expect("run postqueue");
            if String::from_utf8_lossy(&out.stdout).contains("Mail queue is empty") {
                return;
            }
            assert!(
                std::time::Instant::now() < end,
                "Postfix's queue did not empty within 3 minutes"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Dovecot's log, for counting logins.
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

/// The plain relay's port: `OUTLOUD_MAILSTACK_SMTP_PORT` (`OUTLOUD_SMTP_PORT` from a stack
/// started by an older scripts/mailstack.sh).
pub fn mailstack_smtp_port() -> Option<u16> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    var("OUTLOUD_MAILSTACK_SMTP_PORT")
        .or_else(|| var("OUTLOUD_SMTP_PORT"))?
        .parse()
        .ok()
}

/// A plain mail to `to`, numbered `n` under `tag`: its Message-ID is `<tag.n@faults.test>`.
pub fn mail(tag: &str, n: usize, to: &str) -> Vec<u8> {
    format!(
        "From: Alice Example <alice@corp.example>\r\n\
         To: {to}\r\n\
         Subject: {tag} note {n}\r\n\
         Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{tag}.{n}@faults.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Working out loud, note {n} of run {tag}.\r\n\
         \r\n\
         Alice\r\n"
    )
    .into_bytes()
}

/// A unique lowercase tag for folder names, group slugs and addresses. Random alone once
/// collided in CI (a CREATE answered `[ALREADYEXISTS]`), so the process id and a per-process
/// count are part of it: unique among the test binaries running at once whatever the random
/// part draws, and the random part keeps a later run's names apart from an earlier one's.
pub fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{prefix}{:06x}{n:04x}{:06x}",
        std::process::id(),
        rand::random::<u32>() >> 8
    )
}
