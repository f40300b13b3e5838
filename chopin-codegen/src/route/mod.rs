//! The route attributes: `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
//! `#[options]` and `#[any]` on the handlers of a `#[chopin::module]`.

pub mod check;
pub mod model;
pub mod parse;

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Ctxt;

/// The full path of `path` under `prefix`: `/blog` + `/posts`; `/blog` + `/` is `/blog`.
pub fn full_path(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("", p) => p.to_owned(),
        (pre, "/") => pre.to_owned(),
        (pre, p) => format!("{pre}{p}"),
    }
}

/// A route attribute's arguments, parsed and made a [`model::Route`]; `None` when the path is
/// missing. Every mistake is recorded in `cx`.
pub fn from_args(cx: &Ctxt, args: TokenStream) -> Option<model::Route> {
    parse::parse(cx, args).map(|attr| model::Route::from_attr(cx, &attr))
}

/// A route attribute used on its own: routes belong to a module, which reads them off its
/// handlers, so this is always an error, at the handler's signature.
pub fn outside_module(name: &str, item: &TokenStream) -> TokenStream {
    let at = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(f) => {
            let sig = f.sig;
            quote!(#sig)
        }
        Err(_) => item.clone().into_iter().take(3).collect(),
    };
    let error = syn::Error::new_spanned(
        at,
        format!(
            "`#[{name}]` declares a route of a module: put the handler inside a `#[chopin::module]` impl block"
        ),
    )
    .to_compile_error();
    quote!(#error #item)
}
