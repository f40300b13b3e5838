//! The operations a migration file lists: backend-neutral, read and written as TOML, and
//! translated to each backend's SQL only when applied.
//!
//! Column types are spelled in SeaQuery's vocabulary, in snake case: `integer`, `big_integer`,
//! `string(200)`, `string` (no limit), `text`, `boolean`, `timestamp_tz`, `decimal(10, 2)`,
//! `array(integer)`, `custom(citext)`. Each backend renders them as its own type when applied.

use std::fmt::Write as _;

use sea_orm::sea_query::{Alias, ColumnType, Expr, ForeignKeyAction, RcOrArc, StringLen};
use sea_orm::{DbBackend, Value};
use serde::{Deserialize, Serialize};

/// One step of a migration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Operation {
    /// A new table with its columns, primary key and foreign keys (indexes follow as
    /// `create_index`).
    CreateTable {
        table: String,
        columns: Vec<Column>,
        /// A primary key of several columns; one column's is marked on the column.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        primary_key: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        foreign_keys: Vec<ForeignKey>,
    },
    /// Drops a table and its rows: destructive.
    DropTable { table: String },
    /// Renames a table, keeping its rows (`renamed_from` on the model).
    RenameTable { table: String, to: String },
    /// Adds a column to an existing table.
    AddColumn { table: String, column: Column },
    /// Drops a column and its values: destructive.
    DropColumn { table: String, column: String },
    /// Renames a column, keeping its values (`renamed_from` on the field).
    RenameColumn {
        table: String,
        column: String,
        to: String,
    },
    /// Changes a column's type, nullability, default or uniqueness: `column` is the column as it
    /// becomes.
    AlterColumn { table: String, column: Column },
    /// Creates an index.
    CreateIndex {
        table: String,
        name: String,
        columns: Vec<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        unique: bool,
    },
    /// Drops an index.
    DropIndex { table: String, name: String },
    /// Adds a foreign key to an existing table.
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    /// Drops a foreign key.
    DropForeignKey { table: String, name: String },
    /// SQL written by hand, for each backend the application runs on: a data migration, or
    /// what the operations above cannot say. A backend without its SQL refuses the file.
    /// It changes no table the other operations know of.
    RunSql {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sqlite: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postgres: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mysql: Option<String>,
    },
}

/// A column as a migration file writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Column {
    pub(crate) name: String,
    /// The type, in the vocabulary of this module's documentation.
    #[serde(rename = "type")]
    pub(crate) ty: String,
    /// Whether the column takes `NULL`; columns are `NOT NULL` unless it says so.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default: Option<DefaultValue>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) primary_key: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) auto_increment: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) unique: bool,
}

/// A column's default: a literal, or an SQL expression the backends share
/// (`{ sql = "CURRENT_TIMESTAMP" }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum DefaultValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Sql { sql: String },
}

/// A foreign key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForeignKey {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    /// The table it references.
    pub(crate) references: String,
    pub(crate) ref_columns: Vec<String>,
    /// `cascade`, `set_null`, `restrict`, `set_default` or `no_action` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) on_update: Option<String>,
}

/// An index of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) unique: bool,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if"
)]
fn is_false(b: &bool) -> bool {
    !*b
}

impl Operation {
    /// What it does, in words: "add column `posts`.`summary`".
    pub(crate) fn describe(&self) -> String {
        match self {
            Operation::CreateTable { table, .. } => format!("create table `{table}`"),
            Operation::DropTable { table } => format!("drop table `{table}`"),
            Operation::RenameTable { table, to } => format!("rename table `{table}` to `{to}`"),
            Operation::AddColumn { table, column } => {
                format!("add column `{table}`.`{}`", column.name)
            }
            Operation::DropColumn { table, column } => format!("drop column `{table}`.`{column}`"),
            Operation::RenameColumn { table, column, to } => {
                format!("rename column `{table}`.`{column}` to `{to}`")
            }
            Operation::AlterColumn { table, column } => {
                format!("alter column `{table}`.`{}`", column.name)
            }
            Operation::CreateIndex {
                table,
                name,
                columns,
                unique,
            } => format!(
                "create {}index `{name}` on `{table}` ({})",
                if *unique { "unique " } else { "" },
                ticks(columns)
            ),
            Operation::DropIndex { table, name } => format!("drop index `{name}` of `{table}`"),
            Operation::AddForeignKey { table, foreign_key } => format!(
                "add foreign key `{}` from `{table}` ({}) to `{}` ({})",
                foreign_key.name,
                ticks(&foreign_key.columns),
                foreign_key.references,
                ticks(&foreign_key.ref_columns)
            ),
            Operation::DropForeignKey { table, name } => {
                format!("drop foreign key `{name}` of `{table}`")
            }
            Operation::RunSql { .. } => "run SQL written by hand".to_owned(),
        }
    }
}

