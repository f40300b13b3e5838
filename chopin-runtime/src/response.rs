//! What handlers return besides axum's own types: [`ChopinError`], with one JSON shape for every
//! error the application sends, and [`Created`] and [`NoContent`] for the usual successes.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// An error a handler returns: a status and the JSON body every Chopin error has,
/// `{"error": "not_found", "message": "no post 7"}` (with `"fields"` for validation errors).
///
/// Any `std::error::Error` converts into it with `?` as an internal error: the client gets `500`
/// and `{"error": "internal", "message": "internal error"}`, and the error itself is logged, never
/// sent, since it may describe the server's insides. An error that says a dependency cannot be
/// reached (the cache's, or one a battery recognises: see [`classify`](crate::classify)) is a
/// `503 unavailable` naming the dependency, with `retry-after`, so that clients can tell an outage
/// from a bug.
///
/// ```
/// use chopin_runtime::ChopinError;
///
/// async fn show(id: u64) -> Result<String, ChopinError> {
///     let n: u64 = "7".parse()?; // a parse error would be a 500
///     if id != n {
///         return Err(ChopinError::not_found(format!("no post {id}")));
///     }
///     Ok(format!("post {id}"))
/// }
/// ```
pub struct ChopinError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    /// Seconds for `retry-after`, with `429`, `423` and `503`.
    retry_after: Option<u64>,
    /// With `503 unavailable`: the dependency that cannot be reached (`database`, `cache`).
    dependency: Option<&'static str>,
}

