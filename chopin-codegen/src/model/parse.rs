//! `#[chopin::model(table = "posts")]` on a struct, and `#[model(..)]` on its fields, into a
//! [`ModelDef`], reporting every mistake at its token.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Fields, ItemStruct, Lit, LitStr, Meta, Token, Type};

use crate::attr::{self, string_value};
use crate::diag::{Ctxt, expected_one_of};

/// The options of `#[chopin::model(..)]`.
pub const OPTIONS: &[&str] = &["table", "has_many", "crate"];

/// The keys of `#[model(..)]` on a field.
pub const FIELD_KEYS: &[&str] = &[
    "primary_key",
    "max_len",
    "min_len",
    "email",
    "range",
    "belongs_to",
    "on_delete",
    "default",
    "unique",
    "indexed",
    "created_at",
    "updated_at",
    "private",
];

/// What `on_delete` accepts.
pub const ON_DELETE: &[&str] = &["cascade", "restrict", "set_null", "no_action"];

/// The column types a field can have, as written, for messages.
pub const SUPPORTED: &str = "`i16`, `i32`, `i64`, `f32`, `f64`, `bool`, `String`, `DateTimeUtc`, `Date`, or an `Option` of one";

/// A field's Rust type, as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `i16`, `i32`, `i64`.
    Int,
    /// `f32`, `f64`.
    Float,
    /// `bool`.
    Bool,
    /// `String`.
    Text,
    /// `DateTimeUtc` (`chrono::DateTime<Utc>`).
    Timestamp,
    /// `Date` (`chrono::NaiveDate`).
    Date,
}

/// One field of a model.
pub struct FieldDef {
    /// The field's name.
    pub ident: syn::Ident,
    /// Its type as written.
    pub ty: Type,
    /// Its type without `Option`.
    pub inner: Type,
    /// What kind of column it is.
    pub scalar: Scalar,
    /// Whether it is an `Option`.
    pub nullable: bool,
    /// Its doc comment, as `#[doc]` attributes.
    pub docs: Vec<Attribute>,
    /// Its other attributes, kept on the read schema.
    pub keys: FieldKeys,
}

/// The keys of `#[model(..)]` on one field.
#[derive(Default)]
pub struct FieldKeys {
    /// `primary_key`.
    pub primary_key: bool,
    /// `max_len = N`.
    pub max_len: Option<u64>,
    /// `min_len = N`.
    pub min_len: Option<u64>,
    /// `email`.
    pub email: bool,
    /// `range(min = A, max = B)`.
    pub range: (Option<Lit>, Option<Lit>),
    /// `belongs_to = Model`.
    pub belongs_to: Option<syn::Path>,
    /// `on_delete = "cascade"`.
    pub on_delete: Option<LitStr>,
    /// `default = literal`.
    pub default: Option<Lit>,
    /// `unique`.
    pub unique: bool,
    /// `indexed`.
    pub indexed: bool,
    /// `created_at`.
    pub created_at: bool,
    /// `updated_at`.
    pub updated_at: bool,
    /// `private`, as written (for errors spanned at it): a column of the entity and its table
    /// that the API never sees. It is left out of the read schema (the struct itself, so neither
    /// serde nor `Debug` can show it), of its OpenAPI schema, of `NewX` and of `XPatch`.
    /// `NewX::into_active_model` leaves it `NotSet` (its default, or `NULL`), and code sets it on
    /// the `ActiveModel`: a required one left unset fails the insert on the column's `NOT NULL`.
    pub private: Option<syn::Path>,
}

impl FieldDef {
    /// Whether the database or the model sets it, so that a client never sends it.
    pub fn generated(&self) -> bool {
        self.keys.primary_key || self.keys.created_at || self.keys.updated_at
    }

    /// Whether it is a column the API never sees (`private`).
    pub fn private(&self) -> bool {
        self.keys.private.is_some()
    }

    /// Whether a client sends it, in `NewX` and `XPatch`.
    pub fn input(&self) -> bool {
        !self.generated() && !self.private()
    }

    /// Whether an insert needs a value for it: not an `Option`, no `default`, not generated.
    pub fn required(&self) -> bool {
        !self.nullable && self.keys.default.is_none() && !self.generated()
    }
}

/// A model, checked.
pub struct ModelDef {
    /// The struct as written, without the `#[model]` attributes.
    pub item: ItemStruct,
    /// `table = "…"`.
    pub table: String,
    /// `crate = "…"`.
    pub krate: Option<syn::Path>,
    /// `has_many(Comment, ..)`: the models that belong to this one.
    pub has_many: Vec<syn::Path>,
    /// Its fields.
    pub fields: Vec<FieldDef>,
}

