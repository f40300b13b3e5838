// The blog requires the accounts module, which the application does not mount.
use chopin::prelude::*;

struct Accounts;

#[chopin::module]
impl Accounts {
    #[get("/accounts")]
    async fn list() {}
}

struct Blog;

#[chopin::module(requires(Accounts))]
impl Blog {
    #[get("/posts")]
    async fn list() {}
}

fn main() {
    let app = App::with_config(Config::default()).mount_module(Blog);
    let _ = app.bind();
}
