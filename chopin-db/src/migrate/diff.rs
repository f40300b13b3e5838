//! `makemigrations`' comparison: the operations that take the schema the files replay to to
//! the schema the models ask for, and which of them lose data.

use std::collections::BTreeSet;

use sea_orm::DbBackend;

use super::ops::{Column, Operation, parse_type};
use super::state::{Schema, Table, create};
use super::types::{TypeChange, render_type, type_change};

/// Renames the models declare: `renamed_from` on a model (a table) or on a field (a column).
#[derive(Clone, Debug, Default)]
pub(crate) struct Renames {
    /// (new table, old table).
    pub(crate) tables: Vec<(String, String)>,
    /// (table, new column, old column), the table by its new name.
    pub(crate) columns: Vec<(String, String, String)>,
}

/// What the models change, and why any of it is destructive.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Diff {
    pub(crate) operations: Vec<Operation>,
    /// One sentence per destructive operation: what it loses, or may fail on.
    pub(crate) destructive: Vec<String>,
}

/// The operations from `current` (the files' replay) to `desired` (the models), in an order
/// that applies: renames, new tables (each after those it references), the changes of
/// existing tables (foreign keys and indexes dropped before columns, added after), dropped
/// tables last.
pub(crate) fn diff(current: &Schema, desired: &[Table], renames: &Renames) -> Diff {
    let mut work = current.clone();
    let mut out = Diff::default();
    let emit = |work: &mut Schema, out: &mut Diff, op: Operation| {
        // The operations are planned against `work`, so they apply to it.
        let _ = work.apply(&op);
        out.operations.push(op);
    };
    let wanted = |name: &str| desired.iter().any(|t| t.name == name);

    for (new, old) in &renames.tables {
        if wanted(new) && work.table(new).is_none() && work.table(old).is_some() {
            emit(
                &mut work,
                &mut out,
                Operation::RenameTable {
                    table: old.clone(),
                    to: new.clone(),
                },
            );
        }
    }
    for (table, new, old) in &renames.columns {
        let Some(t) = work.table(table) else { continue };
        if t.column(new).is_none() && t.column(old).is_some() {
            emit(
                &mut work,
                &mut out,
                Operation::RenameColumn {
                    table: table.clone(),
                    column: old.clone(),
                    to: new.clone(),
                },
            );
        }
    }

    let new_tables: Vec<&Table> = desired
        .iter()
        .filter(|t| work.table(&t.name).is_none())
        .collect();
    for table in dependency_order(new_tables) {
        for op in create(table) {
            emit(&mut work, &mut out, op);
        }
    }

    for want in desired {
        let Some(have) = work.table(&want.name).cloned() else {
            continue;
        };
        let table = &want.name;
        for fk in &have.foreign_keys {
            if !want.foreign_keys.contains(fk) {
                emit(
                    &mut work,
                    &mut out,
                    Operation::DropForeignKey {
                        table: table.clone(),
                        name: fk.name.clone(),
                    },
                );
            }
        }
        for index in &have.indexes {
            if !want.indexes.contains(index) {
                emit(
                    &mut work,
                    &mut out,
                    Operation::DropIndex {
                        table: table.clone(),
                        name: index.name.clone(),
                    },
                );
            }
        }
        for column in &have.columns {
            if want.column(&column.name).is_none() {
                out.destructive.push(format!(
                    "drops column `{table}`.`{}`, and its values",
                    column.name
                ));
                emit(
                    &mut work,
                    &mut out,
                    Operation::DropColumn {
                        table: table.clone(),
                        column: column.name.clone(),
                    },
                );
            }
        }
        for column in &want.columns {
            match have.column(&column.name) {
                None => {
                    if !column.null && column.default.is_none() && !column.auto_increment {
                        out.destructive.push(format!(
                            "adds column `{table}`.`{}`, NOT NULL without a default: it fails \
                             on a table that has rows, which would have no value for it",
                            column.name
                        ));
                    }
                    emit(
                        &mut work,
                        &mut out,
                        Operation::AddColumn {
                            table: table.clone(),
                            column: column.clone(),
                        },
                    );
                }
                Some(old) if old != column => {
                    out.destructive
                        .extend(alteration_losses(table, old, column));
                    emit(
                        &mut work,
                        &mut out,
                        Operation::AlterColumn {
                            table: table.clone(),
                            column: column.clone(),
                        },
                    );
                }
                Some(_) => {}
            }
        }
        let have = work.table(table).cloned().unwrap_or_else(|| have.clone());
        for index in &want.indexes {
            if !have.indexes.contains(index) {
                emit(
                    &mut work,
                    &mut out,
                    Operation::CreateIndex {
                        table: table.clone(),
                        name: index.name.clone(),
                        columns: index.columns.clone(),
                        unique: index.unique,
                    },
                );
            }
        }
        for fk in &want.foreign_keys {
            if !have.foreign_keys.contains(fk) {
                emit(
                    &mut work,
                    &mut out,
                    Operation::AddForeignKey {
                        table: table.clone(),
                        foreign_key: fk.clone(),
                    },
                );
            }
        }
    }

    // Tables the models no longer have: those that reference others first.
    let gone: Vec<&Table> = current
        .tables
        .iter()
        .filter_map(|t| work.table(&t.name))
        .filter(|t| !wanted(&t.name))
        .collect();
    let mut gone: Vec<Table> = dependency_order(gone).into_iter().cloned().collect();
    gone.reverse();
    for table in gone {
        out.destructive
            .push(format!("drops table `{}`, and its rows", table.name));
        emit(
            &mut work,
            &mut out,
            Operation::DropTable {
                table: table.name.clone(),
            },
        );
    }
    out
}

