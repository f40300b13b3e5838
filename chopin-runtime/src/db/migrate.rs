//! `migrate`: brings the tables of the application's models up to date with the models.
//!
//! It reads the live schema (tables, columns with their types, nullability and defaults,
//! indexes, foreign keys) the way SeaORM's `SchemaBuilder::sync` does, plans the changes in
//! foreign-key order, and applies them in one transaction, recording each step in the
//! `chopin_migrations` table. It only ever adds: tables, columns, indexes, and the foreign keys
//! of columns it adds. It never drops or alters anything. A change that would take a drop or an
//! alteration (a field removed from a model, a column's type narrowed) is refused, and then
//! nothing at all is applied, so a run either brings every table up to date or leaves the
//! database exactly as it was.
//!
//! Types are compared through the text each backend reports: SQLite keeps the declared type of
//! every column as written (`varchar(200)`, `timestamp_with_timezone_text`), except that it
//! capitalizes its own names (`integer` comes back `INTEGER`, `text` `TEXT`), and PostgreSQL's
//! `format_type` spells its canonical name (`character varying(200)`, `integer`,
//! `timestamp with time zone`). The model's type is rendered by SeaQuery for the same backend,
//! and both texts are read into one small type vocabulary, so an unchanged model compares equal
//! on both backends and a second run plans nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sea_orm::sea_query::backend::TableBuilder;
use sea_orm::sea_query::{
    ColumnDef, ColumnType, Expr, ForeignKeyAction, ForeignKeyCreateStatement, IndexCreateStatement,
    PostgresQueryBuilder, Query, SchemaName, SqliteQueryBuilder, Table, TableAlterStatement,
    TableCreateStatement, TableName, TableRef,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    Schema, Statement, TransactionTrait,
};

/// The table where `migrate` records every step it applies.
pub const MIGRATIONS_TABLE: &str = "chopin_migrations";

/// An arbitrary constant naming the PostgreSQL advisory lock that serializes concurrent runs of
/// `migrate` (two instances of an application starting at once): "chopin" in ASCII.
const PG_LOCK_KEY: i64 = 0x6368_6f70_696e;

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

/// What a run of [`migrate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The steps applied, in order, as recorded in `chopin_migrations`: "create table
    /// \`posts\`", "add column \`posts\`.\`summary\`", "create index \`idx-posts-title\` on
    /// \`posts\` (\`title\`)", "add foreign key …". Empty when the tables were up to date.
    pub applied: Vec<String>,
    /// Differences between the models and the database that `migrate` leaves alone, because
    /// they lose no data but would take altering something (a widened column type, a changed
    /// nullability, a missing default or foreign key on an existing column). Each is also
    /// logged as a `tracing` warning. They come back on every run until fixed by hand.
    pub warnings: Vec<String>,
}

/// Why [`migrate`] did not bring the tables up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database failed (it could not be read, or a statement of the plan failed). The
    /// transaction was rolled back: nothing was applied.
    #[error("migrate failed, and changed nothing: {0}")]
    Db(#[from] DbErr),
    /// The models ask for changes that `migrate` does not make, because they would lose data or
    /// need an alteration; one message each, naming the table and column. Nothing was applied.
    #[error("migrate refused, and changed nothing: {}", .0.join("; "))]
    Refused(Vec<String>),
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
/// # Errors
/// [`MigrateError::Refused`] as above; [`MigrateError::Db`] when the database fails. Either
/// way the database is left as it was.
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
    txn.execute(&migrations_table()).await?;

    let plan = plan(&txn, backend, tables).await?;
    for warning in &plan.warnings {
        tracing::warn!("migrate: {warning}");
    }
    if !plan.refused.is_empty() {
        txn.rollback().await?;
        return Err(MigrateError::Refused(plan.refused));
    }

    let mut applied = Vec::with_capacity(plan.steps.len());
    for step in plan.steps {
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
        txn.execute(&insert).await?;
        tracing::info!("migrate: {}", step.description);
        applied.push(step.description);
    }
    txn.commit().await?;
    Ok(Report {
        applied,
        warnings: plan.warnings,
    })
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

// ---------------------------------------------------------------------------------------------
// The plan

/// One step of the plan: what it does, in words, and the statements that do it.
struct Step {
    description: String,
    statements: Vec<Statement>,
}

#[derive(Default)]
struct Plan {
    steps: Vec<Step>,
    refused: Vec<String>,
    warnings: Vec<String>,
}

async fn plan(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    tables: Vec<TableDef>,
) -> Result<Plan, DbErr> {
    let mut plan = Plan::default();
    let tables = dedup(tables, backend, &mut plan.refused);
    for def in &tables {
        if let Some(TableRef::Table(TableName(Some(SchemaName(_, schema)), _), _)) =
            def.table.get_table_name()
        {
            plan.refused.push(format!(
                "table `{}` is in schema `{schema}`: migrate handles the connection's current \
                 schema only",
                def.name()
            ));
        }
    }
    let live = discover(txn, backend, &tables).await?;
    for def in dependency_order(tables) {
        let name = def.name();
        match live.get(&name) {
            None => plan_new_table(&def, backend, &mut plan),
            Some(existing) => {
                plan_existing_table(txn, &def, existing, backend, &mut plan).await?;
            }
        }
    }
    Ok(plan)
}

/// Keeps the first definition of each table; two different definitions of one table are
/// refused, since `migrate` cannot tell which one the application means.
fn dedup(tables: Vec<TableDef>, backend: DbBackend, refused: &mut Vec<String>) -> Vec<TableDef> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kept = Vec::with_capacity(tables.len());
    for def in tables {
        let name = def.name();
        let sql = backend.build(&def.table).to_string();
        match seen.get(&name) {
            Some(first) if *first == sql => {}
            Some(_) => refused.push(format!(
                "table `{name}` is defined twice, by two models that differ: keep one"
            )),
            None => {
                seen.insert(name, sql);
                kept.push(def);
            }
        }
    }
    kept
}

