//! How the extractors and responses handlers use describe themselves.

use std::borrow::Cow;

use axum::extract::{ConnectInfo, Extension, MatchedPath, OriginalUri, Request, State};
use axum::response::{Html, Redirect, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, Uri};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

use super::{Operation, OperationInput, OperationOutput, ToSchema, scalar};
use crate::auth::{AuthUser, OptionalAuthUser};
use crate::extract::{ClientAddr, Json, Path, Query};
use crate::response::{ChopinError, Created, NoContent};

/// What a `Path<T>` reads: `T` is one parameter, a tuple of them in the pattern's order, or a
/// struct of them by name.
///
/// Numbers, `bool`, `char` and `String` are parameters, and tuples of them. For a struct of
/// named parameters that derives `ToSchema`:
///
/// ```
/// use chopin_runtime::openapi::{Operation, PathParams, ToSchema};
///
/// #[derive(serde::Deserialize, ToSchema)]
/// struct Key {
///     org: String,
///     id: u64,
/// }
///
/// impl PathParams for Key {
///     fn describe(op: &mut Operation<'_>) {
///         op.path_parameters_of::<Key>();
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe itself as path parameters",
    label = "not a path parameter, nor a tuple of them",
    note = "a path parameter is a number, `bool`, `char` or `String`, or a tuple of them in the pattern's order; for a struct of named parameters that derives `ToSchema`, implement `chopin::openapi::PathParams` for it with `op.path_parameters_of::<Self>()`"
)]
pub trait PathParams {
    /// Adds the parameters, taking the pattern's names in order.
    fn describe(op: &mut Operation<'_>);
}

macro_rules! path_scalar {
    ($($ty:ty),*) => {$(
        impl PathParams for $ty {
            fn describe(op: &mut Operation<'_>) {
                let schema = op.schema::<$ty>();
                op.path_parameter(schema);
            }
        }
    )*};
}

path_scalar!(f32, f64, bool, String);

/// Integers are described with their exact range: utoipa's schemas say `int32` for `u32` and
/// `int64` for `u64`, ranges narrower than the values the parameter accepts (and wider for
/// `u8`), which a client generated from the description would get wrong.
macro_rules! path_integer {
    ($($ty:ty),*) => {$(
        impl PathParams for $ty {
            fn describe(op: &mut Operation<'_>) {
                let min = i128::try_from(<$ty>::MIN).unwrap_or(i128::MIN);
                let max = u128::try_from(<$ty>::MAX).unwrap_or(u128::MAX);
                op.path_parameter(integer_schema(<$ty>::MIN != 0, <$ty>::BITS, min, max));
            }
        }
    )*};
}

path_integer!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// `{"type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295}`: the format
/// from the OpenAPI format registry, and the bounds that fit in a JSON number as utoipa writes
/// one.
pub fn integer_schema(signed: bool, bits: u32, min: i128, max: u128) -> RefOr<Schema> {
    let format = format!("{}int{bits}", if signed { "" } else { "u" });
    let min = isize::try_from(min)
        .map(utoipa::Number::Int)
        .ok()
        .or((!signed).then_some(utoipa::Number::UInt(0)));
    let max = usize::try_from(max).ok().map(utoipa::Number::UInt);
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::Custom(format)))
            .minimum(min)
            .maximum(max)
            .build(),
    ))
}

impl PathParams for char {
    fn describe(op: &mut Operation<'_>) {
        op.path_parameter(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(1))
                .build(),
        )));
    }
}

macro_rules! path_tuple {
    ($($name:ident),+) => {
        impl<$($name: PathParams),+> PathParams for ($($name,)+) {
            fn describe(op: &mut Operation<'_>) {
                $($name::describe(op);)+
            }
        }
    };
}

path_tuple!(A);
path_tuple!(A, B);
path_tuple!(A, B, C);
path_tuple!(A, B, C, D);
path_tuple!(A, B, C, D, E);
path_tuple!(A, B, C, D, E, F);

/// axum's own extractors answer a rejection with a `text/plain` message.
fn plain_error(op: &mut Operation<'_>, status: &str, description: &str) {
    op.response(
        status,
        description,
        Some(("text/plain", scalar(Type::String))),
    );
}

