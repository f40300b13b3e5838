//! What the code `#[chopin::model]` generates calls: the validation of `NewX` and `XPatch`, the
//! deserializers of their fields, and the schemas of their fields.

use chopin_runtime::openapi::utoipa;
use chopin_runtime::{ChopinError, FieldError};
use serde::Deserialize;

/// `Ok` when no field failed, else `422 invalid` listing them. Used by the code
/// `#[chopin::model]` generates.
///
/// # Errors
/// When `errors` is not empty.
pub fn invalid_if_any(errors: Vec<FieldError>) -> Result<(), ChopinError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ChopinError::invalid(errors))
    }
}

/// Deserializes a field that may be left out (`#[serde(default)]` makes it `None`) but is never
/// `null` when given: `null` is a type error, as the field's schema says.
///
/// # Errors
/// When the value is not a `T` (`null` included).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Deserializes a whole number into an integer field, whether JSON writes it `7` or `7.0`: JSON
/// Schema's `integer` includes both, and a client generated from the description may send
/// either.
///
/// # Errors
/// When the value is not a whole number in `T`'s range.
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::de::Error;
    let n = serde_json::Number::deserialize(deserializer)?;
    let i = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i),
        // Within i64's range, where a whole f64 converts exactly.
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        _ => None,
    };
    i.and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a whole number in range, got {n}")))
}

/// [`whole`] for an optional field: `null` is `None`.
///
/// # Errors
/// As [`whole`].
pub fn whole_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    #[derive(Deserialize)]
    struct Whole<T: TryFrom<i64>>(#[serde(deserialize_with = "whole")] T);
    Ok(Option::<Whole<T>>::deserialize(deserializer)?.map(|Whole(v)| v))
}

/// [`whole`] for a field that may be left out but is never `null` when given.
///
/// # Errors
/// As [`whole`], and for `null`.
pub fn present_whole<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    whole(deserializer).map(Some)
}

/// What [`check_text`] accepts, as the API description's `pattern`: no control character but
/// tab, line feed and carriage return.
pub(crate) const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// Text a database can store and a reader can read: PostgreSQL refuses the NUL character in
/// `text`, and no other control character but tab, line feed and carriage return belongs in
/// text (they are how terminal escapes and header injections arrive).
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if value.contains('\0') {
        errors.push(FieldError::new(field, "contains a NUL character"));
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        errors.push(FieldError::new(
            field,
            "contains a control character (only tab and line breaks are allowed)",
        ));
    }
}

/// `max_len` and `min_len`, in characters.
pub fn check_len(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
) {
    let n = value.chars().count();
    if let Some(max) = max
        && n > max
    {
        errors.push(FieldError::new(
            field,
            format!("at most {}, got {n}", chars(max)),
        ));
    }
    if let Some(min) = min
        && n < min
    {
        errors.push(FieldError::new(
            field,
            format!("at least {}, got {n}", chars(min)),
        ));
    }
}

fn chars(n: usize) -> String {
    if n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
}

/// `email`: one `@` between a non-empty name and a domain with a dot, no spaces and no control
/// characters (so that an address can never carry one into a mail header, or a NUL into a
/// query).
pub fn check_email(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    let ok = match value.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !ok {
        errors.push(FieldError::new(field, "not an email address"));
    }
}

/// `range(min = .., max = ..)`, both inclusive.
pub fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: T,
    min: Option<T>,
    max: Option<T>,
) {
    if let Some(min) = min
        && value < min
    {
        errors.push(FieldError::new(
            field,
            format!("at least {min}, got {value}"),
        ));
    }
    if let Some(max) = max
        && value > max
    {
        errors.push(FieldError::new(
            field,
            format!("at most {max}, got {value}"),
        ));
    }
}

/// What a model field's schema says besides its type.
#[derive(Debug, Default)]
pub struct FieldRules {
    /// Its doc comment.
    pub doc: &'static str,
    /// Whether `null` is a value.
    pub nullable: bool,
    /// A `String` column: no NUL characters.
    pub text: bool,
    /// `min_len`.
    pub min_len: Option<usize>,
    /// `max_len`.
    pub max_len: Option<usize>,
    /// `email`.
    pub email: bool,
    /// `range(min)`.
    pub minimum: Option<f64>,
    /// `range(max)`.
    pub maximum: Option<f64>,
    /// `default`.
    pub default: Option<serde_json::Value>,
}