/// Orders the tables so that each comes after the tables its foreign keys reference, keeping
/// the given order where there is no dependency. Tables in a reference cycle keep their order.
fn dependency_order(tables: Vec<TableDef>) -> Vec<TableDef> {
    let names: BTreeSet<String> = tables.iter().map(TableDef::name).collect();
    let deps: Vec<BTreeSet<String>> = tables
        .iter()
        .map(|def| {
            let own = def.name();
            def.table
                .get_foreign_key_create_stmts()
                .iter()
                .map(|fk| table_ref_name(fk.get_foreign_key().get_ref_table()))
                .filter(|referenced| *referenced != own && names.contains(referenced))
                .collect()
        })
        .collect();
    let mut pending: Vec<(TableDef, BTreeSet<String>)> = tables.into_iter().zip(deps).collect();
    let mut ordered = Vec::with_capacity(pending.len());
    let mut placed = BTreeSet::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, deps)| deps.iter().all(|dep| placed.contains(dep)))
            // A cycle: take the first one left, in the given order.
            .unwrap_or(0);
        let (def, _) = pending.remove(ready);
        placed.insert(def.name());
        ordered.push(def);
    }
    ordered
}

fn plan_new_table(def: &TableDef, backend: DbBackend, plan: &mut Plan) {
    let name = def.name();
    plan.steps.push(Step {
        description: format!("create table `{name}`"),
        statements: vec![backend.build(&def.table)],
    });
    for index in &def.indexes {
        plan.steps.push(create_index_step(index, &name, backend));
    }
}

async fn plan_existing_table(
    txn: &DatabaseTransaction,
    def: &TableDef,
    live: &LiveTable,
    backend: DbBackend,
    plan: &mut Plan,
) -> Result<(), DbErr> {
    let table = def.name();
    let model_columns = def.table.get_columns();

    for column in &live.columns {
        // A generated column holds no data of its own: leaving it out of the model loses none.
        if !column.generated
            && !model_columns
                .iter()
                .any(|c| c.get_column_name() == column.name)
        {
            plan.refused.push(format!(
                "dropping column `{table}`.`{}` would lose its data: drop it by hand, or put the \
                 field back",
                column.name
            ));
        }
    }

    let mut added = BTreeSet::new();
    let mut has_rows = None;
    for column in model_columns {
        let name = column.get_column_name();
        let spec = column.get_column_spec();
        if let Some(existing) = live.columns.iter().find(|c| c.name == name) {
            compare_column(&table, column, existing, backend, plan);
            continue;
        }
        if spec.primary_key {
            plan.refused.push(format!(
                "column `{table}`.`{name}` is a primary key, which migrate cannot add to an \
                 existing table: add it by hand"
            ));
            continue;
        }
        let not_null = spec.nullable == Some(false);
        if not_null && spec.default.is_none() && !spec.auto_increment && spec.generated.is_none() {
            if has_rows.is_none() {
                has_rows = Some(table_has_rows(txn, backend, &table).await?);
            }
            if has_rows == Some(true) {
                plan.refused.push(format!(
                    "column `{table}`.`{name}` is NOT NULL without a default, and `{table}` has \
                     rows, which would have no value for it: give the field a default, or make it \
                     an `Option`"
                ));
                continue;
            }
        }
        added.insert(name.clone());
        plan_add_column(def, column, backend, plan);
    }

    // Foreign keys: those whose columns are all added now are added with them. Any other
    // missing one is left alone: adding it could fail on the rows already there.
    for fk in def.table.get_foreign_key_create_stmts() {
        let key = fk.get_foreign_key();
        let columns = key.get_columns();
        let ref_table = table_ref_name(key.get_ref_table());
        let exists = live
            .foreign_keys
            .iter()
            .any(|live_fk| live_fk.columns == columns && live_fk.ref_table == ref_table);
        if exists {
            continue;
        }
        let all_new = columns.iter().all(|c| added.contains(c));
        if all_new && backend == DbBackend::Postgres {
            plan.steps.push(Step {
                description: format!(
                    "add foreign key {}from `{table}` ({}) to `{ref_table}` ({})",
                    key.get_name()
                        .map(|n| format!("`{n}` "))
                        .unwrap_or_default(),
                    tick_list(&columns),
                    tick_list(&key.get_ref_columns()),
                ),
                statements: vec![backend.build(fk)],
            });
        } else if all_new && columns.len() == 1 {
            // SQLite: the key went into the column's `ADD COLUMN`, as `REFERENCES`.
        } else if all_new {
            plan.warnings.push(format!(
                "the foreign key from `{table}` ({}) to `{ref_table}` was not added: SQLite adds \
                 a foreign key to an existing table only with a single new column, add it by hand",
                tick_list(&columns)
            ));
        } else {
            plan.warnings.push(format!(
                "the foreign key from `{table}` ({}) to `{ref_table}` is not in the database: \
                 migrate adds foreign keys only with new columns, add it by hand",
                tick_list(&columns)
            ));
        }
    }

    for index in &def.indexes {
        if let Some(missing) = index_missing(index, &table, live, &mut plan.warnings) {
            plan.steps.push(create_index_step(missing, &table, backend));
        }
    }

    // `#[sea_orm(unique)]` on a column the table already had: the column's unique index.
    for column in model_columns {
        let name = column.get_column_name();
        if !column.get_column_spec().unique || added.contains(&name) {
            continue;
        }
        let unique = live.indexes.iter().any(|index| {
            (index.unique || index.primary) && index.columns.len() == 1 && index.columns[0] == name
        });
        if !unique && live.columns.iter().any(|c| c.name == name) {
            plan.steps.push(create_index_step(
                &unique_index(&table, &name),
                &table,
                backend,
            ));
        }
    }
    Ok(())
}

