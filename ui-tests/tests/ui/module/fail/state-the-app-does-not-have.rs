// The module's handlers extract `State<Db>`, and the application has no state.
use chopin::prelude::*;

#[derive(Clone)]
struct Db;

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list(State(_db): State<Db>) {}
}

fn main() {
    let _ = App::with_config(Config::default()).mount_module(Blog);
}
