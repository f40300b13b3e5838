//! Migration files: `makemigrations` writes them from models (each kind of change an insta
//! snapshot), the files replay to the models after each, and `migrate_files` applies them on
//! a real database: SQLite in memory, PostgreSQL with `CHOPIN_TEST_POSTGRES_URL`, MySQL or
//! MariaDB with `CHOPIN_TEST_MYSQL_URL`.
//!
//! The models are hand-written SeaORM entities, a version of `posts` per step of its history.

use std::path::{Path, PathBuf};

use chopin_db::migrate::{Made, MakeOptions, MigrateError, ModelTable, TableDef, makemigrations};
use chopin_db::test_db::{TestDatabase, test_database};
use chopin_db::{Migrations, ModelDecl, migrate};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

/// An entity module: `id` as primary key, then `$fields`, with `$relations`.
macro_rules! entity {
    ($module:ident, $table:literal { $($fields:tt)* } { $($relations:tt)* }) => {
        #[allow(unreachable_pub, reason = "SeaORM entities are made of `pub` items")]
        mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                $($fields)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation { $($relations)* }

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(users, "users" {
    #[sea_orm(column_type = "String(StringLen::N(254))", unique)]
    pub email: String,
} {});

entity!(categories, "categories" {
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
} {});

/// `posts` belongs to a user, on delete cascade.
macro_rules! posts {
    ($module:ident, $table:literal { $($fields:tt)* } $($category:tt)*) => {
        entity!($module, $table {
            pub author_id: i32,
            $($fields)*
        } {
            #[sea_orm(
                belongs_to = "super::users::Entity",
                from = "Column::AuthorId",
                to = "super::users::Column::Id",
                on_delete = "Cascade"
            )]
            Author,
            $($category)*
        });
    };
}

posts!(posts_v1, "posts" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
});

posts!(posts_v2, "posts" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub summary: Option<String>,
});

/// A category (a new table, referenced), a unique slug.
macro_rules! posts_with_category {
    ($module:ident, $table:literal { $($fields:tt)* }) => {
        posts!($module, $table {
            $($fields)*
            #[sea_orm(unique)]
            pub slug: Option<String>,
            pub category_id: Option<i32>,
        }
            #[sea_orm(
                belongs_to = "super::categories::Entity",
                from = "Column::CategoryId",
                to = "super::categories::Column::Id",
                on_delete = "SetNull"
            )]
            Category,
        );
    };
}

posts_with_category!(posts_v3, "posts" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub summary: Option<String>,
});

// An index on `published`.
posts_with_category!(posts_v4, "posts" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub summary: Option<String>,
    #[sea_orm(indexed, default_value = false)]
    pub published: bool,
});

// `body` renamed `content`.
posts_with_category!(posts_v5, "posts" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub summary: Option<String>,
    #[sea_orm(indexed, default_value = false)]
    pub published: bool,
});

// `posts` renamed `articles`.
posts_with_category!(articles_v6, "articles" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub summary: Option<String>,
    #[sea_orm(indexed, default_value = false)]
    pub published: bool,
});

// `summary` dropped.
posts_with_category!(articles_v7, "articles" {
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(indexed, default_value = false)]
    pub published: bool,
});

// `title` widened to 300 characters.
posts_with_category!(articles_v8, "articles" {
    #[sea_orm(column_type = "String(StringLen::N(300))", indexed)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(indexed, default_value = false)]
    pub published: bool,
});

fn define<E: EntityTrait + Default>(backend: DbBackend) -> TableDef {
    TableDef::of(E::default(), backend)
}

/// A model of `E`, as a module declares it.
fn model<E: EntityTrait + Default>(
    table: &'static str,
    renamed_from: Option<&'static str>,
    renamed_columns: &'static [(&'static str, &'static str)],
) -> ModelDecl {
    ModelDecl {
        name: table,
        table,
        define: define::<E>,
        renamed_from,
        renamed_columns,
    }
}

