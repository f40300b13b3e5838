//! Modules mounted on an application, over real sockets: fast and dynamic routes under their
//! prefixes, the auth guard generated from `auth` declarations, roles, application state, and the
//! route table.

use std::sync::{Arc, Mutex};

use chopin::auth::{AuthRejection, AuthUser, Authenticate};
use chopin::http::request::Parts;
use chopin::prelude::*;
use chopin::testing::TestApp;
use chopin::{ModuleList, RouteTable};

use super::raw::Conn;

/// The tests' auth provider: `authorization: Bearer NAME` or `Bearer NAME:ROLE+ROLE`.
#[derive(Clone)]
pub(crate) struct TokenAuth;

#[chopin::module(name = "auth", prefix = "/auth", provides(auth))]
impl TokenAuth {
    #[get("/me", auth)]
    async fn me(user: AuthUser) -> String {
        format!("{} {:?}", user.id, user.roles)
    }
}

impl Authenticate for TokenAuth {
    async fn authenticate(&self, parts: &Parts) -> Result<AuthUser, AuthRejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| AuthRejection::Missing("a bearer token is required".into()))?;
        match token.split_once(':') {
            None if !token.is_empty() => Ok(AuthUser::new(token, Vec::<String>::new())),
            Some((name, roles)) if !name.is_empty() => Ok(AuthUser::new(name, roles.split('+'))),
            _ => Err(AuthRejection::Unauthenticated("an empty token".into())),
        }
    }
}

/// The application's state: what the blog's handlers share.
#[derive(Clone, Default)]
pub(crate) struct AppState {
    posts: Arc<Mutex<Vec<String>>>,
}

