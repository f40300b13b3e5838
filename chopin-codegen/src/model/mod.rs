//! `#[chopin::model]`: one struct as the API's read schema, its SeaORM entity and table, the
//! `NewX` and `XPatch` a client sends, and their validation.
//!
//! [`expand`](fn@expand) runs the stages: [`parse`] reads the options and the fields' keys, [`model`] gives
//! them meaning, [`check`] applies the rules between them, and [`expand()`](expand::generate)
//! writes the code.

pub mod check;
pub mod expand;
#[allow(
    clippy::module_inception,
    reason = "every attribute's folder has the same stages, and this attribute is called model"
)]
pub mod model;
pub mod parse;

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Ctxt;
use model::ModelDef;

/// `#[chopin::model(args)] item` through parse, model and check; `None` when the item is not a
/// struct with named fields. Every mistake is recorded in `cx`.
pub fn from_args(cx: &Ctxt, args: TokenStream, item: TokenStream) -> Option<ModelDef> {
    let attr = parse::parse(cx, args, item)?;
    let def = ModelDef::from_attr(cx, attr);
    check::check(cx, &def);
    Some(def)
}

/// Expands `#[chopin::model(args)] item`. On a mistake: every error, then the struct as written
/// (without its `#[model]` keys), so that code using it still compiles and the errors are the
/// only ones.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let def = from_args(&cx, args, item.clone());
    match (cx.check(), def) {
        (Ok(()), Some(def)) => expand::generate(&def),
        (Err(e), Some(def)) => {
            let item = &def.item;
            let mut out = e.to_compile_error();
            out.extend(quote!(#item));
            out
        }
        (Err(e), None) => {
            let mut out = e.to_compile_error();
            out.extend(item);
            out
        }
        (Ok(()), None) => item,
    }
}
