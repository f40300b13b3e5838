//! [`ClientAddr`]: who sent a request.
//!
//! The TCP peer, unless the peer is one of the proxies `TRUSTED_PROXIES` lists: then the client is
//! read from the forwarding headers the proxies wrote, `X-Forwarded-For` or else `Forwarded`
//! (RFC 7239), walking from the right. Each proxy appends the address it was reached from, so
//! the right-most entries are written by proxies the server trusts and everything to their left
//! may be the client's own invention: the walk skips the trusted proxies from the right and stops
//! at the first address that is not one, the client as the outermost trusted proxy saw it. A
//! client cannot move that point by sending the headers itself, whatever it writes.
//!
//! Nothing here is worked out before a handler asks: [`ClientAddr::of`] reads the connection's
//! peer and the trusted list from the request's context, and the headers only when the peer is
//! trusted.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::request::Parts;
use http::{HeaderMap, HeaderName};
use ipnet::IpNet;

use crate::config::{canonical, trusted};

/// Who sent a request: its address, the TCP peer it came through, and the scheme the client
/// used.
///
/// Without `TRUSTED_PROXIES` (the default) the client is the TCP peer and the scheme `http`:
/// `X-Forwarded-For`, `Forwarded` and `X-Forwarded-Proto` change nothing, since any client can
/// send them. When the peer is in `TRUSTED_PROXIES`, the client is the right-most address of
/// `X-Forwarded-For` (or else of `Forwarded`'s `for=`) that is not itself a trusted proxy, and the
/// scheme the right-most `X-Forwarded-Proto` (or the `proto=` of that `Forwarded` element); see
/// [`ClientAddr::resolve`] and the guide's deployment chapter, "Behind a proxy".
///
/// An extractor: a handler takes it as an argument.
///
/// ```
/// use chopin_runtime::extract::ClientAddr;
///
/// async fn whoami(client: ClientAddr) -> String {
///     format!("{} over {}", client.ip(), client.scheme())
/// }
/// # let _ = whoami;
/// ```
///
/// IPv4 addresses mapped into IPv6 (`::ffff:192.0.2.1`, as a dual-stack socket reports them) are
/// given as the IPv4 addresses they are, so one client has one [`ClientAddr::ip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr {
    ip: IpAddr,
    peer: SocketAddr,
    scheme: Scheme,
}

/// The scheme a client used to reach the application: `http`, unless a trusted proxy says it was
/// reached over `https`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTP over TLS, ended at a proxy in front of the application.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// `http` or `https` in any case; anything else (`ws`, garbage) is `None`.
    fn parse(value: &str) -> Option<Scheme> {
        if value.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else if value.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ClientAddr {
    /// The client's address, as [`ClientAddr::ip`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ip.fmt(f)
    }
}

impl From<SocketAddr> for ClientAddr {
    fn from(peer: SocketAddr) -> ClientAddr {
        ClientAddr::new(peer)
    }
}

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

impl ClientAddr {
    /// A client that reached the server directly from `peer`, over `http`.
    pub fn new(peer: SocketAddr) -> ClientAddr {
        ClientAddr {
            ip: canonical(peer.ip()),
            peer,
            scheme: Scheme::Http,
        }
    }

    /// A client at `ip` that reached the server through the proxy at `peer`, over `scheme`.
    pub fn forwarded(peer: SocketAddr, ip: IpAddr, scheme: Scheme) -> ClientAddr {
        ClientAddr {
            ip: canonical(ip),
            peer,
            scheme,
        }
    }

    /// The client's address: the TCP peer's, or the one trusted proxies forwarded. What rate
    /// limits and logs should count by.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The TCP peer the request came from: the client itself, or the nearest proxy.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The scheme the client used: `https` only when a trusted proxy says so.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether the address came from a trusted proxy's headers rather than from the socket.
    pub fn is_forwarded(&self) -> bool {
        self.ip != canonical(self.peer.ip())
    }

    /// The client of the request: one put in its extensions, or the one the server works out from
    /// the connection's peer and, when the peer is a trusted proxy, the request's headers.
    pub fn of(parts: &Parts) -> Option<ClientAddr> {
        if let Some(client) = parts.extensions.get::<ClientAddr>() {
            return Some(*client);
        }
        super::CONTEXT
            .try_with(|c| ClientAddr::resolve(c.peer, &parts.headers, &c.app.trusted_proxies))
            .ok()
    }