/// One field that failed validation, in a `422` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name, as the client sent it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// `field` is wrong because of `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl ChopinError {
    /// An error with any status; `code` is the machine-readable name clients match on.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ChopinError {
        ChopinError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
            dependency: None,
        }
    }

    /// `400 bad_request`.
    pub fn bad_request(message: impl Into<String>) -> ChopinError {
        ChopinError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// `401 unauthorized`, with `www-authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> ChopinError {
        ChopinError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> ChopinError {
        ChopinError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// `404 not_found`.
    pub fn not_found(message: impl Into<String>) -> ChopinError {
        ChopinError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// `409 conflict`.
    pub fn conflict(message: impl Into<String>) -> ChopinError {
        ChopinError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// `429 too_many_requests`, with `retry-after: SECONDS` (rounded up, at least 1).
    pub fn too_many_requests(message: impl Into<String>, retry_after: Duration) -> ChopinError {
        ChopinError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            .retry_after(retry_after)
    }

    /// `423 locked`, with `retry-after: SECONDS` (rounded up, at least 1).
    pub fn locked(message: impl Into<String>, retry_after: Duration) -> ChopinError {
        ChopinError::new(StatusCode::LOCKED, "locked", message).retry_after(retry_after)
    }

    /// `503 unavailable`: `dependency` (`database`, `cache`) cannot be reached or did not answer
    /// in time, and the client may retry after `retry_after`. `detail` is logged, as with
    /// [`ChopinError::internal`]; the client is told which dependency, not why.
    pub fn unavailable(
        dependency: &'static str,
        retry_after: Duration,
        detail: impl fmt::Display,
    ) -> ChopinError {
        tracing::warn!(dependency, error = %detail, "dependency unavailable");
        let mut error = ChopinError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the {dependency} is unavailable; retry later"),
        )
        .retry_after(retry_after);
        error.dependency = Some(dependency);
        error
    }

    /// The same error, telling the client to wait `after` (rounded up to whole seconds, at least
    /// one) in `retry-after`.
    pub fn retry_after(mut self, after: Duration) -> ChopinError {
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        self.retry_after = Some(secs.max(1));
        self
    }

    /// `422 invalid`, listing every field that failed.
    pub fn invalid(fields: Vec<FieldError>) -> ChopinError {
        let message = match fields.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        ChopinError {
            fields,
            ..ChopinError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    /// The same error, listing the fields at fault (as a `422` does).
    pub fn with_fields(mut self, fields: Vec<FieldError>) -> ChopinError {
        self.fields = fields;
        self
    }

    /// `500 internal`: `detail` is logged, and the client is told only that something failed.
    pub fn internal(detail: impl fmt::Display) -> ChopinError {
        tracing::error!(error = %detail, "internal error");
        ChopinError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// The status it is sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code, as `not_found`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The fields that failed validation (empty unless [`ChopinError::invalid`]).
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// The seconds sent in `retry-after`, if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// With `503 unavailable`, the dependency that cannot be reached.
    pub fn dependency(&self) -> Option<&'static str> {
        self.dependency
    }
}

impl fmt::Debug for ChopinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl fmt::Display for ChopinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `?` turns any error into a `500` whose detail is logged, not sent, or into a `503` when
/// [`classify`](crate::classify) recognises an outage in it. (`ChopinError` is not a
/// `std::error::Error` itself, as `anyhow::Error` is not, so that this conversion can exist.)
impl<E: std::error::Error + 'static> From<E> for ChopinError {
    fn from(error: E) -> ChopinError {
        match crate::classify::classify(&error) {
            Some(outage) => ChopinError::unavailable(outage.dependency, outage.retry_after, error),
            None => ChopinError::internal(error),
        }
    }
}

/// The body of every error response.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    dependency: Option<&'static str>,
}

impl IntoResponse for ChopinError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
            fields: &self.fields,
            dependency: self.dependency,
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The name of the error body's schema in the API description, `{"error", "message", "fields"}`.
pub const ERROR_SCHEMA: &str = "Error";

/// The body's schema, `Error` in the API description: what every error response carries.
impl utoipa::PartialSchema for ChopinError {
    fn schema() -> RefOr<Schema> {
        let string = || ObjectBuilder::new().schema_type(Type::String);
        ObjectBuilder::new()
            .description(Some("The body of every error response."))
            .property(
                "error",
                string().description(Some(
                    "What went wrong, for programs: `not_found`, `invalid`, …",
                )),
            )
            .required("error")
            .property(
                "message",
                string().description(Some("What went wrong, for people.")),
            )
            .required("message")
            .property(
                "fields",
                ArrayBuilder::new()
                    .items(RefOr::Ref(Ref::from_schema_name(FieldError::name())))
                    .description(Some(
                        "With `invalid` (422): each field that failed validation.",
                    )),
            )
            .property(
                "dependency",
                string().description(Some(
                    "With `unavailable` (503): what cannot be reached, `database` or `cache`.",
                )),
            )
            .into()
    }
}

impl utoipa::ToSchema for ChopinError {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(ERROR_SCHEMA)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((FieldError::name().into_owned(), FieldError::schema()));
    }
}

/// `201 Created` with a JSON body and, when given, the new resource's `location`.
#[derive(Debug)]
pub struct Created<T> {
    body: T,
    location: Option<String>,
}

impl<T> Created<T> {
    /// `201` with `body`.
    pub fn new(body: T) -> Created<T> {
        Created {
            body,
            location: None,
        }
    }

    /// Adds `location: uri`.
    pub fn at(mut self, uri: impl Into<String>) -> Created<T> {
        self.location = Some(uri.into());
        self
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut res = (StatusCode::CREATED, Json(self.body)).into_response();
        if let Some(location) = self.location {
            match HeaderValue::try_from(location) {
                Ok(v) => {
                    res.headers_mut().insert(header::LOCATION, v);
                }
                Err(_) => {
                    return ChopinError::internal("a `Created` location is not a valid header")
                        .into_response();
                }
            }
        }
        res
    }
}

/// `204 No Content`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn parts(res: impl IntoResponse) -> (u16, Option<String>, String) {
        let res = res.into_response();
        let status = res.status().as_u16();
        let extra = [
            header::WWW_AUTHENTICATE,
            header::LOCATION,
            header::RETRY_AFTER,
        ]
        .iter()
        .find_map(|h| res.headers().get(h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            extra,
            String::from_utf8(body.to_vec()).expect("utf-8"),
        )
    }

    #[tokio::test]
    async fn errors_have_one_json_shape() {
        assert_eq!(
            parts(ChopinError::not_found("no post 7")).await,
            (
                404,
                None,
                r#"{"error":"not_found","message":"no post 7"}"#.to_owned()
            )
        );
        assert_eq!(
            parts(ChopinError::unauthorized("sign in")).await,
            (
                401,
                Some("Bearer".to_owned()),
                r#"{"error":"unauthorized","message":"sign in"}"#.to_owned()
            )
        );
        assert_eq!(
            parts(ChopinError::invalid(vec![
                FieldError::new("title", "at most 200 characters"),
                FieldError::new("email", "not an email address"),
            ]))
            .await
            .2,
            r#"{"error":"invalid","message":"2 fields are invalid","fields":[{"field":"title","message":"at most 200 characters"},{"field":"email","message":"not an email address"}]}"#
        );
    }

    #[tokio::test]
    async fn waits_are_whole_seconds_in_retry_after() {
        assert_eq!(
            parts(ChopinError::too_many_requests(
                "slow down",
                Duration::from_millis(1500)
            ))
            .await,
            (
                429,
                Some("2".to_owned()),
                r#"{"error":"too_many_requests","message":"slow down"}"#.to_owned()
            )
        );
        let locked = ChopinError::locked("locked", Duration::ZERO);
        assert_eq!(locked.retry_after_secs(), Some(1));
        assert_eq!(parts(locked).await.0, 423);
    }

    #[tokio::test]
    async fn any_error_is_a_500_that_keeps_its_detail_to_itself() {
        fn parse(s: &str) -> Result<u64, ChopinError> {
            Ok(s.parse::<u64>()?)
        }
        let e = parse("seven").expect_err("not a number");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            parts(e).await.2,
            r#"{"error":"internal","message":"internal error"}"#
        );
    }

    #[tokio::test]
    async fn created_and_no_content() {
        assert_eq!(
            parts(Created::new(serde_json::json!({"id": 7})).at("/posts/7")).await,
            (201, Some("/posts/7".to_owned()), r#"{"id":7}"#.to_owned())
        );
        assert_eq!(parts(NoContent).await, (204, None, String::new()));
        assert_eq!(parts(Created::new(1).at("bad\nuri")).await.0, 500);
    }
}
