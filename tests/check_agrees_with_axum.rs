//! Both route checkers agree with axum's router: for generated route sets, the whole-application
//! check (`manifest::check`, the const fn `App::bind` evaluates) and the check inside one
//! `#[chopin::module]` (`chopin-codegen`) reject exactly the sets on which `Router::route` panics,
//! plus fast routes that shadow a dynamic route, which axum cannot see.
//!
//! The oracle routes a fast route as a route of its methods (`get`, or `post` for one declared
//! `methods(POST)`): a fast route answers those methods on its literal path before the router
//! sees the request, so it shadows exactly the dynamic routes that axum would refuse beside such a
//! route. On top of axum's rule, a path has at most one fast route. `any` is a method of its own:
//! beside `get` on one path it takes the requests `get` does not.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use chopin::StaticRoute;
use chopin::axum::Router;
use chopin::axum::routing::{MethodRouter, any, get, post};
use chopin::manifest::{Manifest, Methods, Package, RouteDecl, check};
use chopin_codegen::diag::Ctxt;
use chopin_codegen::module::check::{self as module_check, Method as AttrMethod};
use chopin_codegen::route::parse::{RouteAttr, parse};
use proc_macro2::{Ident, Span};
use proptest::prelude::*;
use quote::quote;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Get,
    Post,
    Any,
    /// A fast route: literal paths only, `GET` and `HEAD`.
    Fast,
    /// A fast route with `methods(POST)`.
    FastPost,
}

impl Kind {
    fn router(self) -> MethodRouter {
        async fn handler() {}
        match self {
            Kind::Get | Kind::Fast => get(handler),
            Kind::Post | Kind::FastPost => post(handler),
            Kind::Any => any(handler),
        }
    }

    fn methods(self) -> Methods {
        match self {
            Kind::Get | Kind::Fast => Methods::GET.with(Methods::HEAD),
            Kind::Post | Kind::FastPost => Methods::POST,
            Kind::Any => Methods::ANY,
        }
    }

    fn fast(self) -> bool {
        matches!(self, Kind::Fast | Kind::FastPost)
    }

    fn attr_method(self) -> AttrMethod {
        match self {
            Kind::Get | Kind::Fast => AttrMethod::Get,
            Kind::Post | Kind::FastPost => AttrMethod::Post,
            Kind::Any => AttrMethod::Any,
        }
    }
}

#[derive(Clone, Debug)]
struct Route {
    path: String,
    kind: Kind,
    /// Which of three modules declares it, for the whole-application check.
    module: usize,
}

/// A route from a small alphabet, so that sets collide often. Parameter names carry their
/// position, so a pattern never repeats a name, while two patterns can name one position
/// differently.
fn route() -> impl Strategy<Value = Route> {
    let segment = prop_oneof![
        Just("a"),
        Just("ab"),
        Just("b"),
        Just("{x}"),
        Just("{y}"),
        Just("{*r}")
    ];
    (
        prop::collection::vec(segment, 0..=3),
        prop::bool::ANY,
        prop_oneof![
            Just(Kind::Get),
            Just(Kind::Post),
            Just(Kind::Any),
            Just(Kind::Fast),
            Just(Kind::FastPost)
        ],
        0..3usize,
    )
        .prop_filter_map(
            "a catch-all is last; a fast route has no parameters",
            |(segments, trailing, kind, module)| {
                let last = segments.len().saturating_sub(1);
                if segments
                    .iter()
                    .enumerate()
                    .any(|(i, s)| *s == "{*r}" && i != last)
                {
                    return None;
                }
                if kind.fast() && segments.iter().any(|s| s.starts_with('{')) {
                    return None;
                }
                let mut path = String::new();
                for (i, s) in segments.iter().enumerate() {
                    path.push('/');
                    path.push_str(&s.replace('}', &format!("{i}}}")));
                }
                if path.is_empty() || (trailing && !path.ends_with('}')) {
                    path.push('/');
                }
                Some(Route { path, kind, module })
            },
        )
}

