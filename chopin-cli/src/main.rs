//! The `chopin` command: `chopin new` creates a project from Chopin's templates, and inside a
//! project `chopin generate module` adds a feature to it, and `chopin routes`, `chopin migrate`,
//! `chopin openapi` and `chopin createadmin` run the application's own management commands.

mod generate;
mod name;
mod new;
mod project;
mod templates;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Chopin's command: new projects, new modules in them, and a project's management commands.
#[derive(Debug, Parser)]
#[command(name = "chopin", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Creates a project in a new directory: a notes feature (model, services, handlers),
    /// accounts, a health check, tests and a snapshot of its API description; its Cargo.lock
    /// resolved and, by default, a git repository
    New(new::Options),
    /// Adds a module to the project around the current directory (`chopin generate module NAME
    /// --model Model field:type ... [--auth]`)
    #[command(subcommand)]
    Generate(generate::What),
    /// Prints the project's route table (`cargo run -- routes`)
    Routes,
    /// Applies the project's pending migration files (`cargo run -- migrate`)
    Migrate,
    /// Writes the next migration file from the models' changes (`cargo run -- makemigrations`)
    Makemigrations {
        /// The file's name after its number (default: from what it does)
        #[arg(long)]
        name: Option<String>,
        /// Write nothing; fail when the models have changes without a file (for CI)
        #[arg(long)]
        check: bool,
        /// Write a file that drops or narrows something
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Lists the project's migration files, applied `[x]` or pending `[ ]`
    /// (`cargo run -- showmigrations`)
    Showmigrations,
    /// Prints the project's API description, or writes it to FILE (`cargo run -- openapi`)
    Openapi {
        /// Where to write it
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// Creates a verified admin, the password read from the terminal or standard input
    /// (`cargo run -- createadmin EMAIL`; needs AuthModule)
    Createadmin {
        /// The admin's email
        email: String,
    },
}

/// Why a command failed, said to the user.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("{0}")]
    Name(String),
    #[error("`{}` already exists: `chopin new` never writes into an existing path; choose another name, or move it away", .0.display())]
    Exists(PathBuf),
    #[error("`{}` is not a directory: `chopin new` creates the project's directory, not the ones above it", .0.display())]
    NoParent(PathBuf),
    #[error("`--chopin-path {}` is not a checkout of Chopin: {why}", .dir.display())]
    NotACheckout { dir: PathBuf, why: String },
    #[error("the templates did not render: {0}")]
    Template(String),
    #[error("cannot write `{}`: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the current directory: {0}")]
    Cwd(String),
    #[error("no Cargo.toml in `{}` or above it: run this inside a Chopin project", .0.display())]
    NoProject(PathBuf),
    #[error("cannot run cargo ({0})")]
    Cargo(String),
    #[error("the project's dependencies did not resolve, so nothing was written; cargo says:\n{0}")]
    Resolve(String),
    #[error("{0}")]
    Git(String),
    #[error("{0}")]
    Generate(String),
    #[error("no Chopin project in `{}` or above it: `chopin generate` looks for a Cargo.toml that depends on `chopin` beside a `src/apps/` folder, as `chopin new` makes; run it inside one", .0.display())]
    NotAProject(PathBuf),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Cmd::New(options) => new::run(options).map(|done| {
            print!("{done}");
            ExitCode::SUCCESS
        }),
        Cmd::Generate(what) => generate::run(what).map(|done| {
            print!("{done}");
            ExitCode::SUCCESS
        }),
        Cmd::Routes => project::manage(&["routes"]),
        Cmd::Migrate => project::manage(&["migrate"]),
        Cmd::Makemigrations {
            name,
            check,
            allow_destructive,
        } => {
            let mut args = vec!["makemigrations"];
            if let Some(name) = name {
                args.extend(["--name", name]);
            }
            if *check {
                args.push("--check");
            }
            if *allow_destructive {
                args.push("--allow-destructive");
            }
            project::manage(&args)
        }
        Cmd::Showmigrations => project::manage(&["showmigrations"]),
        Cmd::Openapi { out: None } => project::manage(&["openapi"]),
        Cmd::Openapi { out: Some(file) } => project::manage(&["openapi", "--out", file]),
        Cmd::Createadmin { email } => project::manage(&["createadmin", email]),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
