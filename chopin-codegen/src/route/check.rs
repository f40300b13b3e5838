//! Checks between a route attribute and the handler it sits on, each spanned at the offending
//! token: the handler is `async`, its `Path` extractor agrees with the path's parameters, and it
//! reads the user (`AuthUser`) only on a route declared `auth`, since that declaration is what the
//! guard layer and the OpenAPI security requirement are generated from.
//!
//! Extractors are recognised by the last segment of their type's path (`Path`,
//! `axum::extract::Path`), as axum's own `debug_handler` does; a renamed import is not seen, and
//! the type checks in the generated code still apply to it.

use syn::{FnArg, GenericArgument, Pat, PathArguments, Signature, Type};

use super::model::{Access, Route};
use crate::diag::Ctxt;

/// Extractor types that read the authenticated user.
const USER_EXTRACTORS: &[&str] = &["AuthUser"];

/// Checks `attr` against the handler `sig`, recording every disagreement. The path parameters
/// are those of the full path, under the module's `prefix` (`""` for none).
pub fn check(cx: &Ctxt, attr: &Route, sig: &Signature, prefix: &str) {
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "a route handler must be an `async fn`: write `async fn {}`",
                sig.ident
            ),
        );
    }

    let pattern = super::full_path(prefix, &attr.path.value());
    let params: Vec<&str> = if chopin_pattern::validate(&pattern).is_ok() {
        chopin_pattern::params(&pattern)
            .map(|(name, _)| name)
            .collect()
    } else {
        // An invalid path was reported when it was parsed.
        return;
    };

    let mut path_args = Vec::new();
    for arg in &sig.inputs {
        let FnArg::Typed(arg) = arg else { continue };
        if let Some(inner) = extractor(&arg.ty, "Path") {
            path_args.push((arg, inner));
        }
        if attr.access == Access::Public {
            for user in USER_EXTRACTORS {
                if extractor(&arg.ty, user).is_some()
                    || last_ident(&arg.ty).as_deref() == Some(*user)
                {
                    cx.error_spanned_by(
                        &arg.ty,
                        format!(
                            "`{user}` on a route not declared `auth`: declare it, as in `#[post(\"{pattern}\", auth)]`, \
                             so that the guard and the OpenAPI security requirement are generated from it"
                        ),
                    );
                }
            }
        }
    }

    match (params.len(), path_args.as_slice()) {
        (0, []) => {}
        (_, []) => cx.error_spanned_by(
            &attr.path,
            format!(
                "`{pattern}` has the path parameter{} {}, but `{}` takes no `Path` extractor: add one, as in `Path({}): Path<…>`",
                if params.len() == 1 { "" } else { "s" },
                list(&params),
                sig.ident,
                if params.len() == 1 { params[0].to_owned() } else { format!("({})", params.join(", ")) },
            ),
        ),
        (0, [(arg, _), ..]) => cx.error_spanned_by(
            &arg.ty,
            format!("`{pattern}` has no path parameters, but `{}` takes a `Path` extractor", sig.ident),
        ),
        (n, [(arg, inner), rest @ ..]) => {
            for (extra, _) in rest {
                cx.error_spanned_by(&extra.ty, "a handler takes one `Path` extractor");
            }
            check_path_type(cx, &pattern, &params, arg, inner, n);
        }
    }
}

