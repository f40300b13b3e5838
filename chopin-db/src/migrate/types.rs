//! Types: column types read into one vocabulary shared by the backends, and whether a change
//! between two of them could lose data.

use sea_orm::DbBackend;
use sea_orm::sea_query::backend::TableBuilder;
use sea_orm::sea_query::{ColumnType, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};

/// A column type, read from the text a backend reports or SeaQuery renders, in a vocabulary
/// shared by both backends. Sizes: bytes for integers and floats, characters for strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ty {
    Int(u8),
    Float(u8),
    /// `numeric(precision, scale)`, or `numeric` without limits.
    Numeric(Option<(u32, u32)>),
    /// Fixed-length `char(n)`.
    Char(Option<u32>),
    /// `varchar(n)`, or `varchar` without a limit.
    Varchar(Option<u32>),
    Text,
    Bool,
    /// `bytea`, `blob`, `blob(n)`.
    Bytes(Option<u32>),
    Timestamp {
        tz: bool,
    },
    Date,
    Time,
    Json,
    Jsonb,
    Uuid,
    Array(Box<Ty>),
    /// Anything else, by its normalized name.
    Other(String),
}

/// How a column's type changes from the database's to the model's.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TypeChange {
    /// The same type, however spelled.
    Same,
    /// A change that keeps every value (`varchar(100)` to `varchar(200)`).
    Wider,
    /// A change that could lose data, or that cannot be shown not to.
    Lossy,
    /// One side is a type migrate does not know: treated as unchanged.
    Unknown,
}

/// The type text SeaQuery writes for `ty` on `backend`, as in its `CREATE TABLE`; on MySQL,
/// of the type `migrate` gives the column there ([`super::mysql::column_type`]).
pub(super) fn render_type(backend: DbBackend, ty: &ColumnType) -> String {
    let mut sql = String::new();
    match backend {
        DbBackend::MySql => {
            <MysqlQueryBuilder as TableBuilder>::prepare_column_type(
                &MysqlQueryBuilder,
                &super::mysql::column_type(ty),
                &mut sql,
            );
        }
        DbBackend::Postgres => {
            <PostgresQueryBuilder as TableBuilder>::prepare_column_type(
                &PostgresQueryBuilder,
                ty,
                &mut sql,
            );
        }
        _ => {
            <SqliteQueryBuilder as TableBuilder>::prepare_column_type(
                &SqliteQueryBuilder,
                ty,
                &mut sql,
            );
        }
    }
    sql
}

pub(super) fn type_change(backend: DbBackend, live: &str, model: &str) -> TypeChange {
    if normalize(live) == normalize(model) {
        return TypeChange::Same;
    }
    let (old, new) = (parse_type(backend, live), parse_type(backend, model));
    // MariaDB's `json` is `longtext` with a `json_valid` check: its catalog says `longtext`.
    if backend == DbBackend::MySql && old == Ty::Text && matches!(new, Ty::Json | Ty::Jsonb) {
        return TypeChange::Same;
    }
    compare_types(&old, &new)
}

pub(super) fn compare_types(old: &Ty, new: &Ty) -> TypeChange {
    use Ty::*;
    if old == new {
        return TypeChange::Same;
    }
    // Whether `new` keeps every value of `old`.
    let wider = match (old, new) {
        (Other(_), _) | (_, Other(_)) => return TypeChange::Unknown,
        (Array(a), Array(b)) => return compare_types(a, b),
        (Int(a), Int(b)) => b > a,
        (Int(a), Numeric(None)) => *a <= 8,
        (Int(a), Numeric(Some((p, s)))) => p.saturating_sub(*s) >= int_digits(*a),
        // A float's mantissa holds every integer of up to 24 (f32) or 53 (f64) bits.
        (Int(a), Float(b)) => (*a <= 2 && *b >= 4) || (*a <= 4 && *b >= 8),
        (Float(a), Float(b)) => b > a,
        (Numeric(Some(_)), Numeric(None)) => true,
        (Numeric(Some((p, s))), Numeric(Some((p2, s2)))) => s2 >= s && p2 - s2 >= p - s,
        (Char(a) | Varchar(a), Varchar(b)) => at_least(*a, *b),
        (Char(a), Char(b)) => at_least(*a, *b),
        (Char(_) | Varchar(_), Text) => true,
        (Text, Varchar(None)) => true,
        (Bytes(a), Bytes(b)) => at_least(*a, *b),
        _ => false,
    };
    if wider {
        TypeChange::Wider
    } else {
        TypeChange::Lossy
    }
}