/// Adds `column` to an existing table. SQLite cannot add a column declared `UNIQUE`: there the
/// column is added plain and its unique index created beside it. A single-column foreign key
/// of the new column goes into the `ADD COLUMN` on SQLite (the only way SQLite adds one); on
/// PostgreSQL it is a step of its own, planned by the caller.
fn plan_add_column(def: &TableDef, column: &ColumnDef, backend: DbBackend, plan: &mut Plan) {
    let table = def.name();
    let name = column.get_column_name();
    let spec = column.get_column_spec();
    let mut description = format!("add column `{table}`.`{name}`");
    let mut unique_after = false;
    let column = if backend == DbBackend::Sqlite {
        let fk = def.table.get_foreign_key_create_stmts().iter().find(|fk| {
            let columns = fk.get_foreign_key().get_columns();
            columns.len() == 1 && columns[0] == name
        });
        let references = fk.map(sqlite_references);
        if let Some(fk) = fk {
            let key = fk.get_foreign_key();
            let _ = write!(
                description,
                " referencing `{}` ({})",
                table_ref_name(key.get_ref_table()),
                tick_list(&key.get_ref_columns())
            );
        }
        unique_after = spec.unique;
        if spec.unique || references.is_some() {
            rebuild_column(column, references)
        } else {
            column.clone()
        }
    } else {
        column.clone()
    };
    let alter = TableAlterStatement::new()
        .table(table.clone())
        .add_column(column)
        .take();
    plan.steps.push(Step {
        description,
        statements: vec![backend.build(&alter)],
    });
    if unique_after {
        plan.steps.push(create_index_step(
            &unique_index(&table, &name),
            &table,
            backend,
        ));
    }
}

/// `column` without `UNIQUE`, with `references` appended to its extra SQL.
fn rebuild_column(column: &ColumnDef, references: Option<String>) -> ColumnDef {
    let spec = column.get_column_spec();
    let mut rebuilt = match column.get_column_type() {
        Some(ty) => ColumnDef::new_with_type(column.get_column_name(), ty.clone()),
        None => ColumnDef::new(column.get_column_name()),
    };
    match spec.nullable {
        Some(false) => {
            rebuilt.not_null();
        }
        Some(true) => {
            rebuilt.null();
        }
        None => {}
    }
    if let Some(default) = &spec.default {
        rebuilt.default(default.clone());
    }
    if spec.auto_increment {
        rebuilt.auto_increment();
    }
    if let Some(check) = &spec.check {
        rebuilt.check(check.clone());
    }
    if let Some(generated) = &spec.generated {
        rebuilt.generated(generated.expr.clone(), generated.stored);
    }
    if let Some(comment) = &spec.comment {
        rebuilt.comment(comment);
    }
    let extra = [spec.extra.clone(), references]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !extra.is_empty() {
        rebuilt.extra(extra);
    }
    rebuilt
}

