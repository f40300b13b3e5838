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
pub mod migrations;
pub mod model;
pub mod module;
pub mod modules;
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

/// `chopin::modules!(input)`: an application's module list, declared once.
pub fn modules(input: TokenStream) -> TokenStream {
    debug("chopin::modules", modules::expand(input))
}

/// `chopin::migrations!(input)`: the application's migration files, embedded.
pub fn migrations(input: TokenStream) -> TokenStream {
    debug("chopin::migrations", migrations::expand(input))
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

/// Tokens as formatted Rust, by the toolchain's `rustfmt` (or `$RUSTFMT`), or as plain tokens
/// where it is missing or refuses them.
///
/// A formatter of its own (prettyplease) would be compiled into every application's build for a
/// debugging aid; `rustfmt` comes with the toolchain. The expansion snapshots use prettyplease,
/// a dev-dependency, so that they do not depend on the installed `rustfmt`.
pub fn pretty(tokens: &TokenStream) -> String {
    let text = tokens.to_string();
    rustfmt(&text).unwrap_or(text)
}

fn rustfmt(text: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(program)
        .args(["--edition", "2024"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}
