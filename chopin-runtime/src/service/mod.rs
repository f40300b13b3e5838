//! Services: what an application gives every request besides its state — the provider of
//! `auth`, the cache, a battery's database pool — and the client's address.
//!
//! An application keeps its services in one [`Services`] map, by type. A battery puts its service
//! there when it starts (`chopin-db` its `Db`, `chopin-redis` its `Cache`); a handler's extractor
//! takes it out with [`of`], so the kernel names no battery.
//!
//! At request time the map reaches handlers through a task-local value scoped around the
//! handler's future, not through the request's extensions: the first extension a request gets
//! allocates its map and each one a box, which measured at about a thousand instructions per
//! request (callgrind, `/users/42` of `hello`), while entering the scope costs a thread-local write
//! per poll. [`of`] looks in the request's extensions first, so a value put there by hand (a test,
//! a layer) still wins.
//!
//! - `client.rs`: [`ClientAddr`], who sent the request: the TCP peer, or the client a trusted
//!   proxy names in its forwarding headers, worked out only when a handler asks.

mod client;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::Extensions;
use http::request::Parts;
use ipnet::IpNet;
use tokio::task::futures::TaskLocalFuture;

pub use client::{ClientAddr, Scheme};

/// An application's services, one of each type.
#[derive(Clone, Default)]
pub struct Services(Extensions);

impl Services {
    /// Adds `service`, replacing and returning the one of its type the map had.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, service: T) -> Option<T> {
        self.0.insert(service)
    }

    /// The service of type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get::<T>()
    }

    /// Whether there is a service of type `T`.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.0.get::<T>().is_some()
    }
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("len", &self.0.len())
            .finish()
    }
}

/// The service `T` of the request being handled: one put in its extensions, or the
/// application's.
///
/// ```
/// use chopin_runtime::cache::Cache;
/// use chopin_runtime::service;
///
/// let mut req = http::Request::new(());
/// req.extensions_mut().insert(Cache::memory());
/// let (parts, _) = req.into_parts();
/// assert!(service::of::<Cache>(&parts).is_some());
/// ```
pub fn of<T: Clone + Send + Sync + 'static>(parts: &Parts) -> Option<T> {
    match parts.extensions.get::<T>() {
        Some(service) => Some(service.clone()),
        None => CONTEXT
            .try_with(|c| c.app.services.get::<T>().cloned())
            .ok()
            .flatten(),
    }
}

/// What every request of an application may read besides its own: the services, and the
/// proxies trusted to say who the client is. One `Arc` of it per connection, so that entering a
/// request's scope clones one pointer however much it holds.
pub(crate) struct AppContext {
    pub(crate) services: Services,
    /// `TRUSTED_PROXIES`: read only when a handler asks for the [`ClientAddr`].
    pub(crate) trusted_proxies: Box<[IpNet]>,
}

/// One connection's context: its TCP peer, and the application's.
#[derive(Clone)]
pub(crate) struct RequestContext {
    pub(crate) peer: SocketAddr,
    pub(crate) app: Arc<AppContext>,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// Runs `future` (a request's handling) with `context` readable by [`of`].
pub(crate) fn scope<F: Future>(
    context: RequestContext,
    future: F,
) -> TaskLocalFuture<RequestContext, F> {
    CONTEXT.scope(context, future)
}
