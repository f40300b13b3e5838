//! `FastRoute`: a response whose every byte is known before the server starts.
//!
//! A fast route is declared with a path, a content type and a body, then decorated (`.cors()`,
//! `.cache_control(..)`, `.header(..)`, `.methods(..)`). Nothing is computed per request: when the
//! application is built, each route becomes a [`Prepared`] response: the complete `GET` response,
//! the `HEAD` response (the same head, no body) and, for a CORS route, the `204` preflight answer.
//! Only the `date` header is patched in when a response is written.
//!
//! Declaration mistakes (a path without a leading `/`, a header that is not valid HTTP, a header
//! the route itself owns such as `content-length`) are collected here and reported by
//! `App::run` as one start-up error, never as a panic.

mod declared;
mod prepared;
mod static_route;

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::method::{MethodSet, Methods};

pub use declared::{DeclaredRoute, IntoFastRoute, Unchecked};
pub(crate) use prepared::{Preflight, Prepared, Wire};
pub use static_route::StaticRoute;

/// A body a fast route can serve: any byte string the route can keep for the life of the server.
pub trait IntoBody {
    /// Converts into the route's body.
    fn into_body(self) -> Bytes;
}

impl<const N: usize> IntoBody for &'static [u8; N] {
    fn into_body(self) -> Bytes {
        Bytes::from_static(self)
    }
}
impl IntoBody for &'static [u8] {
    fn into_body(self) -> Bytes {
        Bytes::from_static(self)
    }
}
impl IntoBody for &'static str {
    fn into_body(self) -> Bytes {
        Bytes::from_static(self.as_bytes())
    }
}
impl IntoBody for String {
    fn into_body(self) -> Bytes {
        Bytes::from(self)
    }
}
impl IntoBody for Vec<u8> {
    fn into_body(self) -> Bytes {
        Bytes::from(self)
    }
}
impl IntoBody for Bytes {
    fn into_body(self) -> Bytes {
        self
    }
}

/// A static response served without touching hyper or axum.
///
/// ```
/// use chopin_runtime::FastRoute;
///
/// let status = FastRoute::json("/api/status", br#"{"status":"ok"}"#)
///     .cors()
///     .get_only()
///     .cache_control("public, max-age=5")
///     .header("x-content-type-options", "nosniff");
/// assert_eq!(status.path(), "/api/status");
/// ```
///
/// By default a fast route answers `GET` (and therefore `HEAD`); any other method falls through
/// to the application's router, as does every request with a body or an upgrade.
#[derive(Clone)]
pub struct FastRoute {
    path: Cow<'static, str>,
    content_type: Cow<'static, str>,
    body: Bytes,
    cors: bool,
    cache_control: Option<Cow<'static, str>>,
    headers: Vec<(String, String)>,
    methods: MethodSet,
    errors: Vec<String>,
    /// The bytes `#[fast_route]` computed at compile time, when it was declared that way.
    precomputed: Option<StaticRoute>,
    /// Who declared it, for messages; a route added by hand when `None`.
    origin: Option<String>,
}

