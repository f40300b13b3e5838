//! `chopin generate module NAME [--model Model field:type ...] [--auth]`: a new feature folder in
//! the template's style (model, services, CRUD handlers), its test over HTTP, mounted in
//! `src/lib.rs` and `src/apps/mod.rs`, and the API description snapshot brought up to date.
//!
//! Every refusal (a bad or taken name, an unknown field type, a `src/lib.rs` it cannot edit) is
//! decided before anything is written. What it writes it formats with rustfmt; then it builds
//! the project once to write its API description into `tests/snapshots/openapi__spec.snap`, and
//! if that build fails, it takes everything out again, so the project is as it was.

mod mount;
mod spec;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use minijinja::{Environment, UndefinedBehavior, context};

use crate::Error;
use spec::Spec;

/// What `chopin generate` makes.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum What {
    /// A feature folder `src/apps/NAME/` with a model and its CRUD routes, a test over HTTP in
    /// `tests/NAME.rs`, mounted in `src/lib.rs`
    Module(ModuleOptions),
}

/// `chopin generate module`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ModuleOptions {
    /// The module's name: its folder, its table and its routes' path (`line_items` is
    /// `/line-items`)
    name: String,
    /// The model and its fields, each `name:type` with type one of string, text, email, i16,
    /// i32, i64, f32, f64, bool, date, datetime [default: NAME without its final `s`, with a
    /// field `name:string`]
    #[arg(long, num_args = 1.., value_names = ["MODEL", "FIELD:TYPE"])]
    model: Vec<String>,
    /// Each row belongs to the signed-in user, who alone reaches it (needs `AuthModule`)
    #[arg(long)]
    auth: bool,
}

/// Runs `chopin generate WHAT`, and says what was written.
pub(crate) fn run(what: &What) -> Result<String, Error> {
    match what {
        What::Module(options) => module(options),
    }
}

const SNAPSHOT: &str = "tests/snapshots/openapi__spec.snap";

fn module(options: &ModuleOptions) -> Result<String, Error> {
    let here = std::env::current_dir().map_err(|e| Error::Cwd(e.to_string()))?;
    let root = find_project(&here).ok_or(Error::NotAProject(here))?;
    let spec = spec::parse(&options.name, &options.model, options.auth).map_err(Error::Generate)?;
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel))
            .map_err(|e| Error::Generate(format!("cannot read `{rel}` in the project: {e}")))
    };
    let lib = read("src/lib.rs")?;
    let apps = read("src/apps/mod.rs")?;
    let manifest = read("Cargo.toml")?;
    check_against_project(&root, &spec, &lib, &apps)?;
    let new_lib = mount::lib_rs(&lib, &spec.name, &spec.module_type).map_err(Error::Generate)?;
    let new_apps = mount::apps_mod(&apps, &spec.name);
    let crate_name = package_name(&manifest)
        .ok_or_else(|| Error::Generate("`Cargo.toml` has no `[package]` `name`".to_owned()))?
        .replace('-', "_");
    let files = render(&spec, &crate_name, lib.contains("app_with_mailer"))
        .map_err(|e| Error::Template(e.to_string()))?;

    let mut written = Written {
        root: &root,
        dir: root.join("src/apps").join(&spec.name),
        test: root.join("tests").join(format!("{}.rs", spec.name)),
        restore: vec![("src/lib.rs", lib), ("src/apps/mod.rs", apps)],
        done: false,
    };
    let mut notes = String::new();
    written.write(&files, &new_lib, &new_apps)?;
    match rustfmt(&root, &spec.name) {
        Ok(()) => {}
        Err(Rustfmt::Missing(why)) => {
            let _ = writeln!(notes, "not formatted: cannot run rustfmt ({why})");
        }
        Err(Rustfmt::Failed(why)) => return Err(Error::Generate(why)),
    }
    if root.join(SNAPSHOT).is_file() {
        update_snapshot(&root)?;
        let _ = writeln!(
            notes,
            "{SNAPSHOT}: the API description with the new routes (read the diff before committing)"
        );
    }
    written.done = true;

    let mut out = format!(
        "generated the module `{}` ({}, model `{}`{}):\n",
        spec.name,
        spec.module_type,
        spec.model,
        if spec.auth {
            ", each row its owner's"
        } else {
            ""
        }
    );
    for (path, _) in &files {
        let _ = writeln!(out, "    {path}");
    }
    out.push_str("mounted in src/lib.rs and src/apps/mod.rs\n");
    out.push_str(&notes);
    let _ = write!(
        out,
        "\nnext:\n    chopin makemigrations   # its table, as a migration file to commit\n    cargo test\n    chopin routes   # GET {} and the others\n",
        spec.path
    );
    Ok(out)
}

