// An extractor of the application's own that does not say what it reads: the API description
// would miss it, so the build stops at its type.
use chopin::axum::extract::FromRequestParts;
use chopin::http::request::Parts;
use chopin::prelude::*;

struct ApiKey(String);

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
            Some(key) => Ok(ApiKey(key.to_owned())),
            None => Err(ChopinError::unauthorized("an `x-api-key` header is required")),
        }
    }
}

struct Reports;

#[chopin::module]
impl Reports {
    #[get("/reports")]
    async fn list(ApiKey(key): ApiKey) -> String {
        key
    }
}

fn main() {}
