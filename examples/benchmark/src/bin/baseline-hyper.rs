//! Baseline of Chopin's fast route: plain hyper 1.x (`server::conn::http1` with `service_fn`) on
//! one `current_thread` runtime, no router, no tower.
//!
//! `GET /plaintext` answers `Hello, World!` as text/plain, anything else `404`. Pipelined
//! responses are flushed together (`pipeline_flush(true)`). Listens on `127.0.0.1:$PORT`
//! (default 8080).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::GET && req.uri().path() == "/plaintext" {
        let mut res = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Ok(res)
    } else {
        let mut res = Response::new(Full::new(Bytes::new()));
        *res.status_mut() = StatusCode::NOT_FOUND;
        Ok(res)
    }
}

fn main() -> std::io::Result<()> {
    benchmark::run(|listener| async move {
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                // A client that resets mid-request is not the server's failure: drop it.
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    })
}
