//! `#[fast_route]` on a constant: a response whose bytes are complete at compile time.

pub mod expand;
pub mod parse;

/// Why `auth` is refused on a fast route, wherever it is written.
pub const NO_AUTH: &str = "a fast route cannot require `auth`: its response is precomputed for everyone; use a handler route";
