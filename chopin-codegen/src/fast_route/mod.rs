//! `#[fast_route]` on a constant: a response whose bytes are complete at compile time.
//!
//! Inside a `#[chopin::module]` the module reads the attribute off its constants; on a
//! crate-level constant, [`expand`](fn@expand) runs the stages: [`parse`], [`model`], [`expand()`](expand::generate).

pub mod expand;
pub mod model;
pub mod parse;

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Ctxt;
use model::{Body, FastRoute};

/// Why `auth` is refused on a fast route, wherever it is written.
pub const NO_AUTH: &str = "a fast route cannot require `auth`: its response is precomputed for everyone; use a handler route";

/// What a fast route may not be put on, and where to point.
pub const NOT_A_CONSTANT: &str = "a fast route's body is a constant: put `#[fast_route]` on a `const` holding a `&str` or `&[u8]`, as in `const HEALTH: &str = \"OK\";`";

/// `#[fast_route(args)]` on a crate-level constant: the constant becomes the route. On a
/// mistake, the errors and the item as written.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let item_const = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Const(c)) => Some(c),
        Ok(other) => {
            cx.error_spanned_by(not_a_constant(&other), NOT_A_CONSTANT);
            None
        }
        Err(e) => {
            cx.syn_error(e);
            None
        }
    };
    let route = parse::parse(&cx, args).map(|attr| FastRoute::from_attr(&cx, attr));
    let kind = item_const.as_ref().and_then(|c| Body::of(&cx, &c.ty));
    match (cx.check(), item_const, route, kind) {
        (Ok(()), Some(c), Some(route), Some(kind)) => expand::generate(&route, c, kind),
        (result, ..) => {
            let mut out = result
                .err()
                .map(|e| e.to_compile_error())
                .unwrap_or_default();
            out.extend(item);
            out
        }
    }
}

fn not_a_constant(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Fn(f) => {
            let sig = &f.sig;
            quote!(#sig)
        }
        syn::Item::Static(s) => {
            let (st, ident) = (&s.static_token, &s.ident);
            quote!(#st #ident)
        }
        other => quote!(#other),
    }
}