/// The tables of `models`, as `makemigrations` compares them.
fn tables(models: &[ModelDecl]) -> Vec<ModelTable> {
    models.iter().map(ModelDecl::table_for_files).collect()
}

fn users() -> ModelDecl {
    model::<users::Entity>("users", None, &[])
}

fn categories() -> ModelDecl {
    model::<categories::Entity>("categories", None, &[])
}

/// An application's migrations directory of its own, removed afterwards.
struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!(
            "chopin-files-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Project { dir }
    }

    /// The files as `chopin::migrations!()` embeds them (leaked: `'static`, as embedded).
    fn embedded(&self) -> Migrations {
        let mut files: Vec<(&'static str, &'static str)> = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&self.dir)
            .expect("the directory")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("a file");
            files.push((
                Box::leak(name.into_boxed_str()),
                Box::leak(text.into_boxed_str()),
            ));
        }
        let dir: &'static str = Box::leak(self.dir.to_string_lossy().into_owned().into_boxed_str());
        Migrations::new("app", dir, Box::leak(files.into_boxed_slice()))
    }

    fn options(&self, check: bool, allow_destructive: bool) -> MakeOptions {
        MakeOptions {
            check,
            allow_destructive,
            dir: Some(self.dir.clone()),
            command: "app".to_owned(),
            ..MakeOptions::default()
        }
    }

    /// `makemigrations`: the new file's name and text.
    fn make(&self, models: &[ModelDecl]) -> Result<(String, String), MigrateError> {
        self.make_with(models, false)
    }

    fn make_with(
        &self,
        models: &[ModelDecl],
        allow_destructive: bool,
    ) -> Result<(String, String), MigrateError> {
        match makemigrations(
            &[self.embedded()],
            &tables(models),
            &self.options(false, allow_destructive),
        )? {
            Made::Written { path, .. } => Ok((
                path.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(&path).expect("the new file"),
            )),
            Made::NoChanges => panic!("no changes"),
        }
    }

    /// `makemigrations --check` passes: the files replay to `models`.
    fn check(&self, models: &[ModelDecl]) {
        let made = makemigrations(
            &[self.embedded()],
            &tables(models),
            &self.options(true, false),
        );
        assert!(matches!(made, Ok(Made::NoChanges)), "{made:?}");
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).expect("write a file");
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn exec(db: &TestDatabase, sql: &str) {
    db.conn
        .execute_raw(Statement::from_string(db.backend, sql.to_owned()))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
}

async fn strings(db: &TestDatabase, sql: &str) -> Vec<String> {
    db.conn
        .query_all_raw(Statement::from_string(db.backend, sql.to_owned()))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
        .collect()
}

/// Applies the project's files, and returns what was applied.
async fn migrate(db: &TestDatabase, project: &Project) -> Vec<String> {
    migrate::migrate_files(&db.conn, &[project.embedded()])
        .await
        .unwrap_or_else(|err| panic!("migrate: {err}"))
        .applied
}

