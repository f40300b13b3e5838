//! What every attribute parser shares: the list of options (darling's `NestedMeta`), one pass
//! that reports unknown and repeated keys in our words, and the values darling reads them into.
//!
//! darling maps each key to a field of an options struct (`#[derive(FromMeta)]`). Two things it
//! does not do our way, so they are done here: its message for an unknown key names one guess
//! but not the keys there are, and it gives up a whole struct for one bad value. So [`known`]
//! reports unknown and repeated keys first, each at its key, and leaves them out; and each
//! field is a [`Read`], which keeps the error of a bad value beside the others (as syn's error,
//! which spans a range of tokens where darling's spans one), for the model stage to report and
//! go on.

use darling::FromMeta;
use darling::util::{Flag, Override};
use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

pub use darling::ast::NestedMeta;

use crate::diag::{Ctxt, expected_one_of};

/// An option as it was read: not written, its value, or what was wrong with it.
#[derive(Clone, Default)]
pub enum Read<T> {
    /// The key is not there.
    #[default]
    Absent,
    /// The key and a value of the expected shape.
    Ok(T),
    /// The key, with a value of the wrong shape.
    Err(syn::Error),
}

impl<T> Read<T> {
    /// Whether the key was written, rightly or not.
    pub fn is_written(&self) -> bool {
        !matches!(self, Read::Absent)
    }

    /// The value, or `None` with its error recorded in `cx`.
    pub fn take(self, cx: &Ctxt) -> Option<T> {
        match self {
            Read::Absent => None,
            Read::Ok(value) => Some(value),
            Read::Err(e) => {
                cx.syn_error(e);
                None
            }
        }
    }
}

impl<T> From<syn::Result<T>> for Read<T> {
    fn from(result: syn::Result<T>) -> Self {
        match result {
            Ok(value) => Read::Ok(value),
            Err(e) => Read::Err(e),
        }
    }
}

/// A value of an option, read from the whole option (its key is in the messages).
pub trait Value: Sized {
    /// The value of `option`, or an error saying what was expected.
    fn read(option: &Meta) -> syn::Result<Self>;
}

impl<T: Value> FromMeta for Read<T> {
    fn from_none() -> Option<Self> {
        Some(Read::Absent)
    }

    fn from_meta(option: &Meta) -> darling::Result<Self> {
        Ok(T::read(option).into())
    }
}

/// `key = "…"`.
impl Value for LitStr {
    fn read(option: &Meta) -> syn::Result<Self> {
        let key = key(option);
        let message = format!("`{key}` takes a string, as in `{key} = \"…\"`");
        match option {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Ok(s.clone()),
                other => Err(syn::Error::new_spanned(other, message)),
            },
            other => Err(syn::Error::new_spanned(other, message)),
        }
    }
}

/// A word without a value: `cors`, `primary_key`.
impl Value for Flag {
    fn read(option: &Meta) -> syn::Result<Self> {
        match option {
            Meta::Path(_) => Flag::from_meta(option).map_err(syn::Error::from),
            other => Err(syn::Error::new_spanned(
                other,
                format!("`{}` takes no value", key(other)),
            )),
        }
    }
}

/// A literal, `-` included before a number: `default = false`, `max_len = 200`, `min = -1`.
pub struct Literal(pub Lit);

impl Value for Literal {
    fn read(option: &Meta) -> syn::Result<Self> {
        let Meta::NameValue(nv) = option else {
            return Err(syn::Error::new_spanned(
                option,
                format!("write `{} = …`", key(option)),
            ));
        };
        match &nv.value {
            Expr::Lit(ExprLit { lit, .. }) => Ok(Literal(lit.clone())),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(i), ..
                }) => Ok(Literal(Lit::Int(syn::LitInt::new(
                    &format!("-{}", i.base10_digits()),
                    i.span(),
                )))),
                Expr::Lit(ExprLit {
                    lit: Lit::Float(f), ..
                }) => Ok(Literal(Lit::Float(syn::LitFloat::new(
                    &format!("-{}", f.base10_digits()),
                    f.span(),
                )))),
                other => Err(syn::Error::new_spanned(other, "expected a literal")),
            },
            other => Err(syn::Error::new_spanned(
                other,
                "expected a literal, as in `default = false`",
            )),
        }
    }
}

