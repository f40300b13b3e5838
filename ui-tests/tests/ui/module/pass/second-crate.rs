// A module from another crate of the workspace (`hello`) beside a local one, sharing no path; a
// crate-level fast route whose body is a constant of that other crate.
use chopin::prelude::*;
use chopin::testing::TestApp;

struct Docs;

#[chopin::module(prefix = "/docs")]
impl Docs {
    #[fast_route("/", html)]
    const INDEX: &'static str = "<h1>Docs</h1>";
}

#[fast_route("/again", text)]
const AGAIN: &str = hello::Hello::PLAINTEXT;

chopin::assert_app!(hello::Hello, Docs);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = App::with_config(Config::default())
        .mount_module(hello::Hello)
        .mount_module(Docs)
        .fast_route(AGAIN);
    let app = TestApp::spawn(app).await;
    assert_eq!(app.get("/plaintext").send().await.text(), "Hello, World!");
    assert_eq!(app.get("/docs").send().await.text(), "<h1>Docs</h1>");
    assert_eq!(app.get("/again").send().await.text(), "Hello, World!");
    assert_eq!(app.get("/users/3").send().await.status(), 200);
}
