//! The practical ceiling for Chopin's fast route: a hand-written tokio + httparse server on one
//! `current_thread` runtime that can do nothing but answer `Hello, World!`.
//!
//! Per connection it reads into a buffer, parses every complete request in it, appends one
//! precomputed `200 OK` (with a `date` cached per thread and refreshed when the second changes)
//! per request to one output buffer and writes that buffer once, so a pipelined batch is answered
//! in a single write. No routing, no request bodies, no timeouts: anything a real server must do
//! beyond this is overhead the benchmark charges to it. Listens on `127.0.0.1:$PORT` (default 8080).

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The response up to the date value.
const HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\ndate: ";
/// The response after the date value.
const TAIL: &[u8] = b"\r\n\r\nHello, World!";
/// Length of an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
const DATE_LEN: usize = 29;
/// Largest request head we buffer; a client that sends more without completing a head is dropped.
const BUF_LEN: usize = 16 * 1024;

/// The full response, with the date of the second it was last refreshed in.
struct Cached {
    second: u64,
    response: Vec<u8>,
}

thread_local! {
    static RESPONSE: RefCell<Cached> = RefCell::new(Cached {
        second: u64::MAX,
        response: [HEAD, &[b' '; DATE_LEN], TAIL].concat(),
    });
}

/// Appends `count` responses to `out`, refreshing the cached date first if the second changed.
fn push_responses(out: &mut Vec<u8>, count: usize) {
    RESPONSE.with_borrow_mut(|cached| {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if second != cached.second {
            let date = httpdate::fmt_http_date(now);
            cached.response[HEAD.len()..HEAD.len() + DATE_LEN].copy_from_slice(date.as_bytes());
            cached.second = second;
        }
        out.reserve(cached.response.len() * count);
        for _ in 0..count {
            out.extend_from_slice(&cached.response);
        }
    });
}

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; BUF_LEN];
    let mut filled = 0;
    let mut out = Vec::with_capacity(4096);
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        let mut consumed = 0;
        let mut count = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[consumed..filled]) {
                Ok(httparse::Status::Complete(len)) => {
                    consumed += len;
                    count += 1;
                }
                Ok(httparse::Status::Partial) => break,
                Err(_) => {
                    stream
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await?;
                    return Ok(());
                }
            }
        }
        if count > 0 {
            push_responses(&mut out, count);
            stream.write_all(&out).await?;
            out.clear();
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        if filled == buf.len() {
            return Ok(()); // a head larger than the buffer: not a client of this benchmark
        }
    }
}

fn main() -> std::io::Result<()> {
    benchmark::run(|listener| async move {
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                // A client that resets mid-batch is not the server's failure: drop it.
                let _ = serve(stream).await;
            });
        }
    })
}
