// Two modules under one prefix: conflicts are judged on full paths, so routes that differ after
// the prefix coexist, and a literal segment beside a parameter is not a conflict (it wins). A
// fast route's body can come from `include_str!`.
use chopin::prelude::*;
use chopin::testing::TestApp;

struct Users;

#[chopin::module(prefix = "/api")]
impl Users {
    #[get("/users/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        format!("user {id}")
    }
}

struct Me;

#[chopin::module(prefix = "/api")]
impl Me {
    #[fast_route("/users/me", json)]
    const ME: &'static str = r#"{"me":true}"#;

    #[fast_route("/about", html)]
    const ABOUT: &'static str = include_str!("about.html");

    // A fast route for `POST` only leaves `GET` on its path to a handler.
    #[fast_route("/ping", text, methods(POST))]
    const PONG: &'static str = "pong";

    #[get("/ping")]
    async fn ping() -> &'static str {
        "get ping"
    }

    #[post("/users/{id}")]
    async fn update(Path(id): Path<u64>) -> String {
        format!("updated {id}")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Users)
        .mount_module(Me);
    let app = TestApp::spawn(app).await;
    assert_eq!(app.get("/api/users/7").send().await.text(), "user 7");
    assert_eq!(app.get("/api/users/me").send().await.text(), r#"{"me":true}"#);
    assert_eq!(app.post("/api/users/7").send().await.text(), "updated 7");
    assert_eq!(app.get("/api/about").send().await.text(), "<h1>About</h1>\n");
    assert_eq!(app.get("/api/ping").send().await.text(), "get ping");
    assert_eq!(app.post("/api/ping").send().await.text(), "pong");
}
