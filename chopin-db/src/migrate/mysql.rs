//! MySQL and MariaDB: the DDL Chopin writes for them, where SeaQuery's MySQL defaults would
//! refuse values a model accepts, lose precision, or make an index the server cannot build.
//!
//! What changes from SeaQuery's MySQL text, and why:
//!
//! - Unbounded strings and bytes: a `String` without `max_len` is SeaQuery's `varchar(255)`,
//!   and `text` and `blob` hold 64 KiB; each becomes `longtext` or `longblob`, so that no value
//!   the model accepts (and PostgreSQL and SQLite store) is refused by strict mode.
//! - Times: `datetime(6)` for every timestamp, so microseconds survive (as on PostgreSQL) and
//!   there is no 2038 limit (`timestamp`'s); sqlx sets each session's `time_zone` to UTC, so a
//!   `DateTime<Utc>` is written and read back as UTC. `time(6)` likewise.
//! - Tables: `ENGINE=InnoDB` (transactions, foreign keys) and `utf8mb4` with the binary
//!   collation `utf8mb4_bin`, whatever the server's defaults.
//! - Indexes: InnoDB indexes at most 3072 bytes of a key, 768 characters of `utf8mb4`. A
//!   `text` or `blob` column in a non-unique index is indexed by its first [`PREFIX`]
//!   characters (bytes for `blob`), which still finds every row; a unique index cannot work on a
//!   prefix (two values that share it would collide), so one over such a column is refused, with
//!   the fix: give the field a `max_len`.
//! - Types MySQL does not have (PostgreSQL's arrays, vectors, network addresses, intervals,
//!   `ltree`) are named by [`unsupported`], which `migrate` refuses; [`column_type`] gives them
//!   a placeholder only so that nothing panics on the way to the refusal.
//!
//! Why `utf8mb4_bin` and not a `_ci` collation: Chopin compares text the same way on every
//! backend, byte for byte, as PostgreSQL and SQLite do by default. Under a `_ci` (or `_ai`)
//! collation `'Ada' = 'ada'` and `'e' = 'é'`: a unique column would refuse a value the other
//! backends accept, an owner's or a token's equality would match rows it should not, and
//! `Owned` and `AuthModule` queries would behave differently on MySQL only. Case-insensitive
//! matching stays explicit (e-mail addresses are lowercased before they are stored).
//!
//! The rest of `migrate` on MySQL and MariaDB is here too: the session lock that serializes
//! concurrent runs ([`lock`], [`unlock`]).

use sea_orm::sea_query::{
    ColumnDef, ColumnType, IndexCreateStatement, MysqlQueryBuilder, StringLen, TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

/// How many leading characters (bytes, for binary columns) of a `text` or `blob` column a
/// non-unique index holds: 1020 bytes of `utf8mb4`, so that three such columns still fit in
/// InnoDB's 3072-byte key.
pub(super) const PREFIX: u32 = 255;

/// The most `utf8mb4` characters an InnoDB index key holds: 3072 bytes at 4 bytes each.
const KEY_CHARS: u32 = 768;

/// The name of the lock that serializes concurrent runs of `migrate` on one server.
const LOCK: &str = "chopin_migrate";

/// How long a run waits for another one to finish, in seconds.
const LOCK_WAIT_SECS: u32 = 60;

/// The column type MySQL/MariaDB gets for a model's `ty`.
///
/// - `String` without a length (SeaQuery's `varchar(255)`), `Text` and `String(Max)` become
///   `longtext`, so that no value a model accepts is refused, and so does a `String` longer
///   than an index key holds (768 characters: `varchar(20000)` is past MySQL's limit for one
///   column, and a few long ones past its limit for a row); `Blob` and unbounded `VarBinary`
///   become `longblob`.
/// - `DateTime`, `Timestamp` and `TimestampWithTimeZone` become `datetime(6)`: microseconds
///   survive and there is no 2038 limit; the values are UTC, since sqlx sets the session's
///   `time_zone` to `+00:00`. `Time` becomes `time(6)`.
/// - `Decimal` and `Money` without a precision become `decimal(10, 0)`, the precision MySQL
///   gives a bare `decimal`, so that the model reads back as it was declared.
/// - The types MySQL does not have ([`unsupported`]) become a placeholder type that no server
///   knows; `migrate` refuses them before any statement runs.
///
/// Every other type is SeaQuery's. Applying it twice changes nothing.
pub(super) fn column_type(ty: &ColumnType) -> ColumnType {
    match ty {
        ColumnType::String(StringLen::None | StringLen::Max) | ColumnType::Text => {
            ColumnType::custom("longtext")
        }
        // A `varchar` longer than an index key: MySQL refuses one past 16383 characters, and
        // a row whose `varchar`s add up past 65535 bytes; the model's `max_len` still bounds it.
        ColumnType::String(StringLen::N(n)) if *n > KEY_CHARS => ColumnType::custom("longtext"),
        ColumnType::Blob | ColumnType::VarBinary(StringLen::None | StringLen::Max) => {
            ColumnType::custom("longblob")
        }
        ColumnType::DateTime | ColumnType::Timestamp | ColumnType::TimestampWithTimeZone => {
            ColumnType::custom("datetime(6)")
        }
        ColumnType::Time => ColumnType::custom("time(6)"),
        ColumnType::Decimal(None) => ColumnType::Decimal(Some((10, 0))),
        ColumnType::Money(precision) => ColumnType::Decimal(Some(precision.unwrap_or((10, 0)))),
        other if unsupported(other).is_some() => ColumnType::custom("chopin_unsupported_type"),
        other => other.clone(),
    }
}

/// What MySQL/MariaDB lacks of `ty`, when it is a type they do not have.
pub(super) fn unsupported(ty: &ColumnType) -> Option<&'static str> {
    Some(match ty {
        ColumnType::Array(_) => "an array",
        ColumnType::Vector(_) => "a vector",
        ColumnType::Cidr | ColumnType::Inet => "a network address type",
        ColumnType::MacAddr => "a MAC address type",
        ColumnType::LTree => "an `ltree`",
        ColumnType::Interval(..) => "an interval",
        _ => return None,
    })
}

