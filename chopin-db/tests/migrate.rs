//! `migrate` on a real database: SQLite in memory, PostgreSQL when `CHOPIN_TEST_POSTGRES_URL`
//! is set, MySQL or MariaDB when `CHOPIN_TEST_MYSQL_URL` is
//! (`CHOPIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p
//! chopin-db --features postgres --test migrate`, `CHOPIN_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test
//! cargo test -p chopin-db --features mysql --test migrate`).
//!
//! The models are hand-written SeaORM 2 entities: `users`, and `posts` that belong to a user
//! (on delete cascade). A model that changed over time is a second module for the same table.

use chopin_db::migrate::{MIGRATIONS_TABLE, MigrateError, Report, TableDef, migrate};
use chopin_db::test_db::{TestDatabase, test_database};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, Statement,
};

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod users {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        // Bounded: MySQL/MariaDB index a unique column only whole (see `unbounded_unique_text`).
        #[sea_orm(unique, column_type = "String(StringLen::N(254))")]
        pub email: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Declares a `posts` entity module: the fields every version has, then `$extra`.
macro_rules! posts {
    ($module:ident { $($extra:tt)* }) => {
        #[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
        mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = "posts")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub author_id: i32,
                $($extra)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                #[sea_orm(
                    belongs_to = "super::users::Entity",
                    from = "Column::AuthorId",
                    to = "super::users::Column::Id",
                    on_delete = "Cascade"
                )]
                Author,
            }

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

// The first version of `posts`.
posts!(posts {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub published_at: Option<ChronoDateTimeUtc>,
});

// `posts` with one more field, nullable.
posts!(posts_with_summary {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub published_at: Option<ChronoDateTimeUtc>,
    pub summary: Option<String>,
});

// `posts` with one more field, NOT NULL without a default.
posts!(posts_with_rank {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub published_at: Option<ChronoDateTimeUtc>,
    pub rank: i32,
});

// `posts` without `body`.
posts!(posts_without_body {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    pub published_at: Option<ChronoDateTimeUtc>,
});

// `posts` whose title shrank from 200 characters to 100.
posts!(posts_short_title {
    #[sea_orm(column_type = "String(StringLen::N(100))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub published_at: Option<ChronoDateTimeUtc>,
});

