//! Checks over all the routes of one module, spanned at the later of two clashing declarations.
//!
//! The rule is the application's (`chopin-pattern`, and the runtime's whole-application check):
//! two routes clash when they claim the same request for one method, or are two spellings of one
//! pattern, which axum cannot hold whatever their methods. A fast route clashes with any route it
//! would hide. Judged on full paths, the module's prefix included.

use proc_macro2::Ident;

use super::model::Decl;
use crate::diag::Ctxt;
use crate::fast_route::model::FastRoute;
use crate::route::parse::RouteAttr;

pub use crate::route::model::Method;

/// One route of the module, as declared.
pub struct Route<'a> {
    /// Its methods: one for a handler; those of `methods(..)` (by default `GET`) for a fast route.
    pub methods: Vec<Method>,
    /// Its attribute as written, whose path the checks judge it by.
    pub attr: &'a RouteAttr,
    /// The handler, or the constant of a fast route.
    pub item: &'a Ident,
    /// Whether it is a `#[fast_route]`.
    pub fast: bool,
}

pub use crate::route::full_path;

/// The module-wide checks over its declarations: routes that clash, and fast routes in a
/// generic module, whose bytes cannot depend on its type parameters.
pub fn check_module(cx: &Ctxt, prefix: &str, decls: &[Decl], generic: bool) {
    let routes: Vec<Route<'_>> = decls
        .iter()
        .map(|d| match d {
            Decl::Handler {
                method,
                attr,
                ident,
                ..
            } => Route {
                methods: vec![*method],
                attr,
                item: ident,
                fast: false,
            },
            Decl::Fast {
                attr, ident, fast, ..
            } => Route {
                methods: fast_methods(fast),
                attr,
                item: ident,
                fast: true,
            },
        })
        .collect();
    check_routes(cx, prefix, &routes);
    if chopin_pattern::params(prefix).next().is_some() {
        for d in decls {
            if let Decl::Fast { fast, .. } = d {
                cx.error_spanned_by(
                    &fast.path,
                    format!(
                        "a fast route answers one literal path, and this module's prefix `{prefix}` has a parameter: declare it in a module without one, or on a crate-level `const`"
                    ),
                );
            }
        }
    }
    if generic {
        for d in decls {
            if let Decl::Fast { fast, .. } = d {
                cx.error_spanned_by(
                    &fast.path,
                    "a fast route's bytes are computed without type parameters: declare it in a non-generic module, or on a crate-level `const` mounted with `.fast_route(..)`",
                );
            }
        }
    }
}

/// The methods a fast route answers, as the route checks see them: `GET` unless `methods(..)`,
/// and `OPTIONS` on a CORS route.
fn fast_methods(fast: &FastRoute) -> Vec<Method> {
    let mut methods: Vec<Method> = if fast.methods.is_empty() {
        vec![Method::Get]
    } else {
        fast.methods
            .iter()
            .filter_map(|m| Method::from_attr(&m.to_ascii_lowercase()))
            .collect()
    };
    // A CORS route answers `OPTIONS` with its preflight.
    if fast.cors && !methods.contains(&Method::Options) {
        methods.push(Method::Options);
    }
    methods
}

