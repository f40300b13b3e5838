//! The blog over HTTP, on a fresh database per test: SQLite in memory, or PostgreSQL when
//! `CHOPIN_TEST_POSTGRES_URL` is set (as `.ci/run` does).

use chopin::Config;
use chopin::db::Db;
use chopin::db::test_db::{TestDatabase, test_database};
use chopin::testing::TestApp;
use serde_json::{Value, json};

/// The blog on a fresh, migrated database.
async fn blog() -> (TestApp, TestDatabase) {
    let database = test_database().await;
    let app = blog::app(Config::default()).with_db(Db::from_connection(database.conn.clone()));
    let report = app.migrate().await.expect("migrate");
    let created: Vec<&String> = report
        .applied
        .iter()
        .filter(|s| s.starts_with("create table"))
        .collect();
    assert_eq!(
        created,
        ["create table `posts`", "create table `comments`"],
        "posts before the comments that refer to them: {:?}",
        report.applied
    );
    (TestApp::spawn(app).await, database)
}

async fn create_post(app: &TestApp, title: &str) -> Value {
    let res = app
        .post("/posts")
        .json(&json!({"title": title, "body": "Some *Markdown*."}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn posts_are_created_read_listed_changed_and_deleted() {
    let (app, _db) = blog().await;
    let post = create_post(&app, "Hello").await;
    let id = post["id"].as_i64().expect("an id");
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["published"], false, "the column's default");
    assert_eq!(post["created_at"], post["updated_at"]);

    let res = app.get(&format!("/posts/{id}")).send().await;
    assert_eq!(res.json::<Value>(), post);

    create_post(&app, "Second").await;
    let page: Value = app.get("/posts?per_page=1").send().await.json();
    assert_eq!(page["total"], 2);
    assert_eq!(page["per_page"], 1);
    assert_eq!(page["items"][0]["title"], "Second", "newest first");
    let page: Value = app.get("/posts?per_page=1&page=2").send().await.json();
    assert_eq!(page["items"][0]["title"], "Hello");

    let res = app
        .patch(&format!("/posts/{id}"))
        .json(&json!({"published": true}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let changed: Value = res.json();
    assert_eq!(changed["published"], true);
    assert_eq!(
        changed["title"], "Hello",
        "fields the patch leaves out are kept"
    );

    assert_eq!(
        app.delete(&format!("/posts/{id}")).send().await.status(),
        204
    );
    let res = app.get(&format!("/posts/{id}")).send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>(),
        json!({"error": "not_found", "message": format!("no post {id}")})
    );
    assert_eq!(
        app.delete(&format!("/posts/{id}")).send().await.status(),
        404
    );
}

#[tokio::test]
async fn invalid_input_is_a_422_naming_every_field() {
    let (app, _db) = blog().await;
    let res = app
        .post("/posts")
        .json(&json!({"title": "x".repeat(201), "body": "b"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({
            "error": "invalid",
            "message": "1 field is invalid",
            "fields": [{"field": "title", "message": "at most 200 characters, got 201"}],
        })
    );

    let post = create_post(&app, "Hello").await;
    let res = app
        .post("/comments")
        .json(&json!({"post_id": post["id"], "author": "", "email": "nope", "body": "Hi"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let fields: Vec<String> = res.json::<Value>()["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(fields, ["author", "email"]);

    let res = app
        .post("/comments")
        .json(&json!({"post_id": 999, "author": "Ann", "body": "Hi"}))
        .send()
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>()["message"], "no post 999");

    // `null` where the schema says a value: the JSON has the wrong shape.
    let res = app
        .post("/posts")
        .json(&json!({"title": "t", "body": "b", "published": null}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .patch("/posts/1")
        .json(&json!({"title": null}))
        .send()
        .await;
    assert_eq!(res.status(), 422);

    // A field the client may not set, and a body that is not the schema's.
    let res = app
        .post("/posts")
        .json(&json!({"id": 7, "title": "t", "body": "b"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["error"], "invalid");
    let res = app
        .patch("/posts/1")
        .json(&json!({"title": ""}))
        .send()
        .await;
    assert_eq!(res.status(), 422);

    let res = app.get("/posts?per_page=101").send().await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>()["fields"][0]["field"], "per_page");
}

#[tokio::test]
async fn comments_belong_to_their_post_and_go_with_it() {
    let (app, _db) = blog().await;
    let post = create_post(&app, "Hello").await;
    let id = post["id"].as_i64().expect("an id");
    let comments = [
        json!({"post_id": id, "author": "Ann", "body": "Nice."}),
        json!({"post_id": id, "author": "Bob", "email": "a@b.example", "body": "Nice."}),
    ];
    for comment in comments {
        let res = app.post("/comments").json(&comment).send().await;
        assert_eq!(res.status(), 201, "{}", res.text());
    }
    // JSON Schema's `integer` includes `7.0`, and so does the model.
    let res = app
        .post("/comments")
        .json(&json!({"post_id": id as f64, "author": "Cy", "body": "Hi."}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let cy = res.json::<Value>()["id"].clone();
    assert_eq!(
        app.delete(&format!("/comments/{cy}")).send().await.status(),
        204
    );
    let page: Value = app
        .get(&format!("/posts/{id}/comments"))
        .send()
        .await
        .json();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["author"], "Ann", "oldest first");
    assert_eq!(page["items"][0]["email"], Value::Null, "an optional column");
    assert_eq!(page["items"][1]["email"], "a@b.example");

    assert_eq!(
        app.delete(&format!("/posts/{id}")).send().await.status(),
        204
    );
    let other = create_post(&app, "Other").await;
    let other_id = other["id"].as_i64().expect("an id");
    let page: Value = app
        .get(&format!("/posts/{other_id}/comments"))
        .send()
        .await
        .json();
    assert_eq!(page["total"], 0);
    // The deleted post's comments went with it.
    let res = app.delete("/comments/1").send().await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn migrate_again_does_nothing() {
    let database = test_database().await;
    let app = blog::app(Config::default()).with_db(Db::from_connection(database.conn.clone()));
    let first = app.migrate().await.expect("migrate");
    assert!(!first.applied.is_empty());
    let second = app.migrate().await.expect("migrate again");
    assert_eq!(second.applied, Vec::<String>::new());
}
