//! `#[chopin::module]` on an `impl` block: its routes, checked together.
//!
//! [`expand`](fn@expand) runs the stages: [`parse`] reads the options, [`model`] checks them and reads the
//! route attributes off the block's items, [`check`] judges the routes together, and
//! [`expand()`](expand::generate) writes the manifest and the router.

pub mod check;
pub mod expand;
pub mod model;
pub mod parse;

use proc_macro2::TokenStream;
use syn::ItemImpl;

use crate::diag::Ctxt;
use model::ModuleDef;

/// Expands `#[chopin::module(args)] item`. On a mistake: every error, then the block without the
/// attributes the module consumed and the module with no routes, requirements or capabilities,
/// so that code that mounts it still compiles and the errors are the only ones (and an editor
/// shows nothing else).
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let def = ModuleDef::from_options(&cx, parse::parse(&cx, args));
    let mut imp = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(imp) => imp,
        Err(_) => {
            let first: TokenStream = item.clone().into_iter().take(3).collect();
            cx.error_spanned_by(
                first,
                "`#[chopin::module]` goes on an `impl` block, as in `#[chopin::module] impl Blog { … }`",
            );
            return cx.errors_then(item);
        }
    };
    if let Some((path, _)) = &imp.trait_ {
        cx.error_spanned_by(
            path,
            "`#[chopin::module]` goes on an inherent `impl` block (`impl Blog { … }`), not a trait implementation",
        );
        return cx.errors_then(item);
    }

    let prefix = def
        .prefix
        .as_ref()
        .map(syn::LitStr::value)
        .unwrap_or_default();
    let decls = model::collect(&cx, &mut imp, &prefix);
    check::check_module(&cx, &prefix, &decls, !imp.generics.params.is_empty());
    let states = model::states(&imp);
    if let Err(e) = cx.check() {
        let bare = ModuleDef {
            requires: Vec::new(),
            provides: Vec::new(),
            models: Vec::new(),
            ..def
        };
        // Its handlers are not routed, which is no news to report.
        imp.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
        let mut out = e.to_compile_error();
        out.extend(expand::generate(&bare, &imp, &[], &prefix, &[]));
        return out;
    }
    expand::generate(&def, &imp, &decls, &prefix, &states)
}