/// Whether a string or binary limit `new` holds every value of limit `old` (`None`: no limit).
pub(super) fn at_least(old: Option<u32>, new: Option<u32>) -> bool {
    match (old, new) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => b >= a,
    }
}

/// The decimal digits of the largest integer of `bytes` bytes.
pub(super) fn int_digits(bytes: u8) -> u32 {
    match bytes {
        1 => 3,
        2 => 5,
        4 => 10,
        _ => 19,
    }
}

/// Lowercase, single spaces, no space before `(` or around `,` and no quotes.
pub(super) fn normalize(ty: &str) -> String {
    let lower = ty.trim().to_lowercase().replace('"', "");
    let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .replace(" (", "(")
        .replace(", ", ",")
        .replace(" ,", ",")
}

/// Reads a type's text into its base name and its numeric arguments:
/// `timestamp(3) without time zone` is (`timestamp without time zone`, [3]).
pub(super) fn split_args(ty: &str) -> (String, Vec<u32>) {
    let Some(open) = ty.find('(') else {
        return (ty.to_owned(), Vec::new());
    };
    let Some(close) = ty[open..].find(')').map(|i| open + i) else {
        return (ty.to_owned(), Vec::new());
    };
    let args = ty[open + 1..close]
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let base = format!("{} {}", ty[..open].trim(), ty[close + 1..].trim());
    (base.trim().to_owned(), args)
}

pub(super) fn parse_type(backend: DbBackend, ty: &str) -> Ty {
    let ty = normalize(ty);
    if let Some(element) = ty.strip_suffix("[]") {
        return Ty::Array(Box::new(parse_type(backend, element)));
    }
    let (base, args) = split_args(&ty);
    let first = args.first().copied();
    let pair = match args[..] {
        [p, s] => Some((p, s)),
        [p] => Some((p, 0)),
        _ => None,
    };
    match backend {
        DbBackend::Postgres => parse_postgres(&base, first, pair, &ty),
        DbBackend::MySql => parse_mysql(&base, first, pair),
        _ => parse_sqlite(&base, first, pair, &ty),
    }
}

/// PostgreSQL's names (`format_type`'s and their aliases SeaQuery writes).
pub(super) fn parse_postgres(
    base: &str,
    first: Option<u32>,
    pair: Option<(u32, u32)>,
    ty: &str,
) -> Ty {
    match base {
        "smallint" | "int2" | "smallserial" => Ty::Int(2),
        "integer" | "int" | "int4" | "serial" => Ty::Int(4),
        "bigint" | "int8" | "bigserial" => Ty::Int(8),
        "real" | "float4" => Ty::Float(4),
        "double precision" | "float8" => Ty::Float(8),
        "numeric" | "decimal" => Ty::Numeric(pair),
        // `char` without a length is `char(1)` in PostgreSQL.
        "character" | "char" | "bpchar" => Ty::Char(Some(first.unwrap_or(1))),
        "character varying" | "varchar" => Ty::Varchar(first),
        "text" => Ty::Text,
        "boolean" | "bool" => Ty::Bool,
        "bytea" => Ty::Bytes(None),
        "timestamp" | "timestamp without time zone" => Ty::Timestamp { tz: false },
        "timestamp with time zone" | "timestamptz" => Ty::Timestamp { tz: true },
        "date" => Ty::Date,
        "time" | "time without time zone" => Ty::Time,
        "json" => Ty::Json,
        "jsonb" => Ty::Jsonb,
        "uuid" => Ty::Uuid,
        "bit varying" | "varbit" => Ty::Other(format!("bit varying({})", first.unwrap_or(0))),
        "bit" => Ty::Other(format!("bit({})", first.unwrap_or(1))),
        // `money(p, s)` as SeaQuery writes it is plain `money`; an interval's fields and
        // precision are not worth telling apart: when in doubt, unchanged.
        "money" => Ty::Other("money".to_owned()),
        _ if base.starts_with("interval") => Ty::Other("interval".to_owned()),
        _ => Ty::Other(ty.to_owned()),
    }
}