/// `REFERENCES "users" ("id") ON DELETE CASCADE`, the clause SQLite takes in `ADD COLUMN`.
fn sqlite_references(fk: &ForeignKeyCreateStatement) -> String {
    let key = fk.get_foreign_key();
    let mut sql = format!(
        "REFERENCES {} ({})",
        quote(&table_ref_name(key.get_ref_table())),
        key.get_ref_columns()
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(action) = key.get_on_delete() {
        let _ = write!(sql, " ON DELETE {}", action_sql(action));
    }
    if let Some(action) = key.get_on_update() {
        let _ = write!(sql, " ON UPDATE {}", action_sql(action));
    }
    sql
}

fn action_sql(action: ForeignKeyAction) -> &'static str {
    match action {
        ForeignKeyAction::Restrict => "RESTRICT",
        ForeignKeyAction::Cascade => "CASCADE",
        ForeignKeyAction::SetNull => "SET NULL",
        ForeignKeyAction::SetDefault => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

/// An SQL identifier in double quotes, as both SQLite and PostgreSQL take it.
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The unique index of a `#[sea_orm(unique)]` column, named as SeaORM's sync names it.
fn unique_index(table: &str, column: &str) -> IndexCreateStatement {
    IndexCreateStatement::new()
        .name(format!("idx-{table}-{column}"))
        .table(table.to_owned())
        .col(column.to_owned())
        .unique()
        .take()
}

fn create_index_step(index: &IndexCreateStatement, table: &str, backend: DbBackend) -> Step {
    let spec = index.get_index_spec();
    Step {
        description: format!(
            "create {}index {}on `{table}` ({})",
            if index.is_unique_key() { "unique " } else { "" },
            spec.get_name()
                .map(|n| format!("`{n}` "))
                .unwrap_or_default(),
            tick_list(&spec.get_column_names()),
        ),
        statements: vec![backend.build(index)],
    }
}

/// The model's `index` when the table lacks it. An index of that name satisfies it (with a
/// warning if it differs), and so does any index on the same columns, unique if it must be.
fn index_missing<'a>(
    index: &'a IndexCreateStatement,
    table: &str,
    live: &LiveTable,
    warnings: &mut Vec<String>,
) -> Option<&'a IndexCreateStatement> {
    let spec = index.get_index_spec();
    let columns = spec.get_column_names();
    let unique = index.is_unique_key();
    if let Some(name) = spec.get_name()
        && let Some(existing) = live.indexes.iter().find(|i| i.name == name)
    {
        if existing.columns != columns || existing.unique != unique {
            warnings.push(format!(
                "index `{name}` on `{table}` is {}({}) in the database and {}({}) in the model: \
                 migrate does not alter indexes, drop it by hand and migrate again",
                if existing.unique { "unique " } else { "" },
                tick_list(&existing.columns),
                if unique { "unique " } else { "" },
                tick_list(&columns),
            ));
        }
        return None;
    }
    let covered = live.indexes.iter().any(|existing| {
        !existing.expression
            && existing.columns == columns
            && (existing.unique || existing.primary || !unique)
    });
    if covered { None } else { Some(index) }
}

/// Compares a model column with the live one: refuses a type change that could lose data, and
/// warns of a lossless one and of a different nullability or a missing default, all of which
/// would take altering the column.
fn compare_column(
    table: &str,
    model: &ColumnDef,
    live: &LiveColumn,
    backend: DbBackend,
    plan: &mut Plan,
) {
    let name = &live.name;
    let spec = model.get_column_spec();
    if let Some(ty) = model.get_column_type() {
        let model_sql = render_type(backend, ty);
        match type_change(backend, &live.sql_type, &model_sql) {
            TypeChange::Same => {}
            TypeChange::Unknown => plan.warnings.push(format!(
                "column `{table}`.`{name}` is `{}` in the database and `{model_sql}` in the \
                 model, which migrate cannot compare: it leaves the column as it is",
                live.sql_type
            )),
            TypeChange::Wider => plan.warnings.push(format!(
                "column `{table}`.`{name}` is `{}` in the database and the wider `{model_sql}` in \
                 the model: migrate does not alter columns, widen it by hand",
                live.sql_type
            )),
            TypeChange::Lossy => plan.refused.push(format!(
                "changing column `{table}`.`{name}` from `{}` to `{model_sql}` could lose data: \
                 change it by hand, or put the type back",
                live.sql_type
            )),
        }
    }
    let model_not_null = spec.nullable == Some(false) || spec.primary_key;
    if model_not_null != live.not_null {
        plan.warnings.push(format!(
            "column `{table}`.`{name}` is {} in the database and {} in the model: migrate does \
             not alter columns, change it by hand",
            if live.not_null {
                "NOT NULL"
            } else {
                "nullable"
            },
            if model_not_null {
                "NOT NULL"
            } else {
                "nullable"
            },
        ));
    }
    if spec.default.is_some() && live.default.is_none() && !spec.auto_increment {
        plan.warnings.push(format!(
            "column `{table}`.`{name}` has a default in the model and none in the database: \
             migrate does not alter columns, set it by hand"
        ));
    }
}

async fn table_has_rows(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    table: &str,
) -> Result<bool, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT 1 FROM {} LIMIT 1", quote(table)),
        ))
        .await?;
    Ok(row.is_some())
}

/// The name of a table reference, without its schema.
fn table_ref_name(table: Option<&TableRef>) -> String {
    match table {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        _ => String::new(),
    }
}

/// `` `a`, `b` ``.
fn tick_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Discovery

struct LiveTable {
    columns: Vec<LiveColumn>,
    indexes: Vec<LiveIndex>,
    foreign_keys: Vec<LiveForeignKey>,
}

struct LiveColumn {
    name: String,
    /// The type as the backend reports it: SQLite's declared type, PostgreSQL's `format_type`.
    sql_type: String,
    not_null: bool,
    /// The default's SQL, when there is one (an identity column counts as having one).
    default: Option<String>,
    /// A generated column, computed from others.
    generated: bool,
}

struct LiveIndex {
    name: String,
    columns: Vec<String>,
    unique: bool,
    primary: bool,
    /// Some part of the index is an expression rather than a column.
    expression: bool,
}

struct LiveForeignKey {
    columns: Vec<String>,
    ref_table: String,
}

