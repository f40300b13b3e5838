//! `chopin::migrations!()` and `#[chopin::module(migrations)]`: the migration files of the
//! crate being built, embedded in it with `include_str!`, so that a deployed binary migrates
//! without its source tree.
//!
//! The directory is read when the crate is compiled; cargo rebuilds the crate when an embedded
//! file changes, and a build script with `cargo::rerun-if-changed=migrations` makes it notice a
//! file added (`chopin new` writes that script).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::LitStr;

use crate::paths::Paths;

/// `Migrations::new(owner, dir, &[(file, include_str!(path)), ..])` for the `.toml` files of
/// `relative` (a directory beside the crate's `Cargo.toml`), in the order of their names; an
/// error at `span` when the directory cannot be read. A directory that does not exist holds no
/// files yet.
pub fn embed(paths: &Paths, owner: &str, relative: &str, span: Span) -> TokenStream {
    let Some(manifest) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return quote_spanned!(span=> ::core::compile_error!("the migration files are found from CARGO_MANIFEST_DIR, which cargo sets: build with cargo"));
    };
    let dir = std::path::Path::new(&manifest).join(relative);
    let mut files = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(err) => return error(span, &dir, &err),
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".toml") {
                    files.push((name, entry.path()));
                }
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return error(span, &dir, &err),
    }
    files.sort();
    let db = paths.at(span).db();
    let dir = dir.to_string_lossy().into_owned();
    let entries = files.iter().map(|(name, path)| {
        let path = path.to_string_lossy().into_owned();
        quote!((#name, ::core::include_str!(#path)))
    });
    quote_spanned! {span=>
        #db::Migrations::new(#owner, #dir, &[#(#entries),*])
    }
}

fn error(span: Span, dir: &std::path::Path, err: &std::io::Error) -> TokenStream {
    let message = format!(
        "cannot read the migrations directory `{}`: {err}",
        dir.display()
    );
    quote_spanned!(span=> ::core::compile_error!(#message))
}

/// `chopin::migrations!()` (the files of `migrations/`) or `chopin::migrations!("dir")`: the
/// application's files.
pub fn expand(input: TokenStream) -> TokenStream {
    let relative = if input.is_empty() {
        "migrations".to_owned()
    } else {
        match syn::parse2::<LitStr>(input) {
            Ok(dir) => dir.value(),
            Err(err) => {
                return syn::Error::new(
                    err.span(),
                    "expected nothing, or the directory of the migration files beside \
                     Cargo.toml as a string: `chopin::migrations!(\"migrations\")`",
                )
                .to_compile_error();
            }
        }
    };
    embed(&Paths::new(None), "app", &relative, Span::call_site())
}
