//! Listeners, workers and shutdown.
//!
//! Two modes, chosen by `REUSEPORT`:
//! - off: one listener whose connections run on the caller's (multi-thread) tokio runtime;
//! - on: one SO_REUSEPORT listener per worker, each worker an OS thread with its own
//!   `current_thread` runtime, so the kernel spreads connections and no task ever changes thread.
//!
//! Shutdown is one [`Token`]: accept loops stop, idle connections close, requests in
//! flight finish (up to the shutdown timeout), and `serve` returns.

mod conn;
mod counters;
mod rewind;
mod service;
mod shutdown;
mod timer;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

use crate::config::{Config, Limits};
use crate::middleware::Dynamic;
use crate::service::AppContext;
use crate::static_table::StaticTable;
#[cfg(feature = "metrics")]
pub(crate) use counters::CounterSnapshot;
pub(crate) use counters::Counters;
use shutdown::{Tasks, Token};

/// What every connection of an application shares.
pub(crate) struct Shared {
    pub(crate) table: StaticTable,
    /// The dynamic routes, inside the HTTP layer's defaults.
    pub(crate) dynamic: Dynamic,
    /// Whether dynamic requests get request ids (`REQUEST_ID`).
    pub(crate) request_ids: bool,
    pub(crate) limits: Limits,
    /// The media types whose bodies may exceed `MAX_BODY_BYTES`, with their limits (uploads).
    pub(crate) streamed: Vec<(&'static str, usize)>,
    /// The services and the trusted proxies, for every request's context.
    pub(crate) context: Arc<AppContext>,
    /// Fast-path hits, handoffs and connections, for the metrics.
    pub(crate) counters: Counters,
}

impl Shared {
    /// The largest body a request with `headers` may carry: `MAX_BODY_BYTES`, or the limit a
    /// battery set for the media type it declares.
    pub(crate) fn body_limit(&self, headers: &http::HeaderMap) -> usize {
        let max = self.limits.max_body_bytes;
        if self.streamed.is_empty() {
            return max;
        }
        let Some(essence) = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
        else {
            return max;
        };
        self.streamed
            .iter()
            .find(|(media_type, _)| media_type.eq_ignore_ascii_case(essence.trim()))
            .map_or(max, |(_, limit)| (*limit).max(max))
    }
}

/// Listening sockets, bound but not yet accepting.
pub(crate) struct Listeners {
    sockets: Vec<std::net::TcpListener>,
    addr: SocketAddr,
    reuseport: bool,
}

impl Listeners {
    /// Binds the configured address: once, or once per worker with SO_REUSEPORT. With port 0 the
    /// first socket picks the port and the others join it.
    pub(crate) fn bind(config: &Config) -> io::Result<Listeners> {
        let mut addr = SocketAddr::new(config.host, config.port);
        let count = if config.reuseport {
            config.workers.get()
        } else {
            1
        };
        let mut sockets = Vec::with_capacity(count);
        for _ in 0..count {
            let socket = listen(addr, config.reuseport)?;
            addr = socket.local_addr()?;
            sockets.push(socket);
        }
        Ok(Listeners {
            sockets,
            addr,
            reuseport: config.reuseport,
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `signal` completes, then shuts down gracefully: the number of connections
    /// still serving a request when `grace` ran out, closed with it.
    pub(crate) async fn serve(
        self,
        shared: Arc<Shared>,
        signal: impl Future<Output = ()>,
        grace: Duration,
    ) -> io::Result<usize> {
        let token = Token::default();
        if !self.reuseport {
            let mut tasks = Vec::new();
            for socket in self.sockets {
                let listener = TcpListener::from_std(socket)?;
                tasks.push(tokio::spawn(accept_loop(
                    listener,
                    Arc::clone(&shared),
                    token.clone(),
                    grace,
                )));
            }
            signal.await;
            token.cancel();
            let mut cut_off = 0;
            for task in tasks {
                cut_off += task.await.map_err(io::Error::other)?;
            }
            return Ok(cut_off);
        }

        let mut workers = Vec::with_capacity(self.sockets.len());
        for (i, socket) in self.sockets.into_iter().enumerate() {
            let (shared, token) = (Arc::clone(&shared), token.clone());
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<io::Result<usize>>();
            std::thread::Builder::new()
                .name(format!("chopin-worker-{i}"))
                .spawn(move || {
                    crate::worker::enter(i);
                    let result = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .and_then(|rt| {
                            rt.block_on(async {
                                let listener = TcpListener::from_std(socket)?;
                                Ok(accept_loop(listener, shared, token, grace).await)
                            })
                        });
                    let _ = done_tx.send(result);
                })?;
            workers.push(done_rx);
        }
        signal.await;
        token.cancel();
        let mut cut_off = 0;
        for done in workers {
            match done.await {
                Ok(result) => cut_off += result?,
                Err(_) => return Err(io::Error::other("a worker thread panicked")),
            }
        }
        Ok(cut_off)
    }
}

fn listen(addr: SocketAddr, reuseport: bool) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuseport {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Accepts until `token` is cancelled, then waits up to `grace` for its connections: the number
/// still open when it ran out.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    token: Token,
    grace: Duration,
) -> usize {
    let connections = Tasks::default();
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Counted closed when the connection's task ends, or is dropped unstarted.
                    let open = shared.counters.accepted();
                    let serve = conn::serve(stream, peer, Arc::clone(&shared), token.clone());
                    connections.spawn(async move {
                        serve.await;
                        drop(open);
                    });
                }
                // Out of file descriptors or memory: back off instead of spinning on the error.
                Err(e) if is_resource_exhaustion(&e) => {
                    tracing::error!(error = %e, "accept failed; retrying in 50 ms");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // A connection that died between SYN and accept: nothing to do.
                Err(e) => tracing::debug!(error = %e, "accept failed"),
            },
        }
    }
    drop(listener);
    match tokio::time::timeout(grace, connections.wait()).await {
        Ok(()) => 0,
        // Idle connections close as soon as the token is cancelled: those left are serving.
        Err(_) => connections.len(),
    }
}

fn is_resource_exhaustion(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux.
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12))
}
