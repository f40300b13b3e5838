//! [`DbConfig`]: where the database is and how its pool behaves, read from `DATABASE_URL` and its
//! companions.

use std::time::Duration;

use chopin_runtime::config::{ConfigError, Section, Vars};

/// Where the database is and how its connection pool behaves: the database battery's section
/// of the configuration ([`Config::section`](chopin_runtime::Config::section)).
///
/// ```
/// use chopin_db::DbConfig;
/// use chopin_runtime::Config;
///
/// let mut defaults = Config::default();
/// defaults.set(DbConfig { auto_migrate: true, ..DbConfig::default() });
/// let config = Config::from_lookup_with_defaults(defaults, |name| {
///     (name == "DB_MAX_CONNECTIONS").then(|| "32".to_owned())
/// })
/// .unwrap();
/// let db = config.section::<DbConfig>().unwrap();
/// assert!(db.auto_migrate);
/// assert_eq!(db.max_connections, 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// The database's URL: `sqlite://file.db?mode=rwc`, `sqlite::memory:`,
    /// `postgres://user@host:5432/name` or `mysql://user@host:3306/name` (`mariadb://` is the
    /// same). Variable `DATABASE_URL`, default `sqlite://chopin.db?mode=rwc` (a file beside the
    /// process, created if missing).
    pub url: String,
    /// Most connections in the pool. Variable `DB_MAX_CONNECTIONS`, default 10 (1 for an
    /// in-memory SQLite database, which is one database per connection). Shared among the
    /// workers' pools when there is one per worker runtime ([`Db::connect_for`](crate::Db::connect_for)).
    pub max_connections: u32,
    /// Connections kept open when idle. Variable `DB_MIN_CONNECTIONS`, default 0.
    pub min_connections: u32,
    /// At start-up, how long to wait for the database to answer. Variable
    /// `DB_CONNECT_TIMEOUT_MS`, default 5 000.
    pub connect_timeout: Duration,
    /// How long a request waits for a connection from the pool, opening one included; past it
    /// the request gets `503`. Variable `DB_ACQUIRE_TIMEOUT_MS`, default 5 000.
    pub acquire_timeout: Duration,
    /// How long PostgreSQL lets one statement run before it cancels it (its
    /// `statement_timeout`, set on every connection; the request then gets `503`). On MariaDB
    /// it is `max_statement_time`, every statement; on MySQL `max_execution_time`, which bounds
    /// only `SELECT`s. SQLite has no such limit: `HANDLER_TIMEOUT_MS` bounds every handler
    /// whatever its database. Variable `DB_STATEMENT_TIMEOUT_MS`, default 30 000.
    pub statement_timeout: Duration,
    /// Run `migrate` when the server starts. Variable `AUTO_MIGRATE`, default `false`.
    pub auto_migrate: bool,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            url: "sqlite://chopin.db?mode=rwc".to_owned(),
            max_connections: 10,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
            auto_migrate: false,
        }
    }
}

/// The URL schemes of each backend, whether this build has its driver, and what a URL of it
/// says when it has not (naming the feature that builds the driver).
const BACKENDS: [(&[&str], bool, &str); 3] = [
    (
        &["sqlite:"],
        cfg!(feature = "sqlite"),
        "a database this build has a driver for: SQLite needs chopin's `sqlite` feature",
    ),
    (
        &["postgres://", "postgresql://"],
        cfg!(feature = "postgres"),
        "a database this build has a driver for: PostgreSQL needs chopin's `postgres` feature",
    ),
    (
        &["mysql://", "mariadb://"],
        cfg!(feature = "mysql"),
        "a database this build has a driver for: MySQL and MariaDB need chopin's `mysql` feature",
    ),
];

impl Section for DbConfig {
    fn read(vars: &Vars, d: DbConfig) -> Result<DbConfig, ConfigError> {
        Ok(DbConfig {
            url: database_url(vars)?.unwrap_or(d.url),
            max_connections: vars
                .get("DB_MAX_CONNECTIONS")
                .ranged(1, 10_000, "a connection count from 1 to 10000")?
                .map_or(d.max_connections, |n| n as u32),
            min_connections: vars
                .get("DB_MIN_CONNECTIONS")
                .ranged(0, 10_000, "a connection count from 0 to 10000")?
                .map_or(d.min_connections, |n| n as u32),
            connect_timeout: vars
                .get("DB_CONNECT_TIMEOUT_MS")
                .millis()?
                .unwrap_or(d.connect_timeout),
            acquire_timeout: vars
                .get("DB_ACQUIRE_TIMEOUT_MS")
                .millis()?
                .unwrap_or(d.acquire_timeout),
            statement_timeout: vars
                .get("DB_STATEMENT_TIMEOUT_MS")
                .millis()?
                .unwrap_or(d.statement_timeout),
            auto_migrate: vars
                .get("AUTO_MIGRATE")
                .boolean()?
                .unwrap_or(d.auto_migrate),
        })
    }
}

