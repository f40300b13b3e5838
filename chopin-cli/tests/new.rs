//! `chopin new` as users run it: the built command, in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{chopin, stderr};

fn scratch(name: &str) -> PathBuf {
    common::scratch("new", name)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The checkout this command was built in: `chopin-cli/..`.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .canonicalize()
        .expect("canonical")
}

#[test]
fn new_writes_the_whole_project_and_nothing_else() {
    let dir = scratch("whole");
    let root = checkout();
    let out = chopin(
        &dir,
        &[
            "new",
            "my-app",
            "--chopin-path",
            root.to_str().expect("utf-8"),
            "--vcs",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "created my-app: `my-app`, SQLite, accounts from AuthModule\n\
             chopin: by path, from {}\n\
             git: no repository (`--vcs none`)\n\
             \n\
             next:\n    cd my-app\n    cargo run     # serves http://127.0.0.1:3000, its API reference at /docs\n    cargo test\n",
            root.display()
        )
    );
    // Nothing beside the project: the staging directory went with the rename.
    assert_eq!(files(&dir).len(), files(&dir.join("my-app")).len());
    assert_eq!(
        files(&dir.join("my-app")),
        [
            ".env.example",
            ".gitignore",
            "Cargo.lock",
            "Cargo.toml",
            "README.md",
            "build.rs",
            "migrations/0001_initial.toml",
            "src/apps/mod.rs",
            "src/apps/notes/handlers.rs",
            "src/apps/notes/mod.rs",
            "src/apps/notes/models.rs",
            "src/apps/notes/services.rs",
            "src/lib.rs",
            "src/main.rs",
            "tests/api.rs",
            "tests/openapi.rs",
            "tests/snapshots/openapi__spec.snap",
        ]
    );
    let manifest = std::fs::read_to_string(dir.join("my-app/Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains(&format!(
            "\nchopin = {{ path = \"{}\", default-features = false, features = [\"sqlite\", \"compression\", \"log\", \"metrics\", \"auth\", \"redis\"] }}\n",
            root.display()
        )),
        "{manifest}"
    );
    // The dependency was resolved: the lock file names the checkout's `chopin`.
    let lock = std::fs::read_to_string(dir.join("my-app/Cargo.lock")).expect("Cargo.lock");
    assert!(lock.contains("\nname = \"chopin\"\n"), "{lock}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn by_default_the_project_depends_on_the_checkout_the_command_was_built_from() {
    let dir = scratch("built-from");
    let root = checkout();
    let out = chopin(&dir, &["new", "shop", "--db", "postgres", "--no-auth"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "created shop: `shop`, PostgreSQL, no accounts\n\
             chopin: by path, from {}, the checkout this command was built from \
             (`--chopin-path DIR` for another, `--published` for the registry's {})\n",
            root.display(),
            env!("CARGO_PKG_VERSION")
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("cp .env.example .env && createdb shop"),
        "{stdout}"
    );
    let manifest = std::fs::read_to_string(dir.join("shop/Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains(&format!(
            "\nchopin = {{ path = \"{}\", default-features = false, features = [\"postgres\", \"compression\", \"log\", \"metrics\"] }}\n",
            root.display()
        )),
        "{manifest}"
    );
    let env = std::fs::read_to_string(dir.join("shop/.env.example")).expect(".env.example");
    assert!(
        env.contains("\nDATABASE_URL=postgres://postgres@127.0.0.1:5432/shop\n"),
        "{env}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dependency_that_does_not_resolve_leaves_nothing_and_says_what_to_pass() {
    let dir = scratch("unresolved");
    // The registry's `chopin`, which is not published: offline, so the test needs no network.
    let out = Command::new(env!("CARGO_BIN_EXE_chopin"))
        .current_dir(&dir)
        .env_remove("CHOPIN_PATH")
        .env("CARGO_NET_OFFLINE", "true")
        .args(["new", "shop", "--published"])
        .output()
        .expect("run chopin");
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.starts_with(
            "error: the project's dependencies did not resolve, so nothing was written; cargo says:\n"
        ) && message.contains("no matching package named `chopin` found")
            && message.ends_with(&format!(
                "\nChopin {} is not reachable in the registry (it is not published yet): pass \
                 `--chopin-path DIR` (or set `CHOPIN_PATH=DIR`) with DIR a checkout of Chopin, \
                 to depend on it by path",
                env!("CARGO_PKG_VERSION")
            )),
        "{message}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "nothing left"
    );

    let out = chopin(&dir, &["new", "shop", "--published", "--chopin-path", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `git` runs here: the repository tests say nothing without it.
fn has_git() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

#[test]
fn a_git_repository_unless_none_or_inside_one() {
    if !has_git() {
        return;
    }
    let dir = scratch("vcs");
    let out = chopin(&dir, &["new", "with-git"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("\ngit: a new repository, nothing committed\n")
    );
    assert!(dir.join("with-git/.git").is_dir());
    assert!(dir.join("with-git/.gitignore").is_file());
    let log = Command::new("git")
        .args(["log", "--oneline"])
        .current_dir(dir.join("with-git"))
        .output()
        .expect("git log");
    assert!(!log.status.success(), "no commit: {log:?}");

    let out = chopin(&dir, &["new", "without", "--vcs", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.join("without/.git").exists());

    // Inside the repository just made: the project joins it, as with `cargo new`.
    let out = chopin(&dir.join("with-git"), &["new", "inner"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "\ngit: no repository (it is inside a git work tree, whose repository it joins)\n"
    ));
    assert!(!dir.join("with-git/inner/.git").exists());
    assert!(dir.join("with-git/inner/Cargo.toml").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chopin_path_comes_from_the_environment_too_and_must_be_a_checkout() {
    let dir = scratch("checkout");
    let root = checkout();
    let out = Command::new(env!("CARGO_BIN_EXE_chopin"))
        .current_dir(&dir)
        .env("CHOPIN_PATH", &root)
        .args(["new", "from-env", "--vcs", "none"])
        .output()
        .expect("run chopin");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(dir.join("from-env/Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains(&format!("chopin = {{ path = \"{}\", ", root.display())));

    let elsewhere = root.join("chopin-cli");
    let out = chopin(
        &dir,
        &[
            "new",
            "app",
            "--chopin-path",
            elsewhere.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: `--chopin-path {}` is not a checkout of Chopin: its Cargo.toml is not the `chopin` package's",
            elsewhere.display()
        )
    );
    let out = chopin(&dir, &["new", "app", "--chopin-path", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: `--chopin-path no/such/dir` is not a checkout of Chopin: No such file or directory (os error 2)"
    );
    assert!(!dir.join("app").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_names_are_refused_before_anything_is_written() {
    let dir = scratch("names");
    let cases = [
        (
            "My-App",
            "error: `My-App` is not a valid project name (`M` is uppercase): a project name is \
             lowercase ASCII letters, digits, `-` and `_`, starting with a letter, such as `my-app`",
        ),
        (
            "1st",
            "error: `1st` is not a valid project name (it starts with `1`): a project name is \
             lowercase ASCII letters, digits, `-` and `_`, starting with a letter, such as `my-app`",
        ),
        (
            "match",
            "error: `match` is not a valid project name: it is a Rust keyword, and the project's \
             crate could not be named in code",
        ),
        (
            "tokio",
            "error: `tokio` is not a valid project name: the project's code uses the crate \
             `tokio`, which a package of that name would hide",
        ),
    ];
    for (name, message) in cases {
        let out = chopin(&dir, &["new", name]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(stderr(&out), message);
        assert!(out.stdout.is_empty());
    }
    let out = chopin(&dir, &["new", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: `.` does not end in a project name");
    assert_eq!(files(&dir), Vec::<String>::new(), "nothing written");
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_existing_path_is_never_written_into() {
    let dir = scratch("exists");
    std::fs::create_dir_all(dir.join("taken")).expect("dir");
    std::fs::write(dir.join("taken/notes.txt"), "mine").expect("file");
    std::fs::write(dir.join("file"), "also mine").expect("file");
    std::fs::create_dir_all(dir.join("empty")).expect("dir");
    for name in ["taken", "file", "empty"] {
        let out = chopin(&dir, &["new", name]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(
            stderr(&out),
            format!(
                "error: `{name}` already exists: `chopin new` never writes into an existing path; \
                 choose another name, or move it away"
            )
        );
    }
    assert_eq!(files(&dir), ["file", "taken/notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("taken/notes.txt")).expect("kept"),
        "mine"
    );
    let out = chopin(&dir, &["new", "no/such/parent/app"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: `no/such/parent` is not a directory: `chopin new` creates the project's \
         directory, not the ones above it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_mistakes_get_clap_s_message_and_status_2() {
    let dir = scratch("usage");
    let out = chopin(&dir, &["new", "app", "--db", "oracle"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: invalid value 'oracle' for '--db <DB>'\n  [possible values: sqlite, postgres, mysql]"
        ),
        "{}",
        stderr(&out)
    );
    let out = chopin(&dir, &["new", "app", "--no-aut"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("tip: a similar argument exists: '--no-auth'"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("app").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn management_commands_need_a_project() {
    // A directory with no Cargo.toml in it or above it: the root of a fresh temporary tree.
    let dir = scratch("no-project");
    if dir.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        return; // a Cargo.toml above the temporary directory: nothing to show here
    }
    let out = chopin(&dir, &["routes"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: no Cargo.toml in `{}` or above it: run this inside a Chopin project",
            dir.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_git_the_default_goes_on_and_an_explicit_vcs_git_is_refused() {
    let dir = scratch("no-git");
    // A `PATH` of the toolchain's own directory (cargo, rustc), with no git on it.
    let toolchain = Path::new(env!("CARGO"))
        .parent()
        .expect("cargo's directory");
    if toolchain.join("git").exists() {
        return;
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chopin"))
            .current_dir(&dir)
            .env_remove("CHOPIN_PATH")
            .env("PATH", toolchain)
            .env("CARGO", env!("CARGO"))
            .args(args)
            .output()
            .expect("run chopin")
    };
    let out = run(&["new", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\ngit: no repository (cannot run git: ")
            && stdout.contains("; `git init` in it once git is installed, or pass `--vcs none`)\n"),
        "{stdout}"
    );
    assert!(dir.join("app/Cargo.toml").is_file() && !dir.join("app/.git").exists());

    let out = run(&["new", "strict", "--vcs", "git"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: `--vcs git` needs git, and it cannot run: ")
            && stderr(&out).ends_with("; install git, or pass `--vcs none`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("strict").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
