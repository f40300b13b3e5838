//! The HTTP layer's defaults around dynamic routes, over real sockets: request ids, compression,
//! CORS from the configuration, the access log, metrics, and the application's own layers.

use std::io::Read;
use std::sync::{Arc, Mutex};

use chopin::axum::extract::Request;
use chopin::axum::middleware::{self, Next};
use chopin::axum::response::Response;
use chopin::http::HeaderValue;
use chopin::prelude::*;
use chopin::testing::TestApp;

use crate::raw::Conn;

/// A module's route, a route added by hand, and a fast route, with a body worth compressing.
struct Pages;

#[chopin::module]
impl Pages {
    /// A page long enough to compress.
    #[get("/pages/{id}")]
    async fn page(Path(id): Path<u32>) -> String {
        format!("page {id}: ") + &"all work and no play makes a dull page. ".repeat(100)
    }
}

fn app(config: Config) -> App<(), ((), (Pages,))> {
    App::with_config(config)
        .mount_module(Pages)
        .route("/short", get(|| async { "short" }))
        .route(
            "/png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 4096]) }),
        )
}

fn quiet(config: Config) -> Config {
    Config {
        openapi_path: None,
        ..config
    }
}

#[tokio::test]
async fn request_ids_are_made_echoed_and_replaced_when_malformed() {
    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    let res = server.get("/pages/1").send().await;
    let made = res.header("x-request-id").expect("a request id").to_owned();
    assert_eq!(made.len(), 31, "{made}");
    let again = server.get("/pages/1").send().await;
    assert_ne!(again.header("x-request-id"), Some(made.as_str()));

    let theirs = "0a1b2c3d-4e5f-7a8b-9c0d-1e2f3a4b5c6d";
    let res = server
        .get("/pages/1")
        .header("x-request-id", theirs)
        .send()
        .await;
    assert_eq!(res.header("x-request-id"), Some(theirs));
    // Also on what no route answers.
    let res = server
        .get("/nowhere")
        .header("x-request-id", theirs)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("x-request-id"), Some(theirs));

    for forged in ["a b", "x\"y", &"z".repeat(129)] {
        let res = server
            .get("/pages/1")
            .header("x-request-id", forged)
            .send()
            .await;
        let id = res.header("x-request-id").expect("a request id");
        assert_ne!(id, forged);
        assert_eq!(id.len(), 31, "{id}");
    }
    server.shutdown().await;

    let mut config = quiet(Config::default());
    config.http.request_id = false;
    let server = TestApp::spawn(app(config)).await;
    let res = server.get("/pages/1").send().await;
    assert_eq!(res.header("x-request-id"), None);
    server.shutdown().await;
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> String {
    let mut out = String::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_string(&mut out)
        .expect("brotli");
    out
}

#[tokio::test]
async fn dynamic_responses_are_compressed_as_the_client_accepts() {
    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    let plain = server.get("/pages/7").send().await;
    assert_eq!(plain.header("content-encoding"), None);
    let text = plain.text().to_owned();
    assert!(text.len() > 4000);

    let gz = server
        .get("/pages/7")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    assert!(gz.bytes().len() < text.len() / 4, "{}", gz.bytes().len());
    assert_eq!(gunzip(gz.bytes()), text);

    let br = server
        .get("/pages/7")
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(br.bytes()), text);

    let refused = server
        .get("/pages/7")
        .header("accept-encoding", "br;q=0, gzip;q=0")
        .send()
        .await;
    assert_eq!(refused.header("content-encoding"), None);

    // Below `COMPRESSION_MIN_BYTES`, and media that are compressed already: as they are.
    for path in ["/short", "/png"] {
        let res = server
            .get(path)
            .header("accept-encoding", "gzip, br")
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.header("content-encoding"), None, "{path}");
    }
    server.shutdown().await;

    let mut config = quiet(Config::default());
    config.http.compression = false;
    let server = TestApp::spawn(app(config)).await;
    let res = server
        .get("/pages/7")
        .header("accept-encoding", "gzip, br")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.text(), text);
    server.shutdown().await;
}

