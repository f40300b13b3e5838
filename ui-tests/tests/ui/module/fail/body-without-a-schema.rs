// A JSON body whose type has no schema: derive `ToSchema` beside `Deserialize`.
use chopin::prelude::*;

#[derive(serde::Deserialize)]
struct NewPost {
    title: String,
}

struct Blog;

#[chopin::module]
impl Blog {
    #[post("/posts")]
    async fn create(Json(post): Json<NewPost>) -> String {
        post.title
    }
}

fn main() {}