/// `` `a`, `b` ``.
pub(super) fn ticks(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A foreign-key action as a file writes it.
pub(super) fn action_name(action: ForeignKeyAction) -> &'static str {
    match action {
        ForeignKeyAction::Cascade => "cascade",
        ForeignKeyAction::SetNull => "set_null",
        ForeignKeyAction::Restrict => "restrict",
        ForeignKeyAction::SetDefault => "set_default",
        _ => "no_action",
    }
}

/// A foreign-key action a file names.
pub(super) fn parse_action(name: &str) -> Result<ForeignKeyAction, String> {
    Ok(match name {
        "cascade" => ForeignKeyAction::Cascade,
        "set_null" => ForeignKeyAction::SetNull,
        "restrict" => ForeignKeyAction::Restrict,
        "set_default" => ForeignKeyAction::SetDefault,
        "no_action" => ForeignKeyAction::NoAction,
        other => {
            return Err(format!(
                "unknown foreign-key action `{other}` (one of cascade, set_null, restrict, \
                 set_default, no_action)"
            ));
        }
    })
}

/// A model's column type in the files' vocabulary.
pub(crate) fn type_name(ty: &ColumnType) -> String {
    let len = |len: &StringLen| match len {
        StringLen::N(n) => format!("({n})"),
        StringLen::Max => "(max)".to_owned(),
        StringLen::None => String::new(),
    };
    let opt = |n: &Option<u32>| n.map(|n| format!("({n})")).unwrap_or_default();
    let pair = |p: &Option<(u32, u32)>| p.map(|(p, s)| format!("({p}, {s})")).unwrap_or_default();
    match ty {
        ColumnType::Char(n) => format!("char{}", opt(n)),
        ColumnType::String(l) => format!("string{}", len(l)),
        ColumnType::Text => "text".to_owned(),
        ColumnType::Blob => "blob".to_owned(),
        ColumnType::TinyInteger => "tiny_integer".to_owned(),
        ColumnType::SmallInteger => "small_integer".to_owned(),
        ColumnType::Integer => "integer".to_owned(),
        ColumnType::BigInteger => "big_integer".to_owned(),
        ColumnType::TinyUnsigned => "tiny_unsigned".to_owned(),
        ColumnType::SmallUnsigned => "small_unsigned".to_owned(),
        ColumnType::Unsigned => "unsigned".to_owned(),
        ColumnType::BigUnsigned => "big_unsigned".to_owned(),
        ColumnType::Float => "float".to_owned(),
        ColumnType::Double => "double".to_owned(),
        ColumnType::Decimal(p) => format!("decimal{}", pair(p)),
        ColumnType::DateTime => "datetime".to_owned(),
        ColumnType::Timestamp => "timestamp".to_owned(),
        ColumnType::TimestampWithTimeZone => "timestamp_tz".to_owned(),
        ColumnType::Time => "time".to_owned(),
        ColumnType::Date => "date".to_owned(),
        ColumnType::Year => "year".to_owned(),
        ColumnType::Interval(_, _) => "interval".to_owned(),
        ColumnType::Binary(n) => format!("binary({n})"),
        ColumnType::VarBinary(l) => format!("varbinary{}", len(l)),
        ColumnType::Bit(n) => format!("bit{}", opt(n)),
        ColumnType::VarBit(n) => format!("varbit({n})"),
        ColumnType::Boolean => "boolean".to_owned(),
        ColumnType::Money(p) => format!("money{}", pair(p)),
        ColumnType::Json => "json".to_owned(),
        ColumnType::JsonBinary => "jsonb".to_owned(),
        ColumnType::Uuid => "uuid".to_owned(),
        ColumnType::Custom(name) => format!("custom({name})"),
        ColumnType::Enum { name, variants } => {
            let mut s = format!("enum({name}:");
            for (i, v) in variants.iter().enumerate() {
                let _ = write!(s, "{} {v}", if i == 0 { "" } else { "," });
            }
            s.push(')');
            s
        }
        ColumnType::Array(inner) => format!("array({})", type_name(inner)),
        ColumnType::Vector(n) => format!("vector{}", opt(n)),
        ColumnType::Cidr => "cidr".to_owned(),
        ColumnType::Inet => "inet".to_owned(),
        ColumnType::MacAddr => "macaddr".to_owned(),
        ColumnType::LTree => "ltree".to_owned(),
        other => format!("custom({other:?})"),
    }
}

