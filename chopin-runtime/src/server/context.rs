//! What the server gives every request it hands to the router: the client's address and the
//! application's services (the provider of `auth`, the database, the cache).
//!
//! They live in a task-local value scoped around the handler's future, not in the request's
//! extensions: the first extension a request gets allocates its map and each one a box, which
//! measured at about a thousand instructions per request (callgrind, `/users/42` of `hello`),
//! while entering the scope costs a thread-local write per poll. Extractors look in the request's
//! extensions first, so a value put there by hand (a test, a layer) still wins.

use std::future::Future;
use std::sync::Arc;

use tokio::task::futures::TaskLocalFuture;

use crate::auth::AuthProvider;
use crate::cache::Cache;
use crate::db::Db;
use crate::extract::ClientAddr;

/// The application's services, shared by all its connections.
#[derive(Default)]
pub(crate) struct Services {
    pub(crate) auth: Option<AuthProvider>,
    pub(crate) db: Option<Db>,
    pub(crate) cache: Option<Cache>,
}

/// One connection's context: its client, and the application's services.
#[derive(Clone)]
pub(crate) struct RequestContext {
    pub(crate) peer: ClientAddr,
    pub(crate) services: Arc<Services>,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// Runs `future` (a request's handling) with `context` readable by [`with`].
pub(crate) fn scope<F: Future>(
    context: RequestContext,
    future: F,
) -> TaskLocalFuture<RequestContext, F> {
    CONTEXT.scope(context, future)
}

/// `f` of the context of the request being handled, if this runs inside one.
pub(crate) fn with<R>(f: impl FnOnce(&RequestContext) -> R) -> Option<R> {
    CONTEXT.try_with(f).ok()
}