/// `stmt` as MySQL/MariaDB creates it: each column's type through [`column_type`],
/// `ENGINE=InnoDB`, `DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.
///
/// `utf8mb4_bin` compares text byte for byte, as PostgreSQL and SQLite do: under a `_ci`
/// collation `'Ada'` equals `'ada'` (and `'e'` equals `'é'`), so a unique column would refuse
/// values the other backends accept and equality in a `WHERE` (an owner, a token) would match
/// rows it does not match elsewhere. The columns, their constraints, the primary key, indexes,
/// foreign keys, the comment, the extra text and `IF NOT EXISTS` are kept. SeaQuery exposes no
/// table-level `CHECK` or partitioning of a statement, which SeaORM's entities never declare.
pub(super) fn create_table(stmt: &TableCreateStatement) -> TableCreateStatement {
    let mut table = TableCreateStatement::new();
    if let Some(name) = stmt.get_table_name() {
        table.table(name.clone());
    }
    // SeaQuery has no getter for `IF NOT EXISTS`: its own text says.
    if stmt
        .to_string(MysqlQueryBuilder)
        .starts_with("CREATE TABLE IF NOT EXISTS ")
    {
        table.if_not_exists();
    }
    for column in stmt.get_columns() {
        table.col(with_type(column));
    }
    for index in stmt.get_indexes() {
        let mut index = index.clone();
        if index.is_primary_key() {
            table.primary_key(&mut index);
        } else {
            table.index(&mut index);
        }
    }
    for fk in stmt.get_foreign_key_create_stmts() {
        table.foreign_key(&mut fk.clone());
    }
    if let Some(comment) = stmt.get_comment() {
        table.comment(comment);
    }
    if let Some(extra) = stmt.get_extra() {
        table.extra(extra.clone());
    }
    table
        .engine("InnoDB")
        .character_set("utf8mb4")
        .collate("utf8mb4_bin")
        .take()
}

/// `column` with its type through [`column_type`] and everything else as it was.
pub(super) fn with_type(column: &ColumnDef) -> ColumnDef {
    super::plan::copy_column(column, column_type, column.get_column_spec().unique, None)
}

/// How a column can be part of an InnoDB index key.
enum Keyable {
    /// Whole: its key takes this many characters (or bytes) at most.
    Whole(u32),
    /// Only by a prefix: `longtext`, `longblob` and the other `text` and `blob` types.
    PrefixOnly,
}

