//! `StaticRoute`: a fast route whose bytes `#[fast_route]` computed at compile time.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::FastRoute;
use super::prepared::{self, Encoded, Prepared, Wire, preflight};
use crate::compression::Compression;
use crate::method::{MethodSet, Methods};

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

    pub(super) fn prepare(
        self,
        origin: String,
        compression: Compression,
    ) -> Result<Prepared, Vec<String>> {
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
        let methods = MethodSet::of_manifest(self.methods);
        let body = Bytes::from_static(body);
        let compressed = prepared::compressed(&headers, &body, compression);
        let identity = if compressed.is_some() {
            // The response as it is says `vary` too: built again, the bytes computed at compile
            // time do not.
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
            Encoded::build(headers, body)
        } else {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            Encoded::precomputed(
                Wire {
                    bytes: Bytes::from_static(self.response),
                    date_at: crate::const_response::DATE_AT,
                },
                head_len,
                headers,
                body,
            )
        };
        Ok(Prepared::new(
            path.into(),
            origin,
            methods,
            identity,
            compressed,
            self.cors.then(|| preflight(methods)),
        ))
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
            origin: None,
        }
    }
}
