// Two handlers of one module for `GET /posts`.

struct Blog;

#[chopin::module(prefix = "/blog")]
impl Blog {
    #[get("/posts")]
    async fn list() {}

    #[get("/posts")]
    async fn list_again() {}
}

fn main() {}