/// A model field's schema: its type's, with the rules of its `#[model]` keys, `null` beside it
/// when it is an `Option`.
pub fn field_schema(
    base: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    rules: FieldRules,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{
        KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
    };
    // An `Option<T>`'s schema from utoipa is already `oneOf [null, T]`: the rules go on `T`.
    let base = match base {
        RefOr::T(Schema::OneOf(one_of)) if rules.nullable => one_of
            .items
            .into_iter()
            .find(
                |s| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into()),
            )
            .unwrap_or(RefOr::T(Schema::Object(ObjectBuilder::new().build()))),
        other => other,
    };
    let with_rules = match base {
        RefOr::T(Schema::Object(mut o)) => {
            if !rules.doc.is_empty() {
                o.description = Some(rules.doc.to_owned());
            }
            o.min_length = rules.min_len.or(o.min_length);
            o.max_length = rules.max_len.or(o.max_length);
            if rules.email {
                o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Email));
            }
            if rules.text {
                o.pattern = Some(TEXT_PATTERN.to_owned());
            }
            if let Some(min) = rules.minimum {
                o.minimum = Some(utoipa::Number::Float(min));
            }
            if let Some(max) = rules.maximum {
                o.maximum = Some(utoipa::Number::Float(max));
            }
            if rules.default.is_some() {
                o.default = rules.default;
            }
            RefOr::T(Schema::Object(o))
        }
        other => other,
    };
    if rules.nullable {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(with_rules)
            .into()
    } else {
        with_rules
    }
}

/// Records `T`'s own schema under its name, as a model's `ToSchema::schemas` does, so that the
/// API description refers to it by name wherever it appears (`Vec<Post>` is an array of `$ref`).
pub fn record_itself<T: utoipa::ToSchema>(
    schemas: &mut Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
) {
    schemas.push((T::name().into_owned(), T::schema()));
}

/// `DateTimeUtc`: an RFC 3339 date and time, as serde writes chrono's.
pub fn timestamp_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    string_format(utoipa::openapi::schema::KnownFormat::DateTime)
}

/// `Date`: a calendar date, `2026-11-22`.
pub fn date_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    string_format(utoipa::openapi::schema::KnownFormat::Date)
}

fn string_format(
    format: utoipa::openapi::schema::KnownFormat,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_is_an_integer_however_json_writes_it() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct N {
            #[serde(deserialize_with = "whole")]
            n: i16,
            #[serde(default, deserialize_with = "whole_or_null")]
            m: Option<i64>,
        }
        let parse = |s: &str| serde_json::from_str::<N>(s).map_err(|e| e.to_string());
        assert_eq!(parse(r#"{"n": 7}"#), Ok(N { n: 7, m: None }));
        assert_eq!(
            parse(r#"{"n": 7.0, "m": 1e3}"#),
            Ok(N {
                n: 7,
                m: Some(1000)
            })
        );
        assert_eq!(parse(r#"{"n": 7, "m": null}"#), Ok(N { n: 7, m: None }));
        for bad in [r#"{"n": 7.5}"#, r#"{"n": 40000}"#, r#"{"n": "7"}"#] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_rules_are_checked_in_characters() {
        let mut errors = Vec::new();
        check_len(&mut errors, "title", "ééé", Some(1), Some(3));
        check_email(&mut errors, "email", "ann@shop.example");
        check_range(&mut errors, "stars", 3, Some(0), Some(5));
        check_text(&mut errors, "title", "no nul,\ttabs\r\nand lines");
        assert!(errors.is_empty(), "{errors:?}");
        check_len(&mut errors, "title", "éééé", Some(1), Some(3));
        check_len(&mut errors, "title", "", Some(1), None);
        for bad in [
            "ann",
            "@shop.example",
            "ann@shop",
            "ann@shop.",
            "a n@shop.example",
            "a@b@c.d",
            "a\0b@c.d",
            "a@c.d\r\nBcc: x@y.z",
            "a\u{7f}@c.d",
        ] {
            check_email(&mut errors, "email", bad);
        }
        check_range(&mut errors, "stars", 6, Some(0), Some(5));
        check_text(&mut errors, "title", "a\0b");
        check_text(&mut errors, "title", "a\u{1b}[31mred");
        let messages: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(
            messages,
            [
                "title: at most 3 characters, got 4",
                "title: at least 1 character, got 0",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "email: not an email address",
                "stars: at most 5, got 6",
                "title: contains a NUL character",
                "title: contains a control character (only tab and line breaks are allowed)",
            ]
        );
    }
}
