//! Each extractor's and response's description, as JSON.

use serde_json::{Value, json};

use super::*;
use crate::openapi::Schemas;

/// What `describe` adds to an operation on a route with these path parameters: its
/// parameters, request body and responses, and the schemas it recorded.
fn described(params: &[&str], describe: fn(&mut Operation<'_>)) -> (Value, Value) {
    let mut schemas = Schemas::default();
    let mut op = Operation::new(params.iter().map(|p| p.to_string()).collect(), &mut schemas);
    describe(&mut op);
    let secured = op.secured;
    let doc = json!({
        "parameters": serde_json::to_value(&op.parameters).unwrap_or_default(),
        "requestBody": serde_json::to_value(&op.request_body).unwrap_or_default(),
        "responses": serde_json::to_value(&op.responses).unwrap_or_default(),
        "secured": secured,
    });
    (
        doc,
        serde_json::to_value(schemas.into_map()).unwrap_or_default(),
    )
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    })
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct Post {
    title: String,
    author: Author,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct Author {
    name: String,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct Page {
    page: u32,
    per_page: Option<u32>,
}

#[test]
fn a_path_of_one_value_is_the_patterns_parameter_with_the_values_exact_type() {
    let (doc, _) = described(&["id"], <Path<i64> as OperationInput>::describe);
    assert_eq!(
        doc["parameters"],
        json!([{
            "name": "id", "in": "path", "required": true,
            "schema": {
                "type": "integer", "format": "int64",
                "minimum": i64::MIN, "maximum": i64::MAX,
            },
        }])
    );
    assert_eq!(doc["responses"]["400"], error_response(BAD_PATH));

    type Describe = fn(&mut Operation<'_>);
    let cases: [(Describe, Value); 6] = [
        (
            <Path<u64> as OperationInput>::describe,
            json!({"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX}),
        ),
        (
            <Path<u8> as OperationInput>::describe,
            json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255}),
        ),
        (
            <Path<i16> as OperationInput>::describe,
            json!({"type": "integer", "format": "int16", "minimum": -32768, "maximum": 32767}),
        ),
        (
            // Wider than a JSON number as utoipa writes one: the bound that fits.
            <Path<u128> as OperationInput>::describe,
            json!({"type": "integer", "format": "uint128", "minimum": 0}),
        ),
        (
            <Path<char> as OperationInput>::describe,
            json!({"type": "string", "minLength": 1, "maxLength": 1}),
        ),
        (
            <Path<String> as OperationInput>::describe,
            json!({"type": "string"}),
        ),
    ];
    for (describe, schema) in cases {
        let (doc, _) = described(&["id"], describe);
        assert_eq!(doc["parameters"][0]["schema"], schema);
    }
}

#[test]
fn a_path_tuple_takes_the_patterns_parameters_in_order() {
    let (doc, _) = described(
        &["org", "n"],
        <Path<(String, u8)> as OperationInput>::describe,
    );
    let params = doc["parameters"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(Value, Value)> = params
        .iter()
        .map(|p| (p["name"].clone(), p["schema"]["type"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!("org"), json!("string")),
            (json!("n"), json!("integer"))
        ]
    );
}

#[test]
fn a_path_struct_names_its_parameters() {
    #[derive(serde::Deserialize, utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Key {
        id: u64,
        org: String,
    }
    impl PathParams for Key {
        fn describe(op: &mut Operation<'_>) {
            op.path_parameters_of::<Key>();
        }
    }
    let (doc, _) = described(&["org", "id"], <Path<Key> as OperationInput>::describe);
    let names: Vec<&Value> = doc["parameters"]
        .as_array()
        .map(|a| a.iter().map(|p| &p["name"]).collect())
        .unwrap_or_default();
    assert_eq!(names, [&json!("id"), &json!("org")]);
}

#[test]
fn axums_own_path_rejects_with_plain_text() {
    let (doc, _) = described(
        &["id"],
        <axum::extract::Path<u64> as OperationInput>::describe,
    );
    assert_eq!(
        doc["responses"]["400"]["content"],
        json!({"text/plain": {"schema": {"type": "string"}}})
    );
}

#[test]
fn a_query_struct_is_one_parameter_per_field_required_unless_optional() {
    let (doc, _) = described(&[], <Query<Page> as OperationInput>::describe);
    let params: Vec<(Value, Value)> = doc["parameters"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p["name"].clone(), p["required"].clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        params,
        [
            (json!("page"), json!(true)),
            (json!("per_page"), json!(false))
        ]
    );
    assert!(
        doc["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["in"] == "query")
    );
    assert_eq!(doc["responses"]["400"], error_response(BAD_QUERY));
}

#[test]
fn a_query_map_is_one_free_form_parameter() {
    let (doc, _) = described(
        &[],
        <Query<std::collections::HashMap<String, String>> as OperationInput>::describe,
    );
    assert_eq!(
        doc["parameters"],
        json!([{
            "name": "query", "in": "query", "required": false, "style": "form", "explode": true,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}, "propertyNames": {"type": "string"}},
        }])
    );
}

#[test]
fn a_json_body_refers_to_its_schema_and_records_what_that_refers_to() {
    let (doc, schemas) = described(&[], <Json<Post> as OperationInput>::describe);
    assert_eq!(
        doc["requestBody"],
        json!({
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}},
            "required": true,
        })
    );
    let statuses: Vec<&String> = doc["responses"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["400", "413", "415", "422"]);
    assert_eq!(
        doc["responses"]["415"],
        error_response("the body is not `application/json`")
    );
    let names: Vec<&String> = schemas
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["Author", "Error", "FieldError", "Post"]);
    assert_eq!(
        schemas["Post"]["properties"]["author"],
        json!({"$ref": "#/components/schemas/Author"})
    );
}

