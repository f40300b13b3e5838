//! Migration files: their names, their TOML (read with serde, written here in the layout a
//! reviewer reads), their checksums, and a set of them in order, with the conflicts of two
//! branches found.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::ops::{Column, DefaultValue, ForeignKey, Operation};

/// A crate's migration files, embedded in its binary by `chopin::migrations!()` (an
/// application's) or by a module that ships its own (`#[chopin::module(migrations)]`).
#[derive(Clone, Copy, Debug)]
pub struct Migrations {
    /// Whose files they are: `app` for the application's, a module's name for a module's.
    pub owner: &'static str,
    /// The directory they were read from when the crate was built, where `makemigrations`
    /// writes the next one.
    pub dir: &'static str,
    /// Each file's name and text, in the order of their names.
    pub files: &'static [(&'static str, &'static str)],
}

impl Migrations {
    /// The files embedded by the macros: what their expansion calls.
    #[doc(hidden)]
    pub const fn new(
        owner: &'static str,
        dir: &'static str,
        files: &'static [(&'static str, &'static str)],
    ) -> Migrations {
        Migrations { owner, dir, files }
    }
}

/// One migration file, read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MigrationFile {
    /// Its name without `.toml`: `0002_post_summary`.
    pub(crate) name: String,
    /// Its number: 2.
    pub(crate) number: u32,
    /// The file marks itself destructive (it drops or narrows something).
    pub(crate) destructive: bool,
    pub(crate) operations: Vec<Operation>,
    /// The SHA-256 of its text, with line endings made `\n` (so a checkout on Windows does
    /// not count as an edit), in hex.
    pub(crate) checksum: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    destructive: bool,
    #[serde(default)]
    operations: Vec<Operation>,
}

/// Why a migration file or a set of them cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct FileError(pub(crate) String);

/// Reads `0002_post_summary.toml`'s number and name.
pub(super) fn split_name(file_name: &str) -> Result<(u32, String), FileError> {
    let bad = || {
        FileError(format!(
            "migration file `{file_name}`: its name must be a four-digit number, `_` and a \
             name of lowercase letters, digits and `_`, ending in `.toml` \
             (`0002_post_summary.toml`)"
        ))
    };
    let stem = file_name.strip_suffix(".toml").ok_or_else(bad)?;
    let (number, rest) = stem.split_once('_').ok_or_else(bad)?;
    if number.len() != 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(bad());
    }
    let number: u32 = number.parse().map_err(|_| bad())?;
    if number == 0 {
        return Err(bad());
    }
    Ok((number, stem.to_owned()))
}

/// The checksum of a file's text.
pub(crate) fn checksum(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Reads one file.
pub(super) fn parse(file_name: &str, text: &str) -> Result<MigrationFile, FileError> {
    let (number, name) = split_name(file_name)?;
    let raw: Raw = toml::from_str(text)
        .map_err(|err| FileError(format!("migration file `{file_name}`: {err}")))?;
    for op in &raw.operations {
        check(op).map_err(|err| FileError(format!("migration file `{file_name}`: {err}")))?;
    }
    Ok(MigrationFile {
        name,
        number,
        destructive: raw.destructive,
        operations: raw.operations,
        checksum: checksum(text),
    })
}

/// What serde does not check: the types and actions the file names.
fn check(op: &Operation) -> Result<(), String> {
    let column = |c: &Column| super::ops::parse_type(&c.ty).map(|_| ());
    let fk = |fk: &ForeignKey| {
        for action in [&fk.on_delete, &fk.on_update].into_iter().flatten() {
            super::ops::parse_action(action)?;
        }
        Ok::<(), String>(())
    };
    match op {
        Operation::CreateTable {
            columns,
            foreign_keys,
            ..
        } => {
            columns.iter().try_for_each(column)?;
            foreign_keys.iter().try_for_each(fk)
        }
        Operation::AddColumn { column: c, .. } | Operation::AlterColumn { column: c, .. } => {
            column(c)
        }
        Operation::AddForeignKey { foreign_key, .. } => fk(foreign_key),
        _ => Ok(()),
    }
}

/// Reads a set of files, in order, refusing a set that two branches made: two files of one
/// number, or a number missing.
pub(super) fn read_set<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<MigrationFile>, FileError> {
    let mut read = Vec::new();
    for (file_name, text) in files {
        read.push(parse(file_name, text)?);
    }
    read.sort_by(|a, b| a.name.cmp(&b.name));
    check_sequence(&read)?;
    Ok(read)
}

/// Each number once, from 1 up, without a gap.
fn check_sequence(files: &[MigrationFile]) -> Result<(), FileError> {
    for (i, pair) in files.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if a.number == b.number {
            let before = i
                .checked_sub(1)
                .map(|j| format!("`{}`", files[j].name))
                .unwrap_or_else(|| "nothing".to_owned());
            return Err(FileError(format!(
                "conflicting migrations: `{}` and `{}` both follow {before}, written on two \
                 branches that were then merged. Renumber one of them to follow the other \
                 (check that neither undoes what the other does), then run `makemigrations \
                 --check`",
                a.name, b.name
            )));
        }
    }
    for (i, file) in files.iter().enumerate() {
        let expected = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if file.number != expected {
            return Err(FileError(format!(
                "migration {expected:04} is missing: the files go from {} to `{}`",
                i.checked_sub(1)
                    .map(|j| format!("`{}`", files[j].name))
                    .unwrap_or_else(|| "nothing".to_owned()),
                file.name
            )));
        }
    }
    Ok(())
}

