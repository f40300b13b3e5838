// Two modules share a prefix; their routes conflict once prefixed, as two spellings of one
// pattern.
use chopin::prelude::*;

struct Users;

#[chopin::module(prefix = "/api")]
impl Users {
    #[get("/users/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        id.to_string()
    }
}

struct Accounts;

#[chopin::module(prefix = "/api/users")]
impl Accounts {
    #[put("/{user_id}")]
    async fn update(Path(user_id): Path<u64>) -> String {
        user_id.to_string()
    }
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Users)
        .mount_module(Accounts);
    let _ = app.bind();
}
