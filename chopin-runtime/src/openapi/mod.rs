//! The OpenAPI description, derived from the handlers' types.
//!
//! Every route's operation is described by the types its handler takes and returns: each
//! argument implements [`OperationInput`] (`Path<u64>` is an integer path parameter, `Json<T>`
//! a request body with `T`'s schema, `AuthUser` a bearer-token requirement) and the return type
//! implements [`OperationOutput`] (`Json<T>` a `200` with `T`'s schema, `Created<T>` a `201`,
//! `Result<_, ChopinError>` every error with the body the runtime really sends). `#[chopin::module]`
//! records, for each handler, a function that asks its types, so the description is a pure
//! function of the mounted modules' manifests: [`App::openapi`](crate::App::openapi) computes
//! it without a server or a database, and it cannot drift from the code.
//!
//! A type that cannot describe itself does not compile:
//!
//! ```text
//! error[E0277]: `Form<Login>` cannot describe itself in the API description
//! ```
//!
//! Types are described with [utoipa](https://docs.rs/utoipa)'s [`ToSchema`]
//! (`#[derive(ToSchema)]`); a struct or enum is described once under `components/schemas` and
//! referred to by name, with every schema it refers to, so no `$ref` dangles.

mod describe;
mod docs;
mod document;
pub(crate) mod scalar;

use std::collections::BTreeMap;

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayItems, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};

pub use describe::{PathParams, integer_schema};
pub(crate) use docs::Viewer;
pub use document::{Info, unresolved_refs};
pub use utoipa::openapi::OpenApi;
pub use utoipa::{self, PartialSchema, ToSchema};

pub use crate::response::ERROR_SCHEMA;
/// The name of the security scheme `auth` routes require: a bearer JWT.
pub const SECURITY_SCHEME: &str = "bearerAuth";

/// An argument of a handler, describing what it reads from the request: parameters, a body, a
/// security requirement, and the errors its rejection sends.
///
/// Implement it for an extractor of your own; one that reads nothing the client sends (a
/// connection pool, a clock) has an empty `describe`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe itself in the API description",
    label = "this handler argument has no OpenAPI description",
    note = "every handler argument implements `chopin::openapi::OperationInput`, which says what it reads from the request (nothing, for state); implement it for `{Self}`"
)]
pub trait OperationInput {
    /// Adds what the argument reads to `op`.
    fn describe(op: &mut Operation<'_>);
}

/// A handler's return type, describing the responses it sends.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe itself in the API description",
    label = "this response type has no OpenAPI description",
    note = "a handler returns a type that implements `chopin::openapi::OperationOutput` (such as `Json<T>`, `Created<T>`, `NoContent`, `String`, or a `Result` of them with `ChopinError`); implement it for `{Self}`"
)]
pub trait OperationOutput {
    /// Adds the responses to `op`.
    fn describe(op: &mut Operation<'_>);
}

/// The schemas of an application's description, by name, collected while its operations are
/// described.
#[derive(Default, Clone)]
pub struct Schemas {
    by_name: BTreeMap<String, RefOr<Schema>>,
}

impl Schemas {
    /// Records `schema` under `name`. `false` when another schema has that name already (two
    /// generic instances such as `Page<Post>` and `Page<User>`), in which case the caller
    /// inlines it instead of referring to it.
    fn insert(&mut self, name: String, schema: RefOr<Schema>) -> bool {
        match self.by_name.get(&name) {
            Some(existing) => *existing == schema,
            None => {
                self.by_name.insert(name, schema);
                true
            }
        }
    }

    /// The schemas, by name.
    pub fn into_map(self) -> BTreeMap<String, RefOr<Schema>> {
        self.by_name
    }
}

/// One operation being described: what [`OperationInput`] and [`OperationOutput`]
/// implementations add to.
pub struct Operation<'a> {
    path_params: Vec<String>,
    next_path_param: usize,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) request_body: Option<RequestBody>,
    pub(crate) responses: BTreeMap<String, Response>,
    pub(crate) secured: bool,
    /// Whether a bearer token is read when sent, without being required.
    pub(crate) optionally_secured: bool,
    /// Whether the operation answers `101` and leaves HTTP: a response built by hand is then the
    /// `101`, not any response.
    pub(crate) switches_protocols: bool,
    schemas: &'a mut Schemas,
}

