//! The kernel's variables, and how batteries read their sections.

use std::collections::HashMap;
use std::time::Duration;

use super::*;
fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(move |k| map.get(k).cloned())
}

/// The kernel's own settings, for comparing two configurations.
fn kernel(c: &Config) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        c.host,
        c.port,
        c.reuseport,
        c.workers,
        c.shutdown_timeout,
        c.limits,
        c.openapi_path,
        c.docs_path,
        c.docs_ui,
        c.environment
    )
}

#[test]
fn defaults_when_nothing_is_set() {
    let c = config(&[]).expect("valid config");
    assert_eq!(kernel(&c), kernel(&Config::default()));
}

#[test]
fn an_applications_defaults_apply_where_no_variable_is_set() {
    let defaults = Config {
        port: 8000,
        docs_path: None,
        ..Config::default()
    };
    let unset = Config::from_lookup_with_defaults(defaults.clone(), |_| None).expect("valid");
    assert_eq!(kernel(&unset), kernel(&defaults));

    let set = Config::from_lookup_with_defaults(defaults, |name| match name {
        "DOCS_PATH" => Some("/reference".to_owned()),
        _ => None,
    })
    .expect("valid config");
    assert_eq!(set.port, 8000);
    assert_eq!(set.docs_path.as_deref(), Some("/reference"));
}

#[test]
fn reads_every_variable() {
    let c = config(&[
        ("HOST", "0.0.0.0"),
        ("PORT", "8080"),
        ("REUSEPORT", "TRUE"),
        ("WORKERS", "3"),
        ("SHUTDOWN_TIMEOUT_MS", "1500"),
        ("MAX_HEAD_BYTES", "9000"),
        ("MAX_HEADERS", "10"),
        ("MAX_BODY_BYTES", "100"),
        ("READ_TIMEOUT_MS", "250"),
        ("HANDLER_TIMEOUT_MS", "4000"),
        ("OPENAPI_PATH", "/api/openapi.json"),
        ("DOCS_PATH", "off"),
        ("DOCS_UI", "CDN"),
        ("APP_ENV", "Production"),
    ])
    .expect("valid config");
    assert_eq!(c.host.to_string(), "0.0.0.0");
    assert_eq!(c.port, 8080);
    assert!(c.reuseport);
    assert_eq!(c.workers.get(), 3);
    assert_eq!(c.shutdown_timeout, Duration::from_millis(1500));
    assert_eq!(
        c.limits,
        Limits {
            max_head_bytes: 9000,
            max_headers: 10,
            max_body_bytes: 100,
            read_timeout: Duration::from_millis(250),
            handler_timeout: Duration::from_millis(4000),
        }
    );
    assert_eq!(c.openapi_path.as_deref(), Some("/api/openapi.json"));
    assert_eq!(c.docs_path, None);
    assert_eq!(c.docs_ui, DocsUi::Cdn);
    assert_eq!(c.environment, Environment::Production);
}

#[test]
fn errors_name_the_variable_and_the_value() {
    let cases = [
        (
            "PORT",
            "http",
            "invalid value for `PORT`: `http` (a port number from 0 to 65535)",
        ),
        (
            "PORT",
            "70000",
            "invalid value for `PORT`: `70000` (a port number from 0 to 65535)",
        ),
        (
            "HOST",
            "localhost:1",
            "invalid value for `HOST`: `localhost:1` (an IP address such as 127.0.0.1 or ::)",
        ),
        (
            "REUSEPORT",
            "maybe",
            "invalid value for `REUSEPORT`: `maybe` (one of true, false, 1, 0, yes, no, on, off)",
        ),
        (
            "WORKERS",
            "0",
            "invalid value for `WORKERS`: `0` (a whole number of workers, at least 1)",
        ),
        (
            "MAX_HEAD_BYTES",
            "100",
            "invalid value for `MAX_HEAD_BYTES`: `100` (a byte count from 1024 to 1048576)",
        ),
        (
            "MAX_HEADERS",
            "0",
            "invalid value for `MAX_HEADERS`: `0` (a header count from 1 to 256)",
        ),
        (
            "READ_TIMEOUT_MS",
            "0",
            "invalid value for `READ_TIMEOUT_MS`: `0` (a duration in milliseconds, at least 1)",
        ),
        (
            "MAX_BODY_BYTES",
            "-1",
            "invalid value for `MAX_BODY_BYTES`: `-1` (a byte count)",
        ),
        (
            "OPENAPI_PATH",
            "openapi.json",
            "invalid value for `OPENAPI_PATH`: `openapi.json` (a path such as /openapi.json, or off)",
        ),
        (
            "APP_ENV",
            "staging",
            "invalid value for `APP_ENV`: `staging` (development or production)",
        ),
        (
            "DOCS_PATH",
            "/docs?x",
            "invalid value for `DOCS_PATH`: `/docs?x` (a path such as /openapi.json, or off)",
        ),
        (
            "DOCS_UI",
            "unpkg",
            "invalid value for `DOCS_UI`: `unpkg` (bundled or cdn)",
        ),
    ];
    for (name, value, message) in cases {
        let err = config(&[(name, value)]).expect_err(name);
        assert_eq!(err.to_string(), message);
    }
}

