//! Schemas: migration files, and the earlier `migrate` that diffs the models against the live
//! database.
//!
//! **Migration files** are how an application's schema changes: [`makemigrations`] compares
//! the models with the schema the files replay to (never a database) and writes the next file,
//! a list of backend-neutral operations in TOML; [`migrate_files`] applies the pending files in
//! order, each recorded in `chopin_migrations` with its checksum; [`show_migrations`] lists
//! them. [`Migrations`] is a crate's files as `chopin::migrations!()` embeds them.
//!
//! **[`migrate`]**, the earlier way, brings the tables of models that no file covers up to date
//! with the models (an application without files of its own: tests, prototypes). It reads the
//! live schema (tables, columns with their types, nullability and defaults,
//! indexes, foreign keys) the way SeaORM's `SchemaBuilder::sync` does, plans the changes in
//! foreign-key order, and applies them in one transaction, recording each step in the
//! `chopin_migrations` table (on MySQL and MariaDB, whose DDL commits by itself, step by step:
//! see [`migrate`]). It only ever adds: tables, columns, indexes, and the foreign keys
//! of columns it adds. It never drops or alters anything. A change that would take a drop or an
//! alteration (a field removed from a model, a column's type narrowed) is refused, and then
//! nothing at all is applied, so a run either brings every table up to date or leaves the
//! database exactly as it was.
//!
//! Types are compared through the text each backend reports: SQLite keeps the declared type of
//! every column as written (`varchar(200)`, `timestamp_with_timezone_text`), except that it
//! capitalizes its own names (`integer` comes back `INTEGER`, `text` `TEXT`), PostgreSQL's
//! `format_type` spells its canonical name (`character varying(200)`, `integer`,
//! `timestamp with time zone`), and MySQL's `COLUMN_TYPE` its own (`int(11)`, `tinyint(1)`,
//! `datetime(6)`). The model's type is rendered by SeaQuery for the same backend (on MySQL,
//! the type `mysql.rs` gives it), and both texts are read into one small type vocabulary, so an
//! unchanged model compares equal on every backend and a second run plans nothing.

use sea_orm::sea_query::{
    ColumnDef, Expr, IndexCreateStatement, Query, Table, TableCreateStatement,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Schema, Statement,
    TransactionTrait,
};

mod apply;
mod diff;
mod discover;
mod file;
mod make;
mod mysql;
mod ops;
mod plan;
mod run;
mod state;
mod types;

pub use file::Migrations;
pub use make::{Made, MakeOptions, ModelTable, makemigrations};

use plan::{plan, table_ref_name};

/// The table where `migrate` records every step it applies.
pub const MIGRATIONS_TABLE: &str = "chopin_migrations";

/// An arbitrary constant naming the PostgreSQL advisory lock that serializes concurrent runs of
/// `migrate` (two instances of an application starting at once): "chopin" in ASCII.
pub(super) const PG_LOCK_KEY: i64 = 0x6368_6f70_696e;

/// One model's table as `migrate` sees it: the statement that creates it and the statements
/// that create its indexes, both as SeaORM derives them from the entity for one backend.
#[derive(Clone, Debug)]
pub struct TableDef {
    /// `CREATE TABLE` with the columns, the primary key and the foreign keys.
    pub table: TableCreateStatement,
    /// `CREATE INDEX` for each indexed column (`#[sea_orm(indexed)]`) and each named unique key
    /// (`#[sea_orm(unique_key = "…")]`). Single-column unique constraints
    /// (`#[sea_orm(unique)]`) are part of the column, in `table`.
    pub indexes: Vec<IndexCreateStatement>,
}

impl TableDef {
    /// The table of `entity` for `backend`, through `sea_orm::Schema::create_table_from_entity`
    /// and `create_index_from_entity`.
    pub fn of<E: EntityTrait>(entity: E, backend: DbBackend) -> TableDef {
        let schema = Schema::new(backend);
        TableDef {
            table: schema.create_table_from_entity(entity),
            indexes: schema.create_index_from_entity(entity),
        }
    }

    /// The table's name, without a schema.
    pub fn name(&self) -> String {
        table_ref_name(self.table.get_table_name())
    }
}

/// What a run of [`migrate_files`] or [`migrate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What was applied, in order. The migration files, by owner and name
    /// (`auth/0001_initial`, `app/0002_add_posts_summary`); then, for models no file covers, the
    /// steps of the earlier `migrate` as it records them: "create table \`posts\`", "add column
    /// \`posts\`.\`summary\`", … Empty when the database was up to date.
    pub applied: Vec<String>,
    /// Differences between the models and the database that `migrate` leaves alone, because
    /// they lose no data but would take altering something (a widened column type, a changed
    /// nullability, a missing default or foreign key on an existing column). Each is also
    /// logged as a `tracing` warning. They come back on every run until fixed by hand.
    pub warnings: Vec<String>,
    /// Migration files recorded as applied without running, because the tables they create
    /// were there already (made by an earlier `migrate`): `app/0001_initial`.
    pub adopted: Vec<String>,
}

