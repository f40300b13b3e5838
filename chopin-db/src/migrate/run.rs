//! `migrate` with files: applies the pending files of each set in order, records them with
//! their checksums in `chopin_migrations`, adopts a database an earlier `migrate` made, and
//! tells which files are applied (`showmigrations`).

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

use super::apply::{ForeignKeys, create_table, statements};
use super::file::{MigrationFile, Migrations, read_set};
use super::ops::{Column, Operation};
use super::state::Schema;
use super::{MIGRATIONS_TABLE, MigrateError, PG_LOCK_KEY, Report};

/// One set's files, read and checked, with whose they are.
pub(super) struct Set {
    pub(super) owner: &'static str,
    pub(super) files: Vec<MigrationFile>,
}

/// Reads the embedded files of `sets`: the modules' first, in the given order, the
/// application's (`app`) last, since its tables may reference theirs.
pub(super) fn read_sets(sets: &[Migrations]) -> Result<Vec<Set>, MigrateError> {
    let mut ordered: Vec<&Migrations> = sets.iter().filter(|s| s.owner != "app").collect();
    ordered.extend(sets.iter().filter(|s| s.owner == "app"));
    ordered
        .into_iter()
        .map(|set| {
            let files = read_set(set.files.iter().copied()).map_err(|err| {
                MigrateError::Files(format!("the migrations of `{}`: {err}", set.owner))
            })?;
            Ok(Set {
                owner: set.owner,
                files,
            })
        })
        .collect()
}

/// The schema the files of `sets` replay to, all of them.
pub(super) fn replay(sets: &[Set]) -> Result<Schema, MigrateError> {
    let mut schema = Schema::default();
    for set in sets {
        for file in &set.files {
            replay_file(&mut schema, set.owner, file)?;
        }
    }
    Ok(schema)
}

fn replay_file(schema: &mut Schema, owner: &str, file: &MigrationFile) -> Result<(), MigrateError> {
    for op in &file.operations {
        schema.apply(op).map_err(|err| {
            MigrateError::Files(format!(
                "`{owner}/{}` cannot {}: {err}",
                file.name,
                op.describe()
            ))
        })?;
    }
    Ok(())
}

/// A row of `chopin_migrations` that records a file.
struct Applied {
    owner: String,
    name: String,
    checksum: String,
}

