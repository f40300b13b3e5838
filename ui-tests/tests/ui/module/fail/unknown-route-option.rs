// An option a route does not have.

struct Blog;

#[chopin::module]
impl Blog {
    #[post("/posts", auht)]
    async fn create() {}
}

fn main() {}
