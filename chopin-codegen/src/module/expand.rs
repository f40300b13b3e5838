//! A checked module into its manifest (`impl Module`) and router (`impl Routes<S>`), with the
//! hidden items they refer to; infallible: every mistake was reported by the stages before.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl, Type};

use super::check::full_path;
use super::model::{Decl, ModuleDef};
use crate::fast_route::expand as fast;
use crate::names::{pretty, snake_case};
use crate::paths::Paths;
use crate::route::model::Access;

/// The module `attr` declares on the block `imp`, with its routes `decls` under `prefix`; the
/// router needs `FromRef` for each of `states`.
pub fn generate(
    attr: &ModuleDef,
    imp: &ItemImpl,
    decls: &[Decl],
    prefix: &str,
    states: &[Type],
) -> TokenStream {
    let paths = Paths::new(attr.krate.as_ref());
    let self_ty = &imp.self_ty;
    let type_ident = type_ident(self_ty);
    let type_name = pretty(self_ty);
    let name = match &attr.name {
        Some(n) => n.value(),
        None => snake_case(&type_ident.to_string()),
    };
    let module_span = self_ty.span();
    let file = quote_spanned!(module_span=> ::core::file!());
    let line = quote_spanned!(module_span=> ::core::line!());
    let requires = attr.requires.iter().map(|r| {
        let module = paths.at(r.span()).module();
        quote_spanned!(r.span()=> <#r as #module>::MANIFEST.name)
    });
    let provides = attr.provides.iter().map(ToString::to_string);
    let models: Vec<TokenStream> = attr
        .models
        .iter()
        .map(|m| {
            let db = paths.at(m.span()).db();
            quote_spanned!(m.span()=> #db::ModelDecl::of::<#m>())
        })
        .collect();
    let provides_auth = attr.provides.iter().any(|c| c == "auth");

    // The fast routes' responses, and the functions that describe the handlers' operations, as
    // hidden items of the block.
    let mut fast_consts = Vec::new();
    let mut describers = Vec::new();
    let mut decl_tokens = Vec::new();
    let mut routes = Vec::new();
    let mut checks = Vec::new();
    let route_decl = paths.route_decl();
    for d in decls {
        let ident = d.ident();
        let span = ident.span();
        let handler = format!("{type_ident}::{ident}");
        let (file, line) = (
            quote_spanned!(span=> ::core::file!()),
            quote_spanned!(span=> ::core::line!()),
        );
        let (path, methods, setters) = match d {
            Decl::Handler {
                method,
                route,
                args,
                output,
                doc,
                ..
            } => {
                checks.extend(handler_checks(&paths, args, output.as_ref()));
                let describe = format_ident!("__chopin_describe_{}", ident);
                describers.push(describer(&paths, &describe, args, output.as_ref()));
                let path = full_path(prefix, &route.path.value());
                let access = access(&paths, &route.access);
                let routing = format_ident!("{}", method.routing_fn());
                let routing_mod = paths.at(span).routing();
                let mut method_router = quote_spanned!(span=> #routing_mod::#routing(Self::#ident));
                if route.access != Access::Public {
                    let (from_fn_with_state, guard) = (paths.from_fn_with_state(), paths.guard());
                    method_router = quote! {
                        #method_router.route_layer(#from_fn_with_state(#access, #guard))
                    };
                }
                routes.push(quote!(.route(#path, #method_router)));
                let methods = fast::methods_expr(&paths, method.manifest_names());
                let mut setters = Vec::new();
                if route.access != Access::Public {
                    setters.push(quote!(.access(#access)));
                }
                if let Some(name) = &route.name {
                    setters.push(quote!(.name(#name)));
                }
                if let Some(tag) = &route.tag {
                    setters.push(quote!(.tag(#tag)));
                }
                if !doc.is_empty() {
                    setters.push(quote!(.doc(#doc)));
                }
                setters.push(quote!(.describe(Self::#describe)));
                (path, methods, setters)
            }
            Decl::Fast {
                fast, kind, doc, ..
            } => {
                let path = full_path(prefix, &fast.path.value());
                let Some(kind) = kind else { continue };
                let hidden = format_ident!("__CHOPIN_FAST_{}", ident);
                let route =
                    fast::static_route(&paths, &path, fast, &quote!(<#self_ty>::#ident), *kind);
                let static_route = paths.static_route();
                fast_consts.push(quote! {
                    #[doc(hidden)]
                    const #hidden: #static_route = #route;
                });
                let mut setters = vec![quote!(.fast(&Self::#hidden))];
                if !doc.is_empty() {
                    setters.push(quote!(.doc(#doc)));
                }
                (path, fast::manifest_methods(&paths, fast), setters)
            }
        };
        decl_tokens.push(quote! {
            #route_decl::new(#methods, #path, #handler, #file, #line) #(#setters)*
        });
    }

    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    // What mounting the module brings besides its routes.
    let mut mount = Vec::new();
    if provides_auth {
        let auth_provider = paths.auth_provider();
        mount.push(quote! {
            app.provide(#auth_provider::new(::core::clone::Clone::clone(self)));
        });
    }
    if !models.is_empty() {
        let keyword = attr
            .models_span
            .unwrap_or_else(proc_macro2::Span::call_site);
        // Spanned at `models`, where the error of a build without the database battery points.
        let at_keyword = paths.at(keyword);
        let (with_db, db) = (at_keyword.with_db(), at_keyword.db());
        mount.push(quote_spanned! {keyword=>
            #with_db! {
                #db::models(app, &[#(#models),*]);
            }
        });
    }
    if let Some(keyword) = attr.migrations {
        let at_keyword = paths.at(keyword);
        let (with_db, db) = (at_keyword.with_db(), at_keyword.db());
        let files = crate::migrations::embed(&paths, &name, "migrations", keyword);
        mount.push(quote_spanned! {keyword=>
            #with_db! {
                #db::migrations(app, #files);
            }
        });
    }
    let batteries = paths.batteries();
    mount.push(quote!(#batteries(app);));

    let mut routes_generics = imp.generics.clone();
    routes_generics.params.push(syn::parse_quote!(__S));
    {
        let wc = routes_generics.make_where_clause();
        wc.predicates.push(syn::parse_quote!(
            __S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static
        ));
        let from_ref = paths.from_ref();
        for st in states {
            wc.predicates.push(syn::parse_quote!(#st: #from_ref<__S>));
        }
    }
    let (routes_impl_generics, _, routes_where) = routes_generics.split_for_impl();

    // Slices built from `const fn` calls are not promoted to `'static` inside a call: they are
    // hidden constants of the block, which the manifest refers to.
    let mut tables = Vec::new();
    let prefix_setter = (!prefix.is_empty()).then(|| quote!(.prefix(#prefix)));
    let requires: Vec<TokenStream> = requires.collect();
    let requires_setter = (!requires.is_empty()).then(|| {
        tables.push(quote! {
            #[doc(hidden)]
            const __CHOPIN_REQUIRES: &'static [&'static str] = &[#(#requires),*];
        });
        quote!(.requires(Self::__CHOPIN_REQUIRES))
    });
    let provides: Vec<String> = provides.collect();
    let provides_setter = (!provides.is_empty()).then(|| quote!(.provides(&[#(#provides),*])));
    let routes_setter = (!decl_tokens.is_empty()).then(|| {
        tables.push(quote! {
            #[doc(hidden)]
            const __CHOPIN_ROUTES: &'static [#route_decl] = &[#(#decl_tokens),*];
        });
        quote!(.routes(Self::__CHOPIN_ROUTES))
    });

    let mut block = imp.clone();
    for c in fast_consts.into_iter().chain(tables).chain(describers) {
        block.items.push(ImplItem::Verbatim(c));
    }
    let router_ty = paths.router();
    let router = if routes.is_empty() {
        quote!(#router_ty::new())
    } else {
        quote!(#router_ty::new() #(#routes)*)
    };

    let (module, manifest, package, package_var, mount_ty, routes_trait) = (
        paths.module(),
        paths.manifest(),
        paths.package(),
        paths.package_var(),
        paths.mount(),
        paths.routes(),
    );
    quote! {
        #block

        impl #impl_generics #module for #self_ty #where_clause {
            const MANIFEST: #manifest = #manifest::new(
                #name,
                #type_name,
                #file,
                #line,
                #package::new(
                    #package_var!("CARGO_PKG_NAME"),
                    #package_var!("CARGO_PKG_VERSION"),
                    #package_var!("CARGO_PKG_DESCRIPTION"),
                ),
            )
            #prefix_setter
            #requires_setter
            #provides_setter
            #routes_setter;

            fn __mount(&self, app: &mut #mount_ty<'_>) {
                #(#mount)*
            }
        }

        impl #routes_impl_generics #routes_trait<__S> for #self_ty #routes_where {
            fn router(self) -> #router_ty<__S> {
                #(#checks)*
                #router
            }
        }
    }
}

/// Calls that hold each argument of a handler to axum's extractor traits and its return type to
/// `IntoResponse`, each spanned at its type: a wrong type is then reported where it is written,
/// with axum's own note, instead of as an unsatisfied `Handler` bound on the whole function.
/// Opaque return types (`impl IntoResponse`) cannot be named and are left to that bound.
fn handler_checks(paths: &Paths, args: &[Type], output: Option<&Type>) -> Vec<TokenStream> {
    let mut checks = Vec::new();
    if let Some((last, parts)) = args.split_last() {
        for ty in parts {
            let check = paths.at(ty.span()).check();
            checks.push(quote_spanned!(ty.span()=> #check::parts::<__S, #ty>();));
        }
        let check = paths.at(last.span()).check();
        checks.push(quote_spanned!(last.span()=> #check::request::<__S, _, #last>();));
    }
    if let Some(ty) = output.filter(|ty| !mentions_impl(ty.to_token_stream())) {
        let check = paths.at(ty.span()).check();
        checks.push(quote_spanned!(ty.span()=> #check::response::<#ty>();));
    }
    checks
}

/// A hidden function of the block that describes a handler's operation by asking each of its
/// types, each call spanned at its type: a type that cannot describe itself is reported where it
/// is written. An opaque return type (`impl IntoResponse`) cannot be asked, and the operation
/// says so.
fn describer(
    paths: &Paths,
    ident: &syn::Ident,
    args: &[Type],
    output: Option<&Type>,
) -> TokenStream {
    let inputs = args.iter().map(|ty| {
        let openapi = paths.at(ty.span()).openapi();
        quote_spanned!(ty.span()=> <#ty as #openapi::OperationInput>::describe(op);)
    });
    let openapi = paths.openapi();
    let output = match output {
        None => quote!(<() as #openapi::OperationOutput>::describe(op);),
        Some(ty) if mentions_impl(ty.to_token_stream()) => quote! {
            op.response("default", "not described: the handler returns an `impl Trait` type", ::core::option::Option::None);
        },
        Some(ty) => {
            let openapi = paths.at(ty.span()).openapi();
            quote_spanned!(ty.span()=> <#ty as #openapi::OperationOutput>::describe(op);)
        }
    };
    quote! {
        #[doc(hidden)]
        fn #ident(op: &mut #openapi::Operation<'_>) {
            #(#inputs)*
            #output
        }
    }
}

/// Whether a type has an `impl Trait` anywhere in it (`impl` is a keyword: it appears in a type
/// in no other way).
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => mentions_impl(g.stream()),
        _ => false,
    })
}

fn access(paths: &Paths, access: &Access) -> TokenStream {
    let ty = paths.access();
    match access {
        Access::Public => quote!(#ty::Public),
        Access::User => quote!(#ty::User),
        Access::Role(role) => quote!(#ty::Role(#role)),
    }
}

/// The last identifier of the block's type: `Blog` for `crate::blog::Blog<T>`.
fn type_ident(ty: &Type) -> syn::Ident {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.clone())
            .unwrap_or_else(|| syn::Ident::new("Module", ty.span())),
        _ => syn::Ident::new("Module", ty.span()),
    }
}
