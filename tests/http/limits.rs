//! Every limit and every malformed input gets its status, closes only its own connection, and
//! leaves the server serving everyone else. Each is checked on the fast path (a fresh connection)
//! and on the hyper path (a connection that a dynamic request has already moved to hyper).

use std::time::{Duration, Instant};

use chopin::{Config, Limits};

use super::raw::Conn;
use super::spawn;
use chopin::testing::TestApp;

fn limited() -> Config {
    Config {
        limits: Limits {
            max_head_bytes: 1024,
            max_headers: 8,
            max_body_bytes: 16,
            read_timeout: Duration::from_millis(300),
            handler_timeout: Duration::from_millis(150),
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn a_handler_past_the_handler_timeout_is_a_504_and_the_connection_goes_on() {
    let app = spawn(limited()).await;
    let mut c = conn(&app, true).await;
    let start = Instant::now();
    // `/slow` takes 400 ms; the limit is 150.
    let res = c.roundtrip(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let took = start.elapsed();
    assert_eq!(res.status, 504);
    assert_eq!(
        res.text(),
        r#"{"error":"timeout","message":"the request took longer than the server allows (HANDLER_TIMEOUT_MS)"}"#
    );
    assert!(took < Duration::from_millis(350), "answered after {took:?}");
    // The same connection serves the next request.
    let res = c
        .roundtrip(b"GET /users/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.text(), "user 2");
}

/// A connection on the fast path, or one already handed to hyper.
async fn conn(app: &TestApp, on_hyper: bool) -> Conn {
    let mut c = Conn::open(app.addr()).await;
    if on_hyper {
        let res = c
            .roundtrip(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!(res.text(), "user 1");
    }
    c
}

/// The server still answers a new client.
async fn still_serving(app: &TestApp) {
    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.text(), "Hello, World!");
}

/// The status line of the answer, and that the connection was closed after it.
async fn status_then_close(c: &mut Conn) -> String {
    let rest = c.until_closed().await;
    let text = String::from_utf8_lossy(&rest);
    text.lines().next().unwrap_or("").to_owned()
}

#[tokio::test]
async fn an_oversized_head_is_431() {
    let app = spawn(limited()).await;
    let big = format!(
        "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2000)
    );
    for on_hyper in [false, true] {
        let mut c = conn(&app, on_hyper).await;
        c.send(big.as_bytes()).await;
        assert_eq!(
            status_then_close(&mut c).await,
            "HTTP/1.1 431 Request Header Fields Too Large",
            "hyper: {on_hyper}"
        );
    }
    // An oversized head that never ends is refused as soon as it passes the limit.
    let mut c = Conn::open(app.addr()).await;
    c.send(format!("GET /plaintext HTTP/1.1\r\nX-Endless: {}", "a".repeat(1100)).as_bytes())
        .await;
    assert_eq!(
        status_then_close(&mut c).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn too_many_headers_is_431() {
    let app = spawn(limited()).await;
    let mut req = String::from("GET /plaintext HTTP/1.1\r\n");
    for i in 0..9 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    for on_hyper in [false, true] {
        let mut c = conn(&app, on_hyper).await;
        c.send(req.as_bytes()).await;
        assert_eq!(
            status_then_close(&mut c).await,
            "HTTP/1.1 431 Request Header Fields Too Large",
            "hyper: {on_hyper}"
        );
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn a_slow_client_is_timed_out() {
    let app = spawn(limited()).await;
    // Fast path: a partial head that stalls gets 408.
    let mut c = Conn::open(app.addr()).await;
    c.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n").await;
    let start = Instant::now();
    assert_eq!(
        status_then_close(&mut c).await,
        "HTTP/1.1 408 Request Timeout"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "not before the timeout"
    );
    // A head trickled byte by byte is cut off at the same deadline: the clock does not restart
    // on every read.
    let mut c = Conn::open(app.addr()).await;
    let start = Instant::now();
    for byte in b"GET /plaintext HTTP/1.1\r\nHost: x\r\n".iter().take(8) {
        c.send(&[*byte]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status_then_close(&mut c).await,
        "HTTP/1.1 408 Request Timeout"
    );
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(550),
        "timed out after {took:?}, not at 300 ms"
    );
    // Hyper path: the connection is closed.
    let mut c = conn(&app, true).await;
    c.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n").await;
    let answer = status_then_close(&mut c).await;
    assert!(
        answer.is_empty() || answer == "HTTP/1.1 408 Request Timeout",
        "{answer}"
    );
    // An idle keep-alive connection is closed without an answer.
    let mut c = conn(&app, false).await;
    assert_eq!(
        c.roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .status,
        200
    );
    assert!(c.is_closed().await);
    still_serving(&app).await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn(limited()).await;
    let res = app.post("/echo").body("0123456789abcdef").send().await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "0123456789abcdef")
    );
    let res = app.post("/echo").body("0123456789abcdefg").send().await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.text(),
        r#"{"error":"payload_too_large","message":"the body is over the limit of 16 bytes (`MAX_BODY_BYTES`)"}"#
    );
    // Chunked, so the length is only known while reading.
    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n4\r\nmore\r\n0\r\n\r\n")
        .await;
    assert_eq!(res.status, 413);
    still_serving(&app).await;
}

#[tokio::test]
async fn a_limit_above_axums_own_default_is_honoured() {
    let mut config = limited();
    config.limits.max_body_bytes = 3 * 1024 * 1024;
    let app = spawn(config).await;
    let body = vec![b'x'; 2 * 1024 * 1024 + 100];
    let res = app.post("/echo").body(body.clone()).send().await;
    assert_eq!(
        (res.status().as_u16(), res.bytes().len()),
        (200, body.len())
    );
    let res = app
        .post("/echo")
        .body(vec![b'x'; 3 * 1024 * 1024 + 1])
        .send()
        .await;
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let app = spawn(limited()).await;
    let inputs: [&[u8]; 4] = [
        b"GET\x01/plaintext HTTP/1.1\r\n\r\n",
        b"hello there\r\n\r\n",
        b"GET /plaintext HTTP/9.9\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nbad header\r\n\r\n",
    ];
    for input in inputs {
        for on_hyper in [false, true] {
            let mut c = conn(&app, on_hyper).await;
            c.send(input).await;
            assert_eq!(
                status_then_close(&mut c).await,
                "HTTP/1.1 400 Bad Request",
                "{:?} (hyper: {on_hyper})",
                String::from_utf8_lossy(input)
            );
        }
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn requests_answered_before_a_bad_one_in_a_batch_are_kept() {
    let app = spawn(limited()).await;
    let mut c = Conn::open(app.addr()).await;
    c.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET\x01/ HTTP/1.1\r\n\r\n")
        .await;
    let all = String::from_utf8(c.until_closed().await).expect("ascii");
    // The body has no line end, so status lines are found by their prefix.
    let statuses: Vec<&str> = all
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|r| r.split("\r\n").next().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["200 OK", "400 Bad Request"]);
    assert!(all.contains("\r\n\r\nHello, World!HTTP/1.1 400"));
}

#[tokio::test]
async fn an_http_1_1_request_without_exactly_one_host_is_400() {
    let app = spawn(limited()).await;
    let inputs: [&[u8]; 6] = [
        b"GET /plaintext HTTP/1.1\r\n\r\n",
        b"GET /users/1 HTTP/1.1\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET /users/1 HTTP/1.1\r\nhost: x\r\nHOST: x\r\n\r\n",
        // A request the fast path hands to hyper anyway.
        b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
        // Two hosts are one too many in any version.
        b"GET /users/1 HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n",
    ];
    for input in inputs {
        for on_hyper in [false, true] {
            let mut c = conn(&app, on_hyper).await;
            c.send(input).await;
            let answer = String::from_utf8(c.until_closed().await).expect("ascii");
            let what = format!("{:?} (hyper: {on_hyper})", String::from_utf8_lossy(input));
            // hyper answers HTTP/1.0 in its version.
            assert!(
                answer.starts_with("HTTP/1.1 400 Bad Request\r\n")
                    || answer.starts_with("HTTP/1.0 400 Bad Request\r\n"),
                "{what}: {answer}"
            );
            // Refused in the fast path's parse, the answer is bare; by hyper's service (which
            // takes bodies and HTTP/1.0), it is the JSON error of every other refusal.
            let by_hyper = on_hyper
                || input.starts_with(b"POST")
                || input.windows(8).any(|w| w == b"HTTP/1.0");
            if by_hyper {
                assert!(
                    answer.contains(r#"{"error":"bad_request","message":"the request has "#),
                    "{what}: {answer}"
                );
                assert!(answer.contains("`host` header"), "{what}: {answer}");
            } else {
                assert!(
                    answer.contains("\r\ncontent-length: 0\r\n"),
                    "{what}: {answer}"
                );
            }
        }
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn an_http_1_0_request_without_host_is_served() {
    let app = spawn(limited()).await;
    for (input, body) in [
        (
            b"GET /plaintext HTTP/1.0\r\n\r\n".as_slice(),
            "Hello, World!",
        ),
        (b"GET /users/3 HTTP/1.0\r\n\r\n", "user 3"),
    ] {
        let mut c = Conn::open(app.addr()).await;
        let res = c.roundtrip(input).await;
        assert_eq!((res.status, res.text()), (200, body));
    }
}