/// Applies the pending files of `sets`; see [`super::migrate_files`].
pub(super) async fn run(
    db: &DatabaseConnection,
    sets: &[Migrations],
) -> Result<Report, MigrateError> {
    let sets = read_sets(sets)?;
    let backend = db.get_database_backend();
    let restore = sqlite_foreign_keys_off(db).await?;
    let fks = if restore.is_some() {
        ForeignKeys::Off
    } else {
        ForeignKeys::Enforced
    };
    let result = run_locked(db, backend, &sets, fks).await;
    if let Some(true) = restore {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    result
}

async fn run_locked(
    db: &DatabaseConnection,
    backend: DbBackend,
    sets: &[Set],
    fks: ForeignKeys,
) -> Result<Report, MigrateError> {
    let txn = db.begin().await?;
    match backend {
        DbBackend::Postgres => {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                .await?;
        }
        DbBackend::MySql => super::mysql::lock(&txn).await?,
        _ => {}
    }
    let result = apply_pending(&txn, backend, sets, fks).await;
    if backend == DbBackend::MySql {
        super::mysql::unlock(&txn).await;
    }
    match result {
        Ok(report) => {
            txn.commit().await?;
            Ok(report)
        }
        // The files applied before the one that failed stay applied (and recorded).
        Err(err @ MigrateError::Failed { .. }) => {
            txn.commit().await?;
            Err(err)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}

async fn apply_pending(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    sets: &[Set],
    fks: ForeignKeys,
) -> Result<Report, MigrateError> {
    ensure_table(txn, backend).await?;
    let applied = applied(txn, backend).await?;
    check_applied(sets, &applied)?;

    let mut report = Report::default();
    let mut schema = Schema::default();
    for set in sets {
        let started = applied.iter().any(|a| a.owner == set.owner);
        for file in &set.files {
            let label = format!("{}/{}", set.owner, file.name);
            if applied
                .iter()
                .any(|a| a.owner == set.owner && a.name == file.name)
            {
                replay_file(&mut schema, set.owner, file)?;
                continue;
            }
            if !started && adoptable(txn, backend, &label, file).await? {
                replay_file(&mut schema, set.owner, file)?;
                record(txn, backend, set.owner, file, "adopt").await?;
                tracing::info!("migrate: adopted {label}: its tables exist");
                report.adopted.push(label);
                continue;
            }
            apply_file(txn, backend, &mut schema, &label, file, fks).await?;
            record(txn, backend, set.owner, file, "apply").await?;
            tracing::info!("migrate: applied {label}");
            report.applied.push(label);
        }
    }
    if fks == ForeignKeys::Off {
        let broken = txn
            .query_all_raw(Statement::from_string(
                backend,
                "PRAGMA foreign_key_check".to_owned(),
            ))
            .await?;
        if let Some(row) = broken.first() {
            let table: String = row.try_get_by_index(0).unwrap_or_default();
            return Err(MigrateError::Files(format!(
                "after migrating, {} row(s) break a foreign key (the first in `{table}`): \
                 nothing was applied",
                broken.len()
            )));
        }
    }
    Ok(report)
}

/// Applies one file: in a transaction of its own on SQLite and PostgreSQL (a savepoint of the
/// run's), statement by statement on MySQL, whose DDL commits itself.
async fn apply_file(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    schema: &mut Schema,
    label: &str,
    file: &MigrationFile,
    fks: ForeignKeys,
) -> Result<(), MigrateError> {
    let nested = if backend == DbBackend::MySql {
        None
    } else {
        Some(txn.begin().await?)
    };
    let mut done: Vec<String> = Vec::new();
    for op in &file.operations {
        let failed = |error: String, done: &[String]| MigrateError::Failed {
            file: label.to_owned(),
            operation: op.describe(),
            error,
            applied_before: if backend == DbBackend::MySql {
                done.to_vec()
            } else {
                Vec::new()
            },
        };
        let stmts = statements(op, schema, backend, fks).map_err(|e| failed(e, &done))?;
        for stmt in stmts {
            let sql = stmt.to_string();
            let result = match &nested {
                Some(nested) => nested.execute_raw(stmt).await,
                None => txn.execute_raw(stmt).await,
            };
            if let Err(err) = result {
                if let Some(nested) = nested {
                    nested.rollback().await?;
                }
                return Err(failed(format!("{err} (in `{sql}`)"), &done));
            }
            done.push(sql);
        }
        schema.apply(op).map_err(|e| failed(e, &done))?;
    }
    if let Some(nested) = nested {
        nested.commit().await?;
    }
    Ok(())
}

/// Whether `file` is the first file of a set whose tables an earlier `migrate` (or anything
/// else) made already: every table it creates exists with every column it gives them, and it
/// does nothing but create tables, their indexes and foreign keys. Then it is recorded as
/// applied without running. Some of its tables there and some not is an error, which names
/// them.
async fn adoptable(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    label: &str,
    file: &MigrationFile,
) -> Result<bool, MigrateError> {
    let only_creates = file.operations.iter().all(|op| {
        matches!(
            op,
            Operation::CreateTable { .. }
                | Operation::CreateIndex { .. }
                | Operation::AddForeignKey { .. }
        )
    });
    let mut present = Vec::new();
    let mut absent = Vec::new();
    let mut missing_columns = Vec::new();
    for op in &file.operations {
        if let Operation::CreateTable { table, columns, .. } = op {
            let live = live_columns(txn, backend, table).await?;
            if live.is_empty() {
                absent.push(table.as_str());
                continue;
            }
            present.push(table.as_str());
            for c in columns {
                if !live.contains(&c.name) {
                    missing_columns.push(format!("`{table}`.`{}`", c.name));
                }
            }
        }
    }
    if present.is_empty() {
        return Ok(false);
    }
    if !only_creates || !absent.is_empty() || !missing_columns.is_empty() {
        let mut why = Vec::new();
        if !absent.is_empty() {
            why.push(format!("it lacks {}", absent.join(", ")));
        }
        if !missing_columns.is_empty() {
            why.push(format!("it lacks columns {}", missing_columns.join(", ")));
        }
        if !only_creates {
            why.push("the file does more than create tables".to_owned());
        }
        return Err(MigrateError::Files(format!(
            "`{label}` creates {}, which the database has already, but cannot adopt them: {}. \
             Bring the database in line by hand, or start from an empty database",
            present.join(", "),
            why.join("; ")
        )));
    }
    Ok(true)
}

/// The columns of `table` in the connection's database (schema), empty when it has no such
/// table.
pub(super) async fn live_columns(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let sql = match backend {
        DbBackend::Sqlite => "SELECT name FROM pragma_table_info(?)",
        DbBackend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
        _ => {
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION"
        }
    };
    conn.query_all_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [table.to_owned().into()],
    ))
    .await?
    .iter()
    .map(|row| row.try_get_by_index::<String>(0))
    .collect()
}

/// The columns of `chopin_migrations`: those an earlier `migrate` made (`id`, `description`,
/// `applied_at`), and those that record files.
fn record_columns() -> Vec<Column> {
    let column = |name: &str, ty: &str, null: bool| Column {
        name: name.to_owned(),
        ty: ty.to_owned(),
        null,
        default: None,
        primary_key: false,
        auto_increment: false,
        unique: false,
    };
    let mut id = column("id", "integer", false);
    id.primary_key = true;
    id.auto_increment = true;
    vec![
        id,
        column("description", "text", false),
        column("applied_at", "timestamp_tz", false),
        column("owner", "string(100)", true),
        column("name", "string(200)", true),
        column("checksum", "string(64)", true),
    ]
}

/// Creates `chopin_migrations`, or adds to the one an earlier `migrate` made the columns that
/// record files (its rows stay, as history).
async fn ensure_table(txn: &DatabaseTransaction, backend: DbBackend) -> Result<(), MigrateError> {
    let live = live_columns(txn, backend, MIGRATIONS_TABLE).await?;
    let columns = record_columns();
    if live.is_empty() {
        let create = create_table(MIGRATIONS_TABLE, &columns, &[], &[], backend)
            .map_err(MigrateError::Files)?;
        txn.execute(&create).await?;
        return Ok(());
    }
    for column in columns.iter().filter(|c| !live.contains(&c.name)) {
        let add = statements(
            &Operation::AddColumn {
                table: MIGRATIONS_TABLE.to_owned(),
                column: column.clone(),
            },
            &Schema::default(),
            backend,
            ForeignKeys::Enforced,
        )
        .map_err(MigrateError::Files)?;
        for stmt in add {
            txn.execute_raw(stmt).await?;
        }
    }
    Ok(())
}

async fn applied(conn: &impl ConnectionTrait, backend: DbBackend) -> Result<Vec<Applied>, DbErr> {
    let select = Query::select()
        .columns(["owner", "name", "checksum"])
        .from(MIGRATIONS_TABLE)
        .and_where(Expr::col("name").is_not_null())
        .order_by("id", sea_orm::Order::Asc)
        .take();
    conn.query_all_raw(backend.build(&select))
        .await?
        .iter()
        .map(|row| {
            Ok(Applied {
                owner: row.try_get_by_index(0)?,
                name: row.try_get_by_index(1)?,
                checksum: row.try_get_by_index(2)?,
            })
        })
        .collect()
}

/// Refuses a database that has applied a file this binary does not have, or a file whose
/// text changed since it was applied.
fn check_applied(sets: &[Set], applied: &[Applied]) -> Result<(), MigrateError> {
    let mut problems = Vec::new();
    for a in applied {
        let file = sets
            .iter()
            .filter(|s| s.owner == a.owner)
            .flat_map(|s| &s.files)
            .find(|f| f.name == a.name);
        match file {
            None => problems.push(format!(
                "the database has applied `{}/{}`, which is not among this application's \
                 migration files (a file of another branch, or one deleted or renamed since)",
                a.owner, a.name
            )),
            Some(file) if file.checksum != a.checksum => problems.push(format!(
                "`{}/{}` changed after it was applied (checksum {} then, {} now): an applied \
                 migration must not change; put it back, and write the change as a new \
                 migration (`makemigrations`)",
                a.owner,
                a.name,
                short(&a.checksum),
                short(&file.checksum)
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Files(problems.join("; ")))
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

async fn record(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    owner: &str,
    file: &MigrationFile,
    verb: &str,
) -> Result<(), MigrateError> {
    let insert = Query::insert()
        .into_table(MIGRATIONS_TABLE)
        .columns(["description", "applied_at", "owner", "name", "checksum"])
        .values([
            Expr::val(format!("{verb} {owner}/{}", file.name)),
            Expr::val(chrono::Utc::now()),
            Expr::val(owner.to_owned()),
            Expr::val(file.name.clone()),
            Expr::val(file.checksum.clone()),
        ])
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .take();
    txn.execute_raw(backend.build(&insert)).await?;
    Ok(())
}

/// On SQLite with a pool of one connection, turns foreign-key enforcement off for the run (it
/// cannot change inside a transaction), so that rebuilding a table others reference does not
/// cascade; `PRAGMA foreign_key_check` runs before the commit instead. Returns whether it was
/// on, to turn it back on after; `None` where nothing was changed.
async fn sqlite_foreign_keys_off(db: &DatabaseConnection) -> Result<Option<bool>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite || !single_connection(db) {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_keys".to_owned(),
        ))
        .await?;
    let on: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    Ok(Some(on != 0))
}

#[cfg(feature = "sqlite")]
fn single_connection(db: &DatabaseConnection) -> bool {
    matches!(
        db.inner,
        sea_orm::DatabaseConnectionType::SqlxSqlitePoolConnection(_)
    ) && db
        .get_sqlite_connection_pool()
        .options()
        .get_max_connections()
        == 1
}

#[cfg(not(feature = "sqlite"))]
fn single_connection(_: &DatabaseConnection) -> bool {
    false
}

/// Each set's files, marked applied or not: what `showmigrations` prints. A database without
/// `chopin_migrations` has applied none.
pub(super) async fn status(
    db: &DatabaseConnection,
    sets: &[Migrations],
) -> Result<Vec<(String, Vec<(String, bool)>)>, MigrateError> {
    let sets = read_sets(sets)?;
    let backend = db.get_database_backend();
    // No table yet, or the one an earlier `migrate` made, without the columns that record
    // files: nothing applied.
    let has_names = live_columns(db, backend, MIGRATIONS_TABLE)
        .await?
        .iter()
        .any(|c| c == "name");
    let applied = if has_names {
        applied(db, backend).await?
    } else {
        Vec::new()
    };
    Ok(sets
        .iter()
        .map(|set| {
            let files = set
                .files
                .iter()
                .map(|f| {
                    let done = applied
                        .iter()
                        .any(|a| a.owner == set.owner && a.name == f.name);
                    (f.name.clone(), done)
                })
                .collect();
            (set.owner.to_owned(), files)
        })
        .collect())
}
