//! The plan: what `migrate` would do, step by step, or why it refuses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sea_orm::sea_query::{
    ColumnDef, ColumnType, ForeignKeyAction, ForeignKeyCreateStatement, IndexCreateStatement,
    SchemaName, TableAlterStatement, TableName, TableRef,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::discover::*;
use super::types::*;
use super::*;

/// One step of the plan: what it does, in words, and the statements that do it.
pub(super) struct Step {
    pub(super) description: String,
    pub(super) statements: Vec<Statement>,
}

#[derive(Default)]
pub(super) struct Plan {
    pub(super) steps: Vec<Step>,
    pub(super) refused: Vec<String>,
    pub(super) warnings: Vec<String>,
}

pub(super) async fn plan(
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
    if backend == DbBackend::MySql {
        refuse_unsupported(&tables, &mut plan.refused);
        if !plan.refused.is_empty() {
            // SeaQuery's MySQL builder panics on these types: nothing is planned with them.
            return Ok(plan);
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

/// Refuses the columns of a type MySQL/MariaDB does not have, and on MySQL/MariaDB the unique
/// columns an index cannot hold whole (unbounded text, without a `max_len`).
fn refuse_unsupported(tables: &[TableDef], refused: &mut Vec<String>) {
    for def in tables {
        let table = def.name();
        for column in def.table.get_columns() {
            if let Some(lacks) = column.get_column_type().and_then(mysql::unsupported) {
                refused.push(format!(
                    "column `{table}`.`{}` is {lacks}, which MySQL/MariaDB does not have: give \
                     the field another type",
                    column.get_column_name()
                ));
            }
        }
    }
}

/// Keeps the first definition of each table; two different definitions of one table are
/// refused, since `migrate` cannot tell which one the application means.
pub(super) fn dedup(
    tables: Vec<TableDef>,
    backend: DbBackend,
    refused: &mut Vec<String>,
) -> Vec<TableDef> {
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
pub(super) fn dependency_order(tables: Vec<TableDef>) -> Vec<TableDef> {
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

pub(super) fn plan_new_table(def: &TableDef, backend: DbBackend, plan: &mut Plan) {
    let name = def.name();
    let statement = if backend == DbBackend::MySql {
        for column in def.table.get_columns() {
            if column.get_column_spec().unique
                && let Some(refusal) = mysql::unique_refusal(&name, column)
            {
                plan.refused.push(refusal);
            }
        }
        backend.build(&mysql::create_table(&def.table))
    } else {
        backend.build(&def.table)
    };
    plan.steps.push(Step {
        description: format!("create table `{name}`"),
        statements: vec![statement],
    });
    for index in &def.indexes {
        push_index(def, index, &name, backend, plan);
    }
}

/// The step that creates `index` of `def`'s table; on MySQL/MariaDB through
/// [`mysql::create_index`], which prefixes text columns or refuses a unique index over one.
pub(super) fn push_index(
    def: &TableDef,
    index: &IndexCreateStatement,
    table: &str,
    backend: DbBackend,
    plan: &mut Plan,
) {
    if backend != DbBackend::MySql {
        plan.steps.push(create_index_step(index, table, backend));
        return;
    }
    match mysql::create_index(index, def.table.get_columns()) {
        Ok(index) => plan.steps.push(create_index_step(&index, table, backend)),
        Err(refusal) => plan.refused.push(refusal),
    }
}

pub(super) async fn plan_existing_table(
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
        if all_new && backend != DbBackend::Sqlite {
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
            push_index(def, missing, &table, backend, plan);
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
            push_index(def, &unique_index(&table, &name), &table, backend, plan);
        }
    }
    Ok(())
}

/// Adds `column` to an existing table. SQLite cannot add a column declared `UNIQUE`: there the
/// column is added plain and its unique index created beside it. A single-column foreign key
/// of the new column goes into the `ADD COLUMN` on SQLite (the only way SQLite adds one); on
/// PostgreSQL and MySQL it is a step of its own, planned by the caller. On MySQL the column's
/// type is [`mysql::column_type`]'s, and a unique one an index cannot hold whole is refused.
pub(super) fn plan_add_column(
    def: &TableDef,
    column: &ColumnDef,
    backend: DbBackend,
    plan: &mut Plan,
) {
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
    } else if backend == DbBackend::MySql {
        if spec.unique
            && let Some(refusal) = mysql::unique_refusal(&table, column)
        {
            plan.refused.push(refusal);
        }
        mysql::with_type(column)
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
pub(super) fn rebuild_column(column: &ColumnDef, references: Option<String>) -> ColumnDef {
    copy_column(column, ColumnType::clone, false, references)
}

/// `column` again, its type through `ty`, `UNIQUE` only if `unique`, and `more` appended to its
/// extra SQL: everything else (nullability, default, keys, check, generation, comment) as it
/// was. What SeaQuery's `ColumnDef` has no setter to change in place.
pub(super) fn copy_column(
    column: &ColumnDef,
    ty: impl FnOnce(&ColumnType) -> ColumnType,
    unique: bool,
    more: Option<String>,
) -> ColumnDef {
    let spec = column.get_column_spec();
    let mut rebuilt = match column.get_column_type() {
        Some(t) => ColumnDef::new_with_type(column.get_column_name(), ty(t)),
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
    if unique {
        rebuilt.unique_key();
    }
    if spec.primary_key {
        rebuilt.primary_key();
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
    let extra = [spec.extra.clone(), more]
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
pub(super) fn sqlite_references(fk: &ForeignKeyCreateStatement) -> String {
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

pub(super) fn action_sql(action: ForeignKeyAction) -> &'static str {
    match action {
        ForeignKeyAction::Restrict => "RESTRICT",
        ForeignKeyAction::Cascade => "CASCADE",
        ForeignKeyAction::SetNull => "SET NULL",
        ForeignKeyAction::SetDefault => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

/// An SQL identifier in double quotes, as both SQLite and PostgreSQL take it.
pub(super) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// An SQL identifier quoted for `backend`: in backticks on MySQL/MariaDB, where double quotes
/// make a string (without `ANSI_QUOTES`).
pub(super) fn quote_for(backend: DbBackend, ident: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", ident.replace('`', "``")),
        _ => quote(ident),
    }
}

/// The unique index of a `#[sea_orm(unique)]` column, named as SeaORM's sync names it.
pub(super) fn unique_index(table: &str, column: &str) -> IndexCreateStatement {
    IndexCreateStatement::new()
        .name(format!("idx-{table}-{column}"))
        .table(table.to_owned())
        .col(column.to_owned())
        .unique()
        .take()
}

pub(super) fn create_index_step(
    index: &IndexCreateStatement,
    table: &str,
    backend: DbBackend,
) -> Step {
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
pub(super) fn index_missing<'a>(
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
pub(super) fn compare_column(
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

pub(super) async fn table_has_rows(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    table: &str,
) -> Result<bool, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT 1 FROM {} LIMIT 1", quote_for(backend, table)),
        ))
        .await?;
    Ok(row.is_some())
}

/// The name of a table reference, without its schema.
pub(super) fn table_ref_name(table: Option<&TableRef>) -> String {
    match table {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        _ => String::new(),
    }
}

/// `` `a`, `b` ``.
pub(super) fn tick_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
