//! The blog on PostgreSQL and Redis, each reached through a proxy that is made to refuse
//! connections, reset them, or accept and forward nothing: every request gets an honest answer
//! (`503`/`504` with the JSON error) within its bound, the blog recovers without a restart, and
//! no write it acknowledged is lost.
//!
//! These need the machine's servers, `CHOPIN_TEST_POSTGRES_URL` and `CHOPIN_TEST_REDIS_URL`:
//! `.ci/run` runs them with `--include-ignored`, and they fail, never skip, when a server is
//! missing.

#[path = "../common/mod.rs"]
mod common;
mod proxy;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chopin::Config;
use chopin::auth::mail::Outbox;
use chopin::db::sea_orm::{DbBackend, EntityTrait};
use chopin::db::test_db::{TestDatabase, test_database};
use chopin::testing::{TestApp, TestResponse};
use proxy::{Mode, Proxy};
use serde_json::{Value, json};

/// The blog, its database and cache behind proxies.
struct Faulty {
    app: TestApp,
    database: TestDatabase,
    db: Proxy,
    cache: Proxy,
    outbox: Outbox,
}

/// `host:port` of `url` (`scheme://[user@]host:port[/…]`).
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

async fn upstream(url: &str) -> SocketAddr {
    tokio::net::lookup_host(authority(url))
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("`{url}` names no reachable host"))
}

