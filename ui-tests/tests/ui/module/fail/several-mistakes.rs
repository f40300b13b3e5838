// Every mistake of a module is reported at once, each at its token.
use chopin::prelude::*;

struct Blog;

#[chopin::module(name = "Blog")]
impl Blog {
    #[get("/posts/{id}")]
    fn show() {}

    #[post("/posts", tag = 3)]
    async fn create(user: AuthUser) -> String {
        user.id
    }

    #[fast_route("/about", html, cros)]
    const ABOUT: &'static str = "about";
}

fn main() {}