/// Reads the live schema of the tables `tables` name (those that exist).
async fn discover(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    tables: &[TableDef],
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let wanted: BTreeSet<String> = tables.iter().map(TableDef::name).collect();
    match backend {
        DbBackend::Sqlite => discover_sqlite(txn, &wanted).await,
        DbBackend::Postgres => discover_postgres(txn, &wanted).await,
        other => Err(DbErr::BackendNotSupported {
            db: other.as_str(),
            ctx: "chopin migrate",
        }),
    }
}

async fn query(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
}

/// SQLite, through `sqlite_master` and the table-valued pragmas, as sea-schema reads it.
async fn discover_sqlite(
    txn: &DatabaseTransaction,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let b = DbBackend::Sqlite;
    let mut live = BTreeMap::new();
    let names = query(
        txn,
        b,
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        vec![],
    )
    .await?;
    for row in names {
        let table: String = row.try_get_by_index(0)?;
        if !wanted.contains(&table) {
            continue;
        }
        let mut columns = Vec::new();
        let rows = query(
            txn,
            b,
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) \
             ORDER BY cid",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let hidden: i64 = row.try_get_by_index(5)?;
            if hidden == 1 {
                continue; // a hidden column of a virtual table
            }
            let not_null: i64 = row.try_get_by_index(2)?;
            let pk: i64 = row.try_get_by_index(4)?;
            columns.push(LiveColumn {
                name: row.try_get_by_index(0)?,
                sql_type: row.try_get_by_index(1)?,
                not_null: not_null != 0 || pk != 0,
                default: row.try_get_by_index(3)?,
                generated: hidden >= 2,
            });
        }

        let mut indexes = Vec::new();
        let rows = query(
            txn,
            b,
            "SELECT name, \"unique\", origin FROM pragma_index_list(?)",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let name: String = row.try_get_by_index(0)?;
            let unique: i64 = row.try_get_by_index(1)?;
            let origin: String = row.try_get_by_index(2)?;
            let parts = query(
                txn,
                b,
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                vec![name.clone().into()],
            )
            .await?;
            let mut index_columns = Vec::new();
            let mut expression = false;
            for part in parts {
                match part.try_get_by_index::<Option<String>>(0)? {
                    Some(column) => index_columns.push(column),
                    None => expression = true,
                }
            }
            indexes.push(LiveIndex {
                name,
                columns: index_columns,
                unique: unique != 0,
                primary: origin == "pk",
                expression,
            });
        }
        // An `INTEGER PRIMARY KEY` is the rowid and has no index: record it as one.
        let pk: Vec<String> = query(
            txn,
            b,
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
            vec![table.clone().into()],
        )
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect::<Result<_, _>>()?;
        if !pk.is_empty() && !indexes.iter().any(|i| i.primary) {
            indexes.push(LiveIndex {
                name: String::new(),
                columns: pk,
                unique: true,
                primary: true,
                expression: false,
            });
        }

        let mut foreign_keys: BTreeMap<i64, LiveForeignKey> = BTreeMap::new();
        let rows = query(
            txn,
            b,
            "SELECT id, \"table\", \"from\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let id: i64 = row.try_get_by_index(0)?;
            let ref_table: String = row.try_get_by_index(1)?;
            let from: String = row.try_get_by_index(2)?;
            foreign_keys
                .entry(id)
                .or_insert_with(|| LiveForeignKey {
                    columns: Vec::new(),
                    ref_table,
                })
                .columns
                .push(from);
        }

        live.insert(
            table,
            LiveTable {
                columns,
                indexes,
                foreign_keys: foreign_keys.into_values().collect(),
            },
        );
    }
    Ok(live)
}

/// PostgreSQL, through the catalogs of the current schema (`pg_attribute` with `format_type`,
/// `pg_index`, `pg_constraint`), the same facts sea-schema reads from `information_schema`.
async fn discover_postgres(
    txn: &DatabaseTransaction,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let b = DbBackend::Postgres;
    let mut live: BTreeMap<String, LiveTable> = BTreeMap::new();

    let rows = query(
        txn,
        b,
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', \
                a.attgenerated <> '' \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
           AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !wanted.contains(&table) {
            continue;
        }
        let default: Option<String> = row.try_get_by_index(4)?;
        let identity: bool = row.try_get_by_index(5)?;
        let generated: bool = row.try_get_by_index(6)?;
        let column = LiveColumn {
            name: row.try_get_by_index(1)?,
            sql_type: row.try_get_by_index(2)?,
            not_null: row.try_get_by_index(3)?,
            default: if identity {
                Some(default.unwrap_or_else(|| "generated as identity".to_owned()))
            } else {
                default.filter(|_| !generated)
            },
            generated,
        };
        live.entry(table)
            .or_insert_with(|| LiveTable {
                columns: Vec::new(),
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
            })
            .columns
            .push(column);
    }

    // One row per part of each index; a part that is an expression has no column (attnum 0).
    let rows = query(
        txn,
        b,
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                a.attname::text, ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = current_schema() \
         ORDER BY t.relname, i.relname, k.ord",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        let Some(live_table) = live.get_mut(&table) else {
            continue;
        };
        let name: String = row.try_get_by_index(1)?;
        let column: Option<String> = row.try_get_by_index(4)?;
        let partial_or_expr: bool = row.try_get_by_index(5)?;
        let index = match live_table.indexes.iter_mut().find(|i| i.name == name) {
            Some(index) => index,
            None => {
                live_table.indexes.push(LiveIndex {
                    name,
                    columns: Vec::new(),
                    unique: row.try_get_by_index(2)?,
                    primary: row.try_get_by_index(3)?,
                    expression: partial_or_expr,
                });
                let last = live_table.indexes.len() - 1;
                &mut live_table.indexes[last]
            }
        };
        match column {
            Some(column) => index.columns.push(column),
            None => index.expression = true,
        }
    }

    let rows = query(
        txn,
        b,
        "SELECT t.relname::text, con.conname::text, r.relname::text, a.attname::text \
         FROM pg_constraint con \
         JOIN pg_class t ON t.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_class r ON r.oid = con.confrelid \
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
         WHERE con.contype = 'f' AND n.nspname = current_schema() \
         ORDER BY t.relname, con.conname, k.ord",
        vec![],
    )
    .await?;
    let mut keys: BTreeMap<(String, String), LiveForeignKey> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !live.contains_key(&table) {
            continue;
        }
        let name: String = row.try_get_by_index(1)?;
        let ref_table: String = row.try_get_by_index(2)?;
        let column: String = row.try_get_by_index(3)?;
        keys.entry((table, name))
            .or_insert_with(|| LiveForeignKey {
                columns: Vec::new(),
                ref_table,
            })
            .columns
            .push(column);
    }
    for ((table, _), key) in keys {
        if let Some(live_table) = live.get_mut(&table) {
            live_table.foreign_keys.push(key);
        }
    }
    Ok(live)
}

