//! The blog over HTTP, on a fresh database per test: SQLite in memory, or PostgreSQL when
//! `CHOPIN_TEST_POSTGRES_URL` is set (as `.ci/run` does).

mod common;

use common::{set_role, sign_in};

use chopin::Config;
use chopin::auth::mail::Outbox;
use chopin::auth::user;
use chopin::db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use chopin::db::test_db::{TestDatabase, test_database};
use chopin::db::{AppDbExt, Db};
use chopin::testing::{TestApp, TestRequest};
use serde_json::{Value, json};

/// The running blog, and a signed-in moderator's token for its guarded routes.
struct Blog {
    app: TestApp,
    bearer: String,
    outbox: Outbox,
}

impl Blog {
    fn get(&self, path: &str) -> TestRequest {
        self.app.get(path)
    }

    fn post(&self, path: &str) -> TestRequest {
        self.app.post(path).header("authorization", &self.bearer)
    }

    fn patch(&self, path: &str) -> TestRequest {
        self.app.patch(path).header("authorization", &self.bearer)
    }

    fn delete(&self, path: &str) -> TestRequest {
        self.app.delete(path).header("authorization", &self.bearer)
    }
}

/// The blog on a fresh, migrated database, with a moderator signed in.
async fn blog() -> (Blog, TestDatabase) {
    blog_with(Config::default()).await
}

/// [`blog`], configured by `config`.
async fn blog_with(config: Config) -> (Blog, TestDatabase) {
    let database = test_database().await;
    let outbox = Outbox::new();
    let app = blog::app_with_mailer(config, outbox.clone())
        .expect("the blog's configuration")
        .with_db(Db::from_connection(database.conn.clone()));
    // The committed migration files: AuthModule's, then the blog's, whose tables reference
    // `auth_users`.
    let report = app.migrate().await.expect("migrate");
    assert_eq!(report.applied, ["auth/0001_initial", "app/0001_initial"]);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let app = TestApp::spawn(app).await;
    let token = sign_in(&app, &outbox, "editor@example.com").await;
    set_role(&database, "editor@example.com", "moderator").await;
    let bearer = format!("Bearer {token}");
    (
        Blog {
            app,
            bearer,
            outbox,
        },
        database,
    )
}

