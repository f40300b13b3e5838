// Two modules claim `GET /posts`: the build names both handlers and where they are declared.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list() -> &'static str {
        "blog"
    }
}

struct Feed;

#[chopin::module]
impl Feed {
    #[get("/posts")]
    async fn list() -> &'static str {
        "feed"
    }
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Blog)
        .mount_module(Feed);
    let _ = app.bind();
}
