//! The application's description: a pure function of its mounted modules' manifests.

use std::collections::BTreeMap;

use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, RefOr,
    ResponseBuilder, Tag,
};

use crate::auth::Access;
use crate::fast_route::FastRoute;
use crate::manifest::{Manifest, Methods, RouteDecl};
use crate::openapi::{Info, Operation, SECURITY_SCHEME, Schemas, scalar};

/// The crate metadata of the first mounted module declared outside Chopin itself (`chopin` and
/// its batteries, `chopin-*`), or else of the first mounted module.
pub(crate) fn default_info(manifests: &[&Manifest]) -> Info {
    let package = manifests
        .iter()
        .map(|m| m.package)
        .find(|p| p.name != "chopin" && !p.name.starts_with("chopin-"))
        .or_else(|| manifests.first().map(|m| m.package));
    match package {
        Some(p) => Info {
            title: p.name.to_owned(),
            version: p.version.to_owned(),
            description: (!p.description.is_empty()).then(|| p.description.to_owned()),
        },
        None => Info::new("application", "0.0.0"),
    }
}

/// A fast route added by hand ([`App::fast_route`](crate::App::fast_route)), as the description
/// sees it.
pub(crate) struct HandRoute {
    path: String,
    methods: Methods,
    cors: bool,
    content_type: String,
    body: bytes::Bytes,
}

impl HandRoute {
    pub(crate) fn of(route: &FastRoute) -> HandRoute {
        HandRoute {
            path: route.path().to_owned(),
            methods: route.declared_methods(),
            cors: route.is_cors(),
            content_type: route.content_type().to_owned(),
            body: route.body().clone(),
        }
    }
}

/// One operation before its id is settled.
struct Pending {
    path: String,
    method: HttpMethod,
    id: String,
    explicit: bool,
    module: &'static str,
    operation: OperationBuilder,
}

/// The OpenAPI 3.1 description of the routes these modules declare, and of the fast routes added
/// by hand.
pub(crate) fn build(manifests: &[&Manifest], hand: &[HandRoute], info: &Info) -> OpenApi {
    let mut schemas = Schemas::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    let mut secured = false;

    for m in manifests {
        for r in m.routes {
            // A route declared on its own has no module to be tagged by.
            let tag = r
                .tag
                .or((!m.standalone).then_some(m.name))
                .map(str::to_owned);
            if let Some(tag) = &tag
                && !tags.contains(tag)
            {
                tags.push(tag.clone());
            }
            let methods = listed(r, manifests);
            let base = match r.name {
                Some(name) => name.to_owned(),
                None => {
                    let item = r.handler.rsplit("::").next().unwrap_or(r.handler);
                    item.to_ascii_lowercase()
                }
            };
            for (method, suffix) in suffixed(&methods) {
                let mut op = Operation::new(param_names(r.path), &mut schemas);
                match (r.describe, r.fast) {
                    (Some(describe), _) => describe(&mut op),
                    (None, Some(fast)) => {
                        fast_response(&mut op, fast.content_type(), fast.body());
                    }
                    (None, None) => {
                        op.response("default", "not described", None);
                    }
                }
                match r.access {
                    Access::Public => {}
                    Access::User => op.requires_auth(),
                    Access::Role(role) => {
                        op.requires_auth();
                        op.error_response(
                            "403",
                            &format!("the user does not have the role `{role}`"),
                        );
                    }
                }
                secured |= op.secured || op.optionally_secured;
                let (summary, description) = split_doc(r.doc);
                let mut operation = finish(op).summary(summary).description(description);
                if let Some(tag) = &tag {
                    operation = operation.tag(tag.clone());
                }
                pending.push(Pending {
                    path: openapi_path(r.path),
                    method,
                    id: format!("{base}{suffix}"),
                    explicit: r.name.is_some(),
                    module: if m.standalone { "" } else { m.name },
                    operation,
                });
            }
        }
    }
    for h in hand {
        let methods = fast_methods(h.methods, h.cors);
        for (method, suffix) in suffixed(&methods) {
            let mut op = Operation::new(param_names(&h.path), &mut schemas);
            fast_response(&mut op, &h.content_type, &h.body);
            let name = h.path.trim_matches('/').replace(['/', '.', '-'], "_");
            pending.push(Pending {
                path: openapi_path(&h.path),
                method,
                id: format!("fast_{name}{suffix}"),
                explicit: false,
                module: "",
                operation: finish(op),
            });
        }
    }

    let mut paths = Paths::new();
    let ids = operation_ids(&pending);
    for (p, id) in pending.into_iter().zip(ids) {
        let operation = p.operation.operation_id(Some(id)).build();
        paths.add_path_operation(&p.path, vec![p.method], operation);
    }

    let mut components = ComponentsBuilder::new().schemas_from_iter(schemas.into_map());
    if secured {
        components = components.security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
    let info = InfoBuilder::new()
        .title(info.title.clone())
        .version(info.version.clone())
        .description(info.description.clone())
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components.build()))
        .tags((!tags.is_empty()).then(|| tags.iter().map(Tag::new).collect::<Vec<_>>()))
        .build()
}