impl fmt::Debug for FastRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastRoute")
            .field("path", &self.path)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .field("cors", &self.cors)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl FastRoute {
    /// A route serving `body` with the given content type.
    pub fn new(
        path: impl Into<Cow<'static, str>>,
        content_type: impl Into<Cow<'static, str>>,
        body: impl IntoBody,
    ) -> FastRoute {
        FastRoute {
            path: path.into(),
            content_type: content_type.into(),
            body: body.into_body(),
            cors: false,
            cache_control: None,
            headers: Vec::new(),
            methods: MethodSet::GET,
            errors: Vec::new(),
            precomputed: None,
            origin: None,
        }
    }

    /// A route serving `application/json`.
    pub fn json(path: impl Into<Cow<'static, str>>, body: impl IntoBody) -> FastRoute {
        FastRoute::new(path, "application/json", body)
    }

    /// A route serving `text/plain; charset=utf-8`.
    pub fn text(path: impl Into<Cow<'static, str>>, body: impl IntoBody) -> FastRoute {
        FastRoute::new(path, "text/plain; charset=utf-8", body)
    }

    /// A route serving `text/html; charset=utf-8`.
    pub fn html(path: impl Into<Cow<'static, str>>, body: impl IntoBody) -> FastRoute {
        FastRoute::new(path, "text/html; charset=utf-8", body)
    }

    /// Permissive CORS: `access-control-allow-origin: *` on every response, and `OPTIONS` answered
    /// with a precomputed `204` preflight listing the route's methods.
    pub fn cors(mut self) -> FastRoute {
        self.cors = true;
        self
    }

    /// Adds a `cache-control` header.
    pub fn cache_control(mut self, value: impl Into<Cow<'static, str>>) -> FastRoute {
        self.cache_control = Some(value.into());
        self
    }

    /// Adds a header to every response of this route.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> FastRoute {
        self.headers
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Answers exactly these methods (`HEAD` is answered whenever `GET` is).
    pub fn methods(mut self, methods: &[Method]) -> FastRoute {
        let mut set = MethodSet::EMPTY;
        for m in methods {
            match MethodSet::of(m) {
                Some(bit) => set = set.with(bit),
                None => self.errors.push(format!(
                    "fast route `{}`: method `{m}` is not a standard HTTP method",
                    self.path
                )),
            }
        }
        if set == MethodSet::EMPTY && methods.is_empty() {
            self.errors.push(format!(
                "fast route `{}`: `methods` needs at least one method",
                self.path
            ));
        }
        self.methods = set;
        self
    }

    /// Answers `GET` and `HEAD` only (the default).
    pub fn get_only(self) -> FastRoute {
        self.methods(&[Method::GET])
    }

    /// Answers `POST` only.
    pub fn post_only(self) -> FastRoute {
        self.methods(&[Method::POST])
    }

    /// The route's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The methods it answers: `HEAD` with `GET`, and `OPTIONS` (the preflight) on a CORS route.
    pub fn answered_methods(&self) -> Methods {
        let mut methods = self.methods;
        if methods.contains(MethodSet::GET) {
            methods = methods.with(MethodSet::HEAD);
        }
        if self.cors {
            methods = methods.with(MethodSet::OPTIONS);
        }
        methods.to_methods()
    }

    /// The methods it was declared with (`GET` without the `HEAD` it brings).
    pub fn declared_methods(&self) -> Methods {
        self.methods.to_methods()
    }

    /// Whether it answers CORS requests (and `OPTIONS` with a preflight).
    pub fn is_cors(&self) -> bool {
        self.cors
    }

    /// Its `content-type`.
    pub fn content_type(&self) -> &str {
        match &self.precomputed {
            Some(route) => route.content_type(),
            None => &self.content_type,
        }
    }

    /// Its body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The same route, said to be declared by `origin` in messages.
    pub(crate) fn declared_by(mut self, origin: String) -> FastRoute {
        self.origin = Some(origin);
        self
    }

    /// Turns the declaration into its precomputed responses, or says everything wrong with it.
    pub(crate) fn prepare(self) -> Result<Prepared, Vec<String>> {
        let origin = self
            .origin
            .unwrap_or_else(|| "a fast route added by hand".to_owned());
        if let Some(route) = self.precomputed {
            return route.prepare(origin);
        }
        let mut errors = self.errors;
        let path = &self.path;
        // The grammar of every route, and then no parameters: a fast route answers one path.
        match chopin_pattern::validate(path) {
            Err(e) => errors.push(format!("fast route `{path}`: {}", e.message())),
            Ok(()) if chopin_pattern::params(path).next().is_some() => errors.push(format!(
                "fast route `{path}`: a fast route answers one literal path, without parameters"
            )),
            Ok(()) => {}
        }
        let methods = if self.methods.contains(MethodSet::GET) {
            self.methods.with(MethodSet::HEAD)
        } else {
            self.methods
        };

        let mut headers = HeaderMap::new();
        let mut put =
            |name: HeaderName, value: &str, errors: &mut Vec<String>| match HeaderValue::from_str(
                value,
            ) {
                Ok(v) => {
                    headers.append(name, v);
                }
                Err(_) => errors.push(format!(
                    "fast route `{path}`: `{value}` is not a valid value for header `{name}`"
                )),
            };
        put(header::CONTENT_TYPE, &self.content_type, &mut errors);
        if let Some(cc) = &self.cache_control {
            put(header::CACHE_CONTROL, cc, &mut errors);
        }
        if self.cors {
            put(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*", &mut errors);
        }
        for (name, value) in &self.headers {
            match HeaderName::from_bytes(name.as_bytes()) {
                Ok(n) if RESERVED.contains(&n) => errors.push(format!(
                    "fast route `{path}`: header `{n}` is set by the server and cannot be declared"
                )),
                Ok(n) => put(n, value, &mut errors),
                Err(_) => errors.push(format!(
                    "fast route `{path}`: `{name}` is not a valid header name"
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let mut head = headers.clone();
        head.insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        let full = Wire::build("200 OK", &head, &self.body);
        let head_len = full.bytes.len() - self.body.len();

        let preflight = self.cors.then(|| prepared::preflight(methods));
        Ok(Prepared {
            path: self.path.into_owned().into_boxed_str(),
            origin,
            methods,
            full,
            head_len,
            headers: head,
            body: self.body,
            preflight,
        })
    }
}

/// Headers a fast route computes itself: declaring them would contradict the precomputed bytes.
const RESERVED: [HeaderName; 5] = [
    header::CONTENT_LENGTH,
    header::DATE,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
    header::CONTENT_TYPE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::DATE_LEN;

    fn text(w: &Wire) -> String {
        let mut bytes = w.bytes.to_vec();
        bytes[w.date_at..w.date_at + DATE_LEN].copy_from_slice(b"Sun, 06 Nov 1994 08:49:37 GMT");
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn full_and_head_responses_are_precomputed() {
        let p = FastRoute::json("/json", br#"{"message":"Hello, World!"}"#)
            .cache_control("no-cache")
            .header("x-content-type-options", "nosniff")
            .prepare()
            .expect("valid");
        assert_eq!(
            text(&p.full),
            "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\ncontent-type: application/json\r\n\
             cache-control: no-cache\r\nx-content-type-options: nosniff\r\ncontent-length: 27\r\n\r\n\
             {\"message\":\"Hello, World!\"}"
        );
        assert_eq!(p.head_len, p.full.bytes.len() - 27);
        assert!(p.preflight.is_none());
        assert_eq!(p.describe(), "/json [GET, HEAD] (27 bytes)");
    }

    #[test]
    fn cors_routes_get_a_preflight() {
        let p = FastRoute::text("/s", "ok").cors().prepare().expect("valid");
        let preflight = p.preflight.as_ref().expect("preflight");
        assert_eq!(
            text(&preflight.wire),
            "HTTP/1.1 204 No Content\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             access-control-allow-origin: *\r\naccess-control-allow-methods: GET, HEAD, OPTIONS\r\n\
             allow: GET, HEAD, OPTIONS\r\naccess-control-allow-headers: *\r\naccess-control-max-age: 86400\r\n\r\n"
        );
        assert!(text(&p.full).contains("\r\naccess-control-allow-origin: *\r\n"));
        assert_eq!(p.describe(), "/s [GET, HEAD] +cors (2 bytes)");
    }

    #[test]
    fn method_filters() {
        let p = FastRoute::text("/p", "ok")
            .post_only()
            .prepare()
            .expect("valid");
        assert!(
            p.methods
                .contains(MethodSet::of_bytes(b"POST").expect("standard"))
        );
        assert!(!p.methods.contains(MethodSet::GET));
        assert!(!p.methods.contains(MethodSet::HEAD));
    }

    #[test]
    fn paths_follow_the_route_grammar_without_parameters() {
        let message = |path: &'static str| FastRoute::text(path, "x").prepare().expect_err(path);
        assert_eq!(
            message("/users/{id}"),
            ["fast route `/users/{id}`: a fast route answers one literal path, without parameters"]
        );
        assert_eq!(
            message("/search?q=1"),
            [
                "fast route `/search?q=1`: this character cannot appear in a route path: percent-encode it, or drop the query or fragment"
            ]
        );
    }

    #[test]
    fn every_mistake_is_reported() {
        let ext = Method::from_bytes(b"PURGE").expect("token");
        let errors = FastRoute::text("status", "ok")
            .header("content-length", "3")
            .header("bad name", "v")
            .header("x-ok", "line\nbreak")
            .methods(&[ext])
            .prepare()
            .expect_err("invalid");
        assert_eq!(
            errors,
            [
                "fast route `status`: method `PURGE` is not a standard HTTP method",
                "fast route `status`: a route path must start with `/`",
                "fast route `status`: header `content-length` is set by the server and cannot be declared",
                "fast route `status`: `bad name` is not a valid header name",
                "fast route `status`: `line\nbreak` is not a valid value for header `x-ok`",
            ]
        );
    }
}
