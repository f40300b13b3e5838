//! `Db::connect` on the test database's server (SQLite in memory, PostgreSQL or MySQL/MariaDB,
//! as `chopin_db::test_db` chooses): `DB_STATEMENT_TIMEOUT_MS` reaches the server, and a
//! statement it stops is an outage, answered `503`; the worker runtimes query through pools of
//! their own; a connection the server dropped is replaced.

use std::time::Duration;

use chopin_db::test_db::test_database;
use chopin_db::{Db, DbConfig};
use chopin_runtime::ChopinError;
use chopin_runtime::http::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[tokio::test]
async fn a_statement_past_its_time_limit_is_a_503() {
    let test = test_database().await;
    let sleep = match test.backend {
        DbBackend::Postgres => "SELECT pg_sleep(3)",
        DbBackend::MySql => "SELECT SLEEP(3)",
        // SQLite has no statement time limit (`HANDLER_TIMEOUT_MS` bounds handlers).
        _ => return,
    };
    let db = Db::connect(&DbConfig {
        url: test.url.clone(),
        statement_timeout: Duration::from_millis(200),
        ..DbConfig::default()
    })
    .await
    .expect("the test database answers");
    let started = std::time::Instant::now();
    let err = db
        .execute_unprepared(sleep)
        .await
        .expect_err("the server stops the statement at its time limit");
    assert!(started.elapsed() < Duration::from_secs(2), "{err}");
    assert_eq!(
        ChopinError::from(err).status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    db.close_by_ref().await.expect("the pool closes");
}

/// The id the server gave the connection a statement runs on.
fn session_id(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
        _ => "SELECT CAST(pg_backend_pid() AS BIGINT) AS id",
    }
}

async fn session(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    let sql = session_id(db.get_database_backend());
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("no row".to_owned()))?;
    row.try_get::<i64>("", "id")
}

/// What the route answers: the session its query ran on.
async fn session_route(db: Db) -> Result<String, ChopinError> {
    Ok(session(&*db).await?.to_string())
}

/// One `GET` over a new connection, and the body of its `200`.
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the server accepts");
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("the response is read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// With `REUSEPORT=true`, a request a worker runtime serves runs on a connection of that
/// worker's own pool, never on one the main runtime opened (whose socket the main runtime
/// drives), and the pools stay within `DB_MAX_CONNECTIONS` and the main pool's two.
#[tokio::test]
async fn the_workers_query_through_pools_of_their_own() {
    use chopin_db::AppDbExt as _;
    use chopin_runtime::{App, Config, axum::routing::get as route};

    let test = test_database().await;
    if test.backend == DbBackend::Sqlite {
        // SQLite's connections each run on a thread of their own: one pool serves every worker.
        return;
    }
    let config = DbConfig {
        url: test.url.clone(),
        max_connections: 4,
        ..DbConfig::default()
    };
    let db = Db::connect_for(&config, 2)
        .await
        .expect("the test database answers");
    // The main runtime's pool has a connection now, idle: a worker without a pool of its own
    // would be handed that one.
    let main_session = session(&*db).await.expect("the main pool answers");

    let app = App::with_config(Config {
        host: [127, 0, 0, 1].into(),
        port: 0,
        reuseport: true,
        workers: std::num::NonZeroUsize::new(2).expect("two"),
        ..Config::default()
    })
    .with_db(db.clone())
    .route("/session", route(session_route));
    let server = app
        .connect()
        .await
        .expect("the app starts")
        .bind()
        .expect("the app binds");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let mut sessions = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let body = get(addr, "/session").await;
        sessions.insert(body.parse::<i64>().expect("a session id"));
    }
    assert!(
        !sessions.contains(&main_session),
        "a worker ran a query on the main runtime's connection {main_session}: {sessions:?}"
    );
    // Two workers, each with at most two connections (its half of four).
    assert!(sessions.len() <= 4, "{sessions:?}");

    let _ = stop.send(());
    serving
        .await
        .expect("the server task ends")
        .expect("the server stops cleanly");
}

/// A pooled connection the server dropped while it sat idle (a restart, an administrator's
/// kill) is not handed out again: the query after it runs on a new connection. (The pool pings
/// only connections idle for 500 ms or more; a drop the server announces is also seen without
/// the ping.)
#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_use() {
    let test = test_database().await;
    let kill = match test.backend {
        DbBackend::Postgres => "SELECT pg_terminate_backend({id})",
        DbBackend::MySql => "KILL {id}",
        // An SQLite connection is a file this process holds: nothing drops it.
        _ => return,
    };
    let db = Db::connect(&DbConfig {
        url: test.url.clone(),
        max_connections: 1,
        ..DbConfig::default()
    })
    .await
    .expect("the test database answers");
    let id = session(&*db).await.expect("the pool answers");
    // Dropped by the server, from another connection.
    test.conn
        .execute_unprepared(&kill.replace("{id}", &id.to_string()))
        .await
        .expect("the server drops the pool's connection");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let again = session(&*db)
        .await
        .expect("the dead connection is replaced, not handed out");
    assert_ne!(again, id);
    db.close_by_ref().await.expect("the pool closes");
}
