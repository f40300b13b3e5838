//! The description as a document: its `info`, and the check that every `$ref` in it resolves.

use utoipa::openapi::OpenApi;

/// The description's `info`: title, version and description.
///
/// By default they are the Cargo metadata (`name`, `version`, `description`) of the crate that
/// declares the first mounted module; [`App::openapi_info`](crate::App::openapi_info) sets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the API's version.
    pub version: String,
    /// `info.description`, in Markdown.
    pub description: Option<String>,
}

impl Info {
    /// An `info` with this title and version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Info {
        Info {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// Adds a description.
    pub fn description(mut self, description: impl Into<String>) -> Info {
        self.description = Some(description.into());
        self
    }
}

/// The `$ref`s of a description that point at nothing it defines. A `ToSchema` written by hand
/// that refers to a type without listing it in `schemas()` makes one; derived ones never do.
pub fn unresolved_refs(spec: &OpenApi) -> Vec<String> {
    fn walk(v: &serde_json::Value, root: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    let target = r
                        .strip_prefix('#')
                        .and_then(|pointer| root.pointer(pointer));
                    if target.is_none() && !out.contains(r) {
                        out.push(r.clone());
                    }
                }
                map.values().for_each(|v| walk(v, root, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, root, out)),
            _ => {}
        }
    }
    let root = serde_json::to_value(spec).unwrap_or_default();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}
