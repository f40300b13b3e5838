// A `Path` struct destructured with a field the pattern does not have.
use chopin::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Ids {
    post: u64,
    comment: u64,
}

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts/{post}/comments/{id}")]
    async fn comment(Path(Ids { post, comment }): Path<Ids>) -> String {
        format!("{post} {comment}")
    }
}

fn main() {}
