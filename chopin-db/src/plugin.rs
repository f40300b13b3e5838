//! [`Database`]: the database battery's plugin, and [`AppDbExt`], what it adds to `App`.
//!
//! A module that declares `models(..)` registers its models with the application's `Database`
//! plugin when it is mounted. When the application starts, the plugin connects to `DATABASE_URL`
//! (unless a database was given with [`AppDbExt::with_db`]), gives handlers the [`Db`], and with
//! `AUTO_MIGRATE=true` migrates. It adds the `migrate` command to the application's binary.

use std::future::Future;

use chopin_runtime::gauges::Gauge;
use chopin_runtime::module::ModuleList;
use chopin_runtime::plugin::{BoxFuture, Command, Mount, Plugin, Setup};
use chopin_runtime::ready::Check;
use chopin_runtime::{App, Config, ConfigError, Error};

use crate::config::DbConfig;
use crate::db::{ConnectError, Db};
use crate::migrate::{self, Report};
use crate::model::ModelDecl;

/// The database battery's plugin: the models of the mounted modules, and their database.
#[derive(Debug, Default)]
pub struct Database {
    models: Vec<ModelDecl>,
}

impl Database {
    /// The models of the mounted modules, once each, in mount order.
    pub fn models(&self) -> &[ModelDecl] {
        &self.models
    }

    /// Adds `models`, leaving out those whose table it has already.
    pub fn add_models(&mut self, models: &[ModelDecl]) {
        for model in models {
            if !self.models.iter().any(|m| m.table == model.table) {
                self.models.push(*model);
            }
        }
    }
}

/// Registers a module's models with the application's database plugin: what the code
/// `#[chopin::module]` generates for `models(..)` calls when the module is mounted.
pub fn register_models(app: &mut Mount<'_>, models: &[ModelDecl]) {
    app.plugin::<Database>().add_models(models);
}

/// Connects to the database `config`'s `DATABASE_URL` names.
async fn open(config: &Config) -> Result<Db, Error> {
    let section = config.section::<DbConfig>()?;
    Db::connect(&section)
        .await
        .map_err(|source| Error::battery(ConnectError::new(&section.url, source)))
}

/// Brings the tables of `models` up to date on `db`.
async fn migrate_models(db: &Db, models: &[ModelDecl]) -> Result<Report, Error> {
    let backend = db.conn().get_database_backend();
    let tables = models.iter().map(|m| (m.define)(backend)).collect();
    migrate::migrate(db.conn(), tables)
        .await
        .map_err(Error::battery)
}

/// The database's readiness check and its pool's gauges.
fn watch(app: &mut Setup<'_>, db: &Db) {
    app.ready_check(ready(db.clone()));
    for (state, in_use) in [("idle", false), ("in_use", true)] {
        let db = db.clone();
        app.gauge(
            Gauge::new(
                "chopin_db_pool_connections",
                "Connections the database pool holds, idle or in use.",
                move || {
                    pool_use(&db).map_or(0.0, |(size, idle)| {
                        f64::from(if in_use {
                            size.saturating_sub(idle)
                        } else {
                            idle
                        })
                    })
                },
            )
            .label("state", state),
        );
    }
}

