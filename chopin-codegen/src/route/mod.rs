//! The route attributes: `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
//! `#[options]` and `#[any]` on the handlers of a `#[chopin::module]`.

pub mod check;
pub mod parse;

use proc_macro2::TokenStream;
use quote::quote;

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