/// The described operation, without its id, tag and text.
fn finish(mut op: Operation<'_>) -> OperationBuilder {
    op.finish_path_parameters();
    let parameters = std::mem::take(&mut op.parameters);
    let mut builder = OperationBuilder::new()
        .parameters((!parameters.is_empty()).then_some(parameters))
        .request_body(op.request_body.take());
    for (status, response) in std::mem::take(&mut op.responses) {
        builder = builder.response(status, response);
    }
    if op.secured || op.optionally_secured {
        if !op.secured {
            // `{}` first: no credentials is an accepted alternative.
            builder = builder.security(SecurityRequirement::default());
        }
        builder = builder.security(SecurityRequirement::new(
            SECURITY_SCHEME,
            Vec::<String>::new(),
        ));
    }
    builder
}

/// Each operation's id: the route's `name`, or its handler's name; a handler name that two
/// modules use is qualified by the module's (`blog_list`), and any id still taken gets a number.
fn operation_ids(pending: &[Pending]) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for p in pending {
        *count.entry(p.id.as_str()).or_default() += 1;
    }
    let mut ids: Vec<String> = pending
        .iter()
        .map(|p| {
            if !p.explicit && count[p.id.as_str()] > 1 && !p.module.is_empty() {
                format!("{}_{}", p.module, p.id)
            } else {
                p.id.clone()
            }
        })
        .collect();
    for i in 0..ids.len() {
        let mut n = 1;
        while ids[..i].contains(&ids[i]) {
            n += 1;
            ids[i] = format!("{}_{n}", ids[i].trim_end_matches(&format!("_{}", n - 1)));
        }
    }
    ids
}

/// The methods under which a route is listed: `HEAD` only when `GET` is not there (axum answers
/// `HEAD` to every `GET` route), a fast route's CORS preflight not at all, and `ANY` as each
/// common method no other route of the same pattern declares.
fn listed(r: &RouteDecl, manifests: &[&Manifest]) -> Vec<HttpMethod> {
    if let Some(fast) = r.fast {
        return fast_methods(r.methods, fast.cors());
    }
    let mut out = methods_of(r.methods);
    if r.methods.overlaps(Methods::ANY) {
        let taken: Vec<HttpMethod> = manifests
            .iter()
            .flat_map(|m| m.routes.iter())
            .filter(|o| !std::ptr::eq(*o, r) && o.path == r.path)
            .flat_map(|o| methods_of(o.methods))
            .collect();
        for m in [
            HttpMethod::Get,
            HttpMethod::Post,
            HttpMethod::Put,
            HttpMethod::Delete,
            HttpMethod::Patch,
        ] {
            if !taken.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

fn fast_methods(methods: Methods, cors: bool) -> Vec<HttpMethod> {
    let mut out = methods_of(methods);
    if cors {
        out.retain(|m| *m != HttpMethod::Options);
    }
    out
}

/// The named methods of a set (not `ANY`), `HEAD` left out beside `GET`.
fn methods_of(methods: Methods) -> Vec<HttpMethod> {
    let all = [
        (Methods::GET, HttpMethod::Get),
        (Methods::HEAD, HttpMethod::Head),
        (Methods::POST, HttpMethod::Post),
        (Methods::PUT, HttpMethod::Put),
        (Methods::DELETE, HttpMethod::Delete),
        (Methods::PATCH, HttpMethod::Patch),
        (Methods::OPTIONS, HttpMethod::Options),
    ];
    all.into_iter()
        .filter(|(bit, _)| methods.overlaps(*bit))
        .filter(|(bit, _)| !(*bit == Methods::HEAD && methods.overlaps(Methods::GET)))
        .map(|(_, m)| m)
        .collect()
}

/// Each method with the suffix its operation id takes when a route is listed under several.
fn suffixed(methods: &[HttpMethod]) -> Vec<(HttpMethod, String)> {
    methods
        .iter()
        .map(|m| {
            let suffix = if methods.len() > 1 {
                format!("_{}", method_name(m))
            } else {
                String::new()
            };
            (m.clone(), suffix)
        })
        .collect()
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}

/// A fast route's one response: `200` with its content type, and its body as the example when
/// it is JSON or text.
fn fast_response(op: &mut Operation<'_>, content_type: &str, body: &[u8]) {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or(content_type)
        .trim();
    let (schema, example) = if media == "application/json" || media.ends_with("+json") {
        (any_value(), serde_json::from_slice(body).ok())
    } else if media.starts_with("text/") {
        (
            scalar(Type::String),
            std::str::from_utf8(body)
                .ok()
                .map(|s| serde_json::Value::String(s.to_owned())),
        )
    } else {
        (scalar(Type::String), None)
    };
    let content = ContentBuilder::new()
        .schema(Some(schema))
        .example(example)
        .build();
    op.responses.insert(
        "200".to_owned(),
        ResponseBuilder::new()
            .description("OK: precomputed bytes")
            .content(media, content)
            .build(),
    );
}

/// `{}`: any JSON value.
fn any_value() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .build(),
    ))
}

