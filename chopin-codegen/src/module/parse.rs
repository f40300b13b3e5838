//! Tokens of `#[chopin::module(..)]` into [`ModuleOptions`], read by darling; what the values
//! mean is the model stage's ([`super::model`]).
//!
//! ```text
//! #[chopin::module(name = "blog", prefix = "/blog", requires(Auth))]
//! #[chopin::module(name = "auth", prefix = "/auth", provides(auth))]
//! #[chopin::module(crate = "my_reexport::chopin")]
//! ```

use darling::FromMeta;
use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{LitStr, Meta};

use crate::attr::{self, CratePath, Read};
use crate::diag::Ctxt;
use crate::symbol::MODULE_OPTIONS;

/// The options of `#[chopin::module]`, as written.
#[derive(Default, FromMeta)]
pub struct ModuleOptions {
    /// `name = "…"`.
    pub name: Read<LitStr>,
    /// `prefix = "/…"`.
    pub prefix: Read<LitStr>,
    /// `requires(TypeA, TypeB)`.
    #[darling(default, with = |m| attr::list(m, "write `requires(ModuleType, ..)`"))]
    pub requires: Read<Vec<syn::Path>>,
    /// `provides(auth)`.
    #[darling(default, with = |m| attr::list(m, "write `provides(auth)`"))]
    pub provides: Read<Vec<syn::Ident>>,
    /// `models(Post, Comment)`, with where `models` is written.
    #[darling(default, with = read_models)]
    pub models: Read<(Span, Vec<syn::Path>)>,
    /// `migrations`: the module ships its own migration files.
    pub migrations: Read<darling::util::Flag>,
    /// `crate = "…"`.
    #[darling(rename = "crate")]
    pub krate: Read<CratePath>,
}

/// `models(Post, ..)`, with the span of its key.
fn read_models(option: &Meta) -> darling::Result<Read<(Span, Vec<syn::Path>)>> {
    let span = option.path().span();
    Ok(match attr::list(option, "write `models(Post, ..)`")? {
        Read::Ok(models) => Read::Ok((span, models)),
        Read::Err(e) => Read::Err(e),
        Read::Absent => Read::Absent,
    })
}

/// Parses a module attribute's arguments, recording each unknown or repeated key.
pub fn parse(cx: &Ctxt, args: TokenStream) -> ModuleOptions {
    let options = attr::options(cx, args);
    attr::read(cx, &options, "module option", MODULE_OPTIONS, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_option_is_a_field() {
        let cx = Ctxt::new();
        for key in MODULE_OPTIONS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(ModuleOptions::from_list(&options).is_ok(), "{key}");
        }
        cx.check().expect("valid");
    }
}
