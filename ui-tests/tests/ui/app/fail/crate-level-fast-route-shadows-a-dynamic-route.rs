// A fast route declared on a crate-level constant joins the check with the modules: it cannot
// hide a module's dynamic route.
use chopin::prelude::*;

/// Whether the service is up.
#[fast_route("/health", text)]
const HEALTH: &str = "ok";

pub struct Api;

#[chopin::module]
impl Api {
    #[get("/health")]
    async fn health() -> &'static str {
        "checked"
    }
}

#[tokio::main]
async fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Api)
        .fast_route(HEALTH);
    let _ = app.bind();
}
