//! The auth cookies, and the CSRF check that makes cookie authentication safe.
//!
//! A browser client gets three cookies: the access token (`HttpOnly`, sent with every request),
//! the refresh token (`HttpOnly`, `SameSite=Strict`, sent only to the auth module's own paths)
//! and a CSRF token its script can read. A request authenticated by cookie and not of a safe
//! method must repeat the CSRF token in the `x-csrf-token` header ([`check_csrf`]): another site
//! can make the browser send the cookies, but it cannot read them to write the header (the
//! double-submit pattern, with `SameSite` as a second line).

use std::time::Duration;

use chopin_runtime::http::{HeaderMap, HeaderValue, Method};
use cookie::{Cookie, SameSite};

use crate::token::constant_time_eq;

/// The cookie holding the access token.
pub const ACCESS_COOKIE: &str = "chopin_access";
/// The cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "chopin_refresh";
/// The cookie holding the CSRF token, readable by the page's script.
pub const CSRF_COOKIE: &str = "chopin_csrf";
/// The header a cookie-authenticated, state-changing request repeats the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How cookies are written: `secure` adds the `Secure` attribute (off only in development over
/// plain http).
#[derive(Clone, Copy, Debug)]
pub struct CookiePolicy {
    /// Whether cookies carry `Secure`, so browsers send them over https only.
    pub secure: bool,
}

impl CookiePolicy {
    /// The `set-cookie` value for the access token: `HttpOnly; SameSite=Lax; Path=/`.
    pub fn access(&self, token: &str, max_age: Duration) -> HeaderValue {
        self.write(ACCESS_COOKIE, token, max_age, "/", true, SameSite::Lax)
    }

    /// The `set-cookie` value for the refresh token: `HttpOnly; SameSite=Strict` and
    /// `Path=<path>`, the auth module's prefix (e.g. `/auth`), so it is sent to nothing else.
    pub fn refresh(&self, token: &str, max_age: Duration, path: &str) -> HeaderValue {
        self.write(REFRESH_COOKIE, token, max_age, path, true, SameSite::Strict)
    }

    /// The `set-cookie` value for the CSRF token: not `HttpOnly` (the page's script reads it to
    /// send [`CSRF_HEADER`]), `SameSite=Lax; Path=/`.
    pub fn csrf(&self, token: &str, max_age: Duration) -> HeaderValue {
        self.write(CSRF_COOKIE, token, max_age, "/", false, SameSite::Lax)
    }

    /// The `set-cookie` value that removes cookie `name` set with `path`: empty, `Max-Age=0`
    /// and an `Expires` in the past.
    pub fn clear(&self, name: &str, path: &str) -> HeaderValue {
        let cookie = Cookie::build((sanitize(name, is_token_char), ""))
            .path(sanitize(path, is_path_char))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .removal()
            .build();
        header_value(&cookie)
    }

    /// A cookie with these attributes.
    fn write(
        &self,
        name: &str,
        value: &str,
        max_age: Duration,
        path: &str,
        http_only: bool,
        same_site: SameSite,
    ) -> HeaderValue {
        let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let cookie = Cookie::build((name, sanitize(value, is_value_char)))
            .path(sanitize(path, is_path_char))
            .http_only(http_only)
            .secure(self.secure)
            .same_site(same_site)
            .max_age(cookie::time::Duration::seconds(seconds))
            .build();
        header_value(&cookie)
    }
}

/// `s` without the characters `allowed` refuses.
///
/// The tokens written here are base64url or JWTs and the paths are the application's own, so
/// nothing is dropped in practice; dropping rather than failing keeps a stray character from
/// splitting the header into attributes nobody asked for.
fn sanitize(s: &str, allowed: fn(u8) -> bool) -> String {
    s.bytes().filter(|b| allowed(*b)).map(char::from).collect()
}

/// RFC 6265 `cookie-octet`: visible ASCII but `"`, `,`, `;` and `\`.
fn is_value_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\')
}

/// RFC 6265 `path-value`, restricted to visible ASCII: no `;`.
fn is_path_char(b: u8) -> bool {
    b.is_ascii_graphic() && b != b';'
}

/// RFC 7230 `tchar`, what a cookie name is made of.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `cookie` as a `set-cookie` value.
fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    // Every part is sanitized to visible ASCII and the attributes the cookie crate adds are
    // ASCII too, so this does not fail; if it ever did, no cookie beats a broken header.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot write a set-cookie header");
        HeaderValue::from_static("")
    })
}

/// The value of cookie `name` in the request's `cookie` headers, across all of them, the first
/// if it is sent more than once. Pairs that do not parse are skipped.
///
/// ```
/// use chopin_auth::cookie::read_cookie;
/// use chopin_runtime::http::{HeaderMap, HeaderValue, header::COOKIE};
///
/// let mut headers = HeaderMap::new();
/// headers.append(COOKIE, HeaderValue::from_static("theme=dark; chopin_access=abc"));
/// assert_eq!(read_cookie(&headers, "chopin_access"), Some("abc"));
/// assert_eq!(read_cookie(&headers, "chopin_refresh"), None);
/// ```
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(chopin_runtime::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .and_then(|cookie| cookie.value_raw())
}

