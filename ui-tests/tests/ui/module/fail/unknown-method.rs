// A route attribute that is not a method.

struct Blog;

#[chopin::module]
impl Blog {
    #[gte("/posts")]
    async fn list() {}
}

fn main() {}