// ---------------------------------------------------------------------------------------------
// Types

/// A column type, read from the text a backend reports or SeaQuery renders, in a vocabulary
/// shared by both backends. Sizes: bytes for integers and floats, characters for strings.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ty {
    Int(u8),
    Float(u8),
    /// `numeric(precision, scale)`, or `numeric` without limits.
    Numeric(Option<(u32, u32)>),
    /// Fixed-length `char(n)`.
    Char(Option<u32>),
    /// `varchar(n)`, or `varchar` without a limit.
    Varchar(Option<u32>),
    Text,
    Bool,
    /// `bytea`, `blob`, `blob(n)`.
    Bytes(Option<u32>),
    Timestamp {
        tz: bool,
    },
    Date,
    Time,
    Json,
    Jsonb,
    Uuid,
    Array(Box<Ty>),
    /// Anything else, by its normalized name.
    Other(String),
}

/// How a column's type changes from the database's to the model's.
#[derive(Debug, PartialEq, Eq)]
enum TypeChange {
    /// The same type, however spelled.
    Same,
    /// A change that keeps every value (`varchar(100)` to `varchar(200)`).
    Wider,
    /// A change that could lose data, or that cannot be shown not to.
    Lossy,
    /// One side is a type migrate does not know: treated as unchanged.
    Unknown,
}

/// The type text SeaQuery writes for `ty` on `backend`, as in its `CREATE TABLE`.
fn render_type(backend: DbBackend, ty: &ColumnType) -> String {
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => {
            <PostgresQueryBuilder as TableBuilder>::prepare_column_type(
                &PostgresQueryBuilder,
                ty,
                &mut sql,
            );
        }
        _ => {
            <SqliteQueryBuilder as TableBuilder>::prepare_column_type(
                &SqliteQueryBuilder,
                ty,
                &mut sql,
            );
        }
    }
    sql
}

fn type_change(backend: DbBackend, live: &str, model: &str) -> TypeChange {
    if normalize(live) == normalize(model) {
        return TypeChange::Same;
    }
    let (old, new) = (parse_type(backend, live), parse_type(backend, model));
    compare_types(&old, &new)
}

fn compare_types(old: &Ty, new: &Ty) -> TypeChange {
    use Ty::*;
    if old == new {
        return TypeChange::Same;
    }
    // Whether `new` keeps every value of `old`.
    let wider = match (old, new) {
        (Other(_), _) | (_, Other(_)) => return TypeChange::Unknown,
        (Array(a), Array(b)) => return compare_types(a, b),
        (Int(a), Int(b)) => b > a,
        (Int(a), Numeric(None)) => *a <= 8,
        (Int(a), Numeric(Some((p, s)))) => p.saturating_sub(*s) >= int_digits(*a),
        // A float's mantissa holds every integer of up to 24 (f32) or 53 (f64) bits.
        (Int(a), Float(b)) => (*a <= 2 && *b >= 4) || (*a <= 4 && *b >= 8),
        (Float(a), Float(b)) => b > a,
        (Numeric(Some(_)), Numeric(None)) => true,
        (Numeric(Some((p, s))), Numeric(Some((p2, s2)))) => s2 >= s && p2 - s2 >= p - s,
        (Char(a) | Varchar(a), Varchar(b)) => at_least(*a, *b),
        (Char(a), Char(b)) => at_least(*a, *b),
        (Char(_) | Varchar(_), Text) => true,
        (Text, Varchar(None)) => true,
        (Bytes(a), Bytes(b)) => at_least(*a, *b),
        _ => false,
    };
    if wider {
        TypeChange::Wider
    } else {
        TypeChange::Lossy
    }
}