/// A type a file names, as SeaQuery's column type.
pub(crate) fn parse_type(name: &str) -> Result<ColumnType, String> {
    let name = name.trim();
    let (base, args) = match name.find('(') {
        Some(open) if name.ends_with(')') => (&name[..open], Some(&name[open + 1..name.len() - 1])),
        Some(_) => return Err(format!("unknown column type `{name}`")),
        None => (name, None),
    };
    let bad = || format!("unknown column type `{name}`");
    let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    let one = || -> Result<Option<u32>, String> { args.map(number).transpose() };
    let len = || -> Result<StringLen, String> {
        Ok(match args.map(str::trim) {
            None => StringLen::None,
            Some("max") => StringLen::Max,
            Some(n) => StringLen::N(number(n)?),
        })
    };
    let pair = || -> Result<Option<(u32, u32)>, String> {
        args.map(|a| match a.split_once(',') {
            Some((p, s)) => Ok((number(p)?, number(s)?)),
            None => Err(bad()),
        })
        .transpose()
    };
    let bare = |ty: ColumnType| if args.is_some() { Err(bad()) } else { Ok(ty) };
    match base {
        "char" => Ok(ColumnType::Char(one()?)),
        "string" => Ok(ColumnType::String(len()?)),
        "text" => bare(ColumnType::Text),
        "blob" => bare(ColumnType::Blob),
        "tiny_integer" => bare(ColumnType::TinyInteger),
        "small_integer" => bare(ColumnType::SmallInteger),
        "integer" => bare(ColumnType::Integer),
        "big_integer" => bare(ColumnType::BigInteger),
        "tiny_unsigned" => bare(ColumnType::TinyUnsigned),
        "small_unsigned" => bare(ColumnType::SmallUnsigned),
        "unsigned" => bare(ColumnType::Unsigned),
        "big_unsigned" => bare(ColumnType::BigUnsigned),
        "float" => bare(ColumnType::Float),
        "double" => bare(ColumnType::Double),
        "decimal" => Ok(ColumnType::Decimal(pair()?)),
        "datetime" => bare(ColumnType::DateTime),
        "timestamp" => bare(ColumnType::Timestamp),
        "timestamp_tz" => bare(ColumnType::TimestampWithTimeZone),
        "time" => bare(ColumnType::Time),
        "date" => bare(ColumnType::Date),
        "year" => bare(ColumnType::Year),
        "interval" => bare(ColumnType::Interval(None, None)),
        "binary" => Ok(ColumnType::Binary(one()?.ok_or_else(bad)?)),
        "varbinary" => Ok(ColumnType::VarBinary(len()?)),
        "bit" => Ok(ColumnType::Bit(one()?)),
        "varbit" => Ok(ColumnType::VarBit(one()?.ok_or_else(bad)?)),
        "boolean" => bare(ColumnType::Boolean),
        "money" => Ok(ColumnType::Money(pair()?)),
        "json" => bare(ColumnType::Json),
        "jsonb" => bare(ColumnType::JsonBinary),
        "uuid" => bare(ColumnType::Uuid),
        "cidr" => bare(ColumnType::Cidr),
        "inet" => bare(ColumnType::Inet),
        "macaddr" => bare(ColumnType::MacAddr),
        "ltree" => bare(ColumnType::LTree),
        "vector" => Ok(ColumnType::Vector(one()?)),
        "custom" => Ok(ColumnType::custom(args.ok_or_else(bad)?.trim().to_owned())),
        "array" => Ok(ColumnType::Array(RcOrArc::new(parse_type(
            args.ok_or_else(bad)?,
        )?))),
        "enum" => {
            let (enum_name, variants) = args.and_then(|a| a.split_once(':')).ok_or_else(bad)?;
            Ok(ColumnType::Enum {
                name: Alias::new(enum_name.trim()).into(),
                variants: variants
                    .split(',')
                    .map(|v| Alias::new(v.trim()).into())
                    .collect(),
            })
        }
        _ => Err(bad()),
    }
}

