//! What the baselines share: where they listen, and the one single-threaded runtime each runs on
//! (the same as one Chopin worker with `REUSEPORT=true WORKERS=1`).

use std::future::Future;
use std::io;

/// Binds `127.0.0.1:$PORT` (default 8080) and runs `serve` with the listener on a tokio
/// `current_thread` runtime.
pub fn run<F, Fut>(serve: F) -> io::Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: Future<Output = io::Result<()>>,
{
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|e| io::Error::other(format!("PORT={p}: {e}")))?,
        Err(_) => 8080,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(
            async move { serve(tokio::net::TcpListener::bind(("127.0.0.1", port)).await?).await },
        )
}
