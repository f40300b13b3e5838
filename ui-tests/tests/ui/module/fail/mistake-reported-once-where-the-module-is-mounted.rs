// A module with a mistake still implements `Module` (with no routes), so the code that mounts it
// adds no errors of its own: the mistake is the only thing reported.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list() {}

    #[get("/posts")]
    async fn list_again() {}
}

fn main() {
    let app = App::with_config(Config::default()).mount_module(Blog);
    let _ = app.bind();
}
