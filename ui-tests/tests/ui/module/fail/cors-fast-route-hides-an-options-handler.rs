// A CORS fast route answers `OPTIONS` with its preflight, so an `OPTIONS` handler on its path
// would never run.
struct Api;

#[chopin::module]
impl Api {
    #[fast_route("/status", json, cors)]
    const STATUS: &'static str = r#"{"ok":true}"#;

    #[options("/status")]
    async fn status_options() -> &'static str {
        "options"
    }
}

fn main() {}
