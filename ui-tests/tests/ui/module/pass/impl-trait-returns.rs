// Handlers are plain axum handlers: `impl IntoResponse` returns, `Result`, tuples, any extractor.
use chopin::axum::response::IntoResponse;
use chopin::prelude::*;
use chopin::testing::TestApp;
use std::collections::HashMap;

struct Api;

#[chopin::module]
impl Api {
    #[get("/plain")]
    async fn plain() -> impl IntoResponse {
        (StatusCode::ACCEPTED, [("x-kind", "plain")], "accepted")
    }

    #[get("/items/{id}")]
    async fn item(Path(id): Path<u32>) -> Result<impl IntoResponse, StatusCode> {
        if id == 0 {
            Err(StatusCode::NOT_FOUND)
        } else {
            Ok(Json(id * 2))
        }
    }

    #[any("/echo")]
    async fn echo(method: Method, Query(q): Query<HashMap<String, String>>) -> String {
        format!("{method} {}", q.get("x").map(String::as_str).unwrap_or("-"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = TestApp::spawn(App::with_config(Config::default()).mount_module(Api)).await;
    let res = app.get("/plain").send().await;
    assert_eq!((res.status().as_u16(), res.header("x-kind")), (202, Some("plain")));
    assert_eq!(app.get("/items/0").send().await.status(), 404);
    assert_eq!(app.get("/items/21").send().await.text(), "42");
    assert_eq!(app.put("/echo?x=1").send().await.text(), "PUT 1");
}
