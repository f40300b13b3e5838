// A module from another crate of the workspace (`hello`) beside a local one, sharing no path; a
// crate-level fast route whose body is a constant of that other crate; the API viewer moved off
// `/docs`, which the local module takes, and the description covering both crates.
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
    let config = Config {
        docs_path: Some("/api-docs".to_owned()),
        ..Config::default()
    };
    let app = App::with_config(config)
        .mount_module(hello::Hello)
        .mount_module(Docs)
        .fast_route(AGAIN);
    let app = TestApp::spawn(app).await;
    assert_eq!(app.get("/plaintext").send().await.text(), "Hello, World!");
    assert_eq!(app.get("/docs").send().await.text(), "<h1>Docs</h1>");
    assert_eq!(app.get("/again").send().await.text(), "Hello, World!");
    assert_eq!(app.get("/users/3").send().await.status(), 200);
    let res = app.get("/openapi.json").send().await;
    let spec = res.text();
    for path in ["/users/{id}", "/docs", "/again"] {
        assert!(spec.contains(&format!("\"{path}\"")), "{path} in {spec}");
    }
    let viewer = app.get("/api-docs").send().await;
    assert!(viewer.text().contains(r#"data-url="/openapi.json""#));
}
