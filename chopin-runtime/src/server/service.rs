//! The service hyper runs once a connection has left the fast path.
//!
//! It consults the same static table first, so a fast route keeps answering on a connection that
//! an earlier dynamic request moved to hyper, then hands everything else to the axum `Router`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::routing::future::RouteFuture;
use futures_util::future::{Either, Ready, ready};
use http::{HeaderValue, Request, Response, StatusCode, header};
use tower::Service;

use super::Shared;
use crate::static_table::Hit;

#[derive(Clone)]
pub(crate) struct HyperService {
    pub(crate) shared: Arc<Shared>,
}

type Future = Either<Ready<Result<Response<Body>, Infallible>>, RouteFuture<Infallible>>;

impl<B> hyper::service::Service<Request<B>> for HyperService
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Future;

    fn call(&self, req: Request<B>) -> Future {
        let hit = self.shared.table.lookup(
            req.method().as_str().as_bytes(),
            req.uri().path().as_bytes(),
        );
        match hit {
            Some(hit) => Either::Left(ready(Ok(respond(hit)))),
            None => Either::Right(self.shared.router.clone().call(req)),
        }
    }
}

/// A fast route's response as hyper wants it: hyper adds the date, and drops the body of `HEAD`.
fn respond(hit: Hit<'_>) -> Response<Body> {
    let (status, headers, body) = match hit {
        Hit::Full(r) | Hit::Head(r) => (StatusCode::OK, &r.headers, Body::from(r.body.clone())),
        Hit::Preflight(p) => (StatusCode::NO_CONTENT, &p.headers, Body::empty()),
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers.clone();
    if status == StatusCode::NO_CONTENT {
        res.headers_mut().remove(header::CONTENT_LENGTH);
    } else if let Hit::Head(r) = hit {
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(r.body.len()));
    }
    res
}