const BAD_PATH: &str = "a path parameter does not parse";
/// What a handler that reads the path answers when it names nothing: no such row, or (with
/// `#[model(owner)]`'s queries) a row the user may not reach, alike.
const NOT_FOUND: &str = "nothing at this path: no such resource, or none the user may reach";
const BAD_QUERY: &str = "the query string does not deserialize";
const BODY_ERRORS: [(&str, &str); 4] = [
    ("400", "the body is not valid JSON"),
    ("413", "the body is over the size limit"),
    ("415", "the body is not `application/json`"),
    ("422", "the JSON does not have the expected shape"),
];

impl<T: PathParams> OperationInput for Path<T> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.error_response("400", BAD_PATH);
        op.error_response("404", NOT_FOUND);
    }
}

impl<T: PathParams> OperationInput for axum::extract::Path<T> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        plain_error(op, "400", BAD_PATH);
        op.error_response("404", NOT_FOUND);
    }
}

impl<T: ToSchema> OperationInput for Query<T> {
    fn describe(op: &mut Operation<'_>) {
        op.query_parameters_of::<T>();
        op.error_response("400", BAD_QUERY);
    }
}

impl<T: ToSchema> OperationInput for axum::extract::Query<T> {
    fn describe(op: &mut Operation<'_>) {
        op.query_parameters_of::<T>();
        plain_error(op, "400", BAD_QUERY);
    }
}

impl<T: ToSchema> OperationInput for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.request_body("application/json", schema, true);
        for (status, description) in BODY_ERRORS {
            op.error_response(status, description);
        }
    }
}

impl<T: ToSchema> OperationInput for axum::Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.request_body("application/json", schema, true);
        for (status, description) in BODY_ERRORS {
            plain_error(op, status, description);
        }
    }
}

impl OperationInput for String {
    fn describe(op: &mut Operation<'_>) {
        op.request_body("text/plain", scalar(Type::String), true);
        plain_error(op, "400", "the body is not UTF-8");
        plain_error(op, "413", "the body is over the size limit");
    }
}

impl OperationInput for Bytes {
    fn describe(op: &mut Operation<'_>) {
        op.request_body("application/octet-stream", binary(), true);
        plain_error(op, "413", "the body is over the size limit");
    }
}

/// The whole request: any body, or none.
impl OperationInput for Request {
    fn describe(op: &mut Operation<'_>) {
        op.request_body("*/*", binary(), false);
    }
}

impl OperationInput for AuthUser {
    fn describe(op: &mut Operation<'_>) {
        op.requires_auth();
    }
}

impl OperationInput for OptionalAuthUser {
    fn describe(op: &mut Operation<'_>) {
        op.accepts_auth();
    }
}

/// Extractors that read nothing the client sends as a parameter or a body.
macro_rules! reads_nothing {
    ($(<$($g:ident),*> $ty:ty),* $(,)?) => {$(
        impl<$($g),*> OperationInput for $ty {
            fn describe(_: &mut Operation<'_>) {}
        }
    )*};
}

reads_nothing!(
    <T> State<T>,
    <T> Extension<T>,
    <T> ConnectInfo<T>,
    <> HeaderMap,
    <> ClientAddr,
    <> Method,
    <> Uri,
    <> Parts,
    <> OriginalUri,
    <> MatchedPath,
);

fn binary() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build(),
    ))
}

impl<T: ToSchema> OperationOutput for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.response("200", "OK", Some(("application/json", schema)));
    }
}

impl<T: ToSchema> OperationOutput for axum::Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.response("200", "OK", Some(("application/json", schema)));
    }
}

impl<T: ToSchema> OperationOutput for Created<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.response("201", "Created", Some(("application/json", schema)));
        op.response_header(
            "201",
            "location",
            "the new resource's URI, when the handler gives one",
        );
    }
}

impl OperationOutput for NoContent {
    fn describe(op: &mut Operation<'_>) {
        op.response("204", "No Content", None);
    }
}

