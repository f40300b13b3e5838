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

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::date::DATE_LEN;
use crate::manifest::Methods;

/// The HTTP methods a fast route answers, as a bit set over the standard methods.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MethodSet(u16);

const STANDARD_METHODS: [(Method, u16); 9] = [
    (Method::GET, 1),
    (Method::HEAD, 1 << 1),
    (Method::POST, 1 << 2),
    (Method::PUT, 1 << 3),
    (Method::DELETE, 1 << 4),
    (Method::PATCH, 1 << 5),
    (Method::OPTIONS, 1 << 6),
    (Method::CONNECT, 1 << 7),
    (Method::TRACE, 1 << 8),
];

impl MethodSet {
    pub(crate) const GET: MethodSet = MethodSet(1);
    pub(crate) const HEAD: MethodSet = MethodSet(1 << 1);
    pub(crate) const OPTIONS: MethodSet = MethodSet(1 << 6);

    /// The bit of a method as it appears on the wire; `None` for extension methods.
    #[inline]
    pub(crate) fn of_bytes(method: &[u8]) -> Option<MethodSet> {
        let bit = match method {
            b"GET" => 1,
            b"HEAD" => 1 << 1,
            b"POST" => 1 << 2,
            b"PUT" => 1 << 3,
            b"DELETE" => 1 << 4,
            b"PATCH" => 1 << 5,
            b"OPTIONS" => 1 << 6,
            b"CONNECT" => 1 << 7,
            b"TRACE" => 1 << 8,
            _ => return None,
        };
        Some(MethodSet(bit))
    }

    /// The standard methods of a manifest's set, which shares their bits (`ANY` is not one).
    fn of_manifest(methods: Methods) -> MethodSet {
        MethodSet(methods.0 & !Methods::ANY.0)
    }

    fn of(method: &Method) -> Option<MethodSet> {
        MethodSet::of_bytes(method.as_str().as_bytes())
    }

    #[inline]
    pub(crate) fn contains(self, other: MethodSet) -> bool {
        self.0 & other.0 == other.0
    }

    fn with(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    /// The methods in wire order, for `allow` headers and listings.
    fn names(self) -> impl Iterator<Item = &'static str> {
        STANDARD_METHODS
            .iter()
            .filter(move |(_, bit)| self.0 & bit != 0)
            .map(|(m, _)| match *m {
                Method::GET => "GET",
                Method::HEAD => "HEAD",
                Method::POST => "POST",
                Method::PUT => "PUT",
                Method::DELETE => "DELETE",
                Method::PATCH => "PATCH",
                Method::OPTIONS => "OPTIONS",
                Method::CONNECT => "CONNECT",
                _ => "TRACE",
            })
    }

