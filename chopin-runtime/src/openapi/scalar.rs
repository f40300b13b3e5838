//! Scalar's API reference script (`@scalar/api-reference`'s `standalone.js`, MIT, see
//! `assets/scalar/LICENSE`), built into the kernel so that the viewer needs no network but the
//! application's.
//!
//! `assets/scalar/` holds it compressed twice, with brotli and with gzip, as `update.sh` wrote
//! them from the pinned npm tarball (whose integrity it checks); nothing is downloaded when the
//! crate builds. A response is chosen by the request's `accept-encoding`, so the script is an
//! axum route rather than a fast route: the fast path looks requests up by method and path only,
//! and answers one set of bytes per path. It is one request per page load, and a browser keeps
//! the answer for a year: the version is in its path. A client that accepts neither encoding
//! gets the script inflated from the gzip copy, once, when the first such client asks.

use std::io::Read;
use std::sync::OnceLock;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

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

/// A content coding the script is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Its name in `content-encoding`, or `None` for the script as it is.
    fn name(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }
}

/// The encoding to answer a request with these `accept-encoding` values (RFC 9110, 12.5.3): the
/// one the client weighs highest, brotli before gzip before none when it weighs them alike. A
/// coding weighed `q=0` is refused; `*` weighs every coding the header does not name. Without
/// the header, or when the client refuses all three, the script as it is.
pub(crate) fn negotiate<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Encoding {
    // Weights in thousandths; `None` where the header does not name the coding.
    let (mut br, mut gzip, mut identity, mut any) = (None, None, None, None);
    for value in values {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let mut q = Some(1000);
            for param in parts {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = weight(value.trim());
                }
            }
            let Some(q) = q else {
                continue;
            };
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding.eq_ignore_ascii_case("identity") {
                &mut identity
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    let br = br.or(any).unwrap_or(0);
    let gzip = gzip.or(any).unwrap_or(0);
    // The script as it is is acceptable unless refused by name, or by `*` without its name.
    let identity = identity.or(any).unwrap_or(1);
    // Equal weights keep the earlier: brotli, then gzip, then none.
    let (best, q) = [
        (Encoding::Brotli, br),
        (Encoding::Gzip, gzip),
        (Encoding::Identity, identity),
    ]
    .into_iter()
    .fold((Encoding::Identity, 0), |best, (e, q)| {
        if q > best.1 { (e, q) } else { best }
    });
    if q == 0 { Encoding::Identity } else { best }
}

/// A `qvalue` (`0`, `0.5`, `1.000`) in thousandths, or `None` when it is not one.
fn weight(s: &str) -> Option<u32> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let fraction = fraction
        .bytes()
        .zip([100, 10, 1])
        .map(|(b, scale)| u32::from(b - b'0') * scale)
        .sum::<u32>();
    match whole + fraction {
        q if q <= 1000 => Some(q),
        _ => None,
    }
}

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

    fn choose(values: &[&str]) -> Encoding {
        negotiate(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn brotli_then_gzip_then_none_unless_the_client_weighs_them_otherwise() {
        use Encoding::*;
        let cases: &[(&[&str], Encoding)] = &[
            (&[], Identity),
            (&[""], Identity),
            (&["gzip, deflate, br, zstd"], Brotli),
            (&["gzip, deflate"], Gzip),
            (&["GZip"], Gzip),
            (&["x-gzip"], Gzip),
            (&["deflate"], Identity),
            (&["identity"], Identity),
            (&["*"], Brotli),
            (&["br;q=0, *"], Gzip),
            (&["br;q=0, gzip;q=0"], Identity),
            (&["*;q=0"], Identity),
            (&["gzip;q=1.0, br;q=0.5"], Gzip),
            (&["br;q=0.5, identity"], Identity),
            (&["br ; q=0.001"], Brotli),
            (&["gzip", "br"], Brotli),
            (&["br;q=2, gzip"], Gzip),
            (&["br;q=0.1234, gzip;q=0.1"], Gzip),
            (&["br;q=, gzip"], Gzip),
            (&["br;level=1"], Brotli),
        ];
        for (values, expected) in cases {
            assert_eq!(choose(values), *expected, "{values:?}");
        }
    }

    #[test]
    fn weights_in_thousandths() {
        assert_eq!(weight("0"), Some(0));
        assert_eq!(weight("1"), Some(1000));
        assert_eq!(weight("1.000"), Some(1000));
        assert_eq!(weight("0.5"), Some(500));
        assert_eq!(weight("0.05"), Some(50));
        assert_eq!(weight("0.999"), Some(999));
        for bad in ["1.001", "2", "0.5555", "-1", "", ".5", "0.x", "0x1"] {
            assert_eq!(weight(bad), None, "{bad}");
        }
    }

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