/// The history of a model, a file per change, each applied to a database with a row in it,
/// which every change keeps.
#[tokio::test]
async fn each_kind_of_change_is_a_file_that_replays_to_the_models_and_applies() {
    let project = Project::new("history");
    let db = test_database().await;
    let snapshot = |name: &str, text: &str| {
        insta::assert_snapshot!(name, text);
    };

    // 1. Two new tables, one referencing the other, with their indexes.
    let v1 = [users(), model::<posts_v1::Entity>("posts", None, &[])];
    let (name, text) = project.make(&v1).expect("makemigrations");
    assert_eq!(name, "0001_initial.toml");
    snapshot("create", &text);
    project.check(&v1);
    assert_eq!(migrate(&db, &project).await, ["app/0001_initial"]);
    assert!(
        migrate(&db, &project).await.is_empty(),
        "a second run is a no-op"
    );
    exec(
        &db,
        "INSERT INTO users (id, email) VALUES (1, 'ada@example.com')",
    )
    .await;
    exec(
        &db,
        "INSERT INTO posts (id, author_id, title, body) VALUES (1, 1, 'First', 'Hello')",
    )
    .await;

    // 2. A nullable column.
    let v2 = [users(), model::<posts_v2::Entity>("posts", None, &[])];
    let (name, text) = project.make(&v2).expect("makemigrations");
    assert_eq!(name, "0002_add_posts_summary.toml");
    snapshot("add_column", &text);
    project.check(&v2);

    // 3. A new table, a column referencing it, and a unique one.
    let v3 = [
        users(),
        categories(),
        model::<posts_v3::Entity>("posts", None, &[]),
    ];
    let (name, text) = project.make(&v3).expect("makemigrations");
    assert_eq!(name, "0003_create_categories_and_more.toml");
    snapshot("add_foreign_key", &text);
    project.check(&v3);

    // 4. An indexed column with a default.
    let v4 = [
        users(),
        categories(),
        model::<posts_v4::Entity>("posts", None, &[]),
    ];
    let (_, text) = project.make(&v4).expect("makemigrations");
    snapshot("index", &text);
    project.check(&v4);
    assert_eq!(
        migrate(&db, &project).await,
        [
            "app/0002_add_posts_summary",
            "app/0003_create_categories_and_more",
            "app/0004_add_posts_published"
        ]
    );

    // 5. A field renamed: a rename, not a drop and an add.
    let v5 = [
        users(),
        categories(),
        model::<posts_v5::Entity>("posts", None, &[("content", "body")]),
    ];
    let (_, text) = project.make(&v5).expect("makemigrations");
    snapshot("rename_field", &text);
    project.check(&v5);

    // 6. The table renamed.
    let v6 = [
        users(),
        categories(),
        model::<articles_v6::Entity>("articles", Some("posts"), &[("content", "body")]),
    ];
    let (_, text) = project.make(&v6).expect("makemigrations");
    snapshot("rename_table", &text);
    project.check(&v6);
    migrate(&db, &project).await;
    assert_eq!(
        strings(&db, "SELECT content FROM articles WHERE id = 1").await,
        ["Hello"],
        "the renames kept the row"
    );

    // 7. A column dropped: refused, then written with --allow-destructive.
    let v7 = [
        users(),
        categories(),
        model::<articles_v7::Entity>("articles", None, &[]),
    ];
    let refused = project.make(&v7).expect_err("destructive");
    assert_eq!(
        refused.to_string(),
        "the next migration would be destructive: it drops column `articles`.`summary`, and \
         its values. Nothing was written: run `makemigrations --allow-destructive` to write it, \
         or declare a rename with `renamed_from`"
    );
    assert_eq!(std::fs::read_dir(project.path()).expect("dir").count(), 6);
    let (_, text) = project.make_with(&v7, true).expect("makemigrations");
    snapshot("destructive", &text);
    project.check(&v7);

    // 8. A column widened: an alteration (SQLite rebuilds the table).
    let v8 = [
        users(),
        categories(),
        model::<articles_v8::Entity>("articles", None, &[]),
    ];
    let (_, text) = project.make(&v8).expect("makemigrations");
    snapshot("alter_column", &text);
    project.check(&v8);

    // 9. A data migration, written by hand: SQL for each backend.
    project.write(
        "0009_shout_titles.toml",
        "# Titles in capitals.\n\n[[operations]]\nop = \"run_sql\"\n\
         sqlite = \"UPDATE articles SET title = upper(title)\"\n\
         postgres = \"UPDATE articles SET title = upper(title)\"\n\
         mysql = \"UPDATE articles SET title = upper(title)\"\n",
    );
    project.check(&v8);
    assert_eq!(
        migrate(&db, &project).await,
        [
            "app/0007_drop_articles_summary",
            "app/0008_alter_articles_title",
            "app/0009_shout_titles"
        ]
    );
    assert_eq!(
        strings(&db, "SELECT title FROM articles WHERE id = 1").await,
        ["FIRST"],
        "the rebuild kept the row, and the SQL ran"
    );
    let long = "x".repeat(300);
    exec(
        &db,
        &format!(
            "INSERT INTO articles (id, author_id, title, content) VALUES (2, 1, '{long}', '')"
        ),
    )
    .await;
    // The foreign keys still hold after the rebuild: deleting the user deletes the articles.
    exec(&db, "DELETE FROM users WHERE id = 1").await;
    assert!(strings(&db, "SELECT title FROM articles").await.is_empty());
    assert!(migrate(&db, &project).await.is_empty());
}

