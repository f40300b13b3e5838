//! Runs the TechEmpower application: `techempower migrate` creates the tables in
//! `DATABASE_URL`, `techempower seed` fills them, and `techempower` serves.

#[tokio::main]
async fn main() -> Result<(), chopin::Error> {
    let config = chopin::Config::from_env()?;
    chopin::log::init(&config)?;
    techempower::app(config).run_command().await
}
