//! Scalar's API reference script (`@scalar/api-reference`'s `standalone.js`, MIT, see
//! `assets/scalar/LICENSE`), built into the kernel so that the viewer needs no network but the
//! application's.
//!
//! `assets/scalar/` holds it compressed twice, with brotli and with gzip, as `update.sh` wrote
//! them from the pinned npm tarball (whose integrity it checks); nothing is downloaded when the
//! crate builds. A response is chosen by the request's `accept-encoding` with the function that
//! chooses a fast route's variant (`crate::compression::negotiate`). The script is an axum route
//! rather than a fast route: its variants come compressed, and a client that accepts neither
//! encoding gets the script inflated from the gzip copy, once, when the first such client asks.
//! It is one request per page load, and a browser keeps the answer for a year: the version is in
//! its path.

use std::io::Read;
use std::sync::OnceLock;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::compression::{Encoding, negotiate};
use crate::response::ChopinError;

/// The script, compressed with brotli (quality 11).
static BROTLI: &[u8] = include_bytes!("../../assets/scalar/standalone.js.br");
/// The script, compressed with gzip (level 9).
static GZIP: &[u8] = include_bytes!("../../assets/scalar/standalone.js.gz");

/// The script as it is, inflated from [`GZIP`] on first use.
static IDENTITY: OnceLock<Result<Bytes, String>> = OnceLock::new();

const CONTENT_TYPE: &str = "text/javascript; charset=utf-8";
/// A year, never revalidated: a new version has a new path.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The script's bytes in `encoding`.
pub(crate) fn bytes(encoding: Encoding) -> Result<Bytes, String> {
    match encoding {
        Encoding::Brotli => Ok(Bytes::from_static(BROTLI)),
        Encoding::Gzip => Ok(Bytes::from_static(GZIP)),
        Encoding::Identity => IDENTITY
            .get_or_init(|| {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(GZIP)
                    .read_to_end(&mut out)
                    .map(|_| Bytes::from(out))
                    .map_err(|e| format!("the vendored Scalar script does not inflate: {e}"))
            })
            .clone(),
    }
}

/// The handler of the script's route: the script in the encoding the request prefers.
pub(crate) async fn script(headers: HeaderMap) -> Response {
    let encoding = negotiate(
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .map(HeaderValue::as_bytes),
    );
    let body = match bytes(encoding) {
        Ok(body) => body,
        Err(why) => {
            tracing::error!("{why}");
            return ChopinError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the API viewer's script is not available",
            )
            .into_response();
        }
    };
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(name) = encoding.name() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `VERSION` as `update.sh` wrote it.
    fn pinned(key: &str) -> &'static str {
        include_str!("../../assets/scalar/VERSION")
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("`{key}` in assets/scalar/VERSION"))
    }

    #[test]
    fn the_vendored_script_is_the_pinned_version_and_inflates_to_its_hash() {
        assert_eq!(pinned("version"), super::super::docs::SCALAR_VERSION);
        let script = bytes(Encoding::Identity).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(script.len().to_string(), pinned("bytes"));
        assert_eq!(sha256_hex(&script), pinned("sha256"));
    }

    fn sha256_hex(data: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