// `posts` whose title grew from 200 characters to 300.
posts!(posts_long_title {
    #[sea_orm(column_type = "String(StringLen::N(300))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub published_at: Option<ChronoDateTimeUtc>,
});

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod posts_with_category {
    //! `posts` with a unique slug and a category, in a new table it references: written out,
    //! since `posts!` declares only the `Author` relation.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub author_id: i32,
        #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub published_at: Option<ChronoDateTimeUtc>,
        #[sea_orm(unique, column_type = "String(StringLen::N(200))")]
        pub slug: Option<String>,
        pub category_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::users::Entity",
            from = "Column::AuthorId",
            to = "super::users::Column::Id",
            on_delete = "Cascade"
        )]
        Author,
        #[sea_orm(
            belongs_to = "super::categories::Entity",
            from = "Column::CategoryId",
            to = "super::categories::Column::Id",
            on_delete = "SetNull"
        )]
        Category,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod categories {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod samples {
    //! A column of every type both backends take, to check that discovery reads each back as
    //! the type the model declares.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "samples")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tiny: i8,
        pub small: i16,
        pub int: i32,
        pub big: i64,
        pub float: f32,
        pub double: f64,
        pub flag: bool,
        pub name: String,
        #[sea_orm(column_type = "String(StringLen::N(40))")]
        pub code: String,
        #[sea_orm(column_type = "Char(Some(3))")]
        pub currency: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
        pub price: f64,
        pub bytes: Vec<u8>,
        pub day: ChronoDate,
        pub time: ChronoTime,
        pub local: ChronoDateTime,
        pub instant: ChronoDateTimeUtc,
        pub offset: ChronoDateTimeWithTimeZone,
        #[sea_orm(default_value = 0)]
        pub counter: i32,
        #[sea_orm(unique_key = "pair")]
        pub left: i32,
        #[sea_orm(unique_key = "pair")]
        pub right: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod tags {
    //! A unique column of unbounded text, which MySQL and MariaDB cannot index whole.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tags")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
mod notes {
    //! An index over unbounded text: MySQL and MariaDB index a prefix of it.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "Text", indexed)]
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn tables(db: &TestDatabase, entities: &[fn(DbBackend) -> TableDef]) -> Vec<TableDef> {
    entities.iter().map(|of| of(db.backend)).collect()
}

fn users(b: DbBackend) -> TableDef {
    TableDef::of(users::Entity, b)
}
fn posts(b: DbBackend) -> TableDef {
    TableDef::of(posts::Entity, b)
}

async fn run(db: &TestDatabase, entities: &[fn(DbBackend) -> TableDef]) -> Report {
    migrate(&db.conn, tables(db, entities))
        .await
        .expect("migrate applies the plan")
}

async fn refused(db: &TestDatabase, entities: &[fn(DbBackend) -> TableDef]) -> Vec<String> {
    match migrate(&db.conn, tables(db, entities)).await {
        Err(MigrateError::Refused(reasons)) => reasons,
        other => panic!("expected migrate to refuse, got {other:?}"),
    }
}

async fn scalar_i64(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("the query runs")
        .expect("the query returns a row")
        .try_get_by_index::<i64>(0)
        .expect("the value is an integer")
}

async fn migration_rows(conn: &DatabaseConnection) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        format!("SELECT description FROM {MIGRATIONS_TABLE} ORDER BY id"),
    ))
    .await
    .expect("chopin_migrations is readable")
    .iter()
    .map(|row| row.try_get_by_index(0).expect("a description"))
    .collect()
}

async fn add_user(conn: &DatabaseConnection, email: &str) -> users::Model {
    users::ActiveModel {
        email: Set(email.to_owned()),
        name: Set("Ada".to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("the user is inserted")
}

async fn add_post(
    conn: &DatabaseConnection,
    author_id: i32,
) -> Result<posts::Model, sea_orm::DbErr> {
    posts::ActiveModel {
        author_id: Set(author_id),
        title: Set("Hello".to_owned()),
        body: Set("First post".to_owned()),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

fn create_steps() -> Vec<String> {
    [
        "create table `users`",
        "create table `posts`",
        "create index `idx-posts-title` on `posts` (`title`)",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn creates_tables_in_dependency_order() {
    let db = test_database().await;
    // `posts` first: it references `users`, so `users` must be created before it.
    let report = run(&db, &[posts, users]).await;
    assert_eq!(report.applied, create_steps());
    assert_eq!(report.warnings, Vec::<String>::new());

    let ada = add_user(&db.conn, "ada@example.com").await;
    add_post(&db.conn, ada.id)
        .await
        .expect("a post by a user is inserted");
    // sqlx turns SQLite's `foreign_keys` pragma on for each connection, so both backends
    // enforce the key.
    if db.backend == DbBackend::Sqlite {
        assert_eq!(scalar_i64(&db.conn, "PRAGMA foreign_keys").await, 1);
    }
    let orphan = add_post(&db.conn, ada.id + 100).await;
    assert!(
        orphan.is_err(),
        "a post of a missing user violates the foreign key: {orphan:?}"
    );

    // On delete cascade.
    users::Entity::delete_by_id(ada.id)
        .exec(&db.conn)
        .await
        .expect("the user is deleted");
    assert_eq!(scalar_i64(&db.conn, "SELECT COUNT(*) FROM posts").await, 0);
}

#[tokio::test]
async fn a_second_run_applies_nothing() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;
    let rows = migration_rows(&db.conn).await;

    let again = run(&db, &[users, posts]).await;
    assert_eq!(again, Report::default());
    assert_eq!(migration_rows(&db.conn).await, rows);
}

#[tokio::test]
async fn every_type_reads_back_as_the_model_declares_it() {
    let db = test_database().await;
    let samples = |b| TableDef::of(samples::Entity, b);
    let first = run(&db, &[samples]).await;
    assert_eq!(
        first.applied,
        [
            "create table `samples`",
            "create unique index `idx-samples-pair` on `samples` (`left`, `right`)",
        ]
    );
    let again = run(&db, &[samples]).await;
    assert_eq!(again, Report::default(), "discovery differs from the model");
}

#[tokio::test]
async fn the_migrations_table_says_what_was_applied() {
    let db = test_database().await;
    let report = run(&db, &[users, posts]).await;
    assert_eq!(migration_rows(&db.conn).await, report.applied);
    let dated = scalar_i64(
        &db.conn,
        &format!("SELECT COUNT(*) FROM {MIGRATIONS_TABLE} WHERE applied_at IS NOT NULL"),
    )
    .await;
    assert_eq!(dated, 3);

    let added = run(
        &db,
        &[users, |b| TableDef::of(posts_with_summary::Entity, b)],
    )
    .await;
    let mut all = report.applied.clone();
    all.extend(added.applied);
    assert_eq!(migration_rows(&db.conn).await, all);
}

#[tokio::test]
async fn a_new_nullable_column_is_added_and_rows_are_kept() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;
    let ada = add_user(&db.conn, "ada@example.com").await;
    let post = add_post(&db.conn, ada.id)
        .await
        .expect("the post is inserted");

    let v2 = |b| TableDef::of(posts_with_summary::Entity, b);
    let report = run(&db, &[users, v2]).await;
    assert_eq!(report.applied, ["add column `posts`.`summary`"]);

    let kept = posts_with_summary::Entity::find_by_id(post.id)
        .one(&db.conn)
        .await
        .expect("the new model reads the table")
        .expect("the row is still there");
    assert_eq!(kept.title, "Hello");
    assert_eq!(kept.body, "First post");
    assert_eq!(kept.summary, None);

    assert_eq!(run(&db, &[users, v2]).await, Report::default());
}

#[tokio::test]
async fn a_not_null_column_without_default_needs_an_empty_table() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;
    let with_rank = |b| TableDef::of(posts_with_rank::Entity, b);

    let ada = add_user(&db.conn, "ada@example.com").await;
    add_post(&db.conn, ada.id)
        .await
        .expect("the post is inserted");
    let reasons = refused(&db, &[users, with_rank]).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("`posts`.`rank` is NOT NULL without a default"),
        "{reasons:?}"
    );

    posts::Entity::delete_many()
        .exec(&db.conn)
        .await
        .expect("the posts are deleted");
    let report = run(&db, &[users, with_rank]).await;
    assert_eq!(report.applied, ["add column `posts`.`rank`"]);
}

#[tokio::test]
async fn a_removed_field_is_refused_and_nothing_changes() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;
    let ada = add_user(&db.conn, "ada@example.com").await;
    add_post(&db.conn, ada.id)
        .await
        .expect("the post is inserted");
    let rows = migration_rows(&db.conn).await;

    // Beside the refusal, a new table that would otherwise be created.
    let without_body = |b| TableDef::of(posts_without_body::Entity, b);
    let categories = |b| TableDef::of(categories::Entity, b);
    let reasons = refused(&db, &[users, without_body, categories]).await;
    assert_eq!(
        reasons,
        [
            "dropping column `posts`.`body` would lose its data: drop it by hand, or put the field \
          back"
        ]
    );

    assert_eq!(migration_rows(&db.conn).await, rows);
    let tables = match db.backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'categories'"
        }
        DbBackend::MySql => {
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'categories'"
        }
        _ => "SELECT COUNT(*) FROM sqlite_master WHERE name = 'categories'",
    };
    assert_eq!(scalar_i64(&db.conn, tables).await, 0, "nothing was applied");
    let post = posts::Entity::find()
        .one(&db.conn)
        .await
        .expect("the old model still reads the table")
        .expect("the row is still there");
    assert_eq!(post.body, "First post");
    assert_eq!(run(&db, &[users, posts]).await, Report::default());

    let error = migrate(&db.conn, tables_of(&db, without_body))
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "migrate refused, and changed nothing: dropping column `posts`.`body` would lose its \
         data: drop it by hand, or put the field back"
    );
}

