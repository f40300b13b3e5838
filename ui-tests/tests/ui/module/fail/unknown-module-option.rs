// An option a module does not have.

struct Blog;

#[chopin::module(prefx = "/blog")]
impl Blog {
    #[get("/posts")]
    async fn list() {}
}

fn main() {}
