// An `auth` route needs a provider of `auth`: without the `auth` feature there is no
// `AuthModule`, and the whole-application check names the feature.
use chopin::prelude::*;

pub struct Admin;

#[chopin::module]
impl Admin {
    #[get("/admin", auth(role = "admin"))]
    async fn panel(user: AuthUser) -> String {
        user.id
    }
}

chopin::assert_app!(Admin);

fn main() {}