/// The `.toml` files of `dir`, by name; none when the directory does not exist.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, FileError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(FileError(format!(
                "cannot read the migrations directory `{}`: {err}",
                dir.display()
            )));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| {
            FileError(format!(
                "cannot read the migrations directory `{}`: {err}",
                dir.display()
            ))
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .map_err(|err| FileError(format!("cannot read `{}`: {err}", entry.path().display())))?;
        files.push((name, text));
    }
    files.sort();
    Ok(files)
}

/// The text of a new file: a header saying what it does, and its operations.
pub(super) fn render(
    name: &str,
    command: &str,
    operations: &[Operation],
    destructive: &[String],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {name}: written by `{command} makemigrations`.");
    out.push_str("#\n");
    for op in operations {
        let _ = writeln!(out, "# - {}", op.describe());
    }
    if !destructive.is_empty() {
        out.push_str("#\n# DESTRUCTIVE, written with --allow-destructive:\n");
        for reason in destructive {
            let _ = writeln!(out, "# - {reason}");
        }
    }
    out.push_str(
        "#\n# Review it like code. `migrate` applies the files in order, each once; an applied\n\
         # file must not change afterwards (its checksum is recorded).\n",
    );
    if !destructive.is_empty() {
        out.push_str("\ndestructive = true\n");
    }
    for op in operations {
        out.push_str("\n[[operations]]\n");
        render_op(&mut out, op);
    }
    out
}

fn render_op(out: &mut String, op: &Operation) {
    let kv = |out: &mut String, key: &str, value: &str| {
        let _ = writeln!(out, "{key} = {}", string(value));
    };
    let name = match op {
        Operation::CreateTable { .. } => "create_table",
        Operation::DropTable { .. } => "drop_table",
        Operation::RenameTable { .. } => "rename_table",
        Operation::AddColumn { .. } => "add_column",
        Operation::DropColumn { .. } => "drop_column",
        Operation::RenameColumn { .. } => "rename_column",
        Operation::AlterColumn { .. } => "alter_column",
        Operation::CreateIndex { .. } => "create_index",
        Operation::DropIndex { .. } => "drop_index",
        Operation::AddForeignKey { .. } => "add_foreign_key",
        Operation::DropForeignKey { .. } => "drop_foreign_key",
        Operation::RunSql { .. } => "run_sql",
    };
    kv(out, "op", name);
    match op {
        Operation::CreateTable {
            table,
            columns,
            primary_key,
            foreign_keys,
        } => {
            kv(out, "table", table);
            out.push_str("columns = [\n");
            for column in columns {
                let _ = writeln!(out, "    {},", inline_column(column));
            }
            out.push_str("]\n");
            if !primary_key.is_empty() {
                let _ = writeln!(out, "primary_key = {}", list(primary_key));
            }
            if !foreign_keys.is_empty() {
                out.push_str("foreign_keys = [\n");
                for fk in foreign_keys {
                    let _ = writeln!(out, "    {},", inline_fk(fk));
                }
                out.push_str("]\n");
            }
        }
        Operation::DropTable { table } => kv(out, "table", table),
        Operation::RenameTable { table, to } => {
            kv(out, "table", table);
            kv(out, "to", to);
        }
        Operation::AddColumn { table, column } | Operation::AlterColumn { table, column } => {
            kv(out, "table", table);
            let _ = writeln!(out, "column = {}", inline_column(column));
        }
        Operation::DropColumn { table, column } => {
            kv(out, "table", table);
            kv(out, "column", column);
        }
        Operation::RenameColumn { table, column, to } => {
            kv(out, "table", table);
            kv(out, "column", column);
            kv(out, "to", to);
        }
        Operation::CreateIndex {
            table,
            name,
            columns,
            unique,
        } => {
            kv(out, "table", table);
            kv(out, "name", name);
            let _ = writeln!(out, "columns = {}", list(columns));
            if *unique {
                out.push_str("unique = true\n");
            }
        }
        Operation::DropIndex { table, name } | Operation::DropForeignKey { table, name } => {
            kv(out, "table", table);
            kv(out, "name", name);
        }
        Operation::AddForeignKey { table, foreign_key } => {
            kv(out, "table", table);
            let _ = writeln!(out, "foreign_key = {}", inline_fk(foreign_key));
        }
        Operation::RunSql {
            sqlite,
            postgres,
            mysql,
        } => {
            for (key, sql) in [("sqlite", sqlite), ("postgres", postgres), ("mysql", mysql)] {
                if let Some(sql) = sql {
                    kv(out, key, sql);
                }
            }
        }
    }
}

