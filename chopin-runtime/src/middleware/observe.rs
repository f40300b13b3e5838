//! Each dynamic request's span, access log line and metrics, around the route that answers it.
//!
//! Applied with `Router::layer`, so that it runs inside axum's routing, where the request
//! carries its [`MatchedPath`]: the log and the metrics name the route's pattern
//! (`/posts/{id}`), which has a bounded number of values, never the raw path, which a client
//! chooses. A request no route matches is `-`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::MatchedPath;
use http::{HeaderValue, Method, Request, Response};
use tower::{Layer, Service};
use tracing::Span;

use super::X_REQUEST_ID;

/// What is recorded of each request.
pub(crate) struct Observer {
    /// One `info` line per request on the target `chopin::access`.
    pub(crate) access_log: bool,
    /// Requests, latencies and requests in flight, when `METRICS_PATH` is set.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<super::metrics::Recorder>,
}

impl Observer {
    /// Whether there is anything to record: without, the layer is not added at all.
    pub(crate) fn any(&self) -> bool {
        #[cfg(feature = "metrics")]
        if self.metrics.is_some() {
            return true;
        }
        self.access_log
    }
}

/// The layer: [`Observe`] around each route.
#[derive(Clone)]
pub(crate) struct ObserveLayer(pub(crate) Arc<Observer>);

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            observer: Arc::clone(&self.0),
        }
    }
}

/// A route, observed.
#[derive(Clone)]
pub(crate) struct Observe<S> {
    inner: S,
    observer: Arc<Observer>,
}

/// What a request is recorded as.
struct Seen {
    method: Method,
    /// The request id, for the log line.
    id: Option<HeaderValue>,
    route: Option<MatchedPath>,
    start: Instant,
    span: Span,
}

impl<S> Service<Request<Body>> for Observe<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let route = req.extensions().get::<MatchedPath>().cloned();
        let method = req.method().clone();
        let id = req.headers().get(X_REQUEST_ID).cloned();
        let span = tracing::info_span!(
            target: "chopin::request",
            "request",
            method = %method,
            route = route.as_ref().map_or("-", MatchedPath::as_str),
            request_id = id_str(id.as_ref()),
        );
        #[cfg(not(feature = "metrics"))]
        let in_flight = None;
        #[cfg(feature = "metrics")]
        let in_flight = self
            .observer
            .metrics
            .as_ref()
            .map(super::metrics::Recorder::in_flight);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Observed {
            inner,
            seen: Some(Seen {
                method,
                id,
                route,
                start: Instant::now(),
                span,
            }),
            observer: Arc::clone(&self.observer),
            _in_flight: in_flight,
        }
    }
}

/// A request counted in flight until it is dropped (with `METRICS_PATH`).
#[cfg(feature = "metrics")]
type InFlight = super::metrics::InFlight;
#[cfg(not(feature = "metrics"))]
type InFlight = ();

pin_project_lite::pin_project! {
    /// A request being answered, recorded when it is.
    pub(crate) struct Observed<F> {
        #[pin]
        inner: F,
        seen: Option<Seen>,
        observer: Arc<Observer>,
        _in_flight: Option<InFlight>,
    }
}

impl<F> Future for Observed<F>
where
    F: Future<Output = Result<Response<Body>, Infallible>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = match this.seen {
            Some(seen) => {
                let _entered = seen.span.enter();
                this.inner.poll(cx)
            }
            None => this.inner.poll(cx),
        };
        let Poll::Ready(Ok(res)) = polled else {
            return polled;
        };
        if let Some(seen) = this.seen.take() {
            let latency = seen.start.elapsed();
            let route = seen.route.as_ref().map_or("-", MatchedPath::as_str);
            let status = res.status().as_u16();
            if this.observer.access_log {
                let _entered = seen.span.enter();
                let ms = latency.as_secs_f64() * 1000.0;
                tracing::info!(
                    target: "chopin::access",
                    method = %seen.method,
                    route,
                    status,
                    latency_ms = ms,
                    request_id = id_str(seen.id.as_ref()),
                    "{} {route} {status} {ms:.3} ms",
                    seen.method,
                );
            }
            #[cfg(feature = "metrics")]
            if let Some(metrics) = &this.observer.metrics {
                metrics.answered(&seen.method, seen.route.as_ref(), status, latency);
            }
        }
        Poll::Ready(Ok(res))
    }
}

/// A request id as the log writes it: `-` for none.
fn id_str(id: Option<&HeaderValue>) -> &str {
    id.and_then(|v| v.to_str().ok()).unwrap_or("-")
}
