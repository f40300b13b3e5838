//! The blog binary's commands, as an operator runs them, on an SQLite file.

use std::process::Command;

fn blog(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", "sqlite://blog.db?mode=rwc")
        .env("RUST_LOG", "off")
        .args(args)
        .output()
        .expect("run blog")
}

#[test]
fn migrate_creates_the_tables_once_then_has_nothing_to_do() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");

    let before = blog(&dir, &["showmigrations"]);
    assert_eq!(before.status.code(), Some(0), "{before:?}");
    assert_eq!(
        String::from_utf8_lossy(&before.stdout),
        "auth\n [ ] 0001_initial\napp\n [ ] 0001_initial\n"
    );
    let first = blog(&dir, &["migrate"]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "migrate: applied auth/0001_initial\nmigrate: applied app/0001_initial\n"
    );
    let again = blog(&dir, &["migrate"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "migrate: the database is up to date\n"
    );
    let after = blog(&dir, &["showmigrations"]);
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        "auth\n [x] 0001_initial\napp\n [x] 0001_initial\n"
    );

    // The binary carries its files: `makemigrations --check` run from anywhere compares the
    // models with the files of the crate's `migrations/`.
    let check = blog(&dir, &["makemigrations", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "makemigrations: the migration files hold every change of the models\n"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(&dir)
        .env_clear()
        .env("DATABASE_URL", "mongodb://db/blog")
        .arg("migrate")
        .output()
        .expect("run blog");
    assert_eq!(refused.status.code(), Some(1));
    // The database battery reads its variables when it starts, after the log of what was built
    // before it: the error is the last line.
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr)
            .trim_end()
            .lines()
            .last(),
        Some(
            "Error: invalid value for `DATABASE_URL`: `mongodb://db/blog` (a sqlite://, postgres:// or mysql:// URL, such as sqlite://app.db?mode=rwc)"
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openapi_prints_only_the_description_on_standard_output() {
    // AuthModule warns that `JWT_SECRET` is not set; the warning goes to the log, on standard
    // error, and standard output stays a JSON document that can be redirected to a file.
    let dir = std::env::temp_dir().join(format!("chopin-blog-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(&dir)
        .env_clear()
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .arg("openapi")
        .output()
        .expect("run blog");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).expect("only JSON");
    assert_eq!(spec["info"]["title"], "blog");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET is not set"),
        "{out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_database_battery_adds_migrate_to_the_commands_and_checks_its_arguments() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-usage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let unknown = blog(&dir, &["migrat"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr)
            .trim_end()
            .lines()
            .last(),
        Some(
            "Error: unknown command `migrat`: expected `serve` (the default), `routes`, `openapi [--out FILE]`, `migrate`, `makemigrations [--name NAME] [--check] [--allow-destructive]`, `showmigrations` or `createadmin EMAIL`"
        )
    );
    let extra = blog(&dir, &["migrate", "--fake"]);
    assert_eq!(extra.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&extra.stderr)
            .trim_end()
            .lines()
            .last(),
        Some("Error: `migrate --fake`: expected `migrate`")
    );
    assert!(
        !dir.join("blog.db").exists(),
        "a refused command opens no database"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `blog createadmin EMAIL` in `dir` with `stdin` piped in.
fn createadmin(dir: &std::path::Path, email: &str, stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", "sqlite://blog.db?mode=rwc")
        .env("RUST_LOG", "off")
        .args(["createadmin", email])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run blog");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("blog's output")
}

/// The last line of standard error: where `main` prints the error.
fn last_error_line(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn createadmin_makes_a_verified_admin_from_a_password_on_standard_input() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    assert_eq!(blog(&dir, &["migrate"]).status.code(), Some(0));

    // The policy of every new password holds: long enough, and hard to guess.
    let weak = createadmin(&dir, "root@example.com", "Password123!\n");
    assert_eq!(weak.status.code(), Some(1), "{weak:?}");
    assert!(
        last_error_line(&weak).starts_with(
            "Error: createadmin: the password is too easy to guess: this is similar to a commonly used password"
        ),
        "{weak:?}"
    );
    let short = createadmin(&dir, "root@example.com", "hunter2\n");
    assert_eq!(
        last_error_line(&short),
        "Error: createadmin: the password must be at least 12 characters"
    );
    let empty = createadmin(&dir, "root@example.com", "");
    assert_eq!(
        last_error_line(&empty),
        "Error: createadmin: no password: type one, or give it as a line on standard input"
    );
    let bad = createadmin(&dir, "not an email", "a long admin passphrase\n");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        last_error_line(&bad).starts_with("Error: createadmin: `not an email` is not an email"),
        "{bad:?}"
    );
    let usage = blog(&dir, &["createadmin"]);
    assert_eq!(
        last_error_line(&usage),
        "Error: `createadmin `: expected `createadmin EMAIL`"
    );

    let made = createadmin(&dir, " Root@Example.com ", "a long admin passphrase\r\n");
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    assert_eq!(
        String::from_utf8_lossy(&made.stdout),
        "createadmin: root@example.com is an admin (account 1), its email verified\n"
    );
    // The password never reaches the output.
    assert!(!format!("{made:?}").contains("passphrase"));
    let again = createadmin(&dir, "root@example.com", "a long admin passphrase\n");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        last_error_line(&again),
        "Error: createadmin: root@example.com has an account already: an admin gives it the role \
         with PUT /auth/users/{id}/role"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_production_commands_need_no_secret_and_serving_names_every_missing_one() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-production-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let production = |vars: &[(&str, &str)], args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_blog"))
            .current_dir(&dir)
            .env_clear()
            .env("APP_ENV", "production")
            .env("RUST_LOG", "off")
            .envs(vars.iter().copied())
            .args(args)
            .output()
            .expect("run blog")
    };
    // What a build server runs: no secret, no mailer, no database.
    let openapi = production(&[], &["openapi", "--out", "spec.json"]);
    assert_eq!(openapi.status.code(), Some(0), "{openapi:?}");
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("spec.json")).expect("written"))
            .expect("JSON");
    assert_eq!(spec["info"]["title"], "blog");
    let routes = production(&[], &["routes"]);
    assert_eq!(routes.status.code(), Some(0), "{routes:?}");
    // A deploy step: the database only.
    let migrate = production(
        &[("DATABASE_URL", "sqlite://blog.db?mode=rwc")],
        &["migrate"],
    );
    assert_eq!(migrate.status.code(), Some(0), "{migrate:?}");

    // Serving refuses, with everything that is missing in one error.
    let serve = production(&[("DATABASE_URL", "mongodb://db/blog")], &[]);
    assert_eq!(serve.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&serve.stderr);
    let error = &stderr[stderr.find("Error: ").expect("an error")..];
    let lines: Vec<&str> = error.trim_end().lines().collect();
    assert_eq!(
        lines[0], "Error: 4 settings are missing or wrong:",
        "{error}"
    );
    assert!(
        lines[1].starts_with("  - invalid value for `DATABASE_URL`"),
        "{error}"
    );
    assert!(
        lines[2].starts_with("  - `JWT_SECRET` is not set"),
        "{error}"
    );
    assert!(
        lines[3].starts_with("  - `AUTH_ENCRYPTION_KEY` is not set"),
        "{error}"
    );
    assert!(
        lines[4].starts_with("  - `SMTP_URL` is not set: production mails password reset"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
