//! The HTTP layer's settings: request ids, compression, the access log, CORS of dynamic routes,
//! metrics, readiness, and which proxies are trusted to say who the client is.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::{ConfigError, Var, Vars};

/// What the server does around every request besides routing it; each part switchable by an
/// environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http {
    /// Whether dynamic responses carry `x-request-id`: the client's when well-formed, otherwise
    /// a new one. Variable `REQUEST_ID`, default `true`.
    pub request_id: bool,
    /// Whether responses are compressed (gzip, brotli) when the client accepts it and they are
    /// at least [`Http::compression_min_bytes`] long. Variable `COMPRESSION`, default `true`.
    pub compression: bool,
    /// The smallest body worth compressing. Variable `COMPRESSION_MIN_BYTES`, default 1024.
    pub compression_min_bytes: u16,
    /// Whether every dynamic request is logged (method, route, status, latency, request id) at
    /// `info` on the target `chopin::access`. Variable `ACCESS_LOG`, default `true`.
    pub access_log: bool,
    /// CORS for dynamic routes, or `None` (the default) for none. Variable `CORS_ALLOW_ORIGINS`
    /// and the other `CORS_*` ones; see [`Cors`].
    pub cors: Option<Cors>,
    /// Where Prometheus scrapes the metrics, or `None` (the default) not to serve them.
    /// Variable `METRICS_PATH`.
    pub metrics_path: Option<String>,
    /// Where a load balancer asks whether the application can serve (its database and cache
    /// answer), or `None` (the default). Variable `READY_PATH`.
    pub ready_path: Option<String>,
    /// The proxies whose `Forwarded` and `X-Forwarded-*` headers are believed. Variable
    /// `TRUSTED_PROXIES`: addresses or CIDR blocks, comma-separated; default none.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            request_id: true,
            compression: true,
            compression_min_bytes: 1024,
            access_log: true,
            cors: None,
            metrics_path: None,
            ready_path: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Cross-origin access to the dynamic routes, from `CORS_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// The origins allowed (`https://app.example.com`), or `None` for any (`*`). Variable
    /// `CORS_ALLOW_ORIGINS`, comma-separated.
    pub allow_origins: Option<Vec<String>>,
    /// The methods allowed. Variable `CORS_ALLOW_METHODS`, default `GET, HEAD, POST, PUT, PATCH,
    /// DELETE`.
    pub allow_methods: Vec<String>,
    /// The request headers allowed. Variable `CORS_ALLOW_HEADERS`, default `authorization,
    /// content-type, x-csrf-token, x-request-id`.
    pub allow_headers: Vec<String>,
    /// The response headers a script may read. Variable `CORS_EXPOSE_HEADERS`, default
    /// `x-request-id, location`.
    pub expose_headers: Vec<String>,
    /// Whether cookies and credentials go along. Variable `CORS_ALLOW_CREDENTIALS`, default
    /// `false`; not with any origin (`*`).
    pub allow_credentials: bool,
    /// How long a browser may keep a preflight's answer. Variable `CORS_MAX_AGE_SECS`, default
    /// 86 400, as the fast routes' preflights.
    pub max_age: Duration,
}

fn list(var: &Var) -> Option<Vec<String>> {
    var.value().map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Http {
    pub(super) fn read(vars: &Vars, d: Http) -> Result<Http, ConfigError> {
        let var = |name: &'static str| vars.get(name);
        let min_bytes = var("COMPRESSION_MIN_BYTES")
            .ranged(0, u16::MAX.into(), "a byte count from 0 to 65535")?
            .map(|n| u16::try_from(n).unwrap_or(u16::MAX));
        Ok(Http {
            request_id: var("REQUEST_ID").boolean()?.unwrap_or(d.request_id),
            compression: var("COMPRESSION").boolean()?.unwrap_or(d.compression),
            compression_min_bytes: min_bytes.unwrap_or(d.compression_min_bytes),
            access_log: var("ACCESS_LOG").boolean()?.unwrap_or(d.access_log),
            cors: Cors::read(vars)?.or(d.cors),
            metrics_path: var("METRICS_PATH").route_path()?.unwrap_or(d.metrics_path),
            ready_path: var("READY_PATH").route_path()?.unwrap_or(d.ready_path),
            trusted_proxies: proxies(&var("TRUSTED_PROXIES"))?.unwrap_or(d.trusted_proxies),
        })
    }

    /// Whether a peer at `addr` is a trusted proxy.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        trusted(&self.trusted_proxies, addr)
    }
}