impl ModelDef {
    /// The primary key (a valid model has exactly one).
    pub fn primary_key(&self) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.keys.primary_key)
    }
}

/// Parses and checks `#[chopin::model(args)] item`.
pub fn parse(cx: &Ctxt, args: TokenStream, item: TokenStream) -> Option<ModelDef> {
    let (table, krate, has_many) = options(cx, args);
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
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "a model has no type or lifetime parameters");
    }
    let Fields::Named(named) = &mut item.fields else {
        cx.error_spanned_by(
            &item.ident,
            "a model's fields have names: `struct Post { id: i64, .. }`",
        );
        return None;
    };
    let mut fields = Vec::new();
    for field in &mut named.named {
        let mut keys = FieldKeys::default();
        field.attrs.retain(|a| {
            if a.path().is_ident("model") {
                field_keys(cx, a, &mut keys);
                false
            } else {
                true
            }
        });
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let (inner, nullable) = match option_of(&field.ty) {
            Some(inner) => (inner.clone(), true),
            None => (field.ty.clone(), false),
        };
        let Some(scalar) = scalar(&inner) else {
            cx.error_spanned_by(
                &field.ty,
                format!(
                    "unsupported model field type `{}`: a model field is {SUPPORTED}",
                    crate::module::expand::pretty(&field.ty)
                ),
            );
            continue;
        };
        let docs = field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        let def = FieldDef {
            ident,
            ty: field.ty.clone(),
            inner,
            scalar,
            nullable,
            docs,
            keys,
        };
        check_field(cx, &def);
        fields.push(def);
    }
    let table = match table {
        Some(t) => t,
        None => crate::module::expand::snake_case(&item.ident.to_string()) + "s",
    };
    let keys: Vec<&FieldDef> = fields.iter().filter(|f| f.keys.primary_key).collect();
    match keys.as_slice() {
        [] => cx.error_spanned_by(
            &item.ident,
            format!(
                "model `{}` has no primary key: mark its id `#[model(primary_key)]`",
                item.ident
            ),
        ),
        [_] => {}
        [_, second, ..] => cx.error_spanned_by(
            &second.ident,
            "a model has one primary key: this is the second `#[model(primary_key)]`",
        ),
    }
    Some(ModelDef {
        item,
        table,
        krate,
        has_many,
        fields,
    })
}

type Options = (Option<String>, Option<syn::Path>, Vec<syn::Path>);

fn options(cx: &Ctxt, args: TokenStream) -> Options {
    let mut table = None;
    let mut krate = None;
    let mut has_many = Vec::new();
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(options) => options,
        Err(e) => {
            cx.syn_error(e);
            return (None, None, has_many);
        }
    };
    for option in &options {
        match attr::key(option).as_str() {
            "table" => {
                if let Some(t) = string_value(cx, option) {
                    let value = t.value();
                    let ok = !value.is_empty()
                        && value
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                    if ok {
                        table = Some(value);
                    } else {
                        cx.error_spanned_by(
                            &t,
                            "a table name is lowercase letters, digits and `_`, as in `posts`",
                        );
                    }
                }
            }
            "has_many" => match option {
                Meta::List(list) => match list
                    .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                {
                    Ok(models) => has_many.extend(models),
                    Err(e) => cx.syn_error(e),
                },
                other => cx.error_spanned_by(other, "write `has_many(Model, ..)`"),
            },
            "crate" => krate = attr::crate_path(cx, option),
            other => cx.error_spanned_by(
                option.path(),
                format!(
                    "unknown model option `{other}`: {}",
                    expected_one_of(other, OPTIONS)
                ),
            ),
        }
    }
    (table, krate, has_many)
}