/// `crate = "my_app::chopin"`: where generated code finds Chopin when it is re-exported.
pub struct CratePath(pub syn::Path);

impl Value for CratePath {
    fn read(option: &Meta) -> syn::Result<Self> {
        let path = LitStr::read(option)?;
        path.parse().map(CratePath).map_err(|_| {
            syn::Error::new_spanned(&path, "expected a path, as in `crate = \"my_app::chopin\"`")
        })
    }
}

/// `key(A, B, ..)`, or `message` when it is written otherwise; for darling's `with`.
pub fn list<T: Parse>(option: &Meta, message: &str) -> darling::Result<Read<Vec<T>>> {
    let read = match option {
        Meta::List(list) => list
            .parse_args_with(Punctuated::<T, Token![,]>::parse_terminated)
            .map(|items| items.into_iter().collect()),
        other => Err(syn::Error::new_spanned(other, message)),
    };
    Ok(read.into())
}

/// `key = Path`, or `message` when it is written otherwise; for darling's `with`.
pub fn path(option: &Meta, message: &str) -> darling::Result<Read<syn::Path>> {
    let read = match option {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Path(p) => Ok(p.path.clone()),
            other => Err(syn::Error::new_spanned(other, message)),
        },
        other => Err(syn::Error::new_spanned(other, message)),
    };
    Ok(read.into())
}

/// `key(inner, ..)`, its options read into `T` by darling after [`known`]; `message` when it is
/// written otherwise.
pub fn nested<T: FromMeta>(
    option: &Meta,
    what: &str,
    accepted: &[&str],
    message: &str,
) -> syn::Result<T> {
    let Meta::List(list) = option else {
        return Err(syn::Error::new_spanned(option, message));
    };
    let mut errors = Vec::new();
    let value = NestedMeta::parse_meta_list(list.tokens.clone())
        .map_err(|e| errors.push(e))
        .ok()
        .map(|items| known(&items, what, accepted, &[], &mut errors))
        .and_then(|items| T::from_list(&items).map_err(|e| errors.push(e.into())).ok());
    match (combine(errors), value) {
        (Some(e), _) => Err(e),
        (None, Some(value)) => Ok(value),
        (None, None) => Err(syn::Error::new_spanned(option, message)),
    }
}

/// `key` or `key(inner, ..)`: darling's [`Override`], `Inherit` for the bare word and `Explicit`
/// for the list, read as [`nested`] reads it; `message` when it is written otherwise.
pub fn word_or_list<T: FromMeta>(
    option: &Meta,
    what: &str,
    accepted: &[&str],
    message: &str,
) -> syn::Result<Override<T>> {
    match option {
        Meta::Path(_) => Ok(Override::Inherit),
        _ => nested(option, what, accepted, message).map(Override::Explicit),
    }
}

fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    })
}

/// An option's key as written (`crate` included, which is a keyword, not an identifier).
pub fn key(option: &Meta) -> String {
    darling::util::path_to_string(option.path())
}

/// The options of `accepted` (each once, but for those of `repeatable`), in order; the others
/// are reported into `errors`, each at its key: an unknown key with the keys there are and
/// the closest one, a repeated key as given twice.
pub fn known(
    options: &[NestedMeta],
    what: &str,
    accepted: &[&str],
    repeatable: &[&str],
    errors: &mut Vec<syn::Error>,
) -> Vec<NestedMeta> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for option in options {
        let NestedMeta::Meta(meta) = option else {
            errors.push(syn::Error::new_spanned(
                option,
                format!("unknown {what}: {}", expected_one_of("", accepted)),
            ));
            continue;
        };
        let key = key(meta);
        let at = meta.path();
        if !accepted.contains(&key.as_str()) {
            let message = if at.get_ident().is_some() || key == "crate" {
                format!(
                    "unknown {what} `{key}`: {}",
                    expected_one_of(&key, accepted)
                )
            } else {
                format!("unknown {what}: {}", expected_one_of("", accepted))
            };
            errors.push(syn::Error::new_spanned(at, message));
        } else if seen.contains(&key) && !repeatable.contains(&key.as_str()) {
            errors.push(syn::Error::new_spanned(
                at,
                format!("`{key}` is given twice"),
            ));
        } else {
            seen.push(key);
            out.push(option.clone());
        }
    }
    out
}