/// Why [`check_csrf`] refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsrfError {
    /// The request has no `chopin_csrf` cookie (or an empty one).
    #[error("the `chopin_csrf` cookie is missing: sign in again to get one")]
    MissingCookie,
    /// The request has no `x-csrf-token` header (or an empty one).
    #[error("the `x-csrf-token` header is missing: send the `chopin_csrf` cookie's value in it")]
    MissingHeader,
    /// The header and the cookie differ.
    #[error("the `x-csrf-token` header does not match the `chopin_csrf` cookie")]
    Mismatch,
}

/// The double-submit check for a cookie-authenticated request: safe methods (GET, HEAD,
/// OPTIONS, TRACE) pass; others need the `x-csrf-token` header equal (constant time) to the
/// `chopin_csrf` cookie.
///
/// # Errors
///
/// Which of the two is missing, or that they differ. An empty value counts as missing, so an
/// empty header can never match an empty cookie.
pub fn check_csrf(method: &Method, headers: &HeaderMap) -> Result<(), CsrfError> {
    // Listed rather than `Method::is_safe`, which also admits `QUERY`: what passes unchecked
    // is exactly the documented four.
    if [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method) {
        return Ok(());
    }
    let cookie = read_cookie(headers, CSRF_COOKIE)
        .filter(|c| !c.is_empty())
        .ok_or(CsrfError::MissingCookie)?;
    let header = headers
        .get(CSRF_HEADER)
        .map(HeaderValue::as_bytes)
        .filter(|h| !h.is_empty())
        .ok_or(CsrfError::MissingHeader)?;
    if constant_time_eq(header, cookie.as_bytes()) {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use chopin_runtime::http::header::COOKIE;

    use super::*;

    const SECURE: CookiePolicy = CookiePolicy { secure: true };
    const PLAIN: CookiePolicy = CookiePolicy { secure: false };

    fn parse(value: &HeaderValue) -> Cookie<'static> {
        Cookie::parse(value.to_str().expect("ascii").to_owned()).expect("a set-cookie value")
    }

    fn max_age(cookie: &Cookie<'_>) -> Option<i64> {
        cookie.max_age().map(|d| d.whole_seconds())
    }

    #[test]
    fn access_cookie_is_http_only_lax_site_wide() {
        let c = parse(&SECURE.access("tok.en-_", Duration::from_secs(900)));
        assert_eq!((c.name(), c.value()), (ACCESS_COOKIE, "tok.en-_"));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(max_age(&c), Some(900));
        assert_eq!(c.domain(), None, "host-only");
    }

    #[test]
    fn refresh_cookie_is_http_only_strict_on_the_auth_prefix() {
        let c = parse(&SECURE.refresh("refresh", Duration::from_secs(86_400 * 30), "/auth"));
        assert_eq!((c.name(), c.value()), (REFRESH_COOKIE, "refresh"));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/auth"));
        assert_eq!(max_age(&c), Some(86_400 * 30));
    }

    #[test]
    fn csrf_cookie_is_readable_by_script() {
        let c = parse(&SECURE.csrf("csrf", Duration::from_secs(3600)));
        assert_eq!((c.name(), c.value()), (CSRF_COOKIE, "csrf"));
        assert_ne!(c.http_only(), Some(true));
        assert!(
            !SECURE
                .csrf("csrf", Duration::from_secs(3600))
                .to_str()
                .expect("ascii")
                .contains("HttpOnly")
        );
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(max_age(&c), Some(3600));
    }

    #[test]
    fn secure_is_off_only_when_the_policy_says_so() {
        for value in [
            PLAIN.access("a", Duration::from_secs(1)),
            PLAIN.refresh("r", Duration::from_secs(1), "/auth"),
            PLAIN.csrf("c", Duration::from_secs(1)),
            PLAIN.clear(ACCESS_COOKIE, "/"),
        ] {
            assert_ne!(parse(&value).secure(), Some(true), "{value:?}");
            assert!(
                !value.to_str().expect("ascii").contains("Secure"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn clear_expires_the_cookie_on_its_path() {
        let c = parse(&SECURE.clear(REFRESH_COOKIE, "/auth"));
        assert_eq!((c.name(), c.value()), (REFRESH_COOKIE, ""));
        assert_eq!(max_age(&c), Some(0));
        assert_eq!(c.path(), Some("/auth"));
        assert_eq!(c.secure(), Some(true));
        let expires = c.expires_datetime().expect("expires");
        assert!(expires < cookie::time::OffsetDateTime::now_utc());
    }

    #[test]
    fn stray_characters_cannot_add_attributes() {
        let value = SECURE.access("tok; Domain=evil.example\r\n", Duration::from_secs(60));
        let text = value.to_str().expect("ascii");
        assert!(!text.contains("; Domain"), "{text}");
        let c = parse(&value);
        assert_eq!(c.value(), "tokDomain=evil.example");
        let c = parse(&SECURE.refresh("r", Duration::from_secs(60), "/auth; Domain=x"));
        assert_eq!(c.domain(), None);
        assert_eq!(c.path(), Some("/authDomain=x"));
        let huge = parse(&SECURE.access("t", Duration::MAX));
        assert_eq!(huge.value(), "t", "a huge max-age still writes a cookie");
        assert!(max_age(&huge).is_some_and(|s| s > 0));
    }

    #[test]
    fn read_cookie_looks_across_cookie_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(read_cookie(&headers, ACCESS_COOKIE), None);
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; lang=en"));
        headers.append(
            COOKIE,
            HeaderValue::from_static("chopin_access=first; chopin_csrf=c1"),
        );
        headers.append(COOKIE, HeaderValue::from_static("chopin_access=second"));
        assert_eq!(read_cookie(&headers, "theme"), Some("dark"));
        assert_eq!(read_cookie(&headers, "lang"), Some("en"));
        assert_eq!(read_cookie(&headers, ACCESS_COOKIE), Some("first"));
        assert_eq!(read_cookie(&headers, CSRF_COOKIE), Some("c1"));
        assert_eq!(read_cookie(&headers, REFRESH_COOKIE), None);
        assert_eq!(read_cookie(&headers, "chopin"), None, "no prefix match");
    }

    #[test]
    fn read_cookie_tolerates_junk() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static(";; junk; =nameless; ;a=1;  spaced = out ;b=2=3;"),
        );
        headers.append(
            COOKIE,
            HeaderValue::from_bytes(b"bin=\xff\xfe").expect("opaque"),
        );
        headers.append(COOKIE, HeaderValue::from_static("chopin_csrf=ok"));
        assert_eq!(read_cookie(&headers, "a"), Some("1"));
        assert_eq!(read_cookie(&headers, "b"), Some("2=3"));
        assert_eq!(read_cookie(&headers, "spaced"), Some("out"));
        assert_eq!(read_cookie(&headers, "junk"), None);
        assert_eq!(read_cookie(&headers, ""), None);
        assert_eq!(read_cookie(&headers, "bin"), None);
        assert_eq!(read_cookie(&headers, CSRF_COOKIE), Some("ok"));
    }

    fn request(cookie: Option<&'static str>, header: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.append(COOKIE, HeaderValue::from_static(cookie));
        }
        if let Some(header) = header {
            headers.append(CSRF_HEADER, HeaderValue::from_static(header));
        }
        headers
    }

    #[test]
    fn csrf_safe_methods_pass_without_tokens() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert_eq!(check_csrf(&method, &HeaderMap::new()), Ok(()), "{method}");
            let mismatched = request(Some("chopin_csrf=a"), Some("b"));
            assert_eq!(check_csrf(&method, &mismatched), Ok(()), "{method}");
        }
    }

    #[test]
    fn csrf_matching_header_and_cookie_pass() {
        let headers = request(Some("x=1; chopin_csrf=t0k3n"), Some("t0k3n"));
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(check_csrf(&method, &headers), Ok(()), "{method}");
        }
        let custom = Method::from_bytes(b"PURGE").expect("method");
        assert_eq!(check_csrf(&custom, &headers), Ok(()));
    }

    #[test]
    fn csrf_refusals_name_what_is_wrong() {
        let post = Method::POST;
        assert_eq!(
            check_csrf(&post, &request(None, Some("t"))),
            Err(CsrfError::MissingCookie)
        );
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf="), Some(""))),
            Err(CsrfError::MissingCookie),
            "empty cookie"
        );
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf=t"), None)),
            Err(CsrfError::MissingHeader)
        );
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf=t"), Some(""))),
            Err(CsrfError::MissingHeader),
            "empty header"
        );
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf=token"), Some("tokem"))),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf=token"), Some("token2"))),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            check_csrf(&Method::DELETE, &request(None, None)),
            Err(CsrfError::MissingCookie)
        );
        // A cookie of another name carrying the header's value does not count.
        assert_eq!(
            check_csrf(&post, &request(Some("csrf=token"), Some("token"))),
            Err(CsrfError::MissingCookie)
        );
    }

    #[test]
    fn csrf_messages_name_the_cookie_and_header() {
        assert!(CsrfError::MissingCookie.to_string().contains(CSRF_COOKIE));
        assert!(CsrfError::MissingHeader.to_string().contains(CSRF_HEADER));
        let mismatch = CsrfError::Mismatch.to_string();
        assert!(mismatch.contains(CSRF_COOKIE) && mismatch.contains(CSRF_HEADER));
    }
}