/// The nearest directory at or above `dir` with a `Cargo.toml` that depends on `chopin` and a
/// `src/apps/` folder, as `chopin new` makes.
fn find_project(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            d.join("src/apps").is_dir()
                && std::fs::read_to_string(d.join("Cargo.toml"))
                    .is_ok_and(|m| m.lines().any(depends_on_chopin))
        })
        .map(Path::to_path_buf)
}

/// `chopin = …`, `chopin.workspace = true` or `[dependencies.chopin]`.
fn depends_on_chopin(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("chopin =") || line.starts_with("chopin.") || line == "[dependencies.chopin]"
}

/// The `name` of the manifest's `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    let package = manifest
        .split("\n[")
        .find(|s| s.starts_with("package]") || s.starts_with("[package]"))?;
    package.lines().find_map(|l| {
        let value = l
            .trim()
            .strip_prefix("name")?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}

/// The refusals that need the project: a name, table, route, model or type already taken, and
/// `--auth` without accounts.
fn check_against_project(root: &Path, spec: &Spec, lib: &str, apps: &str) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::Generate(why));
    let name = &spec.name;
    let choose = "choose another name";
    if root.join("src/apps").join(name).symlink_metadata().is_ok()
        || apps
            .lines()
            .any(|l| l.trim_end().ends_with(&format!("mod {name};")))
    {
        return refuse(format!(
            "a module `{name}` exists already (`src/apps/{name}`): {choose}"
        ));
    }
    if root
        .join("tests")
        .join(format!("{name}.rs"))
        .symlink_metadata()
        .is_ok()
    {
        return refuse(format!("`tests/{name}.rs` exists already: {choose}"));
    }
    let has_auth = lib.contains("AuthModule");
    if spec.auth && !has_auth {
        return refuse(
            "`--auth` makes rows that belong to the signed-in user, and this project mounts no \
             `AuthModule` (it was made with `--no-auth`): leave `--auth` out"
                .to_owned(),
        );
    }
    if has_auth && (name == "auth" || name.starts_with("auth_")) {
        return refuse(format!(
            "`{name}` would clash with AuthModule, whose module is `auth` and whose tables are \
             `auth_…`: {choose}"
        ));
    }
    if has_word(lib, &spec.module_type) {
        return refuse(format!(
            "the module's type would be `{}`, a name `src/lib.rs` uses already: {choose}",
            spec.module_type
        ));
    }
    // What the modules under `src/apps/` and `src/lib.rs` already declare.
    let mut sources = vec![(PathBuf::from("src/lib.rs"), lib.to_owned())];
    collect_sources(root, &root.join("src/apps"), &mut sources);
    let segment = &spec.path[1..];
    for (path, text) in &sources {
        let path = path.display();
        if text.contains(&format!("name = \"{name}\""))
            || text.contains(&format!("table = \"{name}\""))
        {
            return refuse(format!(
                "a module or table named `{name}` exists already, in `{path}`: {choose}"
            ));
        }
        if text.contains(&format!("\"/{segment}\"")) || text.contains(&format!("\"/{segment}/")) {
            return refuse(format!(
                "the module's routes under `/{segment}` would clash with a route in `{path}`: \
                 {choose}"
            ));
        }
        if has_word(text, &format!("struct {}", spec.model)) {
            return refuse(format!(
                "a type `{}` exists already, in `{path}`: name the model otherwise",
                spec.model
            ));
        }
    }
    if segment == "docs" {
        return refuse(format!(
            "the module's routes under `/docs` would clash with the API reference the application serves there: {choose}"
        ));
    }
    Ok(())
}

