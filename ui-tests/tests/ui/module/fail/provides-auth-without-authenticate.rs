// A module that provides `auth` says who a request comes from.

#[derive(Clone)]
struct Accounts;

#[chopin::module(provides(auth))]
impl Accounts {
    #[post("/login")]
    async fn login() {}
}

fn main() {}
