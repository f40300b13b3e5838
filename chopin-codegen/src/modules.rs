//! `chopin::modules!`: one declaration of an application's modules (and crate-level fast
//! routes), as the type of its module list, checked where `cargo check` sees it.
//!
//! ```text
//! chopin::modules! {
//!     pub type Modules = [AuthModule, Blog, HEALTH];
//! }
//! ```
//!
//! expands to the type `(((), AuthModule), Blog), HEALTH)`, which is the type `mount_module` and
//! `fast_route` build (so `fn app(..) -> App<(), Modules>` holds only if the chain mounts exactly
//! these, in this order), and a `const` that runs the whole-application check on it: a `const`
//! item outside any generic function, which `cargo check` and editors evaluate.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Token, Type, Visibility, bracketed};

use crate::paths::Paths;

/// `#[attrs] vis type Name = [A, B, ..];`
struct Declaration {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    modules: Punctuated<Type, Token![,]>,
}

impl Parse for Declaration {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![type]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "write the application's modules as `pub type Modules = [Blog, Accounts];`",
            )
        })?;
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let content;
        bracketed!(content in input);
        let modules = Punctuated::parse_terminated(&content)?;
        input.parse::<Token![;]>()?;
        if !input.is_empty() {
            return Err(input.error("one declaration: `pub type Modules = [Blog, Accounts];`"));
        }
        Ok(Declaration {
            attrs,
            vis,
            name,
            modules,
        })
    }
}

/// Expands `chopin::modules!(input)`.
pub fn expand(input: TokenStream) -> TokenStream {
    let declaration: Declaration = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let paths = Paths::new(None);
    let check = paths.check_app();
    let Declaration {
        attrs,
        vis,
        name,
        modules,
    } = declaration;
    // As `mount_module` builds it (`ModuleList` in chopin-runtime's `module.rs`): chunks of 16 in
    // mount order, each nested in the earlier ones, `(((), (A, .., P)), (Q, ..))`. Each entry is
    // spanned at its type, so that one that is not a module is reported where it is written.
    let mut list = quote!(());
    let entries: Vec<_> = modules.iter().collect();
    for chunk in entries.chunks(16) {
        list = quote!((#list, (#(#chunk,)*)));
    }
    // The check over the entries' manifests, each spanned at its entry: one that is not a module
    // is one error, where it is written.
    let module_trait = paths.module();
    let manifests = modules
        .iter()
        .map(|module| quote_spanned!(module.span()=> &<#module as #module_trait>::MANIFEST));
    quote! {
        #(#attrs)*
        #vis type #name = #list;

        const _: () = #check(&[#(#manifests),*]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_the_list_mount_module_builds() {
        let out = expand(quote!(
            /// The modules.
            pub type Modules = [Accounts, Blog, HEALTH];
        ));
        let text = out.to_string();
        assert!(
            text.contains("pub type Modules = (() , (Accounts , Blog , HEALTH ,)) ;"),
            "{text}"
        );
        assert!(text.contains("check_app (& [& < Accounts as"), "{text}");
        let many: Vec<syn::Ident> = (0..17).map(|i| quote::format_ident!("M{i}")).collect();
        let text = expand(quote!(type Modules = [#(#many),*];)).to_string();
        assert!(
            text.contains("type Modules = ((() , (M0 , M1 , M2 , M3 , M4 , M5 , M6 , M7 , M8 , M9 , M10 , M11 , M12 , M13 , M14 , M15 ,)) , (M16 ,)) ;"),
            "a new tuple every 16: {text}"
        );
        let wrong = expand(quote!(
            pub struct Modules;
        ))
        .to_string();
        assert!(wrong.contains("compile_error"), "{wrong}");
        assert!(
            wrong.contains("write the application's modules as"),
            "{wrong}"
        );
    }
}
