//! An operation into the statements of one backend, given the schema it applies to.
//!
//! What a backend cannot do in place, it does the way its documentation says: SQLite alters a
//! column, adds or drops a foreign key, or drops a column that an index or key names, by
//! rebuilding the table (a new table, the rows copied, the old one dropped, the new one
//! renamed, the indexes created again; <https://sqlite.org/lang_altertable.html>, section 7).

use sea_orm::sea_query::{
    ColumnDef, ForeignKeyCreateStatement, Index, IndexCreateStatement, Table, TableAlterStatement,
    TableCreateStatement,
};
use sea_orm::{DbBackend, Statement};

use super::ops::{Column, ForeignKey, Operation, parse_action, parse_type};
use super::state::{self, Schema};

/// How the connection treats foreign keys while a file applies: SQLite's rebuild of a table
/// that others reference is safe only with their enforcement off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ForeignKeys {
    Enforced,
    Off,
}

/// The statements of `op` on `backend`, applied to `schema` (as it is before `op`).
pub(super) fn statements(
    op: &Operation,
    schema: &Schema,
    backend: DbBackend,
    fks: ForeignKeys,
) -> Result<Vec<Statement>, String> {
    let one = |s: Statement| Ok(vec![s]);
    match op {
        Operation::CreateTable {
            table,
            columns,
            primary_key,
            foreign_keys,
        } => one(backend.build(&create_table(
            table,
            columns,
            primary_key,
            foreign_keys,
            backend,
        )?)),
        Operation::DropTable { table } => {
            one(backend.build(&Table::drop().table(table.clone()).take()))
        }
        Operation::RenameTable { table, to } => {
            one(backend.build(&Table::rename().table(table.clone(), to.clone()).take()))
        }
        Operation::AddColumn { table, column } => {
            let mut column = column.clone();
            let unique_after = backend == DbBackend::Sqlite && column.unique;
            // SQLite cannot add a column declared UNIQUE: the column, then its unique index.
            if unique_after {
                column.unique = false;
            }
            let alter = TableAlterStatement::new()
                .table(table.clone())
                .add_column(column_def(&column, backend)?)
                .take();
            let mut out = vec![backend.build(&alter)];
            if unique_after {
                let index = Index::create()
                    .name(format!("idx-{table}-{}", column.name))
                    .table(table.clone())
                    .col(column.name)
                    .unique()
                    .take();
                out.push(backend.build(&index));
            }
            Ok(out)
        }
        Operation::DropColumn { table, column } => {
            let t = schema
                .table(table)
                .ok_or_else(|| format!("table `{table}` does not exist"))?;
            let entangled = t.indexes.iter().any(|i| i.columns.contains(column))
                || t.foreign_keys.iter().any(|fk| fk.columns.contains(column))
                || t.column(column).is_some_and(|c| c.unique || c.primary_key)
                || t.primary_key.contains(column);
            if backend == DbBackend::Sqlite && entangled {
                rebuild(op, schema, fks)
            } else {
                one(backend.build(
                    &TableAlterStatement::new()
                        .table(table.clone())
                        .drop_column(column.clone())
                        .take(),
                ))
            }
        }
        Operation::RenameColumn { table, column, to } => one(backend.build(
            &TableAlterStatement::new()
                .table(table.clone())
                .rename_column(column.clone(), to.clone())
                .take(),
        )),
        Operation::AlterColumn { table, column } => {
            let old = schema
                .table(table)
                .and_then(|t| t.column(&column.name))
                .ok_or_else(|| format!("column `{table}`.`{}` does not exist", column.name))?;
            match backend {
                DbBackend::Sqlite => rebuild(op, schema, fks),
                DbBackend::Postgres => alter_postgres(table, old, column),
                _ => alter_mysql(table, old, column),
            }
        }
        Operation::CreateIndex {
            table,
            name,
            columns,
            unique,
        } => {
            let mut index = Index::create()
                .name(name.clone())
                .table(table.clone())
                .take();
            for c in columns {
                index.col(c.clone());
            }
            if *unique {
                index.unique();
            }
            if backend == DbBackend::MySql {
                let t = schema
                    .table(table)
                    .ok_or_else(|| format!("table `{table}` does not exist"))?;
                let defs = t
                    .columns
                    .iter()
                    .map(|c| column_def(c, backend))
                    .collect::<Result<Vec<_>, _>>()?;
                index = super::mysql::create_index(&index, &defs)?;
            }
            one(backend.build(&index))
        }
        Operation::DropIndex { table, name } => one(Statement::from_string(
            backend,
            match backend {
                DbBackend::MySql => format!("DROP INDEX {} ON {}", tick(name), tick(table)),
                _ => format!("DROP INDEX {}", quote(name)),
            },
        )),
        Operation::AddForeignKey { table, foreign_key } => match backend {
            DbBackend::Sqlite => rebuild(op, schema, fks),
            _ => {
                let mut fk = foreign_key_def(foreign_key)?;
                fk.from_tbl(table.clone());
                one(backend.build(&fk))
            }
        },
        Operation::DropForeignKey { table, name } => match backend {
            DbBackend::Sqlite => rebuild(op, schema, fks),
            DbBackend::Postgres => one(Statement::from_string(
                backend,
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    quote(table),
                    quote(name)
                ),
            )),
            _ => one(Statement::from_string(
                backend,
                format!(
                    "ALTER TABLE {} DROP FOREIGN KEY {}",
                    tick(table),
                    tick(name)
                ),
            )),
        },
        Operation::RunSql {
            sqlite,
            postgres,
            mysql,
        } => {
            let (sql, key) = match backend {
                DbBackend::Sqlite => (sqlite, "sqlite"),
                DbBackend::Postgres => (postgres, "postgres"),
                _ => (mysql, "mysql"),
            };
            let sql = sql.as_ref().ok_or_else(|| {
                format!("its `run_sql` has no SQL for this database: add a `{key} = \"…\"` to it")
            })?;
            one(Statement::from_string(backend, sql.clone()))
        }
    }
}