/// Why [`migrate`] did not bring the tables up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database failed (it could not be read, or a statement of the plan failed). The
    /// transaction was rolled back: nothing was applied. (On MySQL/MariaDB, a failure after
    /// some steps is [`MigrateError::Partial`].)
    #[error("migrate failed, and changed nothing: {0}")]
    Db(#[from] DbErr),
    /// MySQL/MariaDB only, where each statement that changes a table commits by itself: a step
    /// failed after `applied`, which stay applied and recorded in `chopin_migrations`. Running
    /// `migrate` again plans from the tables as they are and goes on from there.
    #[error(
        "migrate failed part-way: {} step(s) applied and recorded ({}), then: {source}",
        .applied.len(),
        .applied.join("; ")
    )]
    Partial {
        /// The steps applied before the failure, in order.
        applied: Vec<String>,
        /// What the database said of the step that failed.
        source: DbErr,
    },
    /// The models ask for changes that `migrate` does not make, because they would lose data or
    /// need an alteration; one message each, naming the table and column. Nothing was applied.
    #[error("migrate refused, and changed nothing: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// The migration files cannot be used as they are (unreadable, conflicting, edited after
    /// they were applied, missing from the binary), or the models have changes without a file
    /// (`makemigrations --check`). Nothing was applied.
    #[error("{0}")]
    Files(String),
    /// A statement of a migration file failed. The files before it stay applied; on SQLite
    /// and PostgreSQL this file's statements were rolled back, on MySQL (whose DDL commits
    /// itself) those in `applied_before` stay applied, and the file is not recorded.
    #[error(
        "migration `{file}` failed at `{operation}`: {error}{}",
        if applied_before.is_empty() { String::new() } else {
            format!(" (MySQL had applied, and kept, these statements of it before: {})", applied_before.join("; "))
        }
    )]
    Failed {
        /// The file: `app/0002_post_summary`.
        file: String,
        /// The operation that failed, in words.
        operation: String,
        /// The database's error, with the statement.
        error: String,
        /// On MySQL, the statements of the file that were applied before, and stay.
        applied_before: Vec<String>,
    },
}

/// Applies the pending migration files of `sets` in order, and returns what it applied.
///
/// 1. Reads the embedded files of each set (a module's, then the application's), refusing a
///    set with two files of one number (two branches' files: renumber one) or a gap.
/// 2. Creates `chopin_migrations`, or adds to the table an earlier `migrate` made the columns
///    that record files (`owner`, `name`, `checksum`); its rows stay.
/// 3. Refuses a database that applied a file the binary lacks, or whose text changed since
///    (its checksum differs): nothing is applied then.
/// 4. Applies each pending file in order, recording it with its checksum. On SQLite and
///    PostgreSQL each file is a transaction of its own (a savepoint of the run's, which holds
///    PostgreSQL's advisory lock so that two instances never migrate at once); a failing file
///    is rolled back whole and the files before it stay. MySQL commits each DDL statement by
///    itself: a file that fails part-way keeps the statements before the failure (the error
///    lists them) and is not recorded; `GET_LOCK` serializes concurrent runs there.
/// 5. The first file of a set whose tables all exist already, with their columns (a
///    database made by an earlier `migrate`, which diffed the models), is *adopted*: recorded
///    without running, and listed in [`Report::adopted`].
///
/// # Errors
/// [`MigrateError::Files`] for the files or the records, [`MigrateError::Failed`] for a
/// statement, [`MigrateError::Db`] when the database fails.
pub async fn migrate_files(
    db: &DatabaseConnection,
    sets: &[Migrations],
) -> Result<Report, MigrateError> {
    run::run(db, sets).await
}

/// Each set's files, with whether `db` has applied them: `showmigrations`.
///
/// # Errors
/// As [`migrate_files`] for the files; [`MigrateError::Db`] when the database fails.
pub async fn show_migrations(
    db: &DatabaseConnection,
    sets: &[Migrations],
) -> Result<Vec<(String, Vec<(String, bool)>)>, MigrateError> {
    run::status(db, sets).await
}

/// The tables the files of `sets` create (as they replay), which `migrate` leaves to them.
///
/// # Errors
/// [`MigrateError::Files`] when the files cannot be read or replayed.
pub fn tables_of(sets: &[Migrations]) -> Result<Vec<String>, MigrateError> {
    let sets = run::read_sets(sets)?;
    Ok(run::replay(&sets)?
        .tables
        .into_iter()
        .map(|t| t.name)
        .collect())
}

