//! Discovery: the live schema of the tables the models name, read from each backend's catalog
//! (SQLite's pragmas, PostgreSQL's `pg_catalog`, MySQL's and MariaDB's `information_schema`).

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::*;

pub(super) struct LiveTable {
    pub(super) columns: Vec<LiveColumn>,
    pub(super) indexes: Vec<LiveIndex>,
    pub(super) foreign_keys: Vec<LiveForeignKey>,
}

pub(super) struct LiveColumn {
    pub(super) name: String,
    /// The type as the backend reports it: SQLite's declared type, PostgreSQL's `format_type`,
    /// MySQL's `COLUMN_TYPE`.
    pub(super) sql_type: String,
    pub(super) not_null: bool,
    /// The default's SQL, when there is one (an identity column counts as having one).
    pub(super) default: Option<String>,
    /// A generated column, computed from others.
    pub(super) generated: bool,
}

pub(super) struct LiveIndex {
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    pub(super) unique: bool,
    pub(super) primary: bool,
    /// Some part of the index is an expression rather than a column.
    pub(super) expression: bool,
}

pub(super) struct LiveForeignKey {
    pub(super) columns: Vec<String>,
    pub(super) ref_table: String,
}

/// Reads the live schema of the tables `tables` name (those that exist).
pub(super) async fn discover(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    tables: &[TableDef],
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let wanted: BTreeSet<String> = tables.iter().map(TableDef::name).collect();
    match backend {
        DbBackend::Sqlite => discover_sqlite(txn, &wanted).await,
        DbBackend::Postgres => discover_postgres(txn, &wanted).await,
        DbBackend::MySql => discover_mysql(txn, &wanted).await,
        other => Err(DbErr::BackendNotSupported {
            db: other.as_str(),
            ctx: "chopin migrate",
        }),
    }
}

pub(super) async fn query(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
}

/// SQLite, through `sqlite_master` and the table-valued pragmas, as sea-schema reads it.
pub(super) async fn discover_sqlite(
    txn: &DatabaseTransaction,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let b = DbBackend::Sqlite;
    let mut live = BTreeMap::new();
    let names = query(
        txn,
        b,
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        vec![],
    )
    .await?;
    for row in names {
        let table: String = row.try_get_by_index(0)?;
        if !wanted.contains(&table) {
            continue;
        }
        let mut columns = Vec::new();
        let rows = query(
            txn,
            b,
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) \
             ORDER BY cid",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let hidden: i64 = row.try_get_by_index(5)?;
            if hidden == 1 {
                continue; // a hidden column of a virtual table
            }
            let not_null: i64 = row.try_get_by_index(2)?;
            let pk: i64 = row.try_get_by_index(4)?;
            columns.push(LiveColumn {
                name: row.try_get_by_index(0)?,
                sql_type: row.try_get_by_index(1)?,
                not_null: not_null != 0 || pk != 0,
                default: row.try_get_by_index(3)?,
                generated: hidden >= 2,
            });
        }

        let mut indexes = Vec::new();
        let rows = query(
            txn,
            b,
            "SELECT name, \"unique\", origin FROM pragma_index_list(?)",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let name: String = row.try_get_by_index(0)?;
            let unique: i64 = row.try_get_by_index(1)?;
            let origin: String = row.try_get_by_index(2)?;
            let parts = query(
                txn,
                b,
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                vec![name.clone().into()],
            )
            .await?;
            let mut index_columns = Vec::new();
            let mut expression = false;
            for part in parts {
                match part.try_get_by_index::<Option<String>>(0)? {
                    Some(column) => index_columns.push(column),
                    None => expression = true,
                }
            }
            indexes.push(LiveIndex {
                name,
                columns: index_columns,
                unique: unique != 0,
                primary: origin == "pk",
                expression,
            });
        }
        // An `INTEGER PRIMARY KEY` is the rowid and has no index: record it as one.
        let pk: Vec<String> = query(
            txn,
            b,
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
            vec![table.clone().into()],
        )
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect::<Result<_, _>>()?;
        if !pk.is_empty() && !indexes.iter().any(|i| i.primary) {
            indexes.push(LiveIndex {
                name: String::new(),
                columns: pk,
                unique: true,
                primary: true,
                expression: false,
            });
        }

        let mut foreign_keys: BTreeMap<i64, LiveForeignKey> = BTreeMap::new();
        let rows = query(
            txn,
            b,
            "SELECT id, \"table\", \"from\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            vec![table.clone().into()],
        )
        .await?;
        for row in rows {
            let id: i64 = row.try_get_by_index(0)?;
            let ref_table: String = row.try_get_by_index(1)?;
            let from: String = row.try_get_by_index(2)?;
            foreign_keys
                .entry(id)
                .or_insert_with(|| LiveForeignKey {
                    columns: Vec::new(),
                    ref_table,
                })
                .columns
                .push(from);
        }

        live.insert(
            table,
            LiveTable {
                columns,
                indexes,
                foreign_keys: foreign_keys.into_values().collect(),
            },
        );
    }
    Ok(live)
}