/// MySQL's and MariaDB's `COLUMN_TYPE` (`int(11)`, `tinyint(1)`, `int(10) unsigned`,
/// `datetime(6)`, `longtext`) and SeaQuery's MySQL text of the model's type. An integer's
/// display width says nothing of what it holds and is ignored, except that `tinyint(1)` is how
/// both servers report `bool`. The fixed-size text and blob types are told apart by their
/// limits; date and time types by their fractional digits, compared as unknown when they
/// differ (`migrate` leaves such a column alone and says so).
pub(super) fn parse_mysql(base: &str, first: Option<u32>, pair: Option<(u32, u32)>) -> Ty {
    if let Some(signed) = base.strip_suffix(" unsigned") {
        // No unsigned integers in the vocabulary: equal when spelled alike, unknown otherwise.
        return Ty::Other(format!("{signed} unsigned"));
    }
    match base {
        "tinyint" if first == Some(1) => Ty::Bool,
        "bool" | "boolean" => Ty::Bool,
        "tinyint" => Ty::Int(1),
        "smallint" => Ty::Int(2),
        "mediumint" => Ty::Int(3),
        "int" | "integer" => Ty::Int(4),
        "bigint" => Ty::Int(8),
        "float" => Ty::Float(4),
        "double" | "double precision" | "real" => Ty::Float(8),
        // A bare `decimal` is `decimal(10,0)`.
        "decimal" | "numeric" => Ty::Numeric(Some(pair.unwrap_or((10, 0)))),
        "char" => Ty::Char(Some(first.unwrap_or(1))),
        "varchar" => Ty::Varchar(first),
        // Limits in bytes; `utf8mb4` takes up to 4 a character.
        "tinytext" => Ty::Varchar(Some(255 / 4)),
        "text" => Ty::Varchar(Some(65_535 / 4)),
        "mediumtext" => Ty::Varchar(Some(16_777_215 / 4)),
        "longtext" => Ty::Text,
        "tinyblob" => Ty::Bytes(Some(255)),
        "blob" => Ty::Bytes(Some(65_535)),
        "mediumblob" => Ty::Bytes(Some(16_777_215)),
        "longblob" => Ty::Bytes(None),
        "varbinary" => Ty::Bytes(first),
        "json" => Ty::Json,
        "date" => Ty::Date,
        "datetime" | "timestamp" | "time" => Ty::Other(format!("{base}({})", first.unwrap_or(0))),
        "binary" => Ty::Other(format!("binary({})", first.unwrap_or(1))),
        _ => Ty::Other(base.to_owned()),
    }
}