fn tables_of(db: &TestDatabase, posts: fn(DbBackend) -> TableDef) -> Vec<TableDef> {
    tables(db, &[users, posts])
}

#[tokio::test]
async fn a_narrowed_varchar_is_refused_and_a_widened_one_is_reported() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;

    let reasons = refused(
        &db,
        &[users, |b| TableDef::of(posts_short_title::Entity, b)],
    )
    .await;
    let old = match db.backend {
        DbBackend::Postgres => "character varying(200)",
        _ => "varchar(200)",
    };
    assert_eq!(
        reasons,
        [format!(
            "changing column `posts`.`title` from `{old}` to `varchar(100)` could lose data: \
             change it by hand, or put the type back"
        )]
    );

    // Wider loses nothing, but migrate does not alter columns: it says so and applies nothing.
    let report = run(&db, &[users, |b| TableDef::of(posts_long_title::Entity, b)]).await;
    assert_eq!(report.applied, Vec::<String>::new());
    assert_eq!(
        report.warnings,
        [format!(
            "column `posts`.`title` is `{old}` in the database and the wider `varchar(300)` in \
             the model: migrate does not alter columns, widen it by hand"
        )]
    );
}

#[tokio::test]
async fn a_new_column_gets_its_foreign_key_and_unique_index() {
    let db = test_database().await;
    run(&db, &[users, posts]).await;
    let ada = add_user(&db.conn, "ada@example.com").await;
    add_post(&db.conn, ada.id)
        .await
        .expect("the post is inserted");

    let v2 = |b| TableDef::of(posts_with_category::Entity, b);
    let categories = |b| TableDef::of(categories::Entity, b);
    // `categories` last: `posts` now references it, so it comes first.
    let report = run(&db, &[users, v2, categories]).await;
    let expected: Vec<&str> = match db.backend {
        DbBackend::Postgres | DbBackend::MySql => vec![
            "create table `categories`",
            "add column `posts`.`slug`",
            "add column `posts`.`category_id`",
            "add foreign key `fk-posts-category_id` from `posts` (`category_id`) to `categories` \
             (`id`)",
        ],
        _ => vec![
            "create table `categories`",
            "add column `posts`.`slug`",
            "create unique index `idx-posts-slug` on `posts` (`slug`)",
            "add column `posts`.`category_id` referencing `categories` (`id`)",
        ],
    };
    assert_eq!(report.applied, expected);
    assert_eq!(run(&db, &[users, v2, categories]).await, Report::default());

    let post = |slug: &str, category_id: Option<i32>| posts_with_category::ActiveModel {
        author_id: Set(ada.id),
        title: Set("Two".to_owned()),
        body: Set("Second".to_owned()),
        published_at: Set(None),
        slug: Set(Some(slug.to_owned())),
        category_id: Set(category_id),
        ..Default::default()
    };
    let orphan = post("two", Some(42)).insert(&db.conn).await;
    assert!(
        orphan.is_err(),
        "a missing category violates the new foreign key: {orphan:?}"
    );
    post("two", None)
        .insert(&db.conn)
        .await
        .expect("the post is inserted");
    let twin = post("two", None).insert(&db.conn).await;
    assert!(
        twin.is_err(),
        "a second `two` violates the unique slug: {twin:?}"
    );

    // The posts of the first model, with no slug or category, are still there.
    assert_eq!(scalar_i64(&db.conn, "SELECT COUNT(*) FROM posts").await, 2);
}

