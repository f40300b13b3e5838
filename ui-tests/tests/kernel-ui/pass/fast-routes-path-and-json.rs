// The kernel-only application of the build-time benchmark: two fast routes, a `Path` route and a
// `Json` route, checked, described and served without any battery.
use chopin::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, ToSchema)]
struct User {
    id: u64,
    name: String,
}

struct Hello;

#[chopin::module]
impl Hello {
    #[fast_route("/json", json)]
    const JSON: &'static str = r#"{"message":"Hello, World!"}"#;

    #[fast_route("/plaintext", text)]
    const PLAINTEXT: &'static str = "Hello, World!";

    #[get("/users/{id}")]
    async fn user(Path(id): Path<u64>) -> Json<User> {
        Json(User { id, name: format!("user {id}") })
    }

    #[post("/users")]
    async fn create(Json(user): Json<User>) -> Created<User> {
        Created::new(user)
    }
}

chopin::assert_app!(Hello);

fn main() {
    let app = App::with_config(Config::default()).mount_module(Hello);
    assert_eq!(app.routes().len(), 4);
    assert!(app.openapi().paths.paths.contains_key("/users/{id}"));
}
