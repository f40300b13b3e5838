//! Modules: what `#[chopin::module]` implements, and the list of modules an [`App`] mounts.
//!
//! [`App::mount_module`] records each module in the application's type (`App<S, ((), (Auth,
//! Blog))>`), so the application's manifests are known where it is compiled. [`App::bind`] checks
//! them in an inline `const`: a route conflict, a missing required module, an `auth` route without
//! a provider or two modules with one name stop `cargo build` (and `cargo test`) with a message
//! naming both sides. `cargo check` does not evaluate constants of generic functions (rust
//! #99682); `chopin::assert_app!` runs the same check where `cargo check` sees it.
//!
//! [`App`]: crate::App
//! [`App::mount_module`]: crate::App::mount_module
//! [`App::bind`]: crate::App::bind

use axum::Router;

use crate::fast_route::Unchecked;
use crate::manifest::{self, Manifest, RouteDecl};
use crate::perfect_hash;
use crate::plugin::Mount;

/// A feature module: its manifest, and what mounting it adds to an application.
///
/// Implemented by `#[chopin::module]`; see the `chopin` crate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Chopin module",
    label = "not a module",
    note = "annotate the module's `impl` block with `#[chopin::module]`"
)]
pub trait Module: Send + Sized + 'static {
    /// Everything the module declares, for the whole-application check.
    const MANIFEST: Manifest;

    /// What the module brings to the application besides its routes: the provider of `auth`
    /// for a module that declares `provides(auth)`, its models (`models(..)`) for the database
    /// plugin. Called once, when the module is mounted.
    #[doc(hidden)]
    fn __mount(&self, app: &mut Mount<'_>) {
        let _ = app;
    }
}

/// The module's axum routes, for an application whose state is `S`.
///
/// `#[chopin::module]` implements it for every `S` from which the state its handlers extract
/// (`State<T>`) can be taken (`T: FromRef<S>`).
#[diagnostic::on_unimplemented(
    message = "module `{Self}` cannot be mounted on an application whose state is `{S}`",
    label = "its handlers extract state that `{S}` does not provide",
    note = "give the application its state first: `App::new().await?.with_state(state).mount_module(..)`, \
            with `FromRef` from that state to each `State<T>` the handlers take"
)]
pub trait Routes<S>: Module {
    /// The module's dynamic routes, at their full paths; layered with the auth guard where
    /// declared.
    fn router(self) -> Router<S>;
}

/// One mounted module, in a list linked from the last mounted.
#[doc(hidden)]
#[derive(Debug)]
pub struct ModuleNode {
    pub manifest: &'static Manifest,
    pub next: Option<&'static ModuleNode>,
}

/// The modules an application mounts, as a type: `()`, then `(Earlier, (A, B, ..))`, modules
/// in mount order in tuples of up to 16, so that the type nests once per 16 modules and a list of
/// a thousand stays far from the compiler's recursion limit (128 levels). `chopin::modules!`
/// writes the same type.
pub trait ModuleList {
    /// The list, last mounted first.
    #[doc(hidden)]
    const LIST: Option<&'static ModuleNode>;

    /// The list with `X` mounted after the others.
    type Push<X: Module>: ModuleList;
}

impl ModuleList for () {
    const LIST: Option<&'static ModuleNode> = None;
    type Push<X: Module> = ((), (X,));
}

/// The nodes of the chunk `$m..`, after `$acc`.
macro_rules! nodes {
    ($acc:expr;) => { $acc };
    ($acc:expr; $m:ident $($rest:ident)*) => {
        nodes!(Some(&ModuleNode { manifest: &<$m as Module>::MANIFEST, next: $acc }); $($rest)*)
    };
}

/// A chunk with room left: `X` joins it.
macro_rules! chunk {
    ($($m:ident)+) => {
        impl<P: ModuleList, $($m: Module),+> ModuleList for (P, ($($m,)+)) {
            const LIST: Option<&'static ModuleNode> = nodes!(P::LIST; $($m)+);
            type Push<X: Module> = (P, ($($m,)+ X,));
        }
    };
}

/// A full chunk: `X` starts the next one.
macro_rules! full {
    ($($m:ident)+) => {
        impl<P: ModuleList, $($m: Module),+> ModuleList for (P, ($($m,)+)) {
            const LIST: Option<&'static ModuleNode> = nodes!(P::LIST; $($m)+);
            type Push<X: Module> = ((P, ($($m,)+)), (X,));
        }
    };
}

