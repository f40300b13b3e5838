//! The API description of the modules in `modules.rs`: its text (a reviewed snapshot), and the
//! description and its viewer as the server serves them.

use std::io::Read;

use chopin::ModuleList;
use chopin::openapi::{Info, unresolved_refs};
use chopin::prelude::*;
use chopin::testing::TestApp;

use super::modules::{self, AppState};

fn app_with(config: Config) -> App<AppState, impl ModuleList> {
    let mut app = modules::app();
    *app.config_mut() = config;
    app
}

#[test]
fn the_description_is_derived_from_the_handlers_types() {
    let spec = modules::app().openapi();
    assert_eq!(unresolved_refs(&spec), Vec::<String>::new());
    let json = spec.to_pretty_json().unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("modules_openapi", json);
}

#[test]
fn info_comes_from_the_modules_crate_unless_the_app_sets_it() {
    let info = modules::app().openapi().info;
    assert_eq!(
        (info.title.as_str(), info.version.as_str()),
        ("chopin", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        info.description.as_deref(),
        Some(env!("CARGO_PKG_DESCRIPTION"))
    );

    let info = modules::app()
        .openapi_info(Info::new("Blog API", "2.1.0").description("Posts and pages."))
        .openapi()
        .info;
    assert_eq!(
        (info.title.as_str(), info.version.as_str()),
        ("Blog API", "2.1.0")
    );
    assert_eq!(info.description.as_deref(), Some("Posts and pages."));
}

#[tokio::test]
async fn the_description_and_its_viewer_are_served_as_fast_routes() {
    let expected = modules::app()
        .openapi()
        .to_json()
        .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn(modules::app()).await;

    let res = app.get("/openapi.json").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), expected);

    let res = app.get("/docs").send().await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let page = res.text();
    assert!(page.contains(r#"data-url="/openapi.json""#), "{page}");
    assert!(page.contains("<title>chopin</title>"), "{page}");
}

/// `assets/scalar/VERSION`, as `update.sh` wrote it.
fn pinned(key: &str) -> &'static str {
    include_str!("../../chopin-runtime/assets/scalar/VERSION")
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("`{key}` in assets/scalar/VERSION"))
}

fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_viewer_loads_scalar_from_the_application_under_a_strict_policy() {
    let app = TestApp::spawn(modules::app()).await;
    let script = format!("/docs/scalar-{}.js", pinned("version"));

    let res = app.get("/docs").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-security-policy"),
        Some(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
        )
    );
    let page = res.text();
    assert!(
        page.contains(&format!(r#"<script src="{script}"></script>"#)),
        "{page}"
    );
    assert!(!page.contains("cdn.jsdelivr.net"), "{page}");

    // Each encoding the client accepts, best first; every body is the vendored script.
    for (accept, encoding) in [
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("br"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("deflate"), None),
        (None, None),
    ] {
        let mut req = app.get(&script);
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        let res = req.send().await;
        assert_eq!(res.status(), 200, "{accept:?}");
        assert_eq!(res.header("content-encoding"), encoding, "{accept:?}");
        assert_eq!(
            res.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            res.header("content-length"),
            Some(res.bytes().len().to_string().as_str())
        );
        let mut body = Vec::new();
        let read = match encoding {
            Some("br") => brotli_decompressor::Decompressor::new(&res.bytes()[..], 4096)
                .read_to_end(&mut body),
            Some("gzip") => flate2::read::GzDecoder::new(&res.bytes()[..]).read_to_end(&mut body),
            _ => {
                body = res.bytes().to_vec();
                Ok(body.len())
            }
        };
        read.unwrap_or_else(|e| panic!("{accept:?}: {e}"));
        assert_eq!(body.len().to_string(), pinned("bytes"), "{accept:?}");
        assert_eq!(sha256(&body), pinned("sha256"), "{accept:?}");
    }

    // HEAD answers the same head without the body; other methods are refused.
    let res = app
        .head(&script)
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(res.bytes().is_empty());
    assert_eq!(app.post(&script).send().await.status(), 405);
    // Another version is not served.
    assert_eq!(app.get("/docs/scalar-0.0.1.js").send().await.status(), 404);
}

#[tokio::test]
async fn with_docs_ui_cdn_the_viewer_loads_scalar_from_the_cdn_and_the_application_serves_no_script()
 {
    let config = Config::from_lookup(|name| (name == "DOCS_UI").then(|| "cdn".to_owned()))
        .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn(app_with(config)).await;
    let script = format!("/docs/scalar-{}.js", pinned("version"));

    let res = app.get("/docs").send().await;
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self' https://cdn.jsdelivr.net;"),
        "{csp}"
    );
    let page = res.text();
    assert!(
        page.contains(&format!(
            r#"<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@{}"></script>"#,
            pinned("version")
        )),
        "{page}"
    );
    assert_eq!(app.get(&script).send().await.status(), 404);
}

