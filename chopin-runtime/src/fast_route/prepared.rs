//! A fast route with its responses computed: the bytes the fast path writes, and the same
//! response as headers and a body for the hyper path.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};

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
        let names = methods.to_methods().names().join(", ");
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
