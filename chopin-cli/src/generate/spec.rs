//! What `chopin generate module` is asked for, checked on its own: the module's name, the model's
//! name and its fields. Everything that needs the project (a name already taken) is checked in
//! `project.rs`. Each refusal says what is wrong and what is accepted.

use crate::name::KEYWORDS;

/// A field's type, as written on the command line (`amount:i64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldType {
    String,
    Text,
    Email,
    I16,
    I32,
    I64,
    F32,
    F64,
    Bool,
    Date,
    DateTime,
}

/// Every accepted type, by the name the command line uses.
const TYPES: &[(&str, FieldType)] = &[
    ("string", FieldType::String),
    ("text", FieldType::Text),
    ("email", FieldType::Email),
    ("i16", FieldType::I16),
    ("i32", FieldType::I32),
    ("i64", FieldType::I64),
    ("f32", FieldType::F32),
    ("f64", FieldType::F64),
    ("bool", FieldType::Bool),
    ("date", FieldType::Date),
    ("datetime", FieldType::DateTime),
];

impl FieldType {
    /// The field's Rust type in the model.
    pub(crate) fn rust(self) -> &'static str {
        match self {
            FieldType::String | FieldType::Text | FieldType::Email => "String",
            FieldType::I16 => "i16",
            FieldType::I32 => "i32",
            FieldType::I64 => "i64",
            FieldType::F32 => "f32",
            FieldType::F64 => "f64",
            FieldType::Bool => "bool",
            FieldType::Date => "Date",
            FieldType::DateTime => "DateTimeUtc",
        }
    }

    /// The field's `#[model(..)]` keys: `string` is a `varchar(255)`, `text` an unbounded `text`.
    pub(crate) fn attrs(self) -> &'static str {
        match self {
            FieldType::String => "max_len = 255",
            FieldType::Email => "email, max_len = 255",
            _ => "",
        }
    }

    /// A valid value, as a JSON literal, for the generated tests; `second` is another one.
    pub(crate) fn sample(self, field: &str, second: bool) -> String {
        let pick = |a: &str, b: &str| if second { b } else { a }.to_owned();
        match self {
            FieldType::String | FieldType::Text => {
                format!(
                    "\"{} {}\"",
                    field.replace('_', " "),
                    if second { 2 } else { 1 }
                )
            }
            FieldType::Email => pick("\"ada@example.com\"", "\"bob@example.com\""),
            FieldType::I16 | FieldType::I32 | FieldType::I64 => pick("7", "8"),
            FieldType::F32 | FieldType::F64 => pick("1.5", "2.5"),
            FieldType::Bool => pick("true", "false"),
            FieldType::Date => pick("\"2024-01-31\"", "\"2024-02-29\""),
            FieldType::DateTime => pick("\"2024-01-31T12:00:00Z\"", "\"2024-02-29T12:00:00Z\""),
        }
    }
}

/// One field of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: FieldType,
}

/// A module to generate, its names checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// The module's folder, table and `#[chopin::module(name)]`: `line_items`.
    pub(crate) name: String,
    /// Its routes' path: `/line-items`.
    pub(crate) path: String,
    /// The module's type: `LineItems`.
    pub(crate) module_type: String,
    /// The model's struct: `LineItem`.
    pub(crate) model: String,
    /// The module `#[chopin::model]` puts beside it: `line_item`.
    pub(crate) model_snake: String,
    pub(crate) fields: Vec<Field>,
    /// Whether each row belongs to a user.
    pub(crate) auth: bool,
}

/// Names the generated code uses from the prelude, `chopin::auth` and its own items: a model
/// named like one would hide it.
const TAKEN_TYPES: &[&str] = &[
    "App",
    "AuthModule",
    "AuthUser",
    "Bypass",
    "ChopinError",
    "Config",
    "Created",
    "Date",
    "DateTimeUtc",
    "Db",
    "Json",
    "NoContent",
    "Page",
    "Pagination",
    "Path",
    "User",
];

/// Fields every generated model has already.
const WRITTEN_FIELDS: &[&str] = &["id", "owner_id", "created_at", "updated_at"];

/// Checks `name` and `model` (`--model MODEL FIELD:TYPE ...`, empty for the default): `Err` says
/// why it is refused.
pub(crate) fn parse(name: &str, model: &[String], auth: bool) -> Result<Spec, String> {
    check_ident(name, "module name", "such as `invoices` or `line_items`")?;
    let module_type = upper_camel(name);
    let (model, fields) = match model.split_first() {
        Some((model, fields)) => (model.clone(), fields),
        None => {
            let singular = name
                .strip_suffix('s')
                .filter(|s| !s.is_empty() && !s.ends_with('_'));
            let Some(singular) = singular else {
                return Err(format!(
                    "no model named for `{name}`: pass `--model Model field:type ...`, such as \
                     `--model Invoice number:string amount:i64`"
                ));
            };
            (upper_camel(singular), &[][..])
        }
    };
    check_model(&model)?;
    if model == module_type {
        return Err(format!(
            "the model `{model}` would have the name of the module's type: name the module in \
             the plural (`{}s`) or the model otherwise",
            snake_case(&model)
        ));
    }
    let model_snake = snake_case(&model);
    let mut parsed: Vec<Field> = Vec::new();
    for spec in fields {
        let field = parse_field(spec)?;
        if parsed.iter().any(|f| f.name == field.name) {
            return Err(format!(
                "the field `{}` is named twice: each field once",
                field.name
            ));
        }
        parsed.push(field);
    }
    if parsed.is_empty() {
        parsed.push(Field {
            name: "name".to_owned(),
            ty: FieldType::String,
        });
    }
    Ok(Spec {
        path: format!("/{}", name.replace('_', "-")),
        name: name.to_owned(),
        module_type,
        model,
        model_snake,
        fields: parsed,
        auth,
    })
}

