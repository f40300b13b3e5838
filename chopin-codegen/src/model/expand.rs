//! A [`ModelDef`] into the read schema (the struct itself, with serde and its API schema), the
//! SeaORM entity module (through SeaORM's own derives), `NewX` and `XPatch` with their
//! validation, and `impl Model`. A `private` field is a column of the entity only: the read
//! schema, `NewX` and `XPatch` do not have it. An `owner` field is not in `NewX` nor `XPatch`:
//! `NewX::into_active_model_for(&user)` (which replaces `into_active_model`) sets it, and the
//! entity implements `Owned`. Infallible: it runs on a checked model only.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Lit;
use syn::spanned::Spanned;

use super::model::{FieldDef, ModelDef, Scalar};
use crate::names::snake_case;
use crate::paths::Paths;

/// `author_id` → `AuthorId`, as SeaORM names columns.
fn camel(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The code of the checked model `def`.
pub fn generate(def: &ModelDef) -> TokenStream {
    let paths = Paths::new(def.krate.as_ref());
    let (db, sea_orm, serde, chopin_error) = (
        paths.db(),
        paths.sea_orm(),
        paths.serde(),
        paths.chopin_error(),
    );
    let with_db = paths.with_db();
    let serde_crate = paths.serde_str();
    // A field that may be left out but, when given, is not `null` (its schema says so).
    let present = paths.db_str("present");
    let db_fn = |name: &str| paths.db_str(name);
    let item = &read_struct(def);
    let ident = &item.ident;
    let vis = &item.vis;
    let name = ident.to_string();
    let table = &def.table;
    let entity = format_ident!("{}", snake_case(&name));
    let new_ident = format_ident!("New{}", ident);
    let patch_ident = format_ident!("{}Patch", ident);
    let Some(pk) = def.primary_key() else {
        return quote!(#item);
    };
    let pk_column = format_ident!("{}", camel(&pk.ident.to_string()));
    let renamed_from = def.renamed_from.as_ref().map(|old| {
        quote!(const RENAMED_FROM: ::core::option::Option<&'static str> = ::core::option::Option::Some(#old);)
    });
    let renamed: Vec<TokenStream> = def
        .fields
        .iter()
        .filter_map(|f| {
            let old = f.keys.renamed_from.as_ref()?;
            let new = f.ident.to_string();
            Some(quote!((#new, #old)))
        })
        .collect();
    let renamed_columns = (!renamed.is_empty()).then(|| {
        quote!(const RENAMED_COLUMNS: &'static [(&'static str, &'static str)] = &[#(#renamed),*];)
    });

    // The entity's `Model`: the same fields, with SeaORM's column attributes.
    let model_fields = def.fields.iter().map(|f| {
        let fi = &f.ident;
        let ty = entity_type(f);
        let k = &f.keys;
        let mut attrs = Vec::new();
        if k.primary_key {
            attrs.push(quote!(primary_key));
        }
        if let Some(n) = k.max_len {
            let column_type = format!("String(StringLen::N({n}))");
            attrs.push(quote!(column_type = #column_type));
        }
        if let Some(d) = &k.default {
            attrs.push(quote!(default_value = #d));
        }
        if k.unique {
            attrs.push(quote!(unique));
        }
        if k.indexed || k.belongs_to.is_some() || f.owner() {
            attrs.push(quote!(indexed));
        }
        let attr = (!attrs.is_empty()).then(|| quote!(#[sea_orm(#(#attrs),*)]));
        quote!(#attr pub #fi: #ty)
    });

    // Relations: one `belongs_to` a field.
    let relations: Vec<(&FieldDef, &syn::Path)> = def
        .fields
        .iter()
        .filter_map(|f| f.keys.belongs_to.as_ref().map(|p| (f, p)))
        .collect();
    // `author_id` belongs to the author: the relation is `Author`.
    let variants: Vec<syn::Ident> = relations
        .iter()
        .map(|(f, _)| {
            let field = f.ident.to_string();
            format_ident!("{}", camel(field.strip_suffix("_id").unwrap_or(&field)))
        })
        .collect();
    let defs = relations
        .iter()
        .zip(&variants)
        .map(|((f, target), variant)| {
            let column = format_ident!("{}", camel(&f.ident.to_string()));
            let on_delete = f.keys.on_delete.as_ref().map(|s| {
                let action = format_ident!("{}", camel(&s.value()));
                quote!(.on_delete(#sea_orm::ForeignKeyAction::#action))
            });
            let target = from_parent(target);
            let target_db = paths.at(target.span()).db();
            let target_model = quote_spanned!(target.span()=> <#target as #target_db::Model>);
            quote! {
                Relation::#variant => <Entity as #sea_orm::EntityTrait>::belongs_to(
                    <#target_model::Entity as ::core::default::Default>::default(),
                )
                .from(Column::#column)
                .to(#target_model::primary_key())
                #on_delete
                .into()
            }
        });
    // `has_many(Comment)`: the reverse of `Comment`'s `belongs_to`, which SeaORM finds through
    // `Related`.
    let many: Vec<(syn::Ident, &syn::Path)> = def
        .has_many
        .iter()
        .map(|p| {
            let name = p
                .segments
                .last()
                .map_or_else(String::new, |s| s.ident.to_string());
            (format_ident!("{}", name), p)
        })
        .collect();
    let many_defs = many.iter().map(|(variant, target)| {
        let target = from_parent(target);
        quote! {
            Relation::#variant => <Entity as #sea_orm::EntityTrait>::has_many(
                <<#target as #db::Model>::Entity as ::core::default::Default>::default(),
            )
            .into()
        }
    });
    let all_variants: Vec<&syn::Ident> =
        variants.iter().chain(many.iter().map(|(v, _)| v)).collect();
    let relation_targets: Vec<(&syn::Path, &syn::Ident)> = relations
        .iter()
        .map(|(_, t)| *t)
        .zip(&variants)
        .chain(many.iter().map(|(v, t)| (*t, v)))
        .collect();
    let mut related_targets: Vec<String> = Vec::new();
    let distinct_targets = {
        let mut seen: Vec<String> = relation_targets
            .iter()
            .map(|(target, _)| quote!(#target).to_string())
            .collect();
        seen.sort();
        seen.dedup();
        seen.len()
    };
    let related = relation_targets.iter().filter_map(|(path, variant)| {
        let target = from_parent(path);
        let key = quote!(#target).to_string();
        if related_targets.contains(&key) {
            return None;
        }
        related_targets.push(key);
        // Spanned at the target, so that a target that is not a model is reported once, there.
        let target_db = paths.at(target.span()).db();
        let entity = if distinct_targets > 1 {
            // Two impls of `Related<<X as Model>::Entity>` are ones rustc cannot tell apart
            // (E0119: a projection may be any type): with two or more targets, each is named
            // by the module `#[chopin::model]` puts beside its struct (`Post` -> `post`).
            let module = from_parent(&entity_module(path));
            quote_spanned!(path.span()=> #module::Entity)
        } else {
            quote_spanned!(target.span()=> <#target as #target_db::Model>::Entity)
        };
        Some(quote! {
            impl #sea_orm::Related<#entity> for Entity {
                fn to() -> #sea_orm::RelationDef {
                    #sea_orm::RelationTrait::def(&Relation::#variant)
                }
            }
        })
    });
    let arms: Vec<TokenStream> = defs.chain(many_defs).collect();
    let relation_match = if arms.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match *self { #(#arms),* })
    };

    // What the API shows: every field but the private ones.
    let shown: Vec<&FieldDef> = def.fields.iter().filter(|f| !f.private()).collect();
    let field_idents: Vec<&syn::Ident> = shown.iter().map(|f| &f.ident).collect();
    let struct_doc = doc_text(&item.attrs);

    // The API schemas.
    let read_schema = object_schema(&paths, &struct_doc, shown.iter().copied(), |f| {
        (!f.nullable, false)
    });
    let inputs: Vec<&FieldDef> = def.fields.iter().filter(|f| f.input()).collect();
    let new_doc = format!("What a client sends to create a `{name}`.");
    let new_schema = object_schema(&paths, &new_doc, inputs.iter().copied(), |f| {
        (!f.nullable && f.keys.default.is_none(), true)
    });
    let patch_doc = format!("What a client sends to change a `{name}`: the fields it changes.");
    let patch_schema = object_schema(&paths, &patch_doc, inputs.iter().copied(), |_| {
        (false, true)
    });
    let new_ident_name = new_ident.to_string();
    let patch_ident_name = patch_ident.to_string();
    let read_impls = schema_impls(&paths, ident, &name, &read_schema);
    let new_impls = schema_impls(&paths, &new_ident, &new_ident_name, &new_schema);
    let patch_impls = schema_impls(&paths, &patch_ident, &patch_ident_name, &patch_schema);

    // A field of `NewX` (`patch: false`) or `XPatch`. Integers go through `whole`, which takes
    // `7.0` as JSON Schema's `integer` does; a field that may be left out but not be `null`
    // through `present`.
    let input_field = |f: &FieldDef, patch: bool| {
        let (fi, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let int = f.scalar == Scalar::Int;
        if f.nullable {
            let with = int.then(|| {
                let path = db_fn("whole_or_null");
                quote!(, deserialize_with = #path)
            });
            quote!(#(#docs)* #[serde(default #with)] pub #fi: #ty)
        } else if patch || f.keys.default.is_some() {
            let path = if int {
                db_fn("present_whole")
            } else {
                present.clone()
            };
            quote!(#(#docs)* #[serde(default, deserialize_with = #path)] pub #fi: ::core::option::Option<#ty>)
        } else if int {
            let path = db_fn("whole");
            quote!(#(#docs)* #[serde(deserialize_with = #path)] pub #fi: #ty)
        } else {
            quote!(#(#docs)* pub #fi: #ty)
        }
    };
    let new_fields: Vec<TokenStream> = inputs.iter().map(|f| input_field(f, false)).collect();
    let patch_fields: Vec<TokenStream> = inputs.iter().map(|f| input_field(f, true)).collect();
    let new_checks = inputs.iter().map(|f| {
        let fi = &f.ident;
        let optional = f.nullable || f.keys.default.is_some();
        let value = if optional {
            quote!(&self.#fi)
        } else {
            quote!(::core::option::Option::Some(&self.#fi))
        };
        checks(&paths, f, &value)
    });
    let patch_checks = inputs.iter().map(|f| {
        let fi = &f.ident;
        checks(&paths, f, &quote!(&self.#fi))
    });
    let set = quote!(#sea_orm::ActiveValue::Set);
    let now = quote!(#db::chrono::Utc::now());
    let new_sets = def.fields.iter().filter_map(|f| {
        let fi = &f.ident;
        if f.keys.created_at || f.keys.updated_at {
            Some(quote!(#fi: #set(now)))
        } else if f.owner() {
            Some(quote!(#fi: #set(owner)))
        } else if f.keys.primary_key || f.private() {
            None
        } else if f.keys.default.is_some() && !f.nullable {
            Some(quote!(#fi: match self.#fi {
                ::core::option::Option::Some(v) => #set(v),
                ::core::option::Option::None => #sea_orm::ActiveValue::NotSet,
            }))
        } else {
            Some(quote!(#fi: #set(self.#fi)))
        }
    });
    let patch_sets = def.fields.iter().filter_map(|f| {
        let fi = &f.ident;
        if f.keys.updated_at {
            Some(quote!(active.#fi = #set(#now);))
        } else if !f.input() {
            None
        } else if f.nullable {
            Some(quote!(if self.#fi.is_some() { active.#fi = #set(self.#fi); }))
        } else {
            Some(
                quote!(if let ::core::option::Option::Some(v) = self.#fi { active.#fi = #set(v); }),
            )
        }
    });
    let uses_now = def
        .fields
        .iter()
        .any(|f| f.keys.created_at || f.keys.updated_at);
    let now_binding = uses_now.then(|| quote!(let now = #now;));
    let into_active_doc = into_active_doc(def);
    // An owned model's row is made for a user, who becomes its owner: the method takes them,
    // and the one without a user does not exist, so that no code can leave the owner to chance.
    let into_active = match def.owner() {
        None => quote! {
            /// The row to insert, once valid; the database assigns the key.
            #(#[doc = #into_active_doc])*
            ///
            /// # Errors
            /// `422 invalid`, as [`Self::validate`].
            pub fn into_active_model(self) -> ::core::result::Result<#entity::ActiveModel, #chopin_error> {
                self.validate()?;
                #now_binding
                ::core::result::Result::Ok(#entity::ActiveModel {
                    #(#new_sets,)*
                    ..::core::default::Default::default()
                })
            }
        },
        Some(owner) => {
            let (owner_ident, owner_ty) = (&owner.ident, &owner.inner);
            let doc = format!(
                " The row to insert for `user`, once valid: `{owner_ident}` is the user's id; the database assigns the key."
            );
            quote! {
                #[doc = #doc]
                #(#[doc = #into_active_doc])*
                ///
                /// # Errors
                /// `422 invalid`, as [`Self::validate`]; `500 internal` when the user's id is not
                /// a number (the auth provider's ids are not the owner column's).
                pub fn into_active_model_for(
                    self,
                    user: &#db::AuthUser,
                ) -> ::core::result::Result<#entity::ActiveModel, #chopin_error> {
                    self.validate()?;
                    let owner: #owner_ty = #db::owner_id(user)?;
                    #now_binding
                    ::core::result::Result::Ok(#entity::ActiveModel {
                        #(#new_sets,)*
                        ..::core::default::Default::default()
                    })
                }
            }
        }
    };
    let owned_impl = def.owner().map(|owner| {
        let (owner_ty, column) = (
            &owner.inner,
            format_ident!("{}", camel(&owner.ident.to_string())),
        );
        let noun = snake_case(&name).replace('_', " ");
        quote! {
            impl #db::Owned for #entity::Entity {
                type OwnerId = #owner_ty;
                const NOUN: &'static str = #noun;
                fn owner_column() -> #entity::Column {
                    #entity::Column::#column
                }
            }
        }
    });

    quote! {
        #[derive(
            ::core::clone::Clone,
            ::core::fmt::Debug,
            ::core::cmp::PartialEq,
            #serde::Serialize,
            #serde::Deserialize,
        )]
        #[serde(crate = #serde_crate)]
        #item

        // The rest needs the database battery: without it, one error at the attribute says so.
        #with_db! {

        #[doc = concat!("The SeaORM entity of [`", #name, "`]: its table `", #table, "`.")]
        #[allow(missing_docs, clippy::all)]
        #vis mod #entity {
            use #sea_orm;
            // SeaORM's derives name its traits and derives unqualified.
            #[allow(unused_imports)]
            use #sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, sea_orm::DeriveEntityModel)]
            #[sea_orm(table_name = #table)]
            pub struct Model {
                #(#model_fields),*
            }

            #[derive(Copy, Clone, Debug, sea_orm::EnumIter)]
            pub enum Relation {
                #(#all_variants),*
            }

            impl sea_orm::RelationTrait for Relation {
                fn def(&self) -> sea_orm::RelationDef {
                    #relation_match
                }
            }

            #(#related)*

            impl sea_orm::ActiveModelBehavior for ActiveModel {}
        }

        impl ::core::convert::From<#entity::Model> for #ident {
            fn from(m: #entity::Model) -> #ident {
                #ident { #(#field_idents: m.#field_idents),* }
            }
        }

        impl #db::Model for #ident {
            type Entity = #entity::Entity;
            const NAME: &'static str = #name;
            const TABLE: &'static str = #table;
            #renamed_from
            #renamed_columns
            fn primary_key() -> #entity::Column {
                #entity::Column::#pk_column
            }
        }

        #read_impls

        #owned_impl

        #[doc = #new_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq, #serde::Deserialize)]
        #[serde(crate = #serde_crate, deny_unknown_fields)]
        #vis struct #new_ident {
            #(#new_fields),*
        }

        impl #new_ident {
            /// Every field that breaks its model's rules, as one `422`.
            ///
            /// # Errors
            /// `422 invalid`, listing each failing field.
            pub fn validate(&self) -> ::core::result::Result<(), #chopin_error> {
                let mut errors = ::std::vec::Vec::new();
                #(#new_checks)*
                #db::invalid_if_any(errors)
            }

            #into_active
        }

        #new_impls

        #[doc = #patch_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::default::Default, ::core::cmp::PartialEq, #serde::Deserialize)]
        #[serde(crate = #serde_crate, deny_unknown_fields)]
        #vis struct #patch_ident {
            #(#patch_fields),*
        }

        impl #patch_ident {
            /// Every field that breaks its model's rules, as one `422`.
            ///
            /// # Errors
            /// `422 invalid`, listing each failing field.
            pub fn validate(&self) -> ::core::result::Result<(), #chopin_error> {
                let mut errors = ::std::vec::Vec::new();
                #(#patch_checks)*
                #db::invalid_if_any(errors)
            }

            /// `row` with the fields this patch sets, to update, once valid.
            ///
            /// # Errors
            /// `422 invalid`, as [`Self::validate`].
            pub fn apply(self, row: #entity::Model) -> ::core::result::Result<#entity::ActiveModel, #chopin_error> {
                self.validate()?;
                let mut active: #entity::ActiveModel = ::core::convert::Into::into(row);
                #(#patch_sets)*
                ::core::result::Result::Ok(active)
            }
        }

        #patch_impls
        }
    }
}

/// The struct as written without its private fields: the read schema, which so cannot carry
/// them, nor show them through serde or `Debug`.
fn read_struct(def: &ModelDef) -> syn::ItemStruct {
    let mut item = def.item.clone();
    if let syn::Fields::Named(named) = &mut item.fields {
        named.named = std::mem::take(&mut named.named)
            .into_iter()
            .filter(|field| {
                !def.fields
                    .iter()
                    .any(|f| f.private() && field.ident.as_ref() == Some(&f.ident))
            })
            .collect();
    }
    item
}

/// The lines that `NewX::into_active_model`'s doc adds when the model has private fields: what
/// becomes of them.
fn into_active_doc(def: &ModelDef) -> Vec<String> {
    let mut doc = Vec::new();
    // A private owner is set from the user, as any owner is.
    let private: Vec<&FieldDef> = def
        .fields
        .iter()
        .filter(|f| f.private() && !f.owner())
        .collect();
    if private.is_empty() {
        return doc;
    }
    let names = |fields: &[&FieldDef]| {
        fields
            .iter()
            .map(|f| format!("`{}`", f.ident))
            .collect::<Vec<_>>()
            .join(", ")
    };
    doc.push(String::new());
    doc.push(format!(
        " The private fields ({}) are left `NotSet`: the column's default, or `NULL`.",
        names(&private)
    ));
    let required: Vec<&FieldDef> = private.into_iter().filter(|f| f.required()).collect();
    if !required.is_empty() {
        doc.push(format!(
            " Set {} on the returned row before inserting it: a `NOT NULL` column without a default, left unset, fails the insert.",
            names(&required)
        ));
    }
    doc
}

/// A field's type in the entity, spelled so that it resolves inside the entity module.
fn entity_type(f: &FieldDef) -> TokenStream {
    let inner = match f.scalar {
        Scalar::Timestamp => quote!(sea_orm::prelude::DateTimeUtc),
        Scalar::Date => quote!(sea_orm::prelude::Date),
        Scalar::Text => quote!(::std::string::String),
        Scalar::Int | Scalar::Float | Scalar::Bool => {
            let inner = &f.inner;
            quote!(#inner)
        }
    };
    // SeaORM recognises a nullable column by the bare word `Option`.
    if f.nullable {
        quote!(Option<#inner>)
    } else {
        inner
    }
}

/// A path written beside the model, as the entity module (its child) reaches it: one more
/// `super` unless it starts at the crate's root.
/// The path of the module `#[chopin::model]` generates beside the struct `path` names: its last
/// segment in snake case (`crate::blog::Post` -> `crate::blog::post`).
fn entity_module(path: &syn::Path) -> syn::Path {
    let mut module = path.clone();
    if let Some(last) = module.segments.last_mut() {
        last.ident = syn::Ident::new(&snake_case(&last.ident.to_string()), last.ident.span());
        last.arguments = syn::PathArguments::None;
    }
    module
}

fn from_parent(path: &syn::Path) -> TokenStream {
    let first = path.segments.first().map(|s| s.ident.to_string());
    if path.leading_colon.is_some() || first.as_deref() == Some("crate") {
        return quote!(#path);
    }
    if first.as_deref() == Some("self") {
        let rest = path.segments.iter().skip(1);
        return quote_spanned!(path.span()=> super #(::#rest)*);
    }
    quote_spanned!(path.span()=> super::#path)
}

/// The checks of one field's value (an `Option<&T>` expression), pushing into `errors`.
fn checks(paths: &Paths, f: &FieldDef, value: &TokenStream) -> TokenStream {
    let db = paths.db();
    let k = &f.keys;
    let name = f.ident.to_string();
    let inner = &f.inner;
    let mut out = Vec::new();
    if f.scalar == Scalar::Text {
        out.push(quote!(#db::check_text(&mut errors, #name, v);));
    }
    if k.max_len.is_some() || k.min_len.is_some() {
        let min = option_u64(k.min_len);
        let max = option_u64(k.max_len);
        out.push(quote!(#db::check_len(&mut errors, #name, v, #min, #max);));
    }
    if k.email {
        out.push(quote!(#db::check_email(&mut errors, #name, v);));
    }
    if k.range.0.is_some() || k.range.1.is_some() {
        let min = option_lit(k.range.0.as_ref());
        let max = option_lit(k.range.1.as_ref());
        out.push(quote!(#db::check_range::<#inner>(&mut errors, #name, *v, #min, #max);));
    }
    if out.is_empty() {
        return TokenStream::new();
    }
    quote! {
        if let ::core::option::Option::Some(v) = #value {
            #(#out)*
        }
    }
}

fn option_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => quote!(::core::option::Option::Some(#n as usize)),
        None => quote!(::core::option::Option::None),
    }
}

fn option_lit(v: Option<&Lit>) -> TokenStream {
    match v {
        Some(l) => quote!(::core::option::Option::Some(#l)),
        None => quote!(::core::option::Option::None),
    }
}

/// `ty`'s API schema under `name`: composed as utoipa's derive composes one (so `Vec<T>` and
/// `Option<T>` are described), and recorded by name, so that a `Vec` of it is an array of
/// references.
fn schema_impls(paths: &Paths, ty: &syn::Ident, name: &str, schema: &TokenStream) -> TokenStream {
    let (db, openapi) = (paths.db(), paths.openapi());
    let utoipa_openapi = quote!(#openapi::utoipa::openapi);
    quote! {
        impl #openapi::utoipa::__dev::ComposeSchema for #ty {
            fn compose(
                _: ::std::vec::Vec<#utoipa_openapi::RefOr<#utoipa_openapi::schema::Schema>>,
            ) -> #utoipa_openapi::RefOr<#utoipa_openapi::schema::Schema> {
                #schema
            }
        }

        impl #openapi::ToSchema for #ty {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }

            fn schemas(
                schemas: &mut ::std::vec::Vec<(
                    ::std::string::String,
                    #utoipa_openapi::RefOr<#utoipa_openapi::schema::Schema>,
                )>,
            ) {
                #db::record_itself::<Self>(schemas);
            }
        }
    }
}

/// An object schema over `fields`; `rules(f)` says whether a field is required and whether the
/// object is closed (a client's input, which `deny_unknown_fields` rejects with more fields).
fn object_schema<'a>(
    paths: &Paths,
    doc: &str,
    fields: impl Iterator<Item = &'a FieldDef>,
    rules: impl Fn(&FieldDef) -> (bool, bool),
) -> TokenStream {
    let (db, openapi, serde_json) = (paths.db(), paths.openapi(), paths.serde_json());
    let utoipa_openapi = quote!(#openapi::utoipa::openapi);
    let mut props = Vec::new();
    let mut any_closed = false;
    for f in fields {
        let name = f.ident.to_string();
        let inner = &f.inner;
        let base = match f.scalar {
            Scalar::Int => quote! {
                #openapi::integer_schema(
                    <#inner>::MIN != 0, <#inner>::BITS, <#inner>::MIN as i128, <#inner>::MAX as u128,
                )
            },
            Scalar::Timestamp => quote!(#db::timestamp_schema()),
            Scalar::Date => quote!(#db::date_schema()),
            _ => quote!(<#inner as #openapi::PartialSchema>::schema()),
        };
        let field_doc = doc_text(&f.docs);
        let k = &f.keys;
        let mut set = Vec::new();
        if !field_doc.is_empty() {
            set.push(quote!(doc: #field_doc));
        }
        if f.nullable {
            set.push(quote!(nullable: true));
        }
        if f.scalar == Scalar::Text {
            set.push(quote!(text: true));
        }
        if let Some(n) = k.min_len {
            set.push(quote!(min_len: ::core::option::Option::Some(#n as usize)));
        }
        if let Some(n) = k.max_len {
            set.push(quote!(max_len: ::core::option::Option::Some(#n as usize)));
        }
        if k.email {
            set.push(quote!(email: true));
        }
        if let Some(l) = &k.range.0 {
            set.push(quote!(minimum: ::core::option::Option::Some((#l) as f64)));
        }
        if let Some(l) = &k.range.1 {
            set.push(quote!(maximum: ::core::option::Option::Some((#l) as f64)));
        }
        if let Some(l) = &k.default {
            set.push(quote!(default: ::core::option::Option::Some(#serde_json::json!(#l))));
        }
        let (required, closed) = rules(f);
        any_closed |= closed;
        let required = required.then(|| quote!(.required(#name)));
        props.push(quote! {
            .property(#name, #db::field_schema(#base, #db::FieldRules {
                #(#set,)*
                ..::core::default::Default::default()
            }))
            #required
        });
    }
    let closed = any_closed.then(|| {
        quote!(.additional_properties(::core::option::Option::Some(
            #utoipa_openapi::schema::AdditionalProperties::<#utoipa_openapi::schema::Schema>::FreeForm(false),
        )))
    });
    quote! {
        #utoipa_openapi::schema::ObjectBuilder::new()
            .description(::core::option::Option::Some(#doc))
            #(#props)*
            #closed
            .into()
    }
}

/// An item's doc comment as one string.
fn doc_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(crate::symbol::DOC))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}
