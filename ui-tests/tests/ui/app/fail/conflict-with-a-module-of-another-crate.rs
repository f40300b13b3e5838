// `hello::Hello` (another crate of the workspace) already answers `GET /users/{id}`.
use chopin::prelude::*;

struct Users;

#[chopin::module]
impl Users {
    #[get("/users/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        id.to_string()
    }
}

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(hello::Hello)
        .mount_module(Users);
    let _ = app.bind();
}
