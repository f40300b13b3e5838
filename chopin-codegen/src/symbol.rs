//! The keywords of Chopin's attributes, written once, with the lists that error messages show
//! (in the order they show them).
//!
//! darling matches keys by its structs' field names; each parser's tests check that every key
//! listed here is a field there, so a list and its struct cannot drift apart.

// Attribute names.

/// The crate whose attributes these are, as a path's first segment (`#[chopin::get]`).
pub const CHOPIN: &str = "chopin";
/// `#[fast_route(..)]`.
pub const FAST_ROUTE: &str = "fast_route";
/// The route attributes, one per method, in the order error messages list them.
pub const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "any",
];
/// `#[doc = "…"]`, which `///` comments are.
pub const DOC: &str = "doc";

// Shared options.

/// `crate = "…"`: where generated code finds Chopin, when it is re-exported.
pub const CRATE: &str = "crate";
/// `name = "…"`: a module's name, or a route's operation id.
pub const NAME: &str = "name";

// Route attributes: `#[get("/p", ..)]`, ….

/// `auth` / `auth(role = "…")` on a route.
pub const AUTH: &str = "auth";
/// `role = "…"` inside `auth(..)`.
pub const ROLE: &str = "role";
/// `tag = "…"`: the operation's tag.
pub const TAG: &str = "tag";

/// The options a route attribute accepts.
pub const ROUTE_OPTIONS: &[&str] = &[AUTH, NAME, TAG];
/// The options inside `auth(..)`.
pub const AUTH_OPTIONS: &[&str] = &[ROLE];

// `#[chopin::module(..)]`.

/// `prefix = "/…"`.
pub const PREFIX: &str = "prefix";
/// `requires(ModuleType, ..)`.
pub const REQUIRES: &str = "requires";
/// `provides(auth)`.
pub const PROVIDES: &str = "provides";
/// `models(Post, ..)`.
pub const MODELS: &str = "models";
/// `migrations`: the module ships migration files of its own, in `migrations/` beside its
/// crate's `Cargo.toml`.
pub const MIGRATIONS: &str = "migrations";

/// The options `#[chopin::module]` accepts.
pub const MODULE_OPTIONS: &[&str] = &[NAME, PREFIX, REQUIRES, PROVIDES, MODELS, MIGRATIONS, CRATE];
/// The capabilities a module can provide.
pub const CAPABILITIES: &[&str] = &[AUTH];

// `#[fast_route("/p", ..)]`.

/// `json`: `application/json`.
pub const JSON: &str = "json";
/// `text`: `text/plain; charset=utf-8`.
pub const TEXT: &str = "text";
/// `html`: `text/html; charset=utf-8`.
pub const HTML: &str = "html";
/// `content_type = "…"`.
pub const CONTENT_TYPE: &str = "content_type";
/// `cors`: `access-control-allow-origin: *` and a preflight.
pub const CORS: &str = "cors";
/// `cache_control = "…"`.
pub const CACHE_CONTROL: &str = "cache_control";
/// `header("name", "value")`, as often as needed.
pub const HEADER: &str = "header";
/// `methods(GET, HEAD)`.
pub const METHODS: &str = "methods";

/// The options `#[fast_route]` accepts.
pub const FAST_ROUTE_OPTIONS: &[&str] = &[
    JSON,
    TEXT,
    HTML,
    CONTENT_TYPE,
    CORS,
    CACHE_CONTROL,
    HEADER,
    METHODS,
];
/// The options that set a fast route's content type, of which it has one.
pub const CONTENT_TYPES: &[&str] = &[JSON, TEXT, HTML, CONTENT_TYPE];
/// The methods a fast route may answer.
pub const FAST_ROUTE_METHODS: &[&str] =
    &["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

// `#[chopin::model(..)]` and `#[model(..)]` on its fields.

/// `#[model(..)]`: the attribute of a model's field.
pub const MODEL: &str = "model";
/// `table = "…"`.
pub const TABLE: &str = "table";
/// `has_many(Model, ..)`.
pub const HAS_MANY: &str = "has_many";
/// `renamed_from = "…"`: a model's table, or a field's column, had this name.
pub const RENAMED_FROM: &str = "renamed_from";

/// The options `#[chopin::model]` accepts.
pub const MODEL_OPTIONS: &[&str] = &[TABLE, HAS_MANY, RENAMED_FROM, CRATE];

/// `primary_key`.
pub const PRIMARY_KEY: &str = "primary_key";
/// `max_len = N`.
pub const MAX_LEN: &str = "max_len";
/// `min_len = N`.
pub const MIN_LEN: &str = "min_len";
/// `email`.
pub const EMAIL: &str = "email";
/// `range(min = A, max = B)`.
pub const RANGE: &str = "range";
/// `belongs_to = Model`.
pub const BELONGS_TO: &str = "belongs_to";
/// `on_delete = "cascade"`.
pub const ON_DELETE: &str = "on_delete";
/// `default = literal`.
pub const DEFAULT: &str = "default";
/// `unique`.
pub const UNIQUE: &str = "unique";
/// `indexed`.
pub const INDEXED: &str = "indexed";
/// `created_at`.
pub const CREATED_AT: &str = "created_at";
/// `updated_at`.
pub const UPDATED_AT: &str = "updated_at";
/// `private`.
pub const PRIVATE: &str = "private";
/// `owner`.
pub const OWNER: &str = "owner";

/// The keys of `#[model(..)]` on a field.
pub const FIELD_KEYS: &[&str] = &[
    PRIMARY_KEY,
    MAX_LEN,
    MIN_LEN,
    EMAIL,
    RANGE,
    BELONGS_TO,
    ON_DELETE,
    DEFAULT,
    UNIQUE,
    INDEXED,
    CREATED_AT,
    UPDATED_AT,
    PRIVATE,
    OWNER,
    RENAMED_FROM,
];

/// `min = …` inside `range(..)`.
pub const MIN: &str = "min";
/// `max = …` inside `range(..)`.
pub const MAX: &str = "max";
/// The bounds inside `range(..)`.
pub const RANGE_BOUNDS: &[&str] = &[MIN, MAX];

/// What `on_delete` accepts.
pub const ON_DELETE_ACTIONS: &[&str] = &["cascade", "restrict", "set_null", "no_action"];
