//! `chopin new`: a project rendered from the templates into a directory that did not exist.
//!
//! The files are written into a hidden sibling directory first and moved into place with one
//! rename, so the project appears whole or not at all: a name that is refused, a path that is
//! taken or a disk that fails leaves nothing behind. Before the rename, the project's
//! dependencies are resolved into its `Cargo.lock` (so a `chopin` that cannot be had is said here,
//! not at the first `cargo build`) and, unless told otherwise, `git init` makes its repository.

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
    /// A MySQL or MariaDB server.
    Mysql,
}

impl Database {
    fn as_str(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
            Database::Mysql => "mysql",
        }
    }
}

/// The version control a new project starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Vcs {
    /// A git repository (`git init`, nothing committed), unless the project is inside one.
    Git,
    /// None.
    None,
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
    /// Depend on the Chopin checkout in DIR by path [default: the checkout this command was
    /// built from, if it was and is still there; else the published crate]
    #[arg(long, value_name = "DIR", env = "CHOPIN_PATH")]
    pub(crate) chopin_path: Option<PathBuf>,
    /// Depend on the published `chopin` of this command's version, even when the command was
    /// built from a checkout
    #[arg(long, conflicts_with = "chopin_path")]
    pub(crate) published: bool,
    /// Start a git repository (as `cargo new`: not inside an existing work tree) [default: git]
    #[arg(long, value_enum)]
    pub(crate) vcs: Option<Vcs>,
}

/// Where a project's `chopin` comes from.
enum Source {
    /// A checkout, by path: `--chopin-path`, or the one this command was built from.
    Checkout { dir: PathBuf, built_from: bool },
    /// The registry's `chopin` of this command's version.
    Published,
}

impl Source {
    /// The dependency's TOML keys.
    fn toml(&self) -> Result<String, Error> {
        match self {
            Source::Checkout { dir, .. } => match dir.to_str() {
                Some(dir) => Ok(format!("path = {}", toml_string(dir))),
                None => Err(Error::NotACheckout {
                    dir: dir.clone(),
                    why: "its path is not UTF-8".to_owned(),
                }),
            },
            Source::Published => Ok(format!("version = \"{}\"", env!("CARGO_PKG_VERSION"))),
        }
    }
}

/// The checkout this command was built from: the parent of `chopin-cli/`, when it is the
/// workspace whose root package is `chopin` and is still on disk. A command installed from the
/// registry was built in `~/.cargo/registry/src/<index>/chopin-cli-<version>/`, whose parent
/// holds no `Cargo.toml`, so it has none.
///
/// When there is one, new projects depend on it rather than on the registry: the templates this
/// command renders are that checkout's, so it is the `chopin` they were written against, whereas
/// a published crate of the same version number may lag behind a checkout's unreleased changes
/// (and Chopin is not published at all yet). Asking the registry first would cost a network
/// round trip on every `chopin new` and could pick a crate the templates do not match.
fn built_checkout() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    checkout(dir).ok()
}

/// `dir`, canonical, if it is a checkout of Chopin: `Err` says why not.
fn checkout(dir: &Path) -> Result<PathBuf, String> {
    let abs = dir.canonicalize().map_err(|e| e.to_string())?;
    let manifest = std::fs::read_to_string(abs.join("Cargo.toml"))
        .map_err(|e| format!("cannot read its Cargo.toml: {e}"))?;
    let is_chopin = manifest
        .split("\n[")
        .find(|section| section.starts_with("package]"))
        .is_some_and(|package| package.lines().any(|l| l.trim() == "name = \"chopin\""));
    if !is_chopin {
        return Err("its Cargo.toml is not the `chopin` package's".to_owned());
    }
    Ok(abs)
}

/// Whether `chopin new` makes a repository, and why not when it does not.
enum Repository {
    Init,
    Skip(String),
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
    let source = match (&options.chopin_path, options.published) {
        (Some(dir), _) => Source::Checkout {
            dir: checkout(dir).map_err(|why| Error::NotACheckout {
                dir: dir.clone(),
                why,
            })?,
            built_from: false,
        },
        (None, true) => Source::Published,
        (None, false) => match built_checkout() {
            Some(dir) => Source::Checkout {
                dir,
                built_from: true,
            },
            None => Source::Published,
        },
    };
    let chopin_source = source.toml()?;
    let repository = repository(&parent, options.vcs)?;
    let project = Project {
        name,
        db: options.db.as_str(),
        auth: !options.no_auth,
        chopin_source: &chopin_source,
    };
    let files = templates::render(&project).map_err(|e| Error::Template(e.to_string()))?;
    write_all(&parent, name, path, &files, |staging| {
        resolve(staging, &source)?;
        if let Repository::Init = repository {
            git_init(staging)?;
        }
        Ok(())
    })?;

