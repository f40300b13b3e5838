//! `AuthModule`'s part of the API description: every route, with its schemas and errors.

use chopin::auth::mail::Outbox;
use chopin::openapi::unresolved_refs;
use serde_json::Value;

use super::{application, config};

#[test]
fn every_auth_route_is_described_with_its_schemas() {
    let spec = application(&config(&[]), &Outbox::new()).openapi();
    assert_eq!(unresolved_refs(&spec), Vec::<String>::new());
    let json = spec.to_pretty_json().unwrap_or_else(|e| panic!("{e}"));
    let value: Value = serde_json::from_str(&json).expect("JSON");
    let paths = value["paths"].as_object().expect("paths");
    let auth_paths = paths.keys().filter(|p| p.starts_with("/auth/")).count();
    assert_eq!(auth_paths, 16, "{:?}", paths.keys().collect::<Vec<_>>());
    let user = &value["components"]["schemas"]["User"]["properties"];
    assert!(user.get("email").is_some());
    assert!(
        user.get("password_hash").is_none(),
        "secrets are not in the schema"
    );
    insta::assert_snapshot!("auth_openapi", json);
}
