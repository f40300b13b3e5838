//! The API description of the modules in `modules.rs`: its text (a reviewed snapshot), and the
//! description and its viewer as the server serves them.

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
