//! Baseline of Chopin's fast and dynamic routes: plain axum 0.8 on one `current_thread` runtime.
//!
//! `GET /plaintext` answers `Hello, World!` as text/plain (what Chopin's fast route answers from
//! precomputed bytes) and `GET /users/{id}` is the very handler `examples/hello` mounts, so the
//! dynamic-route comparison measures only what Chopin adds around axum. Listens on
//! `127.0.0.1:$PORT` (default 8080).

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use axum::serve::ListenerExt;
use serde::Serialize;

/// A user, as `/users/{id}` returns it (same as `examples/hello`).
#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
}

async fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: format!("user {id}"),
    })
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

fn main() -> std::io::Result<()> {
    benchmark::run(|listener| async move {
        let app = Router::new()
            .route("/plaintext", get(plaintext))
            .route("/users/{id}", get(user));
        let listener = listener
            // Chopin sets TCP_NODELAY on every connection; so does every baseline.
            .tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    eprintln!("set_nodelay failed: {e}");
                }
            });
        axum::serve(listener, app).await
    })
}
