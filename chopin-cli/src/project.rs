//! `chopin routes`, `chopin migrate`, `chopin openapi`: a Chopin application is its own
//! management command, so these run the project's binary with `cargo run`, which builds it first
//! when it changed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::Error;

/// Runs `cargo run --quiet -- ARGS` for the project around the current directory, passing its
/// output through: the project's exit status.
pub(crate) fn manage(args: &[&str]) -> Result<ExitCode, Error> {
    let here = std::env::current_dir().map_err(|e| Error::Cwd(e.to_string()))?;
    let manifest = find_manifest(&here).ok_or(Error::NoProject(here))?;
    // As cargo's own subcommands do, run the cargo that runs us, if one does.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .arg("run")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--")
        .args(args)
        .status()
        .map_err(|e| Error::Cargo(format!("{}: {e}", Path::new(&cargo).display())))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The nearest `Cargo.toml` in `dir` or above it.
fn find_manifest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
}
