//! A `#[fast_route]` attribute and its constant as the expansion uses them: a [`FastRoute`] with
//! one literal path, one content type, checked methods and its response headers in wire order,
//! and the [`Body`] its constant holds. Every mistake is recorded and the rest still read.

use syn::{LitStr, Type, TypeReference};

use super::parse::FastRouteAttr;
use crate::diag::{Ctxt, expected_one_of};
use crate::symbol::{CONTENT_TYPE, FAST_ROUTE_METHODS, HTML, JSON, TEXT};

/// Headers the server computes for a fast route; declaring them would contradict the bytes.
const RESERVED: &[&str] = &[
    "content-length",
    "date",
    "transfer-encoding",
    "connection",
    "content-type",
];

/// A fast route, checked.
pub struct FastRoute {
    /// The path literal: a literal path of the route grammar, without parameters.
    pub path: LitStr,
    /// Whether it answers CORS requests (`cors`).
    pub cors: bool,
    /// The response headers in wire order, with lowercase names: content type,
    /// `cache-control`, the CORS header, then the declared ones.
    pub headers: Vec<(String, String)>,
    /// `methods(..)`, upper case; empty for the default (GET, and HEAD with it).
    pub methods: Vec<String>,
}

impl FastRoute {
    /// The fast route of `attr`, recording each mistake in `cx`.
    pub fn from_attr(cx: &Ctxt, attr: FastRouteAttr) -> FastRoute {
        check_path(cx, &attr.path);
        let o = attr.options;

        // The content type: the first key that sets one; a second is a mistake.
        let mut content_type: Option<String> = None;
        let (mut json, mut text, mut html, mut custom) = (
            o.json.take(cx),
            o.text.take(cx),
            o.html.take(cx),
            o.content_type.take(cx),
        );
        for key in &attr.content_types {
            let value = if key.is_ident(JSON) {
                json.take().map(|_| "application/json".to_owned())
            } else if key.is_ident(TEXT) {
                text.take().map(|_| "text/plain; charset=utf-8".to_owned())
            } else if key.is_ident(HTML) {
                html.take().map(|_| "text/html; charset=utf-8".to_owned())
            } else if key.is_ident(CONTENT_TYPE) {
                custom.take().map(|s| s.value())
            } else {
                None
            };
            let Some(value) = value else { continue };
            if content_type.is_some() {
                cx.error_spanned_by(
                    key,
                    "a fast route has one content type: `json`, `text`, `html` or `content_type = \"…\"`",
                );
            } else {
                content_type = Some(value);
            }
        }
        let content_type = content_type.unwrap_or_else(|| {
            cx.error_spanned_by(
                &attr.path,
                "a fast route needs a content type: add `json`, `text`, `html` or `content_type = \"…\"`",
            );
            String::new()
        });

        let cors = o.cors.take(cx).is_some();
        let cache_control = o.cache_control.take(cx);
        let declared: Vec<(LitStr, LitStr)> =
            o.header.into_iter().filter_map(|h| h.take(cx)).collect();
        let mut methods = Vec::new();
        for m in o.methods.take(cx).unwrap_or_default() {
            let name = m.to_string();
            if FAST_ROUTE_METHODS.contains(&name.as_str()) {
                methods.push(name);
            } else {
                cx.error_spanned_by(
                    &m,
                    format!(
                        "unknown method `{name}`: {}",
                        expected_one_of(&name, FAST_ROUTE_METHODS)
                    ),
                );
            }
        }
        let headers = headers(
            cx,
            &attr.path,
            &content_type,
            cache_control.as_ref(),
            cors,
            &declared,
        );
        FastRoute {
            path: attr.path,
            cors,
            headers,
            methods,
        }
    }
}

/// Reports a path that is not a literal path of the route grammar.
fn check_path(cx: &Ctxt, path: &LitStr) {
    let value = path.value();
    match chopin_pattern::validate(&value) {
        Err(e) => cx.error_spanned_by(path, format!("invalid path: {}", e.message())),
        Ok(()) if chopin_pattern::params(&value).next().is_some() => cx.error_spanned_by(
            path,
            "a fast route answers one literal path, without parameters: use a handler route for `{…}`",
        ),
        Ok(()) => {}
    }
}

/// The response headers in wire order, checked: content type, `cache-control`, the CORS
/// header, then the declared ones with lowercase names.
fn headers(
    cx: &Ctxt,
    path: &LitStr,
    content_type: &str,
    cache_control: Option<&LitStr>,
    cors: bool,
    declared: &[(LitStr, LitStr)],
) -> Vec<(String, String)> {
    let mut out = vec![("content-type".to_owned(), content_type.to_owned())];
    check_value(cx, content_type, path);
    if let Some(cc) = cache_control {
        check_value(cx, &cc.value(), cc);
        out.push(("cache-control".to_owned(), cc.value()));
    }
    if cors {
        out.push(("access-control-allow-origin".to_owned(), "*".to_owned()));
    }
    for (name, value) in declared {
        let lower = name.value().to_ascii_lowercase();
        if lower.is_empty() || !lower.bytes().all(is_token_byte) {
            cx.error_spanned_by(
                name,
                format!("`{}` is not a valid header name", name.value()),
            );
        } else if RESERVED.contains(&lower.as_str()) {
            cx.error_spanned_by(
                name,
                format!("header `{lower}` is set by the server and cannot be declared"),
            );
        }
        check_value(cx, &value.value(), value);
        out.push((lower, value.value()));
    }
    out
}

