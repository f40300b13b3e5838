//! What runs around every dynamic request: the defaults of `Config::http` (request ids, CORS,
//! compression, the access log and metrics) and the tower layers an application adds with
//! `App::layer`.
//!
//! Two places, for two costs:
//! - around the whole router, once per request, with tower-http's middleware: the request id is
//!   set (the client's, when well-formed, or a new one) and echoed, CORS answered, the response
//!   compressed. These need nothing of the route.
//! - around each route ([`observe`], with `Router::layer`), where axum has put the matched route
//!   in the request: the request's span, its access log line and its metrics, labelled by the
//!   route's pattern (`/posts/{id}`), never by the raw path.
//!
//! Fast routes get none of this: their responses are the same bytes for every request.

#[cfg(feature = "metrics")]
pub(crate) mod metrics;
pub(crate) mod observe;

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::routing::future::RouteFuture;
use futures_util::future::Either;
use http::{HeaderName, HeaderValue, Method, Request, Response};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceBuilder};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

use crate::config::{Cors, Http};

/// The application's dynamic side, as the server calls it: the router alone when every default
/// around it is off (so that turning them off costs nothing: no box, no wrapper), or the router
/// inside them.
#[derive(Clone)]
pub(crate) enum Dynamic {
    /// The router by itself.
    Router(Router),
    /// The router inside the defaults, boxed once (each default's type differs).
    Layered(BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>),
}

impl Service<Request<Body>> for Dynamic {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<
        RouteFuture<Infallible>,
        <BoxCloneSyncService<Request<Body>, Response<Body>, Infallible> as Service<
            Request<Body>,
        >>::Future,
    >;

    /// Always ready: axum's router is, and the defaults add no back-pressure.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        match self {
            Dynamic::Router(router) => Either::Left(router.call(req)),
            Dynamic::Layered(stack) => Either::Right(stack.call(req)),
        }
    }
}

/// The request id's header.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `router` inside the defaults `http` turns on.
pub(crate) fn wrap(router: Router, http: &Http) -> Dynamic {
    let ids = http.request_id;
    let compress = cfg!(feature = "compression") && http.compression;
    if !ids && http.cors.is_none() && !compress {
        return Dynamic::Router(router);
    }
    let stack = ServiceBuilder::new()
        .option_layer(ids.then(|| SetRequestIdLayer::new(X_REQUEST_ID, NextId)))
        .option_layer(ids.then(|| PropagateRequestIdLayer::new(X_REQUEST_ID)))
        .option_layer(http.cors.as_ref().map(cors_layer));
    #[cfg(feature = "compression")]
    if compress {
        let stack = stack
            .map_response(|res: Response<_>| res.map(Body::new))
            .layer(compression_layer(http.compression_min_bytes));
        return Dynamic::Layered(BoxCloneSyncService::new(stack.service(router)));
    }
    Dynamic::Layered(BoxCloneSyncService::new(stack.service(router)))
}

/// Whether a client's `x-request-id` is kept: 1 to 128 characters of letters, digits and
/// `-_.:+/=`, which covers UUIDs, ULIDs, W3C trace ids and base64; anything else (spaces,
/// quotes, control characters, a value made to forge log lines) is replaced by a new one.
pub(crate) fn well_formed(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+/=".contains(b))
}

/// New request ids: 16 hex digits chosen when the process starts, then a counter, as
/// `3f9a0c41d2e87b15-0000000000002a`. Unique within the process and, by the random start,
/// across processes; no system call or lock per request.
#[derive(Clone, Copy)]
struct NextId;

static NEXT: AtomicU64 = AtomicU64::new(0);

fn process_prefix() -> u64 {
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PREFIX.get_or_init(|| {
        // Random enough to tell processes apart: the std hasher's per-process random keys
        // over the start time and the process id.
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    })
}

impl MakeRequestId for NextId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}-{n:014x}", process_prefix());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

fn cors_layer(cors: &Cors) -> CorsLayer {
    let values = |items: &[String]| -> Vec<HeaderValue> {
        items
            .iter()
            .filter_map(|s| HeaderValue::from_str(s).ok())
            .collect()
    };
    let origin = match &cors.allow_origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(values(list)),
    };
    let methods: Vec<Method> = cors
        .allow_methods
        .iter()
        .filter_map(|m| m.parse().ok())
        .collect();
    let names = |items: &[String]| -> Vec<HeaderName> {
        items.iter().filter_map(|h| h.parse().ok()).collect()
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods(methods)
        .allow_headers(names(&cors.allow_headers))
        .expose_headers(names(&cors.expose_headers))
        .allow_credentials(cors.allow_credentials)
        .max_age(cors.max_age)
}

#[cfg(feature = "compression")]
fn compression_layer(
    min_bytes: u16,
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::CompressionLevel;
    use tower_http::compression::CompressionLayer;
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    // Level 4 for both: brotli's default (11) spends tens of milliseconds on a page a client
    // would have received sooner uncompressed; at 4 it still beats gzip's default ratio.
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(
            SizeAbove::new(min_bytes)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE)
                .and(NotForContentType::const_new("application/octet-stream"))
                .and(NotForContentType::const_new("application/zip"))
                .and(NotForContentType::const_new("application/gzip"))
                .and(NotForContentType::const_new("audio/"))
                .and(NotForContentType::const_new("video/"))
                .and(NotForContentType::const_new("font/woff"))
                .and(not_ranged),
        )
}

/// A response served by ranges (`accept-ranges`, or a `206`'s `content-range`) stays as it is:
/// its ranges count the bytes of the uncompressed representation.
#[cfg(feature = "compression")]
fn not_ranged(
    _: http::StatusCode,
    _: http::Version,
    headers: &http::HeaderMap,
    _: &http::Extensions,
) -> bool {
    !headers.contains_key(http::header::ACCEPT_RANGES)
        && !headers.contains_key(http::header::CONTENT_RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in [
            "3f9a0c41-d2e8-7b15-9c1e-1234567890ab",
            "01J9Z7K3QW",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "a",
        ] {
            assert!(well_formed(&HeaderValue::from_static(ok)), "{ok}");
        }
        let long = "a".repeat(129);
        for bad in ["", "two words", "x\"y", "line\tbreak", long.as_str()] {
            let value = HeaderValue::from_str(bad).expect("a header value");
            assert!(!well_formed(&value), "{bad}");
        }
        let a = NextId.make_request_id(&Request::new(())).expect("an id");
        let b = NextId.make_request_id(&Request::new(())).expect("an id");
        assert_ne!(a.header_value(), b.header_value());
        assert!(well_formed(a.header_value()));
    }
}
