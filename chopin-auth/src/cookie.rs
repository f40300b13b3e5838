//! The auth cookies, and the CSRF check that makes cookie authentication safe.
//!
//! A browser client gets three cookies: the access token (`HttpOnly`, sent with every request),
//! the refresh token (`HttpOnly`, `SameSite=Strict`, sent only to the auth module's own paths)
//! and a CSRF token its script can read. A request authenticated by cookie and not of a safe
//! method must repeat the CSRF token in the `x-csrf-token` header ([`check_csrf`]): another site
//! can make the browser send the cookies, but it cannot read them to write the header, and the
//! token is an HMAC of the session ([`CsrfKey`]), so a value the attacker planted (a cookie set
//! from a sibling subdomain) does not pass either (the signed double-submit pattern, with
//! `SameSite` as a further line).
//!
//! Over https (everywhere but development) the names carry the browsers' prefixes: the access and
//! CSRF cookies are `__Host-` (only this host, `Secure`, `Path=/`: no subdomain can set or
//! shadow them), the refresh cookie, whose path is the module's, `__Secure-`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chopin_runtime::http::{HeaderMap, HeaderValue, Method};
use cookie::{Cookie, SameSite};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::seal::derive_key;
use crate::token::constant_time_eq;

/// The cookie holding the access token (`__Host-chopin_access` over https).
pub const ACCESS_COOKIE: &str = "chopin_access";
/// The cookie holding the refresh token (`__Secure-chopin_refresh` over https).
pub const REFRESH_COOKIE: &str = "chopin_refresh";
/// The cookie holding the CSRF token, readable by the page's script (`__Host-chopin_csrf` over
/// https).
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
    /// The access token's cookie name: `__Host-chopin_access` when `secure`, else
    /// [`ACCESS_COOKIE`].
    pub fn access_name(&self) -> &'static str {
        if self.secure {
            "__Host-chopin_access"
        } else {
            ACCESS_COOKIE
        }
    }

    /// The refresh token's cookie name: `__Secure-chopin_refresh` when `secure` (its path is
    /// not `/`, which `__Host-` requires), else [`REFRESH_COOKIE`].
    pub fn refresh_name(&self) -> &'static str {
        if self.secure {
            "__Secure-chopin_refresh"
        } else {
            REFRESH_COOKIE
        }
    }

    /// The CSRF token's cookie name: `__Host-chopin_csrf` when `secure`, else [`CSRF_COOKIE`].
    pub fn csrf_name(&self) -> &'static str {
        if self.secure {
            "__Host-chopin_csrf"
        } else {
            CSRF_COOKIE
        }
    }

    /// The `set-cookie` value for the access token: `HttpOnly; SameSite=Lax; Path=/`.
    pub fn access(&self, token: &str, max_age: Duration) -> HeaderValue {
        self.write(self.access_name(), token, max_age, "/", true, SameSite::Lax)
    }

    /// The `set-cookie` value for the refresh token: `HttpOnly; SameSite=Strict` and
    /// `Path=<path>`, the auth module's prefix (e.g. `/auth`), so it is sent to nothing else.
    pub fn refresh(&self, token: &str, max_age: Duration, path: &str) -> HeaderValue {
        let name = self.refresh_name();
        self.write(name, token, max_age, path, true, SameSite::Strict)
    }

    /// The `set-cookie` value for the CSRF token: not `HttpOnly` (the page's script reads it to
    /// send [`CSRF_HEADER`]), `SameSite=Lax; Path=/`.
    pub fn csrf(&self, token: &str, max_age: Duration) -> HeaderValue {
        self.write(self.csrf_name(), token, max_age, "/", false, SameSite::Lax)
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

/// The key CSRF tokens are made with: derived from the access tokens' secret, so every instance
/// that accepts a session's access token accepts its CSRF token.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}

impl CsrfKey {
    /// The key for `secret` (the `JWT_SECRET`).
    pub fn new(secret: &[u8]) -> CsrfKey {
        CsrfKey(derive_key(secret, b"chopin csrf v1"))
    }

    /// The CSRF token of `session`: HMAC-SHA256 of its id, base64url (43 characters). It
    /// changes with the session, so a token learnt from one session is worth nothing in another.
    ///
    /// ```
    /// use chopin_auth::cookie::CsrfKey;
    ///
    /// let key = CsrfKey::new(b"the access tokens' secret, 32 bytes or more");
    /// assert_eq!(key.token(7), key.token(7));
    /// assert_ne!(key.token(7), key.token(8));
    /// assert_eq!(key.token(7).len(), 43);
    /// ```
    pub fn token(&self, session: i64) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"session|");
        mac.update(session.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// Why [`check_csrf`] refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsrfError {
    /// The request has no `x-csrf-token` header (or an empty one).
    #[error(
        "the `x-csrf-token` header is missing: send the value of the `chopin_csrf` cookie \
         (`__Host-chopin_csrf` over https) in it"
    )]
    MissingHeader,
    /// The header is not the session's token.
    #[error(
        "the `x-csrf-token` header is not this session's CSRF token (the `chopin_csrf` cookie)"
    )]
    Mismatch,
}

