// A handler is an `async fn`.

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    fn list() -> &'static str {
        "posts"
    }
}

fn main() {}