    /// The client of a request from `peer` with `headers`, when the proxies in `trusted_proxies`
    /// are believed.
    ///
    /// An untrusted peer is the client, whatever the headers say. From a trusted one:
    ///
    /// - the hops of `X-Forwarded-For` (all its lines, in order), or, without it, the `for=` of
    ///   each element of `Forwarded`, are walked from the right; hops that are trusted proxies
    ///   are skipped, and the first that is not is the client. If every hop is trusted, the
    ///   left-most is.
    /// - a hop that does not parse, and a `Forwarded` node that is `unknown` or obfuscated
    ///   (`_hidden`), ends the walk: the last hop read (or the peer) is the client.
    /// - the scheme is the `proto=` of the `Forwarded` element the client was read from, or else
    ///   the right-most `X-Forwarded-Proto`, or else `http`.
    ///
    /// `X-Forwarded-For` is read first because the proxies most often in front of an
    /// application (nginx, Traefik, Envoy, Caddy, cloud load balancers) write it and pass a
    /// client's `Forwarded` through untouched: reading `Forwarded` first would let any client
    /// behind them choose its address.
    ///
    /// ```
    /// use chopin_runtime::extract::{ClientAddr, Scheme};
    /// use http::HeaderMap;
    ///
    /// let proxies = ["10.0.0.0/8".parse().unwrap()];
    /// let mut headers = HeaderMap::new();
    /// // The client wrote the first entry; the proxies 10.0.0.1 and 10.0.0.2 the others.
    /// headers.insert("x-forwarded-for", "10.9.9.9, 203.0.113.7, 10.0.0.1".parse().unwrap());
    /// headers.insert("x-forwarded-proto", "https".parse().unwrap());
    /// let client = ClientAddr::resolve("10.0.0.2:41000".parse().unwrap(), &headers, &proxies);
    /// assert_eq!(client.ip().to_string(), "203.0.113.7");
    /// assert_eq!(client.scheme(), Scheme::Https);
    ///
    /// // The same headers from a peer that is not trusted change nothing.
    /// let client = ClientAddr::resolve("198.51.100.1:41000".parse().unwrap(), &headers, &proxies);
    /// assert_eq!(client.ip().to_string(), "198.51.100.1");
    /// assert_eq!(client.scheme(), Scheme::Http);
    /// ```
    pub fn resolve(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> ClientAddr {
        let direct = ClientAddr::new(peer);
        if !trusted(trusted_proxies, direct.ip) {
            return direct;
        }
        let is_trusted = |ip| trusted(trusted_proxies, ip);
        let (ip, proto) = if headers.contains_key(&X_FORWARDED_FOR) {
            let hops = headers
                .get_all(&X_FORWARDED_FOR)
                .iter()
                .rev()
                .flat_map(|line| line.as_bytes().rsplit(|&b| b == b','))
                .filter(|hop| !hop.trim_ascii().is_empty())
                .map(|hop| {
                    let ip = std::str::from_utf8(hop).ok().and_then(node)?;
                    Some(Hop { ip, proto: None })
                });
            walk(direct.ip, hops, is_trusted)
        } else if headers.contains_key(http::header::FORWARDED) {
            let elements = forwarded_elements(headers);
            walk(direct.ip, elements.into_iter().rev(), is_trusted)
        } else {
            (direct.ip, None)
        };
        let scheme = proto
            .or_else(|| forwarded_proto(headers))
            .unwrap_or(Scheme::Http);
        ClientAddr { ip, peer, scheme }
    }
}

/// One proxy's word: the address it was reached from and, from `Forwarded`, the scheme.
#[derive(Debug, PartialEq, Eq)]
struct Hop {
    ip: IpAddr,
    proto: Option<Scheme>,
}

/// Walks `hops` (right to left; `None` for one that does not parse) from the trusted `peer`:
/// the first hop that is not trusted, or the left-most, or the last read before one that does
/// not parse. Its address (canonical) and scheme.
fn walk(
    peer: IpAddr,
    hops: impl Iterator<Item = Option<Hop>>,
    is_trusted: impl Fn(IpAddr) -> bool,
) -> (IpAddr, Option<Scheme>) {
    let mut last = (peer, None);
    for hop in hops {
        let Some(hop) = hop else {
            break;
        };
        let ip = canonical(hop.ip);
        last = (ip, hop.proto);
        if !is_trusted(ip) {
            break;
        }
    }
    last
}

/// The right-most value of `X-Forwarded-Proto`: the word of the trusted peer, which set or
/// appended it.
fn forwarded_proto(headers: &HeaderMap) -> Option<Scheme> {
    let line = headers.get_all(&X_FORWARDED_PROTO).iter().next_back()?;
    let last = line.to_str().ok()?.rsplit(',').next()?;
    Scheme::parse(last.trim())
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`, with surrounding spaces. A port may be obfuscated
/// (`_port`, RFC 7239). `None` for anything else, `unknown` and obfuscated nodes included.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim_ascii();
    if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let ip = v6.parse::<Ipv6Addr>().ok()?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(port))
            .then_some(IpAddr::V6(ip));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let (v4, rest) = text.split_once(':')?;
    let ip = v4.parse::<Ipv4Addr>().ok()?;
    port(rest).then_some(IpAddr::V4(ip))
}

/// A port, digits or RFC 7239's obfuscated `_token`.
fn port(text: &str) -> bool {
    match text.strip_prefix('_') {
        Some(obfuscated) => {
            !obfuscated.is_empty()
                && obfuscated
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        }
        None => text.len() <= 5 && text.parse::<u16>().is_ok(),
    }
}

/// Each element of the `Forwarded` lines, left to right: its `for` and `proto`, or `None` for an
/// element that does not parse, has no `for`, or names an `unknown` or obfuscated node. A quote
/// left open swallows the rest of its line into one element, which does not parse.
fn forwarded_elements(headers: &HeaderMap) -> Vec<Option<Hop>> {
    let mut out = Vec::new();
    for line in headers.get_all(http::header::FORWARDED) {
        let Ok(line) = line.to_str() else {
            out.push(None);
            continue;
        };
        let (pieces, closed) = split_unquoted(line, b',');
        let count = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            if piece.trim_ascii().is_empty() {
                continue;
            }
            let whole = closed || i + 1 < count;
            out.push(if whole { element(piece) } else { None });
        }
    }
    out
}

/// One `Forwarded` element: `for=…;proto=…;by=…`, names in any case, values tokens or quoted
/// strings.
fn element(text: &str) -> Option<Hop> {
    let (pairs, _) = split_unquoted(text, b';');
    let mut ip = None;
    let mut proto = None;
    for pair in pairs {
        let pair = pair.trim_ascii();
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=')?;
        let value = unquote(value.trim_ascii())?;
        if name.trim_ascii().eq_ignore_ascii_case("for") {
            if ip.is_some() {
                return None;
            }
            ip = Some(node(&value)?);
        } else if name.trim_ascii().eq_ignore_ascii_case("proto") {
            proto = Scheme::parse(&value);
        }
    }
    Some(Hop { ip: ip?, proto })
}

/// `text` split at `sep` outside quoted strings, and whether every quote was closed.
fn split_unquoted(text: &str, sep: u8) -> (Vec<&str>, bool) {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, b) in text.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            // `sep` is ASCII: `i` is a character boundary.
            pieces.push(&text[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    (pieces, !quoted)
}

/// A token as it is, a quoted string without its quotes and escapes; `None` for a quote that does
/// not close at the end.
fn unquote(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let Some(inner) = value.strip_prefix('"') else {
        return (!value.contains('"')).then_some(value.into());
    };
    let inner = inner.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(inner.into());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROXIES: &[&str] = &["127.0.0.1/32", "10.0.0.0/8", "2001:db8:ffff::/48"];

    fn proxies() -> Vec<IpNet> {
        PROXIES
            .iter()
            .map(|p| p.parse().expect("a CIDR block"))
            .collect()
    }

    /// The client of a request from `peer` with `headers` (name, value; repeated names are
    /// several lines), as `ip scheme`.
    fn client(peer: &str, headers: &[(&str, &str)]) -> String {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                http::HeaderValue::from_bytes(value.as_bytes()).expect("a header value"),
            );
        }
        let client = ClientAddr::resolve(peer.parse().expect("a peer"), &map, &proxies());
        format!("{} {}", client.ip(), client.scheme())
    }

    const PROXY: &str = "127.0.0.1:50000";

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let spoof = [
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9;proto=https"),
            ("x-forwarded-proto", "https"),
        ];
        assert_eq!(client("198.51.100.1:1234", &spoof), "198.51.100.1 http");
        // No proxies trusted at all: the default.
        let mut map = HeaderMap::new();
        map.insert(&X_FORWARDED_FOR, "203.0.113.9".parse().expect("a value"));
        let peer = "127.0.0.1:1".parse().expect("a peer");
        let direct = ClientAddr::resolve(peer, &map, &[]);
        assert_eq!(direct, ClientAddr::new(peer));
        assert!(!direct.is_forwarded());
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "127.0.0.1 http"),
            (&[("x-forwarded-for", "203.0.113.7")], "203.0.113.7 http"),
            // The client injected a trusted address on the left: skipped over, never reached.
            (
                &[("x-forwarded-for", "10.1.2.3, 203.0.113.7")],
                "203.0.113.7 http",
            ),
            // ...or an arbitrary one.
            (
                &[("x-forwarded-for", "198.51.100.66, 203.0.113.7, 10.0.0.1")],
                "203.0.113.7 http",
            ),
            // Every hop trusted: the left-most.
            (
                &[("x-forwarded-for", "10.0.0.9, 10.0.0.1")],
                "10.0.0.9 http",
            ),
            // Lines join in order.
            (
                &[
                    ("x-forwarded-for", "198.51.100.66"),
                    ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
                ],
                "203.0.113.7 http",
            ),
            (
                &[
                    ("x-forwarded-for", "203.0.113.7"),
                    ("x-forwarded-for", "10.0.0.1"),
                ],
                "203.0.113.7 http",
            ),
            // Ports, brackets and spaces as proxies write them; empty entries are ignored.
            (
                &[("x-forwarded-for", " 203.0.113.7:4711 ,, 10.0.0.1 ")],
                "203.0.113.7 http",
            ),
            (
                &[("x-forwarded-for", "[2001:db8::1]:4711")],
                "2001:db8::1 http",
            ),
            (&[("x-forwarded-for", "2001:db8::1")], "2001:db8::1 http"),
            (
                &[("x-forwarded-for", "2001:db8::1, 2001:db8:ffff::1")],
                "2001:db8::1 http",
            ),
            // A mapped IPv4 hop is the IPv4 address, trusted or not.
            (
                &[("x-forwarded-for", "::ffff:203.0.113.7, ::ffff:10.0.0.1")],
                "203.0.113.7 http",
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(&client(PROXY, headers), expected, "{headers:?}");
        }
    }

    #[test]
    fn garbage_ends_the_walk_at_the_last_good_hop() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-forwarded-for", "not an address")], "127.0.0.1 http"),
            (
                &[("x-forwarded-for", "203.0.113.7, nope")],
                "127.0.0.1 http",
            ),
            (
                &[("x-forwarded-for", "203.0.113.7, nope, 10.0.0.1")],
                "10.0.0.1 http",
            ),
            (&[("x-forwarded-for", "1.2.3.4.5")], "127.0.0.1 http"),
            (
                &[("x-forwarded-for", "203.0.113.7:99999")],
                "127.0.0.1 http",
            ),
            (&[("x-forwarded-for", "[2001:db8::1")], "127.0.0.1 http"),
            (&[("x-forwarded-for", "[203.0.113.7]")], "127.0.0.1 http"),
            (&[("x-forwarded-for", "2001:db8::1]:80")], "127.0.0.1 http"),
            (&[("x-forwarded-for", "unknown")], "127.0.0.1 http"),
            (&[("x-forwarded-for", "\u{e9}")], "127.0.0.1 http"),
            (&[("x-forwarded-for", "")], "127.0.0.1 http"),
            (&[("forwarded", "for")], "127.0.0.1 http"),
            (&[("forwarded", "for=\"[2001:db8::1]")], "127.0.0.1 http"),
            (&[("forwarded", "for=\"\\")], "127.0.0.1 http"),
            (
                &[("forwarded", "for=1.2.3.4;for=5.6.7.8")],
                "127.0.0.1 http",
            ),
            (&[("forwarded", "by=10.0.0.1")], "127.0.0.1 http"),
            (&[("forwarded", "=;=,;\"")], "127.0.0.1 http"),
            (&[("x-forwarded-proto", "gopher")], "127.0.0.1 http"),
        ];
        for (headers, expected) in cases {
            assert_eq!(&client(PROXY, headers), expected, "{headers:?}");
        }
        // Whatever bytes a header holds, nothing panics.
        for bytes in [
            &b"\xff\xfe"[..],
            b"\"",
            b"[",
            b"[]:",
            b"_",
            b",,,",
            b";;",
            b"\\\"",
        ] {
            for name in ["x-forwarded-for", "forwarded", "x-forwarded-proto"] {
                let mut map = HeaderMap::new();
                map.insert(
                    HeaderName::from_static(name),
                    http::HeaderValue::from_bytes(bytes).expect("a value"),
                );
                let peer = PROXY.parse().expect("a peer");
                assert_eq!(
                    ClientAddr::resolve(peer, &map, &proxies()).ip(),
                    IpAddr::from([127, 0, 0, 1])
                );
            }
        }
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("forwarded", "for=203.0.113.7")], "203.0.113.7 http"),
            (
                &[("forwarded", "For=\"[2001:db8::1]:4711\";Proto=HTTPS")],
                "2001:db8::1 https",
            ),
            (
                &[(
                    "forwarded",
                    "for=198.51.100.66, for=203.0.113.7;proto=https;by=10.0.0.1, for=10.0.0.1;proto=http",
                )],
                "203.0.113.7 https",
            ),
            (
                &[
                    ("forwarded", "for=203.0.113.7;proto=https"),
                    ("forwarded", "for=10.0.0.1"),
                ],
                "203.0.113.7 https",
            ),
            (
                &[("forwarded", "for=203.0.113.7:_port;by=\"a,b;c\"")],
                "203.0.113.7 http",
            ),
            (
                &[("forwarded", "for=\"203.0.\\113.7\"")],
                "203.0.113.7 http",
            ),
            // Unknown and obfuscated nodes end the walk at the last hop that was known.
            (
                &[("forwarded", "for=203.0.113.7, for=unknown, for=10.0.0.1")],
                "10.0.0.1 http",
            ),
            (
                &[("forwarded", "for=_hidden;proto=https")],
                "127.0.0.1 http",
            ),
            // A quote left open in the client's part swallows the rest of its line.
            (
                &[("forwarded", "for=\"198.51.100.66, for=203.0.113.7")],
                "127.0.0.1 http",
            ),
            // Without `proto=`, the scheme is `X-Forwarded-Proto`'s.
            (
                &[
                    ("forwarded", "for=203.0.113.7"),
                    ("x-forwarded-proto", "https"),
                ],
                "203.0.113.7 https",
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(&client(PROXY, headers), expected, "{headers:?}");
        }
    }

    #[test]
    fn x_forwarded_for_is_read_before_a_forwarded_the_proxy_passed_through() {
        let headers = [
            ("forwarded", "for=198.51.100.66;proto=https"),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(client(PROXY, &headers), "203.0.113.7 http");
    }

    #[test]
    fn the_scheme_is_the_right_most_forwarded_proto() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-forwarded-proto", "https")], "127.0.0.1 https"),
            (&[("x-forwarded-proto", "HTTPS")], "127.0.0.1 https"),
            (&[("x-forwarded-proto", "https, http")], "127.0.0.1 http"),
            (
                &[
                    ("x-forwarded-proto", "http"),
                    ("x-forwarded-proto", "https"),
                ],
                "127.0.0.1 https",
            ),
            (
                &[
                    ("x-forwarded-for", "203.0.113.7"),
                    ("x-forwarded-proto", "https"),
                ],
                "203.0.113.7 https",
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(&client(PROXY, headers), expected, "{headers:?}");
        }
    }

    #[test]
    fn a_mapped_ipv4_peer_is_its_ipv4_address() {
        // Trusted as 127.0.0.1 is.
        let headers = [("x-forwarded-for", "203.0.113.7")];
        assert_eq!(
            client("[::ffff:127.0.0.1]:5000", &headers),
            "203.0.113.7 http"
        );
        // Untrusted: the client, as IPv4.
        let peer: SocketAddr = "[::ffff:198.51.100.1]:5000".parse().expect("a peer");
        let direct = ClientAddr::resolve(peer, &HeaderMap::new(), &proxies());
        assert_eq!(direct.ip(), IpAddr::from([198, 51, 100, 1]));
        assert_eq!(direct.peer(), peer);
        assert!(!direct.is_forwarded());
        // An IPv6 peer in a trusted block.
        assert_eq!(
            client("[2001:db8:ffff::2]:5000", &headers),
            "203.0.113.7 http"
        );
        assert_eq!(
            client("[2001:db8:fffe::2]:5000", &headers),
            "2001:db8:fffe::2 http"
        );
    }

    #[test]
    fn an_address_in_the_extensions_wins() {
        let peer = "192.0.2.1:1".parse().expect("a peer");
        let chosen = ClientAddr::forwarded(peer, IpAddr::from([203, 0, 113, 7]), Scheme::Https);
        let mut req = http::Request::new(());
        req.extensions_mut().insert(chosen);
        let (parts, ()) = req.into_parts();
        assert_eq!(ClientAddr::of(&parts), Some(chosen));
        assert!(chosen.is_forwarded());
        assert_eq!(chosen.to_string(), "203.0.113.7");
        // Outside a server's request and without one: none.
        let (parts, ()) = http::Request::new(()).into_parts();
        assert_eq!(ClientAddr::of(&parts), None);
    }
}
