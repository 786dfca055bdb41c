//! The private mail stack (scripts/mailstack.sh) seen from the tests: where it listens, IMAP
//! folder creation and APPEND, SMTP delivery through Postfix, and a mail builder.

use std::path::PathBuf;

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// The running stack, from the variables `scripts/mailstack.sh start` exports.
#[derive(Debug, Clone)]
pub struct Stack {
    pub host: String,
    pub imap_port: u16,
    pub smtp_port: u16,
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
            smtp_port: var("OUTLOUD_SMTP_PORT")?.parse().ok()?,
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

    /// Dovecot's log, for counting logins.
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
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

/// A unique lowercase tag for folder names, group slugs and addresses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{:08x}", rand::random::<u32>())
}
