//! Fast routes' compressed variants over real sockets: each encoding as `accept-encoding` asks,
//! with `vary`, inflating to the route's bytes, on the fast path and after a handoff to hyper;
//! none when `COMPRESSION=false` or for a small body.

use std::io::Read;

use chopin::prelude::*;
use chopin::testing::TestApp;

use super::modules;
use super::raw::{Conn, Response};

/// A body well past `COMPRESSION_MIN_BYTES`' 1024.
fn big() -> String {
    (0..200)
        .map(|i| format!("line {i} of a long text\n"))
        .collect()
}

fn app(config: Config) -> App {
    App::with_config(config)
        .fast_route(FastRoute::text("/big", big()).cache_control("public, max-age=60"))
        .fast_route(FastRoute::text("/small", "small"))
}

/// A connection on the fast path, or one that a request no route answers has moved to hyper.
async fn conn(app: &TestApp, on_hyper: bool) -> Conn {
    let mut c = Conn::open(app.addr()).await;
    if on_hyper {
        let res = c
            .roundtrip(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!(res.status, 404);
    }
    c
}

/// The body as it was before the response's `content-encoding`.
fn inflate(res: &Response) -> Vec<u8> {
    let mut out = Vec::new();
    match res.header("content-encoding") {
        Some("br") => brotli_decompressor::Decompressor::new(&res.body[..], 4096)
            .read_to_end(&mut out)
            .map(drop),
        Some("gzip") => flate2::read::GzDecoder::new(&res.body[..])
            .read_to_end(&mut out)
            .map(drop),
        None => {
            out.clone_from(&res.body);
            Ok(())
        }
        Some(other) => panic!("an unexpected content-encoding {other}"),
    }
    .expect("the body inflates");
    out
}

/// `accept-encoding` values and the encoding each gets from a route with variants.
const CASES: [(Option<&str>, Option<&str>); 8] = [
    (None, None),
    (Some("gzip, deflate, br, zstd"), Some("br")),
    (Some("gzip"), Some("gzip")),
    (Some("br;q=0, gzip"), Some("gzip")),
    (Some("BR;Q=0.5, GZIP;Q=0.9"), Some("gzip")),
    (Some("*"), Some("br")),
    (Some("identity"), None),
    (Some("deflate"), None),
];

/// Asks for `path` as each case says, on both paths, and checks what comes back is `original`.
async fn served_as_asked(app: &TestApp, path: &str, original: &[u8]) {
    for on_hyper in [false, true] {
        let mut c = conn(app, on_hyper).await;
        for (accept, expected) in CASES {
            let accept_line = accept.map_or(String::new(), |a| format!("Accept-Encoding: {a}\r\n"));
            let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{accept_line}\r\n");
            let res = c.roundtrip(req.as_bytes()).await;
            let what = format!("{path} {accept:?} (hyper: {on_hyper})");
            assert_eq!(res.status, 200, "{what}");
            // The fast path writes the date first, hyper last.
            let first = if on_hyper { "content-type" } else { "date" };
            assert_eq!(res.first_header(), first, "{what}");
            assert_eq!(res.header("content-encoding"), expected, "{what}");
            assert_eq!(res.header("vary"), Some("accept-encoding"), "{what}");
            assert_eq!(inflate(&res), original, "{what}");
            if expected.is_some() {
                assert!(res.body.len() < original.len() / 2, "{what}");
            }

            // HEAD: the chosen variant's head.
            let head = format!("HEAD {path} HTTP/1.1\r\nHost: x\r\n{accept_line}\r\n");
            let head = c.roundtrip(head.as_bytes()).await;
            assert_eq!(head.header("content-encoding"), expected, "HEAD {what}");
            assert_eq!(
                head.header("content-length"),
                Some(res.body.len().to_string().as_str()),
                "HEAD {what}"
            );
            assert!(head.body.is_empty());
        }
    }
}

#[tokio::test]
async fn a_large_fast_route_is_served_in_the_encoding_asked_for() {
    let app = TestApp::spawn(app(Config::default())).await;
    served_as_asked(&app, "/big", big().as_bytes()).await;
    // The route's own headers are on every variant.
    let res = app.get("/big").header("accept-encoding", "br").send().await;
    assert_eq!(res.header("cache-control"), Some("public, max-age=60"));
}

#[tokio::test]
async fn the_api_description_is_served_compressed() {
    let expected = modules::app()
        .openapi()
        .to_json()
        .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn(modules::app()).await;
    served_as_asked(&app, "/openapi.json", expected.as_bytes()).await;
}

#[tokio::test]
async fn a_small_route_and_compression_off_are_served_as_they_are() {
    let on = TestApp::spawn(app(Config::default())).await;
    let mut config = Config::default();
    config.http.compression = false;
    let off = TestApp::spawn(app(config)).await;
    for (app, path, body) in [
        (&on, "/small", b"small".to_vec()),
        (&off, "/big", big().into_bytes()),
    ] {
        for on_hyper in [false, true] {
            let mut c = conn(app, on_hyper).await;
            let req =
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip\r\n\r\n");
            let res = c.roundtrip(req.as_bytes()).await;
            let what = format!("{path} (hyper: {on_hyper})");
            assert_eq!(res.header("content-encoding"), None, "{what}");
            assert_eq!(res.header("vary"), None, "{what}");
            assert_eq!(res.body, body, "{what}");
        }
    }
}
