//! `makemigrations`: the next migration file of the application, from the models and the
//! files it has already.

use std::path::PathBuf;

use super::diff::{Renames, diff, suggest_name};
use super::file::{FileError, Migrations, read_dir, read_set, render, split_name};
use super::run::{read_sets, replay};
use super::state::{Schema, Table, table_of};
use super::{MigrateError, TableDef};

/// A model's table as `makemigrations` compares it: its definition, and the renames the model
/// declares (`ModelDecl::table_for_files` makes one).
#[derive(Clone, Debug)]
pub struct ModelTable {
    /// The table, as the model defines it.
    pub def: TableDef,
    /// The table's former name.
    pub renamed_from: Option<&'static str>,
    /// Its renamed columns: (new, old).
    pub renamed_columns: &'static [(&'static str, &'static str)],
}

/// How `makemigrations` runs.
#[derive(Clone, Debug, Default)]
pub struct MakeOptions {
    /// The new file's name after its number (`--name`); by default, from what it does.
    pub name: Option<String>,
    /// Write nothing; fail when the models have changes without a file (`--check`).
    pub check: bool,
    /// Write a file that drops or narrows something (`--allow-destructive`).
    pub allow_destructive: bool,
    /// Where the application's files are (`MIGRATIONS_DIR`); by default, the directory
    /// `chopin::migrations!()` embedded them from.
    pub dir: Option<PathBuf>,
    /// The application's command, for the file's header: `blog`.
    pub command: String,
    /// Whose files to write: the application's (`app`, the default), or a module's that ships
    /// its own (`auth`), from that module's models.
    pub owner: Option<String>,
}

/// What `makemigrations` did.
#[derive(Clone, Debug, PartialEq)]
pub enum Made {
    /// The files already hold every change of the models.
    NoChanges,
    /// A new file, with what it does, and what of it is destructive.
    Written {
        /// Where it was written.
        path: PathBuf,
        /// What it does, an operation a line.
        operations: Vec<String>,
        /// Why it is destructive, if it is.
        destructive: Vec<String>,
    },
}

/// Compares the models with the schema the application's files replay to (on top of the
/// modules' own files, whose tables are theirs), and writes the next file.
///
/// The application's files are read from their directory, not from the binary, so that a
/// file just written counts before the binary is built again.
///
/// # Errors
/// [`MigrateError::Files`]: the application embeds no files (it lacks
/// `.with_migrations(chopin::migrations!())`), its files cannot be read or conflict, the
/// models have changes and `check` is set, or the changes are destructive and
/// `allow_destructive` is not; nothing is written then.
pub fn makemigrations(
    sets: &[Migrations],
    models: &[ModelTable],
    options: &MakeOptions,
) -> Result<Made, MigrateError> {
    let owner = options.owner.as_deref().unwrap_or("app");
    let app = sets.iter().find(|s| s.owner == owner).ok_or_else(|| {
        MigrateError::Files(
            "this application has no migration files of its own: give its `App` \
             `.with_migrations(chopin::migrations!())`, which embeds the files of `migrations/` \
             beside its Cargo.toml"
                .to_owned(),
        )
    })?;
    let dir = options
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(app.dir));
    if !app.files.is_empty() && !dir.is_dir() {
        return Err(MigrateError::Files(format!(
            "the migrations directory `{}` does not exist, though this binary embeds the files \
             it held when it was built: run `makemigrations` in the source tree it was built \
             from, or set MIGRATIONS_DIR to where its files are",
            dir.display()
        )));
    }
    let on_disk = read_dir(&dir).map_err(files)?;
    let app_files =
        read_set(on_disk.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|err| {
            files(FileError(format!(
                "the migrations in `{}`: {err}",
                dir.display()
            )))
        })?;

    let modules: Vec<Migrations> = sets
        .iter()
        .filter(|s| s.owner != owner && s.owner != "app")
        .copied()
        .collect();
    let module_tables: Vec<String> = replay(&read_sets(&modules)?)?
        .tables
        .into_iter()
        .map(|t| t.name)
        .collect();
    let (current, desired, renames) = schemas(&modules, &app_files, models, &module_tables)?;

    let change = diff(&current, &desired, &renames);
    if change.operations.is_empty() {
        return Ok(Made::NoChanges);
    }
    let described: Vec<String> = change.operations.iter().map(|op| op.describe()).collect();
    if options.check {
        return Err(MigrateError::Files(format!(
            "the models have changes that no migration file holds: {}. Run `makemigrations` \
             and commit the file it writes",
            described.join("; ")
        )));
    }
    if !change.destructive.is_empty() && !options.allow_destructive {
        return Err(MigrateError::Files(format!(
            "the next migration would be destructive: it {}. Nothing was written: run \
             `makemigrations --allow-destructive` to write it, or declare a rename with \
             `renamed_from`",
            change.destructive.join("; it ")
        )));
    }

    let number = u32::try_from(app_files.len() + 1).unwrap_or(u32::MAX);
    let name = match &options.name {
        Some(name) => name.clone(),
        None => suggest_name(number, &change.operations),
    };
    let file_name = format!("{number:04}_{name}.toml");
    let (_, stem) = split_name(&file_name).map_err(|_| {
        MigrateError::Files(format!(
            "`--name {name}`: a migration's name is lowercase letters, digits and `_`"
        ))
    })?;
    let text = render(
        &stem,
        &options.command,
        &change.operations,
        &change.destructive,
    );

    // What was written replays to the models: a file that would not is never written.
    let mut after = on_disk;
    after.push((file_name.clone(), text.clone()));
    let after = read_set(after.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(files)?;
    let (replayed, _, _) = schemas(&modules, &after, models, &module_tables)?;
    let left = diff(&replayed, &desired, &Renames::default());
    if !left.operations.is_empty() {
        return Err(MigrateError::Files(format!(
            "the new migration does not replay to the models (left: {}); nothing was written",
            left.operations
                .iter()
                .map(|op| op.describe())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }

    std::fs::create_dir_all(&dir)
        .map_err(|err| MigrateError::Files(format!("cannot create `{}`: {err}", dir.display())))?;
    let path = dir.join(&file_name);
    std::fs::write(&path, text)
        .map_err(|err| MigrateError::Files(format!("cannot write `{}`: {err}", path.display())))?;
    Ok(Made::Written {
        path,
        operations: described,
        destructive: change.destructive,
    })
}

fn files(err: FileError) -> MigrateError {
    MigrateError::Files(err.0)
}

/// The application's schema as its files replay (on top of the modules'), the schema its
/// models ask for, both without the modules' tables, and the renames the models declare.
fn schemas(
    modules: &[Migrations],
    app_files: &[super::file::MigrationFile],
    models: &[ModelTable],
    module_tables: &[String],
) -> Result<(Schema, Vec<Table>, Renames), MigrateError> {
    let mut sets = read_sets(modules)?;
    sets.push(super::run::Set {
        owner: "app",
        files: app_files.to_vec(),
    });
    let mut current = replay(&sets)?;
    current.tables.retain(|t| !module_tables.contains(&t.name));

    let mut desired: Vec<Table> = Vec::new();
    let mut renames = Renames::default();
    for model in models {
        let table = model.def.name();
        if module_tables.contains(&table) || desired.iter().any(|t| t.name == table) {
            continue;
        }
        desired.push(table_of(&model.def));
        if let Some(old) = model.renamed_from {
            renames.tables.push((table.clone(), old.to_owned()));
        }
        for (new, old) in model.renamed_columns {
            renames
                .columns
                .push((table.clone(), (*new).to_owned(), (*old).to_owned()));
        }
    }
    Ok((current, desired, renames))
}