/// A binary run away from its source tree (its migrations directory gone) refuses to write a
/// first file where its embedded ones are missing.
#[test]
fn makemigrations_away_from_the_source_tree_is_refused() {
    let project = Project::new("away");
    project.make(&[users()]).expect("makemigrations");
    let embedded = project.embedded();
    std::fs::remove_dir_all(project.path()).expect("remove");
    let err = makemigrations(
        &[embedded],
        &tables(&[users(), categories()]),
        &project.options(false, false),
    )
    .expect_err("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "the migrations directory `{}` does not exist, though this binary embeds the files \
             it held when it was built: run `makemigrations` in the source tree it was built \
             from, or set MIGRATIONS_DIR to where its files are",
            project.path().display()
        )
    );
    assert!(!project.path().exists(), "nothing was written");
}

/// An applied file that changed is refused with both checksums, and nothing is applied.
#[tokio::test]
async fn an_edited_applied_file_is_refused() {
    let project = Project::new("checksum");
    let db = test_database().await;
    let v1 = [users()];
    project.make(&v1).expect("makemigrations");
    migrate(&db, &project).await;
    let path = project.path().join("0001_initial.toml");
    let text = std::fs::read_to_string(&path).expect("the file");
    std::fs::write(&path, text.replace("254", "255")).expect("edit");
    let err = migrate::migrate_files(&db.conn, &[project.embedded()])
        .await
        .expect_err("refused");
    let message = err.to_string();
    assert!(
        message.starts_with("`app/0001_initial` changed after it was applied (checksum "),
        "{message}"
    );
    assert!(
        message.ends_with(
            "now): an applied migration must not change; put it back, and write the change as \
             a new migration (`makemigrations`)"
        ),
        "{message}"
    );
}

/// Two branches' files of one number, merged: `makemigrations` and `migrate` both refuse them.
#[tokio::test]
async fn two_branches_files_of_one_number_conflict() {
    let project = Project::new("conflict");
    let db = test_database().await;
    project.make(&[users()]).expect("makemigrations");
    let v2 = [users(), categories()];
    let (name, text) = project.make(&v2).expect("makemigrations");
    assert_eq!(name, "0002_create_categories.toml");
    std::fs::remove_file(project.path().join(&name)).expect("remove");
    project.write("0002_a.toml", &text);
    project.write("0002_b.toml", "# the other branch\n");
    let expected = "conflicting migrations: `0002_a` and `0002_b` both follow `0001_initial`, \
                    written on two branches that were then merged. Renumber one of them to \
                    follow the other (check that neither undoes what the other does), then run \
                    `makemigrations --check`";
    let made = project.make(&v2).expect_err("a conflict");
    assert_eq!(
        made.to_string(),
        format!(
            "the migrations in `{}`: {expected}",
            project.path().display()
        )
    );
    let applied = migrate::migrate_files(&db.conn, &[project.embedded()])
        .await
        .expect_err("a conflict");
    assert_eq!(
        applied.to_string(),
        format!("the migrations of `app`: {expected}")
    );
    // Renumbered, they apply.
    std::fs::rename(
        project.path().join("0002_b.toml"),
        project.path().join("0003_b.toml"),
    )
    .expect("rename");
    project.check(&v2);
    assert_eq!(
        migrate(&db, &project).await,
        ["app/0001_initial", "app/0002_a", "app/0003_b"]
    );
}