/// Whether `word` is in `text` with no identifier character on either side.
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + word.len()..].chars().next().is_some_and(ident)
    })
}

/// Every `.rs` file under `dir`, with its path relative to `root`.
fn collect_sources(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            out.push((rel, text));
        }
    }
}

macro_rules! template {
    ($file:literal) => {
        include_str!(concat!(env!("CHOPIN_TEMPLATES"), "/module/", $file))
    };
}

/// The module's files: path in the project, and text (before rustfmt).
fn render(
    spec: &Spec,
    crate_name: &str,
    app_auth: bool,
) -> Result<Vec<(String, String)>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    let fields: Vec<_> = spec
        .fields
        .iter()
        .map(|f| {
            context! {
                name => f.name,
                doc => if f.ty == spec::FieldType::Bool {
                    format!("Whether {}.", f.name.replace('_', " "))
                } else {
                    format!("The {}.", f.name.replace('_', " "))
                },
                ty => f.ty.rust(),
                attrs => f.ty.attrs(),
                sample => f.ty.sample(&f.name, false),
                changed => f.ty.sample(&f.name, true),
            }
        })
        .collect();
    let words = spec.name.replace('_', " ");
    let mut title = words.clone();
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let model_words = spec.model_snake.replace('_', " ");
    let article = if model_words.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let a_model_lower = format!("{article} {model_words}");
    let mut a_model = a_model_lower.clone();
    if let Some(first) = a_model.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let vars = context! {
        a_model => a_model,
        a_model_lower => a_model_lower,
        a_new_model => format!("a new {model_words}"),
        name => spec.name,
        title => title,
        words => words,
        path => spec.path,
        module_type => spec.module_type,
        model => spec.model,
        model_snake => spec.model_snake,
        model_words => model_words,
        table => spec.name,
        auth => spec.auth,
        app_auth => app_auth,
        crate_name => crate_name,
        first => fields.first().cloned(),
        fields => fields,
    };
    let dir = format!("src/apps/{}", spec.name);
    [
        (format!("{dir}/mod.rs"), template!("mod.rs.jinja")),
        (format!("{dir}/models.rs"), template!("models.rs.jinja")),
        (format!("{dir}/services.rs"), template!("services.rs.jinja")),
        (format!("{dir}/handlers.rs"), template!("handlers.rs.jinja")),
        (
            format!("tests/{}.rs", spec.name),
            template!("test.rs.jinja"),
        ),
    ]
    .into_iter()
    .map(|(path, source)| Ok((path, env.render_str(source, &vars)?)))
    .collect()
}

/// What `chopin generate` changed, undone on drop unless it finished.
struct Written<'a> {
    root: &'a Path,
    dir: PathBuf,
    test: PathBuf,
    restore: Vec<(&'static str, String)>,
    done: bool,
}

impl Written<'_> {
    fn write(&mut self, files: &[(String, String)], lib: &str, apps: &str) -> Result<(), Error> {
        let write = |rel: &str, text: &str| {
            let path = self.root.join(rel);
            std::fs::write(&path, text).map_err(|source| Error::Write { path, source })
        };
        std::fs::create_dir(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })?;
        if let Some(tests) = self.test.parent() {
            std::fs::create_dir_all(tests).map_err(|source| Error::Write {
                path: tests.to_path_buf(),
                source,
            })?;
        }
        for (rel, text) in files {
            write(rel, text)?;
        }
        write("src/lib.rs", lib)?;
        write("src/apps/mod.rs", apps)
    }
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.test);
        for (rel, text) in &self.restore {
            let _ = std::fs::write(self.root.join(rel), text);
        }
    }
}

enum Rustfmt {
    /// rustfmt is not installed: the files stay as rendered, which compile.
    Missing(String),
    /// rustfmt refused a file: a bug of the generator.
    Failed(String),
}