/// Reads one `#[model(..)]` attribute into `keys`.
fn field_keys(cx: &Ctxt, a: &Attribute, keys: &mut FieldKeys) {
    let Meta::List(list) = &a.meta else {
        cx.error_spanned_by(
            a,
            "write `#[model(key, ..)]`, as in `#[model(max_len = 200)]`",
        );
        return;
    };
    let metas = match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
        Ok(m) => m,
        Err(e) => {
            cx.syn_error(e);
            return;
        }
    };
    for meta in &metas {
        let key = attr::key(meta);
        let flag = |cx: &Ctxt, set: &mut bool| match meta {
            Meta::Path(_) => *set = true,
            other => cx.error_spanned_by(other, format!("`{key}` takes no value")),
        };
        match key.as_str() {
            "primary_key" => flag(cx, &mut keys.primary_key),
            "email" => flag(cx, &mut keys.email),
            "unique" => flag(cx, &mut keys.unique),
            "indexed" => flag(cx, &mut keys.indexed),
            "created_at" => flag(cx, &mut keys.created_at),
            "updated_at" => flag(cx, &mut keys.updated_at),
            "private" => match meta {
                Meta::Path(path) => keys.private = Some(path.clone()),
                other => cx.error_spanned_by(other, "`private` takes no value"),
            },
            "max_len" => keys.max_len = count(cx, meta),
            "min_len" => keys.min_len = count(cx, meta),
            "default" => keys.default = literal(cx, meta),
            "on_delete" => {
                if let Some(s) = string_value(cx, meta) {
                    if ON_DELETE.contains(&s.value().as_str()) {
                        keys.on_delete = Some(s);
                    } else {
                        cx.error_spanned_by(
                            &s,
                            format!(
                                "unknown `on_delete` action `{}`: {}",
                                s.value(),
                                expected_one_of(&s.value(), ON_DELETE)
                            ),
                        );
                    }
                }
            }
            "belongs_to" => match meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Path(p) => keys.belongs_to = Some(p.path.clone()),
                    other => cx.error_spanned_by(
                        other,
                        "write `belongs_to = Model`, naming the model's struct",
                    ),
                },
                other => cx.error_spanned_by(
                    other,
                    "write `belongs_to = Model`, naming the model's struct",
                ),
            },
            "range" => match meta {
                Meta::List(list) => {
                    match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
                        Ok(bounds) => {
                            for b in &bounds {
                                match attr::key(b).as_str() {
                                    "min" => keys.range.0 = literal(cx, b),
                                    "max" => keys.range.1 = literal(cx, b),
                                    other => cx.error_spanned_by(
                                        b.path(),
                                        format!("unknown bound `{other}`: expected `min` or `max`"),
                                    ),
                                }
                            }
                        }
                        Err(e) => cx.syn_error(e),
                    }
                }
                other => cx.error_spanned_by(other, "write `range(min = 1, max = 10)`"),
            },
            other => cx.error_spanned_by(
                meta.path(),
                format!(
                    "unknown model field key `{other}`: {}",
                    expected_one_of(other, FIELD_KEYS)
                ),
            ),
        }
    }
}

fn literal(cx: &Ctxt, meta: &Meta) -> Option<Lit> {
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit { lit, .. }) => Some(lit.clone()),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(i), ..
                }) => Some(Lit::Int(syn::LitInt::new(
                    &format!("-{}", i.base10_digits()),
                    i.span(),
                ))),
                Expr::Lit(ExprLit {
                    lit: Lit::Float(f), ..
                }) => Some(Lit::Float(syn::LitFloat::new(
                    &format!("-{}", f.base10_digits()),
                    f.span(),
                ))),
                other => {
                    cx.error_spanned_by(other, "expected a literal");
                    None
                }
            },
            other => {
                cx.error_spanned_by(other, "expected a literal, as in `default = false`");
                None
            }
        },
        other => {
            cx.error_spanned_by(other, format!("write `{} = …`", attr::key(other)));
            None
        }
    }
}

fn count(cx: &Ctxt, meta: &Meta) -> Option<u64> {
    match literal(cx, meta)? {
        Lit::Int(i) => match i.base10_parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                cx.error_spanned_by(&i, "expected a length from 1 up");
                None
            }
        },
        other => {
            cx.error_spanned_by(&other, "expected a length, as in `max_len = 200`");
            None
        }
    }
}