impl<'a> Operation<'a> {
    /// An operation on a route whose pattern has these parameters, in order.
    pub fn new(path_params: Vec<String>, schemas: &'a mut Schemas) -> Operation<'a> {
        Operation {
            path_params,
            next_path_param: 0,
            parameters: Vec::new(),
            request_body: None,
            responses: BTreeMap::new(),
            secured: false,
            optionally_secured: false,
            switches_protocols: false,
            schemas,
        }
    }

    /// The schema of `T`: a reference to `components/schemas` for a named struct or enum (which
    /// is recorded there, with everything it refers to), the schema itself for anything else.
    ///
    /// A schema that `T` records by name is referred to by that name wherever it appears: for
    /// `Vec<Post>` of a model `Post`, the array's `items` is a `$ref` to `Post`.
    pub fn schema<T: ToSchema + ?Sized>(&mut self) -> RefOr<Schema> {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        // Those recorded under their name; one whose name is taken is not referred to.
        nested.retain(|(name, schema)| self.schemas.insert(name.clone(), schema.clone()));
        let mut schema = T::schema();
        refer_to_named(&mut schema, &nested);
        if is_named(&schema) {
            let name = T::name().into_owned();
            if !name.is_empty() && self.schemas.insert(name.clone(), schema.clone()) {
                return RefOr::Ref(Ref::from_schema_name(name));
            }
        }
        schema
    }

    /// The error body's schema, recorded under [`ERROR_SCHEMA`].
    pub fn error_schema(&mut self) -> RefOr<Schema> {
        self.schema::<crate::response::ChopinError>()
    }

    /// The pattern's next path parameter, with this schema. The parameters are taken in the
    /// pattern's order, as axum hands them to a tuple.
    pub fn path_parameter(&mut self, schema: RefOr<Schema>) {
        let Some(name) = self.path_params.get(self.next_path_param).cloned() else {
            return;
        };
        self.next_path_param += 1;
        self.parameters.push(path_param(name, schema));
    }

    /// The path parameters named by `T`'s fields, for a `Path<T>` of a struct that derives
    /// [`ToSchema`]. A field the pattern does not have is left out.
    pub fn path_parameters_of<T: ToSchema>(&mut self) {
        for (name, schema, _) in self.fields_of::<T>() {
            if self.path_params.contains(&name) {
                self.parameters.push(path_param(name, schema));
            }
        }
        self.next_path_param = self.path_params.len();
    }

    /// The query parameters of a `Query<T>`: one per field of a struct, required unless it is
    /// optional; for a map (`HashMap<String, String>`), one free-form parameter.
    pub fn query_parameters_of<T: ToSchema>(&mut self) {
        let fields = self.fields_of::<T>();
        if fields.is_empty() {
            let schema = self.schema::<T>();
            self.parameters.push(
                ParameterBuilder::new()
                    .name("query")
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .style(Some(ParameterStyle::Form))
                    .explode(Some(true))
                    .schema(Some(schema))
                    .build(),
            );
            return;
        }
        for (name, schema, required) in fields {
            self.parameters.push(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(if required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .schema(Some(schema))
                    .build(),
            );
        }
    }

    /// A request header the argument reads, such as an API key or an idempotency key, for an
    /// extractor of your own:
    ///
    /// ```
    /// # use chopin_runtime::openapi::{Operation, OperationInput, PartialSchema};
    /// struct IdempotencyKey(String);
    ///
    /// impl OperationInput for IdempotencyKey {
    ///     fn describe(op: &mut Operation<'_>) {
    ///         op.header_parameter(
    ///             "Idempotency-Key",
    ///             String::schema(),
    ///             true,
    ///             Some("Repeating a request with the same key does not repeat its effect."),
    ///         );
    ///     }
    /// }
    /// ```
    ///
    /// A header described twice is described once, as the last description says. `Accept`,
    /// `Content-Type` and `Authorization` are left out: OpenAPI describes them by the media
    /// types and the security requirement, and tools ignore them as parameters.
    pub fn header_parameter(
        &mut self,
        name: &str,
        schema: RefOr<Schema>,
        required: bool,
        description: Option<&str>,
    ) {
        if ["accept", "content-type", "authorization"]
            .iter()
            .any(|reserved| name.eq_ignore_ascii_case(reserved))
        {
            return;
        }
        self.parameters.retain(|p| {
            !(p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case(name))
        });
        self.parameters.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(if required {
                    Required::True
                } else {
                    Required::False
                })
                .description(description)
                .schema(Some(schema))
                .build(),
        );
    }

    /// `T`'s fields as (name, schema, required), when its schema is an object with properties.
    fn fields_of<T: ToSchema>(&mut self) -> Vec<(String, RefOr<Schema>, bool)> {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        for (name, schema) in nested {
            self.schemas.insert(name, schema);
        }
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o
                .properties
                .iter()
                .map(|(name, schema)| (name.clone(), schema.clone(), o.required.contains(name)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The request body: its media type and schema.
    pub fn request_body(&mut self, content_type: &str, schema: RefOr<Schema>, required: bool) {
        self.request_body = Some(
            RequestBodyBuilder::new()
                .content(
                    content_type,
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .required(Some(if required {
                    Required::True
                } else {
                    Required::False
                }))
                .build(),
        );
    }

    /// A response: its status (`"200"`, `"4XX"`, `"default"`), what it means, and its media type
    /// and schema when it has a body. A second response for one status adds its description to
    /// the first.
    pub fn response(
        &mut self,
        status: &str,
        description: &str,
        content: Option<(&str, RefOr<Schema>)>,
    ) {
        if let Some(existing) = self.responses.get_mut(status) {
            if !existing.description.contains(description) {
                existing.description = format!("{}; {description}", existing.description);
            }
            if let Some((ct, schema)) = content
                && !existing.content.contains_key(ct)
            {
                existing.content.insert(
                    ct.to_owned(),
                    RefOr::T(ContentBuilder::new().schema(Some(schema)).build()),
                );
            }
            return;
        }
        let mut builder = ResponseBuilder::new().description(description);
        if let Some((ct, schema)) = content {
            builder = builder.content(ct, ContentBuilder::new().schema(Some(schema)).build());
        }
        self.responses.insert(status.to_owned(), builder.build());
    }

    /// An error response with the body every `ChopinError` has.
    pub fn error_response(&mut self, status: &str, description: &str) {
        let schema = self.error_schema();
        self.response(status, description, Some(("application/json", schema)));
    }

    /// Says that responses of `status` (already added) carry the header `name`.
    pub fn response_header(&mut self, status: &str, name: &str, description: &str) {
        if let Some(response) = self.responses.get_mut(status) {
            let header = utoipa::openapi::header::HeaderBuilder::new()
                .schema(Some(scalar(Type::String)))
                .description(Some(description))
                .build();
            response.headers.insert(name.to_owned(), RefOr::T(header));
        }
    }

    /// The operation uses a dependency (`what`: "the database") that may be unreachable: a
    /// `503` with `retry-after`, as [`ChopinError::unavailable`](crate::ChopinError::unavailable)
    /// sends.
    pub fn may_be_unavailable(&mut self, what: &str) {
        self.error_response(
            "503",
            &format!("{what} cannot be reached or did not answer in time"),
        );
        self.response_header("503", "retry-after", "Seconds to wait before retrying");
    }

    /// The operation answers `101 Switching Protocols` and continues in `protocol` (`websocket`)
    /// over the same connection, for an extractor that upgrades it. A [`Response`] the handler
    /// returns is then the upgrade's.
    ///
    /// [`Response`]: axum::response::Response
    pub fn switching_protocols(&mut self, protocol: &str) {
        self.switches_protocols = true;
        self.response(
            "101",
            &format!("Switching Protocols: the connection continues as a {protocol} connection"),
            None,
        );
        self.response_header("101", "upgrade", &format!("`{protocol}`"));
    }

    /// The operation needs a bearer token: a `401` without one.
    pub fn requires_auth(&mut self) {
        self.secured = true;
        self.error_response("401", "no valid bearer token");
        self.response_header("401", "www-authenticate", "`Bearer`");
    }

    /// The operation reads a bearer token when one is sent: anonymous requests are served too,
    /// and a token that is sent must be valid (a `401` if not).
    pub fn accepts_auth(&mut self) {
        self.optionally_secured = true;
        self.error_response("401", "a bearer token that is not valid");
        self.response_header("401", "www-authenticate", "`Bearer`");
    }

    /// The pattern's parameters no argument described (a handler that reads none of them),
    /// described as strings: every templated parameter must be defined.
    pub(crate) fn finish_path_parameters(&mut self) {
        let described: Vec<String> = self
            .parameters
            .iter()
            .filter(|p| p.parameter_in == ParameterIn::Path)
            .map(|p| p.name.clone())
            .collect();
        for name in self.path_params.clone() {
            if !described.contains(&name) {
                self.parameters.push(path_param(name, scalar(Type::String)));
            }
        }
    }
}

/// A path parameter: always required.
fn path_param(name: String, schema: RefOr<Schema>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(schema))
        .build()
}

/// Replaces, inside `schema`'s array items and alternatives, each schema equal to one of `named`
/// with a reference to its name.
fn refer_to_named(schema: &mut RefOr<Schema>, named: &[(String, RefOr<Schema>)]) {
    let RefOr::T(inner) = schema else {
        return;
    };
    if let Some((name, _)) = named
        .iter()
        .find(|(_, s)| matches!(s, RefOr::T(s) if s == inner))
    {
        *schema = RefOr::Ref(Ref::from_schema_name(name.clone()));
        return;
    }
    match inner {
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                refer_to_named(items, named);
            }
        }
        Schema::OneOf(one_of) => {
            for item in &mut one_of.items {
                refer_to_named(item, named);
            }
        }
        _ => {}
    }
}

/// Whether a schema is worth a name in `components/schemas`: a struct with fields, an enum.
fn is_named(schema: &RefOr<Schema>) -> bool {
    match schema {
        RefOr::T(Schema::Object(o)) => !o.properties.is_empty() || o.enum_values.is_some(),
        RefOr::T(Schema::OneOf(_) | Schema::AllOf(_) | Schema::AnyOf(_)) => true,
        _ => false,
    }
}

/// A schema of one type and no constraint.
pub(crate) fn scalar(ty: Type) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(ty)
            .build(),
    ))
}
