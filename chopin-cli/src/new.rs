//! `chopin new`: a project rendered from the templates into a directory that did not exist.
//!
//! The files are written into a hidden sibling directory first and moved into place with one
//! rename, so the project appears whole or not at all: a name that is refused, a path that is
//! taken or a disk that fails leaves nothing behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::name;
use crate::templates::{self, Project};

/// The database a project starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Database {
    /// An SQLite file beside the project: nothing to install.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Database {
    fn as_str(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }
}

/// `chopin new`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// The project's directory, which must not exist; its last component names the package
    pub(crate) path: PathBuf,
    /// The database in `.env.example`
    #[arg(long, value_enum, default_value_t = Database::Sqlite)]
    pub(crate) db: Database,
    /// Leave out `AuthModule`: no accounts, and the notes are open to everyone
    #[arg(long)]
    pub(crate) no_auth: bool,
    /// Depend on the Chopin checkout in DIR by path instead of the published crate
    #[arg(long, value_name = "DIR", env = "CHOPIN_PATH")]
    pub(crate) chopin_path: Option<PathBuf>,
}

/// Creates the project, and says what was made and what to do next.
pub(crate) fn run(options: &Options) -> Result<String, Error> {
    let path = &options.path;
    let name = match path.file_name().map(|n| n.to_str()) {
        Some(Some(name)) => name,
        Some(None) => return Err(Error::Name(format!("`{}` is not UTF-8", path.display()))),
        None => {
            return Err(Error::Name(format!(
                "`{}` does not end in a project name",
                path.display()
            )));
        }
    };
    name::check(name).map_err(Error::Name)?;
    if path.symlink_metadata().is_ok() {
        return Err(Error::Exists(path.clone()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::NoParent(parent));
    }
    let chopin_source = match &options.chopin_path {
        Some(dir) => path_source(dir)?,
        None => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    let project = Project {
        name,
        db: options.db.as_str(),
        auth: !options.no_auth,
        chopin_source: &chopin_source,
    };
    let files = templates::render(&project).map_err(|e| Error::Template(e.to_string()))?;
    write_all(&parent, name, path, &files)?;

    let mut done = format!(
        "created {}: `{name}`, {}, {}, Chopin {}\n",
        path.display(),
        match options.db {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        },
        if options.no_auth {
            "no accounts"
        } else {
            "accounts from AuthModule"
        },
        match &options.chopin_path {
            Some(dir) => format!("from {}", dir.display()),
            None => env!("CARGO_PKG_VERSION").to_owned(),
        },
    );
    let _ = write!(done, "\nnext:\n    cd {}\n", path.display());
    if options.db == Database::Postgres {
        let _ = writeln!(done, "    cp .env.example .env && createdb {name}");
    }
    done.push_str(
        "    cargo run     # serves http://127.0.0.1:3000, its API reference at /docs\n    cargo test\n",
    );
    Ok(done)
}

/// The `chopin` dependency on the checkout in `dir`, which must be one.
fn path_source(dir: &Path) -> Result<String, Error> {
    let not_a_checkout = |why: String| Error::NotACheckout {
        dir: dir.to_path_buf(),
        why,
    };
    let abs = dir
        .canonicalize()
        .map_err(|e| not_a_checkout(e.to_string()))?;
    let manifest = std::fs::read_to_string(abs.join("Cargo.toml"))
        .map_err(|e| not_a_checkout(format!("cannot read its Cargo.toml: {e}")))?;
    let is_chopin = manifest
        .split("\n[")
        .find(|section| section.starts_with("package]"))
        .is_some_and(|package| package.lines().any(|l| l.trim() == "name = \"chopin\""));
    if !is_chopin {
        return Err(not_a_checkout(
            "its Cargo.toml is not the `chopin` package's".to_owned(),
        ));
    }
    let Some(abs) = abs.to_str() else {
        return Err(not_a_checkout("its path is not UTF-8".to_owned()));
    };
    Ok(format!("path = {}", toml_string(abs)))
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `files` into a hidden directory beside `target`, then renames it to `target`.
fn write_all(
    parent: &Path,
    name: &str,
    target: &Path,
    files: &[(&'static str, String)],
) -> Result<(), Error> {
    let staging = parent.join(format!(".{name}.chopin-new-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir(&staging)?;
        for (path, text) in files {
            let file = staging.join(path);
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&file, text)?;
        }
        Ok(())
    })();
    let moved = written.and_then(|()| {
        // `rename` replaces an empty directory: look once more, right before it.
        if target.symlink_metadata().is_ok() {
            return Err(std::io::ErrorKind::AlreadyExists.into());
        }
        std::fs::rename(&staging, target)
    });
    match moved {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if e.kind() == std::io::ErrorKind::AlreadyExists && target.symlink_metadata().is_ok() {
                Err(Error::Exists(target.to_path_buf()))
            } else {
                Err(Error::Write {
                    path: target.to_path_buf(),
                    source: e,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::toml_string;

    #[test]
    fn paths_are_quoted_as_toml_strings() {
        assert_eq!(toml_string("/work/chopin"), r#""/work/chopin""#);
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        assert_eq!(toml_string("a\nb"), r#""a\u000Ab""#);
    }
}