/// The CSRF check for a cookie-authenticated request of `session`: safe methods (GET, HEAD,
/// OPTIONS, TRACE) pass; others need the `x-csrf-token` header equal (constant time) to
/// `key`'s token for the session, the value its CSRF cookie was given at sign-in. What the
/// cookie holds now does not count: a cookie an attacker planted, with a header to match, is
/// refused.
///
/// # Errors
///
/// The header is missing (or empty), or not the session's token.
pub fn check_csrf(
    method: &Method,
    headers: &HeaderMap,
    key: &CsrfKey,
    session: i64,
) -> Result<(), CsrfError> {
    // Listed rather than `Method::is_safe`, which also admits `QUERY`: what passes unchecked
    // is exactly the documented four.
    if [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method) {
        return Ok(());
    }
    let header = headers
        .get(CSRF_HEADER)
        .map(HeaderValue::as_bytes)
        .filter(|h| !h.is_empty())
        .ok_or(CsrfError::MissingHeader)?;
    if constant_time_eq(header, key.token(session).as_bytes()) {
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
        assert_eq!((c.name(), c.value()), (SECURE.access_name(), "tok.en-_"));
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
        assert_eq!((c.name(), c.value()), (SECURE.refresh_name(), "refresh"));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/auth"));
        assert_eq!(max_age(&c), Some(86_400 * 30));
    }

    #[test]
    fn csrf_cookie_is_readable_by_script() {
        let c = parse(&SECURE.csrf("csrf", Duration::from_secs(3600)));
        assert_eq!((c.name(), c.value()), (SECURE.csrf_name(), "csrf"));
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

    const KEY: &[u8] = b"test-secret-test-secret-test-secret-0123";

    fn request(cookie: Option<&'static str>, header: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.append(COOKIE, HeaderValue::from_static(cookie));
        }
        if let Some(header) = header {
            headers.append(CSRF_HEADER, HeaderValue::from_str(header).expect("ascii"));
        }
        headers
    }

    #[test]
    fn csrf_safe_methods_pass_without_tokens() {
        let key = CsrfKey::new(KEY);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert_eq!(check_csrf(&method, &HeaderMap::new(), &key, 1), Ok(()));
            let wrong = request(Some("chopin_csrf=a"), Some("a"));
            assert_eq!(check_csrf(&method, &wrong, &key, 1), Ok(()), "{method}");
        }
    }

    #[test]
    fn csrf_the_sessions_token_passes() {
        let key = CsrfKey::new(KEY);
        let token = key.token(42);
        let headers = request(None, Some(&token));
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(check_csrf(&method, &headers, &key, 42), Ok(()), "{method}");
        }
        let custom = Method::from_bytes(b"PURGE").expect("method");
        assert_eq!(check_csrf(&custom, &headers, &key, 42), Ok(()));
    }

    #[test]
    fn csrf_refusals_name_what_is_wrong() {
        let key = CsrfKey::new(KEY);
        let post = Method::POST;
        let token = key.token(42);
        assert_eq!(
            check_csrf(&post, &request(Some("chopin_csrf=t"), None), &key, 42),
            Err(CsrfError::MissingHeader)
        );
        assert_eq!(
            check_csrf(&post, &request(None, Some("")), &key, 42),
            Err(CsrfError::MissingHeader),
            "empty header"
        );
        // An attacker's pair: a planted cookie and a header to match.
        let planted = request(Some("chopin_csrf=attacker"), Some("attacker"));
        assert_eq!(
            check_csrf(&post, &planted, &key, 42),
            Err(CsrfError::Mismatch)
        );
        // Another session's token, and another key's.
        assert_eq!(
            check_csrf(&post, &request(None, Some(&token)), &key, 43),
            Err(CsrfError::Mismatch)
        );
        let other = CsrfKey::new(b"another secret, thirty-two bytes or more");
        assert_eq!(
            check_csrf(&post, &request(None, Some(&token)), &other, 42),
            Err(CsrfError::Mismatch)
        );
        let truncated = &token[..42];
        assert_eq!(
            check_csrf(&post, &request(None, Some(truncated)), &key, 42),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn csrf_messages_name_the_cookie_and_header() {
        for error in [CsrfError::MissingHeader, CsrfError::Mismatch] {
            let message = error.to_string();
            assert!(message.contains(CSRF_COOKIE) && message.contains(CSRF_HEADER));
        }
        assert!(!format!("{:?}", CsrfKey::new(KEY)).contains("test-secret"));
    }

    #[test]
    fn over_https_the_names_carry_the_browsers_prefixes() {
        let hour = Duration::from_secs(3600);
        let access = parse(&SECURE.access("a", hour));
        assert_eq!(access.name(), "__Host-chopin_access");
        let csrf = parse(&SECURE.csrf("c", hour));
        assert_eq!(csrf.name(), "__Host-chopin_csrf");
        // `__Host-`: Secure, Path=/, no Domain.
        for c in [&access, &csrf] {
            assert_eq!(
                (c.secure(), c.path(), c.domain()),
                (Some(true), Some("/"), None)
            );
        }
        let refresh = parse(&SECURE.refresh("r", hour, "/auth"));
        assert_eq!(refresh.name(), "__Secure-chopin_refresh");
        assert_eq!(refresh.secure(), Some(true));
        // Plain http (development) cannot set prefixed cookies: the plain names.
        assert_eq!(parse(&PLAIN.access("a", hour)).name(), ACCESS_COOKIE);
        assert_eq!(parse(&PLAIN.csrf("c", hour)).name(), CSRF_COOKIE);
        assert_eq!(
            parse(&PLAIN.refresh("r", hour, "/auth")).name(),
            REFRESH_COOKIE
        );
    }
}
