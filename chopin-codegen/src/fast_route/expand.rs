//! A [`FastRoute`] into a `StaticRoute` whose response bytes are computed in constant
//! evaluation (by `const_response` where the code is compiled); infallible: the route and its
//! headers were checked by the model stage.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::model::{Body, FastRoute};
use crate::paths::Paths;

/// The `Methods` a fast route answers: `GET` (with `HEAD`) unless `methods(..)` says otherwise.
pub fn methods(paths: &Paths, route: &FastRoute) -> TokenStream {
    let mut names: Vec<&str> = route.methods.iter().map(String::as_str).collect();
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
pub fn manifest_methods(paths: &Paths, route: &FastRoute) -> TokenStream {
    let methods = methods(paths, route);
    if route.cors && !route.methods.iter().any(|m| m == "OPTIONS") {
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
    route: &FastRoute,
    body_const: &TokenStream,
    kind: Body,
) -> TokenStream {
    let span = route.path.span();
    let methods = methods(paths, route);
    let at = paths.at(span);
    let (response_len, response, static_route) =
        (at.response_len(), at.response(), at.static_route());
    let cors = route.cors;
    let names = route.headers.iter().map(|(n, _)| n);
    let values = route.headers.iter().map(|(_, v)| v);
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

/// A crate-level constant as the route it declares, to be mounted with `App::fast_route`: a
/// `DeclaredRoute` whose type parameter, a hidden struct of the same name, carries the route's
/// manifest into the application's type, so that the whole-application check sees it beside the
/// modules.
pub fn generate(route: &FastRoute, item: syn::ItemConst, kind: Body) -> TokenStream {
    let paths = Paths::new(None);
    let syn::ItemConst {
        attrs,
        vis,
        ident,
        ty,
        expr,
        ..
    } = item;
    let path = route.path.value();
    let body = static_route(&paths, &path, route, &quote!(__CHOPIN_BODY), kind);
    let (static_route_ty, declared, module, manifest, route_decl, package, package_var) = (
        paths.static_route(),
        paths.declared_route(),
        paths.module(),
        paths.manifest(),
        paths.route_decl(),
        paths.package(),
        paths.package_var(),
    );
    // The type that declares the route has the constant's name, in the type namespace (a braced
    // struct holds no value name): `chopin::modules!` lists it as it lists modules.
    let marker = ident.clone();
    let bytes = format_ident!("__CHOPIN_ROUTE_{}", ident);
    let name = ident.to_string();
    let methods = manifest_methods(&paths, route);
    let doc = crate::attr::doc(&attrs);
    let doc = (!doc.is_empty()).then(|| quote!(.doc(#doc)));
    let span = ident.span();
    let (file, line) = (
        quote_spanned!(span=> ::core::file!()),
        quote_spanned!(span=> ::core::line!()),
    );
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker {}

        #[doc(hidden)]
        const #bytes: #static_route_ty = {
            const __CHOPIN_BODY: #ty = #expr;
            #body
        };

        #(#attrs)*
        #vis const #ident: #declared<#marker> = #declared::__new(&#bytes);

        #[automatically_derived]
        impl #marker {
            const __CHOPIN_ROUTES: &'static [#route_decl] = &[
                #route_decl::new(#methods, #path, #name, #file, #line).fast(&#bytes) #doc
            ];
        }

        #[automatically_derived]
        impl #module for #marker {
            const MANIFEST: #manifest = #manifest::new(
                #name,
                #name,
                #file,
                #line,
                #package::new(
                    #package_var!("CARGO_PKG_NAME"),
                    #package_var!("CARGO_PKG_VERSION"),
                    #package_var!("CARGO_PKG_DESCRIPTION"),
                ),
            )
            .standalone()
            .routes(Self::__CHOPIN_ROUTES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Ctxt;
    use quote::quote;

    #[test]
    fn methods_bring_head_with_get() {
        let cx = Ctxt::new();
        let attr = super::super::parse::parse(&cx, quote!("/p", text, methods(POST, GET)))
            .expect("a path");
        let route = FastRoute::from_attr(&cx, attr);
        cx.check().expect("valid");
        assert_eq!(
            methods(&Paths::new(None), &route).to_string(),
            quote!(
                ::chopin::__private::Methods::POST
                    .with(::chopin::__private::Methods::GET)
                    .with(::chopin::__private::Methods::HEAD)
            )
            .to_string()
        );
    }
}
