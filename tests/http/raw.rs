//! A raw HTTP/1.1 client: bytes in, parsed responses out, so tests can see exactly what the server
//! wrote (header order, the date, framing) and drive it with pipelined or malformed input.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long any single read may take before the test fails.
const READ_LIMIT: Duration = Duration::from_secs(5);

pub(crate) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct Response {
    /// The head exactly as received, with the date value replaced by `<date>`.
    pub(crate) head: String,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    /// The first header's name: `date` on the fast path, whose date comes first; hyper writes the
    /// handler's headers first and its date last.
    pub(crate) fn first_header(&self) -> &str {
        &self.headers[0].0
    }
}

impl Conn {
    pub(crate) async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Reads one response; `head_only` for the answer to a `HEAD` request.
    pub(crate) async fn response(&mut self, head_only: bool) -> Response {
        loop {
            if let Some(res) = self.parse(head_only) {
                return res;
            }
            self.fill().await;
        }
    }

    /// Sends a request and reads its response.
    pub(crate) async fn roundtrip(&mut self, request: &[u8]) -> Response {
        self.send(request).await;
        self.response(request.starts_with(b"HEAD ")).await
    }

    /// Reads until the server closes the connection, returning what came before the close.
    pub(crate) async fn until_closed(&mut self) -> Vec<u8> {
        let mut chunk = [0u8; 4096];
        loop {
            match timeout(READ_LIMIT, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return std::mem::take(&mut self.buf),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => panic!(
                    "the server did not close the connection; read so far: {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// True when the server has closed the connection and sent nothing more.
    pub(crate) async fn is_closed(&mut self) -> bool {
        self.until_closed().await.is_empty()
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        let n = timeout(READ_LIMIT, self.stream.read(&mut chunk))
            .await
            .expect("a response within 5 s")
            .expect("read");
        assert!(
            n > 0,
            "connection closed mid-response after {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        self.buf.extend_from_slice(&chunk[..n]);
    }

    fn parse(&mut self, head_only: bool) -> Option<Response> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut res = httparse::Response::new(&mut headers);
        let head_len = match res.parse(&self.buf).expect("a valid response head") {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return None,
        };
        let headers: Vec<(String, String)> = res
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8(h.value.to_vec()).expect("ascii"),
                )
            })
            .collect();
        let status = res.code.expect("status");
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().expect("numeric content-length"));
        let body_len = if head_only { 0 } else { length };
        if self.buf.len() < head_len + body_len {
            return None;
        }
        let mut head = String::from_utf8(self.buf[..head_len].to_vec()).expect("ascii head");
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("date") {
                assert_eq!(value.len(), 29, "an IMF-fixdate: {value}");
                let date = httpdate::parse_http_date(value).expect("an IMF-fixdate");
                let age = std::time::SystemTime::now()
                    .duration_since(date)
                    .unwrap_or_default();
                assert!(age <= Duration::from_secs(2), "a current date: {value}");
                head = head.replacen(value.as_str(), "<date>", 1);
            }
        }
        let body = self.buf[head_len..head_len + body_len].to_vec();
        self.buf.drain(..head_len + body_len);
        Some(Response {
            head,
            status,
            headers,
            body,
        })
    }
}