    fn join(self, sep: &str) -> String {
        self.names().collect::<Vec<_>>().join(sep)
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.join("|"))
    }
}

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
        let mut set = MethodSet(0);
        for m in methods {
            match MethodSet::of(m) {
                Some(bit) => set = set.with(bit),
                None => self.errors.push(format!(
                    "fast route `{}`: method `{m}` is not a standard HTTP method",
                    self.path
                )),
            }
        }
        if set.0 == 0 && methods.is_empty() {
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

    /// Its row in the route table.
    /// The route as the API description sees it.
    pub(crate) fn hand_route(&self) -> crate::openapi::spec::HandRoute {
        let content_type = match &self.precomputed {
            Some(route) => route.content_type().to_owned(),
            None => self.content_type.to_string(),
        };
        crate::openapi::spec::HandRoute {
            path: self.path.to_string(),
            methods: Methods(self.methods.0),
            cors: self.cors,
            content_type,
            body: self.body.clone(),
        }
    }

    pub(crate) fn info(&self) -> crate::module::RouteInfo {
        let mut methods = if self.methods.contains(MethodSet::GET) {
            self.methods.with(MethodSet::HEAD)
        } else {
            self.methods
        };
        if self.cors {
            // Answered with the preflight.
            methods = methods.with(MethodSet::OPTIONS);
        }
        crate::module::RouteInfo {
            methods: Methods(methods.0),
            path: self.path.to_string(),
            handler: "-".to_owned(),
            module: "-",
            access: crate::manifest::Access::Public,
            fast: true,
        }
    }

    /// Turns the declaration into its precomputed responses, or says everything wrong with it.
    pub(crate) fn prepare(self) -> Result<Prepared, Vec<String>> {
        if let Some(route) = self.precomputed {
            return route.prepare();
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

        let preflight = self.cors.then(|| preflight(methods));
        Ok(Prepared {
            path: self.path.into_owned().into_boxed_str(),
            methods,
            full,
            head_len,
            headers: head,
            body: self.body,
            preflight,
        })
    }
}

/// The `204` answer of a CORS route to `OPTIONS`, listing its methods.
fn preflight(methods: MethodSet) -> Preflight {
    let allowed = methods.with(MethodSet::OPTIONS).join(", ");
    let mut h = HeaderMap::new();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    for name in [header::ACCESS_CONTROL_ALLOW_METHODS, header::ALLOW] {
        if let Ok(v) = HeaderValue::from_str(&allowed) {
            h.insert(name, v);
        }
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    Preflight {
        wire: Wire::build("204 No Content", &h, b""),
        headers: h,
    }
}

/// A fast route whose response bytes were computed at compile time, by `#[fast_route]`.
///
/// `#[fast_route("/health", text)]` on a constant makes one, and in a `#[chopin::module]` the
/// module's manifest holds it; on a crate-level constant the constant becomes the route, mounted
/// with [`App::fast_route`](crate::App::fast_route). The server writes [`StaticRoute::response`]
/// as it is, with only the date patched in.
#[derive(Clone, Copy, Debug)]
pub struct StaticRoute {
    path: &'static str,
    methods: Methods,
    cors: bool,
    headers: &'static [(&'static str, &'static str)],
    /// The body is the response's last `body_len` bytes: held once, not twice, in the binary.
    body_len: usize,
    response: &'static [u8],
}

impl StaticRoute {
    /// Used by the code `#[fast_route]` generates: `response` must be
    /// [`const_response::response(headers, body)`](crate::const_response::response) for a
    /// body of `body_len` bytes, and `headers` valid HTTP, which the attribute has checked.
    #[doc(hidden)]
    pub const fn __new(
        path: &'static str,
        methods: Methods,
        cors: bool,
        headers: &'static [(&'static str, &'static str)],
        body_len: usize,
        response: &'static [u8],
    ) -> StaticRoute {
        StaticRoute {
            path,
            methods,
            cors,
            headers,
            body_len,
            response,
        }
    }

    /// The path it answers.
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// The methods it answers (`GET` brings `HEAD`).
    pub const fn methods(&self) -> Methods {
        self.methods
    }

    /// The body: the end of [`StaticRoute::response`].
    pub const fn body(&self) -> &'static [u8] {
        match self.response.len().checked_sub(self.body_len) {
            Some(head) => self.response.split_at(head).1,
            None => &[],
        }
    }

    /// The complete response to `GET`, with 29 blanks where the date goes.
    pub const fn response(&self) -> &'static [u8] {
        self.response
    }

    /// Whether it answers CORS requests (and `OPTIONS` with a preflight).
    pub const fn cors(&self) -> bool {
        self.cors
    }

    /// Its `content-type`, empty when it has none.
    pub fn content_type(&self) -> &'static str {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map_or("", |(_, value)| value)
    }

    fn prepare(self) -> Result<Prepared, Vec<String>> {
        let path = self.path;
        let mut errors = Vec::new();
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(v)) => {
                    headers.append(n, v);
                }
                _ => errors.push(format!(
                    "fast route `{path}`: `{name}: {value}` is not a valid header"
                )),
            }
        }
        let body = self.body();
        let head_len = self.response.len() - body.len();
        if body.len() != self.body_len || !self.response.starts_with(b"HTTP/1.1 200 OK\r\ndate: ") {
            errors.push(format!(
                "fast route `{path}`: its response bytes do not hold its body"
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        let methods = MethodSet::of_manifest(self.methods);
        Ok(Prepared {
            path: path.into(),
            methods,
            full: Wire {
                bytes: Bytes::from_static(self.response),
                date_at: crate::const_response::DATE_AT,
            },
            head_len,
            headers,
            body: Bytes::from_static(body),
            preflight: self.cors.then(|| preflight(methods)),
        })
    }
}

impl From<StaticRoute> for FastRoute {
    fn from(route: StaticRoute) -> FastRoute {
        FastRoute {
            path: Cow::Borrowed(route.path),
            content_type: Cow::Borrowed(""),
            body: Bytes::from_static(route.body()),
            cors: route.cors,
            cache_control: None,
            headers: Vec::new(),
            methods: MethodSet::of_manifest(route.methods),
            errors: Vec::new(),
            precomputed: Some(route),
        }
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

/// A complete response on the wire, with the place where the date goes.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) bytes: Bytes,
    /// Offset of the 29-byte IMF-fixdate value inside `bytes`.
    pub(crate) date_at: usize,
}

impl Wire {
    /// `HTTP/1.1 {status}`, the date, then `headers` in order, then `body`. Header names are
    /// lowercase, as hyper writes them, so a client sees the same spelling on both paths.
    pub(crate) fn build(status: &str, headers: &HeaderMap, body: &[u8]) -> Wire {
        let mut b = Vec::with_capacity(128 + body.len());
        b.extend_from_slice(b"HTTP/1.1 ");
        b.extend_from_slice(status.as_bytes());
        b.extend_from_slice(b"\r\ndate: ");
        let date_at = b.len();
        b.extend_from_slice(&[b' '; DATE_LEN]);
        b.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            b.extend_from_slice(name.as_str().as_bytes());
            b.extend_from_slice(b": ");
            b.extend_from_slice(value.as_bytes());
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"\r\n");
        b.extend_from_slice(body);
        Wire {
            bytes: Bytes::from(b),
            date_at,
        }
    }

    /// Appends these bytes (or their first `len`) to `out`, with today's date patched in.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>, len: usize, date: &[u8; DATE_LEN]) {
        let start = out.len();
        out.extend_from_slice(&self.bytes[..len]);
        out[start + self.date_at..start + self.date_at + DATE_LEN].copy_from_slice(date);
    }
}

