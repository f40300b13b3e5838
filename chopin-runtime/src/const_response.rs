//! A fast route's response bytes, computed in constant evaluation.
//!
//! `#[fast_route]` turns a constant body into the complete response at compile time: the code it
//! generates evaluates [`response_len`] and [`response`] in `const` items, so the bytes sit in the
//! binary's read-only data and nothing is computed when the server starts. The layout is exactly
//! `FastRoute`'s (a test holds them equal): status line, `date` with 29 blanks that the
//! server overwrites, the declared headers in order, `content-length`, then the body.

/// Bytes before the date's value: `HTTP/1.1 200 OK\r\ndate: `.
const STATUS_AND_DATE: &[u8] = b"HTTP/1.1 200 OK\r\ndate: ";
/// Offset of the date's value in every response built here.
pub const DATE_AT: usize = STATUS_AND_DATE.len();
const DATE_LEN: usize = crate::date::DATE_LEN;

/// The length of the response with these headers (name, value) and this body.
pub const fn response_len(headers: &[(&str, &str)], body: &[u8]) -> usize {
    let mut len = DATE_AT + DATE_LEN + 2;
    let mut i = 0;
    while i < headers.len() {
        len += headers[i].0.len() + 2 + headers[i].1.len() + 2;
        i += 1;
    }
    len + b"content-length: ".len() + digits(body.len()) + 4 + body.len()
}

/// The length of its head: the response of a `HEAD` request.
pub const fn head_len(headers: &[(&str, &str)], body: &[u8]) -> usize {
    response_len(headers, body) - body.len()
}

/// The response, in an array of [`response_len`] bytes. Evaluated in a `const`, a wrong `N` is a
/// compile error.
pub const fn response<const N: usize>(headers: &[(&str, &str)], body: &[u8]) -> [u8; N] {
    assert!(
        N == response_len(headers, body),
        "the array length must be `response_len(headers, body)`"
    );
    let mut out = [b' '; N];
    let mut at = put(&mut out, 0, STATUS_AND_DATE);
    at = put(&mut out, at + DATE_LEN, b"\r\n");
    let mut i = 0;
    while i < headers.len() {
        at = put(&mut out, at, headers[i].0.as_bytes());
        at = put(&mut out, at, b": ");
        at = put(&mut out, at, headers[i].1.as_bytes());
        at = put(&mut out, at, b"\r\n");
        i += 1;
    }
    at = put(&mut out, at, b"content-length: ");
    let mut n = body.len();
    let width = digits(n);
    let mut d = width;
    while d > 0 {
        out[at + d - 1] = b'0' + (n % 10) as u8;
        n /= 10;
        d -= 1;
    }
    at = put(&mut out, at + width, b"\r\n\r\n");
    put(&mut out, at, body);
    out
}

/// Copies `bytes` to `out[at..]` in one step: a byte-by-byte loop would make constant evaluation
/// of a large body (a megabyte from `include_bytes!`) slow enough for rustc to stop it.
const fn put<const N: usize>(out: &mut [u8; N], at: usize, bytes: &[u8]) -> usize {
    let (_, rest) = out.split_at_mut(at);
    let (dst, _) = rest.split_at_mut(bytes.len());
    dst.copy_from_slice(bytes);
    at + bytes.len()
}

const fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FastRoute;
    use crate::compression::Compression;

    const HEADERS: &[(&str, &str)] = &[
        ("content-type", "text/plain; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("access-control-allow-origin", "*"),
        ("x-content-type-options", "nosniff"),
    ];
    const BODY: &[u8] = b"Hello, World!";
    const LEN: usize = response_len(HEADERS, BODY);
    static BYTES: [u8; LEN] = response(HEADERS, BODY);

    #[test]
    fn the_same_bytes_as_a_fast_route_built_at_start_up() {
        let prepared = FastRoute::text("/x", "Hello, World!")
            .cache_control("no-cache")
            .cors()
            .header("x-content-type-options", "nosniff")
            .prepare(Compression::OFF)
            .expect("valid");
        assert_eq!(&BYTES[..], &prepared.full.bytes[..]);
        assert_eq!(DATE_AT, prepared.full.date_at);
        assert_eq!(head_len(HEADERS, BODY), prepared.head_len);
    }

    #[test]
    fn lengths_of_every_width() {
        for n in [0usize, 9, 10, 99, 100, 12345] {
            let body = vec![b'a'; n];
            let len = response_len(&[], &body);
            let expected = format!(
                "HTTP/1.1 200 OK\r\ndate: {}\r\ncontent-length: {n}\r\n\r\n",
                " ".repeat(29)
            );
            assert_eq!(len, expected.len() + n, "{n}");
        }
        const EMPTY: [u8; response_len(&[], b"")] = response(&[], b"");
        assert!(EMPTY.ends_with(b"content-length: 0\r\n\r\n"));
    }
}
