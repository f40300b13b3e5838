// Module names are unique in an application.
use chopin::prelude::*;

struct Blog;

#[chopin::module(name = "content")]
impl Blog {
    #[get("/posts")]
    async fn list() {}
}

struct Pages;

#[chopin::module(name = "content")]
impl Pages {
    #[get("/pages")]
    async fn list() {}
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Blog)
        .mount_module(Pages);
    let _ = app.bind();
}
