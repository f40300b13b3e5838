//! Fast routes as an application mounts them with `App::fast_route`: one declared with
//! `#[fast_route]` on a crate-level constant carries a type of its own into the application's
//! type, so the whole-application check sees it beside the modules; one built at start-up is
//! checked when the application binds.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use super::{FastRoute, StaticRoute};

/// A fast route declared with `#[fast_route]` on a crate-level constant: its bytes, computed at
/// compile time, and `M`, the hidden type whose manifest declares it, which
/// [`App::fast_route`](crate::App::fast_route) records in the application's type.
///
/// It reads as the [`StaticRoute`] it holds (`JSON.path()`, `JSON.body()`).
pub struct DeclaredRoute<M> {
    route: &'static StaticRoute,
    declared_by: PhantomData<fn() -> M>,
}

impl<M> DeclaredRoute<M> {
    /// Used by the code `#[fast_route]` generates.
    #[doc(hidden)]
    pub const fn __new(route: &'static StaticRoute) -> DeclaredRoute<M> {
        DeclaredRoute {
            route,
            declared_by: PhantomData,
        }
    }

    /// The route's precomputed response.
    pub const fn route(&self) -> &'static StaticRoute {
        self.route
    }
}

impl<M> Clone for DeclaredRoute<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for DeclaredRoute<M> {}

impl<M> Deref for DeclaredRoute<M> {
    type Target = StaticRoute;

    fn deref(&self) -> &StaticRoute {
        self.route
    }
}

impl<M> fmt::Debug for DeclaredRoute<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.route, f)
    }
}

impl<M> From<DeclaredRoute<M>> for FastRoute {
    fn from(route: DeclaredRoute<M>) -> FastRoute {
        FastRoute::from(*route.route)
    }
}

/// What a fast route built at start-up adds to the application's type: nothing the check sees.
#[derive(Clone, Copy, Debug)]
pub struct Unchecked;

/// What [`App::fast_route`](crate::App::fast_route) takes: a [`FastRoute`] or a [`StaticRoute`]
/// (checked when the application binds), or a [`DeclaredRoute`] (checked with the modules, in
/// constant evaluation).
pub trait IntoFastRoute {
    /// What the route adds to the application's type: the route's declaring type, or
    /// [`Unchecked`].
    type Entry;

    /// The route.
    fn into_fast_route(self) -> FastRoute;
}

impl IntoFastRoute for FastRoute {
    type Entry = Unchecked;

    fn into_fast_route(self) -> FastRoute {
        self
    }
}

impl IntoFastRoute for StaticRoute {
    type Entry = Unchecked;

    fn into_fast_route(self) -> FastRoute {
        FastRoute::from(self)
    }
}

impl<M> IntoFastRoute for DeclaredRoute<M> {
    type Entry = M;

    fn into_fast_route(self) -> FastRoute {
        FastRoute::from(self)
    }
}
