//! Content codings: which one a request accepts (`accept-encoding`), which responses are worth
//! compressing, and compressing them (brotli, gzip).
//!
//! The server compresses only what it knows before it starts: a fast route's body gets its
//! brotli and gzip variants once, when the route is prepared, and the viewer's script is vendored
//! compressed. Choosing among them per request is [`negotiate`], the same on both paths.

use std::io::Write;

/// A content coding a response is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Its name in `content-encoding`, or `None` for the representation as it is.
    pub(crate) fn name(self) -> Option<&'static str> {
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
/// the header, or when the client refuses all three, the representation as it is.
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
    // The representation as it is is acceptable unless refused by name, or by `*` without its
    // name.
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

/// Which fast routes get compressed variants: `COMPRESSION` and `COMPRESSION_MIN_BYTES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compression {
    /// The smallest body compressed, or `None` when compression is off.
    min_bytes: Option<usize>,
}

impl Compression {
    /// No variants.
    pub(crate) const OFF: Compression = Compression { min_bytes: None };

    /// As the configuration says: `enabled`, for bodies of at least `min_bytes`.
    pub(crate) const fn new(enabled: bool, min_bytes: u16) -> Compression {
        if !enabled {
            return Compression::OFF;
        }
        Compression {
            min_bytes: Some(min_bytes as usize),
        }
    }

    /// Whether a body of `len` bytes of this `content-type` is compressed.
    pub(crate) fn applies(self, content_type: &str, len: usize) -> bool {
        self.min_bytes.is_some_and(|min| len >= min.max(1)) && compressible(content_type)
    }
}

/// Whether a `content-type` is worth compressing: text, and the structured formats written as
/// text (JSON, XML, JavaScript, YAML, SVG and every `+json`/`+xml`), WebAssembly, and the fonts
/// that are not compressed already (TrueType, OpenType). Not images other than SVG, audio,
/// video, WOFF fonts or archives: compressed already, they would only grow.
pub(crate) fn compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if subtype.ends_with("+json") || subtype.ends_with("+xml") || subtype.ends_with("+yaml") {
        return true;
    }
    match kind {
        "text" => true,
        "application" => matches!(
            subtype,
            "json"
                | "javascript"
                | "x-javascript"
                | "ecmascript"
                | "xml"
                | "yaml"
                | "x-yaml"
                | "toml"
                | "wasm"
                | "graphql"
                | "x-ndjson"
        ),
        "font" => matches!(subtype, "ttf" | "otf" | "collection"),
        _ => false,
    }
}

/// brotli's quality for a body up to [`LARGE`]: 10, paid once when the server starts. On the
/// blog's API description (53,617 bytes) quality 11 gives 4,922 bytes, 10 gives 5,068 (3% more)
/// in less than half the time, 9 gives 5,444 (10% more). Unoptimized (dev builds, tests), 11
/// takes about 0.3 s there, at every start; the encoder is generic, so it is compiled with the
/// kernel's optimization level, whatever the profile says of brotli.
#[cfg(feature = "compression")]
const BROTLI_QUALITY: i32 = 10;
/// brotli's quality above [`LARGE`]: 9 (hash chains), ten times faster, so that a body of several
/// MiB does not hold start-up for seconds.
#[cfg(feature = "compression")]
const BROTLI_QUALITY_LARGE: i32 = 9;
/// Where a body is large for brotli.
#[cfg(feature = "compression")]
const LARGE: usize = 1 << 20;
/// brotli's window: 4 MiB, its largest without the large-window extension, which browsers do not
/// decode.
#[cfg(feature = "compression")]
const BROTLI_WINDOW: i32 = 22;