async fn create_post(app: &Blog, title: &str) -> Value {
    let res = app
        .post("/posts")
        .json(&json!({"title": title, "body": "Some *Markdown*."}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn writing_needs_a_user_and_deleting_comments_a_moderator() {
    let (blog, _db) = blog().await;
    let post = json!({"title": "Anonymous", "body": "b"});
    let res = blog.app.post("/posts").json(&post).send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(blog.app.delete("/posts/1").send().await.status(), 401);
    let id = create_post(&blog, "Signed").await["id"].clone();
    let comment = json!({"post_id": id, "author": "Ann", "body": "Hi"});
    let res = blog.app.post("/comments").json(&comment).send().await;
    assert_eq!(res.status(), 201, "anyone comments: {}", res.text());
    let comment_id = res.json::<Value>()["id"].clone();

    let reader = sign_in(&blog.app, &blog.outbox, "reader@example.com").await;
    let res = blog
        .app
        .delete(&format!("/comments/{comment_id}"))
        .header("authorization", &format!("Bearer {reader}"))
        .send()
        .await;
    assert_eq!(res.status(), 403, "a user is not a moderator");
    let res = blog.delete(&format!("/comments/{comment_id}")).send().await;
    assert_eq!(res.status(), 204, "a moderator deletes: {}", res.text());
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
    let latest: Value = app.get("/posts/latest").send().await.json();
    assert_eq!(latest, json!([changed]), "published posts only");

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

/// The id of `email`'s account.
async fn user_id(database: &TestDatabase, email: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&database.conn)
        .await
        .expect("select")
        .expect("the account")
        .id
}

#[tokio::test]
async fn a_post_belongs_to_its_author_and_only_they_or_a_moderator_change_it() {
    let (blog, database) = blog().await;
    let ann = format!(
        "Bearer {}",
        sign_in(&blog.app, &blog.outbox, "ann@example.com").await
    );
    let bob = format!(
        "Bearer {}",
        sign_in(&blog.app, &blog.outbox, "bob@example.com").await
    );
    let as_user = |req: TestRequest, bearer: &str| req.header("authorization", bearer);

    // The author is the signed-in user; a client cannot name one (an unknown field, as `id`).
    let res = as_user(blog.app.post("/posts"), &ann)
        .json(&json!({"title": "Mine", "body": "b", "author_id": 1}))
        .send()
        .await;
    assert_eq!(res.status(), 422, "{}", res.text());
    assert_eq!(res.json::<Value>()["error"], "invalid");
    let res = as_user(blog.app.post("/posts"), &ann)
        .json(&json!({"title": "Ann's", "body": "b"}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let post: Value = res.json();
    let id = post["id"].as_i64().expect("an id");
    assert_eq!(
        post["author_id"],
        user_id(&database, "ann@example.com").await,
        "the read schema shows the author"
    );
    let path = format!("/posts/{id}");

    // To Bob, Ann's post is one that does not exist: the same 404, and it stays as it was.
    let missing = as_user(blog.app.delete("/posts/999999"), &bob).send().await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>()["message"], "no post 999999");
    let res = as_user(blog.app.patch(&path), &bob)
        .json(&json!({"title": "Bob's now"}))
        .send()
        .await;
    assert_eq!(res.status(), 404, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"error": "not_found", "message": format!("no post {id}")})
    );
    let res = as_user(blog.app.delete(&path), &bob).send().await;
    assert_eq!(res.status(), 404, "{}", res.text());
    assert_eq!(res.json::<Value>()["message"], format!("no post {id}"));
    let res = as_user(blog.app.patch(&path), &bob)
        .json(&json!({"author_id": 2}))
        .send()
        .await;
    assert_eq!(res.status(), 422, "nor is the author in a patch");
    assert_eq!(blog.get(&path).send().await.json::<Value>(), post);

    // Ann changes hers; a patch cannot hand it to someone else.
    let res = as_user(blog.app.patch(&path), &ann)
        .json(&json!({"title": "Ann's, edited"}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let edited: Value = res.json();
    assert_eq!(
        (&edited["title"], &edited["author_id"]),
        (&json!("Ann's, edited"), &post["author_id"])
    );
    let res = as_user(blog.app.patch(&path), &ann)
        .json(&json!({"author_id": 2}))
        .send()
        .await;
    assert_eq!(res.status(), 422);

    // An admin is above a moderator, who may change and delete any post.
    set_role(&database, "bob@example.com", "admin").await;
    let res = as_user(blog.app.patch(&path), &bob)
        .json(&json!({"published": true}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "an admin edits: {}", res.text());
    assert_eq!(res.json::<Value>()["author_id"], post["author_id"]);
    let res = blog.delete(&path).send().await;
    assert_eq!(res.status(), 204, "a moderator deletes: {}", res.text());
    assert_eq!(blog.get(&path).send().await.status(), 404);

    // And Ann deletes her own.
    let res = as_user(blog.app.post("/posts"), &ann)
        .json(&json!({"title": "Another", "body": "b"}))
        .send()
        .await;
    let path = format!("/posts/{}", res.json::<Value>()["id"]);
    let res = as_user(blog.app.delete(&path), &ann).send().await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(blog.get(&path).send().await.status(), 404);
}

#[tokio::test]
async fn deleting_an_account_deletes_its_posts() {
    let (blog, database) = blog().await;
    let ann = sign_in(&blog.app, &blog.outbox, "ann@example.com").await;
    let res = blog
        .app
        .post("/posts")
        .header("authorization", &format!("Bearer {ann}"))
        .json(&json!({"title": "Ann's", "body": "b"}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let path = format!("/posts/{}", res.json::<Value>()["id"]);
    assert_eq!(blog.app.get(&path).send().await.status(), 200);
    // `author_id` is a foreign key to the accounts' table, `on_delete = "cascade"`.
    let id = user_id(&database, "ann@example.com").await;
    user::Entity::delete_by_id(id)
        .exec(&database.conn)
        .await
        .expect("delete the account");
    assert_eq!(blog.app.get(&path).send().await.status(), 404);
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
    let app = blog::app(Config::default())
        .expect("the blog's configuration")
        .with_db(Db::from_connection(database.conn.clone()));
    let first = app.migrate().await.expect("migrate");
    assert!(!first.applied.is_empty());
    let second = app.migrate().await.expect("migrate again");
    assert_eq!(second.applied, Vec::<String>::new());
}

/// Strings that must never reach the database: in every text field.
const HOSTILE: [&str; 4] = [
    "a\u{0}b",
    "a\u{7}b",
    "\u{1b}[2Jcleared",
    // A lone surrogate, escaped in the JSON text: not a Unicode scalar value.
    "LONE_SURROGATE",
];

/// A line break, which text may hold but an address must not: it would reach a mail header.
const HEADER_INJECTION: &str = "a@b.example\r\nBcc: all@example.com";

/// `template` with the string `field` set to `value`, as JSON text.
fn with_field(template: &Value, field: &str, value: &str) -> String {
    let mut body = template.clone();
    body[field] = Value::String(value.to_owned());
    serde_json::to_string(&body)
        .expect("json")
        .replace("\"LONE_SURROGATE\"", "\"a\\ud800b\"")
}

#[tokio::test]
async fn hostile_text_in_every_field_of_every_operation_is_a_4xx_and_never_stored() {
    // The limits off, so that each answer is the validation's, not a rate limit's.
    let config = Config::from_lookup(|name| {
        matches!(name, "SECURITY_RATE_LIMIT" | "SECURITY_LOCKOUT").then(|| "false".to_owned())
    })
    .expect("the configuration");
    let (blog, database) = blog_with(config).await;
    let post = create_post(&blog, "A post").await["id"]
        .as_i64()
        .expect("an id");
    let password = "a long enough password";
    let operations: Vec<(&str, String, bool, Value)> = vec![
        (
            "POST",
            "/auth/signup".into(),
            false,
            json!({"email": "new@example.com", "password": password}),
        ),
        (
            "POST",
            "/auth/login".into(),
            false,
            json!({"email": "editor@example.com", "password": password}),
        ),
        (
            "POST",
            "/auth/password-reset".into(),
            false,
            json!({"email": "editor@example.com"}),
        ),
        (
            "POST",
            "/auth/verify-email".into(),
            false,
            json!({"email": "editor@example.com"}),
        ),
        (
            "POST",
            "/auth/password-reset/confirm".into(),
            false,
            json!({"token": "abc", "new_password": "another long password"}),
        ),
        (
            "POST",
            "/auth/verify-email/confirm".into(),
            false,
            json!({"token": "abc"}),
        ),
        (
            "POST",
            "/auth/refresh".into(),
            false,
            json!({"refresh_token": "abc"}),
        ),
        (
            "POST",
            "/auth/password".into(),
            true,
            json!({"current_password": password, "new_password": "another long password"}),
        ),
        (
            "POST",
            "/auth/totp/confirm".into(),
            true,
            json!({"password": password, "code": "123456"}),
        ),
        (
            "POST",
            "/posts".into(),
            true,
            json!({"title": "t", "body": "b"}),
        ),
        (
            "PATCH",
            format!("/posts/{post}"),
            true,
            json!({"title": "t", "body": "b"}),
        ),
        (
            "POST",
            "/comments".into(),
            false,
            json!({"post_id": post, "author": "a", "email": "a@b.example", "body": "b"}),
        ),
    ];
    let mut cases = 0;
    for (method, path, auth, template) in &operations {
        let fields: Vec<String> = template
            .as_object()
            .expect("an object")
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
            .collect();
        for field in &fields {
            let injection = (field == "email").then_some(HEADER_INJECTION);
            for hostile in HOSTILE.into_iter().chain(injection) {
                let body = with_field(template, field, hostile);
                let mut req = match *method {
                    "POST" => blog.app.post(path),
                    _ => blog.app.patch(path),
                }
                .header("content-type", "application/json")
                .body(body.clone());
                if *auth {
                    req = req.header("authorization", &blog.bearer);
                }
                let res = req.send().await;
                let status = res.status().as_u16();
                assert!(
                    (400..500).contains(&status),
                    "{method} {path} with {body}: {status} {}",
                    res.text()
                );
                if field == "email" && path.starts_with("/auth/") && hostile != "LONE_SURROGATE" {
                    assert_eq!(status, 422, "{method} {path} with {body}: {}", res.text());
                }
                cases += 1;
            }
        }
        // Far more than the body limit: refused before it is read.
        let huge = with_field(template, &fields[0], &"x".repeat(3 << 20));
        let res = blog
            .app
            .post(path)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await;
        assert_eq!(res.status(), 413, "{method} {path}: {}", res.text());
    }
    for path in [
        "/posts/%00",
        "/posts/1%0a",
        "/posts?page=%00",
        "/posts/99999999999999999999",
    ] {
        let status = blog.get(path).send().await.status().as_u16();
        assert!((400..500).contains(&status), "GET {path}: {status}");
    }
    assert_eq!(
        cases, 89,
        "every field of every operation, with each hostile string"
    );
    // Nothing hostile was stored: one account, one post, no comment.
    let users = chopin::auth::user::Entity::find()
        .all(&database.conn)
        .await
        .expect("users");
    assert_eq!(
        users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["editor@example.com"]
    );
    let titles: Vec<String> = blog::post::Entity::find()
        .all(&database.conn)
        .await
        .expect("posts")
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(titles, ["A post"]);
}

#[tokio::test]
async fn a_page_of_30_posts_is_compressed_when_asked_counted_and_tagged_with_a_request_id() {
    let mut config = Config::default();
    config.http.metrics_path = Some("/metrics".to_owned());
    let (blog, _database) = blog_with(config).await;
    for i in 0..30 {
        let post = json!({"title": format!("Post {i}"), "body": "words ".repeat(40)});
        let res = blog.post("/posts").json(&post).send().await;
        assert_eq!(res.status(), 201, "{}", res.text());
    }
    let plain = blog.get("/posts?per_page=30").send().await;
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.json::<Value>()["items"].as_array().map(Vec::len),
        Some(30)
    );
    assert!(plain.header("x-request-id").is_some());

    let gzipped = blog
        .get("/posts?per_page=30")
        .header("accept-encoding", "gzip")
        .header("x-request-id", "list-30")
        .send()
        .await;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gzipped.header("x-request-id"), Some("list-30"));
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&gzipped.bytes()[..]),
        &mut text,
    )
    .expect("gzip");
    assert_eq!(text, plain.text());
    assert!(gzipped.bytes().len() * 4 < plain.bytes().len());

    let metrics = blog.get("/metrics").send().await;
    let text = metrics.text();
    assert!(
        text.contains(r#"http_requests_total{method="POST",route="/posts",status="201"} 30"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/posts",status="200"} 2"#),
        "{text}"
    );
    // The pool the requests used: at least one connection, idle now.
    let idle = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"chopin_db_pool_connections{state="idle"} "#))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("the pool's idle connections: {text}"));
    assert!(idle >= 1.0, "{text}");
    assert!(
        text.contains(r#"chopin_db_pool_connections{state="in_use"}"#),
        "{text}"
    );
}