/// How the MySQL type of `ty` can be indexed.
fn keyable(ty: &ColumnType) -> Keyable {
    match column_type(ty) {
        ColumnType::Custom(name) => {
            let name = name.to_string();
            if name.ends_with("text") || name.ends_with("blob") {
                Keyable::PrefixOnly
            } else {
                Keyable::Whole(0)
            }
        }
        ColumnType::String(StringLen::N(n))
        | ColumnType::Char(Some(n))
        | ColumnType::VarBinary(StringLen::N(n))
        | ColumnType::Binary(n) => Keyable::Whole(n),
        _ => Keyable::Whole(0),
    }
}

/// Why MySQL/MariaDB cannot enforce `column` of `table` as unique, if it cannot: its type is
/// one that indexes hold only a prefix of, or longer than a key holds.
pub(super) fn unique_refusal(table: &str, column: &ColumnDef) -> Option<String> {
    let name = column.get_column_name();
    match keyable(column.get_column_type()?) {
        Keyable::PrefixOnly => Some(format!(
            "column `{table}`.`{name}` is unique and unbounded text or bytes, which MySQL/MariaDB \
             cannot index whole: give the field a `max_len` of at most {KEY_CHARS} (on a SeaORM \
             entity, `column_type = \"String(StringLen::N(..))\"`)"
        )),
        Keyable::Whole(n) if n > KEY_CHARS => Some(format!(
            "column `{table}`.`{name}` is unique with {n} characters, more than a MySQL/MariaDB \
             index key holds: give the field a `max_len` of at most {KEY_CHARS}"
        )),
        Keyable::Whole(_) => None,
    }
}

/// `index` for MySQL/MariaDB given the types of the table's columns (`columns`, the model's).
///
/// A `text` or `blob` column (or a string longer than an index key holds) in a non-unique index
/// is indexed by its first [`PREFIX`] characters. A unique index over such a column is an
/// `Err` naming the table and column and telling to give the field a `max_len`: a prefix
/// would make values that share it collide. A column `columns` does not name is kept whole.
/// The index keeps its name, table, columns and uniqueness; SeaQuery exposes neither a
/// statement's table nor its columns' order, so the table is read back from the statement's
/// MySQL text and the columns are ascending, as SeaORM declares them.
pub(super) fn create_index(
    index: &IndexCreateStatement,
    columns: &[ColumnDef],
) -> Result<IndexCreateStatement, String> {
    let table = index_table(index);
    let spec = index.get_index_spec();
    let unique = index.is_unique_key() || index.is_primary_key();
    let mut rebuilt = IndexCreateStatement::new();
    if let Some(name) = spec.get_name() {
        rebuilt.name(name);
    }
    rebuilt.table(table.clone());
    for name in spec.get_column_names() {
        let column = columns.iter().find(|c| c.get_column_name() == name);
        let keyable = column
            .and_then(ColumnDef::get_column_type)
            .map_or(Keyable::Whole(0), keyable);
        let prefixed = match keyable {
            Keyable::PrefixOnly => true,
            Keyable::Whole(n) => n > KEY_CHARS,
        };
        if prefixed && unique {
            return Err(column
                .and_then(|c| unique_refusal(&table, c))
                .unwrap_or_else(|| {
                    format!(
                        "column `{table}`.`{name}` cannot be indexed whole by MySQL/MariaDB: give \
                         the field a `max_len` (at most {KEY_CHARS})"
                    )
                }));
        }
        if prefixed {
            rebuilt.col((name, PREFIX));
        } else {
            rebuilt.col(name);
        }
    }
    if index.is_primary_key() {
        rebuilt.primary();
    } else if index.is_unique_key() {
        rebuilt.unique();
    }
    Ok(rebuilt)
}

/// The table `index` is on, from its MySQL text (`CREATE INDEX `i` ON `t` (…)`): SeaQuery has
/// no getter for it.
fn index_table(index: &IndexCreateStatement) -> String {
    let sql = index.to_string(MysqlQueryBuilder);
    let Some((_, after)) = sql.split_once(" ON ") else {
        return String::new();
    };
    let quoted = after.split(" (").next().unwrap_or_default();
    // `schema`.`table`: the last part, its doubled backticks single again.
    let last = quoted.rsplit("`.`").next().unwrap_or(quoted);
    last.trim_matches('`').replace("``", "`")
}

