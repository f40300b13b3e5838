//! [`Database`]: the database battery's plugin, and [`AppDbExt`], what it adds to `App`.
//!
//! A module that declares `models(..)` registers its models with the application's `Database`
//! plugin when it is mounted. When the application starts, the plugin connects to `DATABASE_URL`
//! (unless a database was given with [`AppDbExt::with_db`]), gives handlers the [`Db`], and with
//! `AUTO_MIGRATE=true` migrates. It adds the `migrate`, `makemigrations` and `showmigrations`
//! commands to the application's binary. A module that ships migration files registers them
//! too (`#[chopin::module(migrations)]`), and the application gives its own with
//! [`AppDbExt::with_migrations`].

use std::future::Future;

use chopin_runtime::config::{Section, Vars};
use chopin_runtime::gauges::Gauge;
use chopin_runtime::module::ModuleList;
use chopin_runtime::plugin::{BoxFuture, Command, Mount, Plugin, Setup};
use chopin_runtime::ready::Check;
use chopin_runtime::{App, Config, ConfigError, Error};

use crate::config::DbConfig;
use crate::db::{ConnectError, Db};
use crate::migrate::{self, Made, MakeOptions, Migrations, Report};
use crate::model::ModelDecl;

/// The database battery's plugin: the models of the mounted modules, their migration files,
/// and their database.
#[derive(Debug, Default)]
pub struct Database {
    models: Vec<ModelDecl>,
    migrations: Vec<Migrations>,
}

impl Database {
    /// The models of the mounted modules, once each, in mount order.
    pub fn models(&self) -> &[ModelDecl] {
        &self.models
    }

    /// The migration files: the application's and the modules' that ship their own.
    pub fn migrations(&self) -> &[Migrations] {
        &self.migrations
    }

