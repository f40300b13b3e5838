//! The schema as migration files leave it: replayed from their operations, never read from a
//! database, and the schema the models ask for, in the same terms.

use sea_orm::DbBackend;
use sea_orm::sea_query::IndexCreateStatement;

use super::TableDef;
use super::ops::{Column, DefaultValue, ForeignKey, Index, Operation, action_name, type_name};
use super::plan::table_ref_name;

/// Tables, in the order they were created.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Schema {
    pub(crate) tables: Vec<Table>,
}

/// A table: its columns in order, a primary key of several columns (one column's is marked
/// on it), its foreign keys and indexes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) columns: Vec<Column>,
    pub(crate) primary_key: Vec<String>,
    pub(crate) foreign_keys: Vec<ForeignKey>,
    pub(crate) indexes: Vec<Index>,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Schema {
    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    fn table_mut(&mut self, name: &str) -> Result<&mut Table, String> {
        self.tables
            .iter_mut()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("table `{name}` does not exist"))
    }

    /// Applies one operation, as replaying the file it is in does; an operation on something
    /// that does not exist, or that creates what exists, is an error.
    pub(crate) fn apply(&mut self, op: &Operation) -> Result<(), String> {
        match op {
            Operation::CreateTable {
                table,
                columns,
                primary_key,
                foreign_keys,
            } => {
                if self.table(table).is_some() {
                    return Err(format!("table `{table}` exists already"));
                }
                self.tables.push(Table {
                    name: table.clone(),
                    columns: columns.clone(),
                    primary_key: primary_key.clone(),
                    foreign_keys: foreign_keys.clone(),
                    indexes: Vec::new(),
                });
            }
            Operation::DropTable { table } => {
                self.table_mut(table)?;
                self.tables.retain(|t| t.name != *table);
            }
            Operation::RenameTable { table, to } => {
                if self.table(to).is_some() {
                    return Err(format!("cannot rename `{table}` to `{to}`, which exists"));
                }
                self.table_mut(table)?.name.clone_from(to);
                for t in &mut self.tables {
                    for fk in &mut t.foreign_keys {
                        if fk.references == *table {
                            fk.references.clone_from(to);
                        }
                    }
                }
            }
            Operation::AddColumn { table, column } => {
                let t = self.table_mut(table)?;
                if t.column(&column.name).is_some() {
                    return Err(format!("column `{table}`.`{}` exists already", column.name));
                }
                t.columns.push(column.clone());
            }
            Operation::DropColumn { table, column } => {
                let t = self.table_mut(table)?;
                if t.column(column).is_none() {
                    return Err(format!("column `{table}`.`{column}` does not exist"));
                }
                t.columns.retain(|c| c.name != *column);
                t.indexes.retain(|i| !i.columns.contains(column));
                t.foreign_keys.retain(|fk| !fk.columns.contains(column));
                t.primary_key.retain(|c| c != column);
            }
            Operation::RenameColumn { table, column, to } => {
                let t = self.table_mut(table)?;
                if t.column(to).is_some() {
                    return Err(format!(
                        "cannot rename `{table}`.`{column}` to `{to}`, which exists"
                    ));
                }
                let c = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name == *column)
                    .ok_or_else(|| format!("column `{table}`.`{column}` does not exist"))?;
                c.name.clone_from(to);
                let rename = |names: &mut Vec<String>| {
                    for n in names.iter_mut().filter(|n| **n == *column) {
                        n.clone_from(to);
                    }
                };
                rename(&mut t.primary_key);
                for i in &mut t.indexes {
                    rename(&mut i.columns);
                }
                for fk in &mut t.foreign_keys {
                    rename(&mut fk.columns);
                }
                for t in &mut self.tables {
                    for fk in t
                        .foreign_keys
                        .iter_mut()
                        .filter(|fk| fk.references == *table)
                    {
                        rename(&mut fk.ref_columns);
                    }
                }
            }
            Operation::AlterColumn { table, column } => {
                let t = self.table_mut(table)?;
                let c = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name == column.name)
                    .ok_or_else(|| format!("column `{table}`.`{}` does not exist", column.name))?;
                *c = column.clone();
            }
            Operation::CreateIndex {
                table,
                name,
                columns,
                unique,
            } => {
                let t = self.table_mut(table)?;
                if t.indexes.iter().any(|i| i.name == *name) {
                    return Err(format!("index `{name}` of `{table}` exists already"));
                }
                if let Some(missing) = columns.iter().find(|c| t.column(c).is_none()) {
                    return Err(format!(
                        "index `{name}` names column `{table}`.`{missing}`, which does not exist"
                    ));
                }
                t.indexes.push(Index {
                    name: name.clone(),
                    columns: columns.clone(),
                    unique: *unique,
                });
            }
            Operation::DropIndex { table, name } => {
                let t = self.table_mut(table)?;
                if !t.indexes.iter().any(|i| i.name == *name) {
                    return Err(format!("index `{name}` of `{table}` does not exist"));
                }
                t.indexes.retain(|i| i.name != *name);
            }
            Operation::AddForeignKey { table, foreign_key } => {
                let t = self.table_mut(table)?;
                if t.foreign_keys.iter().any(|fk| fk.name == foreign_key.name) {
                    return Err(format!(
                        "foreign key `{}` of `{table}` exists already",
                        foreign_key.name
                    ));
                }
                t.foreign_keys.push(foreign_key.clone());
            }
            Operation::DropForeignKey { table, name } => {
                let t = self.table_mut(table)?;
                if !t.foreign_keys.iter().any(|fk| fk.name == *name) {
                    return Err(format!("foreign key `{name}` of `{table}` does not exist"));
                }
                t.foreign_keys.retain(|fk| fk.name != *name);
            }
            Operation::RunSql { .. } => {}
        }
        Ok(())
    }
}