/// What a checker must accept: what axum accepts, with at most one fast route on a path (the
/// static table has one slot a path, whatever the methods).
fn expected(routes: &[Route]) -> bool {
    let fast: Vec<&str> = routes
        .iter()
        .filter(|r| r.kind.fast())
        .map(|r| r.path.as_str())
        .collect();
    let one_fast_route_a_path = fast.iter().enumerate().all(|(i, p)| !fast[..i].contains(p));
    one_fast_route_a_path && axum_accepts(routes)
}

fn axum_accepts(routes: &[Route]) -> bool {
    // axum reports a refused set by panicking, as does `check` at run time: keep those panics
    // out of the test's output, and every other panic (a failing assertion) in it.
    quietly(|| {
        let _router = routes.iter().fold(Router::<()>::new(), |r, route| {
            r.route(&route.path, route.kind.router())
        });
    })
}

const STATIC: StaticRoute = StaticRoute::__new("/", Methods::GET, false, &[], 0, b"");

/// The whole-application check over the routes, split among their modules.
fn application_accepts(routes: &[Route]) -> bool {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let manifests: Vec<&'static Manifest> = (0..3)
        .map(|m| {
            let decls: Vec<RouteDecl> = routes
                .iter()
                .enumerate()
                .filter(|(_, r)| r.module == m)
                .map(|(i, r)| {
                    let decl = RouteDecl::new(
                        r.kind.methods(),
                        leak(r.path.clone()),
                        leak(format!("M{m}::route{i}")),
                        "src/app.rs",
                        i as u32,
                    );
                    if r.kind.fast() {
                        decl.fast(&STATIC)
                    } else {
                        decl
                    }
                })
                .collect();
            let manifest = Manifest::new(
                ["m0", "m1", "m2"][m],
                ["M0", "M1", "M2"][m],
                "src/app.rs",
                1,
                Package::new("app", "0.1.0", ""),
            )
            .routes(Box::leak(decls.into_boxed_slice()));
            &*Box::leak(Box::new(manifest))
        })
        .collect();
    quietly(|| check(&manifests))
}

/// The check inside one module, all routes in it, under `prefix` (their paths are taken as
/// relative to it).
fn module_accepts(prefix: &str, routes: &[Route]) -> bool {
    let cx = Ctxt::new();
    let attrs: Vec<RouteAttr> = routes
        .iter()
        .map(|r| {
            let relative = r.path.strip_prefix(prefix).unwrap_or(&r.path);
            let relative = if relative.is_empty() { "/" } else { relative };
            parse(&cx, quote!(#relative)).expect("a path literal")
        })
        .collect();
    let idents: Vec<Ident> = (0..routes.len())
        .map(|i| Ident::new(&format!("route{i}"), Span::call_site()))
        .collect();
    let decls: Vec<module_check::Route<'_>> = routes
        .iter()
        .zip(&attrs)
        .zip(&idents)
        .map(|((r, attr), item)| module_check::Route {
            methods: vec![r.kind.attr_method()],
            attr,
            item,
            fast: r.kind.fast(),
        })
        .collect();
    module_check::check_routes(&cx, prefix, &decls);
    cx.check().is_ok()
}

fn quietly(f: impl FnOnce()) -> bool {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTED.get() {
                report(info);
            }
        }));
    });
    EXPECTED.set(true);
    let ok = catch_unwind(AssertUnwindSafe(f)).is_ok();
    EXPECTED.set(false);
    ok
}

thread_local! {
    static EXPECTED: Cell<bool> = const { Cell::new(false) };
}

proptest! {
    // Failures are reported with their minimal input; nothing is written to the source tree.
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_application_check_rejects_what_axum_rejects(routes in prop::collection::vec(route(), 1..=5)) {
        prop_assert_eq!(application_accepts(&routes), expected(&routes), "{:#?}", routes);
    }

    #[test]
    fn the_module_check_rejects_what_axum_rejects(routes in prop::collection::vec(route(), 1..=5)) {
        // Under the prefix `/a` when every route is below it, so that prefixing is exercised.
        let below = |r: &Route| r.path.starts_with("/a/") && r.path.len() > 3;
        let prefix = if routes.iter().all(below) { "/a" } else { "" };
        prop_assert_eq!(module_accepts(prefix, &routes), expected(&routes), "{:#?}", routes);
    }
}
