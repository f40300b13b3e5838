//! `Download`: a stored file served back, by ranges, without becoming the application's page.

use std::ops::Range;

use chopin_runtime::ChopinError;
use chopin_runtime::axum::body::Body;
use chopin_runtime::axum::response::{IntoResponse, Response};
use chopin_runtime::http::{HeaderMap, HeaderValue, StatusCode, header};
use chopin_runtime::openapi::utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use chopin_runtime::openapi::utoipa::openapi::{KnownFormat, RefOr};
use chopin_runtime::openapi::{Operation, OperationOutput};
use futures_util::StreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::sniff;
use crate::store::{Object, Storage, StorageError};
use crate::upload::StoredFile;

/// Every served file: no script, no plugin, no form, no frame of ours, whatever it is.
const SANDBOX: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// A stored file as a response: `200` with the whole file or `206` with the range the client
/// asked for (`range: bytes=…`, one range), `304` when the client's copy is current
/// (`if-none-match`), `416` for a range past the end.
///
/// It is served with the type recorded at upload, its `content-length`, a strong `etag` (from
/// its SHA-256), `last-modified`, `accept-ranges: bytes`, `x-content-type-options: nosniff`
/// and a sandboxing `content-security-policy`; a type a browser would run (HTML, SVG, XML,
/// JavaScript, PDF, …) is sent as a download (`content-disposition: attachment`), so that a
/// stored file never runs as a page of the application. The body is streamed from the store.
#[derive(Debug)]
pub struct Download {
    status: StatusCode,
    headers: HeaderMap,
    object: Option<Object>,
    refused: Option<ChopinError>,
}

impl Storage {
    /// Serves `file` for a request with `headers` (its `range`, `if-range` and
    /// `if-none-match`).
    ///
    /// # Errors
    /// `404` when the object is gone, `503` when the store does not answer.
    pub async fn download(
        &self,
        file: &StoredFile,
        request: &HeaderMap,
    ) -> Result<Download, ChopinError> {
        let info = self.head(&file.key).await.map_err(not_found)?;
        let etag = format!("\"{}\"", file.sha256.get(..32).unwrap_or(&file.sha256));
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, value(&etag));
        headers.insert(
            header::LAST_MODIFIED,
            value(&httpdate::fmt_http_date(info.last_modified)),
        );
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOX),
        );
        if none_match(request, &etag) {
            return Ok(Download {
                status: StatusCode::NOT_MODIFIED,
                headers,
                object: None,
                refused: None,
            });
        }
        let content_type = HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        headers.insert(header::CONTENT_TYPE, content_type);
        headers.insert(header::CONTENT_DISPOSITION, disposition(file));
        let size = info.size;
        let range = match requested_range(request, &etag, size) {
            Ranged::Whole => None,
            Ranged::Part(range) => Some(range),
            Ranged::Unsatisfiable => {
                let mut headers = HeaderMap::new();
                headers.insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
                return Ok(Download {
                    status: StatusCode::RANGE_NOT_SATISFIABLE,
                    headers,
                    object: None,
                    refused: Some(ChopinError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "range_not_satisfiable",
                        format!("the range is outside the file's {size} bytes"),
                    )),
                });
            }
        };
        let object = match self.get(&file.key, range.clone()).await {
            Ok(object) => object,
            Err(e) => return Err(not_found(e)),
        };
        let served = &object.range;
        headers.insert(
            header::CONTENT_LENGTH,
            value(&(served.end - served.start).to_string()),
        );
        let status = if range.is_some() {
            headers.insert(
                header::CONTENT_RANGE,
                value(&format!(
                    "bytes {}-{}/{size}",
                    served.start,
                    served.end.saturating_sub(1)
                )),
            );
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        };
        Ok(Download {
            status,
            headers,
            object: Some(object),
            refused: None,
        })
    }
}

fn not_found(e: StorageError) -> ChopinError {
    match e {
        StorageError::NotFound(_) => ChopinError::not_found("the file is no longer stored"),
        e => ChopinError::from(e),
    }
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""))
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        if let Some(refused) = self.refused {
            let mut res = refused.into_response();
            res.headers_mut().extend(self.headers);
            return res;
        }
        let body = match self.object {
            Some(object) => Body::from_stream(
                object
                    .into_stream()
                    .map(|chunk| chunk.map_err(std::io::Error::other)),
            ),
            None => Body::empty(),
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers;
        res
    }
}

