//! Whether the database answers: what turns an outage into a fast `503` rather than a wait for
//! the pool's timeout on every request.
//!
//! sqlx's pool retries a refused connection until its acquire timeout, so while the database
//! is down every request would wait `DB_ACQUIRE_TIMEOUT_MS` and then fail. Instead, the first
//! error that says the database cannot be reached (a refused or dropped connection, a pool that
//! timed out, PostgreSQL or MySQL/MariaDB shutting down or cancelling a statement at its time
//! limit) makes
//! every live [`Health`] probe its database with a bounded `ping`. One that does not answer is
//! marked down: the `Db` extractor then answers `503 unavailable` at once, without touching the
//! pool, while the probe goes on in the background with a jittered backoff (100 ms doubling to
//! 1 s, each wait between half and all of it) until the database answers again. This is a circuit breaker whose half-open state is the
//! probe, never a client's request.

use std::error::Error;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chopin_runtime::classify::{self, Outage};
use sea_orm::{ConnAcquireErr, DatabaseConnection, DbErr, RuntimeErr};

/// What a client is told to wait after the database failed: about one probe.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long one probe waits for the database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The first and the longest wait between probes of a database that is down.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(1));

/// Every live database's health, to probe when an error says a database failed.
static LIVE: Mutex<Vec<Weak<Health>>> = Mutex::new(Vec::new());

/// One database's health, shared by the clones of its `Db`.
#[derive(Debug)]
pub(crate) struct Health {
    conn: DatabaseConnection,
    down: AtomicBool,
    probing: AtomicBool,
}

impl Health {
    /// The health of the database `conn` is a pool of, up until an error says otherwise.
    pub(crate) fn watch(conn: DatabaseConnection) -> Arc<Health> {
        classify::register(outage);
        let health = Arc::new(Health {
            conn,
            down: AtomicBool::new(false),
            probing: AtomicBool::new(false),
        });
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|h| h.strong_count() > 0);
        live.push(Arc::downgrade(&health));
        health
    }

    /// Whether the last probe found the database not answering. While it is down a probe is
    /// running; if the runtime that ran it has gone (a test's), another starts here.
    pub(crate) fn is_down(self: &Arc<Self>) -> bool {
        let down = self.down.load(Ordering::Acquire);
        if down {
            Arc::clone(self).suspect();
        }
        down
    }

    /// Probes the database in the background, unless a probe is already running: marks it down
    /// while it does not answer, up once it does.
    fn suspect(self: Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        runtime.spawn(async move {
            // Cleared however the task ends, its runtime shutting down included.
            let probing = Probing(Arc::clone(&self));
            let mut wait = BACKOFF.0;
            loop {
                let answered = matches!(
                    tokio::time::timeout(PROBE_TIMEOUT, self.conn.ping()).await,
                    Ok(Ok(()))
                );
                if answered {
                    if self.down.swap(false, Ordering::AcqRel) {
                        tracing::info!("the database answers again");
                    }
                    break;
                }
                if !self.down.swap(true, Ordering::AcqRel) {
                    tracing::error!("the database does not answer: requests get 503 until it does");
                }
                tokio::time::sleep(jitter(wait)).await;
                wait = (wait * 2).min(BACKOFF.1);
            }
            drop(probing);
        });
    }
}

/// A running probe of a database: its flag is cleared when the probe ends.
struct Probing(Arc<Health>);

impl Drop for Probing {
    fn drop(&mut self) {
        self.0.probing.store(false, Ordering::Release);
    }
}

/// Somewhere from half of `wait` to all of it, so that the processes of an application do not
/// probe in step.
fn jitter(wait: Duration) -> Duration {
    let random = RandomState::new().hash_one(0u8);
    let half = wait / 2;
    half + Duration::from_nanos(random % u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1))
}

/// Probes every live database: one of them failed, and the error does not say which.
fn suspect_all() {
    let live: Vec<Arc<Health>> = LIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for health in live {
        health.suspect();
    }
}

/// A database error that says the database cannot be reached, or did not answer in time, is an
/// outage (`503`); other database errors are bugs or bad data (`500`).
fn outage(error: &(dyn Error + 'static)) -> Option<Outage> {
    let error = error.downcast_ref::<DbErr>()?;
    let unreachable = match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            true
        }
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => {
            unreachable_in(runtime)
        }
        _ => false,
    };
    if !unreachable {
        return None;
    }
    suspect_all();
    Some(Outage {
        dependency: "database",
        retry_after: RETRY_AFTER,
    })
}

/// Without a driver (chopin-db built with none of `sqlite`, `postgres` and `mysql`), no error
/// comes from a connection.
#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
fn unreachable_in(_: &RuntimeErr) -> bool {
    false
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn unreachable_in(error: &RuntimeErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let RuntimeErr::SqlxError(error) = error else {
        return false;
    };
    match &**error {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => {
            #[cfg(feature = "mysql")]
            if let Some(mysql) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
                return mysql_unreachable(mysql.number());
            }
            // PostgreSQL: class 08, connection exceptions; 57014, a statement cancelled (by
            // `statement_timeout`); 57P01 to 57P03, the server shutting down or starting.
            db.code().is_some_and(|code| {
                code.starts_with("08") || code == "57014" || code.starts_with("57P")
            })
        }
        _ => false,
    }
}

/// MySQL and MariaDB error numbers that say the server cannot serve: 1040, too many
/// connections; 1053, the server shutting down; 1927, the connection killed (MariaDB, as a
/// shutdown does); 1969, a statement stopped at `max_statement_time` (MariaDB); 3024, one
/// stopped at `max_execution_time` (MySQL). A refused, reset or dropped connection is
/// `sqlx::Error::Io`, above. A deadlock (1213) or a lock wait timeout (1205) is not an outage,
/// as PostgreSQL's are not: the database answers, the transaction failed.
#[cfg(feature = "mysql")]
fn mysql_unreachable(number: u16) -> bool {
    matches!(number, 1040 | 1053 | 1927 | 1969 | 3024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_the_wait_and_the_wait() {
        let waits: Vec<Duration> = (0..100)
            .map(|_| jitter(Duration::from_millis(100)))
            .collect();
        for waited in &waits {
            assert!(
                *waited >= Duration::from_millis(50) && *waited < Duration::from_millis(100),
                "{waited:?}"
            );
        }
        assert!(waits.iter().any(|w| *w != waits[0]), "not all the same");
    }

    #[test]
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    fn connection_errors_are_outages_and_others_are_not() {
        let refused = DbErr::Conn(RuntimeErr::SqlxError(Arc::new(sea_orm::sqlx::Error::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        ))));
        let acquire = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        for error in [refused, acquire] {
            assert_eq!(
                outage(&error).map(|o| o.dependency),
                Some("database"),
                "{error}"
            );
        }
        let not_found = DbErr::RecordNotFound("post 7".to_owned());
        let row = DbErr::Query(RuntimeErr::SqlxError(Arc::new(
            sea_orm::sqlx::Error::RowNotFound,
        )));
        for error in [not_found, row] {
            assert_eq!(outage(&error), None, "{error}");
        }
    }

    #[test]
    #[cfg(feature = "mysql")]
    fn mysql_outages_are_the_server_failing_not_the_transaction() {
        for number in [1040, 1053, 1927, 1969, 3024] {
            assert!(mysql_unreachable(number), "{number}");
        }
        // Duplicate key, deadlock, lock wait timeout, foreign key.
        for number in [1062, 1213, 1205, 1452] {
            assert!(!mysql_unreachable(number), "{number}");
        }
    }
}
