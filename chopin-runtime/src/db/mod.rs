//! The database: a SeaORM connection configured from the environment, the [`Db`] extractor,
//! [`Pagination`] and its [`Page`], the [`Model`] trait that `#[chopin::model]` implements, and
//! `migrate`, which brings the tables of the application's models up to date.

pub mod migrate;
pub mod test_db;

use std::ops::Deref;

use axum::extract::FromRequestParts;
use http::request::Parts;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, Select,
};
use serde::{Deserialize, Serialize};

use crate::config::DbConfig;
use crate::openapi::{Operation, OperationInput, ToSchema, utoipa};
use crate::response::{ChopinError, FieldError};

pub use chrono;
pub use migrate::{MigrateError, Report, TableDef};
pub use sea_orm;

/// The application's database, for handlers: `async fn list(db: Db) -> …`, then
/// `post::Entity::find().all(&*db)`. A pool: cloning it is cheap.
#[derive(Clone, Debug)]
pub struct Db(DatabaseConnection);

impl Db {
    /// Connects to the database `config` names, with its pool settings.
    ///
    /// # Errors
    /// When the database cannot be reached or the URL is not one SeaORM takes.
    pub async fn connect(config: &DbConfig) -> Result<Db, sea_orm::DbErr> {
        let mut options = ConnectOptions::new(config.url.clone());
        // An in-memory SQLite database exists once per connection: one connection, kept.
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        options
            .max_connections(if in_memory { 1 } else { config.max_connections })
            .min_connections(if in_memory { 1 } else { config.min_connections })
            .connect_timeout(config.connect_timeout)
            .sqlx_logging(false);
        if in_memory {
            options.idle_timeout(None::<std::time::Duration>);
        }
        // sqlx turns SQLite's foreign keys on for every connection it opens.
        Ok(Db(sea_orm::Database::connect(options).await?))
    }

    /// A database over a connection made elsewhere.
    pub fn from_connection(conn: DatabaseConnection) -> Db {
        Db(conn)
    }

    /// The connection pool.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.0
    }

    /// The database of the request: one put in its extensions, or the application's.
    pub fn of(parts: &Parts) -> Option<Db> {
        match parts.extensions.get::<Db>() {
            Some(db) => Some(db.clone()),
            None => crate::server::context::with(|c| c.services.db.clone()).flatten(),
        }
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Db {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Db::of(parts).ok_or_else(|| {
            ChopinError::internal(
                "a handler takes `Db`, but the application has no database: mount a module that declares `models(..)`, or give one with `App::with_db`",
            )
        })
    }
}

impl OperationInput for Db {
    fn describe(_: &mut Operation<'_>) {}
}

/// A model: a struct declared with `#[chopin::model]`, the API's schema of one table's rows,
/// with its SeaORM entity.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not declared with `#[chopin::model]`",
    note = "a model is a struct declared with `#[chopin::model(table = \"…\")]`"
)]
pub trait Model: Sized {
    /// The SeaORM entity of its table.
    type Entity: EntityTrait;
    /// The struct's name.
    const NAME: &'static str;
    /// The table's name.
    const TABLE: &'static str;
    /// The primary key's column, which `belongs_to` relations of other models point at.
    fn primary_key() -> <Self::Entity as EntityTrait>::Column;
}

/// A model as a module declares it (`models(Post, Comment)`), for `migrate`.
#[derive(Clone, Copy, Debug)]
pub struct ModelDecl {
    /// The struct's name.
    pub name: &'static str,
    /// The table's name.
    pub table: &'static str,
    /// Its table's definition for a backend.
    pub define: fn(DbBackend) -> TableDef,
}

impl ModelDecl {
    /// The declaration of model `M`.
    pub const fn of<M: Model>() -> ModelDecl {
        ModelDecl {
            name: M::NAME,
            table: M::TABLE,
            define: define::<M>,
        }
    }
}

fn define<M: Model>(backend: DbBackend) -> TableDef {
    TableDef::of(<M::Entity as Default>::default(), backend)
}

/// The page a list asks for: `?page=2&per_page=50`. `page` starts at 1 (the default);
/// `per_page` is 1 to [`Pagination::MAX_PER_PAGE`], default [`Pagination::DEFAULT_PER_PAGE`].
/// Out of bounds, the request gets a `400` naming the parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// The page, from 1.
    pub page: u64,
    /// Items on a page.
    pub per_page: u64,
}

impl Pagination {
    /// `per_page` when the request does not say.
    pub const DEFAULT_PER_PAGE: u64 = 20;
    /// The largest `per_page`.
    pub const MAX_PER_PAGE: u64 = 100;
    /// The largest `page`: pages beyond it would start past any table's end.
    pub const MAX_PAGE: u64 = 1_000_000_000;

    /// Fetches this page of `select`, with the total, each row turned into `T`.
    ///
    /// # Errors
    /// The database's.
    pub async fn fetch<E, T, C>(&self, select: Select<E>, db: &C) -> Result<Page<T>, ChopinError>
    where
        E: EntityTrait,
        E::Model: FromQueryResult + Sized + Send + Sync,
        T: From<E::Model>,
        C: ConnectionTrait,
    {
        let paginator = select.paginate(db, self.per_page);
        let total = paginator.num_items().await?;
        let items = paginator.fetch_page(self.page - 1).await?;
        Ok(Page {
            items: items.into_iter().map(T::from).collect(),
            page: self.page,
            per_page: self.per_page,
            total,
        })
    }
}