/// PostgreSQL, through the catalogs of the current schema (`pg_attribute` with `format_type`,
/// `pg_index`, `pg_constraint`), the same facts sea-schema reads from `information_schema`.
pub(super) async fn discover_postgres(
    txn: &DatabaseTransaction,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let b = DbBackend::Postgres;
    let mut live: BTreeMap<String, LiveTable> = BTreeMap::new();

    let rows = query(
        txn,
        b,
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', \
                a.attgenerated <> '' \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
           AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !wanted.contains(&table) {
            continue;
        }
        let default: Option<String> = row.try_get_by_index(4)?;
        let identity: bool = row.try_get_by_index(5)?;
        let generated: bool = row.try_get_by_index(6)?;
        let column = LiveColumn {
            name: row.try_get_by_index(1)?,
            sql_type: row.try_get_by_index(2)?,
            not_null: row.try_get_by_index(3)?,
            default: if identity {
                Some(default.unwrap_or_else(|| "generated as identity".to_owned()))
            } else {
                default.filter(|_| !generated)
            },
            generated,
        };
        live.entry(table)
            .or_insert_with(|| LiveTable {
                columns: Vec::new(),
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
            })
            .columns
            .push(column);
    }

    // One row per part of each index; a part that is an expression has no column (attnum 0).
    let rows = query(
        txn,
        b,
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                a.attname::text, ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = current_schema() \
         ORDER BY t.relname, i.relname, k.ord",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        let Some(live_table) = live.get_mut(&table) else {
            continue;
        };
        let name: String = row.try_get_by_index(1)?;
        let column: Option<String> = row.try_get_by_index(4)?;
        let partial_or_expr: bool = row.try_get_by_index(5)?;
        let index = match live_table.indexes.iter_mut().find(|i| i.name == name) {
            Some(index) => index,
            None => {
                live_table.indexes.push(LiveIndex {
                    name,
                    columns: Vec::new(),
                    unique: row.try_get_by_index(2)?,
                    primary: row.try_get_by_index(3)?,
                    expression: partial_or_expr,
                });
                let last = live_table.indexes.len() - 1;
                &mut live_table.indexes[last]
            }
        };
        match column {
            Some(column) => index.columns.push(column),
            None => index.expression = true,
        }
    }

    let rows = query(
        txn,
        b,
        "SELECT t.relname::text, con.conname::text, r.relname::text, a.attname::text \
         FROM pg_constraint con \
         JOIN pg_class t ON t.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_class r ON r.oid = con.confrelid \
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
         WHERE con.contype = 'f' AND n.nspname = current_schema() \
         ORDER BY t.relname, con.conname, k.ord",
        vec![],
    )
    .await?;
    let mut keys: BTreeMap<(String, String), LiveForeignKey> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !live.contains_key(&table) {
            continue;
        }
        let name: String = row.try_get_by_index(1)?;
        let ref_table: String = row.try_get_by_index(2)?;
        let column: String = row.try_get_by_index(3)?;
        keys.entry((table, name))
            .or_insert_with(|| LiveForeignKey {
                columns: Vec::new(),
                ref_table,
            })
            .columns
            .push(column);
    }
    for ((table, _), key) in keys {
        if let Some(live_table) = live.get_mut(&table) {
            live_table.foreign_keys.push(key);
        }
    }
    Ok(live)
}

