// The handler reads the user, and the route is not declared `auth`: nothing would guard it.
use chopin::prelude::*;

struct Blog;

#[chopin::module]
impl Blog {
    #[post("/posts")]
    async fn create(user: AuthUser) -> String {
        user.id
    }
}

fn main() {}
