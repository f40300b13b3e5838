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

    let first = blog(&dir, &["migrate"]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "migrate: create table `posts`\n\
         migrate: create index `idx-posts-author_id` on `posts` (`author_id`)\n\
         migrate: create table `comments`\n\
         migrate: create index `idx-comments-post_id` on `comments` (`post_id`)\n\
         migrate: create table `auth_users`\n\
         migrate: create table `auth_sessions`\n\
         migrate: create index `idx-auth_sessions-user_id` on `auth_sessions` (`user_id`)\n\
         migrate: create table `auth_refresh_tokens`\n\
         migrate: create index `idx-auth_refresh_tokens-session_id` on `auth_refresh_tokens` (`session_id`)\n\
         migrate: create table `auth_tokens`\n\
         migrate: create index `idx-auth_tokens-user_id` on `auth_tokens` (`user_id`)\n"
    );
    let again = blog(&dir, &["migrate"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "migrate: the tables are up to date\n"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(&dir)
        .env_clear()
        .env("DATABASE_URL", "mysql://db/blog")
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
            "Error: invalid value for `DATABASE_URL`: `mysql://db/blog` (a sqlite:// or postgres:// URL, such as sqlite://app.db?mode=rwc)"
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
            "Error: unknown command `migrat`: expected `serve` (the default), `routes`, `openapi [--out FILE]` or `migrate`"
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
