//! The Chopin code generator, as a plain library.
//!
//! It turns Chopin's attributes into code in four stages, a folder per attribute with a file per
//! stage: parse (tokens into raw attribute data, darling reading the options; every error
//! collected), model (validated domain data that keeps spans), check (rules that look at more
//! than one piece, such as two routes claiming one path) and expand (data into tokens,
//! infallible). Shared by all: [`attr`] (the options' reading), [`diag`] (the error
//! accumulator), [`symbol`] (every keyword), [`paths`] (every path the expansions name) and
//! [`names`]. It depends on syn, quote, proc-macro2 and darling but never on `proc_macro`, so the
//! same code runs in the `chopin-macros` entry points, in unit tests and in the `chopin`
//! command-line tool.
//!
//! The functions at the root are the attributes' entry points. With `CHOPIN_MACROS_DEBUG=1` in the
//! compiler's environment each prints its expansion to standard error.

pub mod attr;
pub mod diag;
pub mod fast_route;
pub mod model;
pub mod module;
pub mod names;
pub mod paths;
pub mod route;
pub mod symbol;

use proc_macro2::TokenStream;

/// `#[chopin::module(args)] item`.
pub fn module(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("chopin::module", module::expand(args, item))
}

/// `#[chopin::model(args)] item`.
pub fn model(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("chopin::model", model::expand(args, item))
}

/// `#[fast_route(args)] item`, on a crate-level constant.
pub fn fast_route(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("fast_route", fast_route::expand(args, item))
}

/// `#[get]`, `#[post]`, … outside a module: an error.
pub fn route(name: &str, item: &TokenStream) -> TokenStream {
    route::outside_module(name, item)
}

/// Prints `expansion` when `CHOPIN_MACROS_DEBUG=1`, and returns it.
fn debug(attribute: &str, expansion: TokenStream) -> TokenStream {
    if std::env::var_os("CHOPIN_MACROS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("// #[{attribute}] expands to:\n{}", pretty(&expansion));
    }
    expansion
}

/// Tokens as formatted Rust, or as plain tokens when they are not a file of items.
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}