/// Reports every pair of clashing routes, at the later one.
pub fn check_routes(cx: &Ctxt, prefix: &str, routes: &[Route<'_>]) {
    let full: Vec<Option<String>> = routes
        .iter()
        .map(|r| {
            let p = full_path(prefix, &r.attr.path.value());
            chopin_pattern::validate(&p).is_ok().then_some(p)
        })
        .collect();
    for (i, later) in routes.iter().enumerate() {
        let Some(b) = &full[i] else { continue };
        for (j, earlier) in routes[..i].iter().enumerate() {
            let Some(a) = &full[j] else { continue };
            if !chopin_pattern::conflicts(a, b) {
                continue;
            }
            let spelled_alike = chopin_pattern::same(a, b);
            // The first method of the later route that the earlier one also answers.
            let common = later
                .methods
                .iter()
                .copied()
                .find(|l| earlier.methods.iter().any(|e| e.overlaps(*l)));
            let what = if earlier.fast && later.fast {
                // One path, one slot of the static table, whatever the methods.
                format!(
                    "`{b}` already has the fast route `{}`: a path has one fast route; list its methods with `methods(..)`",
                    earlier.item
                )
            } else if earlier.fast || later.fast {
                let Some(method) = common else { continue };
                format!(
                    "`{} {b}` is already answered by `{}`: a fast route would hide the other route",
                    method.as_str(),
                    earlier.item
                )
            } else if spelled_alike {
                let Some(method) = common else { continue };
                format!(
                    "route conflict: `{} {b}` is already declared by `{}`",
                    method.as_str(),
                    earlier.item
                )
            } else {
                format!(
                    "route conflict: `{b}` and `{a}` (`{}`) match the same requests, which no router can tell apart: use one spelling",
                    earlier.item
                )
            };
            cx.error_spanned_by(&later.attr.path, what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;
    use quote::quote;

    fn errors(
        prefix: &str,
        decls: &[(Method, proc_macro2::TokenStream, &str, bool)],
    ) -> Vec<String> {
        let cx = Ctxt::new();
        let attrs: Vec<RouteAttr> = decls
            .iter()
            .map(|(_, args, _, _)| crate::route::parse::parse(&cx, args.clone()).expect("a path"))
            .collect();
        let idents: Vec<Ident> = decls
            .iter()
            .map(|(_, _, name, _)| Ident::new(name, Span::call_site()))
            .collect();
        let routes: Vec<Route<'_>> = decls
            .iter()
            .zip(&attrs)
            .zip(&idents)
            .map(|(((method, _, _, fast), attr), item)| Route {
                methods: vec![*method],
                attr,
                item,
                fast: *fast,
            })
            .collect();
        check_routes(&cx, prefix, &routes);
        crate::diag::messages(cx)
    }

    #[test]
    fn routes_that_coexist() {
        let decls = [
            (Method::Get, quote!("/posts"), "list", false),
            (Method::Post, quote!("/posts"), "create", false),
            (Method::Any, quote!("/posts"), "other", false),
            (Method::Get, quote!("/posts/{id}"), "show", false),
            (Method::Get, quote!("/posts/latest"), "latest", false),
            (Method::Get, quote!("/health"), "HEALTH", true),
            (Method::Post, quote!("/health"), "ping", false),
            // A fast route answering only `POST` leaves `GET` to a handler.
            (Method::Post, quote!("/submit"), "SUBMIT", true),
            (Method::Get, quote!("/submit"), "form", false),
        ];
        assert_eq!(errors("/blog", &decls), Vec::<String>::new());
    }

    #[test]
    fn routes_that_clash_are_all_reported() {
        let decls = [
            (Method::Get, quote!("/posts"), "list", false),
            (Method::Get, quote!("/posts"), "list_again", false),
            (Method::Delete, quote!("/posts/{id}"), "remove", false),
            (Method::Get, quote!("/posts/{post_id}"), "show", false),
            (Method::Head, quote!("/about"), "ABOUT", true),
            (Method::Get, quote!("/about"), "about", false),
        ];
        assert_eq!(
            errors("/blog", &decls),
            [
                "route conflict: `GET /blog/posts` is already declared by `list`",
                "route conflict: `/blog/posts/{post_id}` and `/blog/posts/{id}` (`remove`) match the same requests, which no router can tell apart: use one spelling",
                "`GET /blog/about` is already answered by `ABOUT`: a fast route would hide the other route",
            ]
        );
    }

    #[test]
    fn full_paths() {
        assert_eq!(full_path("", "/posts"), "/posts");
        assert_eq!(full_path("/blog", "/posts"), "/blog/posts");
        assert_eq!(full_path("/blog", "/"), "/blog");
    }
}
