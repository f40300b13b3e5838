//! Tokens of `#[chopin::model(table = "posts")]` on a struct, and of `#[model(..)]` on its fields,
//! into a [`ModelAttr`]: the options read by darling, the struct without its `#[model]`
//! attributes. What the values mean is the model stage's ([`super::model`]).
//!
//! ```text
//! #[chopin::model(table = "posts", has_many(Comment))]
//! pub struct Post {
//!     #[model(primary_key)]
//!     pub id: i64,
//!     #[model(max_len = 200, min_len = 1)]
//!     pub title: String,
//!     #[model(owner, belongs_to = User, on_delete = "cascade")]
//!     pub author_id: i64,
//! }
//! ```

use darling::FromMeta;
use darling::util::Flag;
use proc_macro2::TokenStream;
use syn::{Attribute, Fields, ItemStruct, LitStr, Meta, Type};

use crate::attr::{self, CratePath, Literal, Read, Value};
use crate::diag::Ctxt;
use crate::symbol::{FIELD_KEYS, MODEL, MODEL_OPTIONS, RANGE_BOUNDS};

/// The options of `#[chopin::model]`.
#[derive(Default, FromMeta)]
pub struct ModelOptions {
    /// `table = "…"`.
    pub table: Read<LitStr>,
    /// `has_many(Comment, ..)`.
    #[darling(default, with = |m| attr::list(m, "write `has_many(Model, ..)`"))]
    pub has_many: Read<Vec<syn::Path>>,
    /// `renamed_from = "…"`.
    pub renamed_from: Read<LitStr>,
    /// `crate = "…"`.
    #[darling(rename = "crate")]
    pub krate: Read<CratePath>,
}

/// The keys of `#[model(..)]` on one field, from all its `#[model]` attributes.
#[derive(Default, FromMeta)]
pub struct FieldOptions {
    /// `primary_key`.
    pub primary_key: Read<Flag>,
    /// `max_len = N`.
    pub max_len: Read<Literal>,
    /// `min_len = N`.
    pub min_len: Read<Literal>,
    /// `email`.
    pub email: Read<Flag>,
    /// `range(min = A, max = B)`.
    pub range: Read<RangeOptions>,
    /// `belongs_to = Model`.
    #[darling(
        default,
        with = |m| attr::path(m, "write `belongs_to = Model`, naming the model's struct")
    )]
    pub belongs_to: Read<syn::Path>,
    /// `on_delete = "cascade"`.
    pub on_delete: Read<LitStr>,
    /// `default = literal`.
    pub default: Read<Literal>,
    /// `unique`.
    pub unique: Read<Flag>,
    /// `indexed`.
    pub indexed: Read<Flag>,
    /// `created_at`.
    pub created_at: Read<Flag>,
    /// `updated_at`.
    pub updated_at: Read<Flag>,
    /// `private`.
    pub private: Read<Flag>,
    /// `owner`.
    pub owner: Read<Flag>,
    /// `renamed_from = "…"`.
    pub renamed_from: Read<LitStr>,
}

/// The bounds inside `range(..)`.
#[derive(Default, FromMeta)]
pub struct RangeOptions {
    /// `min = …`.
    pub min: Read<Literal>,
    /// `max = …`.
    pub max: Read<Literal>,
}

impl Value for RangeOptions {
    fn read(option: &Meta) -> syn::Result<Self> {
        attr::nested(
            option,
            "`range` bound",
            RANGE_BOUNDS,
            "write `range(min = 1, max = 10)`",
        )
    }
}

/// A field of the struct, with its keys.
pub struct FieldAttr {
    /// The field's name.
    pub ident: syn::Ident,
    /// Its type as written.
    pub ty: Type,
    /// Its doc comment, as `#[doc]` attributes.
    pub docs: Vec<Attribute>,
    /// Its `#[model(..)]` keys.
    pub options: FieldOptions,
}

/// `#[chopin::model(..)]` and the struct it is on.
pub struct ModelAttr {
    /// The options.
    pub options: ModelOptions,
    /// The struct as written, without the `#[model]` attributes.
    pub item: ItemStruct,
    /// Its named fields, in order.
    pub fields: Vec<FieldAttr>,
}

/// Parses `#[chopin::model(args)] item`; `None` when the item is not a struct with named fields
/// (the error recorded).
pub fn parse(cx: &Ctxt, args: TokenStream, item: TokenStream) -> Option<ModelAttr> {
    let options = attr::options(cx, args);
    let options = attr::read(cx, &options, "model option", MODEL_OPTIONS, &[]);
    let mut item: ItemStruct = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let first: TokenStream = item.into_iter().take(3).collect();
            cx.error_spanned_by(
                first,
                "`#[chopin::model]` goes on a struct with named fields, as in `#[chopin::model(table = \"posts\")] pub struct Post { .. }`",
            );
            return None;
        }
    };
    let Fields::Named(named) = &mut item.fields else {
        cx.error_spanned_by(
            &item.ident,
            "a model's fields have names: `struct Post { id: i64, .. }`",
        );
        return None;
    };
    let mut fields = Vec::new();
    for field in &mut named.named {
        let mut keys = Vec::new();
        field.attrs.retain(|a| {
            if !a.path().is_ident(MODEL) {
                return true;
            }
            match &a.meta {
                Meta::List(list) => keys.extend(attr::options(cx, list.tokens.clone())),
                _ => cx.error_spanned_by(
                    a,
                    "write `#[model(key, ..)]`, as in `#[model(max_len = 200)]`",
                ),
            }
            false
        });
        let options = attr::read(cx, &keys, "model field key", FIELD_KEYS, &[]);
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        fields.push(FieldAttr {
            ident,
            ty: field.ty.clone(),
            docs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident(crate::symbol::DOC))
                .cloned()
                .collect(),
            options,
        });
    }
    Some(ModelAttr {
        options,
        item,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_is_a_field() {
        let cx = Ctxt::new();
        for key in MODEL_OPTIONS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(ModelOptions::from_list(&options).is_ok(), "{key}");
        }
        for key in FIELD_KEYS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(FieldOptions::from_list(&options).is_ok(), "{key}");
        }
        for key in RANGE_BOUNDS {
            let options = attr::options(&cx, key.parse().expect("a word"));
            assert!(RangeOptions::from_list(&options).is_ok(), "{key}");
        }
        cx.check().expect("valid");
    }
}