#[tokio::test]
async fn the_url_opens_the_same_database() {
    let db = test_database().await;
    run(&db, &[users]).await;
    add_user(&db.conn, "ada@example.com").await;
    let other = db.connect().await;
    assert_eq!(scalar_i64(&other, "SELECT COUNT(*) FROM users").await, 1);
    other.close().await.expect("the second pool closes");
}

#[tokio::test]
async fn unbounded_unique_text() {
    let db = test_database().await;
    let tags = |b| TableDef::of(tags::Entity, b);
    if db.backend != DbBackend::MySql {
        let report = run(&db, &[tags]).await;
        assert_eq!(report.applied[0], "create table `tags`");
        return;
    }
    // MySQL and MariaDB index at most 768 characters of `utf8mb4`: a unique index cannot hold
    // the whole of a `longtext`, and a prefix would make values that share it collide.
    let reasons = refused(&db, &[tags]).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with(
            "column `tags`.`name` is unique and unbounded text or bytes, which MySQL/MariaDB \
             cannot index whole: give the field a `max_len`"
        ),
        "{reasons:?}"
    );
    assert_eq!(migration_rows(&db.conn).await, Vec::<String>::new());
}

/// On MySQL and MariaDB: tables are InnoDB in `utf8mb4_bin`, so text is compared byte for byte;
/// long text fits; timestamps keep their microseconds; a text column in a plain index is indexed
/// by a prefix.
#[tokio::test]
async fn mysql_tables_keep_what_the_model_accepts() {
    let db = test_database().await;
    if db.backend != DbBackend::MySql {
        return;
    }
    let samples = |b| TableDef::of(samples::Entity, b);
    run(&db, &[users, posts, samples]).await;

    let collations = db
        .conn
        .query_all_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(ENGINE AS CHAR), \
                    CAST(TABLE_COLLATION AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
        ))
        .await
        .expect("information_schema is readable");
    let collations: Vec<(String, String, String)> = collations
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("a name"),
                row.try_get_by_index(1).expect("an engine"),
                row.try_get_by_index(2).expect("a collation"),
            )
        })
        .collect();
    for table in [MIGRATIONS_TABLE, "posts", "samples", "users"] {
        assert!(
            collations.contains(&(
                table.to_owned(),
                "InnoDB".to_owned(),
                "utf8mb4_bin".to_owned()
            )),
            "{table}: {collations:?}"
        );
    }

    // Two emails that differ only in case are two users, as on PostgreSQL and SQLite.
    add_user(&db.conn, "ada@example.com").await;
    add_user(&db.conn, "Ada@example.com").await;
    let twin = users::ActiveModel {
        email: Set("ada@example.com".to_owned()),
        name: Set("Ada".to_owned()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await;
    assert!(
        matches!(
            twin.as_ref().map_err(sea_orm::DbErr::sql_err),
            Err(Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        ),
        "{twin:?}"
    );

    // A post body longer than `text`'s 64 KiB.
    let ada = add_user(&db.conn, "ada@example.org").await;
    let body = "é".repeat(70_000);
    // Before 2038: the column (`datetime(6)`) holds any year, but sqlx binds a `DateTime<Utc>`
    // as a MySQL `TIMESTAMP` parameter, which MariaDB turns to NULL past 2038-01-19.
    let when = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678901Z")
        .expect("a time")
        .to_utc();
    let post = posts::ActiveModel {
        author_id: Set(ada.id),
        title: Set("Long".to_owned()),
        body: Set(body.clone()),
        published_at: Set(Some(when)),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("a long post is inserted");
    let read = posts::Entity::find_by_id(post.id)
        .one(&db.conn)
        .await
        .expect("the post reads back")
        .expect("the post is there");
    assert_eq!(read.body.len(), body.len());
    assert_eq!(read.published_at, Some(when), "microseconds");

    // `title` is a `varchar(200)`: indexed whole; `notes.body` is `longtext`: by a prefix.
    let notes = |b| TableDef::of(notes::Entity, b);
    run(&db, &[notes]).await;
    let prefix = |table: &str| {
        format!(
            "SELECT COALESCE(SUB_PART, 0) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'idx-{table}'"
        )
    };
    assert_eq!(scalar_i64(&db.conn, &prefix("posts-title")).await, 0);
    assert_eq!(scalar_i64(&db.conn, &prefix("notes-body")).await, 255);
    assert_eq!(run(&db, &[notes]).await, Report::default());
}

/// Two instances of an application starting at once: the second run waits for the first (an
/// advisory lock on PostgreSQL, `GET_LOCK` on MySQL/MariaDB), then finds nothing to do.
#[tokio::test]
async fn concurrent_runs_apply_each_step_once() {
    let db = test_database().await;
    if db.backend == DbBackend::Sqlite {
        return; // one connection to an in-memory database: nothing runs concurrently
    }
    let other = db.connect().await;
    let (first, second) = tokio::join!(
        migrate(&db.conn, tables(&db, &[users, posts])),
        migrate(&other, tables(&db, &[users, posts])),
    );
    let mut applied = first.expect("the first run").applied;
    applied.extend(second.expect("the second run").applied);
    assert_eq!(applied, create_steps());
    assert_eq!(migration_rows(&db.conn).await, create_steps());
    other.close().await.expect("the second pool closes");
}
