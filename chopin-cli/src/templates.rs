//! The project templates, compiled into the command so that it needs no files of its own at run
//! time, and their rendering with minijinja. Every template is rendered before anything is
//! written, so a template that fails leaves the disk untouched.

use minijinja::{Environment, UndefinedBehavior, context};

/// One file of a new project.
struct Template {
    /// Where it goes, relative to the project's directory.
    path: &'static str,
    /// Its text, with `{{ name }}`-style variables and `{% if auth %}` blocks.
    source: &'static str,
    /// `Some(with_auth)` for a file only one of the two kinds of project gets.
    auth: Option<bool>,
}

macro_rules! template {
    ($path:literal, $file:literal) => {
        template!($path, $file, None)
    };
    ($path:literal, $file:literal, $auth:expr) => {
        Template {
            path: $path,
            source: include_str!(concat!(env!("CHOPIN_TEMPLATES"), "/", $file)),
            auth: $auth,
        }
    };
}

const TEMPLATES: &[Template] = &[
    template!("Cargo.toml", "Cargo.toml.jinja"),
    template!("README.md", "README.md.jinja"),
    template!(".env.example", "env.example.jinja"),
    template!(".gitignore", "gitignore.jinja"),
    template!("build.rs", "build.rs.jinja"),
    template!(
        "migrations/0001_initial.toml",
        "migrations/0001_initial.toml.jinja"
    ),
    template!("src/main.rs", "src/main.rs.jinja"),
    template!("src/lib.rs", "src/lib.rs.jinja"),
    template!("src/apps/mod.rs", "src/apps/mod.rs.jinja"),
    template!("src/apps/notes/mod.rs", "src/apps/notes/mod.rs.jinja"),
    template!("src/apps/notes/models.rs", "src/apps/notes/models.rs.jinja"),
    template!(
        "src/apps/notes/services.rs",
        "src/apps/notes/services.rs.jinja"
    ),
    template!(
        "src/apps/notes/handlers.rs",
        "src/apps/notes/handlers.rs.jinja"
    ),
    template!("tests/api.rs", "tests/api.rs.jinja"),
    template!("tests/openapi.rs", "tests/openapi.rs.jinja"),
    template!(
        "tests/snapshots/openapi__spec.snap",
        "tests/snapshots/openapi__spec.snap.jinja",
        Some(true)
    ),
    template!(
        "tests/snapshots/openapi__spec.snap",
        "tests/snapshots/openapi__spec.no-auth.snap.jinja",
        Some(false)
    ),
];

/// What a project is rendered from.
pub(crate) struct Project<'a> {
    /// The package name.
    pub(crate) name: &'a str,
    /// `sqlite` or `postgres`.
    pub(crate) db: &'a str,
    /// Whether it mounts `AuthModule`.
    pub(crate) auth: bool,
    /// Where its `chopin` dependency comes from, as TOML keys: `version = "0.1.0"` or
    /// `path = "…"`.
    pub(crate) chopin_source: &'a str,
}

/// The features of `chopin` a project uses, as a TOML list's items: its database's driver and,
/// with accounts, `AuthModule` and the Redis cache its rate limits share between processes.
fn features(project: &Project<'_>) -> String {
    // The HTTP layer's defaults (compression, metrics) and the log, as in `chopin`'s own default.
    let mut features = vec![project.db, "compression", "log", "metrics"];
    if project.auth {
        features.extend(["auth", "redis"]);
    }
    features
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every file of `project`: its path in the project, and its text.
pub(crate) fn render(
    project: &Project<'_>,
) -> Result<Vec<(&'static str, String)>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    let vars = context! {
        name => project.name,
        crate_name => project.name.replace('-', "_"),
        db => project.db,
        auth => project.auth,
        chopin_source => project.chopin_source,
        chopin_features => features(project),
    };
    TEMPLATES
        .iter()
        .filter(|t| t.auth.is_none_or(|auth| auth == project.auth))
        .map(|t| Ok((t.path, env.render_str(t.source, &vars)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Project, render};

    fn files(auth: bool, db: &str) -> Vec<(&'static str, String)> {
        let project = Project {
            name: "my-app",
            db,
            auth,
            chopin_source: "version = \"0.1.0\"",
        };
        render(&project).expect("the templates render")
    }

    fn file<'a>(files: &'a [(&'static str, String)], path: &str) -> &'a str {
        files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| text.as_str())
            .unwrap_or_else(|| panic!("no {path}"))
    }

    #[test]
    fn every_project_has_the_same_files() {
        let paths = |files: Vec<(&'static str, String)>| -> Vec<&'static str> {
            files.into_iter().map(|(p, _)| p).collect()
        };
        let expected = [
            "Cargo.toml",
            "README.md",
            ".env.example",
            ".gitignore",
            "build.rs",
            "migrations/0001_initial.toml",
            "src/main.rs",
            "src/lib.rs",
            "src/apps/mod.rs",
            "src/apps/notes/mod.rs",
            "src/apps/notes/models.rs",
            "src/apps/notes/services.rs",
            "src/apps/notes/handlers.rs",
            "tests/api.rs",
            "tests/openapi.rs",
            "tests/snapshots/openapi__spec.snap",
        ];
        assert_eq!(paths(files(true, "sqlite")), expected);
        assert_eq!(paths(files(false, "postgres")), expected);
    }

    #[test]
    fn names_and_options_reach_the_files() {
        let with_auth = files(true, "sqlite");
        assert!(file(&with_auth, "Cargo.toml").starts_with("[package]\nname = \"my-app\"\n"));
        assert!(file(&with_auth, "Cargo.toml").contains(
            "\nchopin = { version = \"0.1.0\", default-features = false, features = [\"sqlite\", \"compression\", \"log\", \"metrics\", \"auth\", \"redis\"] }\n"
        ));
        assert!(file(&with_auth, "Cargo.toml").contains(
            "\n[dev-dependencies]\nchopin = { version = \"0.1.0\", default-features = false, features = [\"testing\"] }\n"
        ));
        let main = file(&with_auth, "src/main.rs");
        assert!(
            main.contains("\nuse my_app::app;\n") && main.contains("app(config)?.run_command()")
        );
        assert!(
            file(&with_auth, ".env.example")
                .contains("\nDATABASE_URL=sqlite://my-app.db?mode=rwc\n")
        );
        assert!(file(&with_auth, "src/lib.rs").contains(".mount_module(auth)"));
        assert!(file(&with_auth, "Cargo.toml").contains("[profile.dev.package.argon2]"));

        let open = files(false, "postgres");
        assert!(file(&open, "Cargo.toml").contains(
            "\nchopin = { version = \"0.1.0\", default-features = false, features = [\"postgres\", \"compression\", \"log\", \"metrics\"] }\n"
        ));
        assert!(
            file(&open, ".env.example")
                .contains("\nDATABASE_URL=postgres://postgres@127.0.0.1:5432/my-app\n")
        );
        for (path, text) in &open {
            for word in ["AuthModule", "AuthUser", "argon2", "JWT_SECRET"] {
                assert!(
                    !text.contains(word),
                    "{path} of a project without auth names {word}"
                );
            }
        }
    }

    #[test]
    fn block_tags_leave_no_blank_lines_or_markup_behind() {
        for (path, text) in files(true, "sqlite")
            .into_iter()
            .chain(files(false, "postgres"))
        {
            assert!(
                !text.contains("{%") && !text.contains("{{"),
                "{path}: {text}"
            );
            assert!(
                !text.contains("\n\n\n"),
                "{path} has two blank lines in a row:\n{text}"
            );
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{path} ends badly"
            );
        }
    }
}