/// The rules between a field's type and its keys.
fn check_field(cx: &Ctxt, f: &FieldDef) {
    let k = &f.keys;
    let text = f.scalar == Scalar::Text;
    let number = matches!(f.scalar, Scalar::Int | Scalar::Float);
    if (k.max_len.is_some() || k.min_len.is_some() || k.email) && !text {
        cx.error_spanned_by(
            &f.ty,
            "`max_len`, `min_len` and `email` are for `String` fields",
        );
    }
    if (k.range.0.is_some() || k.range.1.is_some()) && !number {
        cx.error_spanned_by(&f.ty, "`range` is for number fields");
    }
    if k.primary_key && (f.scalar != Scalar::Int || f.nullable) {
        cx.error_spanned_by(
            &f.ty,
            "a primary key is an `i32` or `i64`, which the database assigns",
        );
    }
    if (k.created_at || k.updated_at) && (f.scalar != Scalar::Timestamp || f.nullable) {
        cx.error_spanned_by(
            &f.ty,
            "`created_at` and `updated_at` are for `DateTimeUtc` fields",
        );
    }
    if let (Some(on_delete), None) = (&k.on_delete, &k.belongs_to) {
        cx.error_spanned_by(on_delete, "`on_delete` goes with `belongs_to`");
    }
    if k.on_delete
        .as_ref()
        .is_some_and(|s| s.value() == "set_null")
        && !f.nullable
    {
        cx.error_spanned_by(&f.ty, "`on_delete = \"set_null\"` needs an `Option` field");
    }
    if k.belongs_to.is_some() && f.scalar != Scalar::Int {
        cx.error_spanned_by(
            &f.ty,
            "a `belongs_to` field holds the other model's `i32` or `i64` id",
        );
    }
    if let Some(private) = &k.private {
        check_private(cx, private, k);
    }
}

/// What `private` does not go with: the keys of a column the API shows, and the checks of what a
/// client sends (`max_len` stays: it also sizes the column).
fn check_private(cx: &Ctxt, private: &syn::Path, k: &FieldKeys) {
    let shown = [
        (
            k.primary_key,
            "primary_key",
            "the API names rows by their primary key",
        ),
        (
            k.created_at,
            "created_at",
            "the model sets it for the API to show",
        ),
        (
            k.updated_at,
            "updated_at",
            "the model sets it for the API to show",
        ),
    ];
    let input = [
        (k.email, "email"),
        (k.min_len.is_some(), "min_len"),
        (k.range.0.is_some() || k.range.1.is_some(), "range"),
    ];
    for (set, key, why) in shown {
        if set {
            cx.error_spanned_by(
                private,
                format!("`private` does not go with `{key}`: {why}"),
            );
        }
    }
    for (set, key) in input {
        if set {
            cx.error_spanned_by(
                private,
                format!(
                    "`private` does not go with `{key}`: `{key}` checks what a client sends, and no client sends a private field"
                ),
            );
        }
    }
}

/// `T` of `Option<T>`.
pub fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The column kind of a (non-`Option`) type, by its last path segment.
fn scalar(ty: &Type) -> Option<Scalar> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if !matches!(last.arguments, syn::PathArguments::None) {
        return None;
    }
    Some(match last.ident.to_string().as_str() {
        "i16" | "i32" | "i64" => Scalar::Int,
        "f32" | "f64" => Scalar::Float,
        "bool" => Scalar::Bool,
        "String" => Scalar::Text,
        "DateTimeUtc" => Scalar::Timestamp,
        "Date" => Scalar::Date,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::diag::errors_of;

    #[test]
    fn private_does_not_go_with_the_keys_of_a_shown_column_or_of_client_input() {
        let errors = errors_of(|cx| {
            parse(
                cx,
                quote!(),
                quote! {
                    pub struct User {
                        #[model(primary_key, private)]
                        pub id: i64,
                        #[model(private, email, min_len = 8, max_len = 64)]
                        pub secret: String,
                        #[model(private, range(min = 0))]
                        pub step: Option<i64>,
                        #[model(private, created_at)]
                        pub at: DateTimeUtc,
                        #[model(private = true)]
                        pub other: Option<String>,
                    }
                },
            )
        });
        assert_eq!(
            errors,
            [
                "`private` does not go with `primary_key`: the API names rows by their primary key",
                "`private` does not go with `email`: `email` checks what a client sends, and no client sends a private field",
                "`private` does not go with `min_len`: `min_len` checks what a client sends, and no client sends a private field",
                "`private` does not go with `range`: `range` checks what a client sends, and no client sends a private field",
                "`private` does not go with `created_at`: the model sets it for the API to show",
                "`private` takes no value",
            ]
        );
    }

    #[test]
    fn a_private_column_keeps_its_column_keys() {
        let errors = errors_of(|cx| {
            parse(
                cx,
                quote!(),
                quote! {
                    pub struct Token {
                        #[model(primary_key)]
                        pub id: i64,
                        #[model(private, unique, indexed, max_len = 64)]
                        pub hash: String,
                        #[model(private, default = "user")]
                        pub role: String,
                        #[model(private, belongs_to = User, on_delete = "set_null")]
                        pub owner_id: Option<i64>,
                    }
                },
            )
        });
        assert!(errors.is_empty(), "{errors:?}");
    }
}