/// Whether `addr` is in one of `proxies`, an IPv4 address mapped into IPv6 being the IPv4
/// address it is.
pub(crate) fn trusted(proxies: &[IpNet], addr: IpAddr) -> bool {
    let addr = canonical(addr);
    proxies.iter().any(|net| net.contains(&addr))
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`, as a dual-stack socket reports it) as
/// the IPv4 address it is.
pub(crate) fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn proxies(var: &Var) -> Result<Option<Vec<IpNet>>, ConfigError> {
    let expected = "addresses or CIDR blocks, comma-separated, such as 10.0.0.0/8, 127.0.0.1";
    let Some(items) = list(var) else {
        return Ok(None);
    };
    items
        .iter()
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| var.invalid(expected))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

impl Cors {
    /// `None` when `CORS_ALLOW_ORIGINS` is not set: no CORS for dynamic routes.
    fn read(vars: &Vars) -> Result<Option<Cors>, ConfigError> {
        let origins_var = vars.get("CORS_ALLOW_ORIGINS");
        let Some(origins) = list(&origins_var) else {
            return Ok(None);
        };
        let any = origins.iter().any(|o| o == "*");
        if any && origins.len() > 1 {
            return Err(
                origins_var.invalid("`*` alone, or origins such as https://app.example.com")
            );
        }
        for origin in &origins {
            let valid = origin == "*"
                || ((origin.starts_with("https://") || origin.starts_with("http://"))
                    && !origin.ends_with('/')
                    && origin.bytes().all(|b| b.is_ascii_graphic()));
            if !valid {
                return Err(origins_var.invalid(
                    "origins such as https://app.example.com (scheme, host, port; no path), comma-separated, or `*`",
                ));
            }
        }
        let allow_credentials = vars
            .get("CORS_ALLOW_CREDENTIALS")
            .boolean()?
            .unwrap_or(false);
        if any && allow_credentials {
            return Err(ConfigError::Conflict(
                "`CORS_ALLOW_ORIGINS=*` with `CORS_ALLOW_CREDENTIALS=true` would let every site act with a visitor's cookies, and browsers refuse it: list the origins in CORS_ALLOW_ORIGINS, or turn CORS_ALLOW_CREDENTIALS off".to_owned(),
            ));
        }
        let header_names =
            |name: &'static str, default: &[&str]| -> Result<Vec<String>, ConfigError> {
                let var = vars.get(name);
                let items = list(&var).unwrap_or_else(|| words(default));
                if items.iter().any(|h| h.parse::<http::HeaderName>().is_err()) {
                    return Err(var.invalid("header names, comma-separated"));
                }
                Ok(items)
            };
        let methods_var = vars.get("CORS_ALLOW_METHODS");
        let allow_methods = list(&methods_var)
            .unwrap_or_else(|| words(&["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]));
        if allow_methods
            .iter()
            .any(|m| m.parse::<http::Method>().is_err())
        {
            return Err(methods_var.invalid("methods, comma-separated, such as GET, POST"));
        }
        Ok(Some(Cors {
            allow_origins: (!any).then_some(origins),
            allow_methods,
            allow_headers: header_names(
                "CORS_ALLOW_HEADERS",
                &[
                    "authorization",
                    "content-type",
                    "x-csrf-token",
                    "x-request-id",
                ],
            )?,
            expose_headers: header_names("CORS_EXPOSE_HEADERS", &["x-request-id", "location"])?,
            allow_credentials,
            max_age: vars
                .get("CORS_MAX_AGE_SECS")
                .parse::<u64>("a number of seconds")?
                .map_or(Duration::from_secs(86_400), Duration::from_secs),
        }))
    }
}
