//! `Db::connect` on the test database's server (SQLite in memory, PostgreSQL or MySQL/MariaDB,
//! as `chopin_db::test_db` chooses): `DB_STATEMENT_TIMEOUT_MS` reaches the server, and a
//! statement it stops is an outage, answered `503`.

use std::time::Duration;

use chopin_db::test_db::test_database;
use chopin_db::{Db, DbConfig};
use chopin_runtime::ChopinError;
use chopin_runtime::http::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend};

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
