//! [`Pagination`] (`?page=2&per_page=50`) and the [`Page`] of a list it asks for.

use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::extract::Query;
use chopin_runtime::http::request::Parts;
use chopin_runtime::openapi::{Operation, OperationInput, ToSchema, integer_schema, utoipa};
use chopin_runtime::{ChopinError, FieldError};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, Select};
use serde::{Deserialize, Serialize};

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
        let Query(raw) = Query::<RawPagination>::from_request_parts(parts, state).await?;
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
        let bounded = |max: u64, default: u64, description: &str| match integer_schema(
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

impl<T: ToSchema> utoipa::PartialSchema for Page<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder};
        use utoipa::openapi::{Ref, RefOr};
        let count = |description: &str| {
            integer_schema(false, 64, 0, u128::from(u64::MAX)).map_object(description)
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
