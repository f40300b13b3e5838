//! Every path the expansions name, written once: the items of `::chopin::__private` that
//! generated code refers to, as Rocket's `exports.rs` lists them.
//!
//! A [`Paths`] is built once per attribute from its `crate = "…"` option (by default `::chopin`),
//! so a re-exported Chopin is one option away and no expansion spells `__private` itself. Each
//! method is one item; modules (`db`, `openapi`, `sea_orm`, …) are items too, and the expansion
//! names what it needs inside them. [`Paths::at`] gives the same table with the item's own
//! segments spanned at a user's token, for the calls whose errors should land there.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

/// The paths into `::chopin::__private` (or a re-export of it).
#[derive(Clone)]
pub struct Paths {
    /// `::chopin`, or the path of `crate = "…"`.
    krate: TokenStream,
    /// Where the segments after `__private` point.
    span: Span,
}

impl Paths {
    /// The table for `crate = "…"`, or for `::chopin` without it.
    pub fn new(krate: Option<&syn::Path>) -> Paths {
        let krate = match krate {
            Some(path) => quote!(#path),
            None => quote!(::chopin),
        };
        Paths {
            krate,
            span: Span::call_site(),
        }
    }

    /// The same table, with each item's segments spanned at `span`.
    pub fn at(&self, span: Span) -> Paths {
        Paths {
            krate: self.krate.clone(),
            span,
        }
    }

    /// `…::__private::<segments>`, every token spanned at `self.span` (an error that rustc
    /// reports at a macro call built from them points there, and only if all of them do).
    fn item(&self, segments: &[&str]) -> TokenStream {
        let krate = respan(self.krate.clone(), self.span);
        let private = quote_spanned!(self.span=> #krate::__private);
        let segments = segments.iter().map(|s| Ident::new(s, self.span));
        quote_spanned!(self.span=> #private #(::#segments)*)
    }

    /// The string form of `…::__private::<path>`, for attributes that take a path as a string
    /// (`#[serde(crate = "…")]`, `deserialize_with = "…"`).
    fn string(&self, path: &str) -> String {
        let krate = self.krate.to_string().replace(' ', "");
        format!("{krate}::__private::{path}")
    }

    // The kernel: manifests, routes, modules.

    /// `Manifest`: a module's declaration.
    pub fn manifest(&self) -> TokenStream {
        self.item(&["Manifest"])
    }

    /// `RouteDecl`: one route of a manifest.
    pub fn route_decl(&self) -> TokenStream {
        self.item(&["RouteDecl"])
    }

    /// `Package`: the crate that declares a module.
    pub fn package(&self) -> TokenStream {
        self.item(&["Package"])
    }

    /// `package_var!`: a `CARGO_PKG_*` variable, or `""`.
    pub fn package_var(&self) -> TokenStream {
        self.item(&["package_var"])
    }

    /// `Methods`: the set of methods a route answers.
    pub fn methods(&self) -> TokenStream {
        self.item(&["Methods"])
    }

    /// `Access`: who may call a route.
    pub fn access(&self) -> TokenStream {
        self.item(&["Access"])
    }

    /// `StaticRoute`: a fast route's precomputed response.
    pub fn static_route(&self) -> TokenStream {
        self.item(&["StaticRoute"])
    }

    /// `check_app`: the whole-application check over manifests.
    pub fn check_app(&self) -> TokenStream {
        self.item(&["check_app"])
    }

    /// `DeclaredRoute`: a crate-level fast route's constant.
    pub fn declared_route(&self) -> TokenStream {
        self.item(&["DeclaredRoute"])
    }

    /// `response_len`: the length of a fast route's response bytes.
    pub fn response_len(&self) -> TokenStream {
        self.item(&["response_len"])
    }

    /// `response`: a fast route's response bytes, computed in constant evaluation.
    pub fn response(&self) -> TokenStream {
        self.item(&["response"])
    }

    /// `Module`: the trait of a `#[chopin::module]`.
    pub fn module(&self) -> TokenStream {
        self.item(&["Module"])
    }

    /// `Routes`: a module's router.
    pub fn routes(&self) -> TokenStream {
        self.item(&["Routes"])
    }

    /// `Mount`: what mounting a module may add to the application.
    pub fn mount(&self) -> TokenStream {
        self.item(&["Mount"])
    }

    /// `AuthProvider`: the `auth` capability a module provides.
    pub fn auth_provider(&self) -> TokenStream {
        self.item(&["AuthProvider"])
    }

    /// `batteries`: what every module brings by the features `chopin` is built with.
    pub fn batteries(&self) -> TokenStream {
        self.item(&["batteries"])
    }

    // The router: axum, through the runtime.

    /// `Router`.
    pub fn router(&self) -> TokenStream {
        self.item(&["Router"])
    }

    /// `routing`: axum's method routers (`routing::get`, …).
    pub fn routing(&self) -> TokenStream {
        self.item(&["routing"])
    }

    /// `FromRef`: a module's state taken from the application's.
    pub fn from_ref(&self) -> TokenStream {
        self.item(&["FromRef"])
    }

    /// `from_fn_with_state`: the guard layer's constructor.
    pub fn from_fn_with_state(&self) -> TokenStream {
        self.item(&["from_fn_with_state"])
    }

    /// `guard`: the layer in front of a route declared `auth`.
    pub fn guard(&self) -> TokenStream {
        self.item(&["guard"])
    }

    /// `check`: the functions that hold a handler's types to axum's traits.
    pub fn check(&self) -> TokenStream {
        self.item(&["check"])
    }

    /// `openapi`: operations and schemas.
    pub fn openapi(&self) -> TokenStream {
        self.item(&["openapi"])
    }

    /// `ChopinError`: the error a generated function returns.
    pub fn chopin_error(&self) -> TokenStream {
        self.item(&["ChopinError"])
    }

    // Serialization.

    /// `serde`.
    pub fn serde(&self) -> TokenStream {
        self.item(&["serde"])
    }

    /// `serde`, as `#[serde(crate = "…")]` takes it.
    pub fn serde_str(&self) -> String {
        self.string("serde")
    }

    /// `serde_json`.
    pub fn serde_json(&self) -> TokenStream {
        self.item(&["serde_json"])
    }

    // The database battery.

    /// `sea_orm`.
    pub fn sea_orm(&self) -> TokenStream {
        self.item(&["sea_orm"])
    }

    /// `db`: models' helpers.
    pub fn db(&self) -> TokenStream {
        self.item(&["db"])
    }

    /// `db::<name>`, as `#[serde(deserialize_with = "…")]` takes it.
    pub fn db_str(&self, name: &str) -> String {
        self.string(&format!("db::{name}"))
    }

    /// `with_db!`: its input where the database battery is built, else one error naming the
    /// feature.
    pub fn with_db(&self) -> TokenStream {
        self.item(&["with_db"])
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(g) = &token {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                token = proc_macro2::TokenTree::Group(group);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_re_exported() {
        let paths = Paths::new(None);
        assert_eq!(
            paths.manifest().to_string(),
            quote!(::chopin::__private::Manifest).to_string()
        );
        assert_eq!(paths.serde_str(), "::chopin::__private::serde");
        let krate: syn::Path = syn::parse_quote!(my_app::chopin);
        let paths = Paths::new(Some(&krate));
        assert_eq!(
            paths.db().to_string(),
            quote!(my_app::chopin::__private::db).to_string()
        );
        assert_eq!(
            paths.db_str("present"),
            "my_app::chopin::__private::db::present"
        );
    }
}
