// Two parameters in the path, a tuple of three in the extractor.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts/{post}/comments/{comment}")]
    async fn comment(Path((post, comment, extra)): Path<(u64, u64, u64)>) -> String {
        format!("{post} {comment} {extra}")
    }
}

fn main() {}
