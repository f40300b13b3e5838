// A fast route answers its requests before the router sees them: a handler for the same request
// in another module would never run.
use chopin::prelude::*;

struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/api/status", json)]
    const STATUS: &'static str = r#"{"ok":true}"#;
}

struct Api;

#[chopin::module(prefix = "/api")]
impl Api {
    #[get("/status")]
    async fn status() -> &'static str {
        "dynamic"
    }
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Status)
        .mount_module(Api);
    let _ = app.bind();
}
