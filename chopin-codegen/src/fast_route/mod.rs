//! `#[fast_route]` on a constant: a response whose bytes are complete at compile time.

pub mod parse;
