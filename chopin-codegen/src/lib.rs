//! The Chopin code generator, as a plain library.
//!
//! It turns Chopin's attributes into code in four stages: parse (tokens into raw attribute data,
//! collecting every error), model (validated domain data that keeps spans), check (rules that look
//! at more than one piece, such as two routes claiming one path) and expand (data into tokens). It
//! depends on syn, quote and proc-macro2 but never on `proc_macro`, so the same code runs in the
//! `chopin-macros` entry points, in unit tests and in the `chopin` command-line tool.

pub mod attr;
pub mod diag;
pub mod fast_route;
pub mod module;
pub mod route;
pub mod symbol;
