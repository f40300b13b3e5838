//! Tokens of `#[chopin::module(..)]` into a [`ModuleAttr`], reporting every mistake.
//!
//! ```text
//! #[chopin::module(name = "blog", prefix = "/blog", requires(Auth))]
//! #[chopin::module(name = "auth", prefix = "/auth", provides(auth))]
//! #[chopin::module(crate = "my_reexport::chopin")]
//! ```

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{LitStr, Meta, Token};

use crate::attr::{self, string_value};
use crate::diag::{Ctxt, expected_one_of};

/// The options `#[chopin::module]` accepts, in the order error messages list them.
pub const OPTIONS: &[&str] = &["name", "prefix", "requires", "provides", "models", "crate"];

/// The capabilities a module can provide.
pub const CAPABILITIES: &[&str] = &["auth"];

/// A module attribute's arguments.
#[derive(Default)]
pub struct ModuleAttr {
    /// `name = "…"`; the default is derived from the type's name.
    pub name: Option<LitStr>,
    /// `prefix = "/…"`.
    pub prefix: Option<LitStr>,
    /// `requires(TypeA, TypeB)`.
    pub requires: Vec<syn::Path>,
    /// `provides(auth)`.
    pub provides: Vec<syn::Ident>,
    /// `models(Post, Comment)`: the models whose tables the module needs.
    pub models: Vec<syn::Path>,
    /// Where `models` is written, for the error of a build without the database battery.
    pub models_span: Option<proc_macro2::Span>,
    /// `crate = "…"`: where generated code finds Chopin, when it is re-exported.
    pub krate: Option<syn::Path>,
}

/// Parses a module attribute's arguments.
pub fn parse(cx: &Ctxt, args: TokenStream) -> ModuleAttr {
    let mut attr = ModuleAttr::default();
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(options) => options,
        Err(e) => {
            cx.syn_error(e);
            return attr;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for option in &options {
        let key = attr::key(option);
        if OPTIONS.contains(&key.as_str()) {
            if seen.contains(&key) {
                cx.error_spanned_by(option.path(), format!("`{key}` is given twice"));
                continue;
            }
            seen.push(key.clone());
        }
        match key.as_str() {
            "name" => {
                if let Some(name) = string_value(cx, option) {
                    let ok = !name.value().is_empty()
                        && name
                            .value()
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                    if ok {
                        attr.name = Some(name);
                    } else {
                        cx.error_spanned_by(
                            &name,
                            "a module name is lowercase letters, digits and `_`, as in `blog`",
                        );
                    }
                }
            }
            "prefix" => {
                if let Some(prefix) = string_value(cx, option) {
                    let value = prefix.value();
                    if value == "/" {
                        cx.error_spanned_by(&prefix, "leave `prefix` out for routes at the root");
                    } else if value.ends_with('/') {
                        cx.error_spanned_by(
                            &prefix,
                            "a prefix has no trailing slash, as in `/blog`",
                        );
                    } else if let Err(e) = chopin_pattern::validate(&value) {
                        cx.error_spanned_by(&prefix, format!("invalid prefix: {}", e.message()));
                    } else if chopin_pattern::params(&value).any(|(_, catch_all)| catch_all) {
                        cx.error_spanned_by(
                            &prefix,
                            "a prefix cannot end in a catch-all: routes go after it",
                        );
                    } else {
                        attr.prefix = Some(prefix);
                    }
                }
            }
            "requires" => match option {
                Meta::List(list) => match list
                    .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                {
                    Ok(types) => attr.requires.extend(types),
                    Err(e) => cx.syn_error(e),
                },
                _ => cx.error_spanned_by(option, "write `requires(ModuleType, ..)`"),
            },
            "models" => match option {
                Meta::List(list) => match list
                    .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                {
                    Ok(types) => {
                        attr.models_span = Some(list.path.span());
                        attr.models.extend(types);
                    }
                    Err(e) => cx.syn_error(e),
                },
                _ => cx.error_spanned_by(option, "write `models(Post, ..)`"),
            },
            "provides" => match option {
                Meta::List(list) => match list
                    .parse_args_with(Punctuated::<syn::Ident, Token![,]>::parse_terminated)
                {
                    Ok(capabilities) => {
                        for c in capabilities {
                            let name = c.to_string();
                            if CAPABILITIES.contains(&name.as_str()) {
                                attr.provides.push(c);
                            } else {
                                cx.error_spanned_by(
                                    &c,
                                    format!(
                                        "unknown capability `{name}`: {}",
                                        expected_one_of(&name, CAPABILITIES)
                                    ),
                                );
                            }
                        }
                    }
                    Err(e) => cx.syn_error(e),
                },
                _ => cx.error_spanned_by(option, "write `provides(auth)`"),
            },
            "crate" => attr.krate = attr::crate_path(cx, option),
            other => cx.error_spanned_by(
                option.path(),
                format!(
                    "unknown module option `{other}`: {}",
                    expected_one_of(other, OPTIONS)
                ),
            ),
        }
    }
    attr
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    fn errors(args: TokenStream) -> Vec<String> {
        crate::diag::errors_of(|cx| parse(cx, args))
    }

    #[test]
    fn every_option() {
        let cx = Ctxt::new();
        let attr = parse(
            &cx,
            quote!(
                name = "blog",
                prefix = "/blog",
                requires(Auth, crate::feed::Feed),
                provides(auth),
                crate = "app::chopin"
            ),
        );
        cx.check().expect("valid");
        assert_eq!(attr.name.map(|n| n.value()).as_deref(), Some("blog"));
        assert_eq!(attr.prefix.map(|p| p.value()).as_deref(), Some("/blog"));
        let requires: Vec<String> = attr
            .requires
            .iter()
            .map(|p| p.to_token_stream().to_string())
            .collect();
        assert_eq!(requires, ["Auth", "crate :: feed :: Feed"]);
        assert_eq!(attr.provides.len(), 1);
        assert_eq!(
            attr.krate
                .map(|k| k.to_token_stream().to_string())
                .as_deref(),
            Some("app :: chopin")
        );
        let cx = Ctxt::new();
        let _ = parse(&cx, quote!());
        cx.check().expect("every option is optional");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        assert_eq!(
            errors(quote!(
                name = "Blog",
                prefix = "/blog/",
                prefx = "/x",
                provides(oauth),
                requires = "Auth",
                name = "b"
            )),
            [
                "a module name is lowercase letters, digits and `_`, as in `blog`",
                "a prefix has no trailing slash, as in `/blog`",
                "unknown module option `prefx`: expected one of `name`, `prefix`, `requires`, `provides`, `models`, `crate` (did you mean `prefix`?)",
                "unknown capability `oauth`: expected one of `auth` (did you mean `auth`?)",
                "write `requires(ModuleType, ..)`",
                "`name` is given twice",
            ]
        );
        assert_eq!(
            errors(quote!(prefix = "/")),
            ["leave `prefix` out for routes at the root"]
        );
        assert_eq!(
            errors(quote!(prefix = "/files/{*rest}")),
            ["a prefix cannot end in a catch-all: routes go after it"]
        );
    }
}
