//! Routes known only at run time (`App::fast_route` with a `FastRoute`, `App::route`,
//! `App::merge`) are checked when the application binds, against the modules' routes, the fast
//! routes and each other: a clash stops start-up with an error naming both sides and where each
//! was declared, never a panic and never a route silently shadowed.

use chopin::axum::Router;
use chopin::prelude::*;

pub(crate) struct Posts;

#[chopin::module(prefix = "/posts")]
impl Posts {
    #[fast_route("/feed", json)]
    const FEED: &'static str = "[]";

    #[get("/")]
    async fn list() -> &'static str {
        "posts"
    }

    #[get("/{id}")]
    async fn show(Path(id): Path<u64>) -> String {
        id.to_string()
    }
}

fn app() -> App<(), impl chopin::ModuleList> {
    App::with_config(Config {
        port: 0,
        ..Config::default()
    })
    .mount_module(Posts)
}

/// The error `bind` stops with, one line per mistake, file paths cut to their name.
fn refusal<M: chopin::ModuleList>(app: App<(), M>) -> Vec<String> {
    let Err(e) = app.bind() else {
        panic!("the application bound");
    };
    let message = e.to_string();
    let mut lines = message.lines();
    assert_eq!(lines.next(), Some("invalid routes:"), "{message}");
    lines
        .map(|l| l.trim_start_matches("  - ").replace("tests/http/", ""))
        .collect()
}

/// `file:line` of this file, at `line`.
fn here(line: u32) -> String {
    format!("clashes.rs:{line}")
}

#[test]
fn a_fast_route_built_at_start_up_that_shadows_a_modules_route_is_refused() {
    let line = line!() + 1;
    let errors = refusal(app().fast_route(FastRoute::text("/posts", "hidden")));
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert!(
        e.starts_with(&format!(
            "fast route `/posts` added with `App::fast_route` ({}) shadows `Posts::list` in module `posts` (",
            here(line)
        )),
        "{e}"
    );
    assert!(
        e.contains("the fast route answers its requests first"),
        "{e}"
    );
}

#[test]
fn two_fast_routes_on_one_path_are_refused_naming_both() {
    let line = line!() + 1;
    let errors = refusal(app().fast_route(FastRoute::json("/posts/feed", "{}")));
    assert_eq!(
        errors,
        [format!(
            "two fast routes answer `/posts/feed`: `Posts::FEED` in module `posts` (tests/http/clashes.rs:14) and `/posts/feed` added with `App::fast_route` ({}); a path has one fast route",
            here(line)
        )
        .replace("tests/http/", "")]
    );
}

#[test]
fn a_route_added_by_hand_that_claims_a_modules_requests_is_refused() {
    // The same request: the same method on the same path.
    let line = line!() + 1;
    let errors = refusal(app().route("/posts/{id}", get(|| async { "mine" })));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "route `/posts/{{id}}` added with `App::route` ({}) cannot be routed beside `Posts::show` in module `posts` (",
            here(line)
        )),
        "{errors:?}"
    );
    // Another spelling of the same pattern, whatever the method.
    let errors = refusal(app().route("/posts/{post_id}", delete(|| async { "gone" })));
    assert!(
        errors[0].contains("cannot be routed beside `Posts::show` in module `posts`"),
        "{errors:?}"
    );
}

#[test]
fn a_route_added_by_hand_on_a_fast_routes_requests_is_refused() {
    let line = line!() + 1;
    let errors = refusal(app().route("/posts/feed", get(|| async { "shadowed" })));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "route `/posts/feed` added with `App::route` ({}) cannot be routed beside fast route `Posts::FEED` in module `posts` (",
            here(line)
        )),
        "{errors:?}"
    );
    assert!(errors[0].contains("it would be shadowed"), "{errors:?}");
    // Through a merged router, the same, though `/posts/{id}` would take the path in the router.
    let merged: Router = Router::new().route("/posts/feed", get(|| async { "shadowed" }));
    let line = line!() + 1;
    let errors = refusal(app().merge(merged));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "a router merged with `App::merge` ({}) cannot be routed beside fast route `Posts::FEED` in module `posts` (",
            here(line)
        )),
        "{errors:?}"
    );
}

#[tokio::test]
async fn routes_added_by_hand_beside_others_serve() {
    // Another method on a fast route's path, and a module's pattern's other methods.
    let app = app()
        .route("/posts/feed", post(|| async { "posted to the feed" }))
        .route("/posts/{id}", put(|| async { "replaced" }))
        .merge(Router::new().route("/other", get(|| async { "other" })));
    let app = chopin::testing::TestApp::spawn(app).await;
    assert_eq!(app.get("/posts/feed").send().await.text(), "[]");
    assert_eq!(
        app.post("/posts/feed").send().await.text(),
        "posted to the feed"
    );
    assert_eq!(app.put("/posts/7").send().await.text(), "replaced");
    assert_eq!(app.get("/posts/7").send().await.text(), "7");
    assert_eq!(app.get("/other").send().await.text(), "other");
    // A method nobody answers on the fast route's path: 405, listing every method it has.
    let res = app.delete("/posts/feed").send().await;
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.header("allow"), Some("GET,HEAD,POST"));
}
