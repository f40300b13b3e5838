// A route declared `auth` in an application where no module provides `auth`.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[post("/posts", auth)]
    async fn create(user: AuthUser) -> String {
        user.id
    }
}

fn main() {
    let app = App::with_config(Config::default()).mount_module(Blog);
    let _ = app.bind();
}