fn lookup(vars: &'static [(&'static str, &'static str)]) -> Result<Config, chopin::ConfigError> {
    Config::from_lookup(move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
}

#[tokio::test]
async fn cors_of_dynamic_routes_comes_from_the_configuration() {
    let config = lookup(&[
        ("CORS_ALLOW_ORIGINS", "https://app.example.com"),
        ("CORS_ALLOW_CREDENTIALS", "true"),
    ])
    .expect("valid");
    let server = TestApp::spawn(app(quiet(config))).await;
    let preflight = server
        .request(Method::OPTIONS, "/pages/1")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await;
    assert_eq!(preflight.status(), StatusCode::OK);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("86400"));
    let allowed = preflight
        .header("access-control-allow-headers")
        .expect("allowed headers");
    assert!(allowed.contains("authorization"), "{allowed}");

    let res = server
        .get("/pages/1")
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let exposed = res
        .header("access-control-expose-headers")
        .expect("exposed headers");
    assert!(exposed.contains("x-request-id"), "{exposed}");

    // Another site gets no permission to read the answer.
    let res = server
        .get("/pages/1")
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    server.shutdown().await;

    // Off by default: no CORS headers at all.
    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    let res = server
        .get("/pages/1")
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    server.shutdown().await;
}

#[test]
fn any_origin_with_credentials_is_refused_at_start_up() {
    let err = lookup(&[
        ("CORS_ALLOW_ORIGINS", "*"),
        ("CORS_ALLOW_CREDENTIALS", "true"),
    ])
    .expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("`CORS_ALLOW_ORIGINS=*`"), "{message}");
    assert!(message.contains("CORS_ALLOW_CREDENTIALS"), "{message}");
    let err = lookup(&[("CORS_ALLOW_ORIGINS", "https://app.example.com/")]).expect_err("a path");
    assert!(err.to_string().contains("`CORS_ALLOW_ORIGINS`"), "{err}");
}

async fn stamp(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-stamp", HeaderValue::from_static("outer"));
    res
}

async fn inner(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    // Sees the outer layer's header only if it ran first: it must not.
    let seen = res.headers().contains_key("x-stamp");
    res.headers_mut().insert(
        "x-inner",
        HeaderValue::from_static(if seen { "after" } else { "before" }),
    );
    res
}

async fn guard(req: Request, next: Next) -> Response {
    if req.headers().contains_key("x-key") {
        next.run(req).await
    } else {
        chopin::axum::response::IntoResponse::into_response(ChopinError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "no key",
        ))
    }
}