#[tokio::test]
async fn the_script_follows_docs_path_and_is_not_served_without_the_viewer() {
    let config = Config {
        docs_path: Some("/api/reference".to_owned()),
        ..Config::default()
    };
    let app = TestApp::spawn(app_with(config)).await;
    let script = format!("/api/reference/scalar-{}.js", pinned("version"));
    let page = app.get("/api/reference").send().await;
    assert!(page.text().contains(&script), "{}", page.text());
    let res = app
        .get(&script)
        .header("accept-encoding", "br")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(
        app.get(&format!("/docs/scalar-{}.js", pinned("version")))
            .send()
            .await
            .status(),
        404
    );

    let config = Config {
        docs_path: None,
        ..Config::default()
    };
    let app = TestApp::spawn(app_with(config)).await;
    assert_eq!(app.get(&script).send().await.status(), 404);
    assert_eq!(
        app.get(&format!("/docs/scalar-{}.js", pinned("version")))
            .send()
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_paths_are_configurable_and_each_can_be_turned_off() {
    let config = Config {
        openapi_path: Some("/api/v1/openapi.json".to_owned()),
        docs_path: None,
        ..Config::default()
    };
    let app = TestApp::spawn(app_with(config)).await;
    assert_eq!(app.get("/api/v1/openapi.json").send().await.status(), 200);
    assert_eq!(app.get("/openapi.json").send().await.status(), 404);
    assert_eq!(app.get("/docs").send().await.status(), 404);

    let config = Config {
        openapi_path: None,
        ..Config::default()
    };
    let app = TestApp::spawn(app_with(config)).await;
    assert_eq!(app.get("/openapi.json").send().await.status(), 404);
    // The viewer has nothing to show without the description.
    assert_eq!(app.get("/docs").send().await.status(), 404);
}

pub(crate) struct Specs;

#[chopin::module]
impl Specs {
    /// A route of the application's own where the description would be served.
    #[get("/openapi.json")]
    async fn spec() -> &'static str {
        "mine"
    }
}

#[test]
fn a_route_of_the_application_where_the_description_goes_stops_start_up() {
    let app = App::with_config(Config {
        port: 0,
        ..Config::default()
    })
    .with_state(AppState::default())
    .mount_module(Specs);
    let Err(e) = app.bind() else {
        panic!("served two things at /openapi.json");
    };
    assert_eq!(
        e.to_string(),
        "invalid routes:\n  - `/openapi.json` is where OPENAPI_PATH serves the API description, and `Specs::spec` of module `specs` answers it too: set OPENAPI_PATH to another path, or `off`"
    );
}

#[test]
fn a_route_of_the_application_where_the_viewers_script_goes_stops_start_up() {
    let script = format!("/docs/scalar-{}.js", pinned("version"));
    let app = App::with_config(Config {
        port: 0,
        ..Config::default()
    })
    .with_state(AppState::default())
    .route(&script, get(|| async { "mine" }));
    let Err(e) = app.bind() else {
        panic!("served two things at {script}");
    };
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "route `{script}` added with `App::route` (tests/http/openapi.rs:"
        )),
        "{message}"
    );

    let app = App::with_config(Config {
        port: 0,
        ..Config::default()
    })
    .with_state(AppState::default())
    .fast_route(FastRoute::text(script.clone(), "mine"));
    let Err(e) = app.bind() else {
        panic!("served two things at {script}");
    };
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "`{script}` is where DOCS_PATH serves the API viewer's script, and "
        )),
        "{message}"
    );
    assert!(
        message.ends_with("answers it too: set DOCS_PATH to another path, or `off`"),
        "{message}"
    );
}
