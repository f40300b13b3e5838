//! Pieces every attribute parser shares: a path literal followed by options, an option's key, and
//! a `key = "…"` string.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::diag::Ctxt;

/// The options after the path literal.
pub type Options = Punctuated<Meta, Token![,]>;

/// `"/path", option, option = …`; `None` (with the error recorded) when the path literal is
/// missing or the options do not parse. `missing` says what was expected instead.
pub fn path_and_options(
    cx: &Ctxt,
    args: TokenStream,
    missing: &'static str,
) -> Option<(LitStr, Options)> {
    let parser = |input: ParseStream<'_>| -> syn::Result<(LitStr, Options)> {
        let path: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), missing))?;
        if input.is_empty() {
            return Ok((path, Punctuated::new()));
        }
        input.parse::<Token![,]>()?;
        Ok((path, Punctuated::parse_terminated(input)?))
    };
    parser.parse2(args).map_err(|e| cx.syn_error(e)).ok()
}

/// An option's key as written (`crate` included, which is a keyword, not an identifier).
pub fn key(option: &Meta) -> String {
    if option.path().is_ident("crate") {
        return "crate".to_owned();
    }
    option
        .path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The string of `key = "…"`, or an error saying that one was expected.
pub fn string_value(cx: &Ctxt, option: &Meta) -> Option<LitStr> {
    let key = key(option);
    let message = format!("`{key}` takes a string, as in `{key} = \"…\"`");
    match option {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.clone()),
            other => {
                cx.error_spanned_by(other, message);
                None
            }
        },
        other => {
            cx.error_spanned_by(other, message);
            None
        }
    }
}

/// The path of `crate = "my_app::chopin"`, where generated code finds Chopin when it is
/// re-exported; `None` (with the error recorded) when it is not a path.
pub fn crate_path(cx: &Ctxt, option: &Meta) -> Option<syn::Path> {
    let path = string_value(cx, option)?;
    match path.parse::<syn::Path>() {
        Ok(p) => Some(p),
        Err(_) => {
            cx.error_spanned_by(&path, "expected a path, as in `crate = \"my_app::chopin\"`");
            None
        }
    }
}
