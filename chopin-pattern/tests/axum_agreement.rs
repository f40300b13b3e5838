//! The conflict rule agrees with axum's router: for generated route sets, the checker rejects
//! exactly the sets on which `Router::route` panics.
//!
//! Two routes are refused together when their patterns conflict and are spelled differently
//! (axum cannot hold `/users/{id}` and `/users/{name}` whatever their methods), or when one
//! pattern is declared twice for one method (`any` counts as its own method: beside `get`, it
//! takes the requests `get` does not).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use axum::Router;
use axum::routing::{MethodRouter, any, get, post};
use chopin_pattern::{conflicts, same, validate};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Any,
}

impl Method {
    /// Whether two declarations on one pattern collide. `any` beside a specific method does not:
    /// as in axum, the specific method takes its requests and `any` the rest.
    fn overlaps(self, other: Method) -> bool {
        self == other
    }

    fn router(self) -> MethodRouter {
        async fn handler() {}
        match self {
            Method::Get => get(handler),
            Method::Post => post(handler),
            Method::Any => any(handler),
        }
    }
}

/// A route from a small alphabet, so that sets collide often. Parameter names carry their
/// position, so a pattern never repeats a name, while two patterns can name one position
/// differently.
fn route() -> impl Strategy<Value = (String, Method)> {
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
        prop_oneof![Just(Method::Get), Just(Method::Post), Just(Method::Any)],
    )
        .prop_filter_map("a catch-all is last", |(segments, trailing, method)| {
            let last = segments.len().saturating_sub(1);
            if segments
                .iter()
                .enumerate()
                .any(|(i, s)| *s == "{*r}" && i != last)
            {
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
            Some((path, method))
        })
}

fn chopin_accepts(routes: &[(String, Method)]) -> bool {
    routes.iter().all(|(p, _)| validate(p).is_ok())
        && routes.iter().enumerate().all(|(i, (a, ma))| {
            routes[..i]
                .iter()
                .all(|(b, mb)| !conflicts(a, b) || (same(a, b) && !ma.overlaps(*mb)))
        })
}

fn axum_accepts(routes: &[(String, Method)]) -> bool {
    // axum reports a refused set by panicking: keep those panics out of the test's output, and
    // every other panic (a failing assertion) in it.
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_AXUM.get() {
                report(info);
            }
        }));
    });
    IN_AXUM.set(true);
    let accepted = catch_unwind(AssertUnwindSafe(|| {
        routes.iter().fold(Router::<()>::new(), |r, (path, m)| {
            r.route(path, m.router())
        })
    }))
    .is_ok();
    IN_AXUM.set(false);
    accepted
}

thread_local! {
    static IN_AXUM: Cell<bool> = const { Cell::new(false) };
}

proptest! {
    // Failures are reported with their minimal input; nothing is written to the source tree.
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_checker_rejects_what_axum_rejects(routes in prop::collection::vec(route(), 1..=4)) {
        prop_assert_eq!(chopin_accepts(&routes), axum_accepts(&routes), "{:?}", routes);
    }
}
