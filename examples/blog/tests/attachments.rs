//! Attachments over HTTP: the blog on a fresh database (SQLite in memory, or PostgreSQL with
//! `CHOPIN_TEST_POSTGRES_URL`) and its files in a directory of their own
//! (`STORAGE_URL=file://DIR`, `MAX_UPLOAD_BYTES=2097152`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chopin::Config;
use chopin::auth::mail::Outbox;
use chopin::db::test_db::{TestDatabase, test_database};
use chopin::db::{AppDbExt, Db};
use chopin::testing::TestApp;
use common::{set_role, sign_in};
use serde_json::{Value, json};

/// A directory of its own under the system's temporary one, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Dir(std::env::temp_dir().join(format!("blog-{name}-{}-{nanos}", std::process::id())))
    }

    /// Every file under it, however deep.
    fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The blog storing files in `dir`, with two signed-in authors: `(app, alice, bob)` as bearer
/// headers.
async fn blog(dir: &Dir) -> (TestApp, String, String, TestDatabase) {
    let url = format!("file://{}", dir.0.display());
    let config = Config::from_lookup(move |name| match name {
        "STORAGE_URL" => Some(url.clone()),
        "MAX_UPLOAD_BYTES" => Some("2097152".to_owned()),
        _ => None,
    })
    .expect("the configuration");
    let database = test_database().await;
    let outbox = Outbox::new();
    let app = blog::app_with_mailer(config, outbox.clone())
        .expect("the blog's configuration")
        .with_db(Db::from_connection(database.conn.clone()));
    app.migrate().await.expect("migrate");
    let app = TestApp::spawn(app).await;
    let alice = sign_in(&app, &outbox, "alice@example.com").await;
    let bob = sign_in(&app, &outbox, "bob@example.com").await;
    (
        app,
        format!("Bearer {alice}"),
        format!("Bearer {bob}"),
        database,
    )
}

const BOUNDARY: &str = "blog-test-5c2e";

/// A form with one `file` part named `filename`.
fn form(filename: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\ncontent-type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A PNG of `len` bytes: its signature and header, then a pattern.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.extend((bytes.len()..len).map(|i| (i * 7 % 253) as u8));
    bytes
}

async fn attach(
    app: &TestApp,
    bearer: &str,
    post: i64,
    name: &str,
    bytes: &[u8],
) -> chopin::testing::TestResponse {
    app.post(&format!("/posts/{post}/attachments"))
        .header("authorization", bearer)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(name, bytes))
        .send()
        .await
}

