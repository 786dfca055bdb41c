//! The accept loop of the read view, with every connection bounded: `axum::serve` has no
//! header-read or idle timeout and no connection cap, so idle, half-open and kept-alive
//! connections would pile up until the process runs out of file descriptors.
//!
//! - Each connection is served by hyper's HTTP/1 connection with a [`TokioTimer`] and
//!   `header_read_timeout`: a request head must arrive within [`Limits::header_timeout`] of
//!   the connection opening or of the previous response, so the same bound closes idle
//!   keep-alive connections and slow-loris clients.
//! - At most [`Limits::max_connections`] are open. At the cap, a new connection makes room by
//!   closing the connection that has been idle (no request in hand) longest, so real clients
//!   and `/healthz` keep being served during a flood of idle connections; only when every
//!   connection is busy is the new one refused. Either way a warning is logged (once per
//!   episode, not once per connection).
//! - Request heads are limited by hyper's buffer ([`HEAD_BUFFER`]); bodies by
//!   [`super::MAX_BODY_BYTES`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Bytes hyper buffers for one request head (request line and headers); larger heads get
/// 431. Real browsers send a few KB.
pub const HEAD_BUFFER: usize = 64 * 1024;

/// How the read view bounds its connections (`[web]` keys of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    /// Time allowed for a request head, from connect or from the previous response.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Counters of the accept loop, shared with the caller (tests and benchmarks read them).
#[derive(Debug, Default)]
pub struct ConnectionStats {
    open: AtomicUsize,
    accepted: AtomicU64,
    /// Idle connections closed to make room at the cap.
    evicted: AtomicU64,
    /// Connections refused at the cap because every open one was busy.
    refused: AtomicU64,
}

impl ConnectionStats {
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// One open connection as the registry sees it.
struct Conn {
    /// Requests in hand (0: waiting for a request head, so cheap to close).
    busy: AtomicUsize,
    close: CancellationToken,
}

/// The open connections, oldest first (ids increase with accept order).
#[derive(Default)]
struct Registry {
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            close: CancellationToken::new(),
        });
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// Close the longest-idle connection; false when every connection has a request in hand.
    fn evict_oldest_idle(&self) -> bool {
        let mut map = self.lock();
        let victim = map
            .iter()
            .find(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match victim.and_then(|id| map.remove(&id)) {
            Some(conn) => {
                conn.close.cancel();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Serve `router` on `listener` until `shutdown`, then let requests in hand finish.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    shutdown: CancellationToken,
) {
    let registry = Arc::new(Registry::default());
    let tasks = TaskTracker::new();
    // True while the cap is reached, so the warning is logged once per episode.
    let at_cap = AtomicBool::new(false);
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the cap should keep
                    // the process well below its descriptor limit.
                    tracing::warn!(error = %e, "read view: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if registry.len() >= limits.max_connections {
            if !make_room(&registry, &stats, &at_cap, limits.max_connections) {
                continue;
            }
        } else if at_cap.swap(false, Ordering::Relaxed) {
            tracing::info!(
                max = limits.max_connections,
                "read view: back under the connection cap"
            );
        }
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        let (id, conn) = registry.add();
        let job = Connection {
            stream,
            router: router.clone(),
            limits,
            conn,
            shutdown: shutdown.clone(),
        };
        let (registry, stats) = (registry.clone(), stats.clone());
        tasks.spawn(async move {
            stats.open.fetch_add(1, Ordering::Relaxed);
            job.run().await;
            registry.remove(id);
            stats.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

/// At the cap: close the longest-idle connection (true), or refuse the new one (false).
fn make_room(
    registry: &Registry,
    stats: &ConnectionStats,
    at_cap: &AtomicBool,
    max: usize,
) -> bool {
    let evicted = registry.evict_oldest_idle();
    if evicted {
        stats.evicted.fetch_add(1, Ordering::Relaxed);
    } else {
        stats.refused.fetch_add(1, Ordering::Relaxed);
    }
    if !at_cap.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            max,
            "read view: connection cap reached; closing the longest-idle connection for each \
             new one (refusing new ones while every connection is busy)"
        );
    }
    evicted
}

/// One accepted connection and what it needs to be served.
struct Connection {
    stream: TcpStream,
    router: Router,
    limits: Limits,
    conn: Arc<Conn>,
    shutdown: CancellationToken,
}

impl Connection {
    async fn run(self) {
        let Connection {
            stream,
            router,
            limits,
            conn,
            shutdown,
        } = self;
        let _ = stream.set_nodelay(true);
        let counted = conn.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let (router, conn) = (router.clone(), counted.clone());
            conn.busy.fetch_add(1, Ordering::AcqRel);
            async move {
                let res = router.oneshot(req.map(Body::new)).await;
                conn.busy.fetch_sub(1, Ordering::AcqRel);
                Ok::<_, Infallible>(res.unwrap_or_else(|e: Infallible| match e {}))
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(HEAD_BUFFER)
            .keep_alive(true);
        let served = builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(served);
        let mut closing = false;
        loop {
            tokio::select! {
                result = served.as_mut() => {
                    if let Err(e) = result {
                        // Timeouts and resets are routine; nothing for an operator to act on.
                        tracing::debug!(error = %e, "read view: connection ended");
                    }
                    break;
                }
                () = conn.close.cancelled(), if !closing => {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
                () = shutdown.cancelled(), if !closing => {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
