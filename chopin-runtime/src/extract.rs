//! `Json`, `Path` and `Query`: axum's extractors, whose rejections are [`ChopinError`]s.
//!
//! axum answers a body that is not JSON, a path parameter that does not parse or a query that
//! does not deserialize with a `text/plain` message. These wrappers run axum's extractor and turn
//! its rejection into the JSON error every other Chopin error has, with the same status:
//!
//! ```text
//! 400 {"error":"bad_request","message":"Invalid URL: Cannot parse `x` to a `u64`"}
//! 415 {"error":"unsupported_media_type","message":"Expected request with `Content-Type: application/json`"}
//! 422 {"error":"invalid","message":"Failed to deserialize the JSON body into the target type: missing field `title` at line 1 column 2"}
//! ```
//!
//! so that the API description can say what every error looks like, and be right. They
//! destructure as axum's do (`Path(id): Path<u64>`), and `Json` is a response too.

use std::ops::{Deref, DerefMut};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::response::ChopinError;
pub use crate::service::{ClientAddr, Scheme};

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        ClientAddr::of(parts).ok_or_else(|| {
            ChopinError::internal("no client address: the request did not come through the server")
        })
    }
}

/// A JSON request body (with `Content-Type: application/json`) deserialized into `T`, or a JSON
/// response serialized from `T`. As [`axum::Json`], with [`ChopinError`] rejections: `415` without
/// the content type, `400` for malformed JSON, `422` for JSON of the wrong shape, `413` for a body
/// over the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Path parameters deserialized into `T`: one value (`Path<u64>`), a tuple in the pattern's
/// order (`Path<(u64, String)>`) or a struct by name. As [`axum::extract::Path`], with a `400`
/// [`ChopinError`] when a parameter does not parse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

/// The query string deserialized into `T`. As [`axum::extract::Query`], with a `400`
/// [`ChopinError`] when it does not deserialize.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

/// The error an extractor's rejection becomes: the same status, the code that goes with it, and
/// axum's message, except for a `500` (a route that asks for a parameter it does not declare),
/// whose detail is logged and not sent.
fn rejected(status: StatusCode, message: String) -> ChopinError {
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        s if s.is_server_error() => return ChopinError::internal(message),
        _ => "bad_request",
    };
    ChopinError::new(status, code, message)
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ChopinError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(r) => Err(rejected(r.status(), r.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(r) => Err(rejected(r.status(), r.body_text())),
        }
    }
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(r) => Err(rejected(r.status(), r.body_text())),
        }
    }
}

macro_rules! wrapper {
    ($($name:ident),*) => {$(
        impl<T> Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        impl<T> From<T> for $name<T> {
            fn from(value: T) -> Self {
                $name(value)
            }
        }
    )*};
}

wrapper!(Json, Path, Query);

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use serde::Deserialize;

    async fn error_of(e: ChopinError) -> (StatusCode, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let body = res.into_body().collect().await.map(|b| b.to_bytes());
        let body = body.map_err(|e| e.to_string()).and_then(|b| {
            serde_json::from_slice(&b).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&b)))
        });
        (status, body.unwrap_or_else(|e| panic!("{e}")))
    }

    fn request(uri: &str, content_type: Option<&str>, body: &'static str) -> Request {
        let mut b = http::Request::builder().method("POST").uri(uri);
        if let Some(ct) = content_type {
            b = b.header(http::header::CONTENT_TYPE, ct);
        }
        b.body(axum::body::Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Post {
        title: String,
    }

    #[tokio::test]
    async fn a_json_rejection_is_a_chopin_error_with_axums_status() {
        let cases = [
            (None, r#"{"title":"x"}"#, 415, "unsupported_media_type"),
            (Some("application/json"), r#"{"title":"#, 400, "bad_request"),
            (Some("application/json"), r#"{"body":"x"}"#, 422, "invalid"),
        ];
        for (ct, body, status, code) in cases {
            let Err(e) = Json::<Post>::from_request(request("/", ct, body), &()).await else {
                panic!("{body} was accepted");
            };
            let (s, json) = error_of(e).await;
            assert_eq!(s.as_u16(), status, "{body}");
            assert_eq!(json["error"], code, "{body}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let ok = Json::<Post>::from_request(
            request("/", Some("application/json"), r#"{"title":"x"}"#),
            &(),
        )
        .await;
        assert_eq!(ok.map(|Json(p)| p.title).ok().as_deref(), Some("x"));
    }

    #[tokio::test]
    async fn a_query_that_does_not_deserialize_is_a_400_chopin_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Page {
            page: u32,
        }
        let (mut parts, _) = request("/?page=x", None, "").into_parts();
        let Err(e) = Query::<Page>::from_request_parts(&mut parts, &()).await else {
            panic!("page=x was accepted");
        };
        let (status, json) = error_of(e).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json["error"], "bad_request");
    }

    #[tokio::test]
    async fn a_path_extracted_outside_a_route_is_a_500_that_keeps_its_detail() {
        let (mut parts, _) = request("/7", None, "").into_parts();
        let Err(e) = Path::<u64>::from_request_parts(&mut parts, &()).await else {
            panic!("no route, and yet a parameter");
        };
        let (status, json) = error_of(e).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["message"], "internal error");
    }
}