/// A database that the earlier `migrate` (which diffed the models against it) made is adopted
/// by the first file: recorded, not run, its rows kept; later files apply as usual.
#[tokio::test]
async fn a_database_made_by_the_earlier_migrate_is_adopted() {
    let project = Project::new("adopt");
    let db = test_database().await;
    let v1 = [users(), model::<posts_v1::Entity>("posts", None, &[])];
    let tables: Vec<TableDef> = v1.iter().map(|m| (m.define)(db.backend)).collect();
    let synced = migrate::migrate(&db.conn, tables)
        .await
        .expect("the earlier migrate");
    assert!(!synced.applied.is_empty());
    exec(
        &db,
        "INSERT INTO users (id, email) VALUES (1, 'ada@example.com')",
    )
    .await;

    project.make(&v1).expect("makemigrations");
    let report = migrate::migrate_files(&db.conn, &[project.embedded()])
        .await
        .expect("adopted");
    assert_eq!(report.adopted, ["app/0001_initial"]);
    assert!(report.applied.is_empty());
    assert_eq!(
        strings(&db, "SELECT email FROM users").await,
        ["ada@example.com"]
    );
    // The earlier migrate's rows stay, as history; the file is recorded beside them.
    let recorded = strings(
        &db,
        "SELECT description FROM chopin_migrations WHERE name IS NOT NULL",
    )
    .await;
    assert_eq!(recorded, ["adopt app/0001_initial"]);

    let v2 = [users(), model::<posts_v2::Entity>("posts", None, &[])];
    project.make(&v2).expect("makemigrations");
    assert_eq!(migrate(&db, &project).await, ["app/0002_add_posts_summary"]);
    assert!(migrate(&db, &project).await.is_empty());
}

/// A file that fails is not recorded: on SQLite and PostgreSQL it is rolled back whole; on
/// MySQL, whose DDL commits itself, the statements before the failure stay, and the error lists
/// them. The files before it stay applied either way.
#[tokio::test]
async fn a_failing_file_is_not_recorded_and_the_files_before_it_stay() {
    let project = Project::new("failing");
    let db = test_database().await;
    project.make(&[users()]).expect("makemigrations");
    project.write(
        "0002_broken.toml",
        "[[operations]]\nop = \"create_table\"\ntable = \"drafts\"\ncolumns = [\n    \
         { name = \"id\", type = \"integer\", primary_key = true, auto_increment = true },\n]\n\n\
         [[operations]]\nop = \"run_sql\"\nsqlite = \"UPDATE no_such_table SET x = 1\"\n\
         postgres = \"UPDATE no_such_table SET x = 1\"\nmysql = \"UPDATE no_such_table SET x = 1\"\n",
    );
    let err = migrate::migrate_files(&db.conn, &[project.embedded()])
        .await
        .expect_err("the SQL fails");
    let MigrateError::Failed {
        file,
        operation,
        applied_before,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(file, "app/0002_broken");
    assert_eq!(operation, "run SQL written by hand");
    let recorded = strings(
        &db,
        "SELECT name FROM chopin_migrations WHERE name IS NOT NULL ORDER BY id",
    )
    .await;
    assert_eq!(recorded, ["0001_initial"], "the first file stays applied");
    let drafts = db
        .conn
        .query_all_raw(Statement::from_string(
            db.backend,
            "SELECT id FROM drafts".to_owned(),
        ))
        .await;
    if db.backend == DbBackend::MySql {
        assert!(
            drafts.is_ok(),
            "MySQL committed the CREATE TABLE before the failure"
        );
        assert_eq!(applied_before.len(), 1, "{applied_before:?}");
        assert!(
            applied_before[0].starts_with("CREATE TABLE `drafts`"),
            "{applied_before:?}"
        );
    } else {
        assert!(drafts.is_err(), "the file was rolled back whole");
        assert!(applied_before.is_empty());
    }
}
