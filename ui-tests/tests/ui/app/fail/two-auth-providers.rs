// One application, one provider of `auth`: which one would a guard ask?
use chopin::auth::{AuthRejection, AuthUser, Authenticate};
use chopin::http::request::Parts;
use chopin::prelude::*;

#[derive(Clone)]
struct Sessions;

#[chopin::module(provides(auth))]
impl Sessions {}

impl Authenticate for Sessions {
    async fn authenticate(&self, _parts: &Parts) -> Result<AuthUser, AuthRejection> {
        Err(AuthRejection::Unauthenticated("no session".into()))
    }
}

#[derive(Clone)]
struct Tokens;

#[chopin::module(provides(auth))]
impl Tokens {}

impl Authenticate for Tokens {
    async fn authenticate(&self, _parts: &Parts) -> Result<AuthUser, AuthRejection> {
        Err(AuthRejection::Unauthenticated("no token".into()))
    }
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Sessions)
        .mount_module(Tokens);
    let _ = app.bind();
}
