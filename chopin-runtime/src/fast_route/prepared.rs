//! A fast route with its responses computed: the bytes the fast path writes, and the same
//! response as headers and a body for the hyper path; for a compressible body, the same again
//! compressed with brotli and with gzip.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};

use crate::compression::{self, Compression, Encoding};
use crate::date::DATE_LEN;
use crate::method::MethodSet;

/// The `204` answer of a CORS route to `OPTIONS`, listing its methods.
pub(super) fn preflight(methods: MethodSet) -> Preflight {
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
    /// Who declared it, for messages: `` `Blog::HEALTH` in module `blog` (src/blog.rs:4)``.
    pub(crate) origin: String,
    pub(crate) methods: MethodSet,
    /// The `GET` response; its first `head_len` bytes are the `HEAD` response.
    pub(crate) full: Wire,
    pub(crate) head_len: usize,
    /// The same response for the hyper path, which writes its own date and length framing.
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The response compressed, when its body is worth it; the one above then says
    /// `vary: accept-encoding`. Boxed: most routes have none, and the table scans routes.
    pub(crate) compressed: Option<Box<Compressed>>,
    /// The `204` answer to `OPTIONS`, on CORS routes.
    pub(crate) preflight: Option<Preflight>,
}

/// One encoding of a route's `200`, for both paths: what [`Prepared::variant`] answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variant<'a> {
    /// The `GET` response; its first `head_len` bytes are the `HEAD` response.
    pub(crate) full: &'a Wire,
    pub(crate) head_len: usize,
    /// For the hyper path.
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
}

/// A route's `200` in one content coding, owned.
#[derive(Debug)]
pub(crate) struct Encoded {
    full: Wire,
    head_len: usize,
    headers: HeaderMap,
    body: Bytes,
}

impl Encoded {
    /// The `200` with `headers` (which the length is added to) and `body`.
    pub(super) fn build(mut headers: HeaderMap, body: Bytes) -> Encoded {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        let full = Wire::build("200 OK", &headers, &body);
        Encoded {
            head_len: full.bytes.len() - body.len(),
            full,
            headers,
            body,
        }
    }

    /// A `200` computed already: `full`, whose head is `head_len` bytes, and the same as
    /// `headers` (with the length) and `body`.
    pub(super) fn precomputed(
        full: Wire,
        head_len: usize,
        headers: HeaderMap,
        body: Bytes,
    ) -> Encoded {
        Encoded {
            full,
            head_len,
            headers,
            body,
        }
    }

    fn variant(&self) -> Variant<'_> {
        Variant {
            full: &self.full,
            head_len: self.head_len,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// A route's `200` compressed with brotli and with gzip.
#[derive(Debug)]
pub(crate) struct Compressed {
    br: Encoded,
    gzip: Encoded,
}

/// The brotli and gzip variants of the `200` with `headers` (no length yet) and `body`, when
/// `compression` applies to its type and size, it is not encoded already, and both come out
/// smaller. Each says its `content-encoding` and `vary: accept-encoding`, which the caller then
/// adds to the response as it is.
pub(super) fn compressed(
    headers: &HeaderMap,
    body: &Bytes,
    compression: Compression,
) -> Option<Box<Compressed>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if headers.contains_key(header::CONTENT_ENCODING)
        || !compression.applies(content_type, body.len())
    {
        return None;
    }
    let variant = |encoding: Encoding, name: &'static str| {
        let packed = compression::compress(encoding, body);
        (packed.len() < body.len()).then(|| {
            let mut h = headers.clone();
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
            h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
            Encoded::build(h, Bytes::from(packed))
        })
    };
    Some(Box::new(Compressed {
        gzip: variant(Encoding::Gzip, "gzip")?,
        br: variant(Encoding::Brotli, "br")?,
    }))
}

/// The `204` answer of a CORS route to `OPTIONS`, for both paths.
#[derive(Debug)]
pub(crate) struct Preflight {
    pub(crate) wire: Wire,
    pub(crate) headers: HeaderMap,
}

impl Prepared {
    /// The route answering `identity`, and its variants.
    pub(super) fn new(
        path: Box<str>,
        origin: String,
        methods: MethodSet,
        identity: Encoded,
        compressed: Option<Box<Compressed>>,
        preflight: Option<Preflight>,
    ) -> Prepared {
        let Encoded {
            full,
            head_len,
            headers,
            body,
        } = identity;
        Prepared {
            path,
            origin,
            methods,
            full,
            head_len,
            headers,
            body,
            compressed,
            preflight,
        }
    }

    /// The response in `encoding`, or as it is when the route has no such variant.
    #[inline]
    pub(crate) fn variant(&self, encoding: Encoding) -> Variant<'_> {
        match (&self.compressed, encoding) {
            (Some(c), Encoding::Brotli) => c.br.variant(),
            (Some(c), Encoding::Gzip) => c.gzip.variant(),
            _ => Variant {
                full: &self.full,
                head_len: self.head_len,
                headers: &self.headers,
                body: &self.body,
            },
        }
    }

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
        let names = methods.to_methods().names().join(", ");
        HeaderValue::from_str(&names).unwrap_or_else(|_| HeaderValue::from_static("GET, HEAD"))
    }

    /// One line for the start-up listing: `/json [GET, HEAD] (27 bytes)`, or with its
    /// variants `/openapi.json [GET, HEAD] (5120 bytes; br 812, gzip 1003)`.
    pub(crate) fn describe(&self) -> String {
        let cors = if self.preflight.is_some() {
            " +cors"
        } else {
            ""
        };
        let variants = match &self.compressed {
            Some(c) => format!("; br {}, gzip {}", c.br.body.len(), c.gzip.body.len()),
            None => String::new(),
        };
        format!(
            "{} [{}]{cors} ({} bytes{variants})",
            self.path,
            self.methods.join(", "),
            self.body.len()
        )
    }
}
