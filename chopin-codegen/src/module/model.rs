//! `#[chopin::module]` as the expansion uses it: its options checked into a [`ModuleDef`], and
//! the route attributes read off the block's items into [`Decl`]s, each checked against its item
//! (the handler's signature, the constant's type).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Attribute, FnArg, ImplItem, ItemImpl, LitStr, Meta, Type};

use super::parse::ModuleOptions;
use crate::diag::{Ctxt, expected_one_of};
use crate::fast_route::NOT_A_CONSTANT;
use crate::fast_route::model::{Body, FastRoute};
use crate::fast_route::parse as fast_parse;
use crate::route::check as route_check;
use crate::route::model::{Method, Route};
use crate::route::parse::{self as route_parse, RouteAttr, RouteOptions};
use crate::symbol::CAPABILITIES;

/// A module's options, checked.
#[derive(Default)]
pub struct ModuleDef {
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
    pub models_span: Option<Span>,
    /// `migrations`, where it is written: the module embeds the files of `migrations/` beside
    /// its crate's `Cargo.toml`.
    pub migrations: Option<Span>,
    /// `crate = "…"`: where generated code finds Chopin, when it is re-exported.
    pub krate: Option<syn::Path>,
}

impl ModuleDef {
    /// The options of `options` that hold, each mistake recorded in `cx`.
    pub fn from_options(cx: &Ctxt, options: ModuleOptions) -> ModuleDef {
        let name = options.name.take(cx).filter(|name| {
            let value = name.value();
            let ok = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                cx.error_spanned_by(
                    name,
                    "a module name is lowercase letters, digits and `_`, as in `blog`",
                );
            }
            ok
        });
        let prefix = options
            .prefix
            .take(cx)
            .filter(|prefix| check_prefix(cx, prefix));
        let requires = options.requires.take(cx).unwrap_or_default();
        let provides = options
            .provides
            .take(cx)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| {
                let name = c.to_string();
                let known = CAPABILITIES.contains(&name.as_str());
                if !known {
                    cx.error_spanned_by(
                        c,
                        format!(
                            "unknown capability `{name}`: {}",
                            expected_one_of(&name, CAPABILITIES)
                        ),
                    );
                }
                known
            })
            .collect();
        let (models_span, models) = match options.models.take(cx) {
            Some((span, models)) => (Some(span), models),
            None => (None, Vec::new()),
        };
        ModuleDef {
            name,
            prefix,
            requires,
            provides,
            models,
            models_span,
            migrations: options
                .migrations
                .take(cx)
                .filter(darling::util::Flag::is_present)
                .map(|flag| flag.span()),
            krate: options.krate.take(cx).map(|k| k.0),
        }
    }
}

/// Whether `prefix` is one to put before the routes: a path of the route grammar without a
/// trailing slash or a catch-all (a mistake is recorded), and not the root (`""` or `"/"`).
fn check_prefix(cx: &Ctxt, prefix: &LitStr) -> bool {
    let value = prefix.value();
    // `""` and `"/"` are the root, as leaving `prefix` out is.
    if value.is_empty() || value == "/" {
        return false;
    }
    let mistake = if value.ends_with('/') {
        Some("a prefix has no trailing slash, as in `/blog`".to_owned())
    } else if let Err(e) = chopin_pattern::validate(&value) {
        Some(format!("invalid prefix: {}", e.message()))
    } else if chopin_pattern::params(&value).any(|(_, catch_all)| catch_all) {
        Some("a prefix cannot end in a catch-all: routes go after it".to_owned())
    } else {
        None
    };
    if let Some(mistake) = &mistake {
        cx.error_spanned_by(prefix, mistake);
    }
    mistake.is_none()
}

/// What an item of the impl block declares.
#[allow(
    clippy::large_enum_variant,
    reason = "a module holds a handful of these, built once per expansion"
)]
pub enum Decl {
    /// A route attribute on an `async fn`.
    Handler {
        /// The attribute's method.
        method: Method,
        /// The attribute as written.
        attr: RouteAttr,
        /// The route, checked against its handler.
        route: Route,
        /// The handler.
        ident: syn::Ident,
        /// The handler's argument types and declared return type, checked one by one so that a
        /// mistake is reported at its type rather than as "`Handler` is not implemented".
        args: Vec<Type>,
        /// The declared return type; `None` for `()`.
        output: Option<Type>,
        /// The handler's doc comment.
        doc: String,
    },
    /// `#[fast_route]` on a constant.
    Fast {
        /// The fast route.
        fast: FastRoute,
        /// The same path, as the route checks see it.
        attr: RouteAttr,
        /// The constant.
        ident: syn::Ident,
        /// What the constant holds; `None` when its type is not a body (reported).
        kind: Option<Body>,
        /// The constant's doc comment.
        doc: String,
    },
}