/// Whether a string or binary limit `new` holds every value of limit `old` (`None`: no limit).
fn at_least(old: Option<u32>, new: Option<u32>) -> bool {
    match (old, new) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => b >= a,
    }
}

/// The decimal digits of the largest integer of `bytes` bytes.
fn int_digits(bytes: u8) -> u32 {
    match bytes {
        1 => 3,
        2 => 5,
        4 => 10,
        _ => 19,
    }
}

/// Lowercase, single spaces, no space before `(` or around `,` and no quotes.
fn normalize(ty: &str) -> String {
    let lower = ty.trim().to_lowercase().replace('"', "");
    let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .replace(" (", "(")
        .replace(", ", ",")
        .replace(" ,", ",")
}

/// Reads a type's text into its base name and its numeric arguments:
/// `timestamp(3) without time zone` is (`timestamp without time zone`, [3]).
fn split_args(ty: &str) -> (String, Vec<u32>) {
    let Some(open) = ty.find('(') else {
        return (ty.to_owned(), Vec::new());
    };
    let Some(close) = ty[open..].find(')').map(|i| open + i) else {
        return (ty.to_owned(), Vec::new());
    };
    let args = ty[open + 1..close]
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let base = format!("{} {}", ty[..open].trim(), ty[close + 1..].trim());
    (base.trim().to_owned(), args)
}

fn parse_type(backend: DbBackend, ty: &str) -> Ty {
    let ty = normalize(ty);
    if let Some(element) = ty.strip_suffix("[]") {
        return Ty::Array(Box::new(parse_type(backend, element)));
    }
    let (base, args) = split_args(&ty);
    let first = args.first().copied();
    let pair = match args[..] {
        [p, s] => Some((p, s)),
        [p] => Some((p, 0)),
        _ => None,
    };
    match backend {
        DbBackend::Postgres => parse_postgres(&base, first, pair, &ty),
        _ => parse_sqlite(&base, first, pair, &ty),
    }
}

/// PostgreSQL's names (`format_type`'s and their aliases SeaQuery writes).
fn parse_postgres(base: &str, first: Option<u32>, pair: Option<(u32, u32)>, ty: &str) -> Ty {
    match base {
        "smallint" | "int2" | "smallserial" => Ty::Int(2),
        "integer" | "int" | "int4" | "serial" => Ty::Int(4),
        "bigint" | "int8" | "bigserial" => Ty::Int(8),
        "real" | "float4" => Ty::Float(4),
        "double precision" | "float8" => Ty::Float(8),
        "numeric" | "decimal" => Ty::Numeric(pair),
        // `char` without a length is `char(1)` in PostgreSQL.
        "character" | "char" | "bpchar" => Ty::Char(Some(first.unwrap_or(1))),
        "character varying" | "varchar" => Ty::Varchar(first),
        "text" => Ty::Text,
        "boolean" | "bool" => Ty::Bool,
        "bytea" => Ty::Bytes(None),
        "timestamp" | "timestamp without time zone" => Ty::Timestamp { tz: false },
        "timestamp with time zone" | "timestamptz" => Ty::Timestamp { tz: true },
        "date" => Ty::Date,
        "time" | "time without time zone" => Ty::Time,
        "json" => Ty::Json,
        "jsonb" => Ty::Jsonb,
        "uuid" => Ty::Uuid,
        "bit varying" | "varbit" => Ty::Other(format!("bit varying({})", first.unwrap_or(0))),
        "bit" => Ty::Other(format!("bit({})", first.unwrap_or(1))),
        // `money(p, s)` as SeaQuery writes it is plain `money`; an interval's fields and
        // precision are not worth telling apart: when in doubt, unchanged.
        "money" => Ty::Other("money".to_owned()),
        _ if base.starts_with("interval") => Ty::Other("interval".to_owned()),
        _ => Ty::Other(ty.to_owned()),
    }
}