/// The blog on a fresh PostgreSQL database and the test Redis, both through proxies.
async fn start() -> Faulty {
    let database = test_database().await;
    assert_eq!(
        database.backend,
        DbBackend::Postgres,
        "set CHOPIN_TEST_POSTGRES_URL: this suite tests PostgreSQL through a proxy"
    );
    let redis = std::env::var("CHOPIN_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .expect("set CHOPIN_TEST_REDIS_URL: this suite tests Redis through a proxy");
    let db = Proxy::start(upstream(&database.url).await).await;
    let cache = Proxy::start(upstream(&redis).await).await;
    let vars: Vec<(&str, String)> = vec![
        (
            "DATABASE_URL",
            database
                .url
                .replace(authority(&database.url), &db.addr().to_string()),
        ),
        (
            "REDIS_URL",
            redis.replace(authority(&redis), &cache.addr().to_string()),
        ),
        ("AUTO_MIGRATE", "true".to_owned()),
        ("DB_STATEMENT_TIMEOUT_MS", "2000".to_owned()),
        ("DB_ACQUIRE_TIMEOUT_MS", "1000".to_owned()),
        ("HANDLER_TIMEOUT_MS", "3000".to_owned()),
        ("REDIS_TIMEOUT_MS", "1000".to_owned()),
        ("READY_PATH", "/ready".to_owned()),
        // The tests of this process all sign up from 127.0.0.1, on one Redis; login still
        // reads the lockout from Redis.
        ("SECURITY_RATE_LIMIT", "false".to_owned()),
    ];
    let config = Config::from_lookup(move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .expect("the configuration");
    let outbox = Outbox::new();
    let app = blog::app_with_mailer(config, outbox.clone()).expect("the blog");
    let app = TestApp::spawn(app).await;
    Faulty {
        app,
        database,
        db,
        cache,
        outbox,
    }
}

impl Faulty {
    /// Signs `email` up and verifies it: a user who can sign in.
    async fn sign_up(&self, email: &str) {
        common::sign_up(&self.app, &self.outbox, email).await;
    }

    async fn login(&self, email: &str) -> TestResponse {
        self.app
            .post("/auth/login")
            .json(&json!({"email": email, "password": common::PASSWORD}))
            .send()
            .await
    }

    /// A signed-in user's `authorization` header.
    async fn bearer(&self, email: &str) -> String {
        self.sign_up(email).await;
        let res = self.login(email).await;
        assert_eq!(res.status(), 200, "{}", res.text());
        let token = res.json::<Value>()["access_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        format!("Bearer {token}")
    }

    async fn write(&self, bearer: &str, title: &str) -> TestResponse {
        self.app
            .post("/posts")
            .header("authorization", bearer)
            .json(&json!({"title": title, "body": "written during a fault"}))
            .send()
            .await
    }
}

/// `res` is the JSON error `status` naming `dependency`, with `retry-after`.
fn assert_unavailable(res: &TestResponse, dependency: &str, what: &str) {
    assert_eq!(res.status(), 503, "{what}: {}", res.text());
    let body = res.json::<Value>();
    assert_eq!(body["error"], "unavailable", "{what}: {body}");
    assert_eq!(body["dependency"], dependency, "{what}: {body}");
    assert!(
        res.header("retry-after").is_some(),
        "{what}: no retry-after"
    );
}

/// Sends requests made by `send` every 50 ms until one answers `status`: how long that took.
async fn until_status<F, Fut>(status: u16, within: Duration, what: &str, send: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = TestResponse>,
{
    let start = Instant::now();
    loop {
        let res = send().await;
        if res.status().as_u16() == status {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{what}: still {} after {:?}: {}",
            res.status(),
            start.elapsed(),
            res.text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis (CHOPIN_TEST_POSTGRES_URL, CHOPIN_TEST_REDIS_URL); .ci/run runs it with --include-ignored"]
async fn a_database_that_refuses_is_a_fast_503_and_the_blog_recovers_without_a_restart() {
    let blog = start().await;
    let bearer = blog.bearer("refused@example.com").await;
    assert_eq!(blog.write(&bearer, "before").await.status(), 201);

    blog.db.set(Mode::Refuse);
    for round in 0..3 {
        let start = Instant::now();
        let read = blog.app.get("/posts").send().await;
        let took = start.elapsed();
        assert_unavailable(&read, "database", "GET /posts");
        assert!(
            took < Duration::from_millis(1500),
            "GET /posts, round {round}: {took:?}"
        );
        println!("the database refused: GET /posts, round {round}: 503 in {took:?}");
        let start = Instant::now();
        let write = blog.write(&bearer, "during").await;
        let took = start.elapsed();
        assert_unavailable(&write, "database", "POST /posts");
        assert!(
            took < Duration::from_millis(1500),
            "POST /posts, round {round}: {took:?}"
        );
        println!("the database refused: POST /posts, round {round}: 503 in {took:?}");
    }
    // The fast route needs no database; readiness names it.
    let health = blog.app.get("/health").send().await;
    assert_eq!((health.status().as_u16(), health.text()), (200, "ok"));
    let ready = blog.app.get("/ready").send().await;
    assert_eq!(ready.status(), 503, "{}", ready.text());
    assert_eq!(
        ready.json::<Value>()["checks"],
        json!({"database": "failed", "cache": "ok", "storage": "ok"})
    );

    blog.db.set(Mode::Forward);
    let took = until_status(
        200,
        Duration::from_secs(2),
        "GET /posts after the outage",
        || blog.app.get("/posts").send(),
    )
    .await;
    println!("the database refused: recovered {took:?} after it returned");
    assert_eq!(blog.write(&bearer, "after").await.status(), 201);
    assert_eq!(blog.app.get("/ready").send().await.status(), 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis (CHOPIN_TEST_POSTGRES_URL, CHOPIN_TEST_REDIS_URL); .ci/run runs it with --include-ignored"]
async fn a_database_that_hangs_is_a_503_or_504_within_four_seconds() {
    let blog = start().await;
    let bearer = blog.bearer("hanging@example.com").await;
    assert_eq!(blog.write(&bearer, "before").await.status(), 201);

    blog.db.set(Mode::Hang);
    let (read, write) = tokio::join!(
        async {
            let start = Instant::now();
            (blog.app.get("/posts").send().await, start.elapsed())
        },
        async {
            let start = Instant::now();
            (blog.write(&bearer, "during").await, start.elapsed())
        }
    );
    for ((res, took), what) in [(read, "GET /posts"), (write, "POST /posts")] {
        assert!(
            matches!(res.status().as_u16(), 503 | 504),
            "{what}: {} {}",
            res.status(),
            res.text()
        );
        assert!(
            took < Duration::from_secs(4),
            "{what} answered after {took:?}"
        );
        println!("the database hangs: {what}: {} in {took:?}", res.status());
        let body = res.json::<Value>();
        assert!(
            matches!(body["error"].as_str(), Some("unavailable" | "timeout")),
            "{body}"
        );
    }
    let health = blog.app.get("/health").send().await;
    assert_eq!(health.status(), 200);

    blog.db.set(Mode::Forward);
    let took = until_status(
        200,
        Duration::from_secs(5),
        "GET /posts after the hang",
        || blog.app.get("/posts").send(),
    )
    .await;
    println!("the database hung: recovered {took:?} after it returned");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis (CHOPIN_TEST_POSTGRES_URL, CHOPIN_TEST_REDIS_URL); .ci/run runs it with --include-ignored"]
async fn redis_refusing_or_hanging_fails_login_within_three_seconds_and_recovers() {
    let blog = start().await;
    let email = "cached@example.com";
    blog.sign_up(email).await;
    assert_eq!(blog.login(email).await.status(), 200);

    for mode in [Mode::Refuse, Mode::Hang, Mode::Reset] {
        blog.cache.set(mode);
        for round in 0..2 {
            let start = Instant::now();
            let res = blog.login(email).await;
            let took = start.elapsed();
            assert_unavailable(
                &res,
                "cache",
                &format!("login, Redis {mode:?}, round {round}"),
            );
            assert!(
                took < Duration::from_secs(3),
                "login, Redis {mode:?}: {took:?}"
            );
            println!("Redis {mode:?}: login, round {round}: 503 in {took:?}");
        }
        let start = Instant::now();
        let ready = blog.app.get("/ready").send().await;
        assert_eq!(ready.status(), 503, "Redis {mode:?}: {}", ready.text());
        assert_eq!(ready.json::<Value>()["checks"]["cache"], "failed");
        assert!(start.elapsed() < Duration::from_secs(3), "Redis {mode:?}");
        blog.cache.set(Mode::Forward);
        let took = until_status(
            200,
            Duration::from_secs(6),
            "login after Redis returned",
            || blog.login(email),
        )
        .await;
        println!("Redis {mode:?}: login works {took:?} after it returned");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis (CHOPIN_TEST_POSTGRES_URL, CHOPIN_TEST_REDIS_URL); .ci/run runs it with --include-ignored"]
async fn every_write_the_blog_acknowledged_is_in_the_database_whatever_failed() {
    let blog = Arc::new(start().await);
    let bearer = blog.bearer("writer@example.com").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (blog, bearer, stop) = (Arc::clone(&blog), bearer.clone(), Arc::clone(&stop));
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut statuses) = (Vec::new(), BTreeSet::new());
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let res = blog.write(&bearer, &format!("writer {w}, post {n}")).await;
                statuses.insert(res.status().as_u16());
                if res.status() == 201 {
                    acknowledged.push(res.json::<Value>()["id"].as_i64().expect("an id"));
                }
            }
            (acknowledged, statuses)
        }));
    }
    for mode in [
        Mode::Forward,
        Mode::Reset,
        Mode::Forward,
        Mode::Refuse,
        Mode::Forward,
        Mode::Hang,
        Mode::Forward,
    ] {
        blog.db.set(mode);
        tokio::time::sleep(Duration::from_millis(if mode == Mode::Forward {
            1200
        } else {
            700
        }))
        .await;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut acknowledged, mut statuses) = (Vec::new(), BTreeSet::new());
    for writer in writers {
        let (ids, seen) = writer.await.expect("a writer");
        acknowledged.extend(ids);
        statuses.extend(seen);
    }
    assert!(
        statuses.is_subset(&BTreeSet::from([201, 503, 504])),
        "only 201, 503 and 504: {statuses:?}"
    );
    assert!(
        acknowledged.len() > 10,
        "writes got through: {}",
        acknowledged.len()
    );
    let stored: BTreeSet<i64> = blog::post::Entity::find()
        .all(&blog.database.conn)
        .await
        .expect("the posts, read directly")
        .into_iter()
        .map(|p| p.id)
        .collect();
    let lost: Vec<&i64> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged with 201 but not stored: {lost:?}"
    );
    println!(
        "{} writes acknowledged, all stored; statuses {statuses:?}",
        acknowledged.len()
    );
}

#[tokio::test]
async fn a_database_absent_at_start_up_is_named_with_the_cause_not_only_the_pool_timing_out() {
    // A port nothing listens on: sqlx's pool retries the refused connection until its timeout.
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some("postgres://app:secret@127.0.0.1:1/blog".to_owned()),
        "DB_ACQUIRE_TIMEOUT_MS" => Some("300".to_owned()),
        _ => None,
    })
    .expect("the configuration");
    let start = Instant::now();
    let error = blog::app(config)
        .expect("the blog")
        .connect()
        .await
        .err()
        .expect("no database there")
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    println!("{error}");
    assert!(
        error.starts_with(
            "cannot connect to the database at postgres://app:***@127.0.0.1:1/blog (DATABASE_URL): "
        ) && error.contains("a direct attempt failed: ")
            && error.contains("refused"),
        "{error}"
    );
}