/// SQLite's declared types: SeaQuery's own vocabulary (`varchar(n)`, `integer`,
/// `timestamp_with_timezone_text`, `real(p, s)` …), and the common names of hand-made tables.
pub(super) fn parse_sqlite(
    base: &str,
    first: Option<u32>,
    pair: Option<(u32, u32)>,
    ty: &str,
) -> Ty {
    match base {
        "tinyint" => Ty::Int(1),
        "smallint" | "int2" => Ty::Int(2),
        // SQLite stores every integer in up to 8 bytes, and SeaQuery declares both `i32` and
        // `i64` as `integer`.
        "integer" | "int" | "bigint" | "int8" | "mediumint" => Ty::Int(8),
        "float" => Ty::Float(4),
        "double" | "double precision" => Ty::Float(8),
        "real" if pair.is_some() => Ty::Numeric(pair),
        "real" => Ty::Float(8),
        "real_decimal" | "decimal" | "numeric" => Ty::Numeric(pair),
        "char" | "character" | "nchar" => Ty::Char(first),
        "varchar" | "character varying" | "nvarchar" => Ty::Varchar(first),
        "text" | "clob" => Ty::Text,
        "boolean" | "bool" => Ty::Bool,
        "blob" | "varbinary_blob" => Ty::Bytes(first),
        "datetime_text" | "datetime" | "timestamp_text" | "timestamp" => {
            Ty::Timestamp { tz: false }
        }
        "timestamp_with_timezone_text" => Ty::Timestamp { tz: true },
        "date_text" | "date" => Ty::Date,
        "time_text" | "time" => Ty::Time,
        "json_text" | "json" => Ty::Json,
        "jsonb_text" | "jsonb" => Ty::Jsonb,
        "uuid_text" | "uuid" => Ty::Uuid,
        _ => Ty::Other(ty.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::StringLen;

    fn change(backend: DbBackend, live: &str, model: &ColumnType) -> TypeChange {
        type_change(backend, live, &render_type(backend, model))
    }

    /// What each backend reports for the types SeaQuery declares, as seen on SQLite 3.51 and
    /// PostgreSQL 15, compares equal to the model's type.
    #[test]
    fn discovered_types_equal_the_models() {
        let pg = DbBackend::Postgres;
        let cases = [
            (
                "character varying(200)",
                ColumnType::String(StringLen::N(200)),
            ),
            ("character varying", ColumnType::String(StringLen::None)),
            ("character(5)", ColumnType::Char(Some(5))),
            ("character(1)", ColumnType::Char(None)),
            ("text", ColumnType::Text),
            ("smallint", ColumnType::TinyInteger),
            ("smallint", ColumnType::SmallInteger),
            ("integer", ColumnType::Integer),
            ("bigint", ColumnType::BigInteger),
            ("real", ColumnType::Float),
            ("double precision", ColumnType::Double),
            ("numeric(10,2)", ColumnType::Decimal(Some((10, 2)))),
            ("numeric", ColumnType::Decimal(None)),
            ("boolean", ColumnType::Boolean),
            ("timestamp without time zone", ColumnType::DateTime),
            ("timestamp without time zone", ColumnType::Timestamp),
            (
                "timestamp with time zone",
                ColumnType::TimestampWithTimeZone,
            ),
            ("date", ColumnType::Date),
            ("time without time zone", ColumnType::Time),
            ("bytea", ColumnType::Blob),
            ("json", ColumnType::Json),
            ("jsonb", ColumnType::JsonBinary),
            ("uuid", ColumnType::Uuid),
            ("money", ColumnType::Money(Some((19, 4)))),
            ("interval", ColumnType::Interval(None, None)),
            (
                "character varying(10)[]",
                ColumnType::Array(ColumnType::String(StringLen::N(10)).into()),
            ),
            ("integer[]", ColumnType::Array(ColumnType::Integer.into())),
        ];
        for (live, model) in cases {
            assert_eq!(
                change(pg, live, &model),
                TypeChange::Same,
                "{live} vs {model:?}"
            );
        }
        // SQLite keeps the declared type as written, SeaQuery's text.
        let sqlite = DbBackend::Sqlite;
        for model in [
            ColumnType::String(StringLen::N(200)),
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::BigInteger,
            ColumnType::TimestampWithTimeZone,
            ColumnType::Decimal(Some((10, 2))),
            ColumnType::Uuid,
        ] {
            let live = render_type(sqlite, &model);
            assert_eq!(change(sqlite, &live, &model), TypeChange::Same, "{live}");
            let shouted = live.to_uppercase();
            assert_eq!(
                change(sqlite, &shouted, &model),
                TypeChange::Same,
                "{shouted}"
            );
        }
        assert_eq!(
            change(sqlite, "INTEGER", &ColumnType::BigInteger),
            TypeChange::Same
        );
        assert_eq!(
            change(
                sqlite,
                "VARCHAR (200)",
                &ColumnType::String(StringLen::N(200))
            ),
            TypeChange::Same
        );
    }

    /// What MariaDB 10.11 reports in `information_schema.COLUMNS.COLUMN_TYPE` for the types
    /// `migrate` declares (MySQL 8 drops the integer display widths but `tinyint(1)`'s; both
    /// spellings are here).
    #[test]
    fn discovered_mysql_types_equal_the_models() {
        let my = DbBackend::MySql;
        let cases = [
            ("varchar(200)", ColumnType::String(StringLen::N(200))),
            ("longtext", ColumnType::String(StringLen::None)),
            ("longtext", ColumnType::Text),
            ("char(3)", ColumnType::Char(Some(3))),
            ("char(1)", ColumnType::Char(None)),
            ("tinyint(4)", ColumnType::TinyInteger),
            ("tinyint", ColumnType::TinyInteger),
            ("smallint(6)", ColumnType::SmallInteger),
            ("int(11)", ColumnType::Integer),
            ("int", ColumnType::Integer),
            ("bigint(20)", ColumnType::BigInteger),
            ("int(10) unsigned", ColumnType::Unsigned),
            ("int unsigned", ColumnType::Unsigned),
            ("float", ColumnType::Float),
            ("double", ColumnType::Double),
            ("decimal(12,2)", ColumnType::Decimal(Some((12, 2)))),
            ("decimal(10,0)", ColumnType::Decimal(None)),
            ("tinyint(1)", ColumnType::Boolean),
            ("datetime(6)", ColumnType::DateTime),
            ("datetime(6)", ColumnType::Timestamp),
            ("datetime(6)", ColumnType::TimestampWithTimeZone),
            ("date", ColumnType::Date),
            ("time(6)", ColumnType::Time),
            ("longblob", ColumnType::Blob),
            ("varbinary(32)", ColumnType::VarBinary(StringLen::N(32))),
            ("binary(16)", ColumnType::Uuid),
            ("longtext", ColumnType::Json),
            ("json", ColumnType::Json),
            ("longtext", ColumnType::JsonBinary),
        ];
        for (live, model) in cases {
            assert_eq!(
                change(my, live, &model),
                TypeChange::Same,
                "{live} vs {model:?}"
            );
        }
        let c = |live: &str, model: ColumnType| change(my, live, &model);
        assert_eq!(
            c("varchar(200)", ColumnType::String(StringLen::N(100))),
            TypeChange::Lossy
        );
        assert_eq!(
            c("varchar(200)", ColumnType::String(StringLen::N(300))),
            TypeChange::Wider
        );
        assert_eq!(c("varchar(200)", ColumnType::Text), TypeChange::Wider);
        assert_eq!(c("text", ColumnType::Text), TypeChange::Wider);
        assert_eq!(
            c("longtext", ColumnType::String(StringLen::N(100))),
            TypeChange::Lossy
        );
        assert_eq!(c("int(11)", ColumnType::BigInteger), TypeChange::Wider);
        assert_eq!(c("bigint(20)", ColumnType::Integer), TypeChange::Lossy);
        assert_eq!(c("tinyint(1)", ColumnType::Integer), TypeChange::Lossy);
        assert_eq!(c("blob", ColumnType::Blob), TypeChange::Wider);
        // `timestamp` (seconds, until 2038) to `datetime(6)`: migrate cannot tell, and says so.
        assert_eq!(
            c("timestamp", ColumnType::TimestampWithTimeZone),
            TypeChange::Unknown
        );
    }

    #[test]
    fn narrowing_is_lossy_and_widening_is_not() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let live_200 = match backend {
                DbBackend::Postgres => "character varying(200)",
                _ => "varchar(200)",
            };
            let c = |live: &str, model: ColumnType| change(backend, live, &model);
            assert_eq!(
                c(live_200, ColumnType::String(StringLen::N(100))),
                TypeChange::Lossy
            );
            assert_eq!(
                c(live_200, ColumnType::String(StringLen::N(300))),
                TypeChange::Wider
            );
            assert_eq!(c(live_200, ColumnType::Text), TypeChange::Wider);
            assert_eq!(
                c("text", ColumnType::String(StringLen::N(100))),
                TypeChange::Lossy
            );
            assert_eq!(c("text", ColumnType::Integer), TypeChange::Lossy);
            assert_eq!(c("smallint", ColumnType::Integer), TypeChange::Wider);
            assert_eq!(c("boolean", ColumnType::Text), TypeChange::Lossy);
        }
        let pg = |live: &str, model: ColumnType| change(DbBackend::Postgres, live, &model);
        assert_eq!(pg("bigint", ColumnType::Integer), TypeChange::Lossy);
        assert_eq!(pg("integer", ColumnType::BigInteger), TypeChange::Wider);
        assert_eq!(
            pg("numeric(10,2)", ColumnType::Decimal(Some((12, 2)))),
            TypeChange::Wider
        );
        assert_eq!(
            pg("numeric(10,2)", ColumnType::Decimal(Some((10, 3)))),
            TypeChange::Lossy
        );
        assert_eq!(
            pg(
                "timestamp without time zone",
                ColumnType::TimestampWithTimeZone
            ),
            TypeChange::Lossy
        );
        assert_eq!(pg("post_status", ColumnType::Text), TypeChange::Unknown);
    }
}
