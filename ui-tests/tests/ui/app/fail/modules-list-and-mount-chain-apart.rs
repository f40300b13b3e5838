// The module list is declared once; the application's function returns its type, so a chain
// that mounts other modules (or in another order) does not compile.
use chopin::prelude::*;

pub struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list() -> &'static str {
        "[]"
    }
}

pub struct Feed;

#[chopin::module]
impl Feed {
    #[get("/feed")]
    async fn feed() -> &'static str {
        "[]"
    }
}

chopin::modules! {
    pub type Modules = [Blog, Feed];
}

pub fn app(config: Config) -> App<(), Modules> {
    App::with_config(config).mount_module(Blog)
}

fn main() {
    let _ = app(Config::default());
}
