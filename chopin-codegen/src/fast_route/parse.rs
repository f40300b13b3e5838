//! Tokens of a `#[fast_route]` attribute into a [`FastRouteAttr`], reporting every mistake.
//!
//! ```text
//! #[fast_route("/health", text, cache_control = "no-cache")]
//! #[fast_route("/about", html, cors, methods(GET, HEAD))]
//! #[fast_route("/feed.xml", content_type = "application/rss+xml", header("x-robots-tag", "noindex"))]
//! ```
//!
//! The path is a literal path of Chopin's route grammar, without parameters. Exactly one content
//! type: `json`, `text`, `html` or `content_type = "…"`.

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::{LitStr, Meta, Token};

use super::NO_AUTH;
use crate::attr::{self, string_value};
use crate::diag::{Ctxt, expected_one_of};

/// The options `#[fast_route]` accepts, in the order error messages list them.
pub const OPTIONS: &[&str] = &[
    "json",
    "text",
    "html",
    "content_type",
    "cors",
    "cache_control",
    "header",
    "methods",
];

/// Methods a fast route may answer.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// A `#[fast_route]` attribute's arguments.
pub struct FastRouteAttr {
    /// The path literal.
    pub path: LitStr,
    /// The content type.
    pub content_type: String,
    /// `cors`.
    pub cors: bool,
    /// `cache_control = "…"`.
    pub cache_control: Option<LitStr>,
    /// `header("name", "value")`, in order.
    pub headers: Vec<(LitStr, LitStr)>,
    /// `methods(..)`, upper case; empty for the default (GET, and HEAD with it).
    pub methods: Vec<String>,
}

/// Parses a `#[fast_route]` attribute's arguments; `None` when the path is missing.
pub fn parse(cx: &Ctxt, args: TokenStream) -> Option<FastRouteAttr> {
    let (path, options) = attr::path_and_options(
        cx,
        args,
        "expected the path as a string literal, as in `#[fast_route(\"/health\", text)]`",
    )?;
    let value = path.value();
    match chopin_pattern::validate(&value) {
        Err(e) => cx.error_spanned_by(&path, format!("invalid path: {}", e.message())),
        Ok(()) if chopin_pattern::params(&value).next().is_some() => cx.error_spanned_by(
            &path,
            "a fast route answers one literal path, without parameters: use a handler route for `{…}`",
        ),
        Ok(()) => {}
    }

    let mut attr = FastRouteAttr {
        path: path.clone(),
        content_type: String::new(),
        cors: false,
        cache_control: None,
        headers: Vec::new(),
        methods: Vec::new(),
    };
    let mut content_type_at: Option<&Meta> = None;
    for option in &options {
        let key = attr::key(option);
        let content_type = match key.as_str() {
            "json" => Some("application/json".to_owned()),
            "text" => Some("text/plain; charset=utf-8".to_owned()),
            "html" => Some("text/html; charset=utf-8".to_owned()),
            "content_type" => string_value(cx, option).map(|s| s.value()),
            "cors" => {
                attr.cors = true;
                None
            }
            "cache_control" => {
                attr.cache_control = string_value(cx, option);
                None
            }
            "header" => {
                match option {
                    Meta::List(list) => match list
                        .parse_args_with(Punctuated::<LitStr, Token![,]>::parse_terminated)
                    {
                        Ok(pair) if pair.len() == 2 => {
                            attr.headers.push((pair[0].clone(), pair[1].clone()));
                        }
                        _ => cx.error_spanned_by(option, "write `header(\"name\", \"value\")`"),
                    },
                    _ => cx.error_spanned_by(option, "write `header(\"name\", \"value\")`"),
                }
                None
            }
            "methods" => {
                match option {
                    Meta::List(list) => match list
                        .parse_args_with(Punctuated::<syn::Ident, Token![,]>::parse_terminated)
                    {
                        Ok(methods) => {
                            for m in methods {
                                let name = m.to_string();
                                if METHODS.contains(&name.as_str()) {
                                    attr.methods.push(name);
                                } else {
                                    cx.error_spanned_by(
                                        &m,
                                        format!(
                                            "unknown method `{name}`: {}",
                                            expected_one_of(&name, METHODS)
                                        ),
                                    );
                                }
                            }
                        }
                        Err(e) => cx.syn_error(e),
                    },
                    _ => cx.error_spanned_by(option, "write `methods(GET, HEAD)`"),
                }
                None
            }
            "auth" => {
                cx.error_spanned_by(option.path(), NO_AUTH);
                None
            }
            other => {
                cx.error_spanned_by(
                    option.path(),
                    format!(
                        "unknown `fast_route` option `{other}`: {}",
                        expected_one_of(other, OPTIONS)
                    ),
                );
                None
            }
        };
        if let Some(ct) = content_type {
            if content_type_at.is_some() {
                cx.error_spanned_by(option.path(), "a fast route has one content type: `json`, `text`, `html` or `content_type = \"…\"`");
            } else {
                attr.content_type = ct;
                content_type_at = Some(option);
            }
        }
    }
    if content_type_at.is_none() {
        cx.error_spanned_by(
            &path,
            "a fast route needs a content type: add `json`, `text`, `html` or `content_type = \"…\"`",
        );
    }
    Some(attr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn errors(args: TokenStream) -> Vec<String> {
        crate::diag::errors_of(|cx| parse(cx, args))
    }

    #[test]
    fn every_option() {
        let cx = Ctxt::new();
        let attr = parse(
            &cx,
            quote!(
                "/about",
                html,
                cors,
                cache_control = "no-cache",
                header("x-a", "1"),
                methods(GET, HEAD)
            ),
        )
        .expect("parsed");
        cx.check().expect("valid");
        assert_eq!(attr.content_type, "text/html; charset=utf-8");
        assert!(attr.cors);
        assert_eq!(
            attr.cache_control.map(|c| c.value()).as_deref(),
            Some("no-cache")
        );
        assert_eq!(attr.headers.len(), 1);
        assert_eq!(attr.methods, ["GET", "HEAD"]);

        let cx = Ctxt::new();
        let attr =
            parse(&cx, quote!("/feed", content_type = "application/rss+xml")).expect("parsed");
        cx.check().expect("valid");
        assert_eq!(attr.content_type, "application/rss+xml");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        assert_eq!(
            errors(quote!(
                "/users/{id}",
                json,
                text,
                cros,
                auth,
                methods(GET, PURGE),
                header("x")
            )),
            [
                "a fast route answers one literal path, without parameters: use a handler route for `{…}`",
                "a fast route has one content type: `json`, `text`, `html` or `content_type = \"…\"`",
                "unknown `fast_route` option `cros`: expected one of `json`, `text`, `html`, `content_type`, `cors`, `cache_control`, `header`, `methods` (did you mean `cors`?)",
                NO_AUTH,
                "unknown method `PURGE`: expected one of `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`",
                "write `header(\"name\", \"value\")`",
            ]
        );
        assert_eq!(
            errors(quote!("/health")),
            [
                "a fast route needs a content type: add `json`, `text`, `html` or `content_type = \"…\"`"
            ]
        );
    }
}
