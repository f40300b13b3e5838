// A module's prefix can have parameters; every handler under it takes them in its `Path`.
use chopin::prelude::*;

pub struct Projects;

#[chopin::module(prefix = "/orgs/{org}")]
impl Projects {
    #[get("/projects")]
    async fn list() -> &'static str {
        "[]"
    }

    #[get("/projects/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        id.to_string()
    }
}

fn main() {}
