//! `chopin generate module` as users run it: its refusals, each with its reason and nothing
//! written, and outside a project. Generating into a project that then builds, passes clippy and
//! its tests is `.ci/new-project`'s job (it builds the project, which takes minutes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use common::{chopin, stderr};

fn scratch(name: &str) -> PathBuf {
    common::scratch("generate", name)
}

/// Every file under `dir` and its bytes.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(path, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// A new project in `dir`, made by `chopin new NAME ARGS`.
fn project(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let mut all = vec!["new", name, "--vcs", "none"];
    all.extend(args);
    let out = chopin(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    dir.join(name)
}

#[test]
fn each_refusal_says_why_and_writes_nothing() {
    let dir = scratch("refusals");
    let app = project(&dir, "app", &[]);
    let before = contents(&app);
    let module_name = "a module name is lowercase ASCII letters, digits and `_`, starting with \
                       a letter, such as `invoices` or `line_items`";
    let cases: &[(&[&str], String)] = &[
        (
            &["notes", "--model", "Memo", "text:text"],
            "a module `notes` exists already (`src/apps/notes`): choose another name".to_owned(),
        ),
        (
            &["type", "--model", "Kind", "label:string"],
            "`type` is not a valid module name: it is a Rust keyword".to_owned(),
        ),
        (
            &["Bad-Name"],
            format!("`Bad-Name` is not a valid module name: {module_name}"),
        ),
        (
            &["invoices", "--model", "Invoice", "amount:money"],
            "`money` (of the field `amount`) is not a field type: one of `string`, `text`, \
             `email`, `i16`, `i32`, `i64`, `f32`, `f64`, `bool`, `date`, `datetime`"
                .to_owned(),
        ),
        (
            &["invoices", "--model", "Invoice", "amount:i64", "amount:i32"],
            "the field `amount` is named twice: each field once".to_owned(),
        ),
        (
            &["invoices", "--model", "Invoice", "amount"],
            "`amount` is not a field: write `name:type`, such as `amount:i64`".to_owned(),
        ),
        (
            &["invoices", "--model", "Invoice", "match:bool"],
            "`match` is not a valid field name: it is a Rust keyword".to_owned(),
        ),
        (
            &["invoices", "--model", "Invoice", "created_at:datetime"],
            "the field `created_at` is one every generated model has already (`id`, `owner_id` \
             with `--auth`, `created_at`, `updated_at`): name it otherwise"
                .to_owned(),
        ),
        (
            &["invoices", "--model", "invoice", "amount:i64"],
            "`invoice` is not a valid model name: a model name is UpperCamelCase: ASCII letters \
             and digits, starting with an uppercase letter, no two uppercase letters in a row, \
             such as `Invoice` or `LineItem`"
                .to_owned(),
        ),
        (
            &["invoices", "--model", "Line_Item", "amount:i64"],
            "`Line_Item` is not a valid model name: a model name is UpperCamelCase: ASCII \
             letters and digits, starting with an uppercase letter, no two uppercase letters in \
             a row, such as `Invoice` or `LineItem`"
                .to_owned(),
        ),
        (
            &["invoice", "--model", "Invoice", "amount:i64"],
            "the model `Invoice` would have the name of the module's type: name the module in \
             the plural (`invoices`) or the model otherwise"
                .to_owned(),
        ),
        (
            &["memos", "--model", "Note", "text:text"],
            "a type `Note` exists already, in `src/apps/notes/models.rs`: name the model \
             otherwise"
                .to_owned(),
        ),
        (
            &["health", "--model", "Check", "ok:bool"],
            "the module's routes under `/health` would clash with a route in `src/lib.rs`: \
             choose another name"
                .to_owned(),
        ),
        (
            &["auth_tokens", "--model", "Token", "value:string"],
            "`auth_tokens` would clash with AuthModule, whose module is `auth` and whose tables \
             are `auth_…`: choose another name"
                .to_owned(),
        ),
        (
            &["pages", "--model", "Page", "title:string"],
            "`Page` is not a valid model name: the generated code uses Chopin's `Page`, which \
             the model would hide"
                .to_owned(),
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["generate", "module"];
        all.extend(*args);
        let out = chopin(&app.join("src"), &all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), format!("error: {message}"), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(contents(&app) == before, "{args:?} wrote something");
    }

    // Rows that belong to a user need accounts.
    let open = project(&dir, "open", &["--no-auth"]);
    let before = contents(&open);
    let out = chopin(
        &open,
        &[
            "generate",
            "module",
            "tasks",
            "--model",
            "Task",
            "done:bool",
            "--auth",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: `--auth` makes rows that belong to the signed-in user, and this project mounts \
         no `AuthModule` (it was made with `--no-auth`): leave `--auth` out"
    );
    assert!(contents(&open) == before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn outside_a_project_it_says_where_it_looked() {
    let dir = scratch("outside");
    let is_project = |d: &Path| d.join("src/apps").is_dir() && d.join("Cargo.toml").is_file();
    if dir.ancestors().any(is_project) {
        return; // a project above the temporary directory: nothing to show here
    }
    // A Cargo package that is not a Chopin project does not count.
    std::fs::create_dir_all(dir.join("other/src")).expect("dir");
    std::fs::write(
        dir.join("other/Cargo.toml"),
        "[package]\nname = \"other\"\n",
    )
    .expect("write");
    let here = dir.join("other/src");
    let out = chopin(&here, &["generate", "module", "invoices"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: no Chopin project in `{}` or above it: `chopin generate` looks for a \
             Cargo.toml that depends on `chopin` beside a `src/apps/` folder, as `chopin new` \
             makes; run it inside one",
            here.display()
        )
    );
    assert_eq!(contents(&dir).len(), 1, "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