#[test]
fn an_auth_user_is_a_bearer_requirement_and_a_401() {
    let (doc, _) = described(&[], <AuthUser as OperationInput>::describe);
    assert_eq!(doc["secured"], true);
    let mut expected = error_response("no valid bearer token");
    expected["headers"] = json!({
        "www-authenticate": {"description": "`Bearer`", "schema": {"type": "string"}},
    });
    assert_eq!(doc["responses"]["401"], expected);
}

#[test]
fn state_and_request_metadata_describe_nothing() {
    fn all(op: &mut Operation<'_>) {
        <State<u8> as OperationInput>::describe(op);
        <HeaderMap as OperationInput>::describe(op);
        <Method as OperationInput>::describe(op);
        <Extension<u8> as OperationInput>::describe(op);
    }
    let (doc, schemas) = described(&[], all);
    assert_eq!(
        doc,
        json!({"parameters": [], "requestBody": null, "responses": {}, "secured": false})
    );
    assert_eq!(schemas, json!({}));
}

#[test]
fn responses_carry_their_status_media_type_and_schema() {
    type Describe = fn(&mut Operation<'_>);
    let cases: [(Describe, &str, Value); 6] = [
        (
            <Json<Vec<Author>> as OperationOutput>::describe,
            "200",
            // A collection's items are written out: utoipa names a derived type, not a `Vec` of it.
            json!({"application/json": {"schema": {"type": "array", "items": {
                "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}},
            }}}}),
        ),
        (
            <Created<Post> as OperationOutput>::describe,
            "201",
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}),
        ),
        (<NoContent as OperationOutput>::describe, "204", Value::Null),
        (
            <String as OperationOutput>::describe,
            "200",
            json!({"text/plain": {"schema": {"type": "string"}}}),
        ),
        (
            <Html<&'static str> as OperationOutput>::describe,
            "200",
            json!({"text/html": {"schema": {"type": "string"}}}),
        ),
        (
            <ChopinError as OperationOutput>::describe,
            "default",
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}),
        ),
    ];
    for (describe, status, content) in cases {
        let (doc, _) = described(&[], describe);
        let responses = doc["responses"].as_object().cloned().unwrap_or_default();
        assert_eq!(responses.len(), 1, "{responses:?}");
        assert_eq!(responses[status]["content"], content, "{status}");
    }
    let (doc, _) = described(&[], <Created<Post> as OperationOutput>::describe);
    assert_eq!(
        doc["responses"]["201"]["headers"]["location"]["schema"],
        json!({"type": "string"})
    );
}

#[test]
fn a_status_chosen_at_run_time_makes_the_body_the_default_response() {
    let (doc, _) = described(
        &[],
        <Result<(StatusCode, Json<Post>), (StatusCode, String)> as OperationOutput>::describe,
    );
    let responses = doc["responses"].as_object().cloned().unwrap_or_default();
    assert_eq!(responses.keys().collect::<Vec<_>>(), ["default"]);
    assert_eq!(
        responses["default"]["content"],
        json!({
            "application/json": {"schema": {"$ref": "#/components/schemas/Post"}},
            "text/plain": {"schema": {"type": "string"}},
        })
    );
}

#[test]
fn a_result_describes_both_sides() {
    let (doc, _) = described(
        &[],
        <Result<Json<Post>, ChopinError> as OperationOutput>::describe,
    );
    let statuses: Vec<&String> = doc["responses"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["200", "default"]);
}

#[test]
fn two_types_with_one_name_are_not_confused() {
    mod a {
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub(super) struct Item {
            pub(super) x: u8,
        }
    }
    mod b {
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub(super) struct Item {
            pub(super) y: String,
        }
    }
    fn both(op: &mut Operation<'_>) {
        <Json<a::Item> as OperationInput>::describe(op);
        <Json<b::Item> as OperationOutput>::describe(op);
    }
    let (doc, schemas) = described(&[], both);
    assert_eq!(
        doc["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Item"})
    );
    // The second `Item` cannot have the name: it is written out where it is used.
    assert_eq!(
        doc["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["y"],
        json!({"type": "string"})
    );
    assert_eq!(schemas["Item"]["required"], json!(["x"]));
}

#[test]
fn a_response_built_by_hand_is_any_response() {
    let (doc, _) = described(&[], <Response as OperationOutput>::describe);
    assert_eq!(
        doc["responses"],
        json!({"default": {"description": "any response: the handler builds it by hand"}})
    );
}

#[cfg(feature = "ws")]
#[test]
fn a_websocket_upgrade_answers_101_and_its_response_is_the_upgrade() {
    fn chat(op: &mut Operation<'_>) {
        <crate::ws::WebSocketUpgrade as OperationInput>::describe(op);
        <Result<Response, ChopinError> as OperationOutput>::describe(op);
    }
    let (doc, _) = described(&[], chat);
    let responses = &doc["responses"];
    assert_eq!(
        responses["101"],
        json!({
            "description": "Switching Protocols: the connection continues as a websocket connection",
            "headers": {"upgrade": {"schema": {"type": "string"}, "description": "`websocket`"}},
        })
    );
    let statuses: Vec<&String> = responses
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    // No `200`, and the `Response` adds no "any response": the handler's errors are the default.
    assert_eq!(statuses, ["101", "400", "426", "default"]);
    assert_eq!(
        responses["400"]["content"]["text/plain"]["schema"],
        json!({"type": "string"})
    );
    assert_eq!(
        responses["default"],
        error_response("an error: the status says which, the body says why")
    );
}
