//! Tokens of a route attribute into a [`RouteAttr`], reporting every mistake and going on.
//!
//! ```text
//! #[get("/posts/{id}")]
//! #[post("/posts", auth, name = "create_post", tag = "posts")]
//! #[delete("/posts/{id}", auth(role = "admin"))]
//! ```
//!
//! The path must follow Chopin's route grammar (`chopin-pattern`); options are `auth` (any signed-in
//! user), `auth(role = "…")`, `name` (the operation's id) and `tag`.

use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{LitStr, Meta, Token};

use crate::attr::{self, string_value};
use crate::diag::{Ctxt, expected_one_of};
use crate::symbol::{AUTH, NAME, ROLE, ROUTE_OPTIONS, TAG};

/// Who may call a route, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No `auth` option.
    Public,
    /// `auth`: any authenticated user.
    User,
    /// `auth(role = "…")`.
    Role(String),
}

/// A route attribute's arguments, each kept with its span for later checks.
pub struct RouteAttr {
    /// The path literal.
    pub path: LitStr,
    /// `auth` / `auth(role = "…")`.
    pub access: Access,
    /// Where `auth` was written, if it was.
    pub auth_span: Option<Span>,
    /// `name = "…"`.
    pub name: Option<LitStr>,
    /// `tag = "…"`.
    pub tag: Option<LitStr>,
}

/// Parses a route attribute's arguments. `None` when the path itself is missing; every other
/// mistake is recorded in `cx` and parsing goes on.
pub fn parse(cx: &Ctxt, args: TokenStream) -> Option<RouteAttr> {
    let (path, options) = attr::path_and_options(
        cx,
        args,
        "expected the route's path as a string literal, as in `#[get(\"/posts/{id}\")]`",
    )?;

    let value = path.value();
    if let Err(e) = chopin_pattern::validate(&value) {
        let at = value.get(e.start..e.end).filter(|s| !s.is_empty());
        let message = match at {
            Some(at) => format!("invalid route path: {} (at `{at}`)", e.message()),
            None => format!("invalid route path: {}", e.message()),
        };
        cx.error_spanned_by(&path, message);
    }

    let mut attr = RouteAttr {
        path,
        access: Access::Public,
        auth_span: None,
        name: None,
        tag: None,
    };
    for option in options {
        let key = option.path();
        let Some(ident) = key.get_ident().map(ToString::to_string) else {
            cx.error_spanned_by(
                key,
                format!(
                    "unknown route option: {}",
                    expected_one_of("", ROUTE_OPTIONS)
                ),
            );
            continue;
        };
        match ident.as_str() {
            AUTH => {
                if attr.auth_span.is_some() {
                    cx.error_spanned_by(key, "`auth` is given twice");
                    continue;
                }
                attr.auth_span = Some(option.span());
                attr.access = parse_auth(cx, &option);
            }
            NAME | TAG => {
                let slot = if ident == NAME {
                    &mut attr.name
                } else {
                    &mut attr.tag
                };
                if slot.is_some() {
                    cx.error_spanned_by(key, format!("`{ident}` is given twice"));
                    continue;
                }
                *slot = string_value(cx, &option);
            }
            other => cx.error_spanned_by(
                key,
                format!(
                    "unknown route option `{other}`: {}",
                    expected_one_of(other, ROUTE_OPTIONS)
                ),
            ),
        }
    }
    Some(attr)
}

/// `auth` or `auth(role = "…")`.
fn parse_auth(cx: &Ctxt, option: &Meta) -> Access {
    match option {
        Meta::Path(_) => Access::User,
        Meta::List(list) => {
            let mut access = Access::User;
            let inner = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated);
            match inner {
                Ok(metas) => {
                    for meta in metas {
                        if meta.path().is_ident(ROLE) {
                            if let Some(role) = string_value(cx, &meta) {
                                if role.value().trim().is_empty() {
                                    cx.error_spanned_by(&role, "a role cannot be empty");
                                } else {
                                    access = Access::Role(role.value());
                                }
                            }
                        } else {
                            let got = meta
                                .path()
                                .get_ident()
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            cx.error_spanned_by(
                                meta.path(),
                                format!(
                                    "unknown `auth` option `{got}`: {}",
                                    expected_one_of(&got, &[ROLE])
                                ),
                            );
                        }
                    }
                }
                Err(e) => cx.syn_error(e),
            }
            access
        }
        Meta::NameValue(nv) => {
            cx.error_spanned_by(nv, "write `auth` or `auth(role = \"…\")`");
            Access::User
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn errors(args: TokenStream) -> Vec<String> {
        crate::diag::errors_of(|cx| parse(cx, args))
    }

    #[test]
    fn every_option() {
        let cx = Ctxt::new();
        let attr = parse(
            &cx,
            quote!(
                "/posts/{id}",
                auth(role = "admin"),
                name = "delete_post",
                tag = "posts"
            ),
        )
        .expect("parsed");
        cx.check().expect("no errors");
        assert_eq!(attr.path.value(), "/posts/{id}");
        assert_eq!(attr.access, Access::Role("admin".into()));
        assert_eq!(attr.name.map(|n| n.value()).as_deref(), Some("delete_post"));
        assert_eq!(attr.tag.map(|t| t.value()).as_deref(), Some("posts"));

        let cx = Ctxt::new();
        let attr = parse(&cx, quote!("/posts", auth)).expect("parsed");
        cx.check().expect("no errors");
        assert_eq!(attr.access, Access::User);
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        assert_eq!(
            errors(quote!(
                "/users/{id",
                nmae = "x",
                auth(rol = "a"),
                tag = 3,
                tag = "t",
                tag = "u"
            )),
            [
                "invalid route path: unclosed `{`: a parameter is written `{name}` (at `{id`)",
                "unknown route option `nmae`: expected one of `auth`, `name`, `tag` (did you mean `name`?)",
                "unknown `auth` option `rol`: expected one of `role` (did you mean `role`?)",
                "`tag` takes a string, as in `tag = \"…\"`",
                "`tag` is given twice",
            ]
        );
    }

    #[test]
    fn the_path_comes_first() {
        assert_eq!(
            errors(quote!(auth, "/posts")),
            ["expected the route's path as a string literal, as in `#[get(\"/posts/{id}\")]`"]
        );
        assert_eq!(
            errors(quote!("/posts", auth = "x", auth)),
            [
                "write `auth` or `auth(role = \"…\")`",
                "`auth` is given twice"
            ]
        );
        assert_eq!(
            errors(quote!("/users/:id")),
            [
                "invalid route path: `:name` and `*name` are axum 0.7's syntax: write `{name}` or `{*name}` (at `:id`)"
            ]
        );
    }
}
