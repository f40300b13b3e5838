// A parameter that does not take its whole segment.
use chopin::prelude::*;

struct Files;

#[chopin::module]
impl Files {
    #[get("/files/{name}.txt")]
    async fn file(Path(name): Path<String>) -> String {
        name
    }
}

fn main() {}
