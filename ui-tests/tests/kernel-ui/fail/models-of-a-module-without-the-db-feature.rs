// A module's `models(..)` needs the database battery: without `db`, one error at `models`.
use chopin::prelude::*;

pub struct Post;

pub struct Blog;

#[chopin::module(models(Post))]
impl Blog {
    #[get("/posts")]
    async fn list() -> &'static str {
        "[]"
    }
}

fn main() {
    let _ = App::with_config(Config::default()).mount_module(Blog);
}