/// `DATABASE_URL`: a URL of a backend Chopin connects to, whose driver this build has.
fn database_url(vars: &Vars) -> Result<Option<String>, ConfigError> {
    let var = vars.get("DATABASE_URL");
    let Some(url) = var.url(
        &[
            "sqlite:",
            "postgres://",
            "postgresql://",
            "mysql://",
            "mariadb://",
        ],
        "a sqlite://, postgres:// or mysql:// URL, such as sqlite://app.db?mode=rwc",
    )?
    else {
        return Ok(None);
    };
    for (schemes, built, missing) in BACKENDS {
        if !built && schemes.iter().any(|s| url.starts_with(s)) {
            return Err(var.invalid(missing));
        }
    }
    Ok(Some(url))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chopin_runtime::Config;

    use super::*;

    fn section(vars: &[(&str, &str)]) -> Result<DbConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| map.get(k).cloned())?.section::<DbConfig>()
    }

    #[test]
    fn reads_every_variable() {
        assert_eq!(section(&[]).ok(), Some(DbConfig::default()));
        assert_eq!(
            section(&[
                // The default driver's, so that chopin-db alone passes too.
                ("DATABASE_URL", "sqlite://blog.db?mode=rwc"),
                ("DB_MAX_CONNECTIONS", "32"),
                ("DB_MIN_CONNECTIONS", "2"),
                ("DB_CONNECT_TIMEOUT_MS", "750"),
                ("DB_ACQUIRE_TIMEOUT_MS", "1500"),
                ("DB_STATEMENT_TIMEOUT_MS", "2000"),
                ("AUTO_MIGRATE", "yes"),
            ])
            .ok(),
            Some(DbConfig {
                url: "sqlite://blog.db?mode=rwc".to_owned(),
                max_connections: 32,
                min_connections: 2,
                connect_timeout: Duration::from_millis(750),
                acquire_timeout: Duration::from_millis(1500),
                statement_timeout: Duration::from_millis(2000),
                auto_migrate: true,
            })
        );
    }

    #[test]
    fn an_applications_defaults_apply_where_no_variable_is_set() {
        let mut defaults = Config::default();
        defaults.set(DbConfig {
            auto_migrate: true,
            ..DbConfig::default()
        });
        let unset = Config::from_lookup_with_defaults(defaults.clone(), |_| None)
            .and_then(|c| c.section::<DbConfig>());
        assert!(unset.is_ok_and(|db| db.auto_migrate));
        let set = Config::from_lookup_with_defaults(defaults, |name| {
            (name == "AUTO_MIGRATE").then(|| "false".to_owned())
        })
        .and_then(|c| c.section::<DbConfig>());
        assert!(set.is_ok_and(|db| !db.auto_migrate));
    }

    #[test]
    fn errors_name_the_variable_and_the_value() {
        let cases = [
            (
                "DATABASE_URL",
                "mongodb://db/blog",
                "invalid value for `DATABASE_URL`: `mongodb://db/blog` (a sqlite://, postgres:// or mysql:// URL, such as sqlite://app.db?mode=rwc)",
            ),
            (
                "DB_MAX_CONNECTIONS",
                "0",
                "invalid value for `DB_MAX_CONNECTIONS`: `0` (a connection count from 1 to 10000)",
            ),
            (
                "DB_CONNECT_TIMEOUT_MS",
                "0",
                "invalid value for `DB_CONNECT_TIMEOUT_MS`: `0` (a duration in milliseconds, at least 1)",
            ),
            (
                "AUTO_MIGRATE",
                "sometimes",
                "invalid value for `AUTO_MIGRATE`: `sometimes` (one of true, false, 1, 0, yes, no, on, off)",
            ),
        ];
        for (name, value, message) in cases {
            let err = section(&[(name, value)]).expect_err(name);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn a_backend_without_its_driver_is_named_with_its_feature() {
        for (url, feature, built) in [
            (
                "postgres://app@db/blog",
                "postgres",
                cfg!(feature = "postgres"),
            ),
            ("sqlite::memory:", "sqlite", cfg!(feature = "sqlite")),
            ("mysql://app@db/blog", "mysql", cfg!(feature = "mysql")),
            ("mariadb://app@db/blog", "mysql", cfg!(feature = "mysql")),
        ] {
            let read = section(&[("DATABASE_URL", url)]);
            assert_eq!(read.is_ok(), built, "{url}");
            if let Err(err) = read {
                assert!(
                    err.to_string()
                        .contains(&format!("chopin's `{feature}` feature")),
                    "{err}"
                );
            }
        }
    }
}