    let mut done = format!(
        "created {}: `{name}`, {}, {}\n",
        path.display(),
        match options.db {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
            Database::Mysql => "MySQL/MariaDB",
        },
        if options.no_auth {
            "no accounts"
        } else {
            "accounts from AuthModule"
        },
    );
    match &source {
        Source::Checkout {
            dir,
            built_from: true,
        } => {
            let _ = writeln!(
                done,
                "chopin: by path, from {}, the checkout this command was built from (`--chopin-path DIR` for another, `--published` for the registry's {})",
                dir.display(),
                env!("CARGO_PKG_VERSION")
            );
        }
        Source::Checkout { dir, .. } => {
            let _ = writeln!(done, "chopin: by path, from {}", dir.display());
        }
        Source::Published => {
            let _ = writeln!(
                done,
                "chopin: {} from the registry",
                env!("CARGO_PKG_VERSION")
            );
        }
    }
    match &repository {
        Repository::Init => done.push_str("git: a new repository, nothing committed\n"),
        Repository::Skip(why) => {
            let _ = writeln!(done, "git: no repository ({why})");
        }
    }
    let _ = write!(done, "\nnext:\n    cd {}\n", path.display());
    match options.db {
        Database::Postgres => {
            let _ = writeln!(done, "    cp .env.example .env && createdb {name}");
        }
        Database::Mysql => {
            let _ = writeln!(
                done,
                "    cp .env.example .env && mariadb -e 'CREATE DATABASE {} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'",
                name.replace('-', "_")
            );
        }
        Database::Sqlite => {}
    }
    done.push_str(
        "    cargo run     # serves http://127.0.0.1:3000, its API reference at /docs\n    cargo test\n",
    );
    Ok(done)
}

/// Whether to `git init` the project, decided before anything is written. As `cargo new`: not
/// inside an existing work tree, whose repository the project joins. Without git, the default
/// goes on without a repository (the project is whole without one, and `git init` later makes
/// the same), saying so; an explicit `--vcs git` is refused, since what it asks for cannot be
/// done.
fn repository(parent: &Path, vcs: Option<Vcs>) -> Result<Repository, Error> {
    if vcs == Some(Vcs::None) {
        return Ok(Repository::Skip("`--vcs none`".to_owned()));
    }
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(parent)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match inside {
        Ok(out) if out.status.success() && out.stdout.starts_with(b"true") => Ok(Repository::Skip(
            "it is inside a git work tree, whose repository it joins".to_owned(),
        )),
        Ok(_) => Ok(Repository::Init),
        Err(e) if vcs.is_none() => Ok(Repository::Skip(format!(
            "cannot run git: {e}; `git init` in it once git is installed, or pass `--vcs none`"
        ))),
        Err(e) => Err(Error::Git(format!(
            "`--vcs git` needs git, and it cannot run: {e}; install git, or pass `--vcs none`"
        ))),
    }
}

/// `git init` in `dir`.
fn git_init(dir: &Path) -> Result<(), Error> {
    let out = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run `git init`: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Git(format!(
            "`git init` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Resolves the project's dependencies into its `Cargo.lock`, so that what `chopin new` writes
/// is known to build: from the local registry cache first (`--offline`, which needs no network
/// and is how CI runs), then, unless Cargo is told to stay offline, from the network.
///
/// With a checkout, its own `Cargo.lock` is the starting point (`cargo update --workspace`
/// keeps every version it locks that the project needs): those are the versions Chopin was
/// tested with, and they are the ones in the local cache after building it. Resolving afresh
/// could pick newer ones; offline, Cargo may even pick a version it has not downloaded, when a
/// downloaded crate pins it exactly (`zerocopy` and `zerocopy-derive`).
fn resolve(dir: &Path, source: &Source) -> Result<(), Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let seeded = match source {
        Source::Checkout { dir: checkout, .. } => {
            std::fs::copy(checkout.join("Cargo.lock"), dir.join("Cargo.lock")).is_ok()
        }
        Source::Published => false,
    };
    let attempt = |offline: bool| {
        let mut command = std::process::Command::new(&cargo);
        if seeded {
            command.args(["update", "--workspace"]);
        } else {
            command.arg("generate-lockfile");
        }
        command
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(dir.join("Cargo.toml"))
            .stdin(std::process::Stdio::null());
        if offline {
            command.arg("--offline");
        }
        command.output()
    };
    let out = attempt(true)
        .and_then(|out| {
            let offline_only = std::env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true");
            if out.status.success() || offline_only {
                Ok(out)
            } else {
                attempt(false)
            }
        })
        .map_err(|e| Error::Cargo(format!("{}: {e}", Path::new(&cargo).display())))?;
    if out.status.success() {
        return Ok(());
    }
    let cargo_says = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let what_to_do = match source {
        Source::Published => format!(
            "Chopin {} is not reachable in the registry (it is not published yet): pass \
             `--chopin-path DIR` (or set `CHOPIN_PATH=DIR`) with DIR a checkout of Chopin, to \
             depend on it by path",
            env!("CARGO_PKG_VERSION")
        ),
        Source::Checkout { dir, .. } => format!(
            "check that {} is a whole checkout of Chopin that builds, or pass `--chopin-path \
             DIR` with another",
            dir.display()
        ),
    };
    Err(Error::Resolve(format!("{cargo_says}\n{what_to_do}")))
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

/// Writes `files` into a hidden directory beside `target`, runs `finish` in it, then renames it
/// to `target`: if anything fails, the hidden directory is removed and nothing is left.
fn write_all(
    parent: &Path,
    name: &str,
    target: &Path,
    files: &[(&'static str, String)],
    finish: impl FnOnce(&Path) -> Result<(), Error>,
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
    if written.is_ok()
        && let Err(e) = finish(&staging)
    {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
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