async fn new_post(app: &TestApp, bearer: &str) -> i64 {
    let res = app
        .post("/posts")
        .header("authorization", bearer)
        .json(&json!({"title": "With pictures", "body": "See below."}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    res.json::<Value>()["id"].as_i64().expect("an id")
}

#[tokio::test]
async fn an_author_attaches_a_picture_that_anyone_downloads_and_the_author_deletes() {
    let dir = Dir::new("attach");
    let (app, alice, bob, _db) = blog(&dir).await;
    let post = new_post(&app, &alice).await;
    let picture = png(1_500_000);

    let res = attach(&app, &alice, post, "holiday.png", &picture).await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let info: Value = res.json();
    let id = info["id"].as_i64().expect("an id");
    assert_eq!(
        res.header("location"),
        Some(format!("/attachments/{id}").as_str())
    );
    assert_eq!(
        info,
        json!({
            "id": id,
            "filename": "holiday.png",
            "content_type": "image/png",
            "size": 1_500_000,
            "url": format!("/attachments/{id}"),
        })
    );
    let stored = dir.files();
    assert_eq!(stored.len(), 1);
    assert_eq!(std::fs::read(&stored[0]).expect("the object"), picture);

    // Anyone downloads it, whole or by ranges.
    let url = format!("/attachments/{id}");
    let res = app.get(&url).send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.bytes().as_ref(), &picture[..]);
    let res = app.get(&url).header("range", "bytes=0-99").send().await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().as_ref(), &picture[..100]);
    assert_eq!(res.header("content-range"), Some("bytes 0-99/1500000"));
    let res = app.get(&format!("/posts/{post}/attachments")).send().await;
    assert_eq!(res.json::<Value>().as_array().map(Vec::len), Some(1));

    // Only its post's author deletes it; to anyone else it does not exist.
    let res = app.delete(&url).send().await;
    assert_eq!(res.status(), 401);
    let res = app.delete(&url).header("authorization", &bob).send().await;
    assert_eq!(res.status(), 404, "{}", res.text());
    let res = app
        .delete(&url)
        .header("authorization", &alice)
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(app.get(&url).send().await.status(), 404);
    assert_eq!(dir.files(), Vec::<PathBuf>::new(), "the object is gone");
    app.shutdown().await;
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    let dir = Dir::new("refused");
    let (app, alice, bob, _db) = blog(&dir).await;
    let post = new_post(&app, &alice).await;

    // No token, someone else's post, no such post.
    let res = app
        .post(&format!("/posts/{post}/attachments"))
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form("a.png", &png(100)))
        .send()
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        attach(&app, &bob, post, "a.png", &png(100)).await.status(),
        404
    );
    assert_eq!(
        attach(&app, &alice, 999, "a.png", &png(100)).await.status(),
        404
    );

    // 3 MB against `MAX_UPLOAD_BYTES=2097152`.
    let res = attach(&app, &alice, post, "big.png", &png(3_000_000)).await;
    assert_eq!(res.status(), 413, "{}", res.text());
    // Just over the limit: refused while streaming, after parts were written.
    let res = attach(&app, &alice, post, "big.png", &png(2_097_153)).await;
    assert_eq!(res.status(), 413, "{}", res.text());

    // A name that climbs out of the directory.
    let res = attach(&app, &alice, post, "../../escaped.png", &png(100)).await;
    assert_eq!(res.status(), 400, "{}", res.text());
    let outside = dir.0.parent().map(|p| p.join("escaped.png"));
    assert!(outside.is_some_and(|p| !p.exists()));

    assert_eq!(dir.files(), Vec::<PathBuf>::new(), "nothing stored");
    let res = app.get(&format!("/posts/{post}/attachments")).send().await;
    assert_eq!(res.json::<Value>(), json!([]), "no row either");
    app.shutdown().await;
}

#[tokio::test]
async fn deleting_a_post_deletes_its_files_and_the_sweep_removes_orphans() {
    let dir = Dir::new("sweep");
    let (app, alice, _bob, database) = blog(&dir).await;
    let post = new_post(&app, &alice).await;
    for name in ["a.png", "b.png"] {
        assert_eq!(
            attach(&app, &alice, post, name, &png(1000)).await.status(),
            201
        );
    }
    assert_eq!(dir.files().len(), 2);
    let res = app
        .delete(&format!("/posts/{post}"))
        .header("authorization", &alice)
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(
        dir.files(),
        Vec::<PathBuf>::new(),
        "the post's files went with it"
    );

    // An object no row names (a delete that failed half-way), two hours old, and a fresh one
    // (an upload whose row is being written).
    let kept = new_post(&app, &alice).await;
    assert_eq!(
        attach(&app, &alice, kept, "kept.png", &png(1000))
            .await
            .status(),
        201
    );
    let orphan = dir.0.join("0190aaaa-0000-7000-8000-000000000000");
    std::fs::write(&orphan, b"left behind").expect("write");
    let old = SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .and_then(|f| f.set_modified(old))
        .expect("age it");
    let fresh = dir.0.join("0190bbbb-0000-7000-8000-000000000000");
    std::fs::write(&fresh, b"in flight").expect("write");
    let old_kept = dir
        .files()
        .into_iter()
        .find(|p| *p != orphan && *p != fresh);
    std::fs::File::options()
        .write(true)
        .open(old_kept.expect("the kept object"))
        .and_then(|f| f.set_modified(old))
        .expect("age it");

    let res = app
        .post("/attachments/sweep")
        .header("authorization", &alice)
        .send()
        .await;
    assert_eq!(res.status(), 403, "admins only");
    set_role(&database, "alice@example.com", "admin").await;
    let res = app
        .post("/attachments/sweep")
        .header("authorization", &alice)
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"deleted": ["0190aaaa-0000-7000-8000-000000000000"]})
    );
    assert!(!orphan.exists());
    assert!(fresh.exists(), "younger than the grace period");
    assert_eq!(
        dir.files().len(),
        2,
        "the attachment's object and the fresh one"
    );
    app.shutdown().await;
}