/// Brings the tables of `tables` up to date with their models, and returns what it applied.
///
/// 1. Creates the `chopin_migrations` table if it is missing.
/// 2. Reads the live schema of the connection's database (on PostgreSQL, its current schema).
/// 3. Plans, table by table, each after the tables its foreign keys reference: a missing table
///    is created with its indexes; an existing table gets the model's columns it lacks (with the
///    foreign keys of those columns) and the model's indexes it lacks.
/// 4. Refuses, listing every reason at once: a column the table has and the model does not
///    (dropping it would lose its data), a column whose type changed in a way that could lose
///    data (a narrower `varchar`, `text` to `varchar(n)`, `bigint` to `integer`, or any change
///    it cannot prove lossless), a `NOT NULL` column without a default added to a table that
///    has rows, a primary-key column added to an existing table.
/// 5. Otherwise applies the plan in one transaction, one `chopin_migrations` row per step.
///
/// Running it again on unchanged models applies nothing and adds no rows. Tables of the
/// database that no model names are left alone.
///
/// On MySQL and MariaDB, concurrent runs are serialized by the lock `GET_LOCK('chopin_migrate',
/// 60)` (released when the run ends), and the tables are created `ENGINE=InnoDB` in `utf8mb4`
/// with the binary collation `utf8mb4_bin`, their types and indexes adjusted so that every
/// value a model accepts fits (`longtext` for unbounded strings, `datetime(6)` for times, a
/// prefix of a text column in an index; a unique unbounded text column is refused: give it a
/// `max_len`). Their `CREATE TABLE`, `ALTER TABLE` and `CREATE INDEX` commit by themselves, so
/// there is no transaction around the plan: each step is applied, then recorded in
/// `chopin_migrations` at once. A refusal is still decided before anything is applied (only
/// `chopin_migrations` may have been created); a step that fails (each statement is applied
/// whole or not at all) stops the run with [`MigrateError::Partial`], the steps before it
/// applied and recorded, and the next run goes on from there.
///
/// # Errors
/// [`MigrateError::Refused`] as above; [`MigrateError::Db`] when the database fails. Either
/// way the database is left as it was, except on MySQL/MariaDB after a step was applied:
/// [`MigrateError::Partial`].
pub async fn migrate(
    db: &DatabaseConnection,
    tables: Vec<TableDef>,
) -> Result<Report, MigrateError> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            backend,
            format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"),
        ))
        .await?;
    }
    if backend == DbBackend::MySql {
        // A session lock, not a transaction's: released below on every way out.
        mysql::lock(&txn).await?;
    }
    let mut applied = Vec::new();
    let outcome: Result<Vec<String>, MigrateError> = async {
        if backend == DbBackend::MySql {
            txn.execute(&mysql::create_table(&migrations_table()))
                .await?;
        } else {
            txn.execute(&migrations_table()).await?;
        }

        let plan = plan(&txn, backend, tables).await?;
        for warning in &plan.warnings {
            tracing::warn!("migrate: {warning}");
        }
        if !plan.refused.is_empty() {
            return Err(MigrateError::Refused(plan.refused));
        }

        for step in plan.steps {
            let recorded = async {
                for statement in step.statements {
                    txn.execute_raw(statement).await?;
                }
                let mut insert = Query::insert();
                insert
                    .into_table(MIGRATIONS_TABLE)
                    .columns(["description", "applied_at"])
                    .values([
                        Expr::val(step.description.clone()),
                        Expr::val(chrono::Utc::now()),
                    ])
                    .map_err(|err| DbErr::Custom(err.to_string()))?;
                txn.execute(&insert).await.map(|_| ())
            }
            .await;
            match recorded {
                Ok(()) => {}
                // MySQL committed each step as it went: the ones before stay.
                Err(source) if backend == DbBackend::MySql && !applied.is_empty() => {
                    return Err(MigrateError::Partial {
                        applied: std::mem::take(&mut applied),
                        source,
                    });
                }
                Err(err) => return Err(err.into()),
            }
            tracing::info!("migrate: {}", step.description);
            applied.push(step.description);
        }
        Ok(plan.warnings)
    }
    .await;
    if backend == DbBackend::MySql {
        mysql::unlock(&txn).await;
    }
    match outcome {
        Ok(warnings) => {
            txn.commit().await?;
            Ok(Report {
                applied,
                warnings,
                adopted: Vec::new(),
            })
        }
        Err(err) => {
            // What failed is the error to report; a rollback that fails too (the connection
            // gone) changes nothing more.
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!("migrate: the rollback failed too: {rollback}");
            }
            Err(err)
        }
    }
}

/// `CREATE TABLE IF NOT EXISTS chopin_migrations`.
fn migrations_table() -> TableCreateStatement {
    Table::create()
        .table(MIGRATIONS_TABLE)
        .if_not_exists()
        .col(
            ColumnDef::new("id")
                .integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new("description").text().not_null())
        .col(
            ColumnDef::new("applied_at")
                .timestamp_with_time_zone()
                .not_null(),
        )
        .take()
}
