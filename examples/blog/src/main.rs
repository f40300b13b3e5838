//! Runs the blog: `cargo run -p blog` creates or updates its tables in `DATABASE_URL` (an SQLite
//! file `chopin.db` by default; `AUTO_MIGRATE=false` skips that) and serves it;
//! `cargo run -p blog -- migrate` only migrates, `cargo run -p blog -- routes` prints its route
//! table and `cargo run -p blog -- openapi` its API description.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), chopin::Error> {
    // The log goes to standard error: standard output is the commands' (`openapi` prints the
    // description there) and, in development, the mail's.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    // The example starts on an empty database: it migrates at start-up unless told otherwise.
    let defaults = chopin::Config::default().with(chopin::DbConfig {
        auto_migrate: true,
        ..chopin::DbConfig::default()
    });
    let config = chopin::Config::from_env_with_defaults(defaults)?;
    blog::app(config)?.run_command().await
}
