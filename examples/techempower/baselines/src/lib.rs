//! The TechEmpower suite's baselines, as binaries: `tfb-axum` (axum + sqlx, as an axum user
//! writes it) and `tfb-raw` (the ceiling: tokio + httparse + tokio-postgres, prepared statements
//! and pipelining). See `examples/techempower/README.md`.