/// A model's table, as the files would write it. Types and defaults are the backend-neutral
/// ones; a default that is an expression is rendered as PostgreSQL writes it.
pub(crate) fn table_of(def: &TableDef) -> Table {
    let name = def.name();
    let mut columns: Vec<Column> = def
        .table
        .get_columns()
        .iter()
        .map(|c| {
            let spec = c.get_column_spec();
            Column {
                name: c.get_column_name(),
                ty: c
                    .get_column_type()
                    .map_or_else(|| "text".to_owned(), type_name),
                null: spec.nullable != Some(false) && !spec.primary_key,
                default: spec
                    .default
                    .as_ref()
                    .map(|d| DefaultValue::of(d, DbBackend::Postgres)),
                primary_key: spec.primary_key,
                auto_increment: spec.auto_increment,
                unique: spec.unique,
            }
        })
        .collect();
    let mut primary_key = Vec::new();
    for index in def.table.get_indexes() {
        if index.is_primary_key() {
            primary_key = index.get_index_spec().get_column_names();
        }
    }
    if let [single] = &primary_key[..] {
        for c in columns.iter_mut().filter(|c| c.name == *single) {
            c.primary_key = true;
            c.null = false;
        }
        primary_key.clear();
    }
    let foreign_keys = def
        .table
        .get_foreign_key_create_stmts()
        .iter()
        .map(|fk| {
            let key = fk.get_foreign_key();
            let columns = key.get_columns();
            ForeignKey {
                name: key
                    .get_name()
                    .map_or_else(|| format!("fk-{name}-{}", columns.join("-")), str::to_owned),
                columns,
                references: table_ref_name(key.get_ref_table()),
                ref_columns: key.get_ref_columns(),
                on_delete: key.get_on_delete().map(|a| action_name(a).to_owned()),
                on_update: key.get_on_update().map(|a| action_name(a).to_owned()),
            }
        })
        .collect();
    let indexes = def.indexes.iter().map(|i| index_of(&name, i)).collect();
    Table {
        name,
        columns,
        primary_key,
        foreign_keys,
        indexes,
    }
}

fn index_of(table: &str, index: &IndexCreateStatement) -> Index {
    let spec = index.get_index_spec();
    let columns = spec.get_column_names();
    Index {
        name: spec.get_name().map_or_else(
            || format!("idx-{table}-{}", columns.join("-")),
            str::to_owned,
        ),
        columns,
        unique: index.is_unique_key(),
    }
}

/// The operations that create `table`: the table, then its indexes.
pub(crate) fn create(table: &Table) -> Vec<Operation> {
    let mut ops = vec![Operation::CreateTable {
        table: table.name.clone(),
        columns: table.columns.clone(),
        primary_key: table.primary_key.clone(),
        foreign_keys: table.foreign_keys.clone(),
    }];
    ops.extend(table.indexes.iter().map(|i| Operation::CreateIndex {
        table: table.name.clone(),
        name: i.name.clone(),
        columns: i.columns.clone(),
        unique: i.unique,
    }));
    ops
}
