//! One connection: the fast path first, hyper after the first request the table does not serve.
//!
//! The fast path reads into a buffer, parses every complete request head with httparse, and
//! while requests hit the static table appends their precomputed responses to one write buffer,
//! so a pipelined batch is answered with one write. The first request that misses (a dynamic
//! route, a body, an upgrade, `Connection: close`, HTTP/1.0) ends the fast path: the responses
//! before it are flushed, then the connection and every byte not yet answered go to hyper, in
//! order. Limits hold on both sides: an oversized head or too many headers get `431`, a head that
//! does not arrive within the read timeout gets `408`, a malformed one gets `400`, and so does an
//! HTTP/1.1 request without exactly one `host` line (RFC 9112, 3.2); each closes only this
//! connection.
//!
//! A fast response is the same bytes for every request, the date aside: no `x-request-id`, no
//! access log line; the fast path only counts its hits, per batch, for the metrics. Echoing an id
//! or logging would cost more per request than the answer itself, and such a response carries no
//! per-request state worth correlating. Dynamic responses, hyper's, carry `x-request-id`. A route
//! with compressed variants (precomputed too) is the one place the fast path reads a header to
//! answer: `accept-encoding`, to choose among them.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use httparse::Status;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Duration, Instant, timeout};

use super::Shared;
use super::rewind::Rewind;
use super::service::HyperService;
use super::shutdown::{Shutdown, Token};
use super::timer::ConnectionTimer;
use crate::compression::{self, Encoding};
use crate::date::{self, DATE_LEN};
use crate::fast_route::{Prepared, Variant};
use crate::service::RequestContext;
use crate::static_table::{Hit, StaticTable};

/// hyper's default header capacity; asking for another makes it allocate per request.
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;

/// What the fast path made of the front of its buffer.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// A request was answered from the table; it was this many bytes long.
    Served(usize),
    /// The buffer holds an incomplete head: read more.
    Partial,
    /// The request is not the table's: hand the connection to hyper.
    Miss,
    /// The request is refused with this status line, and the connection closed.
    Reject(&'static str),
}

pub(crate) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Token,
) {
    // Responses are written whole, so Nagle's algorithm would only add latency.
    let _ = stream.set_nodelay(true);
    if shared.table.is_empty() {
        return handoff(stream, peer, Bytes::new(), &shared, &shutdown).await;
    }
    let limits = &shared.limits;
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut out = Vec::with_capacity(8 * 1024);
    // The read timeout: one tokio timer for the connection's life, re-armed only when it fires
    // before the current deadline. A `timeout()` around every read would register and deregister
    // a timer per read, which costs more than answering a fast route.
    let mut deadline = Instant::now() + limits.read_timeout;
    let timer = tokio::time::sleep_until(deadline);
    tokio::pin!(timer);
    let mut stopping = Shutdown::new(&shutdown);

    loop {
        let date = date::now();
        let before = buf.len();
        let mut served = 0;
        let step = loop {
            if buf.is_empty() {
                break Step::Partial;
            }
            let step = parse(
                &buf,
                limits.max_headers,
                &shared.table,
                limits.max_head_bytes,
                &date,
                &mut out,
            );
            match step {
                Step::Served(n) => {
                    buf.advance(n);
                    served += 1;
                }
                other => break other,
            }
        };
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
            // Once per batch, on this thread's own counter.
            shared.counters.fast_hits(served);
        }
        match step {
            Step::Partial | Step::Served(_) => {}
            Step::Miss => return handoff(stream, peer, buf.freeze(), &shared, &shutdown).await,
            Step::Reject(status) => return reject(stream, status).await,
        }

        // A head must arrive whole within the timeout of the moment it was first waited for:
        // the clock restarts when a request was answered, not on every read, so a client that
        // trickles a head byte by byte is still cut off.
        if buf.is_empty() || buf.len() < before {
            deadline = Instant::now() + limits.read_timeout;
        }
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(8 * 1024);
        }
        let read = loop {
            tokio::select! {
                biased;
                // Between requests, shutdown closes the connection; mid-request, the request is
                // read to its end and answered first.
                () = &mut stopping, if buf.is_empty() => return,
                read = stream.read_buf(&mut buf) => break read,
                () = timer.as_mut() => {
                    if timer.deadline() >= deadline {
                        if buf.is_empty() {
                            return;
                        }
                        return reject(stream, "408 Request Timeout").await;
                    }
                    timer.as_mut().reset(deadline);
                }
            }
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Parses the request at the front of `buf` and, if the table serves it, appends its response.
fn parse(
    buf: &[u8],
    max_headers: usize,
    table: &StaticTable,
    max_head: usize,
    date: &[u8; DATE_LEN],
    out: &mut Vec<u8>,
) -> Step {
    // Uninitialised, so a parse costs nothing for header slots it does not use.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let slots = &mut headers[..max_headers.min(MAX_HEADERS)];
    let len = match req.parse_with_uninit_headers(buf, slots) {
        Ok(Status::Complete(len)) if len > max_head => return Step::Reject(TOO_LARGE),
        Ok(Status::Complete(len)) => len,
        Ok(Status::Partial) if buf.len() > max_head => return Step::Reject(TOO_LARGE),
        Ok(Status::Partial) => return Step::Partial,
        Err(httparse::Error::TooManyHeaders) => return Step::Reject(TOO_LARGE),
        Err(_) => return Step::Reject("400 Bad Request"),
    };
    // HTTP/1.0 has other keep-alive rules: hyper implements them.
    if req.version != Some(1) {
        return Step::Miss;
    }
    // One pass over the headers: whether hyper must take the request, and how many `host`
    // lines it has (RFC 9112, 3.2: an HTTP/1.1 request has exactly one).
    let mut hosts = 0u32;
    for h in &*req.headers {
        match h.name.len() {
            4 => hosts += u32::from(h.name.eq_ignore_ascii_case("host")),
            // hyper's service refuses the same missing or repeated `host`.
            _ if needs_hyper(h) => return Step::Miss,
            _ => {}
        }
    }
    if hosts != 1 {
        return Step::Reject("400 Bad Request");
    }
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Step::Reject("400 Bad Request");
    };
    match table.lookup(method.as_bytes(), target.as_bytes()) {
        Some(Hit::Full(r)) => {
            let v = variant(r, req.headers);
            v.full.write_to(out, v.full.bytes.len(), date);
        }
        Some(Hit::Head(r)) => {
            let v = variant(r, req.headers);
            v.full.write_to(out, v.head_len, date);
        }
        Some(Hit::Preflight(p)) => p.wire.write_to(out, p.wire.bytes.len(), date),
        None => return Step::Miss,
    }
    Step::Served(len)
}

