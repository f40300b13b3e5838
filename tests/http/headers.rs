//! Header parameters: an extractor of the application's own reads a request header, refuses a
//! request without it, and says so in the API description.

use chopin::http::request::Parts;
use chopin::openapi::{Operation, OperationInput, PartialSchema};
use chopin::prelude::*;
use chopin::testing::TestApp;
use serde_json::{Value, json};

/// The `Idempotency-Key` a client sends so that a retried payment is not paid twice.
pub(crate) struct IdempotencyKey(String);

impl<S: Send + Sync> chopin::axum::extract::FromRequestParts<S> for IdempotencyKey {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ChopinError> {
        let key = parts
            .headers
            .get("idempotency-key")
            .ok_or_else(|| ChopinError::bad_request("an `Idempotency-Key` header is required"))?;
        let key = key
            .to_str()
            .ok()
            .filter(|k| (1..=64).contains(&k.len()))
            .ok_or_else(|| {
                ChopinError::bad_request("an `Idempotency-Key` is 1 to 64 characters")
            })?;
        Ok(IdempotencyKey(key.to_owned()))
    }
}

impl OperationInput for IdempotencyKey {
    fn describe(op: &mut Operation<'_>) {
        op.header_parameter(
            "Idempotency-Key",
            String::schema(),
            true,
            Some("Repeating a request with the same key does not repeat its effect."),
        );
        op.error_response(
            "400",
            "the `Idempotency-Key` header is missing or malformed",
        );
    }
}

/// The optional `X-Request-Id` a caller tags its request with.
pub(crate) struct RequestId(Option<String>);

impl<S: Send + Sync> chopin::axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let id = parts.headers.get("x-request-id");
        Ok(RequestId(
            id.and_then(|v| v.to_str().ok()).map(str::to_owned),
        ))
    }
}

impl OperationInput for RequestId {
    fn describe(op: &mut Operation<'_>) {
        op.header_parameter("X-Request-Id", String::schema(), false, None);
        // Not a parameter in OpenAPI: left out.
        op.header_parameter("Authorization", String::schema(), false, None);
    }
}

pub(crate) struct Payments;

#[chopin::module]
impl Payments {
    /// Pays, once per key.
    #[post("/payments")]
    async fn pay(key: IdempotencyKey, request: RequestId) -> String {
        format!("paid once for {} ({:?})", key.0, request.0)
    }

    /// The same key read twice describes one parameter.
    #[put("/payments/{id}")]
    async fn repay(Path(id): Path<u64>, first: IdempotencyKey, again: IdempotencyKey) -> String {
        format!("{id}: {} {}", first.0, again.0)
    }
}

fn app() -> App<(), impl chopin::ModuleList> {
    App::with_config(Config::default()).mount_module(Payments)
}

#[test]
fn an_extractor_describes_the_headers_it_reads() {
    let spec = serde_json::to_value(app().openapi()).unwrap_or_else(|e| panic!("{e}"));
    let pay = &spec["paths"]["/payments"]["post"];
    assert_eq!(
        pay["parameters"],
        json!([
            {
                "name": "Idempotency-Key",
                "in": "header",
                "description": "Repeating a request with the same key does not repeat its effect.",
                "required": true,
                "schema": {"type": "string"}
            },
            {
                "name": "X-Request-Id",
                "in": "header",
                "required": false,
                "schema": {"type": "string"}
            }
        ])
    );
    assert_eq!(
        pay["responses"]["400"]["description"],
        "the `Idempotency-Key` header is missing or malformed"
    );

    let repay = &spec["paths"]["/payments/{id}"]["put"]["parameters"];
    let names: Vec<_> = repay
        .as_array()
        .map(|ps| ps.iter().map(|p| (&p["in"], &p["name"])).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            (&json!("path"), &json!("id")),
            (&json!("header"), &json!("Idempotency-Key"))
        ]
    );
}

#[tokio::test]
async fn the_header_it_describes_is_the_header_it_reads() {
    let app = TestApp::spawn(app()).await;
    let res = app
        .post("/payments")
        .header("idempotency-key", "k-1")
        .header("x-request-id", "r-9")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), r#"paid once for k-1 (Some("r-9"))"#);

    let res = app.post("/payments").send().await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>(),
        json!({"error": "bad_request", "message": "an `Idempotency-Key` header is required"})
    );
    let long = "k".repeat(65);
    let res = app
        .post("/payments")
        .header("idempotency-key", &long)
        .send()
        .await;
    assert_eq!(res.status(), 400);
    let res = app
        .put("/payments/3")
        .header("idempotency-key", "k-2")
        .send()
        .await;
    assert_eq!(res.text(), "3: k-2 k-2");
}
