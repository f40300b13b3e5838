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

use crate::compression::Compression;
use crate::method::{MethodSet, Methods};

pub use declared::{DeclaredRoute, IntoFastRoute, Unchecked};
use prepared::Encoded;
pub(crate) use prepared::{Preflight, Prepared, Variant};
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

    /// Turns the declaration into its precomputed responses, compressed as `compression` says,
    /// or says everything wrong with it.
    pub(crate) fn prepare(self, compression: Compression) -> Result<Prepared, Vec<String>> {
        let origin = self
            .origin
            .unwrap_or_else(|| "a fast route added by hand".to_owned());
        if let Some(route) = self.precomputed {
            return route.prepare(origin, compression);
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

        let compressed = prepared::compressed(&headers, &self.body, compression);
        if compressed.is_some() {
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        let identity = Encoded::build(headers, self.body);
        let preflight = self.cors.then(|| prepared::preflight(methods));
        Ok(Prepared::new(
            self.path.into_owned().into_boxed_str(),
            origin,
            methods,
            identity,
            compressed,
            preflight,
        ))
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
    use super::prepared::Wire;
    use super::*;
    use crate::compression::Encoding;
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
            .prepare(Compression::OFF)
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
        let p = FastRoute::text("/s", "ok")
            .cors()
            .prepare(Compression::OFF)
            .expect("valid");
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

    /// The head of `v`'s `GET` response.
    fn head(v: Variant<'_>) -> String {
        let mut bytes = v.full.bytes[..v.head_len].to_vec();
        let at = v.full.date_at;
        bytes[at..at + DATE_LEN].copy_from_slice(b"Sun, 06 Nov 1994 08:49:37 GMT");
        String::from_utf8(bytes).expect("utf-8")
    }

    #[cfg(feature = "compression")]
    /// The head of `v`'s `GET` response, and its body inflated.
    fn open(v: Variant<'_>) -> (String, Vec<u8>) {
        use std::io::Read;
        let head = head(v);
        let body = &v.full.bytes[v.head_len..];
        assert_eq!(body, &v.body[..]);
        let mut out = Vec::new();
        if head.contains("content-encoding: br") {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("brotli");
        } else if head.contains("content-encoding: gzip") {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip");
        } else {
            out = body.to_vec();
        }
        (head, out)
    }

    const ON: Compression = Compression::new(true, 1024);

    #[cfg(feature = "compression")]
    #[test]
    fn a_large_compressible_body_gets_brotli_and_gzip_variants() {
        let body = r#"{"name":"chopin","kind":"framework"}"#.repeat(40);
        let p = FastRoute::json("/big", body.clone())
            .cache_control("no-cache")
            .prepare(ON)
            .expect("valid");
        let identity = p.variant(Encoding::Identity);
        let (head, out) = open(identity);
        assert_eq!(
            head,
            format!(
                "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\ncontent-type: application/json\r\n\
                 cache-control: no-cache\r\nvary: accept-encoding\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
        );
        assert_eq!(out, body.as_bytes());
        for (encoding, name) in [(Encoding::Brotli, "br"), (Encoding::Gzip, "gzip")] {
            let v = p.variant(encoding);
            let (head, out) = open(v);
            assert_eq!(
                head,
                format!(
                    "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\ncontent-type: application/json\r\n\
                     cache-control: no-cache\r\ncontent-encoding: {name}\r\nvary: accept-encoding\r\n\
                     content-length: {}\r\n\r\n",
                    v.body.len()
                )
            );
            assert_eq!(out, body.as_bytes(), "{name}");
            assert!(v.body.len() < body.len() / 4, "{name}: {}", v.body.len());
            assert_eq!(
                v.headers.get("content-encoding").map(|v| v.as_bytes()),
                Some(name.as_bytes())
            );
            assert_eq!(
                v.headers.get("content-length").map(|v| v.as_bytes()),
                Some(v.body.len().to_string().as_bytes())
            );
        }
        assert!(
            p.describe()
                .starts_with("/big [GET, HEAD] (1440 bytes; br "),
            "{}",
            p.describe()
        );
    }

    #[test]
    fn small_incompressible_encoded_or_switched_off_get_no_variants() {
        let big = "a".repeat(4096);
        let cases = [
            FastRoute::json("/small", "a".repeat(1023)).prepare(ON),
            FastRoute::new("/png", "image/png", big.clone()).prepare(ON),
            FastRoute::new("/woff2", "font/woff2", big.clone()).prepare(ON),
            FastRoute::text("/gz", big.clone())
                .header("content-encoding", "gzip")
                .prepare(ON),
            FastRoute::text("/off", big).prepare(Compression::new(false, 1024)),
        ];
        for p in cases {
            let p = p.expect("valid");
            assert!(p.compressed.is_none(), "{}", p.path);
            let head = head(p.variant(Encoding::Brotli));
            assert!(!head.contains("vary"), "{}: {head}", p.path);
            assert!(!head.contains("content-encoding: br"), "{}: {head}", p.path);
        }
        // Random bytes do not shrink: no variant is kept that would be larger.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                // xorshift64
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect();
        let p = FastRoute::text("/noise", noise).prepare(ON).expect("valid");
        assert!(p.compressed.is_none());
    }

    #[cfg(feature = "compression")]
    #[test]
    fn a_route_computed_at_compile_time_is_compressed_too() {
        const BODY: &str = include_str!("../../assets/scalar/LICENSE");
        const HEADERS: &[(&str, &str)] = &[("content-type", "text/plain; charset=utf-8")];
        static RESPONSE: [u8; crate::const_response::response_len(HEADERS, BODY.as_bytes())] =
            crate::const_response::response(HEADERS, BODY.as_bytes());
        let route = StaticRoute::__new(
            "/license",
            Methods::GET,
            false,
            HEADERS,
            BODY.len(),
            &RESPONSE,
        );
        let p = FastRoute::from(route).prepare(ON).expect("valid");
        let (head, out) = open(p.variant(Encoding::Identity));
        assert!(head.contains("\r\nvary: accept-encoding\r\n"), "{head}");
        assert_eq!(out, BODY.as_bytes());
        let (head, out) = open(p.variant(Encoding::Brotli));
        assert!(head.contains("\r\ncontent-encoding: br\r\n"), "{head}");
        assert_eq!(out, BODY.as_bytes());
        // Off, the bytes computed at compile time are served as they are.
        let p = FastRoute::from(route)
            .prepare(Compression::OFF)
            .expect("valid");
        assert!(std::ptr::eq(&p.full.bytes[..], &RESPONSE[..]));
    }

    #[test]
    fn method_filters() {
        let p = FastRoute::text("/p", "ok")
            .post_only()
            .prepare(Compression::OFF)
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
        let message = |path: &'static str| {
            FastRoute::text(path, "x")
                .prepare(Compression::OFF)
                .expect_err(path)
        };
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
            .prepare(Compression::OFF)
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
