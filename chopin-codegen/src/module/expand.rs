//! `#[chopin::module]` on an `impl` block: its routes are read from the attributes on its items,
//! checked against each other and against their handlers, and turned into the module's manifest
//! (`impl Module`) and router (`impl Routes<S>`).

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItem, ItemImpl, Meta, Type};

use super::check::{Method, Route, check_routes, full_path};
use super::parse::{self as module_parse, ModuleAttr};
use crate::diag::{Ctxt, expected_one_of};
use crate::fast_route::expand::{self as fast, Body, NOT_A_CONSTANT};
use crate::fast_route::parse::{self as fast_parse, FastRouteAttr};
use crate::paths::Paths;
use crate::route::check as route_check;
use crate::route::parse::{self as route_parse, Access, RouteAttr};

/// What an item of the impl block declares.
enum Decl {
    Handler {
        method: Method,
        attr: RouteAttr,
        ident: syn::Ident,
        /// The handler's argument types and declared return type, checked one by one so that a
        /// mistake is reported at its type rather than as "`Handler` is not implemented".
        args: Vec<Type>,
        output: Option<Type>,
        doc: String,
    },
    Fast {
        attr: FastRouteAttr,
        /// The same path, as the route checks see it.
        route: RouteAttr,
        ident: syn::Ident,
        kind: Option<Body>,
        /// The response headers, checked.
        headers: Vec<(String, String)>,
        doc: String,
    },
}

impl Decl {
    fn ident(&self) -> &syn::Ident {
        match self {
            Decl::Handler { ident, .. } | Decl::Fast { ident, .. } => ident,
        }
    }
}

/// Expands `#[chopin::module(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let attr = module_parse::parse(&cx, args);
    let mut imp = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(imp) => imp,
        Err(_) => {
            cx.error_spanned_by(
                first_tokens(&item),
                "`#[chopin::module]` goes on an `impl` block, as in `#[chopin::module] impl Blog { … }`",
            );
            return cx.errors_then(item);
        }
    };
    if let Some((_, path, _)) = &imp.trait_ {
        cx.error_spanned_by(
            path,
            "`#[chopin::module]` goes on an inherent `impl` block (`impl Blog { … }`), not a trait implementation",
        );
        return cx.errors_then(item);
    }

    let decls = collect(&cx, &mut imp);
    let prefix = attr
        .prefix
        .as_ref()
        .map(syn::LitStr::value)
        .unwrap_or_default();
    let routes: Vec<Route<'_>> = decls
        .iter()
        .map(|d| match d {
            Decl::Handler {
                method,
                attr,
                ident,
                ..
            } => Route {
                methods: vec![*method],
                attr,
                item: ident,
                fast: false,
            },
            Decl::Fast {
                route, ident, attr, ..
            } => Route {
                methods: fast_methods(attr),
                attr: route,
                item: ident,
                fast: true,
            },
        })
        .collect();
    check_routes(&cx, &prefix, &routes);
    let generic = !imp.generics.params.is_empty();
    if generic {
        for d in &decls {
            if let Decl::Fast { attr, .. } = d {
                cx.error_spanned_by(
                    &attr.path,
                    "a fast route's bytes are computed without type parameters: declare it in a non-generic module, or on a crate-level `const` mounted with `.fast_route(..)`",
                );
            }
        }
    }
    let states = states(&imp);
    if let Err(e) = cx.check() {
        // The block without the attributes the module consumed, and the module with no routes,
        // requirements or capabilities: code that mounts it still compiles, so the errors above
        // are the only ones (and an editor shows nothing else).
        let bare = ModuleAttr {
            requires: Vec::new(),
            provides: Vec::new(),
            models: Vec::new(),
            ..attr
        };
        // Its handlers are not routed, which is no news to report.
        imp.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
        let mut out = e.to_compile_error();
        out.extend(generate(&bare, &imp, &[], &prefix, &[]));
        return out;
    }
    generate(&attr, &imp, &decls, &prefix, &states)
}

/// The methods a fast route answers, as the route checks see them: `GET` unless `methods(..)`,
/// and `OPTIONS` on a CORS route.
fn fast_methods(attr: &FastRouteAttr) -> Vec<Method> {
    let mut methods: Vec<Method> = if attr.methods.is_empty() {
        vec![Method::Get]
    } else {
        attr.methods
            .iter()
            .filter_map(|m| Method::from_attr(&m.to_ascii_lowercase()))
            .collect()
    };
    // A CORS route answers `OPTIONS` with its preflight.
    if attr.cors && !methods.contains(&Method::Options) {
        methods.push(Method::Options);
    }
    methods
}

