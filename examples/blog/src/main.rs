//! Runs the blog: `cargo run -p blog -- migrate` creates its tables in `DATABASE_URL` (an SQLite
//! file `chopin.db` by default), `cargo run -p blog` serves it, `cargo run -p blog -- openapi`
//! prints its API description.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), chopin::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = chopin::Config::from_env()?;
    blog::app(config)?.run_command().await
}