    /// Adds a set of migration files; a second set of one owner replaces the first.
    pub fn add_migrations(&mut self, migrations: Migrations) {
        self.migrations.retain(|m| m.owner != migrations.owner);
        self.migrations.push(migrations);
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

/// Registers the migration files a module ships (`#[chopin::module(migrations)]`) with the
/// application's database plugin.
pub fn register_migrations(app: &mut Mount<'_>, migrations: Migrations) {
    app.plugin::<Database>().add_migrations(migrations);
}

/// Connects to the database `config`'s `DATABASE_URL` names, for serving on `workers` worker
/// runtimes ([`Db::connect_for`]; a command serves on none).
async fn open(config: &Config, workers: usize) -> Result<Db, Error> {
    let section = config.section::<DbConfig>()?;
    Db::connect_for(&section, workers)
        .await
        .map_err(|source| Error::battery(ConnectError::new(&section.url, source)))
}

/// Brings the database up to date: applies the pending migration files, then, for the models
/// no file creates a table for, what the application has no files for is synced from the
/// models by [`migrate::migrate`]; an application with files of its own is told to run
/// `makemigrations` instead.
async fn migrate_all(
    db: &Db,
    models: &[ModelDecl],
    sets: &[Migrations],
    url: Option<&str>,
) -> Result<Report, Error> {
    let backend = db.conn().get_database_backend();
    let mut report = Report::default();
    if !sets.is_empty() {
        let own = own_connection(db, url).await?;
        let conn = own.as_ref().unwrap_or(db.conn());
        report = migrate::migrate_files(conn, sets)
            .await
            .map_err(Error::battery)?;
        if let Some(own) = own {
            let _ = own.close().await;
        }
    }
    let covered = migrate::tables_of(sets).map_err(Error::battery)?;
    let rest: Vec<&ModelDecl> = models
        .iter()
        .filter(|m| !covered.iter().any(|t| t == m.table))
        .collect();
    if rest.is_empty() {
        return Ok(report);
    }
    if sets.iter().any(|s| s.owner == "app") {
        let tables: Vec<&str> = rest.iter().map(|m| m.table).collect();
        let warning = format!(
            "no migration file creates the tables of {}: run `makemigrations`",
            tables.join(", ")
        );
        tracing::warn!("migrate: {warning}");
        report.warnings.push(warning);
        return Ok(report);
    }
    let tables = rest.iter().map(|m| (m.define)(backend)).collect();
    let synced = migrate::migrate(db.conn(), tables)
        .await
        .map_err(Error::battery)?;
    report.applied.extend(synced.applied);
    report.warnings.extend(synced.warnings);
    Ok(report)
}

/// On an SQLite file whose pool has several connections, a pool of one connection of its own
/// for migrating, so that foreign keys can be off while a table is rebuilt.
async fn own_connection(
    db: &Db,
    url: Option<&str>,
) -> Result<Option<sea_orm::DatabaseConnection>, Error> {
    let Some(url) = url else { return Ok(None) };
    if db.conn().get_database_backend() != sea_orm::DbBackend::Sqlite || url.contains("memory") {
        return Ok(None);
    }
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    sea_orm::Database::connect(options)
        .await
        .map(Some)
        .map_err(|source| Error::battery(ConnectError::new(url, source)))
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

/// The connections of the database's pools (the main one and each worker's), and how many of
/// them are idle.
fn pool_use(db: &Db) -> Option<(u32, u32)> {
    db.pools()
        .filter_map(one_pool_use)
        .reduce(|(size, idle), (s, i)| (size + s, idle + i))
}

/// One pool's connections, and how many of them are idle.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(
        unused_imports,
        unused_variables,
        reason = "without a driver there is no pool"
    )
)]
fn one_pool_use(conn: &sea_orm::DatabaseConnection) -> Option<(u32, u32)> {
    use sea_orm::DatabaseConnectionType as Kind;
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

const COMMANDS: &[Command] = &[
    Command {
        name: "migrate",
        usage: "migrate",
    },
    Command {
        name: "makemigrations",
        usage: "makemigrations [--name NAME] [--check] [--allow-destructive]",
    },
    Command {
        name: "showmigrations",
        usage: "showmigrations",
    },
];

/// `MIGRATIONS_DIR`: where `makemigrations` reads and writes the application's files, when
/// not where `chopin::migrations!()` embedded them from.
#[derive(Clone, Debug, Default)]
struct MigrationsDir(Option<std::path::PathBuf>);

impl Section for MigrationsDir {
    fn read(vars: &Vars, defaults: Self) -> Result<Self, ConfigError> {
        let var = vars.get("MIGRATIONS_DIR");
        match var.value().map(str::trim) {
            Some("") => Err(var.invalid("a directory")),
            Some(dir) => Ok(MigrationsDir(Some(dir.into()))),
            None => Ok(defaults),
        }
    }
}

/// `makemigrations`' arguments.
fn make_options(args: &[String], app: &Setup<'_>) -> Result<MakeOptions, Error> {
    let usage = || {
        Error::Usage(format!(
            "`makemigrations {}`: expected `makemigrations [--name NAME] [--check] \
             [--allow-destructive]`",
            args.join(" ")
        ))
    };
    let mut options = MakeOptions {
        command: std::env::args()
            .next()
            .and_then(|arg0| {
                std::path::Path::new(&arg0)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "app".to_owned()),
        dir: app.config().section::<MigrationsDir>()?.0,
        ..MakeOptions::default()
    };
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--check" => options.check = true,
            "--allow-destructive" => options.allow_destructive = true,
            "--name" => options.name = Some(words.next().ok_or_else(usage)?.clone()),
            _ => return Err(usage()),
        }
    }
    Ok(options)
}

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
            let db = open(app.config(), chopin_runtime::worker::count(app.config())).await?;
            app.provide(db.clone());
            watch(app, &db);
            let section = app.config().section::<DbConfig>()?;
            if section.auto_migrate {
                // `migrate` logs each step it applies.
                migrate_all(&db, &self.models, &self.migrations, Some(&section.url)).await?;
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
        name: &'a str,
        args: &'a [String],
        app: &'a mut Setup<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if name == "makemigrations" {
                let options = make_options(args, app)?;
                let models: Vec<_> = self.models.iter().map(ModelDecl::table_for_files).collect();
                let made = migrate::makemigrations(&self.migrations, &models, &options)
                    .map_err(Error::battery)?;
                match made {
                    Made::NoChanges if options.check => {
                        println!(
                            "makemigrations: the migration files hold every change of the models"
                        );
                    }
                    Made::NoChanges => println!("makemigrations: no changes"),
                    Made::Written {
                        path,
                        operations,
                        destructive,
                    } => {
                        println!("makemigrations: wrote {}", path.display());
                        for op in operations {
                            println!("  - {op}");
                        }
                        for reason in destructive {
                            println!("  destructive: it {reason}");
                        }
                    }
                }
                return Ok(());
            }
            if !args.is_empty() {
                return Err(Error::Usage(format!(
                    "`{name} {}`: expected `{name}`",
                    args.join(" ")
                )));
            }
            if self.models.is_empty() && self.migrations.is_empty() {
                println!("{name}: no mounted module declares models");
                return Ok(());
            }
            let section = app.config().section::<DbConfig>()?;
            let db = match app.service::<Db>() {
                Some(db) => db.clone(),
                None => open(app.config(), 0).await?,
            };
            if name == "showmigrations" {
                let sets = migrate::show_migrations(db.conn(), &self.migrations)
                    .await
                    .map_err(Error::battery)?;
                if sets.is_empty() {
                    println!("showmigrations: this application has no migration files");
                }
                for (owner, files) in sets {
                    println!("{owner}");
                    for (file, applied) in files {
                        println!(" [{}] {file}", if applied { "x" } else { " " });
                    }
                }
                return Ok(());
            }
            let report =
                migrate_all(&db, &self.models, &self.migrations, Some(&section.url)).await?;
            for warning in &report.warnings {
                println!("migrate: warning: {warning}");
            }
            if report.applied.is_empty() && report.adopted.is_empty() {
                println!("migrate: the database is up to date");
            }
            for adopted in &report.adopted {
                println!("migrate: adopted {adopted} (its tables exist already)");
            }
            for step in &report.applied {
                println!("migrate: applied {step}");
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

    /// Gives the application its migration files, embedded with `chopin::migrations!()`:
    /// `migrate` applies them, `makemigrations` writes the next one beside them.
    #[must_use]
    fn with_migrations(self, migrations: Migrations) -> Self;

    /// Brings the database up to date with the application: applies the pending migration files
    /// (the application's and its modules'), each recorded in `chopin_migrations` with its
    /// checksum. An application without files of its own has the tables of the models no file
    /// covers synced from the models ([`migrate::migrate`]: creates missing tables and indexes,
    /// adds missing columns, refuses changes that would lose data). Running it again does
    /// nothing.
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

    fn with_migrations(mut self, migrations: Migrations) -> Self {
        match self.plugin_mut::<Database>() {
            Some(plugin) => {
                plugin.add_migrations(migrations);
                self
            }
            None => {
                let mut plugin = Database::default();
                plugin.add_migrations(migrations);
                self.with_plugin(plugin)
            }
        }
    }

    async fn migrate(&self) -> Result<Report, Error> {
        let (models, sets) = match self.plugin::<Database>() {
            Some(p) => (p.models().to_vec(), p.migrations().to_vec()),
            None => return Ok(Report::default()),
        };
        if models.is_empty() && sets.is_empty() {
            return Ok(Report::default());
        }
        let (db, url) = match self.db() {
            Some(db) => (db.clone(), None),
            None => {
                let url = self.config().section::<DbConfig>()?.url;
                (open(self.config(), 0).await?, Some(url))
            }
        };
        migrate_all(&db, &models, &sets, url.as_deref()).await
    }
}