/// What changing `old` into `new` may lose or fail on.
fn alteration_losses(table: &str, old: &Column, new: &Column) -> Vec<String> {
    let mut losses = Vec::new();
    if old.ty != new.ty {
        let render = |ty: &str| {
            parse_type(ty).map_or_else(|_| ty.to_owned(), |t| render_type(DbBackend::Postgres, &t))
        };
        let change = type_change(DbBackend::Postgres, &render(&old.ty), &render(&new.ty));
        if matches!(change, TypeChange::Lossy | TypeChange::Unknown) {
            losses.push(format!(
                "changes column `{table}`.`{}` from `{}` to `{}`, which may not hold every value",
                new.name, old.ty, new.ty
            ));
        }
    }
    if old.null && !new.null {
        losses.push(format!(
            "makes column `{table}`.`{}` NOT NULL: it fails if a row holds NULL there",
            new.name
        ));
    }
    if !old.unique && new.unique {
        losses.push(format!(
            "makes column `{table}`.`{}` unique: it fails if two rows hold one value there",
            new.name
        ));
    }
    losses
}

/// Each table after those it references among `tables`, keeping the given order otherwise;
/// a reference cycle keeps its order.
fn dependency_order(tables: Vec<&Table>) -> Vec<&Table> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut pending = tables;
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|t| {
                t.foreign_keys.iter().all(|fk| {
                    fk.references == t.name
                        || !names.contains(fk.references.as_str())
                        || placed.contains(&fk.references)
                })
            })
            .unwrap_or(0);
        let table = pending.remove(ready);
        placed.insert(table.name.clone());
        ordered.push(table);
    }
    ordered
}

/// A name for the file of `ops`: `initial` for the first, else from what it does first
/// (`add_posts_summary`), with `_and_more` when it does more.
pub(crate) fn suggest_name(number: u32, ops: &[Operation]) -> String {
    if number == 1 {
        return "initial".to_owned();
    }
    let Some(first) = ops.first() else {
        return "empty".to_owned();
    };
    let name = match first {
        Operation::CreateTable { table, .. } => format!("create_{table}"),
        Operation::DropTable { table } => format!("drop_{table}"),
        Operation::RenameTable { to, .. } => format!("rename_to_{to}"),
        Operation::AddColumn { table, column } => format!("add_{table}_{}", column.name),
        Operation::DropColumn { table, column } => format!("drop_{table}_{column}"),
        Operation::RenameColumn { table, to, .. } => format!("rename_{table}_{to}"),
        Operation::AlterColumn { table, column } => format!("alter_{table}_{}", column.name),
        Operation::CreateIndex { name, .. } => format!("index_{name}"),
        Operation::DropIndex { name, .. } => format!("drop_{name}"),
        Operation::AddForeignKey { table, .. } => format!("add_{table}_foreign_key"),
        Operation::DropForeignKey { table, .. } => format!("drop_{table}_foreign_key"),
        Operation::RunSql { .. } => "run_sql".to_owned(),
    };
    let mut clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    clean.truncate(48);
    let more = ops.len() > 1
        && !ops[1..]
            .iter()
            .all(|op| matches!(op, Operation::CreateIndex { .. }));
    if more {
        clean.push_str("_and_more");
    }
    clean
}