/// `body` compressed in `encoding` (as it is for [`Encoding::Identity`]).
pub(crate) fn compress(encoding: Encoding, body: &[u8]) -> Vec<u8> {
    match encoding {
        // Not built without the feature: `Compression::new` then makes no variant.
        #[cfg(not(feature = "compression"))]
        Encoding::Brotli => body.to_vec(),
        #[cfg(feature = "compression")]
        Encoding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: if body.len() <= LARGE {
                    BROTLI_QUALITY
                } else {
                    BROTLI_QUALITY_LARGE
                },
                lgwin: BROTLI_WINDOW,
                size_hint: body.len(),
                ..Default::default()
            };
            let mut out = Vec::with_capacity(body.len() / 4);
            // Reading a slice and writing a `Vec` cannot fail.
            let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
            out
        }
        Encoding::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3),
                flate2::Compression::best(),
            );
            // Writing into a `Vec` cannot fail.
            let _ = gz.write_all(body);
            gz.finish().unwrap_or_default()
        }
        Encoding::Identity => body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "compression")]
    use std::io::Read;

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
            (&["BR"], Brotli),
            (&["x-gzip"], Gzip),
            (&["deflate"], Identity),
            (&["identity"], Identity),
            (&["*"], Brotli),
            (&["br;q=0, *"], Gzip),
            (&["br;q=0, gzip;q=0"], Identity),
            (&["*;q=0"], Identity),
            (&["identity;q=0"], Identity),
            (&["identity;q=0, gzip;q=0.1"], Gzip),
            (&["gzip;q=1.0, br;q=0.5"], Gzip),
            (&["br;q=0.5, identity"], Identity),
            (&["br;q=0.5, gzip;q=0.5"], Brotli),
            (&["gzip;q=0.5, br;q=0.5"], Brotli),
            (&["br;q=0.5, *;q=0.9"], Gzip),
            (&["br ; q=0.001"], Brotli),
            (&["br;Q=0"], Identity),
            (&["gzip", "br"], Brotli),
            (&["br;q=2, gzip"], Gzip),
            (&["br;q=0.1234, gzip;q=0.1"], Gzip),
            (&["br;q=, gzip"], Gzip),
            (&["br;level=1"], Brotli),
        ];
        for (values, expected) in cases {
            assert_eq!(choose(values), *expected, "{values:?}");
        }
        assert_eq!(negotiate([b"\xff, gzip".as_slice(), b"gzip"]), Gzip);
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

    #[test]
    fn text_and_its_kin_are_compressible_media_already_compressed_are_not() {
        for yes in [
            "text/plain; charset=utf-8",
            "text/html",
            "TEXT/CSS",
            "application/json",
            "application/problem+json",
            "application/rss+xml",
            "application/javascript; charset=utf-8",
            "image/svg+xml",
            "application/wasm",
            "font/ttf",
        ] {
            assert!(compressible(yes), "{yes}");
        }
        for no in [
            "",
            "image/png",
            "image/jpeg",
            "audio/ogg",
            "video/mp4",
            "font/woff2",
            "application/zip",
            "application/gzip",
            "application/octet-stream",
            "json",
        ] {
            assert!(!compressible(no), "{no}");
        }
    }

    #[test]
    fn the_threshold_and_the_switch() {
        let on = Compression::new(true, 1024);
        assert!(on.applies("application/json", 1024));
        assert!(!on.applies("application/json", 1023));
        assert!(!on.applies("image/png", 1 << 20));
        assert!(!Compression::new(false, 1024).applies("application/json", 1 << 20));
        assert!(!Compression::OFF.applies("text/plain", 1 << 20));
        // `COMPRESSION_MIN_BYTES=0` still leaves an empty body alone.
        assert!(!Compression::new(true, 0).applies("text/plain", 0));
    }

    #[test]
    #[cfg(feature = "compression")]
    fn both_codings_inflate_to_the_original() {
        let body = "chopin ".repeat(500).into_bytes();
        let br = compress(Encoding::Brotli, &body);
        let gz = compress(Encoding::Gzip, &body);
        assert!(
            br.len() < 100 && gz.len() < 100,
            "{} {}",
            br.len(),
            gz.len()
        );
        let mut out = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .expect("brotli");
        assert_eq!(out, body);
        out.clear();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("gzip");
        assert_eq!(out, body);
        assert_eq!(compress(Encoding::Identity, &body), body);
    }
}
