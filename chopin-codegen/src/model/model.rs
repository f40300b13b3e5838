//! A model as the expansion uses it: a [`ModelDef`] whose table name holds, whose fields each
//! have a column type ([`Scalar`]) and checked keys ([`FieldKeys`]), every part keeping its span.
//! Each mistake is recorded and the rest still read; the rules between keys are the check
//! stage's ([`super::check`]).

use proc_macro2::Span;
use syn::{Attribute, ItemStruct, Lit, LitStr, Type};

use super::parse::{FieldAttr, FieldOptions, ModelAttr};
use crate::attr::{Literal, Read};
use crate::diag::{Ctxt, expected_one_of};
use crate::symbol::ON_DELETE_ACTIONS;

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
    /// Its `#[model(..)]` keys.
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
    /// Where `private` is written (for errors spanned at it): a column of the entity and its
    /// table that the API never sees. It is left out of the read schema (the struct itself, so
    /// neither serde nor `Debug` can show it), of its OpenAPI schema, of `NewX` and of `XPatch`.
    /// `NewX::into_active_model` leaves it `NotSet` (its default, or `NULL`), and code sets it on
    /// the `ActiveModel`: a required one left unset fails the insert on the column's `NOT NULL`.
    pub private: Option<Span>,
    /// Where `owner` is written: the column holds the id of the user the row belongs to. It is
    /// in the read schema but not in `NewX` nor `XPatch` (a client neither chooses nor changes
    /// it): `NewX::into_active_model_for(&user)` sets it, and the entity implements `Owned`.
    pub owner: Option<Span>,
    /// `renamed_from = "…"`: the column's former name.
    pub renamed_from: Option<LitStr>,
}

impl FieldKeys {
    /// The keys of `options` whose values hold, each mistake recorded in `cx`.
    fn from_options(cx: &Ctxt, o: FieldOptions) -> FieldKeys {
        let flag = |read: Read<darling::util::Flag>| read.take(cx).map(|f| f.span());
        FieldKeys {
            primary_key: flag(o.primary_key).is_some(),
            max_len: count(cx, o.max_len),
            min_len: count(cx, o.min_len),
            email: flag(o.email).is_some(),
            range: match o.range.take(cx) {
                Some(r) => (r.min.take(cx).map(|l| l.0), r.max.take(cx).map(|l| l.0)),
                None => (None, None),
            },
            belongs_to: o.belongs_to.take(cx),
            on_delete: o.on_delete.take(cx).filter(|s| on_delete(cx, s)),
            default: o.default.take(cx).map(|l| l.0),
            unique: flag(o.unique).is_some(),
            indexed: flag(o.indexed).is_some(),
            created_at: flag(o.created_at).is_some(),
            updated_at: flag(o.updated_at).is_some(),
            private: flag(o.private),
            owner: flag(o.owner),
            renamed_from: o
                .renamed_from
                .take(cx)
                .filter(|n| identifier(cx, n, RENAMED_FROM_NAME)),
        }
    }
}

/// Whether `name` is a table or column name (lowercase letters, digits and `_`); otherwise
/// `message` is recorded at it.
fn identifier(cx: &Ctxt, name: &LitStr, message: &str) -> bool {
    let value = name.value();
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        cx.error_spanned_by(name, message);
    }
    ok
}

/// The message of a `renamed_from` that is not a name.
const RENAMED_FROM_NAME: &str =
    "`renamed_from` names the former table or column: lowercase letters, digits and `_`";

/// Whether `action` is one `on_delete` takes; otherwise the mistake is recorded.
fn on_delete(cx: &Ctxt, action: &LitStr) -> bool {
    let value = action.value();
    let known = ON_DELETE_ACTIONS.contains(&value.as_str());
    if !known {
        cx.error_spanned_by(
            action,
            format!(
                "unknown `on_delete` action `{value}`: {}",
                expected_one_of(&value, ON_DELETE_ACTIONS)
            ),
        );
    }
    known
}

/// A length: an integer from 1 up.
fn count(cx: &Ctxt, read: Read<Literal>) -> Option<u64> {
    match read.take(cx)?.0 {
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

impl FieldDef {
    /// The field of `attr`, or `None` (with the error recorded) when its type has no column.
    fn from_attr(cx: &Ctxt, attr: FieldAttr) -> Option<FieldDef> {
        let keys = FieldKeys::from_options(cx, attr.options);
        let (inner, nullable) = match option_of(&attr.ty) {
            Some(inner) => (inner.clone(), true),
            None => (attr.ty.clone(), false),
        };
        let Some(scalar) = scalar(&inner) else {
            cx.error_spanned_by(
                &attr.ty,
                format!(
                    "unsupported model field type `{}`: a model field is {SUPPORTED}",
                    crate::names::pretty(&attr.ty)
                ),
            );
            return None;
        };
        Some(FieldDef {
            ident: attr.ident,
            ty: attr.ty,
            inner,
            scalar,
            nullable,
            docs: attr.docs,
            keys,
        })
    }

    /// Whether the database or the model sets it, so that a client never sends it.
    pub fn generated(&self) -> bool {
        self.keys.primary_key || self.keys.created_at || self.keys.updated_at
    }

    /// Whether it is a column the API never sees (`private`).
    pub fn private(&self) -> bool {
        self.keys.private.is_some()
    }

    /// Whether it holds the id of the user the row belongs to (`owner`).
    pub fn owner(&self) -> bool {
        self.keys.owner.is_some()
    }

    /// Whether a client sends it, in `NewX` and `XPatch`.
    pub fn input(&self) -> bool {
        !self.generated() && !self.private() && !self.owner()
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
    /// `renamed_from = "…"`: the table's former name.
    pub renamed_from: Option<LitStr>,
}

impl ModelDef {
    /// The model of `attr`, each mistake recorded in `cx`; the fields whose type has no column
    /// are left out.
    pub fn from_attr(cx: &Ctxt, attr: ModelAttr) -> ModelDef {
        let o = attr.options;
        let table = o.table.take(cx).filter(|t| {
            identifier(
                cx,
                t,
                "a table name is lowercase letters, digits and `_`, as in `posts`",
            )
        });
        let has_many = o.has_many.take(cx).unwrap_or_default();
        let renamed_from = o
            .renamed_from
            .take(cx)
            .filter(|n| identifier(cx, n, RENAMED_FROM_NAME));
        let krate = o.krate.take(cx).map(|k| k.0);
        let item = attr.item;
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(&item.generics, "a model has no type or lifetime parameters");
        }
        let fields = attr
            .fields
            .into_iter()
            .filter_map(|f| FieldDef::from_attr(cx, f))
            .collect();
        let table = match table {
            Some(t) => t.value(),
            None => crate::names::snake_case(&item.ident.to_string()) + "s",
        };
        ModelDef {
            item,
            table,
            krate,
            has_many,
            fields,
            renamed_from,
        }
    }

    /// The primary key (a valid model has exactly one).
    pub fn primary_key(&self) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.keys.primary_key)
    }

    /// The owner field (a valid model has at most one).
    pub fn owner(&self) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.owner())
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