/// A TOML string.
fn string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| string(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn inline_column(c: &Column) -> String {
    let mut s = format!("{{ name = {}, type = {}", string(&c.name), string(&c.ty));
    if c.null {
        s.push_str(", null = true");
    }
    if let Some(default) = &c.default {
        let value = match default {
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Int(n) => n.to_string(),
            DefaultValue::Float(n) => toml::Value::Float(*n).to_string(),
            DefaultValue::Text(t) => string(t),
            DefaultValue::Sql { sql } => format!("{{ sql = {} }}", string(sql)),
        };
        let _ = write!(s, ", default = {value}");
    }
    for (flag, key) in [
        (c.primary_key, "primary_key"),
        (c.auto_increment, "auto_increment"),
        (c.unique, "unique"),
    ] {
        if flag {
            let _ = write!(s, ", {key} = true");
        }
    }
    s.push_str(" }");
    s
}

fn inline_fk(fk: &ForeignKey) -> String {
    let mut s = format!(
        "{{ name = {}, columns = {}, references = {}, ref_columns = {}",
        string(&fk.name),
        list(&fk.columns),
        string(&fk.references),
        list(&fk.ref_columns)
    );
    if let Some(action) = &fk.on_delete {
        let _ = write!(s, ", on_delete = {}", string(action));
    }
    if let Some(action) = &fk.on_update {
        let _ = write!(s, ", on_update = {}", string(action));
    }
    s.push_str(" }");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> (String, String) {
        (name.to_owned(), String::new())
    }

    #[test]
    fn names_are_numbered() {
        assert_eq!(
            split_name("0002_post_summary.toml"),
            Ok((2, "0002_post_summary".to_owned()))
        );
        for bad in [
            "2_x.toml",
            "0002.toml",
            "0002_X.toml",
            "0002_x.sql",
            "0000_x.toml",
        ] {
            assert!(split_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn two_branches_files_of_one_number_conflict() {
        let files = [
            file("0001_initial.toml"),
            file("0002_x.toml"),
            file("0003_a.toml"),
            file("0003_b.toml"),
        ];
        let err =
            read_set(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).expect_err("refused");
        assert_eq!(
            err.0,
            "conflicting migrations: `0003_a` and `0003_b` both follow `0002_x`, written on two \
             branches that were then merged. Renumber one of them to follow the other (check \
             that neither undoes what the other does), then run `makemigrations --check`"
        );
        let files = [file("0001_initial.toml"), file("0003_x.toml")];
        let err =
            read_set(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).expect_err("refused");
        assert_eq!(
            err.0,
            "migration 0002 is missing: the files go from `0001_initial` to `0003_x`"
        );
    }

    #[test]
    fn checksums_ignore_line_endings_only() {
        assert_eq!(checksum("a = 1\r\n"), checksum("a = 1\n"));
        assert_ne!(checksum("a = 1\n"), checksum("a = 2\n"));
    }

    #[test]
    fn a_rendered_file_reads_back() {
        let ops = vec![
            Operation::CreateTable {
                table: "posts".to_owned(),
                columns: vec![
                    Column {
                        name: "id".to_owned(),
                        ty: "integer".to_owned(),
                        null: false,
                        default: None,
                        primary_key: true,
                        auto_increment: true,
                        unique: false,
                    },
                    Column {
                        name: "title \"quoted\"".to_owned(),
                        ty: "string(200)".to_owned(),
                        null: true,
                        default: Some(DefaultValue::Text("a\nb".to_owned())),
                        primary_key: false,
                        auto_increment: false,
                        unique: true,
                    },
                ],
                primary_key: vec![],
                foreign_keys: vec![ForeignKey {
                    name: "fk-posts-author".to_owned(),
                    columns: vec!["author_id".to_owned()],
                    references: "users".to_owned(),
                    ref_columns: vec!["id".to_owned()],
                    on_delete: Some("cascade".to_owned()),
                    on_update: None,
                }],
            },
            Operation::RunSql {
                sqlite: Some("UPDATE posts SET title = 'x'".to_owned()),
                postgres: None,
                mysql: None,
            },
        ];
        let text = render(
            "0001_initial",
            "app",
            &ops,
            &["drop column `a`.`b`".to_owned()],
        );
        let read = parse("0001_initial.toml", &text).expect("reads back");
        assert_eq!(read.operations, ops);
        assert!(read.destructive);
    }

    #[test]
    fn unknown_keys_and_types_are_refused_with_the_file_named() {
        let err = parse(
            "0001_x.toml",
            "[[operations]]\nop = \"drop_table\"\ntable = \"a\"\ncolumn = \"b\"\n",
        )
        .expect_err("refused");
        assert!(err.0.starts_with("migration file `0001_x.toml`: "), "{err}");
        assert!(err.0.contains("unknown field `column`"), "{err}");
        let err = parse(
            "0001_x.toml",
            "[[operations]]\nop = \"add_column\"\ntable = \"a\"\ncolumn = { name = \"b\", type = \"strng\" }\n",
        )
        .expect_err("refused");
        assert_eq!(
            err.0,
            "migration file `0001_x.toml`: unknown column type `strng`"
        );
    }
}