/// The pool's connections, and how many of them are idle.
fn pool_use(db: &Db) -> Option<(u32, u32)> {
    use sea_orm::DatabaseConnectionType as Kind;
    let conn = db.conn();
    let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match &conn.inner {
        #[cfg(feature = "postgres")]
        Kind::SqlxPostgresPoolConnection(_) => {
            let pool = conn.get_postgres_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        #[cfg(feature = "mysql")]
        Kind::SqlxMySqlPoolConnection(_) => {
            let pool = conn.get_mysql_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        #[cfg(feature = "sqlite")]
        Kind::SqlxSqlitePoolConnection(_) => {
            let pool = conn.get_sqlite_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        _ => None,
    }
}

/// `READY_PATH`'s check of the database: a round trip on a pooled connection (which the pool's
/// acquire timeout bounds, and the readiness route too).
fn ready(db: Db) -> Check {
    Check::new("database", move || {
        let db = db.clone();
        Box::pin(async move { db.conn().ping().await.map_err(|e| e.to_string()) })
    })
}

const COMMANDS: &[Command] = &[Command {
    name: "migrate",
    usage: "migrate",
}];

impl Plugin for Database {
    fn name(&self) -> &'static str {
        "db"
    }

    fn start<'a>(&'a mut self, app: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if let Some(db) = app.service::<Db>().cloned() {
                watch(app, &db);
                return Ok(());
            }
            if self.models.is_empty() {
                return Ok(());
            }
            let db = open(app.config()).await?;
            app.provide(db.clone());
            watch(app, &db);
            if app.config().section::<DbConfig>()?.auto_migrate {
                // `migrate` logs each step it applies.
                migrate_models(&db, &self.models).await?;
            }
            Ok(())
        })
    }

    /// `DATABASE_URL` and the pool's settings, unless a database was given by hand or no module
    /// has models.
    fn unmet(&self, app: &Setup<'_>) -> Vec<ConfigError> {
        if app.service::<Db>().is_some() || self.models.is_empty() {
            return Vec::new();
        }
        app.config()
            .section::<DbConfig>()
            .err()
            .into_iter()
            .collect()
    }

    fn commands(&self) -> &'static [Command] {
        COMMANDS
    }

    fn run_command<'a>(
        &'a mut self,
        _name: &'a str,
        args: &'a [String],
        app: &'a mut Setup<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if !args.is_empty() {
                return Err(Error::Usage(format!(
                    "`migrate {}`: expected `migrate`",
                    args.join(" ")
                )));
            }
            if self.models.is_empty() {
                println!("migrate: no mounted module declares models");
                return Ok(());
            }
            let db = match app.service::<Db>() {
                Some(db) => db.clone(),
                None => open(app.config()).await?,
            };
            let report = migrate_models(&db, &self.models).await?;
            for warning in &report.warnings {
                println!("migrate: warning: {warning}");
            }
            if report.applied.is_empty() {
                println!("migrate: the tables are up to date");
            }
            for step in &report.applied {
                println!("migrate: {step}");
            }
            Ok(())
        })
    }
}

/// What the database battery adds to [`App`]: `use chopin::prelude::*` brings it into scope.
pub trait AppDbExt: Sized {
    /// Gives the application its database, instead of the one `DATABASE_URL` names.
    #[must_use]
    fn with_db(self, db: Db) -> Self;

    /// The application's database, if it has one yet: given with [`AppDbExt::with_db`], or
    /// opened when the application started.
    fn db(&self) -> Option<&Db>;

    /// The models of the mounted modules (`models(..)`), once each, in mount order.
    fn models(&self) -> Vec<ModelDecl>;

    /// Brings the tables of the mounted modules' models up to date: creates missing tables and
    /// indexes in dependency order, adds missing columns, refuses changes that would lose data,
    /// and records each step in `chopin_migrations`. Running it again does nothing.
    ///
    /// # Errors
    /// [`Error::Battery`] with a [`ConnectError`] when the database does not answer, or a
    /// [`MigrateError`](crate::MigrateError) when a change is refused (nothing is applied then)
    /// or the database fails.
    fn migrate(&self) -> impl Future<Output = Result<Report, Error>> + Send;
}

impl<S, M> AppDbExt for App<S, M>
where
    S: Clone + Send + Sync + 'static,
    M: ModuleList,
{
    fn with_db(self, db: Db) -> Self {
        self.with_service(db)
    }

    fn db(&self) -> Option<&Db> {
        self.service::<Db>()
    }

    fn models(&self) -> Vec<ModelDecl> {
        self.plugin::<Database>()
            .map(|p| p.models().to_vec())
            .unwrap_or_default()
    }

    async fn migrate(&self) -> Result<Report, Error> {
        let models = self.models();
        if models.is_empty() {
            return Ok(Report::default());
        }
        let db = match self.db() {
            Some(db) => db.clone(),
            None => open(self.config()).await?,
        };
        migrate_models(&db, &models).await
    }
}
