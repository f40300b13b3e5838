//! The error accumulator: every stage reports into one [`Ctxt`] and goes on, so a user sees all
//! their mistakes at once, each spanned at its token.
//!
//! A `Ctxt` must be checked: dropping it unchecked is a bug in this crate (errors would be lost),
//! and panics in debug builds.

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

/// Collects errors while a stage goes on.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Ctxt {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error spanned at `tokens`.
    pub fn error_spanned_by<T: ToTokens, M: Display>(&self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error at `span`.
    pub fn error_at<M: Display>(&self, span: proc_macro2::Span, message: M) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error already built.
    pub fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// Records each error darling met, at its span.
    pub fn darling_error(&self, error: darling::Error) {
        for e in error.flatten() {
            self.syn_error(e.into());
        }
    }

    /// Ends the context: its errors as `compile_error!`s, then `item` as written, so that the
    /// item's other uses still resolve and the errors above are the only ones.
    pub fn errors_then(self, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        let mut out = match self.check() {
            Ok(()) => proc_macro2::TokenStream::new(),
            Err(e) => e.to_compile_error(),
        };
        out.extend(item);
        out
    }

    /// Ends the context: `Ok` if nothing was recorded, else every error combined into one.
    pub fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for e in errors {
            combined.combine(e);
        }
        Err(combined)
    }
}

/// The messages of every error a context recorded, in order; empty when there were none.
#[cfg(test)]
pub(crate) fn messages(cx: Ctxt) -> Vec<String> {
    match cx.check() {
        Ok(()) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// The messages of every error that `stage` records in a fresh context.
#[cfg(test)]
pub(crate) fn errors_of<T>(stage: impl FnOnce(&Ctxt) -> T) -> Vec<String> {
    let cx = Ctxt::new();
    let _ = stage(&cx);
    messages(cx)
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            debug_assert!(
                false,
                "chopin-codegen: a Ctxt was dropped without being checked"
            );
        }
    }
}

/// `` expected one of `a`, `b`, `c` `` and, when one is close to `got`, `` (did you mean `b`?)``.
pub fn expected_one_of(got: &str, accepted: &[&str]) -> String {
    let list = accepted
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(got, accepted) {
        Some(a) => format!("expected one of {list} (did you mean `{a}`?)"),
        None => format!("expected one of {list}"),
    }
}

/// The accepted word closest to `got`, if one is close: at most two edits away (`nmae`, `gte`),
/// or alike by darling's rule for its suggestions, a Jaro-Winkler similarity above 0.8, which
/// also catches a longer spelling of a word (`max_length` for `max_len`).
fn closest<'a>(got: &str, accepted: &[&'a str]) -> Option<&'a str> {
    let by_edits = accepted
        .iter()
        .map(|a| (strsim::damerau_levenshtein(got, a), *a))
        .filter(|(d, a)| *d <= 2 && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a);
    by_edits.or_else(|| {
        accepted
            .iter()
            .map(|a| (strsim::jaro_winkler(got, a), *a))
            .filter(|(similarity, _)| *similarity > 0.8)
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, a)| a)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn every_error_is_kept_in_order() {
        let cx = Ctxt::new();
        cx.syn_error(syn::Error::new(Span::call_site(), "first"));
        cx.syn_error(syn::Error::new(Span::call_site(), "second"));
        let messages: Vec<String> = cx
            .check()
            .expect_err("two errors")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
        assert!(Ctxt::new().check().is_ok());
    }

    #[test]
    fn suggestions() {
        let keys = ["auth", "name", "tag"];
        assert_eq!(
            expected_one_of("nmae", &keys),
            "expected one of `auth`, `name`, `tag` (did you mean `name`?)"
        );
        assert_eq!(
            expected_one_of("tags", &keys),
            "expected one of `auth`, `name`, `tag` (did you mean `tag`?)"
        );
        assert_eq!(
            expected_one_of("colour", &keys),
            "expected one of `auth`, `name`, `tag`"
        );
        assert_eq!(
            expected_one_of("max_length", &["min_len", "max_len", "email"]),
            "expected one of `min_len`, `max_len`, `email` (did you mean `max_len`?)"
        );
    }
}