impl DefaultValue {
    /// A model's default, as SeaQuery holds it: a literal value, or an expression this
    /// renders for `backend` as SQL.
    pub(super) fn of(expr: &Expr, backend: DbBackend) -> DefaultValue {
        match expr {
            Expr::Value(Value::Bool(Some(b))) => DefaultValue::Bool(*b),
            Expr::Value(Value::TinyInt(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::SmallInt(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::Int(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::BigInt(Some(n))) => DefaultValue::Int(*n),
            Expr::Value(Value::TinyUnsigned(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::SmallUnsigned(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::Unsigned(Some(n))) => DefaultValue::Int(i64::from(*n)),
            Expr::Value(Value::Float(Some(n))) => DefaultValue::Float(f64::from(*n)),
            Expr::Value(Value::Double(Some(n))) => DefaultValue::Float(*n),
            Expr::Value(Value::String(Some(s))) => DefaultValue::Text(s.to_string()),
            other => {
                let select = sea_orm::sea_query::Query::select()
                    .expr(other.clone())
                    .take();
                let sql = backend.build(&select).to_string();
                DefaultValue::Sql {
                    sql: sql.trim_start_matches("SELECT ").to_owned(),
                }
            }
        }
    }

    /// The default as SeaQuery's expression.
    pub(super) fn expr(&self) -> Expr {
        match self {
            DefaultValue::Bool(b) => Expr::val(*b),
            DefaultValue::Int(n) => Expr::val(*n),
            DefaultValue::Float(n) => Expr::val(*n),
            DefaultValue::Text(s) => Expr::val(s.clone()),
            DefaultValue::Sql { sql } => Expr::cust(sql.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_reads_back_as_its_type() {
        let types = [
            ColumnType::Char(None),
            ColumnType::Char(Some(3)),
            ColumnType::String(StringLen::None),
            ColumnType::String(StringLen::N(200)),
            ColumnType::String(StringLen::Max),
            ColumnType::Text,
            ColumnType::Blob,
            ColumnType::TinyInteger,
            ColumnType::SmallInteger,
            ColumnType::Integer,
            ColumnType::BigInteger,
            ColumnType::BigUnsigned,
            ColumnType::Float,
            ColumnType::Double,
            ColumnType::Decimal(None),
            ColumnType::Decimal(Some((10, 2))),
            ColumnType::DateTime,
            ColumnType::TimestampWithTimeZone,
            ColumnType::Date,
            ColumnType::Time,
            ColumnType::Binary(16),
            ColumnType::VarBinary(StringLen::N(64)),
            ColumnType::Boolean,
            ColumnType::Json,
            ColumnType::JsonBinary,
            ColumnType::Uuid,
            ColumnType::custom("citext"),
            ColumnType::Array(RcOrArc::new(ColumnType::Integer)),
        ];
        for ty in types {
            let name = type_name(&ty);
            assert_eq!(parse_type(&name).as_ref(), Ok(&ty), "{name}");
        }
        assert_eq!(
            type_name(&ColumnType::Decimal(Some((10, 2)))),
            "decimal(10, 2)"
        );
        assert_eq!(
            parse_type("strin(20)"),
            Err("unknown column type `strin(20)`".to_owned())
        );
        assert!(parse_type("text(5)").is_err());
        assert!(parse_type("string(x)").is_err());
    }
}
