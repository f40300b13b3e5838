//! [`Model`]: what `#[chopin::model]` implements, and [`ModelDecl`], how a module declares the
//! models whose tables it needs.

use sea_orm::{DbBackend, EntityTrait};

use crate::migrate::{ModelTable, TableDef};

/// A model: a struct declared with `#[chopin::model]`, the API's schema of one table's rows,
/// with its SeaORM entity.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not declared with `#[chopin::model]`",
    note = "a model is a struct declared with `#[chopin::model(table = \"…\")]`"
)]
pub trait Model: Sized {
    /// The SeaORM entity of its table.
    type Entity: EntityTrait;
    /// The struct's name.
    const NAME: &'static str;
    /// The table's name.
    const TABLE: &'static str;
    /// The table's name before a rename (`#[model(renamed_from = "…")]`), which
    /// `makemigrations` writes as a rename rather than a new table and a dropped one.
    const RENAMED_FROM: Option<&'static str> = None;
    /// The columns renamed (`#[model(renamed_from = "…")]` on a field): (new, old).
    const RENAMED_COLUMNS: &'static [(&'static str, &'static str)] = &[];
    /// The primary key's column, which `belongs_to` relations of other models point at.
    fn primary_key() -> <Self::Entity as EntityTrait>::Column;
}

/// A model as a module declares it (`models(Post, Comment)`), for `migrate`.
#[derive(Clone, Copy, Debug)]
pub struct ModelDecl {
    /// The struct's name.
    pub name: &'static str,
    /// The table's name.
    pub table: &'static str,
    /// Its table's definition for a backend.
    pub define: fn(DbBackend) -> TableDef,
    /// The table's former name, if it was renamed.
    pub renamed_from: Option<&'static str>,
    /// Its renamed columns: (new, old).
    pub renamed_columns: &'static [(&'static str, &'static str)],
}

impl ModelDecl {
    /// The declaration of model `M`.
    pub const fn of<M: Model>() -> ModelDecl {
        ModelDecl {
            name: M::NAME,
            table: M::TABLE,
            define: define::<M>,
            renamed_from: M::RENAMED_FROM,
            renamed_columns: M::RENAMED_COLUMNS,
        }
    }
}

impl ModelDecl {
    /// Its table as `makemigrations` compares it: defined as on PostgreSQL (the files are the
    /// same for every backend), with its renames.
    pub fn table_for_files(&self) -> ModelTable {
        ModelTable {
            def: (self.define)(DbBackend::Postgres),
            renamed_from: self.renamed_from,
            renamed_columns: self.renamed_columns,
        }
    }
}

fn define<M: Model>(backend: DbBackend) -> TableDef {
    TableDef::of(<M::Entity as Default>::default(), backend)
}