/// `name:type`.
fn parse_field(spec: &str) -> Result<Field, String> {
    let Some((name, ty)) = spec.split_once(':') else {
        return Err(format!(
            "`{spec}` is not a field: write `name:type`, such as `amount:i64`"
        ));
    };
    check_ident(name, "field name", "such as `amount` or `paid_at`")?;
    if WRITTEN_FIELDS.contains(&name) {
        return Err(format!(
            "the field `{name}` is one every generated model has already (`id`, `owner_id` \
             with `--auth`, `created_at`, `updated_at`): name it otherwise"
        ));
    }
    let Some(&(_, ty)) = TYPES.iter().find(|(t, _)| *t == ty) else {
        let accepted: Vec<String> = TYPES.iter().map(|(t, _)| format!("`{t}`")).collect();
        return Err(format!(
            "`{ty}` (of the field `{name}`) is not a field type: one of {}",
            accepted.join(", ")
        ));
    };
    Ok(Field {
        name: name.to_owned(),
        ty,
    })
}

/// A lowercase Rust identifier that is no keyword.
fn check_ident(name: &str, what: &str, example: &str) -> Result<(), String> {
    let accepted = format!(
        "a {what} is lowercase ASCII letters, digits and `_`, starting with a letter, {example}"
    );
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let all_accepted = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_with_letter || !all_accepted {
        return Err(format!("`{name}` is not a valid {what}: {accepted}"));
    }
    if KEYWORDS.contains(&name) {
        return Err(format!(
            "`{name}` is not a valid {what}: it is a Rust keyword"
        ));
    }
    Ok(())
}

/// An UpperCamelCase name, whose snake case (the module `#[chopin::model]` makes) is no keyword
/// and which hides nothing the generated code uses.
fn check_model(model: &str) -> Result<(), String> {
    let accepted = "a model name is UpperCamelCase: ASCII letters and digits, starting with an \
                    uppercase letter, no two uppercase letters in a row, such as `Invoice` or \
                    `LineItem`";
    let mut chars = model.chars();
    let starts_upper = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let alnum = model.chars().all(|c| c.is_ascii_alphanumeric());
    let no_run = !model
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
    if !starts_upper || !alnum || !no_run {
        return Err(format!("`{model}` is not a valid model name: {accepted}"));
    }
    let snake = snake_case(model);
    if KEYWORDS.contains(&snake.as_str()) || model == "Self" {
        return Err(format!(
            "`{model}` is not a valid model name: `#[chopin::model]` makes a module `{snake}` \
             beside it, and that is a Rust keyword"
        ));
    }
    if TAKEN_TYPES.contains(&model) {
        return Err(format!(
            "`{model}` is not a valid model name: the generated code uses Chopin's `{model}`, \
             which the model would hide"
        ));
    }
    Ok(())
}

/// `line_items` → `LineItems`.
fn upper_camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `LineItem` → `line_item`, as `#[chopin::model]` names the module beside a model: a copy of
/// `chopin_codegen::names::snake_case` for the ASCII names a model may have here, so that the
/// command does not build the code generator; a test checks that both agree.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Field, FieldType, parse};

    #[test]
    fn models_modules_are_named_as_the_model_attribute_names_them() {
        for model in ["Invoice", "LineItem", "A", "HTTPLog", "Item2", "ABTest"] {
            assert_eq!(
                super::snake_case(model),
                chopin_codegen::names::snake_case(model),
                "{model}"
            );
        }
    }

    #[test]
    fn names_follow_from_the_module_and_the_model() {
        let spec = parse(
            "line_items",
            &[
                "LineItem".to_owned(),
                "qty:i32".to_owned(),
                "due:date".to_owned(),
            ],
            true,
        )
        .expect("valid");
        assert_eq!(spec.path, "/line-items");
        assert_eq!(spec.module_type, "LineItems");
        assert_eq!(spec.model, "LineItem");
        assert_eq!(spec.model_snake, "line_item");
        assert_eq!(
            spec.fields,
            [
                Field {
                    name: "qty".to_owned(),
                    ty: FieldType::I32
                },
                Field {
                    name: "due".to_owned(),
                    ty: FieldType::Date
                },
            ]
        );
        assert!(spec.auth);
    }

    #[test]
    fn without_a_model_the_name_in_the_singular_with_a_name() {
        let spec = parse("tasks", &[], false).expect("valid");
        assert_eq!(
            (spec.model.as_str(), spec.module_type.as_str()),
            ("Task", "Tasks")
        );
        assert_eq!(
            spec.fields,
            [Field {
                name: "name".to_owned(),
                ty: FieldType::String
            }]
        );
        assert_eq!(
            parse("stock", &[], false),
            Err(
                "no model named for `stock`: pass `--model Model field:type ...`, such as \
                 `--model Invoice number:string amount:i64`"
                    .to_owned()
            )
        );
    }

    #[test]
    fn sample_values_differ() {
        for ty in [
            FieldType::String,
            FieldType::Text,
            FieldType::Email,
            FieldType::I16,
            FieldType::F64,
            FieldType::Bool,
            FieldType::Date,
            FieldType::DateTime,
        ] {
            assert_ne!(ty.sample("x", false), ty.sample("x", true), "{ty:?}");
        }
    }
}