/// A battery's section, as `chopin-db`'s and `chopin-auth`'s are written.
#[derive(Clone, Debug, Default, PartialEq)]
struct Search {
    url: Option<String>,
    timeout: Option<Duration>,
    on: bool,
}

impl Section for Search {
    fn read(vars: &Vars, d: Search) -> Result<Search, ConfigError> {
        Ok(Search {
            url: vars
                .get("SEARCH_URL")
                .url(&["http://", "https://"], "an http:// URL")?
                .or(d.url),
            timeout: vars.get("SEARCH_TIMEOUT_MS").millis()?.or(d.timeout),
            on: vars.get("SEARCH").boolean()?.unwrap_or(d.on),
        })
    }
}

#[test]
fn a_section_is_read_from_the_variables_over_what_the_code_gives() {
    // Nothing given: the section's default.
    assert_eq!(
        config(&[]).and_then(|c| c.section::<Search>()).ok(),
        Some(Search::default())
    );

    // Given in code, and no variable: what the code gave.
    let given = Search {
        url: Some("http://search:9200".to_owned()),
        timeout: Some(Duration::from_millis(500)),
        on: true,
    };
    let c = config(&[]).expect("valid").with(given.clone());
    assert_eq!(c.section::<Search>().ok(), Some(given.clone()));

    // A variable that is set has the last word; the others keep what the code gave.
    let mut c = config(&[("SEARCH_URL", "https://other"), ("SEARCH", "off")]).expect("valid");
    c.set(given);
    let read = c.section::<Search>().expect("valid section");
    assert_eq!(read.url.as_deref(), Some("https://other"));
    assert_eq!(read.timeout, Some(Duration::from_millis(500)));
    assert!(!read.on);

    // A configuration without variables reads none.
    let quiet = Config::default().with(Search {
        on: true,
        ..Search::default()
    });
    assert!(quiet.section::<Search>().is_ok_and(|s| s.on));
    assert!(format!("{quiet:?}").contains("Search { url: None, timeout: None, on: true }"));
}

#[test]
fn a_sections_errors_name_its_variable() {
    let cases = [
        (
            "SEARCH_URL",
            "ftp://x",
            "invalid value for `SEARCH_URL`: `ftp://x` (an http:// URL)",
        ),
        (
            "SEARCH_TIMEOUT_MS",
            "0",
            "invalid value for `SEARCH_TIMEOUT_MS`: `0` (a duration in milliseconds, at least 1)",
        ),
    ];
    for (name, value, message) in cases {
        let c = config(&[(name, value)]).expect("the kernel does not read it");
        let err = c.section::<Search>().expect_err(name);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn a_secret_is_never_printed_nor_echoed_in_an_error() {
    let secret = Secret::new("0123456789abcdef0123456789abcdef");
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    let vars = Vars::lookup(|_| Some("short secret".to_owned()));
    let err = vars
        .get("JWT_SECRET")
        .secret(32, "a secret of at least 32 bytes")
        .expect_err("too short");
    assert_eq!(
        err.to_string(),
        "invalid value for `JWT_SECRET`: `12 bytes` (a secret of at least 32 bytes)"
    );
}

#[test]
fn a_url_is_shown_without_its_password() {
    assert_eq!(
        redact_url("postgres://app:s3cret@db:5432/blog"),
        "postgres://app:***@db:5432/blog"
    );
    assert_eq!(
        redact_url("postgres://app@db/blog"),
        "postgres://app@db/blog"
    );
    assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    assert_eq!(
        redact_url("redis://127.0.0.1:6379"),
        "redis://127.0.0.1:6379"
    );
    assert_eq!(
        redact_url("redis://:s3cret@cache:6379/2"),
        "redis://:***@cache:6379/2"
    );
    assert_eq!(
        redact_url("rediss://app:s3@cr@et@cache/0"),
        "rediss://app:***@cache/0"
    );
    assert_eq!(redact_url("redis://app@cache"), "redis://app@cache");
    assert_eq!(
        redact_url("redis+unix:///run/redis.sock?db=1&pass=s3cret"),
        "redis+unix:///run/redis.sock?db=1&pass=***"
    );
    assert_eq!(
        redact_url("unix:///run/redis.sock?password=s3cret&user=app"),
        "unix:///run/redis.sock?password=***&user=app"
    );
}

#[test]
fn blank_values_mean_unset() {
    assert_eq!(
        config(&[("PORT", "  ")]).map(|c| kernel(&c)).ok(),
        Some(kernel(&Config::default()))
    );
}
