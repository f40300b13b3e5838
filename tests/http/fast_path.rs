//! Fast routes answered from precomputed bytes, and everything that must leave the fast path.

use chopin::prelude::*;
use chopin::testing::TestApp;

use super::raw::Conn;
use super::spawn_default;

const PLAINTEXT: &str = "HTTP/1.1 200 OK\r\ndate: <date>\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\n\r\n";

#[tokio::test]
async fn a_fast_route_is_answered_byte_for_byte() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.head, PLAINTEXT);
    assert_eq!(res.text(), "Hello, World!");

    let res = c
        .roundtrip(b"GET /api/status?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(
        res.head,
        "HTTP/1.1 200 OK\r\ndate: <date>\r\ncontent-type: application/json\r\ncache-control: public, max-age=5\r\n\
         access-control-allow-origin: *\r\nx-content-type-options: nosniff\r\ncontent-length: 15\r\n\r\n"
    );
    assert_eq!(res.text(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn head_gets_the_same_head_and_no_body() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    // Pipelined so that a stray body after the HEAD answer would show up in front of the GET's.
    c.send(
        b"HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    let head = c.response(true).await;
    let get = c.response(false).await;
    assert_eq!(head.head, PLAINTEXT);
    assert!(head.body.is_empty());
    assert_eq!(get.head, PLAINTEXT);
    assert_eq!(get.text(), "Hello, World!");
}

#[tokio::test]
async fn options_on_a_cors_route_is_a_precomputed_preflight() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(
            b"OPTIONS /api/status HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\nAccess-Control-Request-Method: GET\r\n\r\n",
        )
        .await;
    assert_eq!(
        res.head,
        "HTTP/1.1 204 No Content\r\ndate: <date>\r\naccess-control-allow-origin: *\r\n\
         access-control-allow-methods: GET, HEAD, OPTIONS\r\nallow: GET, HEAD, OPTIONS\r\n\
         access-control-allow-headers: *\r\naccess-control-max-age: 86400\r\n\r\n"
    );
    // A route without CORS has no preflight: OPTIONS is a method it does not answer.
    let res = c
        .roundtrip(b"OPTIONS /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.status, 405);
    assert!(
        res.head.contains("\r\nallow: GET, HEAD\r\n"),
        "{}",
        res.head
    );
}

#[tokio::test]
async fn a_method_the_fast_route_does_not_answer_falls_through_to_the_router() {
    let app = spawn_default().await;
    let res = app.post("/api/status").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "posted status"));
    // No dynamic route takes the other methods of a fast route's path: `405`, with what it allows.
    let res = app.delete("/plaintext").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    // `post_only`: GET is not the fast route's, POST with a body is served from the table by hyper.
    let res = app.get("/submit").send().await;
    assert_eq!(
        (res.status().as_u16(), res.header("allow")),
        (405, Some("POST"))
    );
    let res = app.post("/submit").body("payload").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "accepted"));
}

#[tokio::test]
async fn a_pipelined_batch_is_answered_in_order_across_the_handoff() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    c.send(
        b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n\
          HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /users/8 HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    let mut got = Vec::new();
    for head_only in [false, false, false, false, true, false] {
        got.push(c.response(head_only).await);
    }
    let bodies: Vec<&str> = got.iter().map(|r| r.text()).collect();
    assert_eq!(
        bodies,
        [
            "Hello, World!",
            r#"{"status":"ok"}"#,
            "user 7",
            "Hello, World!",
            "",
            "user 8"
        ]
    );
    // The two hits before the miss come from the fast path (date first); from the miss on, hyper
    // writes every response (date last), fast routes included.
    let first: Vec<&str> = got.iter().map(|r| r.first_header()).collect();
    assert_eq!(
        first,
        [
            "date",
            "date",
            "content-type",
            "content-type",
            "content-type",
            "content-type"
        ]
    );
    assert_eq!(got[4].header("content-length"), Some("13"));

    // The connection stays open with hyper.
    let res = c
        .roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.text(), "Hello, World!");
}

#[tokio::test]
async fn a_batch_split_across_reads_is_reassembled() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    c.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /plain")
        .await;
    let first = c.response(false).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    c.send(b"text HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let second = c.response(false).await;
    assert_eq!(
        (first.text(), second.text()),
        ("Hello, World!", "Hello, World!")
    );
    assert_eq!(second.first_header(), "date");
}

#[tokio::test]
async fn connection_close_and_http_1_0_are_answered_then_closed() {
    let app = spawn_default().await;

    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(
        (res.text(), res.header("connection")),
        ("Hello, World!", Some("close"))
    );
    assert!(c.is_closed().await);

    let mut c = Conn::open(app.addr()).await;
    let res = c.roundtrip(b"GET /plaintext HTTP/1.0\r\n\r\n").await;
    assert_eq!((res.status, res.text()), (200, "Hello, World!"));
    assert!(c.is_closed().await);

    // HTTP/1.0 with keep-alive stays open.
    let mut c = Conn::open(app.addr()).await;
    let req = b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    assert_eq!(c.roundtrip(req).await.text(), "Hello, World!");
    assert_eq!(c.roundtrip(req).await.text(), "Hello, World!");
}

#[tokio::test]
async fn the_test_client_reaches_both_paths() {
    let app = spawn_default().await;
    let res = app.get("/plaintext").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "Hello, World!");
    let res = app.get("/users/42").send().await;
    assert_eq!(res.text(), "user 42");
    let res = app.post("/echo").body("round trip").send().await;
    assert_eq!(res.text(), "round trip");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_server_goes_on() {
    let app = spawn_default().await;
    let mut c = Conn::open(app.addr()).await;
    let res = c.roundtrip(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(res.status, 500);
    // The body every internal error has; what the panic said is logged, not sent.
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.text(),
        r#"{"error":"internal","message":"internal error"}"#
    );
    let res = c
        .roundtrip(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.text(), "user 1");
}

#[tokio::test]
async fn a_dynamic_route_that_matches_a_fast_routes_path_takes_its_other_methods() {
    let app = App::with_config(Config::default())
        .fast_route(FastRoute::text("/users/me", "me"))
        .route(
            "/users/{id}",
            post(|Path(id): Path<String>| async move { format!("posted {id}") }),
        );
    let app = TestApp::spawn(app).await;
    assert_eq!(app.get("/users/me").send().await.text(), "me");
    let res = app.post("/users/me").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "posted me"));
}