/// A handler's error can have any status: `default`, with the body every error has.
impl OperationOutput for ChopinError {
    fn describe(op: &mut Operation<'_>) {
        op.error_response(
            "default",
            "an error: the status says which, the body says why",
        );
    }
}

impl<T: OperationOutput, E: OperationOutput> OperationOutput for Result<T, E> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        E::describe(op);
    }
}

macro_rules! text_output {
    ($($ty:ty),*) => {$(
        impl OperationOutput for $ty {
            fn describe(op: &mut Operation<'_>) {
                op.response("200", "OK", Some(("text/plain", scalar(Type::String))));
            }
        }
    )*};
}

text_output!(String, &'static str, Cow<'static, str>);

macro_rules! binary_output {
    ($($ty:ty),*) => {$(
        impl OperationOutput for $ty {
            fn describe(op: &mut Operation<'_>) {
                op.response("200", "OK", Some(("application/octet-stream", binary())));
            }
        }
    )*};
}

binary_output!(Bytes, Vec<u8>, &'static [u8]);

impl<T> OperationOutput for Html<T> {
    fn describe(op: &mut Operation<'_>) {
        op.response("200", "OK", Some(("text/html", scalar(Type::String))));
    }
}

impl OperationOutput for () {
    fn describe(op: &mut Operation<'_>) {
        op.response("200", "OK, with an empty body", None);
    }
}

impl OperationOutput for StatusCode {
    fn describe(op: &mut Operation<'_>) {
        op.response("default", "a status, with an empty body", None);
    }
}

impl OperationOutput for Redirect {
    fn describe(op: &mut Operation<'_>) {
        op.response("3XX", "a redirect to the `location` header", None);
    }
}

/// `(StatusCode, T)`: `T`'s body under a status chosen at run time, so its successes become
/// the `default` response.
impl<T: OperationOutput> OperationOutput for (StatusCode, T) {
    fn describe(op: &mut Operation<'_>) {
        let before: Vec<String> = op.responses.keys().cloned().collect();
        T::describe(op);
        let chosen: Vec<String> = op
            .responses
            .keys()
            .filter(|k| !before.contains(k) && k.starts_with('2'))
            .cloned()
            .collect();
        for status in chosen {
            if let Some(response) = op.responses.remove(&status) {
                let content = response
                    .content
                    .into_iter()
                    .next()
                    .and_then(|(ct, c)| match c {
                        RefOr::T(c) => c.schema.map(|s| (ct, s)),
                        RefOr::Ref(_) => None,
                    });
                let description = "the status the handler chooses";
                match content {
                    Some((ct, schema)) => op.response("default", description, Some((&ct, schema))),
                    None => op.response("default", description, None),
                }
            }
        }
    }
}

/// Headers beside a body do not change what the body is.
impl<T: OperationOutput> OperationOutput for (HeaderMap, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}

impl<T: OperationOutput> OperationOutput for (StatusCode, HeaderMap, T) {
    fn describe(op: &mut Operation<'_>) {
        <(StatusCode, T)>::describe(op);
    }
}

/// A response built by hand can be anything: the description says so. On a route that switches
/// protocols (a `WebSocketUpgrade` argument), it is the `101` the upgrade builds.
impl OperationOutput for Response {
    fn describe(op: &mut Operation<'_>) {
        if op.switches_protocols {
            return;
        }
        op.response(
            "default",
            "any response: the handler builds it by hand",
            None,
        );
    }
}

/// A WebSocket handshake: the `101` that switches the connection to the WebSocket protocol, or
/// axum's `text/plain` rejection of a request that is not one.
#[cfg(feature = "ws")]
impl<F> OperationInput for crate::ws::WebSocketUpgrade<F> {
    fn describe(op: &mut Operation<'_>) {
        op.switching_protocols("websocket");
        plain_error(
            op,
            "400",
            "not a WebSocket handshake: `Connection: upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Key` or `Sec-WebSocket-Version: 13` is missing",
        );
        plain_error(op, "426", "the connection cannot be upgraded (HTTP/1.0)");
    }
}

#[cfg(test)]
mod tests;