impl AppState {
    fn posts(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        match self.posts.lock() {
            Ok(posts) => posts,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

pub(crate) struct Blog;

#[chopin::module(name = "blog", prefix = "/blog", requires(TokenAuth))]
impl Blog {
    #[fast_route("/health", text, cache_control = "no-cache")]
    const HEALTH: &'static str = "OK";

    #[fast_route("/about", html, cors, methods(GET, HEAD))]
    const ABOUT: &'static [u8] = b"<h1>About</h1>";

    #[get("/posts")]
    async fn list(State(state): State<AppState>) -> Json<Vec<String>> {
        Json(state.posts().clone())
    }

    #[get("/posts/{id}")]
    async fn show(
        State(state): State<AppState>,
        Path(id): Path<usize>,
    ) -> Result<String, ChopinError> {
        state
            .posts()
            .get(id)
            .cloned()
            .ok_or_else(|| ChopinError::not_found(format!("no post {id}")))
    }

    #[post("/posts", auth)]
    async fn create(
        user: AuthUser,
        State(state): State<AppState>,
        title: String,
    ) -> Result<Created<usize>, ChopinError> {
        if title.trim().is_empty() {
            return Err(ChopinError::invalid(vec![chopin::FieldError::new(
                "title",
                "cannot be empty",
            )]));
        }
        let mut posts = state.posts();
        posts.push(format!("{title} (by {})", user.id));
        let id = posts.len() - 1;
        Ok(Created::new(id).at(format!("/blog/posts/{id}")))
    }

    #[delete("/posts/{id}", auth(role = "admin"))]
    async fn remove(
        State(state): State<AppState>,
        Path(id): Path<usize>,
    ) -> Result<NoContent, ChopinError> {
        let mut posts = state.posts();
        if id < posts.len() {
            posts.remove(id);
            Ok(NoContent)
        } else {
            Err(ChopinError::not_found(format!("no post {id}")))
        }
    }
}

/// Eleven fast routes: more than a linear scan serves, so the table is the perfect hash whose seed
/// was found while the application compiled.
pub(crate) struct Pages;

#[chopin::module(prefix = "/pages")]
impl Pages {
    #[fast_route("/0", text)]
    const P0: &'static str = "page 0";
    #[fast_route("/1", text)]
    const P1: &'static str = "page 1";
    #[fast_route("/2", text)]
    const P2: &'static str = "page 2";
    #[fast_route("/3", text)]
    const P3: &'static str = "page 3";
    #[fast_route("/4", text)]
    const P4: &'static str = "page 4";
    #[fast_route("/5", text)]
    const P5: &'static str = "page 5";
    #[fast_route("/6", text)]
    const P6: &'static str = "page 6";
    #[fast_route("/7", text)]
    const P7: &'static str = "page 7";
    #[fast_route("/8", text)]
    const P8: &'static str = "page 8";
    #[fast_route("/9", json)]
    const P9: &'static str = r#"{"page":9}"#;
    /// A megabyte: its response is computed in constant evaluation too.
    #[fast_route("/big", content_type = "application/octet-stream")]
    const BIG: &'static [u8] = &[b'x'; 1 << 20];
}

chopin::assert_app!(TokenAuth, Blog, Pages);

pub(crate) fn app() -> App<AppState, impl ModuleList> {
    App::with_config(Config::default())
        .with_state(AppState::default())
        .mount_module(TokenAuth)
        .mount_module(Blog)
        .mount_module(Pages)
}

#[tokio::test]
async fn a_modules_fast_routes_are_its_precomputed_bytes_under_its_prefix() {
    let app = TestApp::spawn(app()).await;
    let mut c = Conn::open(app.addr()).await;
    let res = c
        .roundtrip(b"GET /blog/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(
        res.head,
        "HTTP/1.1 200 OK\r\ndate: <date>\r\ncontent-type: text/plain; charset=utf-8\r\n\
         cache-control: no-cache\r\ncontent-length: 2\r\n\r\n"
    );
    assert_eq!(res.text(), "OK");
    let res = c
        .roundtrip(b"OPTIONS /blog/about HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert!(res.head.starts_with("HTTP/1.1 204 No Content\r\n"));
    assert!(res.head.contains("\r\nallow: GET, HEAD, OPTIONS\r\n"));
    for i in 0..9 {
        let req = format!("GET /pages/{i} HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            c.roundtrip(req.as_bytes()).await.text(),
            format!("page {i}")
        );
    }
    let res = app.get("/pages/9").send().await;
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"page":9}"#);
    let res = app.get("/pages/big").send().await;
    assert_eq!(res.header("content-length"), Some("1048576"));
    assert!(res.bytes().len() == 1 << 20 && res.bytes().iter().all(|&b| b == b'x'));
    // Not a route: the router's 404, through hyper, with the JSON every error has.
    assert_eq!(app.get("/pages/10").send().await.status(), 404);
    let res = app.get("/health").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.text(),
        r#"{"error":"not_found","message":"no route matches this path"}"#
    );
}

#[tokio::test]
async fn a_method_a_modules_path_does_not_answer_is_a_json_405_with_allow() {
    let app = TestApp::spawn(app()).await;
    // A dynamic route's path: the router's own `allow`.
    let res = app.put("/blog/posts/7").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET,HEAD,DELETE"));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.text(),
        r#"{"error":"method_not_allowed","message":"this path does not answer PUT: `allow` lists the methods it does"}"#
    );
    // A fast route's path: the same body, and the fast route's methods in `allow`.
    let res = app.delete("/blog/about").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(
        res.json::<serde_json::Value>()["error"],
        "method_not_allowed"
    );
}

#[tokio::test]
async fn routes_declared_auth_are_guarded_before_the_handler_runs() {
    let app = TestApp::spawn(app()).await;

    let res = app.post("/blog/posts").body("Hello").send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({"error": "unauthorized", "message": "a bearer token is required"})
    );
    let res = app
        .post("/blog/posts")
        .header("authorization", "Bearer :")
        .body("Hello")
        .send()
        .await;
    assert_eq!(res.status(), 401);
    // Neither request reached the handler.
    assert_eq!(app.get("/blog/posts").send().await.text(), "[]");

    let res = app
        .post("/blog/posts")
        .header("authorization", "Bearer alice")
        .body("Hello")
        .send()
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.text(), "0");
    assert_eq!(
        app.get("/blog/posts/0").send().await.text(),
        "Hello (by alice)"
    );
    assert_eq!(app.get("/blog/posts/7").send().await.status(), 404);

    let res = app
        .get("/auth/me")
        .header("authorization", "Bearer bob:admin+editor")
        .send()
        .await;
    assert_eq!(res.text(), r#"bob ["admin", "editor"]"#);
    assert_eq!(app.get("/auth/me").send().await.status(), 401);
}