/// MySQL and MariaDB, through `information_schema` of the connection's database
/// (`DATABASE()`): `COLUMNS` (with `COLUMN_TYPE`), `STATISTICS` for indexes and
/// `KEY_COLUMN_USAGE` for foreign keys. Every text is cast to `CHAR`: MySQL 8 reports some of
/// these columns as binary strings.
pub(super) async fn discover_mysql(
    txn: &DatabaseTransaction,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, LiveTable>, DbErr> {
    let b = DbBackend::MySql;
    let mut live: BTreeMap<String, LiveTable> = BTreeMap::new();

    let rows = query(
        txn,
        b,
        "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), \
                CAST(c.COLUMN_TYPE AS CHAR), CAST(c.IS_NULLABLE AS CHAR), \
                CAST(c.COLUMN_DEFAULT AS CHAR), CAST(c.EXTRA AS CHAR) \
         FROM information_schema.COLUMNS c \
         JOIN information_schema.TABLES t \
           ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
         WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
         ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !wanted.contains(&table) {
            continue;
        }
        let nullable: String = row.try_get_by_index(3)?;
        let default: Option<String> = row.try_get_by_index(4)?;
        let extra: String = row
            .try_get_by_index::<Option<String>>(5)?
            .unwrap_or_default()
            .to_ascii_lowercase();
        // `VIRTUAL GENERATED`, `STORED GENERATED`; not MySQL's `DEFAULT_GENERATED`, an
        // expression default.
        let generated = extra.contains("virtual generated") || extra.contains("stored generated");
        let column = LiveColumn {
            name: row.try_get_by_index(1)?,
            sql_type: row.try_get_by_index(2)?,
            not_null: nullable.eq_ignore_ascii_case("NO"),
            default: if extra.contains("auto_increment") {
                Some("auto_increment".to_owned())
            } else if generated {
                None
            } else {
                // MariaDB reports a column without a default as SQL `NULL` and one whose
                // default is `NULL` as the text `NULL`: neither has a value to default to.
                default.filter(|d| !d.eq_ignore_ascii_case("NULL"))
            },
            generated,
        };
        live.entry(table)
            .or_insert_with(|| LiveTable {
                columns: Vec::new(),
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
            })
            .columns
            .push(column);
    }

    // One row per part of each index; a part that is an expression (MySQL 8's functional key
    // parts) has no column.
    let rows = query(
        txn,
        b,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), \
                CAST(NON_UNIQUE AS SIGNED), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        vec![],
    )
    .await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        let Some(live_table) = live.get_mut(&table) else {
            continue;
        };
        let name: String = row.try_get_by_index(1)?;
        let non_unique: i64 = row.try_get_by_index(2)?;
        let column: Option<String> = row.try_get_by_index(3)?;
        let index = match live_table.indexes.iter_mut().position(|i| i.name == name) {
            Some(at) => &mut live_table.indexes[at],
            None => {
                live_table.indexes.push(LiveIndex {
                    primary: name == "PRIMARY",
                    name,
                    columns: Vec::new(),
                    unique: non_unique == 0,
                    expression: false,
                });
                let last = live_table.indexes.len() - 1;
                &mut live_table.indexes[last]
            }
        };
        match column {
            Some(column) => index.columns.push(column),
            None => index.expression = true,
        }
    }

    let rows = query(
        txn,
        b,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), \
                CAST(REFERENCED_TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        vec![],
    )
    .await?;
    let mut keys: BTreeMap<(String, String), LiveForeignKey> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        if !live.contains_key(&table) {
            continue;
        }
        let name: String = row.try_get_by_index(1)?;
        let ref_table: String = row.try_get_by_index(2)?;
        let column: String = row.try_get_by_index(3)?;
        keys.entry((table, name))
            .or_insert_with(|| LiveForeignKey {
                columns: Vec::new(),
                ref_table,
            })
            .columns
            .push(column);
    }
    for ((table, _), key) in keys {
        if let Some(live_table) = live.get_mut(&table) {
            live_table.foreign_keys.push(key);
        }
    }
    Ok(live)
}
