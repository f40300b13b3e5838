//! The procedural macros of the Chopin web framework.
//!
//! Use the `chopin` crate, not this one: it re-exports every attribute with its documentation, and
//! the code these macros generate refers to the runtime through `::chopin::__private`.
//!
//! Each attribute (`#[chopin::module]`, `#[fast_route]`, the route attributes, `#[model]`) is one
//! entry point here that converts its input to `proc_macro2` and calls `chopin-codegen`, where
//! parsing, checking and expansion live as an ordinary, unit-testable library.
