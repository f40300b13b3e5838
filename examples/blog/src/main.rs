//! Runs the blog: `cargo run -p blog` creates or updates its tables in `DATABASE_URL` (an SQLite
//! file `chopin.db` by default; `AUTO_MIGRATE=false` skips that) and serves it;
//! `cargo run -p blog -- migrate` only migrates, `cargo run -p blog -- routes` prints its route
//! table and `cargo run -p blog -- openapi` its API description.

#[tokio::main]
async fn main() -> Result<(), chopin::Error> {
    // The example starts on an empty database: it migrates at start-up unless told otherwise.
    let defaults = chopin::Config::default().with(chopin::DbConfig {
        auto_migrate: true,
        ..chopin::DbConfig::default()
    });
    let config = chopin::Config::from_env_with_defaults(defaults)?;
    // On standard error (standard output is the commands'), filtered by `RUST_LOG`, as JSON
    // lines with `LOG_FORMAT=json`.
    chopin::log::init(&config)?;
    blog::app(config)?.run_command().await
}
