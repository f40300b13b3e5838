//! Tokens of a `#[fast_route]` attribute into a [`FastRouteAttr`]: the path literal, read by
//! hand, and the options after it, read by darling. What the values mean is the model stage's
//! ([`super::model`]).
//!
//! ```text
//! #[fast_route("/health", text, cache_control = "no-cache")]
//! #[fast_route("/about", html, cors, methods(GET, HEAD))]
//! #[fast_route("/feed.xml", content_type = "application/rss+xml", header("x-robots-tag", "noindex"))]
//! ```

use darling::FromMeta;
use darling::util::Flag;
use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::{LitStr, Meta, Token};

use super::NO_AUTH;
use crate::attr::{self, NestedMeta, Read};
use crate::diag::Ctxt;
use crate::symbol::{AUTH, CONTENT_TYPES, FAST_ROUTE_OPTIONS, HEADER};

/// A `#[fast_route]` attribute's arguments, as written.
pub struct FastRouteAttr {
    /// The path literal.
    pub path: LitStr,
    /// The keys that set the content type (`json`, `text`, `html`, `content_type`), in the order
    /// they are written: a fast route has one, and the second is the mistake.
    pub content_types: Vec<syn::Path>,
    /// The options after the path.
    pub options: FastRouteOptions,
}

/// The options of `#[fast_route]`.
#[derive(Default, FromMeta)]
pub struct FastRouteOptions {
    /// `json`.
    pub json: Read<Flag>,
    /// `text`.
    pub text: Read<Flag>,
    /// `html`.
    pub html: Read<Flag>,
    /// `content_type = "…"`.
    pub content_type: Read<LitStr>,
    /// `cors`.
    pub cors: Read<Flag>,
    /// `cache_control = "…"`.
    pub cache_control: Read<LitStr>,
    /// `header("name", "value")`, in order.
    #[darling(multiple, with = read_header)]
    pub header: Vec<Read<(LitStr, LitStr)>>,
    /// `methods(GET, HEAD)`.
    #[darling(default, with = |m| attr::list(m, "write `methods(GET, HEAD)`"))]
    pub methods: Read<Vec<syn::Ident>>,
}

/// `header("name", "value")`.
fn read_header(option: &Meta) -> darling::Result<Read<(LitStr, LitStr)>> {
    let pair = match option {
        Meta::List(list) => list
            .parse_args_with(Punctuated::<LitStr, Token![,]>::parse_terminated)
            .ok()
            .filter(|pair| pair.len() == 2)
            .map(|pair| (pair[0].clone(), pair[1].clone())),
        _ => None,
    };
    Ok(pair
        .ok_or_else(|| syn::Error::new_spanned(option, "write `header(\"name\", \"value\")`"))
        .into())
}

/// Parses a `#[fast_route]` attribute's arguments; `None` when the path is missing.
pub fn parse(cx: &Ctxt, args: TokenStream) -> Option<FastRouteAttr> {
    let (path, options) = attr::path_and_options(
        cx,
        args,
        "expected the path as a string literal, as in `#[fast_route(\"/health\", text)]`",
    )?;
    // `auth` is a route option a fast route cannot have: said so, rather than as unknown.
    let options: Vec<NestedMeta> = options
        .into_iter()
        .filter(|option| match option {
            NestedMeta::Meta(meta) if meta.path().is_ident(AUTH) => {
                cx.error_spanned_by(meta.path(), NO_AUTH);
                false
            }
            _ => true,
        })
        .collect();
    let mut content_types: Vec<syn::Path> = Vec::new();
    for option in &options {
        if let NestedMeta::Meta(meta) = option {
            let key = attr::key(meta);
            let first = !content_types.iter().any(|p| p.is_ident(&key));
            if CONTENT_TYPES.contains(&key.as_str()) && first {
                content_types.push(meta.path().clone());
            }
        }
    }
    let options = attr::read(
        cx,
        &options,
        "`fast_route` option",
        FAST_ROUTE_OPTIONS,
        &[HEADER],
    );
    Some(FastRouteAttr {
        path,
        content_types,
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_option_is_a_field() {
        let cx = Ctxt::new();
        for key in FAST_ROUTE_OPTIONS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(FastRouteOptions::from_list(&options).is_ok(), "{key}");
        }
        cx.check().expect("valid");
    }
}