chunk!(A);
chunk!(A B);
chunk!(A B C);
chunk!(A B C D);
chunk!(A B C D E);
chunk!(A B C D E F);
chunk!(A B C D E F G);
chunk!(A B C D E F G H);
chunk!(A B C D E F G H I);
chunk!(A B C D E F G H I J);
chunk!(A B C D E F G H I J K);
chunk!(A B C D E F G H I J K L);
chunk!(A B C D E F G H I J K L M);
chunk!(A B C D E F G H I J K L M N);
chunk!(A B C D E F G H I J K L M N O);
full!(A B C D E F G H I J K L M N O Q);

/// The module list with one more entry, as [`App::fast_route`](crate::App::fast_route) makes
/// it: with a crate-level fast route's declaring type, or unchanged for a route built at start-up
/// (checked when the application binds).
pub trait WithRoute<E>: ModuleList {
    /// The list after the route.
    type Output: ModuleList;
}

impl<T: ModuleList> WithRoute<Unchecked> for T {
    type Output = T;
}

impl<T: ModuleList, X: Module> WithRoute<X> for T {
    type Output = T::Push<X>;
}

const NO_MODULE: Manifest = Manifest::new("", "", "", 0, manifest::Package::new("", "", ""));

/// How many modules `list` holds.
const fn count(mut list: Option<&'static ModuleNode>) -> usize {
    let mut n = 0;
    while let Some(node) = list {
        n += 1;
        list = node.next;
    }
    n
}

/// The manifests of `list`, in mount order.
pub(crate) fn manifests(list: Option<&'static ModuleNode>) -> Vec<&'static Manifest> {
    let mut out: Vec<&'static Manifest> = std::iter::successors(list, |node| node.next)
        .map(|node| node.manifest)
        .collect();
    out.reverse();
    out
}

/// Checks the application's modules (see [`manifest::check`]) and returns the perfect-hash seed
/// of its fast routes' paths, both in constant evaluation.
#[doc(hidden)]
pub const fn check_and_seed(list: Option<&'static ModuleNode>) -> Option<u64> {
    // The list in mount order needs an array, of one of a few sizes (a const generic cannot
    // follow the application's size).
    let n = count(list);
    if n <= 16 {
        in_mount_order::<16>(list, n)
    } else if n <= 256 {
        in_mount_order::<256>(list, n)
    } else if n <= 4096 {
        in_mount_order::<4096>(list, n)
    } else {
        in_mount_order::<65_536>(list, n)
    }
}

/// [`check_and_seed`] with the `n` manifests of `list` in an array of `N`.
const fn in_mount_order<const N: usize>(
    mut list: Option<&'static ModuleNode>,
    n: usize,
) -> Option<u64> {
    assert!(n <= N, "an application mounts at most 65536 modules");
    let mut out = [&NO_MODULE; N];
    let mut i = n;
    while let Some(node) = list {
        i -= 1;
        out[i] = node.manifest;
        list = node.next;
    }
    let modules = out.split_at(n).0;
    manifest::check(modules);
    seed(modules)
}

/// The perfect-hash seed of the modules' fast routes, found in constant evaluation; `None` for
/// more than [`perfect_hash::MAX_KEYS`] of them, whose seed is found at start-up instead.
const fn seed(modules: &[&Manifest]) -> Option<u64> {
    let mut keys = [""; perfect_hash::MAX_KEYS];
    let mut n = 0;
    let mut m = 0;
    while m < modules.len() {
        let routes: &[RouteDecl] = modules[m].routes;
        let mut r = 0;
        while r < routes.len() {
            if routes[r].fast.is_some() {
                if n == keys.len() {
                    return None;
                }
                keys[n] = routes[r].path;
                n += 1;
            }
            r += 1;
        }
        m += 1;
    }
    perfect_hash::find_seed(keys.split_at(n).0)
}

/// Bounds the code `#[chopin::module]` generates holds each handler's types to, one call per
/// type, so that a type that is not an extractor (or not a response) is reported at the type.
#[doc(hidden)]
pub mod check {
    use axum::extract::{FromRequest, FromRequestParts};
    use axum::response::IntoResponse;

    /// An argument before the last: extracted from the request's head.
    pub const fn parts<S, T: FromRequestParts<S>>() {}

    /// The last argument: may also take the body.
    pub const fn request<S, M, T: FromRequest<S, M>>() {}

    /// The declared return type.
    pub const fn response<T: IntoResponse>() {}
}
