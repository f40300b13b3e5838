//! The rules of a model that look at more than one piece: a field's keys against its type and
//! against each other, one primary key per model and at most one owner. Each is spanned at the
//! token to change.

use proc_macro2::Span;

use super::model::{FieldDef, FieldKeys, ModelDef, Scalar};
use crate::diag::Ctxt;

/// Checks every field of `def`, then its primary key.
pub fn check(cx: &Ctxt, def: &ModelDef) {
    for field in &def.fields {
        check_field(cx, field);
    }
    let keys: Vec<&FieldDef> = def.fields.iter().filter(|f| f.keys.primary_key).collect();
    let ident = &def.item.ident;
    match keys.as_slice() {
        [] => cx.error_spanned_by(
            ident,
            format!("model `{ident}` has no primary key: mark its id `#[model(primary_key)]`"),
        ),
        [_] => {}
        [_, second, ..] => cx.error_spanned_by(
            &second.ident,
            "a model has one primary key: this is the second `#[model(primary_key)]`",
        ),
    }
    let mut owners = def.fields.iter().filter_map(|f| f.keys.owner);
    if let (Some(_), Some(second)) = (owners.next(), owners.next()) {
        cx.error_at(
            second,
            "a row belongs to one user: this is the second `#[model(owner)]`",
        );
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
        check_private(cx, *private, k);
    }
    if let Some(owner) = k.owner {
        check_owner(cx, owner, f);
    }
}

/// An owner column holds the user's id, which `AuthUser::id` is parsed into, on every row; the
/// model sets it, so the keys of what a client sends or the database assigns do not go with it.
fn check_owner(cx: &Ctxt, owner: Span, f: &FieldDef) {
    let int = match &f.inner {
        syn::Type::Path(p) => p.path.get_ident().is_some_and(|i| i == "i64" || i == "i32"),
        _ => false,
    };
    if f.nullable {
        cx.error_spanned_by(
            &f.ty,
            "an `owner` field is not an `Option`: every row belongs to a user, whose id it holds as an `i64` or `i32`",
        );
    } else if !int {
        cx.error_spanned_by(
            &f.ty,
            "an `owner` field holds the user's id as an `i64` or `i32`",
        );
    }
    let k = &f.keys;
    let clashes = [
        (
            k.primary_key,
            "primary_key",
            "the database assigns a primary key",
        ),
        (
            k.default.is_some(),
            "default",
            "the signed-in user's id is the value of every new row",
        ),
        (
            k.range.0.is_some() || k.range.1.is_some(),
            "range",
            "`range` checks what a client sends, and no client sends the owner",
        ),
    ];
    for (set, key, why) in clashes {
        if set {
            cx.error_at(owner, format!("`owner` does not go with `{key}`: {why}"));
        }
    }
}

/// What `private` does not go with: the keys of a column the API shows, and the checks of what a
/// client sends (`max_len` stays: it also sizes the column).
fn check_private(cx: &Ctxt, private: Span, k: &FieldKeys) {
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
            cx.error_at(
                private,
                format!("`private` does not go with `{key}`: {why}"),
            );
        }
    }
    for (set, key) in input {
        if set {
            cx.error_at(
                private,
                format!(
                    "`private` does not go with `{key}`: `{key}` checks what a client sends, and no client sends a private field"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::diag::errors_of;

    #[test]
    fn private_does_not_go_with_the_keys_of_a_shown_column_or_of_client_input() {
        let errors = errors_of(|cx| {
            super::super::from_args(
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
                "`private` takes no value",
                "`private` does not go with `primary_key`: the API names rows by their primary key",
                "`private` does not go with `email`: `email` checks what a client sends, and no client sends a private field",
                "`private` does not go with `min_len`: `min_len` checks what a client sends, and no client sends a private field",
                "`private` does not go with `range`: `range` checks what a client sends, and no client sends a private field",
                "`private` does not go with `created_at`: the model sets it for the API to show",
            ]
        );
    }

    #[test]
    fn a_private_column_keeps_its_column_keys() {
        let errors = errors_of(|cx| {
            super::super::from_args(
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

    #[test]
    fn an_owner_is_one_whole_integer_the_model_sets() {
        let errors = errors_of(|cx| {
            super::super::from_args(
                cx,
                quote!(),
                quote! {
                    pub struct Post {
                        #[model(primary_key)]
                        pub id: i64,
                        #[model(owner)]
                        pub author: String,
                        #[model(owner)]
                        pub editor_id: Option<i64>,
                        #[model(owner, default = 1, range(min = 0))]
                        pub small_id: i16,
                    }
                },
            )
        });
        assert_eq!(
            errors,
            [
                "an `owner` field holds the user's id as an `i64` or `i32`",
                "an `owner` field is not an `Option`: every row belongs to a user, whose id it holds as an `i64` or `i32`",
                "an `owner` field holds the user's id as an `i64` or `i32`",
                "`owner` does not go with `default`: the signed-in user's id is the value of every new row",
                "`owner` does not go with `range`: `range` checks what a client sends, and no client sends the owner",
                "a row belongs to one user: this is the second `#[model(owner)]`",
            ]
        );
    }

    #[test]
    fn an_owner_keeps_its_column_keys() {
        let errors = errors_of(|cx| {
            super::super::from_args(
                cx,
                quote!(),
                quote! {
                    pub struct Note {
                        #[model(primary_key)]
                        pub id: i32,
                        #[model(owner, belongs_to = User, on_delete = "cascade", indexed, private)]
                        pub owner_id: i32,
                    }
                },
            )
        });
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn keys_and_values_of_every_shape() {
        let errors = errors_of(|cx| {
            super::super::from_args(
                cx,
                quote!(table = "Posts", has_many = Comment, tabel = "x"),
                quote! {
                    pub struct Post {
                        #[model(primary_key)]
                        #[model(primary_key)]
                        pub id: i64,
                        #[model(max_length = 200, min_len = 0, range(mn = 1))]
                        pub title: String,
                        #[model(on_delete = "drop", belongs_to = "User")]
                        pub author_id: i64,
                        #[model(default = -1, range(min = -5, max = 5))]
                        pub score: i32,
                    }
                },
            )
        });
        assert_eq!(
            errors,
            [
                "unknown model option `tabel`: expected one of `table`, `has_many`, `renamed_from`, `crate` (did you mean `table`?)",
                "`primary_key` is given twice",
                "unknown model field key `max_length`: expected one of `primary_key`, `max_len`, `min_len`, `email`, `range`, `belongs_to`, `on_delete`, `default`, `unique`, `indexed`, `created_at`, `updated_at`, `private`, `owner`, `renamed_from` (did you mean `max_len`?)",
                "a table name is lowercase letters, digits and `_`, as in `posts`",
                "write `has_many(Model, ..)`",
                "expected a length from 1 up",
                "unknown `range` bound `mn`: expected one of `min`, `max` (did you mean `min`?)",
                "write `belongs_to = Model`, naming the model's struct",
                "unknown `on_delete` action `drop`: expected one of `cascade`, `restrict`, `set_null`, `no_action`",
            ]
        );
    }
}
