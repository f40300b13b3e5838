// Two spellings of one pattern: axum cannot hold both, whatever their methods.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        id.to_string()
    }

    #[delete("/posts/{post_id}")]
    async fn remove(Path(post_id): Path<u64>) -> String {
        post_id.to_string()
    }
}

fn main() {}