/// The response of `route` this request accepts. Only a route with compressed variants reads
/// `accept-encoding`: the others cost nothing more.
#[inline]
fn variant<'r>(route: &'r Prepared, headers: &[httparse::Header<'_>]) -> Variant<'r> {
    if route.compressed.is_none() {
        return route.variant(Encoding::Identity);
    }
    let accepted = headers
        .iter()
        .filter(|h| h.name.len() == 15 && h.name.eq_ignore_ascii_case("accept-encoding"))
        .map(|h| h.value);
    route.variant(compression::negotiate(accepted))
}

/// The most header slots a request may use; `MAX_HEADERS` is capped at this.
pub(crate) const MAX_HEADERS: usize = 256;

const TOO_LARGE: &str = "431 Request Header Fields Too Large";

/// Headers after which a request is not a plain static read: a body to consume, an upgrade, a
/// connection to close after the response, or an expectation to answer.
#[inline]
fn needs_hyper(h: &httparse::Header<'_>) -> bool {
    let name = h.name.as_bytes();
    match name.len() {
        14 => name.eq_ignore_ascii_case(b"content-length") && h.value != b"0",
        17 => name.eq_ignore_ascii_case(b"transfer-encoding"),
        10 => {
            name.eq_ignore_ascii_case(b"connection") && !h.value.eq_ignore_ascii_case(b"keep-alive")
        }
        7 => name.eq_ignore_ascii_case(b"upgrade"),
        6 => name.eq_ignore_ascii_case(b"expect"),
        _ => false,
    }
}

/// The rest of the connection's life, in hyper.
async fn handoff(
    stream: TcpStream,
    peer: SocketAddr,
    read: Bytes,
    shared: &Arc<Shared>,
    shutdown: &Token,
) {
    shared.counters.handoff();
    let limits = &shared.limits;
    let mut builder = http1::Builder::new();
    builder
        .timer(ConnectionTimer)
        .header_read_timeout(limits.read_timeout)
        .max_header_size(limits.max_head_bytes);
    // Not `pipeline_flush(true)`: with it, hyper 1.12 never writes the automatic 400/431 for a
    // bad request that follows a good one on the same connection.
    if limits.max_headers != HYPER_DEFAULT_MAX_HEADERS {
        builder.max_headers(limits.max_headers);
    }
    let service = HyperService {
        shared: Arc::clone(shared),
        context: RequestContext {
            peer,
            app: Arc::clone(&shared.context),
        },
        dynamic: RefCell::new(shared.dynamic.clone()),
    };
    let conn = builder
        .serve_connection(TokioIo::new(Rewind::new(stream, read)), service)
        .with_upgrades();
    ConnectionTimer::scope(async {
        tokio::pin!(conn);
        tokio::select! {
            biased;
            _ = conn.as_mut() => {}
            () = Shutdown::new(shutdown) => {
                // Finishes the request in flight, then closes instead of waiting for another.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    })
    .await;
}

/// Answers with an error status and closes, reading what the client still sends for a moment so
/// that the close does not reset the connection before the client has read the answer.
async fn reject(mut stream: TcpStream, status: &str) {
    let mut res = Vec::with_capacity(128);
    res.extend_from_slice(b"HTTP/1.1 ");
    res.extend_from_slice(status.as_bytes());
    res.extend_from_slice(b"\r\ndate: ");
    res.extend_from_slice(&date::now());
    res.extend_from_slice(b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    if stream.write_all(&res).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 256 * 1024 {
        match timeout(Duration::from_millis(500), stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FastRoute;
    use crate::compression::Compression;

    fn run(table: &StaticTable, input: &[u8]) -> (Step, String) {
        let mut out = Vec::new();
        let step = parse(
            input,
            8,
            table,
            1024,
            b"Sun, 06 Nov 1994 08:49:37 GMT",
            &mut out,
        );
        (step, String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn steps() {
        let table = StaticTable::new(
            vec![
                FastRoute::text("/t", "hi")
                    .prepare(Compression::OFF)
                    .expect("valid"),
            ],
            None,
        )
        .expect("table");
        let get = b"GET /t HTTP/1.1\r\nHost: x\r\n\r\n";
        let (step, out) = run(&table, get);
        assert_eq!(step, Step::Served(get.len()));
        assert!(out.starts_with("HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
        assert!(out.ends_with("\r\n\r\nhi"));

        const BAD: Step = Step::Reject("400 Bad Request");
        let cases: [(&[u8], Step); 15] = [
            (b"GET /t HTTP/1.1\r\nHost: x\r\n", Step::Partial),
            (b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n", Step::Miss),
            (b"GET /t HTTP/1.0\r\n\r\n", Step::Miss),
            (b"GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Step::Miss),
            (b"GET /t HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", Step::Miss),
            (b"GET /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", Step::Miss),
            (b"GET /t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", Step::Miss),
            (b"GET\x01/t HTTP/1.1\r\nHost: x\r\n\r\n", BAD),
            (b"GET /t HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\ne: 1\r\nf: 1\r\ng: 1\r\nh: 1\r\ni: 1\r\n\r\n", Step::Reject(TOO_LARGE)),
            // `host`: exactly one on HTTP/1.1, wherever the request would go.
            (b"GET /t HTTP/1.1\r\n\r\n", BAD),
            (b"GET /other HTTP/1.1\r\nAccept: */*\r\n\r\n", BAD),
            (b"GET /t HTTP/1.1\r\nHost: x\r\nHOST: y\r\n\r\n", BAD),
            (b"GET /t HTTP/1.1\r\nhost: x\r\nX: 1\r\n\r\n", Step::Served(34)),
            (b"GET /t HTTP/1.1\r\nHosts: x\r\n\r\n", BAD),
            // A request hyper takes anyway is refused there, with the same status.
            (b"GET /t HTTP/1.1\r\nConnection: close\r\n\r\n", Step::Miss),
        ];
        for (input, expected) in cases {
            assert_eq!(
                run(&table, input).0,
                expected,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let (step, _) = run(
            &table,
            b"GET /t HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(matches!(step, Step::Served(_)));
        let long = [b"GET /t HTTP/1.1\r\nx: ".as_slice(), &[b'a'; 2000]].concat();
        assert_eq!(run(&table, &long).0, Step::Reject(TOO_LARGE));
    }

    #[test]
    #[cfg(feature = "compression")]
    fn a_route_with_variants_is_answered_in_the_accepted_encoding() {
        let table = StaticTable::new(
            vec![
                FastRoute::text("/big", "all work and no play ".repeat(100))
                    .prepare(Compression::new(true, 1024))
                    .expect("valid"),
            ],
            None,
        )
        .expect("table");
        let cases: [(&str, &str, Option<&str>); 7] = [
            ("GET", "", None),
            ("GET", "Accept-Encoding: gzip, deflate, br\r\n", Some("br")),
            ("GET", "accept-encoding: GZIP\r\n", Some("gzip")),
            ("GET", "Accept-Encoding: br;q=0, *\r\n", Some("gzip")),
            ("GET", "Accept-Encoding: identity\r\n", None),
            (
                "GET",
                "Accept-Encoding: gzip\r\nAccept-Encoding: br\r\n",
                Some("br"),
            ),
            ("HEAD", "Accept-Encoding: br\r\n", Some("br")),
        ];
        for (method, accept, expected) in cases {
            let req = format!("{method} /big HTTP/1.1\r\nHost: x\r\n{accept}\r\n");
            let (step, out) = {
                let mut out = Vec::new();
                let step = parse(req.as_bytes(), 8, &table, 1024, &date::now(), &mut out);
                (step, out)
            };
            assert_eq!(step, Step::Served(req.len()), "{req}");
            let head_end = out
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a head")
                + 4;
            let head = String::from_utf8_lossy(&out[..head_end]);
            let encoding = head
                .lines()
                .find_map(|l| l.strip_prefix("content-encoding: "));
            assert_eq!(encoding, expected, "{req}");
            assert!(head.contains("\r\nvary: accept-encoding\r\n"), "{head}");
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.parse().ok())
                .expect("a length");
            let body = out.len() - head_end;
            assert_eq!(body, if method == "HEAD" { 0 } else { length }, "{req}");
        }
    }
}