impl Decl {
    /// The handler or constant.
    pub fn ident(&self) -> &syn::Ident {
        match self {
            Decl::Handler { ident, .. } | Decl::Fast { ident, .. } => ident,
        }
    }
}

/// Reads the route attributes off the block's items (removing them), checking each against its
/// item; a handler's path parameters are those of its full path, under the module's `prefix`.
pub fn collect(cx: &Ctxt, imp: &mut ItemImpl, prefix: &str) -> Vec<Decl> {
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
                    let route = Route::from_attr(cx, &attr);
                    if let Some(FnArg::Receiver(r)) = f.sig.inputs.first() {
                        cx.error_spanned_by(
                            r,
                            "a route handler takes extractors, not `self`: the module's state comes through `State<T>`",
                        );
                    }
                    route_check::check(cx, &route, &f.sig, prefix);
                    decls.push(Decl::Handler {
                        method,
                        attr,
                        route,
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
                        doc: crate::attr::doc(&f.attrs),
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
                    let fast = FastRoute::from_attr(cx, attr);
                    let kind = Body::of(cx, &c.ty);
                    decls.push(Decl::Fast {
                        attr: RouteAttr {
                            path: fast.path.clone(),
                            options: RouteOptions::default(),
                        },
                        fast,
                        ident: c.ident.clone(),
                        kind,
                        doc: crate::attr::doc(&c.attrs),
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
        || (path.segments.len() == 2 && path.segments[0].ident == crate::symbol::CHOPIN);
    if !ours {
        return Kind::Other;
    }
    if let Some(m) = Method::from_attr(&name) {
        return Kind::Route(m);
    }
    if name == crate::symbol::FAST_ROUTE {
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
pub fn states(imp: &ItemImpl) -> Vec<Type> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    fn def(args: TokenStream) -> (ModuleDef, Vec<String>) {
        let cx = Ctxt::new();
        let options = super::super::parse::parse(&cx, args);
        let def = ModuleDef::from_options(&cx, options);
        (def, crate::diag::messages(cx))
    }

    #[test]
    fn every_option() {
        let (def, errors) = def(quote!(
            name = "blog",
            prefix = "/blog",
            requires(Auth, crate::feed::Feed),
            provides(auth),
            models(Post),
            crate = "app::chopin"
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(def.name.map(|n| n.value()).as_deref(), Some("blog"));
        assert_eq!(def.prefix.map(|p| p.value()).as_deref(), Some("/blog"));
        let requires: Vec<String> = def
            .requires
            .iter()
            .map(|p| p.to_token_stream().to_string())
            .collect();
        assert_eq!(requires, ["Auth", "crate :: feed :: Feed"]);
        assert_eq!(def.provides.len(), 1);
        assert_eq!(def.models.len(), 1);
        assert!(def.models_span.is_some());
        assert_eq!(
            def.krate
                .map(|k| k.to_token_stream().to_string())
                .as_deref(),
            Some("app :: chopin")
        );
        assert!(self::def(quote!()).1.is_empty(), "every option is optional");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        assert_eq!(
            def(quote!(
                name = "Blog",
                prefix = "/blog/",
                prefx = "/x",
                provides(oauth),
                requires = "Auth",
                name = "b"
            ))
            .1,
            [
                "unknown module option `prefx`: expected one of `name`, `prefix`, `requires`, `provides`, `models`, `migrations`, `crate` (did you mean `prefix`?)",
                "`name` is given twice",
                "a module name is lowercase letters, digits and `_`, as in `blog`",
                "a prefix has no trailing slash, as in `/blog`",
                "write `requires(ModuleType, ..)`",
                "unknown capability `oauth`: expected one of `auth` (did you mean `auth`?)",
            ]
        );
        // The root, however it is written.
        for root in [quote!(prefix = "/"), quote!(prefix = "")] {
            let (def, errors) = def(root);
            assert!(errors.is_empty(), "{errors:?}");
            assert!(def.prefix.is_none());
        }
        assert_eq!(
            def(quote!(prefix = "/files/{*rest}")).1,
            ["a prefix cannot end in a catch-all: routes go after it"]
        );
        assert_eq!(
            def(quote!(crate = "not a path", models = "Post")).1,
            [
                "write `models(Post, ..)`",
                "expected a path, as in `crate = \"my_app::chopin\"`",
            ]
        );
    }
}