/// A header value is visible ASCII, spaces and tabs.
fn check_value(cx: &Ctxt, value: &str, at: &LitStr) {
    if !value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        cx.error_spanned_by(
            at,
            "a header value is visible ASCII and spaces, without line breaks",
        );
    }
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What a fast route's constant holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `&str`.
    Str,
    /// `&[u8]` or `&[u8; N]`.
    Bytes,
}

impl Body {
    /// The kind of body a constant of type `ty` holds, or an error at the type.
    pub fn of(cx: &Ctxt, ty: &Type) -> Option<Body> {
        let kind = match ty {
            Type::Reference(TypeReference {
                mutability: None,
                elem,
                ..
            }) => match &**elem {
                Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => Some(Body::Str),
                Type::Slice(s) if is_u8(&s.elem) => Some(Body::Bytes),
                Type::Array(a) if is_u8(&a.elem) => Some(Body::Bytes),
                _ => None,
            },
            _ => None,
        };
        if kind.is_none() {
            cx.error_spanned_by(
                ty,
                "a fast route's body is a `&str` or `&[u8]` constant, as in `const HEALTH: &str = \"OK\";`",
            );
        }
        kind
    }
}

fn is_u8(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast_route::NO_AUTH;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn route(args: TokenStream) -> (Option<FastRoute>, Vec<String>) {
        let cx = Ctxt::new();
        let route = super::super::parse::parse(&cx, args).map(|a| FastRoute::from_attr(&cx, a));
        (route, crate::diag::messages(cx))
    }

    fn errors(args: TokenStream) -> Vec<String> {
        route(args).1
    }

    #[test]
    fn every_option() {
        let (r, errors) = route(quote!(
            "/about",
            html,
            cors,
            cache_control = "no-cache",
            header("x-a", "1"),
            methods(GET, HEAD)
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let r = r.expect("parsed");
        assert!(r.cors);
        assert_eq!(r.methods, ["GET", "HEAD"]);
        assert_eq!(r.headers[0].1, "text/html; charset=utf-8");
        assert_eq!(r.headers.len(), 4);

        let (r, errors) = route(quote!("/feed", content_type = "application/rss+xml"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.expect("parsed").headers[0].1, "application/rss+xml");
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
                NO_AUTH,
                "unknown `fast_route` option `cros`: expected one of `json`, `text`, `html`, `content_type`, `cors`, `cache_control`, `header`, `methods` (did you mean `cors`?)",
                "a fast route answers one literal path, without parameters: use a handler route for `{…}`",
                "a fast route has one content type: `json`, `text`, `html` or `content_type = \"…\"`",
                "write `header(\"name\", \"value\")`",
                "unknown method `PURGE`: expected one of `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`",
            ]
        );
        assert_eq!(
            errors(quote!("/health")),
            [
                "a fast route needs a content type: add `json`, `text`, `html` or `content_type = \"…\"`"
            ]
        );
        assert_eq!(
            errors(quote!("/health", json = 1, text)),
            ["`json` takes no value"]
        );
    }

    #[test]
    fn headers_in_wire_order_with_lowercase_names() {
        let (r, errors) = route(quote!(
            "/about",
            html,
            header("X-Frame-Options", "DENY"),
            cors,
            cache_control = "no-cache"
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let r = r.expect("parsed");
        let pairs: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-cache"),
                ("access-control-allow-origin", "*"),
                ("x-frame-options", "DENY"),
            ]
        );
    }

    #[test]
    fn headers_that_are_not_http_or_belong_to_the_server() {
        assert_eq!(
            errors(quote!(
                "/x",
                text,
                header("bad name", "v"),
                header("Content-Length", "3"),
                header("x-ok", "line\nbreak"),
                cache_control = "a\tb"
            )),
            [
                "`bad name` is not a valid header name",
                "header `content-length` is set by the server and cannot be declared",
                "a header value is visible ASCII and spaces, without line breaks",
            ]
        );
    }

    #[test]
    fn bodies_are_text_or_bytes() {
        for (ty, kind) in [
            (quote!(&str), Some(Body::Str)),
            (quote!(&'static str), Some(Body::Str)),
            (quote!(&'static [u8]), Some(Body::Bytes)),
            (quote!(&[u8; 3]), Some(Body::Bytes)),
            (quote!(String), None),
            (quote!(&mut str), None),
            (quote!(&[u16]), None),
        ] {
            let cx = Ctxt::new();
            let ty: Type = syn::parse2(ty).expect("a type");
            assert_eq!(Body::of(&cx, &ty), kind);
            assert_eq!(crate::diag::messages(cx).len(), usize::from(kind.is_none()));
        }
    }
}