/// SQLite's declared types: SeaQuery's own vocabulary (`varchar(n)`, `integer`,
/// `timestamp_with_timezone_text`, `real(p, s)` …), and the common names of hand-made tables.
fn parse_sqlite(base: &str, first: Option<u32>, pair: Option<(u32, u32)>, ty: &str) -> Ty {
    match base {
        "tinyint" => Ty::Int(1),
        "smallint" | "int2" => Ty::Int(2),
        // SQLite stores every integer in up to 8 bytes, and SeaQuery declares both `i32` and
        // `i64` as `integer`.
        "integer" | "int" | "bigint" | "int8" | "mediumint" => Ty::Int(8),
        "float" => Ty::Float(4),
        "double" | "double precision" => Ty::Float(8),
        "real" if pair.is_some() => Ty::Numeric(pair),
        "real" => Ty::Float(8),
        "real_decimal" | "decimal" | "numeric" => Ty::Numeric(pair),
        "char" | "character" | "nchar" => Ty::Char(first),
        "varchar" | "character varying" | "nvarchar" => Ty::Varchar(first),
        "text" | "clob" => Ty::Text,
        "boolean" | "bool" => Ty::Bool,
        "blob" | "varbinary_blob" => Ty::Bytes(first),
        "datetime_text" | "datetime" | "timestamp_text" | "timestamp" => {
            Ty::Timestamp { tz: false }
        }
        "timestamp_with_timezone_text" => Ty::Timestamp { tz: true },
        "date_text" | "date" => Ty::Date,
        "time_text" | "time" => Ty::Time,
        "json_text" | "json" => Ty::Json,
        "jsonb_text" | "jsonb" => Ty::Jsonb,
        "uuid_text" | "uuid" => Ty::Uuid,
        _ => Ty::Other(ty.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::StringLen;

    fn change(backend: DbBackend, live: &str, model: &ColumnType) -> TypeChange {
        type_change(backend, live, &render_type(backend, model))
    }

    /// What each backend reports for the types SeaQuery declares, as seen on SQLite 3.51 and
    /// PostgreSQL 15, compares equal to the model's type.
    #[test]
    fn discovered_types_equal_the_models() {
        let pg = DbBackend::Postgres;
        let cases = [
            (
                "character varying(200)",
                ColumnType::String(StringLen::N(200)),
            ),
            ("character varying", ColumnType::String(StringLen::None)),
            ("character(5)", ColumnType::Char(Some(5))),
            ("character(1)", ColumnType::Char(None)),
            ("text", ColumnType::Text),
            ("smallint", ColumnType::TinyInteger),
            ("smallint", ColumnType::SmallInteger),
            ("integer", ColumnType::Integer),
            ("bigint", ColumnType::BigInteger),
            ("real", ColumnType::Float),
            ("double precision", ColumnType::Double),
            ("numeric(10,2)", ColumnType::Decimal(Some((10, 2)))),
            ("numeric", ColumnType::Decimal(None)),
            ("boolean", ColumnType::Boolean),
            ("timestamp without time zone", ColumnType::DateTime),
            ("timestamp without time zone", ColumnType::Timestamp),
            (
                "timestamp with time zone",
                ColumnType::TimestampWithTimeZone,
            ),
            ("date", ColumnType::Date),
            ("time without time zone", ColumnType::Time),
            ("bytea", ColumnType::Blob),
            ("json", ColumnType::Json),
            ("jsonb", ColumnType::JsonBinary),
            ("uuid", ColumnType::Uuid),
            ("money", ColumnType::Money(Some((19, 4)))),
            ("interval", ColumnType::Interval(None, None)),
            (
                "character varying(10)[]",
                ColumnType::Array(ColumnType::String(StringLen::N(10)).into()),
            ),
            ("integer[]", ColumnType::Array(ColumnType::Integer.into())),
        ];
        for (live, model) in cases {
            assert_eq!(
                change(pg, live, &model),
                TypeChange::Same,
                "{live} vs {model:?}"
            );
        }
        // SQLite keeps the declared type as written, SeaQuery's text.
        let sqlite = DbBackend::Sqlite;
        for model in [
            ColumnType::String(StringLen::N(200)),
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::BigInteger,
            ColumnType::TimestampWithTimeZone,
            ColumnType::Decimal(Some((10, 2))),
            ColumnType::Uuid,
        ] {
            let live = render_type(sqlite, &model);
            assert_eq!(change(sqlite, &live, &model), TypeChange::Same, "{live}");
            let shouted = live.to_uppercase();
            assert_eq!(
                change(sqlite, &shouted, &model),
                TypeChange::Same,
                "{shouted}"
            );
        }
        assert_eq!(
            change(sqlite, "INTEGER", &ColumnType::BigInteger),
            TypeChange::Same
        );
        assert_eq!(
            change(
                sqlite,
                "VARCHAR (200)",
                &ColumnType::String(StringLen::N(200))
            ),
            TypeChange::Same
        );
    }

    #[test]
    fn narrowing_is_lossy_and_widening_is_not() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let live_200 = match backend {
                DbBackend::Postgres => "character varying(200)",
                _ => "varchar(200)",
            };
            let c = |live: &str, model: ColumnType| change(backend, live, &model);
            assert_eq!(
                c(live_200, ColumnType::String(StringLen::N(100))),
                TypeChange::Lossy
            );
            assert_eq!(
                c(live_200, ColumnType::String(StringLen::N(300))),
                TypeChange::Wider
            );
            assert_eq!(c(live_200, ColumnType::Text), TypeChange::Wider);
            assert_eq!(
                c("text", ColumnType::String(StringLen::N(100))),
                TypeChange::Lossy
            );
            assert_eq!(c("text", ColumnType::Integer), TypeChange::Lossy);
            assert_eq!(c("smallint", ColumnType::Integer), TypeChange::Wider);
            assert_eq!(c("boolean", ColumnType::Text), TypeChange::Lossy);
        }
        let pg = |live: &str, model: ColumnType| change(DbBackend::Postgres, live, &model);
        assert_eq!(pg("bigint", ColumnType::Integer), TypeChange::Lossy);
        assert_eq!(pg("integer", ColumnType::BigInteger), TypeChange::Wider);
        assert_eq!(
            pg("numeric(10,2)", ColumnType::Decimal(Some((12, 2)))),
            TypeChange::Wider
        );
        assert_eq!(
            pg("numeric(10,2)", ColumnType::Decimal(Some((10, 3)))),
            TypeChange::Lossy
        );
        assert_eq!(
            pg(
                "timestamp without time zone",
                ColumnType::TimestampWithTimeZone
            ),
            TypeChange::Lossy
        );
        assert_eq!(pg("post_status", ColumnType::Text), TypeChange::Unknown);
    }
}