/// Reads the route attributes off the block's items (removing them), checking each against its
/// item.
fn collect(cx: &Ctxt, imp: &mut ItemImpl) -> Vec<Decl> {
    let mut decls = Vec::new();
    for item in &mut imp.items {
        let attrs = match item {
            ImplItem::Fn(f) => &mut f.attrs,
            ImplItem::Const(c) => &mut c.attrs,
            ImplItem::Type(t) => &mut t.attrs,
            ImplItem::Macro(m) => &mut m.attrs,
            _ => continue,
        };
        let mut ours = Vec::new();
        attrs.retain(|a| match classify(a) {
            Kind::Other => true,
            kind => {
                ours.push((kind, a.clone()));
                false
            }
        });
        for (kind, a) in ours {
            match (kind, &*item) {
                (Kind::Route(method), ImplItem::Fn(f)) => {
                    let Some(args) = args(cx, &a) else { continue };
                    let Some(attr) = route_parse::parse(cx, args) else {
                        continue;
                    };
                    if let Some(FnArg::Receiver(r)) = f.sig.inputs.first() {
                        cx.error_spanned_by(
                            r,
                            "a route handler takes extractors, not `self`: the module's state comes through `State<T>`",
                        );
                    }
                    route_check::check(cx, &attr, &f.sig);
                    decls.push(Decl::Handler {
                        method,
                        attr,
                        ident: f.sig.ident.clone(),
                        args: f
                            .sig
                            .inputs
                            .iter()
                            .filter_map(|a| match a {
                                FnArg::Typed(t) => Some((*t.ty).clone()),
                                FnArg::Receiver(_) => None,
                            })
                            .collect(),
                        output: match &f.sig.output {
                            syn::ReturnType::Default => None,
                            syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
                        },
                        doc: doc(&f.attrs),
                    });
                }
                (Kind::Route(_), other) => cx.error_spanned_by(
                    a.path(),
                    format!(
                        "a route attribute goes on an `async fn` handler, not on {}",
                        what(other)
                    ),
                ),
                (Kind::Fast, ImplItem::Const(c)) => {
                    let Some(args) = args(cx, &a) else { continue };
                    let Some(attr) = fast_parse::parse(cx, args) else {
                        continue;
                    };
                    let kind = fast::body(cx, &c.ty);
                    let headers = fast::headers(cx, &attr);
                    decls.push(Decl::Fast {
                        headers,
                        route: RouteAttr {
                            path: attr.path.clone(),
                            access: Access::Public,
                            auth_span: None,
                            name: None,
                            tag: None,
                        },
                        attr,
                        ident: c.ident.clone(),
                        kind,
                        doc: doc(&c.attrs),
                    });
                }
                (Kind::Fast, ImplItem::Fn(f)) => {
                    let sig = &f.sig;
                    cx.error_spanned_by(quote!(#sig), NOT_A_CONSTANT);
                }
                (Kind::Fast, other) => cx.error_spanned_by(other, NOT_A_CONSTANT),
                (Kind::Unknown(name), _) => cx.error_spanned_by(
                    a.path(),
                    format!(
                        "unknown route attribute `#[{name}]`: {}",
                        expected_one_of(&name, Method::NAMES)
                    ),
                ),
                (Kind::Other, _) => {}
            }
        }
    }
    decls
}

/// An item's doc comment, as rustdoc reads it: the `#[doc]` lines, each without the one space
/// that follows `///`.
fn doc(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
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

fn what(item: &ImplItem) -> &'static str {
    match item {
        ImplItem::Const(_) => "a constant (for a precomputed response, use `#[fast_route]`)",
        ImplItem::Type(_) => "a type",
        _ => "this item",
    }
}

enum Kind {
    Route(Method),
    Fast,
    /// An attribute spelled like a route (`#[gte("/x")]`) that is not one.
    Unknown(String),
    Other,
}

/// Which of the module's attributes `a` is: `get`, `chopin::get`, `fast_route`, …
fn classify(a: &Attribute) -> Kind {
    let path = a.path();
    let Some(last) = path.segments.last() else {
        return Kind::Other;
    };
    let name = last.ident.to_string();
    let ours = path.segments.len() == 1
        || (path.segments.len() == 2 && path.segments[0].ident == "chopin");
    if !ours {
        return Kind::Other;
    }
    if let Some(m) = Method::from_attr(&name) {
        return Kind::Route(m);
    }
    if name == "fast_route" {
        return Kind::Fast;
    }
    // `#[gte("/x")]`, `#[GET("/x")]`: a path literal first says a route was meant.
    if let Meta::List(list) = &a.meta
        && let Some(proc_macro2::TokenTree::Literal(lit)) = list.tokens.clone().into_iter().next()
        && lit.to_string().starts_with("\"/")
    {
        return Kind::Unknown(name);
    }
    Kind::Other
}

/// The tokens inside `#[name(..)]`, or an error saying that a path was expected.
fn args(cx: &Ctxt, a: &Attribute) -> Option<TokenStream> {
    match &a.meta {
        Meta::List(list) => Some(list.tokens.clone()),
        other => {
            cx.error_spanned_by(
                other,
                "expected the route's path, as in `#[get(\"/posts/{id}\")]`",
            );
            None
        }
    }
}

/// The types of the `State<T>` extractors the block's handlers take, once each.
fn states(imp: &ItemImpl) -> Vec<Type> {
    let mut out: Vec<Type> = Vec::new();
    for item in &imp.items {
        let ImplItem::Fn(f) = item else { continue };
        for arg in &f.sig.inputs {
            let FnArg::Typed(arg) = arg else { continue };
            if let Some(inner) = route_check::extractor(&arg.ty, "State") {
                let key = inner.to_token_stream().to_string();
                if !out.iter().any(|t| t.to_token_stream().to_string() == key) {
                    out.push(inner.clone());
                }
            }
        }
    }
    out
}

fn generate(
    attr: &ModuleAttr,
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
                attr,
                args,
                output,
                doc,
                ..
            } => {
                checks.extend(handler_checks(&paths, args, output.as_ref()));
                let describe = format_ident!("__chopin_describe_{}", ident);
                describers.push(describer(&paths, &describe, args, output.as_ref()));
                let path = full_path(prefix, &attr.path.value());
                let access = access(&paths, &attr.access);
                let routing = format_ident!("{}", method.routing_fn());
                let routing_mod = paths.at(span).routing();
                let mut method_router = quote_spanned!(span=> #routing_mod::#routing(Self::#ident));
                if attr.access != Access::Public {
                    let (from_fn_with_state, guard) = (paths.from_fn_with_state(), paths.guard());
                    method_router = quote! {
                        #method_router.route_layer(#from_fn_with_state(#access, #guard))
                    };
                }
                routes.push(quote!(.route(#path, #method_router)));
                let methods = fast::methods_expr(&paths, method.manifest_names());
                let mut setters = Vec::new();
                if attr.access != Access::Public {
                    setters.push(quote!(.access(#access)));
                }
                if let Some(name) = &attr.name {
                    setters.push(quote!(.name(#name)));
                }
                if let Some(tag) = &attr.tag {
                    setters.push(quote!(.tag(#tag)));
                }
                if !doc.is_empty() {
                    setters.push(quote!(.doc(#doc)));
                }
                setters.push(quote!(.describe(Self::#describe)));
                (path, methods, setters)
            }
            Decl::Fast {
                attr,
                kind,
                headers,
                doc,
                ..
            } => {
                let path = full_path(prefix, &attr.path.value());
                let Some(kind) = kind else { continue };
                let hidden = format_ident!("__CHOPIN_FAST_{}", ident);
                let route = fast::static_route(
                    &paths,
                    &path,
                    attr,
                    headers,
                    &quote!(<#self_ty>::#ident),
                    *kind,
                );
                let static_route = paths.static_route();
                fast_consts.push(quote! {
                    #[doc(hidden)]
                    const #hidden: #static_route = #route;
                });
                let mut setters = vec![quote!(.fast(&Self::#hidden))];
                if !doc.is_empty() {
                    setters.push(quote!(.doc(#doc)));
                }
                (path, fast::manifest_methods(&paths, attr), setters)
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

/// `Blog<T>` as a person writes it, not as tokens print (`Blog < T >`).
pub(crate) fn pretty(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(' ', "")
        .replace(',', ", ")
}

/// `AuthModule` → `auth_module`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first few tokens of an item, to point an error at.
fn first_tokens(item: &TokenStream) -> TokenStream {
    item.clone().into_iter().take(3).collect()
}
