//! The service hyper runs once a connection has left the fast path.
//!
//! It consults the same static table first, so a fast route keeps answering on a connection that
//! an earlier dynamic request moved to hyper, then hands everything else to the axum `Router`.
//!
//! The body limit, the handler's time limit, panic catching and the request's context (the client's address and the
//! application's services: see `crate::service`) live here rather than in tower layers:
//! `Router::layer`
//! wraps and boxes every route again for each layer, which costs an allocation per request per
//! layer (measured at about 0.5 µs per request for the two, a fifth of a whole axum request).
//! Here they cost a length check, a wrapper around the body that axum boxes anyway, a timer
//! entry, `catch_unwind` on the handler's future, and a task-local scope around it.

use std::any::Any;
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future as StdFuture;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::response::IntoResponse;
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{CatchUnwind, Either, Map, Ready, ready};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Version, header};
use http_body_util::Limited;
use tokio::task::futures::TaskLocalFuture;
use tokio::time::Sleep;
use tower::Service;

use super::Shared;
use crate::compression::{self, Encoding};
use crate::fast_route::{Prepared, Variant};
use crate::middleware::{self, Dynamic, X_REQUEST_ID};
use crate::response::ChopinError;
use crate::service::{self as context, RequestContext};
use crate::static_table::Hit;

pub(crate) struct HyperService {
    pub(crate) shared: Arc<Shared>,
    /// The connection's client and the application's services, for every request's handler.
    pub(crate) context: RequestContext,
    /// The connection's own handle on the dynamic routes: cloned once per connection rather
    /// than once per request (the clone of a boxed stack allocates). Borrowed only inside
    /// `call`, which hyper never enters twice at once.
    pub(crate) dynamic: RefCell<Dynamic>,
}

type Caught = std::thread::Result<Result<Result<Response<Body>, Infallible>, TimedOut>>;
type DynamicFuture = <Dynamic as Service<Request<Body>>>::Future;
type Handled = Map<
    CatchUnwind<AssertUnwindSafe<TaskLocalFuture<RequestContext, Deadline<DynamicFuture>>>>,
    fn(Caught) -> Result<Response<Body>, Infallible>,
>;
type Future = Either<Ready<Result<Response<Body>, Infallible>>, Handled>;

impl<B> hyper::service::Service<Request<B>> for HyperService
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Future;

    fn call(&self, mut req: Request<B>) -> Future {
        if let Some(refused) = host_refused(&req) {
            return Either::Left(ready(Ok(refused)));
        }
        let shared = &self.shared;
        let hit = shared.table.lookup(
            req.method().as_str().as_bytes(),
            req.uri().path().as_bytes(),
        );
        if let Some(hit) = hit {
            return Either::Left(ready(Ok(respond(hit, req.headers()))));
        }
        let max = shared.body_limit(req.headers());
        // hyper has parsed `content-length` into the body's size hint: no header lookup needed.
        if req.body().size_hint().lower() > max as u64 {
            let error = ChopinError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                if max == shared.limits.max_body_bytes {
                    format!("the body is over the limit of {max} bytes (`MAX_BODY_BYTES`)")
                } else {
                    format!("the body is over the limit of {max} bytes on uploads")
                },
            );
            return Either::Left(ready(Ok(error.into_response())));
        }
        // A body that grows past the limit while streaming fails the extractor reading it, which
        // axum answers with 413.
        // A client's request id that could forge a log line or bloat one is replaced by a new
        // one rather than echoed.
        if shared.request_ids
            && req
                .headers()
                .get(X_REQUEST_ID)
                .is_some_and(|id| !middleware::well_formed(id))
        {
            req.headers_mut().remove(X_REQUEST_ID);
        }
        let req = req.map(|body| Body::new(Limited::new(body, max)));
        // The router and the defaults around it are always ready (axum's `Router` is), so
        // `poll_ready` is not awaited, as `axum::serve` does not.
        let call = self.dynamic.borrow_mut().call(req);
        let route = Deadline::new(call, shared.limits.handler_timeout);
        let handled = AssertUnwindSafe(context::scope(self.context.clone(), route)).catch_unwind();
        Either::Right(handled.map(recover as fn(Caught) -> Result<Response<Body>, Infallible>))
    }
}

/// The `400` of a request without exactly one `host` line (RFC 9112, 3.2): two on any request,
/// none on an HTTP/1.1 one (HTTP/1.0 had no `host`). The connection closes after it, as the fast
/// path's does: which host the client meant is unknown, so nothing it sends next is trusted.
fn host_refused<B>(req: &Request<B>) -> Option<Response<Body>> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let message = match (hosts.next(), hosts.next()) {
        (Some(_), None) => return None,
        (Some(_), Some(_)) => "the request has more than one `host` header: it names one host",
        (None, _) if req.version() == Version::HTTP_11 => {
            "the request has no `host` header, which HTTP/1.1 requires"
        }
        (None, _) => return None,
    };
    let mut res = ChopinError::bad_request(message).into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(res)
}

/// A handler that panicked gets the `500` of every internal error, one that ran out of time
/// `504 timeout`; the connection and the server go on.
fn recover(result: Caught) -> Result<Response<Body>, Infallible> {
    match result {
        Ok(Ok(answered)) => answered,
        Ok(Err(TimedOut)) => Ok(ChopinError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took longer than the server allows (HANDLER_TIMEOUT_MS)",
        )
        .into_response()),
        Err(panic) => {
            let message = panic_message(&*panic);
            Ok(
                ChopinError::internal(format_args!("a handler panicked: {message}"))
                    .into_response(),
            )
        }
    }
}

/// A handler that ran past `HANDLER_TIMEOUT_MS`.
pub(crate) struct TimedOut;

/// A handler's future, given up `limit` after it is first polled.
///
/// The timer is armed only when the first poll does not finish the handler: one that answers at
/// once (no I/O) pays nothing for the limit, where `tokio::time::timeout` registers a timer entry
/// for every request (about 300 instructions, 2% of a dynamic request, by callgrind). A handler
/// that waits is waiting for I/O that costs far more than the timer.
pub(crate) struct Deadline<F> {
    handler: F,
    limit: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<F> Deadline<F> {
    fn new(handler: F, limit: Duration) -> Deadline<F> {
        Deadline {
            handler,
            limit,
            timer: None,
        }
    }
}

impl<F: StdFuture + Unpin> StdFuture for Deadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(out) = Pin::new(&mut this.handler).poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let limit = this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// A fast route's response as hyper wants it, in the encoding the request accepts (as the fast
/// path chooses it): hyper adds the date, and drops the body of `HEAD`.
fn respond(hit: Hit<'_>, request: &HeaderMap) -> Response<Body> {
    fn variant<'r>(r: &'r Prepared, request: &HeaderMap) -> Variant<'r> {
        let encoding = match r.compressed {
            Some(_) => compression::negotiate(
                request
                    .get_all(header::ACCEPT_ENCODING)
                    .iter()
                    .map(HeaderValue::as_bytes),
            ),
            None => Encoding::Identity,
        };
        r.variant(encoding)
    }
    let (status, headers, body, head_len) = match hit {
        Hit::Full(r) => {
            let v = variant(r, request);
            (StatusCode::OK, v.headers, Body::from(v.body.clone()), None)
        }
        Hit::Head(r) => {
            let v = variant(r, request);
            (
                StatusCode::OK,
                v.headers,
                Body::from(v.body.clone()),
                Some(v.body.len()),
            )
        }
        Hit::Preflight(p) => (StatusCode::NO_CONTENT, &p.headers, Body::empty(), None),
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers.clone();
    if let Some(len) = head_len {
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    res
}