#[derive(Deserialize)]
struct RawPagination {
    page: Option<String>,
    per_page: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Pagination {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let crate::extract::Query(raw) =
            crate::extract::Query::<RawPagination>::from_request_parts(parts, state).await?;
        let mut errors = Vec::new();
        let mut number = |name: &str, value: Option<String>, default: u64, max: u64| {
            let Some(value) = value else {
                return default;
            };
            match value.trim().parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!("expected a whole number from 1 to {max}, got `{value}`"),
                    ));
                    default
                }
            }
        };
        let page = number("page", raw.page, 1, Pagination::MAX_PAGE);
        let per_page = number(
            "per_page",
            raw.per_page,
            Pagination::DEFAULT_PER_PAGE,
            Pagination::MAX_PER_PAGE,
        );
        if errors.is_empty() {
            Ok(Pagination { page, per_page })
        } else {
            Err(ChopinError::bad_request("the page asked for is out of bounds").with_fields(errors))
        }
    }
}

impl OperationInput for Pagination {
    fn describe(op: &mut Operation<'_>) {
        op.query_parameters_of::<PaginationParams>();
        op.error_response("400", "`page` or `per_page` is out of bounds");
    }
}

/// The query parameters of [`Pagination`], as the API description shows them: both optional,
/// neither `null`.
struct PaginationParams;

impl utoipa::PartialSchema for PaginationParams {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ObjectBuilder, Schema};
        let bounded =
            |max: u64, default: u64, description: &str| match crate::openapi::integer_schema(
                false,
                64,
                1,
                u128::from(max),
            ) {
                RefOr::T(Schema::Object(mut o)) => {
                    o.description = Some(description.to_owned());
                    o.default = Some(serde_json::Value::from(default));
                    RefOr::T(Schema::Object(o))
                }
                other => other,
            };
        ObjectBuilder::new()
            .property(
                "page",
                bounded(Pagination::MAX_PAGE, 1, "The page, from 1."),
            )
            .property(
                "per_page",
                bounded(
                    Pagination::MAX_PER_PAGE,
                    Pagination::DEFAULT_PER_PAGE,
                    "Items on a page.",
                ),
            )
            .into()
    }
}

impl ToSchema for PaginationParams {}

/// One page of a list, with what it takes to ask for the others. Its schema is named after
/// its items' (`PostPage`), so that pages of different models do not share one name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// This page, from 1.
    pub page: u64,
    /// Items on a page.
    pub per_page: u64,
    /// Items on all pages.
    pub total: u64,
}

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

/// Text a database can store: PostgreSQL refuses the NUL character in `text`.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if value.contains('\0') {
        errors.push(FieldError::new(field, "contains a NUL character"));
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

/// `email`: one `@` between a non-empty name and a domain with a dot, no spaces.
pub fn check_email(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    let ok = match value.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
                && !value.chars().any(char::is_whitespace)
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
                o.pattern = Some("^[^\\u0000]*$".to_owned());
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

/// A database or Redis URL as logs and errors show it: without its password, whether in the
/// authority (`postgres://user:secret@host`) or in a query parameter (`redis+unix:///sock?pass=secret`).
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        // The last `@` ends the user information: a password may hold an unescaped `@`.
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => base.to_owned(),
            },
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if matches!(name, "pass" | "password") => format!("{name}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
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

impl<T: ToSchema> utoipa::PartialSchema for Page<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder};
        use utoipa::openapi::{Ref, RefOr};
        let count = |description: &str| {
            crate::openapi::integer_schema(false, 64, 0, u128::from(u64::MAX))
                .map_object(description)
        };
        ObjectBuilder::new()
            .description(Some(format!("One page of `{}` items.", T::name())))
            .property(
                "items",
                ArrayBuilder::new()
                    .items(RefOr::Ref(Ref::from_schema_name(T::name())))
                    .description(Some("This page's items.")),
            )
            .required("items")
            .property("page", count("This page, from 1."))
            .required("page")
            .property("per_page", count("Items on a page."))
            .required("per_page")
            .property("total", count("Items on all pages."))
            .required("total")
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!("{}Page", T::name()))
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// Sets the description of an object schema.
trait Described {
    fn map_object(self, description: &str) -> Self;
}

impl Described for utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    fn map_object(self, description: &str) -> Self {
        match self {
            utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(mut o)) => {
                o.description = Some(description.to_owned());
                utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(o))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/blog"),
            "postgres://app:***@db:5432/blog"
        );
        assert_eq!(redact("postgres://app@db/blog"), "postgres://app@db/blog");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn a_redis_url_is_shown_without_its_password() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("redis://:s3cret@cache:6379/2"),
            "redis://:***@cache:6379/2"
        );
        assert_eq!(
            redact("rediss://app:s3@cr@et@cache/0"),
            "rediss://app:***@cache/0"
        );
        assert_eq!(redact("redis://app@cache"), "redis://app@cache");
        assert_eq!(
            redact("redis+unix:///run/redis.sock?db=1&pass=s3cret"),
            "redis+unix:///run/redis.sock?db=1&pass=***"
        );
        assert_eq!(
            redact("unix:///run/redis.sock?password=s3cret&user=app"),
            "unix:///run/redis.sock?password=***&user=app"
        );
    }

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
        check_text(&mut errors, "title", "no nul");
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
        ] {
            check_email(&mut errors, "email", bad);
        }
        check_range(&mut errors, "stars", 6, Some(0), Some(5));
        check_text(&mut errors, "title", "a\0b");
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
                "stars: at most 5, got 6",
                "title: contains a NUL character",
            ]
        );
    }
}