/// The parameter names of a pattern, in order: `/posts/{id}/{*rest}` has `id` and `rest`.
fn param_names(pattern: &str) -> Vec<String> {
    chopin_pattern::params(pattern)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// A pattern as OpenAPI writes it: a catch-all `{*rest}` is the parameter `{rest}`.
fn openapi_path(pattern: &str) -> String {
    pattern.replace("{*", "{")
}

/// A doc comment's first paragraph as the summary, on one line, and the rest as the
/// description.
fn split_doc(doc: &str) -> (Option<String>, Option<String>) {
    let doc = doc.trim();
    if doc.is_empty() {
        return (None, None);
    }
    let (first, rest) = doc.split_once("\n\n").unwrap_or((doc, ""));
    let summary = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = rest.trim();
    (Some(summary), (!rest.is_empty()).then(|| rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::unresolved_refs;

    fn spec(manifests: &[&Manifest], info: &Info) -> OpenApi {
        build(manifests, &[], info)
    }

    #[test]
    fn a_patterns_parameters_are_its_braced_segments_in_order() {
        assert_eq!(param_names("/posts/{id}/files/{*rest}"), ["id", "rest"]);
        assert_eq!(
            openapi_path("/posts/{id}/files/{*rest}"),
            "/posts/{id}/files/{rest}"
        );
        assert!(param_names("/about").is_empty());
    }

    #[test]
    fn a_doc_comments_first_paragraph_is_the_summary() {
        assert_eq!(split_doc(""), (None, None));
        assert_eq!(
            split_doc(" One post,\n by id.\n\n Not found: 404.\n\n More."),
            (
                Some("One post, by id.".to_owned()),
                Some("Not found: 404.\n\n More.".to_owned())
            )
        );
    }

    #[test]
    fn a_ref_to_a_schema_that_is_not_defined_is_found() {
        #[allow(dead_code)]
        struct Orphan;
        impl utoipa::PartialSchema for Orphan {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .property("missing", utoipa::openapi::Ref::from_schema_name("Missing"))
                    .into()
            }
        }
        impl utoipa::ToSchema for Orphan {}
        fn describe(op: &mut Operation<'_>) {
            let schema = op.schema::<Orphan>();
            op.response("200", "OK", Some(("application/json", schema)));
        }
        static ROUTES: [RouteDecl; 1] =
            [route(Methods::GET, "/orphan", "M::orphan").describe(describe)];
        let m = module("m", &ROUTES);
        let spec = spec(&[&m], &Info::new("app", "1.0.0"));
        assert_eq!(unresolved_refs(&spec), ["#/components/schemas/Missing"]);
    }

    use crate::manifest::fixtures::module;

    const fn route(methods: Methods, path: &'static str, handler: &'static str) -> RouteDecl {
        crate::manifest::fixtures::r(methods, path, handler, 1)
    }

    /// `(path, method, operationId)` of every operation, sorted.
    fn operations(spec: &OpenApi) -> Vec<(String, String, String)> {
        let v = serde_json::to_value(spec).unwrap_or_default();
        let mut out = Vec::new();
        for (path, item) in v["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                out.push((
                    path.clone(),
                    method.clone(),
                    op["operationId"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn operation_ids_are_unique_and_any_is_each_method_not_otherwise_routed() {
        static BLOG: [RouteDecl; 3] = [
            route(Methods::GET, "/blog", "Blog::list"),
            route(Methods::ANY, "/blog", "Blog::other"),
            route(Methods::GET, "/files/{*rest}", "Blog::file"),
        ];
        static FEED: [RouteDecl; 2] = [
            route(Methods::GET, "/feed", "Feed::list"),
            route(Methods::GET, "/feed/{id}", "Feed::entry").name("feed_entry"),
        ];
        let (blog, feed) = (module("blog", &BLOG), module("feed", &FEED));
        let spec = spec(&[&blog, &feed], &Info::new("app", "1.0.0"));
        let ops = operations(&spec);
        let ops: Vec<(&str, &str, &str)> = ops
            .iter()
            .map(|(p, m, id)| (p.as_str(), m.as_str(), id.as_str()))
            .collect();
        assert_eq!(
            ops,
            [
                ("/blog", "delete", "other_delete"),
                ("/blog", "get", "blog_list"),
                ("/blog", "patch", "other_patch"),
                ("/blog", "post", "other_post"),
                ("/blog", "put", "other_put"),
                ("/feed", "get", "feed_list"),
                ("/feed/{id}", "get", "feed_entry"),
                ("/files/{rest}", "get", "file"),
            ]
        );
        let v = serde_json::to_value(&spec).unwrap_or_default();
        // A catch-all is a path parameter like any other, and a handler that was not described
        // says so rather than vanishing.
        let file = &v["paths"]["/files/{rest}"]["get"];
        assert_eq!(file["parameters"][0]["name"], "rest");
        assert_eq!(file["responses"]["default"]["description"], "not described");
    }

    #[test]
    fn head_is_listed_only_without_get() {
        assert!(methods_of(Methods::GET.with(Methods::HEAD)) == [HttpMethod::Get]);
        assert!(methods_of(Methods::HEAD) == [HttpMethod::Head]);
        assert!(methods_of(Methods::ANY).is_empty());
    }
}
