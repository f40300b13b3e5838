//! Runs the hello application: `cargo run -p hello` (add `REUSEPORT=true` for one runtime per core);
//! `cargo run -p hello -- routes` prints its route table, `cargo run -p hello -- openapi --out F`
//! writes its API description.

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
    let config = chopin::Config::from_env()?;
    hello::app(config).run_command().await
}
