//! Tokens of a route attribute into a [`RouteAttr`]: the path literal, read by hand, and the
//! options after it, read by darling. Every mistake of shape is kept or recorded and parsing
//! goes on; what the values mean is the model stage's ([`super::model`]).
//!
//! ```text
//! #[get("/posts/{id}")]
//! #[post("/posts", auth, name = "create_post", tag = "posts")]
//! #[delete("/posts/{id}", auth(role = "admin"))]
//! ```

use darling::FromMeta;
use darling::util::Override;
use proc_macro2::TokenStream;
use syn::{LitStr, Meta};

use crate::attr::{self, Read, Value};
use crate::diag::Ctxt;
use crate::symbol::{AUTH_OPTIONS, ROUTE_OPTIONS};

/// A route attribute's arguments, as written: the path is what the module's checks judge
/// routes by ([`crate::module::check`]), the options are given meaning by
/// [`super::model::Route`].
pub struct RouteAttr {
    /// The path literal.
    pub path: LitStr,
    /// The options after it.
    pub options: RouteOptions,
}

/// The options of a route attribute.
#[derive(Clone, Default, FromMeta)]
pub struct RouteOptions {
    /// `auth` (`Inherit`: any signed-in user) or `auth(role = "…")` (`Explicit`).
    pub auth: Read<Override<AuthOptions>>,
    /// `name = "…"`: the operation's id.
    pub name: Read<LitStr>,
    /// `tag = "…"`: the operation's tag.
    pub tag: Read<LitStr>,
}

/// The options inside `auth(..)`.
#[derive(Clone, Default, FromMeta)]
pub struct AuthOptions {
    /// `role = "…"`.
    pub role: Read<LitStr>,
}

impl Value for Override<AuthOptions> {
    fn read(option: &Meta) -> syn::Result<Self> {
        attr::word_or_list(
            option,
            "`auth` option",
            AUTH_OPTIONS,
            "write `auth` or `auth(role = \"…\")`",
        )
    }
}

/// Parses a route attribute's arguments. `None` when the path itself is missing; every other
/// mistake is recorded in `cx` or kept in the options, and parsing goes on.
pub fn parse(cx: &Ctxt, args: TokenStream) -> Option<RouteAttr> {
    let (path, options) = attr::path_and_options(
        cx,
        args,
        "expected the route's path as a string literal, as in `#[get(\"/posts/{id}\")]`",
    )?;
    let options = attr::read(cx, &options, "route option", ROUTE_OPTIONS, &[]);
    Some(RouteAttr { path, options })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn every_listed_option_is_a_field() {
        let cx = Ctxt::new();
        for key in ROUTE_OPTIONS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(RouteOptions::from_list(&options).is_ok(), "{key}");
        }
        for key in AUTH_OPTIONS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(AuthOptions::from_list(&options).is_ok(), "{key}");
        }
        cx.check().expect("valid");
    }

    #[test]
    fn the_path_comes_first() {
        assert_eq!(
            crate::diag::errors_of(|cx| parse(cx, quote!(auth, "/posts"))),
            ["expected the route's path as a string literal, as in `#[get(\"/posts/{id}\")]`"]
        );
    }
}