/// `200` with the file, `206` with a range of it, `304`, `416`.
impl OperationOutput for Download {
    fn describe(op: &mut Operation<'_>) {
        let binary = || {
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .build(),
            ))
        };
        // `range`, `if-range` and `if-none-match` are HTTP's own headers, described by the
        // responses they lead to (206, 304, 416) rather than as parameters: a generated client
        // or a fuzzer has no value to put in them that the file's size does not decide.
        op.response(
            "200",
            "the file, with the type detected when it was uploaded",
            Some(("*/*", binary())),
        );
        op.response_header(
            "200",
            "etag",
            "the file's tag, for `if-none-match` and `if-range`",
        );
        op.response(
            "206",
            "the range of the file that the `range` header (`bytes=0-99`, `bytes=100-`, `bytes=-100`) asked for",
            Some(("*/*", binary())),
        );
        op.response_header("206", "content-range", "which bytes of the file these are");
        op.response(
            "304",
            "the client's copy (`if-none-match`) is current",
            None,
        );
        op.error_response("404", "no such file");
        op.error_response("416", "the `range` header starts past the file's end");
        op.response_header("416", "content-range", "`bytes */SIZE`");
        op.may_be_unavailable("the file store");
    }
}

/// `attachment` for what a browser would run, `inline` for the rest; the name as an ASCII
/// fallback and as UTF-8 (RFC 6266).
fn disposition(file: &StoredFile) -> HeaderValue {
    const FILENAME_STAR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let kind = if sniff::is_active(&file.content_type) {
        "attachment"
    } else {
        "inline"
    };
    let ascii: String = file
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(&file.filename, FILENAME_STAR);
    value(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
}

/// Whether `if-none-match` names `etag` (or `*`).
fn none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[derive(Debug, PartialEq, Eq)]
enum Ranged {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

/// The one range of `range: bytes=…` within `size`, as RFC 9110 reads it: `a-b`, `a-` and
/// `-n`; the whole file for no `range`, an `if-range` that is not current, several ranges or a
/// header that does not parse (which servers may ignore), unsatisfiable for a range that starts
/// past the end.
fn requested_range(request: &HeaderMap, etag: &str, size: u64) -> Ranged {
    let Some(spec) = request.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ranged::Whole;
    };
    if let Some(if_range) = request.get(header::IF_RANGE)
        && if_range.to_str().map(str::trim).ok() != Some(etag)
    {
        return Ranged::Whole;
    }
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    if set.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part(size.saturating_sub(n)..size)
            }
        }
        (false, Some(a), end) if last.trim().is_empty() || end.is_some() => {
            if a >= size {
                return Ranged::Unsatisfiable;
            }
            match end {
                Some(b) if b < a => Ranged::Whole,
                Some(b) => Ranged::Part(a..b.saturating_add(1).min(size)),
                None => Ranged::Part(a..size),
            }
        }
        _ => Ranged::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(spec: &str, size: u64) -> Ranged {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, value(spec));
        requested_range(&headers, "\"t\"", size)
    }

    #[test]
    fn reads_one_range() {
        assert_eq!(range("bytes=0-99", 1000), Ranged::Part(0..100));
        assert_eq!(range("bytes=900-", 1000), Ranged::Part(900..1000));
        assert_eq!(range("bytes=-10", 1000), Ranged::Part(990..1000));
        assert_eq!(range("bytes=-5000", 1000), Ranged::Part(0..1000));
        assert_eq!(range("bytes=990-5000", 1000), Ranged::Part(990..1000));
        assert_eq!(range("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=5000-6000", 1000), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=0-1,5-6", 1000), Ranged::Whole);
        assert_eq!(range("bytes=5-2", 1000), Ranged::Whole);
        assert_eq!(range("items=0-1", 1000), Ranged::Whole);
        assert_eq!(range("bytes=x-1", 1000), Ranged::Whole);
        assert_eq!(range("bytes=+1-2", 1000), Ranged::Whole);
    }

    #[test]
    fn names_the_file_safely() {
        let file = StoredFile {
            key: "k".to_owned(),
            filename: "rapport \"final\" é.svg".to_owned(),
            content_type: "image/svg+xml".to_owned(),
            size: 1,
            sha256: "0".repeat(64),
        };
        assert_eq!(
            disposition(&file),
            "attachment; filename=\"rapport _final_ _.svg\"; filename*=UTF-8''rapport%20%22final%22%20%C3%A9.svg"
        );
    }
}