/// The options of an attribute, read by darling into `T` after [`known`]; every error is
/// recorded in `cx`.
pub fn read<T: FromMeta + Default>(
    cx: &Ctxt,
    options: &[NestedMeta],
    what: &str,
    accepted: &[&str],
    repeatable: &[&str],
) -> T {
    let mut errors = Vec::new();
    let options = known(options, what, accepted, repeatable, &mut errors);
    for e in errors {
        cx.syn_error(e);
    }
    match T::from_list(&options) {
        Ok(options) => options,
        Err(e) => {
            // Every field is a `Read` and every key known and single: darling has nothing left
            // to refuse, but an error of its own is reported rather than lost.
            cx.darling_error(e);
            T::default()
        }
    }
}

/// An attribute's whole list of options; empty (with the error recorded) when it does not parse.
pub fn options(cx: &Ctxt, args: TokenStream) -> Vec<NestedMeta> {
    NestedMeta::parse_meta_list(args).unwrap_or_else(|e| {
        cx.syn_error(e);
        Vec::new()
    })
}

/// `"/path", option, option = …`: the path literal, read by hand, and the options after it;
/// `None` (with the error recorded) when the path literal is missing or the options do not
/// parse. `missing` says what was expected instead of the path.
pub fn path_and_options(
    cx: &Ctxt,
    args: TokenStream,
    missing: &'static str,
) -> Option<(LitStr, Vec<NestedMeta>)> {
    let parser = |input: ParseStream<'_>| -> syn::Result<(LitStr, Vec<NestedMeta>)> {
        let path: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), missing))?;
        if input.is_empty() {
            return Ok((path, Vec::new()));
        }
        input.parse::<Token![,]>()?;
        let options = Punctuated::<NestedMeta, Token![,]>::parse_terminated(input)?;
        Ok((path, options.into_iter().collect()))
    };
    parser.parse2(args).map_err(|e| cx.syn_error(e)).ok()
}

/// An item's doc comment, as rustdoc reads it: the `#[doc]` lines, each without the one space
/// that follows `///`.
pub fn doc(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident(crate::symbol::DOC))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines
        .iter()
        .flat_map(|l| l.split('\n'))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[derive(Default, FromMeta)]
    struct Options {
        name: Read<LitStr>,
        cors: Read<Flag>,
        #[darling(rename = "crate")]
        krate: Read<CratePath>,
    }

    const KEYS: &[&str] = &["name", "cors", "crate"];

    fn read_all(args: TokenStream) -> (Options, Vec<String>) {
        let cx = Ctxt::new();
        let options = options(&cx, args);
        let read = read::<Options>(&cx, &options, "test option", KEYS, &[]);
        (read, crate::diag::messages(cx))
    }

    #[test]
    fn every_key_once() {
        let (o, errors) = read_all(quote!(name = "a", cors, crate = "app::chopin"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(matches!(o.name, Read::Ok(n) if n.value() == "a"));
        assert!(matches!(o.cors, Read::Ok(f) if f.is_present()));
        assert!(matches!(o.krate, Read::Ok(_)));
    }

    #[test]
    fn unknown_repeated_and_misshapen() {
        let cx = Ctxt::new();
        let options = options(
            &cx,
            quote!(nmae = "a", name = 1, name = "b", cors = 2, "x", a::b),
        );
        let o = read::<Options>(&cx, &options, "test option", KEYS, &[]);
        let cx2 = Ctxt::new();
        let name = o.name.take(&cx2);
        let cors = o.cors.take(&cx2);
        assert!(name.is_none() && cors.is_none());
        assert_eq!(
            crate::diag::messages(cx),
            [
                "unknown test option `nmae`: expected one of `name`, `cors`, `crate` (did you mean `name`?)",
                "`name` is given twice",
                "unknown test option: expected one of `name`, `cors`, `crate`",
                "unknown test option: expected one of `name`, `cors`, `crate`",
            ]
        );
        assert_eq!(
            crate::diag::messages(cx2),
            [
                "`name` takes a string, as in `name = \"…\"`",
                "`cors` takes no value",
            ]
        );
    }
}
