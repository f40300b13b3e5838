//! `#[chopin::module]` on an `impl` block: its routes, checked together.

pub mod check;
pub mod expand;
pub mod parse;
