//! The route attributes: `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
//! `#[options]` and `#[any]` on the handlers of a `#[chopin::module]`.

pub mod check;
pub mod parse;