/// `CREATE TABLE` of a table as the files describe it.
pub(super) fn create_table(
    table: &str,
    columns: &[Column],
    primary_key: &[String],
    foreign_keys: &[ForeignKey],
    backend: DbBackend,
) -> Result<TableCreateStatement, String> {
    let mut stmt = Table::create().table(table.to_owned()).take();
    for c in columns {
        stmt.col(column_def(c, backend)?);
    }
    if !primary_key.is_empty() {
        let mut pk = Index::create();
        for c in primary_key {
            pk.col(c.clone());
        }
        stmt.primary_key(&mut pk);
    }
    for fk in foreign_keys {
        stmt.foreign_key(&mut foreign_key_def(fk)?);
    }
    if backend == DbBackend::MySql {
        stmt = super::mysql::create_table(&stmt);
    }
    Ok(stmt)
}

/// A column's definition: its type (as MySQL takes it there), nullability, default, keys.
pub(super) fn column_def(c: &Column, backend: DbBackend) -> Result<ColumnDef, String> {
    let mut ty = parse_type(&c.ty)?;
    if backend == DbBackend::MySql {
        ty = super::mysql::column_type(&ty);
    }
    let mut def = ColumnDef::new_with_type(c.name.clone(), ty);
    if c.null {
        def.null();
    } else {
        def.not_null();
    }
    if let Some(default) = &c.default {
        def.default(default.expr());
    }
    if c.primary_key {
        def.primary_key();
    }
    if c.auto_increment {
        def.auto_increment();
    }
    if c.unique {
        def.unique_key();
    }
    Ok(def)
}

fn foreign_key_def(fk: &ForeignKey) -> Result<ForeignKeyCreateStatement, String> {
    let mut def = ForeignKeyCreateStatement::new()
        .name(fk.name.clone())
        .to_tbl(fk.references.clone())
        .take();
    for c in &fk.columns {
        def.from_col(c.clone());
    }
    for c in &fk.ref_columns {
        def.to_col(c.clone());
    }
    if let Some(action) = &fk.on_delete {
        def.on_delete(parse_action(action)?);
    }
    if let Some(action) = &fk.on_update {
        def.on_update(parse_action(action)?);
    }
    Ok(def)
}

/// PostgreSQL alters each property in place; a new type converts the values with a cast.
fn alter_postgres(table: &str, old: &Column, new: &Column) -> Result<Vec<Statement>, String> {
    let b = DbBackend::Postgres;
    let (t, c) = (quote(table), quote(&new.name));
    let mut sql = Vec::new();
    if old.ty != new.ty {
        let ty = super::types::render_type(b, &parse_type(&new.ty)?);
        sql.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty}"
        ));
    }
    if old.null != new.null {
        let set = if new.null { "DROP" } else { "SET" };
        sql.push(format!("ALTER TABLE {t} ALTER COLUMN {c} {set} NOT NULL"));
    }
    if old.default != new.default {
        match &new.default {
            Some(default) => {
                let select = sea_orm::sea_query::Query::select()
                    .expr(default.expr())
                    .take();
                let value = b.build(&select).to_string();
                let value = value.trim_start_matches("SELECT ");
                sql.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {value}"
                ));
            }
            None => sql.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")),
        }
    }
    if old.unique != new.unique {
        // A column's UNIQUE is the constraint PostgreSQL names `<table>_<column>_key`.
        let constraint = quote(&format!("{table}_{}_key", new.name));
        sql.push(if new.unique {
            format!("ALTER TABLE {t} ADD CONSTRAINT {constraint} UNIQUE ({c})")
        } else {
            format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {constraint}")
        });
    }
    if old.primary_key != new.primary_key || old.auto_increment != new.auto_increment {
        return Err(format!(
            "column `{table}`.`{}` changes its primary key or auto-increment, which migrate \
             does not alter: write it as `run_sql`",
            new.name
        ));
    }
    Ok(sql
        .into_iter()
        .map(|s| Statement::from_string(b, s))
        .collect())
}