/// Takes the server-wide lock that serializes runs of `migrate` (`GET_LOCK`, held by this
/// session until [`unlock`] or until the connection closes), waiting up to a minute for
/// another run to finish.
///
/// # Errors
/// When another run holds it for longer, or the server fails.
pub(super) async fn lock(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            format!("SELECT GET_LOCK('{LOCK}', {LOCK_WAIT_SECS})"),
        ))
        .await?;
    let got: Option<i64> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    if got == Some(1) {
        Ok(())
    } else {
        Err(DbErr::Custom(format!(
            "another `migrate` has held the lock `{LOCK}` for {LOCK_WAIT_SECS} s: wait for it to \
             finish, or find the session that holds it (`SELECT IS_USED_LOCK('{LOCK}')`)"
        )))
    }
}

/// Releases the lock [`lock`] took. A failure is only logged: the lock goes with the session,
/// and the pool closes a connection that failed.
pub(super) async fn unlock(txn: &DatabaseTransaction) {
    if let Err(err) = txn
        .execute_raw(Statement::from_string(
            DbBackend::MySql,
            format!("SELECT RELEASE_LOCK('{LOCK}')"),
        ))
        .await
    {
        tracing::warn!("migrate: cannot release the lock `{LOCK}`: {err}");
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Index, Table};

    use super::*;

    fn sql(ty: ColumnType) -> String {
        let table = Table::create()
            .table("t")
            .col(ColumnDef::new_with_type("c", ty))
            .take();
        create_table(&table).to_string(MysqlQueryBuilder)
    }

    #[test]
    fn types_hold_every_value_a_model_accepts() {
        for (ty, expected) in [
            (ColumnType::String(StringLen::None), "longtext"),
            (ColumnType::Text, "longtext"),
            (ColumnType::String(StringLen::N(200)), "varchar(200)"),
            (ColumnType::String(StringLen::N(768)), "varchar(768)"),
            (ColumnType::String(StringLen::N(20000)), "longtext"),
            (ColumnType::Blob, "longblob"),
            (ColumnType::TimestampWithTimeZone, "datetime(6)"),
            (ColumnType::DateTime, "datetime(6)"),
            (ColumnType::Time, "time(6)"),
            (ColumnType::Boolean, "bool"),
            (ColumnType::Decimal(None), "decimal(10, 0)"),
            (ColumnType::Uuid, "binary(16)"),
        ] {
            let sql = sql(ty.clone());
            assert!(sql.contains(&format!("`c` {expected}")), "{ty:?}: {sql}");
            assert_eq!(
                column_type(&column_type(&ty)),
                column_type(&ty),
                "{ty:?} twice"
            );
        }
    }

    #[test]
    fn tables_are_innodb_utf8mb4_binary() {
        let table = Table::create()
            .table("posts")
            .if_not_exists()
            .col(
                ColumnDef::new("id")
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(
                ColumnDef::new("title")
                    .string_len(200)
                    .not_null()
                    .unique_key(),
            )
            .take();
        assert_eq!(
            create_table(&table).to_string(MysqlQueryBuilder),
            "CREATE TABLE IF NOT EXISTS `posts` ( \
             `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, \
             `title` varchar(200) NOT NULL UNIQUE \
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        );
    }

    #[test]
    fn text_in_an_index_is_prefixed_and_unique_text_is_refused() {
        let columns = [
            ColumnDef::new_with_type("body", ColumnType::Text),
            ColumnDef::new_with_type("title", ColumnType::String(StringLen::N(200))),
        ];
        let index = Index::create()
            .name("idx-posts-body")
            .table("posts")
            .col("title")
            .col("body")
            .take();
        let mysql = create_index(&index, &columns).map(|i| i.to_string(MysqlQueryBuilder));
        assert_eq!(
            mysql.as_deref(),
            Ok("CREATE INDEX `idx-posts-body` ON `posts` (`title`, `body` (255))")
        );

        let unique = Index::create()
            .name("idx-posts-body")
            .table("posts")
            .col("body")
            .unique()
            .take();
        let err = create_index(&unique, &columns).expect_err("unique over text");
        assert!(
            err.contains("`posts`.`body`") && err.contains("`max_len`"),
            "{err}"
        );

        let bounded = Index::create()
            .name("idx-posts-title")
            .table("posts")
            .col("title")
            .unique()
            .take();
        assert_eq!(
            create_index(&bounded, &columns)
                .map(|i| i.to_string(MysqlQueryBuilder))
                .as_deref(),
            Ok("CREATE UNIQUE INDEX `idx-posts-title` ON `posts` (`title`)")
        );
    }
}