/// A fast route with its responses computed.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) path: Box<str>,
    pub(crate) methods: MethodSet,
    /// The `GET` response; its first `head_len` bytes are the `HEAD` response.
    pub(crate) full: Wire,
    pub(crate) head_len: usize,
    /// The same response for the hyper path, which writes its own date and length framing.
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The `204` answer to `OPTIONS`, on CORS routes.
    pub(crate) preflight: Option<Preflight>,
}

/// The `204` answer of a CORS route to `OPTIONS`, for both paths.
#[derive(Debug)]
pub(crate) struct Preflight {
    pub(crate) wire: Wire,
    pub(crate) headers: HeaderMap,
}

impl Prepared {
    /// The `allow` header of a `405` on its path: its methods, `HEAD` with `GET`, `OPTIONS` with
    /// CORS.
    pub(crate) fn allow(&self) -> HeaderValue {
        let mut methods = if self.methods.contains(MethodSet::GET) {
            self.methods.with(MethodSet::HEAD)
        } else {
            self.methods
        };
        if self.preflight.is_some() {
            methods = methods.with(MethodSet::OPTIONS);
        }
        let names = Methods(methods.0).names().join(", ");
        HeaderValue::from_str(&names).unwrap_or_else(|_| HeaderValue::from_static("GET, HEAD"))
    }

    /// One line for the start-up listing: `/json [GET, HEAD] (27 bytes)`.
    pub(crate) fn describe(&self) -> String {
        let cors = if self.preflight.is_some() {
            " +cors"
        } else {
            ""
        };
        format!(
            "{} [{}]{cors} ({} bytes)",
            self.path,
            self.methods.join(", "),
            self.body.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
