//! A fast route's constant into a `StaticRoute` whose response bytes are computed in constant
//! evaluation: the headers are checked here, the bytes by `const_response` where the code is
//! compiled.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Type, TypeReference};

use super::parse::FastRouteAttr;
use crate::diag::Ctxt;
use crate::paths::Paths;

/// Headers the server computes for a fast route; declaring them would contradict the bytes.
const RESERVED: &[&str] = &[
    "content-length",
    "date",
    "transfer-encoding",
    "connection",
    "content-type",
];

/// What a fast route's constant holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `&str`.
    Str,
    /// `&[u8]` or `&[u8; N]`.
    Bytes,
}

/// The kind of body a constant of type `ty` holds, or an error at the type.
pub fn body(cx: &Ctxt, ty: &Type) -> Option<Body> {
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

fn is_u8(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8"))
}

/// The response headers in wire order, checked: content type, `cache-control`, the CORS header,
/// then the declared ones with lowercase names.
pub fn headers(cx: &Ctxt, attr: &FastRouteAttr) -> Vec<(String, String)> {
    let mut out = vec![("content-type".to_owned(), attr.content_type.clone())];
    check_value(cx, &attr.content_type, &attr.path);
    if let Some(cc) = &attr.cache_control {
        check_value(cx, &cc.value(), cc);
        out.push(("cache-control".to_owned(), cc.value()));
    }
    if attr.cors {
        out.push(("access-control-allow-origin".to_owned(), "*".to_owned()));
    }
    for (name, value) in &attr.headers {
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
fn check_value(cx: &Ctxt, value: &str, at: &syn::LitStr) {
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

/// The `Methods` a fast route answers: `GET` (with `HEAD`) unless `methods(..)` says otherwise.
pub fn methods(paths: &Paths, attr: &FastRouteAttr) -> TokenStream {
    let mut names: Vec<&str> = attr.methods.iter().map(String::as_str).collect();
    if names.is_empty() {
        names.push("GET");
    }
    if names.contains(&"GET") && !names.contains(&"HEAD") {
        names.push("HEAD");
    }
    methods_expr(paths, &names)
}

/// The methods of a fast route as its module's manifest declares them: those it answers with its
/// response, and `OPTIONS` on a CORS route, which the server answers with the preflight. (The
/// `StaticRoute` itself lists only the former: the server tells the two answers apart by them.)
pub fn manifest_methods(paths: &Paths, attr: &FastRouteAttr) -> TokenStream {
    let methods = methods(paths, attr);
    if attr.cors && !attr.methods.iter().any(|m| m == "OPTIONS") {
        let ty = paths.methods();
        quote!(#methods.with(#ty::OPTIONS))
    } else {
        methods
    }
}

/// `Methods::A.with(Methods::B)…` for upper-case method names.
pub fn methods_expr(paths: &Paths, names: &[&str]) -> TokenStream {
    let ty = paths.methods();
    let mut idents = names
        .iter()
        .map(|n| syn::Ident::new(n, proc_macro2::Span::call_site()));
    let Some(first) = idents.next() else {
        return quote!(#ty(0));
    };
    let mut expr = quote!(#ty::#first);
    for m in idents {
        expr = quote!(#expr.with(#ty::#m));
    }
    expr
}

/// An expression of type `StaticRoute` for the body constant `body_const` (a path to a constant
/// of the checked type), answering `full_path`. Every part is evaluated at compile time.
pub fn static_route(
    paths: &Paths,
    full_path: &str,
    attr: &FastRouteAttr,
    headers: &[(String, String)],
    body_const: &TokenStream,
    kind: Body,
) -> TokenStream {
    let span = attr.path.span();
    let methods = methods(paths, attr);
    let at = paths.at(span);
    let (response_len, response, static_route) =
        (at.response_len(), at.response(), at.static_route());
    let cors = attr.cors;
    let names = headers.iter().map(|(n, _)| n);
    let values = headers.iter().map(|(_, v)| v);
    let bytes = match kind {
        Body::Str => quote!(#body_const.as_bytes()),
        Body::Bytes => quote!(#body_const),
    };
    quote_spanned! {span=>
        {
            const HEADERS: &[(&str, &str)] = &[#((#names, #values)),*];
            const BODY: &[u8] = #bytes;
            const LEN: usize = #response_len(HEADERS, BODY);
            static RESPONSE: [u8; LEN] = #response::<LEN>(HEADERS, BODY);
            #static_route::__new(#full_path, #methods, #cors, HEADERS, BODY.len(), &RESPONSE)
        }
    }
}

/// `#[fast_route]` on a crate-level constant: the constant becomes the route, to be mounted with
/// `App::fast_route`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let paths = Paths::new(None);
    let item_const = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Const(c)) => Some(c),
        Ok(other) => {
            cx.error_spanned_by(not_a_constant(&other), NOT_A_CONSTANT);
            None
        }
        Err(e) => {
            cx.syn_error(e);
            None
        }
    };
    let attr = super::parse::parse(&cx, args);
    let (Some(c), Some(attr)) = (item_const, attr) else {
        return cx.errors_then(item);
    };
    let kind = body(&cx, &c.ty);
    let headers = headers(&cx, &attr);
    let Some(kind) = kind else {
        return cx.errors_then(item);
    };
    if let Err(e) = cx.check() {
        let mut out = e.to_compile_error();
        out.extend(item);
        return out;
    }
    let syn::ItemConst {
        attrs,
        vis,
        ident,
        ty,
        expr,
        ..
    } = c;
    let route = static_route(
        &paths,
        &attr.path.value(),
        &attr,
        &headers,
        &quote!(__CHOPIN_BODY),
        kind,
    );
    let static_route = paths.static_route();
    quote! {
        #(#attrs)*
        #vis const #ident: #static_route = {
            const __CHOPIN_BODY: #ty = #expr;
            #route
        };
    }
}

/// What a fast route may not be put on, and where to point.
pub const NOT_A_CONSTANT: &str = "a fast route's body is a constant: put `#[fast_route]` on a `const` holding a `&str` or `&[u8]`, as in `const HEALTH: &str = \"OK\";`";

fn not_a_constant(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Fn(f) => {
            let sig = &f.sig;
            quote!(#sig)
        }
        syn::Item::Static(s) => {
            let (st, ident) = (&s.static_token, &s.ident);
            quote!(#st #ident)
        }
        other => quote!(#other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn headers_of(args: TokenStream) -> (Vec<(String, String)>, Vec<String>) {
        let cx = Ctxt::new();
        let attr = super::super::parse::parse(&cx, args).expect("a path");
        let headers = headers(&cx, &attr);
        (headers, crate::diag::messages(cx))
    }

    #[test]
    fn headers_in_wire_order_with_lowercase_names() {
        let (headers, errors) = headers_of(quote!(
            "/about",
            html,
            header("X-Frame-Options", "DENY"),
            cors,
            cache_control = "no-cache"
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let pairs: Vec<(&str, &str)> = headers
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
        let (_, errors) = headers_of(quote!(
            "/x",
            text,
            header("bad name", "v"),
            header("Content-Length", "3"),
            header("x-ok", "line\nbreak"),
            cache_control = "a\tb"
        ));
        assert_eq!(
            errors,
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
            assert_eq!(body(&cx, &ty), kind);
            assert_eq!(crate::diag::messages(cx).len(), usize::from(kind.is_none()));
        }
    }

    #[test]
    fn methods_bring_head_with_get() {
        let cx = Ctxt::new();
        let attr = super::super::parse::parse(&cx, quote!("/p", text, methods(POST, GET)))
            .expect("a path");
        cx.check().expect("valid");
        assert_eq!(
            methods(&Paths::new(None), &attr).to_string(),
            quote!(
                ::chopin::__private::Methods::POST
                    .with(::chopin::__private::Methods::GET)
                    .with(::chopin::__private::Methods::HEAD)
            )
            .to_string()
        );
    }
}