/// The `Path<T>` of a handler against the pattern's `n` parameters.
fn check_path_type(
    cx: &Ctxt,
    pattern: &str,
    params: &[&str],
    arg: &syn::PatType,
    inner: &Type,
    n: usize,
) {
    match inner {
        Type::Tuple(tuple) if tuple.elems.len() != n => cx.error_spanned_by(
            inner,
            format!(
                "`{pattern}` has {n} path parameter{} ({}), but this `Path` takes a tuple of {}",
                if n == 1 { "" } else { "s" },
                list(params),
                tuple.elems.len()
            ),
        ),
        Type::Tuple(_) => {}
        // A single value binds a single parameter; a struct binds by field name.
        single if n > 1 && is_scalar(single) => cx.error_spanned_by(
            inner,
            format!(
                "`{pattern}` has {n} path parameters ({}), but this `Path` takes one value: use a tuple or a struct with fields {}",
                list(params),
                list(params)
            ),
        ),
        _ => {
            // A struct destructured in the argument shows its field names: each must be a parameter.
            if let Pat::TupleStruct(ts) = &*arg.pat
                && let Some(Pat::Struct(fields)) = ts.elems.first()
            {
                for field in &fields.fields {
                    if let syn::Member::Named(name) = &field.member {
                        let name = name.to_string();
                        if !params.contains(&name.as_str()) {
                            cx.error_spanned_by(
                                &field.member,
                                format!("`{name}` is not a parameter of `{pattern}`: expected one of {}", list(params)),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// `T` when `ty` is `Name<T>` (by its last path segment).
pub(crate) fn extractor<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    p.path.segments.last().map(|s| s.ident.to_string())
}

/// Types that deserialize from one path segment.
fn is_scalar(ty: &Type) -> bool {
    const SCALARS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64", "bool", "char", "String", "Uuid",
    ];
    last_ident(ty).is_some_and(|id| SCALARS.contains(&id.as_str()))
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn errors(args: TokenStream, handler: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let attr = crate::route::from_args(&cx, args).expect("a path");
        let f: syn::ItemFn = syn::parse2(handler).expect("a fn");
        check(&cx, &attr, &f.sig, "");
        crate::diag::messages(cx)
    }

    #[test]
    fn handlers_that_agree() {
        let ok: [(TokenStream, TokenStream); 5] = [
            (
                quote!("/posts"),
                quote!(
                    async fn list() {}
                ),
            ),
            (
                quote!("/posts/{id}"),
                quote!(
                    async fn show(Path(id): Path<i64>) {}
                ),
            ),
            (
                quote!("/u/{a}/p/{b}"),
                quote!(
                    async fn two(Path((a, b)): Path<(i64, String)>) {}
                ),
            ),
            (
                quote!("/u/{a}/p/{b}"),
                quote!(
                    async fn named(Path(PostPath { a, b }): Path<PostPath>) {}
                ),
            ),
            (
                quote!("/posts", auth),
                quote!(
                    async fn create(user: AuthUser, Json(p): Json<NewPost>) {}
                ),
            ),
        ];
        for (args, handler) in ok {
            assert_eq!(
                errors(args.clone(), handler.clone()),
                Vec::<String>::new(),
                "{args} {handler}"
            );
        }
    }

    fn errors_under(prefix: &str, args: TokenStream, handler: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let attr = crate::route::from_args(&cx, args).expect("a path");
        let f: syn::ItemFn = syn::parse2(handler).expect("a fn");
        check(&cx, &attr, &f.sig, prefix);
        crate::diag::messages(cx)
    }

    #[test]
    fn a_prefixs_parameters_are_the_handlers_too() {
        let prefix = "/orgs/{org}";
        assert!(
            errors_under(
                prefix,
                quote!("/projects/{id}"),
                quote!(
                    async fn show(Path((org, id)): Path<(String, u64)>) {}
                )
            )
            .is_empty()
        );
        assert!(
            errors_under(
                prefix,
                quote!("/"),
                quote!(
                    async fn org(Path(org): Path<String>) {}
                )
            )
            .is_empty()
        );
        assert_eq!(
            errors_under(
                prefix,
                quote!("/projects/{id}"),
                quote!(
                    async fn show(Path(id): Path<u64>) {}
                )
            ),
            [
                "`/orgs/{org}/projects/{id}` has 2 path parameters (`org`, `id`), but this `Path` takes one value: use a tuple or a struct with fields `org`, `id`"
            ]
        );
        assert_eq!(
            errors_under(
                prefix,
                quote!("/projects"),
                quote!(
                    async fn list() {}
                )
            ),
            [
                "`/orgs/{org}/projects` has the path parameter `org`, but `list` takes no `Path` extractor: add one, as in `Path(org): Path<…>`"
            ]
        );
    }

    #[test]
    fn handlers_that_disagree() {
        let cases: [(TokenStream, TokenStream, &str); 8] = [
            (
                quote!("/posts"),
                quote!(
                    fn list() {}
                ),
                "a route handler must be an `async fn`: write `async fn list`",
            ),
            (
                quote!("/posts/{id}"),
                quote!(
                    async fn show() {}
                ),
                "`/posts/{id}` has the path parameter `id`, but `show` takes no `Path` extractor: add one, as in `Path(id): Path<…>`",
            ),
            (
                quote!("/posts"),
                quote!(
                    async fn list(Path(id): Path<i64>) {}
                ),
                "`/posts` has no path parameters, but `list` takes a `Path` extractor",
            ),
            (
                quote!("/u/{a}/p/{b}"),
                quote!(
                    async fn three(Path(t): Path<(i64, i64, i64)>) {}
                ),
                "`/u/{a}/p/{b}` has 2 path parameters (`a`, `b`), but this `Path` takes a tuple of 3",
            ),
            (
                quote!("/u/{a}/p/{b}"),
                quote!(
                    async fn one(Path(a): Path<i64>) {}
                ),
                "`/u/{a}/p/{b}` has 2 path parameters (`a`, `b`), but this `Path` takes one value: use a tuple or a struct with fields `a`, `b`",
            ),
            (
                quote!("/u/{a}/p/{b}"),
                quote!(
                    async fn named(Path(P { a, c }): Path<P>) {}
                ),
                "`c` is not a parameter of `/u/{a}/p/{b}`: expected one of `a`, `b`",
            ),
            (
                quote!("/posts"),
                quote!(
                    async fn create(user: AuthUser) {}
                ),
                "`AuthUser` on a route not declared `auth`: declare it, as in `#[post(\"/posts\", auth)]`, so that the guard and the OpenAPI security requirement are generated from it",
            ),
            (
                quote!("/posts/{id}"),
                quote!(
                    async fn twice(Path(a): Path<i64>, Path(b): Path<i64>) {}
                ),
                "a handler takes one `Path` extractor",
            ),
        ];
        for (args, handler, expected) in cases {
            assert_eq!(errors(args, handler.clone()), [expected], "{handler}");
        }
    }
}