/// MySQL redefines the column whole (`MODIFY COLUMN`); its UNIQUE is an index named after it.
fn alter_mysql(table: &str, old: &Column, new: &Column) -> Result<Vec<Statement>, String> {
    let b = DbBackend::MySql;
    if old.primary_key != new.primary_key || old.auto_increment != new.auto_increment {
        return Err(format!(
            "column `{table}`.`{}` changes its primary key or auto-increment, which migrate \
             does not alter: write it as `run_sql`",
            new.name
        ));
    }
    let mut plain = new.clone();
    plain.unique = false;
    let modify = TableAlterStatement::new()
        .table(table.to_owned())
        .modify_column(column_def(&plain, b)?)
        .take();
    let mut out = vec![b.build(&modify)];
    if old.unique != new.unique {
        out.push(Statement::from_string(
            b,
            if new.unique {
                format!(
                    "ALTER TABLE {} ADD UNIQUE {} ({})",
                    tick(table),
                    tick(&new.name),
                    tick(&new.name)
                )
            } else {
                format!("ALTER TABLE {} DROP INDEX {}", tick(table), tick(&new.name))
            },
        ));
    }
    Ok(out)
}

/// SQLite's rebuild of the table `op` changes: the table as it is after `op` under a new
/// name, the rows copied (the columns both have), the old one dropped, the new one renamed,
/// its indexes created again.
fn rebuild(op: &Operation, schema: &Schema, fks: ForeignKeys) -> Result<Vec<Statement>, String> {
    let b = DbBackend::Sqlite;
    let table = match op {
        Operation::AlterColumn { table, .. }
        | Operation::DropColumn { table, .. }
        | Operation::AddForeignKey { table, .. }
        | Operation::DropForeignKey { table, .. } => table,
        _ => return Err("only alterations rebuild a table".to_owned()),
    };
    let before = schema
        .table(table)
        .ok_or_else(|| format!("table `{table}` does not exist"))?;
    let referenced_by: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| t.name != *table && t.foreign_keys.iter().any(|fk| fk.references == *table))
        .map(|t| t.name.as_str())
        .collect();
    if fks == ForeignKeys::Enforced && !referenced_by.is_empty() {
        return Err(format!(
            "SQLite alters `{table}` by rebuilding it, and dropping the old table would \
             cascade to the tables that reference it ({}): run `migrate` on a connection of its \
             own (the `migrate` command and `AUTO_MIGRATE` do; a `Db` given by hand must have \
             one connection), where foreign keys are off while it runs",
            referenced_by.join(", ")
        ));
    }
    let mut after = schema.clone();
    after.apply(op)?;
    let after = after
        .table(table)
        .ok_or_else(|| format!("table `{table}` does not exist"))?;
    let temp = format!("__chopin_new_{table}");
    let mut out = vec![b.build(&create_table(
        &temp,
        &after.columns,
        &after.primary_key,
        &after.foreign_keys,
        b,
    )?)];
    let kept: Vec<String> = after
        .columns
        .iter()
        .filter(|c| before.column(&c.name).is_some())
        .map(|c| quote(&c.name))
        .collect();
    let kept = kept.join(", ");
    out.push(Statement::from_string(
        b,
        format!(
            "INSERT INTO {} ({kept}) SELECT {kept} FROM {}",
            quote(&temp),
            quote(table)
        ),
    ));
    out.push(Statement::from_string(
        b,
        format!("DROP TABLE {}", quote(table)),
    ));
    out.push(Statement::from_string(
        b,
        format!("ALTER TABLE {} RENAME TO {}", quote(&temp), quote(table)),
    ));
    for op in state::create(after).into_iter().skip(1) {
        if let Operation::CreateIndex {
            table,
            name,
            columns,
            unique,
        } = op
        {
            let mut index: IndexCreateStatement = Index::create().name(name).table(table).take();
            for c in columns {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            out.push(b.build(&index));
        }
    }
    Ok(out)
}

/// An identifier in double quotes (SQLite, PostgreSQL).
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// An identifier in backticks (MySQL).
fn tick(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}
