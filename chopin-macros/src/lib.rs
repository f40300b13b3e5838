//! The procedural macros of the Chopin web framework.
//!
//! Use the `chopin` crate, not this one: it re-exports every attribute with its documentation, and
//! the code these macros generate refers to the runtime through `::chopin::__private`.
//!
//! Each attribute (`#[chopin::module]`, `#[fast_route]`, the route attributes, `#[model]`) is one
//! entry point here that converts its input to `proc_macro2` and calls `chopin-codegen`, where
//! parsing, checking and expansion live as an ordinary, unit-testable library.

use proc_macro::TokenStream;

/// Declares a feature module on an `impl` block: see `chopin::module`.
#[proc_macro_attribute]
pub fn module(args: TokenStream, item: TokenStream) -> TokenStream {
    chopin_codegen::module(args.into(), item.into()).into()
}

/// A database model: see `chopin::model`.
#[proc_macro_attribute]
pub fn model(args: TokenStream, item: TokenStream) -> TokenStream {
    chopin_codegen::model(args.into(), item.into()).into()
}

/// A response computed at compile time: see `chopin::fast_route`.
#[proc_macro_attribute]
pub fn fast_route(args: TokenStream, item: TokenStream) -> TokenStream {
    chopin_codegen::fast_route(args.into(), item.into()).into()
}

/// The application's migration files, embedded: see `chopin::migrations`.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    chopin_codegen::migrations(input.into()).into()
}

/// An application's modules, declared once: see `chopin::modules`.
#[proc_macro]
pub fn modules(input: TokenStream) -> TokenStream {
    chopin_codegen::modules(input.into()).into()
}

macro_rules! route_attributes {
    ($($name:ident),*) => {$(
        #[doc = concat!("`#[", stringify!($name), "(\"/path\", ..)]` on a handler inside a `#[chopin::module]` impl block: see `chopin::module`.")]
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, item: TokenStream) -> TokenStream {
            chopin_codegen::route(stringify!($name), &item.into()).into()
        }
    )*};
}

route_attributes!(get, post, put, patch, delete, head, options, any);
