//! A TCP relay between a client under test and the real Dovecot, so a test can have one IMAP
//! connection ended the way Gmail and Exchange Online end idle ones without touching the
//! other tests' connections on the shared stack: the relay reaches Dovecot from a loopback
//! address of its own (127.0.0.N), so `doveadm kick USER 127.0.0.N` makes Dovecot end just
//! this connection (`* BYE Server shutting down.`), and the relay itself can cut it without a
//! word, as a NAT or firewall does. It knows when the connection idles (Dovecot's `+ idling`
//! was the last thing the server said and the client has sent nothing since), so the test
//! ends it in IDLE, not mid-command.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

/// Listens on a loopback port of its own and relays each connection to `upstream`.
pub struct Relay {
    pub port: u16,
    /// The address Dovecot sees the relayed connections come from.
    pub source: Ipv4Addr,
    accepted: Arc<AtomicUsize>,
    /// The newest connection.
    live: Arc<Mutex<Option<Link>>>,
    stop: CancellationToken,
}

/// One relayed connection.
#[derive(Clone)]
struct Link {
    to_client: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    idling: Arc<AtomicBool>,
    cut: CancellationToken,
}

impl Relay {
    /// A relay to Dovecot at `host` (an IPv4 loopback address) and `upstream_port`.
    pub async fn start(host: &str, upstream_port: u16) -> Relay {
        let listener = TcpListener::bind((host, 0)).await.expect("bind the relay");
        let port = listener.local_addr().unwrap().port();
        let ip: Ipv4Addr = host.parse().expect("the stack listens on an IPv4 address");
        assert!(ip.is_loopback(), "the stack listens on loopback");
        let source = Ipv4Addr::new(
            127,
            rand::random(),
            rand::random(),
            2 + rand::random::<u8>() % 250,
        );
        let upstream = SocketAddr::from((ip, upstream_port));
        let relay = Relay {
            port,
            source,
            accepted: Arc::default(),
            live: Arc::default(),
            stop: CancellationToken::new(),
        };
        let (accepted, live, stop) = (
            relay.accepted.clone(),
            relay.live.clone(),
            relay.stop.clone(),
        );
        tokio::spawn(async move {
            loop {
                let client = tokio::select! {
                    r = listener.accept() => r.expect("accept").0,
                    _ = stop.cancelled() => return,
                };
                let server = connect_from(source, upstream).await;
                let link = relay_pair(client, server);
                *live.lock().unwrap() = Some(link);
                accepted.fetch_add(1, Ordering::SeqCst);
            }
        });
        relay
    }

    /// Connections relayed so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The newest connection sits in IDLE.
    pub fn idling(&self) -> bool {
        let live = self.live.lock().unwrap();
        live.as_ref()
            .is_some_and(|l| l.idling.load(Ordering::SeqCst) && !l.cut.is_cancelled())
    }

    /// Close the newest connection without a word, towards the client and Dovecot alike.
    pub async fn cut(&self) {
        let link = self.live.lock().unwrap().take().expect("a connection");
        link.cut.cancel();
        let _ = link.to_client.lock().await.shutdown().await;
        // The last handle on the client's socket goes with `link`: it is closed, not half-open.
    }

    /// Have Dovecot (the stack in `stack_dir`) end `user`'s connections through this relay.
    pub fn kick_in_dovecot(&self, stack_dir: &Path, user: &str) {
        let out = std::process::Command::new("doveadm")
            .arg("-c")
            .arg(stack_dir.join("dovecot.conf"))
            .args(["kick", user, &self.source.to_string()])
            .output()
            .expect("run doveadm kick");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains(user),
            "doveadm kick: {said}"
        );
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(l) = self.live.lock().unwrap().as_ref() {
            l.cut.cancel();
        }
    }
}

/// A connection to `upstream` from the loopback address `source`.
async fn connect_from(source: Ipv4Addr, upstream: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind a loopback source address");
    socket
        .connect(upstream)
        .await
        .expect("the relay connects to Dovecot")
}

fn relay_pair(client: TcpStream, server: TcpStream) -> Link {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_r, client_w) = client.into_split();
    let (server_r, server_w) = server.into_split();
    let link = Link {
        to_client: Arc::new(tokio::sync::Mutex::new(client_w)),
        idling: Arc::default(),
        cut: CancellationToken::new(),
    };
    tokio::spawn(upstream(client_r, server_w, link.clone()));
    tokio::spawn(downstream(server_r, link.clone()));
    link
}

/// Client → Dovecot. Anything the client says ends the IDLE (as far as the relay knows).
async fn upstream(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, link: Link) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => r.unwrap_or(0),
            _ = link.cut.cancelled() => 0,
        };
        if n == 0 || link.cut.is_cancelled() {
            break;
        }
        link.idling.store(false, Ordering::SeqCst);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // Dropping both halves closes the connection to Dovecot.
    let _ = to.shutdown().await;
}

/// Dovecot → client, noting whether it just said `+ idling`.
async fn downstream(mut from: OwnedReadHalf, link: Link) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => r.unwrap_or(0),
            _ = link.cut.cancelled() => return,
        };
        let mut w = link.to_client.lock().await;
        if link.cut.is_cancelled() {
            return;
        }
        if n == 0 {
            let _ = w.shutdown().await;
            return;
        }
        // Noted before the client can see it, so its answer (DONE) clears it after.
        let idling = buf[..n].ends_with(b"+ idling\r\n");
        link.idling.store(idling, Ordering::SeqCst);
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