/// Formats the new files as `cargo fmt` would (the module's `mod.rs` brings its children).
fn rustfmt(root: &Path, name: &str) -> Result<(), Rustfmt> {
    let out = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(format!("src/apps/{name}/mod.rs"))
        .arg(format!("tests/{name}.rs"))
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Rustfmt::Missing(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Rustfmt::Failed(format!(
            "rustfmt refused the generated files, so they were taken out again: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Writes the project's API description, as its `openapi` command prints it, into the snapshot
/// `tests/openapi.rs` compares with, keeping insta's header. The generator writes it because the
/// new routes are what the user asked for; the project's CI never writes snapshots.
fn update_snapshot(root: &Path) -> Result<(), Error> {
    let snapshot = root.join(SNAPSHOT);
    let old = std::fs::read_to_string(&snapshot)
        .map_err(|e| Error::Generate(format!("cannot read `{SNAPSHOT}`: {e}")))?;
    let header_end = old
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n"))
        .map(|at| at + "---\n".len() + "\n---\n".len())
        .ok_or_else(|| {
            Error::Generate(format!(
                "`{SNAPSHOT}` does not start with insta's `---` header: remove it, and \
                 `INSTA_UPDATE=always cargo test --test openapi` writes it anew"
            ))
        })?;
    let out_file = root.join(format!(
        ".openapi.chopin-generate-{}.json",
        std::process::id()
    ));
    eprintln!("building the project for its API description (cargo run -- openapi)…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args(["--", "openapi", "--out"])
        // Only errors: the application's warnings (no `JWT_SECRET` in development) are no news
        // here.
        .env("RUST_LOG", "error")
        .arg(&out_file)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| Error::Cargo(format!("{}: {e}", Path::new(&cargo).display())))?;
    let json = std::fs::read_to_string(&out_file);
    let _ = std::fs::remove_file(&out_file);
    let json = match json {
        Ok(json) if status.success() => json,
        _ => {
            return Err(Error::Generate(
                "the project did not build with the new module (cargo's errors are above), so \
                 it was taken out again and the project is as it was"
                    .to_owned(),
            ));
        }
    };
    let new = format!("{}{json}", &old[..header_end]);
    std::fs::write(&snapshot, new).map_err(|source| Error::Write {
        path: snapshot,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::{package_name, render, spec};

    #[test]
    fn every_kind_of_module_renders_whole() {
        let fields = ["Invoice", "number:string", "paid:bool"].map(str::to_owned);
        for (auth, app_auth) in [(true, true), (false, true), (false, false)] {
            let spec = spec::parse("invoices", &fields, auth).expect("valid");
            let files = render(&spec, "my_app", app_auth).expect("renders");
            let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(
                paths,
                [
                    "src/apps/invoices/mod.rs",
                    "src/apps/invoices/models.rs",
                    "src/apps/invoices/services.rs",
                    "src/apps/invoices/handlers.rs",
                    "tests/invoices.rs",
                ]
            );
            for (path, text) in &files {
                assert!(
                    !text.contains("{{") && !text.contains("{%"),
                    "{path}: {text}"
                );
                assert!(!text.contains("\n\n\n"), "{path}: {text}");
                if path.ends_with("services.rs") || path.ends_with("handlers.rs") {
                    assert_eq!(text.contains("AuthUser"), auth, "{path}");
                }
            }
            let models = &files[1].1;
            assert!(
                models.contains("#[chopin::model(table = \"invoices\")]\npub struct Invoice {")
            );
            assert!(models.contains(
                "    /// The number.\n    #[model(max_len = 255)]\n    pub number: String,\n"
            ));
            assert!(models.contains("    /// Whether paid.\n    pub paid: bool,\n"));
            assert_eq!(models.contains("#[model(owner, belongs_to = User"), auth);
            let test = &files[4].1;
            assert_eq!(test.contains("use my_app::app_with_mailer;"), app_auth);
            assert!(test.contains("json!({ \"number\": \"number 1\", \"paid\": true })"));
        }
    }

    #[test]
    fn the_package_name_is_read_from_the_manifest() {
        assert_eq!(
            package_name("[package]\nname = \"my-app\"\nversion = \"0.1.0\"\n").as_deref(),
            Some("my-app")
        );
        assert_eq!(package_name("[workspace]\n"), None);
    }
}
