// `{id}` in the path, and no `Path` extractor to read it.

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts/{id}")]
    async fn show() -> &'static str {
        "a post"
    }
}

fn main() {}
