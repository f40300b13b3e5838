// A handler returns what axum can turn into a response.
struct Post {
    title: String,
}

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts/latest")]
    async fn latest() -> Post {
        Post {
            title: "Hello".to_owned(),
        }
    }
}

fn main() {}
