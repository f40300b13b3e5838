//! A route attribute as the module uses it: its [`Method`], and a [`Route`] whose path follows
//! Chopin's route grammar (`chopin-pattern`) and whose access is decided, each part keeping its
//! span for the checks.

use darling::util::Override;
use syn::LitStr;

use super::parse::RouteAttr;
use crate::diag::Ctxt;

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

/// The method of a route attribute; `Any` is its own method, as in axum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `#[get]`: GET, and HEAD with it.
    Get,
    /// `#[post]`.
    Post,
    /// `#[put]`.
    Put,
    /// `#[patch]`.
    Patch,
    /// `#[delete]`.
    Delete,
    /// `#[head]`.
    Head,
    /// `#[options]`.
    Options,
    /// `#[any]`.
    Any,
}

impl Method {
    /// The attribute names, in the order error messages list them.
    pub const NAMES: &'static [&'static str] = crate::symbol::ROUTE_ATTRIBUTES;

    /// The method of an attribute name.
    pub fn from_attr(name: &str) -> Option<Method> {
        Some(match name {
            "get" => Method::Get,
            "post" => Method::Post,
            "put" => Method::Put,
            "patch" => Method::Patch,
            "delete" => Method::Delete,
            "head" => Method::Head,
            "options" => Method::Options,
            "any" => Method::Any,
            _ => return None,
        })
    }

    /// The methods of the manifest (`Methods::…` constants) a route of this method answers.
    pub fn manifest_names(self) -> &'static [&'static str] {
        match self {
            Method::Get => &["GET", "HEAD"],
            Method::Post => &["POST"],
            Method::Put => &["PUT"],
            Method::Patch => &["PATCH"],
            Method::Delete => &["DELETE"],
            Method::Head => &["HEAD"],
            Method::Options => &["OPTIONS"],
            Method::Any => &["ANY"],
        }
    }

    /// The `axum::routing` function of this method.
    pub fn routing_fn(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
            Method::Head => "head",
            Method::Options => "options",
            Method::Any => "any",
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Any => "ANY",
        }
    }

    /// Whether two declarations on one pattern answer a common method (`GET` answers `HEAD`).
    pub(crate) fn overlaps(self, other: Method) -> bool {
        self == other
            || matches!(
                (self, other),
                (Method::Get, Method::Head) | (Method::Head, Method::Get)
            )
    }
}

/// A route of a module, checked on its own.
pub struct Route {
    /// The path literal (checked against the route grammar; an invalid one was reported).
    pub path: LitStr,
    /// `auth` / `auth(role = "…")`.
    pub access: Access,
    /// `name = "…"`.
    pub name: Option<LitStr>,
    /// `tag = "…"`.
    pub tag: Option<LitStr>,
}

impl Route {
    /// The route of `attr`, recording each mistake in `cx`. An `auth` written wrongly still makes
    /// the route require a user, so that the checks after it do not report what follows from
    /// the mistake.
    pub fn from_attr(cx: &Ctxt, attr: &RouteAttr) -> Route {
        check_path(cx, &attr.path);
        let options = attr.options.clone();
        let access = if options.auth.is_written() {
            match options.auth.take(cx) {
                Some(Override::Explicit(auth)) => match auth.role.take(cx) {
                    Some(role) if role.value().trim().is_empty() => {
                        cx.error_spanned_by(&role, "a role cannot be empty");
                        Access::User
                    }
                    Some(role) => Access::Role(role.value()),
                    None => Access::User,
                },
                Some(Override::Inherit) | None => Access::User,
            }
        } else {
            Access::Public
        };
        Route {
            path: attr.path.clone(),
            access,
            name: options.name.take(cx),
            tag: options.tag.take(cx),
        }
    }
}

/// Reports a path that breaks the route grammar, saying where.
fn check_path(cx: &Ctxt, path: &LitStr) {
    let value = path.value();
    if let Err(e) = chopin_pattern::validate(&value) {
        let at = value.get(e.start..e.end).filter(|s| !s.is_empty());
        let message = match at {
            Some(at) => format!("invalid route path: {} (at `{at}`)", e.message()),
            None => format!("invalid route path: {}", e.message()),
        };
        cx.error_spanned_by(path, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn errors(args: TokenStream) -> Vec<String> {
        crate::diag::errors_of(|cx| super::super::from_args(cx, args))
    }

    #[test]
    fn every_option() {
        let cx = Ctxt::new();
        let route = super::super::from_args(
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
        assert_eq!(route.path.value(), "/posts/{id}");
        assert_eq!(route.access, Access::Role("admin".into()));
        assert_eq!(
            route.name.map(|n| n.value()).as_deref(),
            Some("delete_post")
        );
        assert_eq!(route.tag.map(|t| t.value()).as_deref(), Some("posts"));

        for (args, access) in [
            (quote!("/posts", auth), Access::User),
            (quote!("/posts", auth()), Access::User),
            (quote!("/posts"), Access::Public),
        ] {
            let cx = Ctxt::new();
            let route = super::super::from_args(&cx, args).expect("parsed");
            cx.check().expect("no errors");
            assert_eq!(route.access, access);
        }
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
                "unknown route option `nmae`: expected one of `auth`, `name`, `tag` (did you mean `name`?)",
                "`tag` is given twice",
                "`tag` is given twice",
                "invalid route path: unclosed `{`: a parameter is written `{name}` (at `{id`)",
                "unknown `auth` option `rol`: expected one of `role` (did you mean `role`?)",
                "`tag` takes a string, as in `tag = \"…\"`",
            ]
        );
    }

    #[test]
    fn auth_is_a_word_or_a_list() {
        assert_eq!(
            errors(quote!("/posts", auth = "x", auth)),
            [
                "`auth` is given twice",
                "write `auth` or `auth(role = \"…\")`",
            ]
        );
        assert_eq!(
            errors(quote!("/posts", auth(role = " "))),
            ["a role cannot be empty"]
        );
        assert_eq!(
            errors(quote!("/users/:id")),
            [
                "invalid route path: `:name` and `*name` are axum 0.7's syntax: write `{name}` or `{*name}` (at `:id`)"
            ]
        );
    }

    #[test]
    fn a_misshapen_auth_still_requires_a_user() {
        let cx = Ctxt::new();
        let route = super::super::from_args(&cx, quote!("/posts", auth(role = 3))).expect("parsed");
        assert_eq!(
            crate::diag::messages(cx),
            ["`role` takes a string, as in `role = \"…\"`"]
        );
        assert_eq!(route.access, Access::User);
    }
}