#[tokio::test]
async fn layers_reach_every_dynamic_route_in_axum_order_and_no_fast_route() {
    let server = TestApp::spawn(
        app(quiet(Config::default()))
            .layer(middleware::from_fn(inner))
            .layer(middleware::from_fn(stamp))
            // Added after the layers: reached all the same.
            .route("/late", get(|| async { "late" }))
            .fast_route(FastRoute::text("/fast", "fast")),
    )
    .await;
    for path in ["/pages/1", "/short", "/late", "/nowhere"] {
        let res = server.get(path).send().await;
        assert_eq!(res.header("x-stamp"), Some("outer"), "{path}");
        assert_eq!(res.header("x-inner"), Some("before"), "{path}");
    }
    let fast = server.get("/fast").send().await;
    assert_eq!(fast.text(), "fast");
    assert_eq!(fast.header("x-stamp"), None);
    server.shutdown().await;

    // A route layer runs only where a route matched: a 404 stays a 404.
    let server =
        TestApp::spawn(app(quiet(Config::default())).route_layer(middleware::from_fn(guard))).await;
    let res = server.get("/pages/1").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = server.get("/pages/1").header("x-key", "k").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = server.get("/nowhere").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_never_by_raw_path() {
    let mut config = quiet(Config::default());
    config.http.metrics_path = Some("/metrics".to_owned());
    let server = TestApp::spawn(app(config).fast_route(FastRoute::text("/fast", "fast"))).await;
    // Three fast requests pipelined on a connection of their own, then one dynamic request on
    // it: three fast-path hits and a handoff.
    let mut conn = Conn::open(server.addr()).await;
    conn.send(&b"GET /fast HTTP/1.1\r\nhost: x\r\n\r\n".repeat(3))
        .await;
    for _ in 0..3 {
        assert_eq!(conn.response(false).await.status, 200);
    }
    let res = conn
        .roundtrip(b"GET /short HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(res.status, 200);
    for id in [1, 2, 3] {
        let res = server.get(&format!("/pages/{id}")).send().await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    server.get("/nowhere/at/all").send().await;
    let res = server.get("/metrics").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = res.text();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/pages/{id}",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="-",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_request_duration_seconds_count{method="GET",route="/pages/{id}"} 3"#),
        "{text}"
    );
    assert!(text.contains("http_requests_in_flight"), "{text}");
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(value("chopin_fast_path_hits_total"), 3.0);
    assert!(value("chopin_handoffs_total") >= 2.0, "{text}");
    assert!(value("chopin_connections_accepted_total") >= 2.0, "{text}");
    assert!(value("chopin_connections_open") >= 1.0, "{text}");
    assert!(!text.contains("/pages/1"), "{text}");
    assert!(!text.contains("/nowhere"), "{text}");
    server.shutdown().await;

    // Off by default.
    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    let res = server.get("/metrics").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    server.shutdown().await;
}

/// Everything the log writes, for reading back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_dynamic_request_gets_one_access_log_line() {
    // The process's subscriber: a thread's own would miss the callsites that tests on other
    // threads registered first. Other tests log into it too; this one finds its lines by id.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter("chopin::access=info")
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");

    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    server
        .get("/pages/9")
        .header("x-request-id", "trace-me-42")
        .send()
        .await;
    server.shutdown().await;
    let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("trace-me-42")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    let line = lines[0];
    for part in [
        "GET /pages/{id} 200",
        "route=\"/pages/{id}\"",
        "status=200",
        "request_id=\"trace-me-42\"",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!line.contains("/pages/9"), "{line}");
}

/// A cache whose server is gone (`down`) or does not answer (`hangs`).
struct Broken {
    hangs: bool,
}

impl chopin::cache::CacheBackend for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }

    fn get<'a>(&'a self, _: &'a str) -> chopin::cache::Op<'a, Option<Vec<u8>>> {
        self.fail()
    }

    fn set<'a>(
        &'a self,
        _: &'a str,
        _: &'a [u8],
        _: Option<std::time::Duration>,
    ) -> chopin::cache::Op<'a, ()> {
        self.fail()
    }

    fn incr<'a>(
        &'a self,
        _: &'a str,
        _: std::time::Duration,
    ) -> chopin::cache::Op<'a, (i64, std::time::Duration)> {
        self.fail()
    }

    fn ttl<'a>(&'a self, _: &'a str) -> chopin::cache::Op<'a, Option<std::time::Duration>> {
        self.fail()
    }

    fn del<'a>(&'a self, _: &'a str) -> chopin::cache::Op<'a, bool> {
        self.fail()
    }

    fn exists<'a>(&'a self, _: &'a str) -> chopin::cache::Op<'a, bool> {
        self.fail()
    }
}

impl Broken {
    fn fail<'a, T: Send + 'a>(&'a self) -> chopin::cache::Op<'a, T> {
        let hangs = self.hangs;
        Box::pin(async move {
            if hangs {
                std::future::pending::<()>().await;
            }
            Err(chopin::cache::CacheError::Backend {
                backend: "broken",
                source: "connection refused by 10.1.2.3:6379".into(),
            })
        })
    }
}

#[tokio::test]
async fn readiness_names_the_dependency_that_fails_within_its_bound() {
    let ready = |cache: Cache| {
        let mut config = quiet(Config::default());
        config.http.ready_path = Some("/ready".to_owned());
        app(config).with_cache(cache)
    };
    let server = TestApp::spawn(ready(Cache::memory())).await;
    let res = server.get("/ready").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    // With the storage battery built, its plugin checks the file store too.
    let mut checks = serde_json::json!({"cache": "ok"});
    if cfg!(feature = "storage") {
        checks["storage"] = "ok".into();
    }
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({"status": "ready", "checks": checks})
    );
    server.shutdown().await;

    checks["cache"] = "failed".into();
    for hangs in [false, true] {
        let cache = Cache::with_backend(Arc::new(Broken { hangs }));
        let server = TestApp::spawn(ready(cache)).await;
        let started = std::time::Instant::now();
        let res = server.get("/ready").send().await;
        let took = started.elapsed();
        assert_eq!(
            res.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "hangs: {hangs}"
        );
        assert_eq!(
            res.json::<serde_json::Value>(),
            serde_json::json!({"status": "unavailable", "checks": checks.clone()})
        );
        // Why it failed (an address, here) is for the log, not for whoever asks.
        assert!(!res.text().contains("10.1.2.3"));
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
        server.shutdown().await;
    }

    let server = TestApp::spawn(app(quiet(Config::default()))).await;
    assert_eq!(
        server.get("/ready").send().await.status(),
        StatusCode::NOT_FOUND
    );
    server.shutdown().await;
}