#[tokio::test]
async fn a_role_guard_answers_403_to_a_user_without_the_role() {
    let app = TestApp::spawn(app()).await;
    app.post("/blog/posts")
        .header("authorization", "Bearer alice")
        .body("Hello")
        .send()
        .await;

    let res = app
        .delete("/blog/posts/0")
        .header("authorization", "Bearer alice:editor")
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({"error": "forbidden", "message": "this route needs the role `admin`"})
    );
    assert_eq!(app.delete("/blog/posts/0").send().await.status(), 401);
    assert_eq!(
        app.get("/blog/posts").send().await.text(),
        r#"["Hello (by alice)"]"#
    );

    let res = app
        .delete("/blog/posts/0")
        .header("authorization", "Bearer carol:admin")
        .send()
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/blog/posts").send().await.text(), "[]");
}

#[tokio::test]
async fn the_route_table_lists_every_route_without_serving() {
    let app = app().fast_route(FastRoute::text("/robots.txt", "User-agent: *"));
    let table = RouteTable(&app.routes()).to_string();
    let expected = "\
METHODS             PATH              HANDLER        MODULE  ACCESS              KIND
GET, HEAD           /auth/me          TokenAuth::me  auth    auth                dynamic
GET, HEAD           /blog/health      Blog::HEALTH   blog    public              fast
GET, HEAD, OPTIONS  /blog/about       Blog::ABOUT    blog    public              fast
GET, HEAD           /blog/posts       Blog::list     blog    public              dynamic
GET, HEAD           /blog/posts/{id}  Blog::show     blog    public              dynamic
POST                /blog/posts       Blog::create   blog    auth                dynamic
DELETE              /blog/posts/{id}  Blog::remove   blog    auth(role = admin)  dynamic
";
    assert!(table.starts_with(expected), "{table}");
    assert!(
        table.contains(
            "\nGET, HEAD           /pages/9          Pages::P9      pages   public              fast\n"
        ),
        "{table}"
    );
    assert!(
        table.ends_with(
            "\nGET, HEAD           /robots.txt       -              -       public              fast\n"
        ),
        "{table}"
    );
    assert_eq!(app.routes().len(), 7 + 11 + 1);
}

/// A module under a prefix with a parameter: every handler reads it.
pub(crate) struct Projects;

#[chopin::module(prefix = "/orgs/{org}")]
impl Projects {
    /// The organisation itself: the prefix's own path.
    #[get("/")]
    async fn org(Path(org): Path<String>) -> String {
        format!("org {org}")
    }

    /// One project of the organisation.
    #[get("/projects/{id}")]
    async fn project(Path((org, id)): Path<(String, u64)>) -> String {
        format!("project {id} of {org}")
    }
}

/// Modules at the root, however the prefix says so.
pub(crate) struct RootEmpty;

#[chopin::module(prefix = "")]
impl RootEmpty {
    #[get("/ping")]
    async fn ping() -> &'static str {
        "pong"
    }
}

pub(crate) struct RootSlash;

#[chopin::module(prefix = "/")]
impl RootSlash {
    #[get("/pong")]
    async fn pong() -> &'static str {
        "ping"
    }
}

chopin::assert_app!(Projects, RootEmpty, RootSlash);

#[tokio::test]
async fn a_prefixs_parameters_reach_the_handlers_router_and_description() {
    let app = App::with_config(Config::default())
        .mount_module(Projects)
        .mount_module(RootEmpty)
        .mount_module(RootSlash);
    let spec = serde_json::to_value(app.openapi()).expect("a JSON description");
    let app = TestApp::spawn(app).await;

    let res = app.get("/orgs/acme/projects/7").send().await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "project 7 of acme")
    );
    let res = app.get("/orgs/acme").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "org acme"));
    let res = app.get("/orgs/acme/projects/seven").send().await;
    assert_eq!(res.status().as_u16(), 400, "{}", res.text());
    assert_eq!(app.get("/ping").send().await.text(), "pong");
    assert_eq!(app.get("/pong").send().await.text(), "ping");

    let params: Vec<(String, String)> =
        spec["paths"]["/orgs/{org}/projects/{id}"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_owned(),
                    p["in"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
    assert_eq!(
        params,
        [
            ("org".to_owned(), "path".to_owned()),
            ("id".to_owned(), "path".to_owned())
        ]
    );
    assert!(spec["paths"]["/ping"]["get"].is_object());
    assert!(spec["paths"]["/pong"]["get"].is_object());
}
