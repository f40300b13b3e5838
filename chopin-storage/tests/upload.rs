//! Uploads and downloads over real HTTP, on local files: what is stored, what is refused with
//! nothing left behind, and how files are served back.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chopin_runtime::axum::Json;
use chopin_runtime::axum::extract::{FromRequestParts, Path};
use chopin_runtime::axum::routing::{get, post};
use chopin_runtime::http::request::Parts;
use chopin_runtime::http::{HeaderMap, StatusCode};
use chopin_runtime::testing::TestApp;
use chopin_runtime::{App, ChopinError, Config, service};
use chopin_storage::{Download, Storage, StorageConfig, StorageUrl, StoredFile, Upload};
use common::Dir;

/// What the test application has stored, by key: what a model row would keep.
#[derive(Clone, Default)]
struct Files(Arc<Mutex<HashMap<String, StoredFile>>>);

impl<S: Send + Sync> FromRequestParts<S> for Files {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        service::of::<Files>(parts).ok_or_else(|| ChopinError::internal("no Files"))
    }
}

impl Files {
    fn keep(&self, file: StoredFile) -> StoredFile {
        if let Ok(mut files) = self.0.lock() {
            files.insert(file.key.clone(), file.clone());
        }
        file
    }

    fn get(&self, key: &str) -> Option<StoredFile> {
        self.0.lock().ok().and_then(|files| files.get(key).cloned())
    }
}

async fn any_file(files: Files, upload: Upload) -> Result<Json<StoredFile>, ChopinError> {
    Ok(Json(files.keep(upload.store().await?)))
}

async fn image(files: Files, upload: Upload) -> Result<Json<StoredFile>, ChopinError> {
    let file = upload.accept(&["image/*"]).store().await?;
    Ok(Json(files.keep(file)))
}

async fn show(
    files: Files,
    storage: Storage,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Download, ChopinError> {
    let file = files
        .get(&key)
        .ok_or_else(|| ChopinError::not_found("no such file"))?;
    storage.download(&file, &headers).await
}

/// Refuses every upload before reading it, as a handler does for a user who may not upload.
async fn refuse(_upload: Upload) -> ChopinError {
    ChopinError::not_found("no such album")
}

async fn echo(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(value)
}

/// The application on local files in `dir`, files up to `max_upload` bytes, JSON bodies up
/// to 1 MiB.
async fn spawn(dir: &Dir, max_upload: u64) -> TestApp {
    let config = StorageConfig {
        url: StorageUrl::File(dir.0.clone()),
        max_upload_bytes: max_upload,
        ..StorageConfig::default()
    };
    let storage = Storage::open(&config).await.expect("the store opens");
    let mut server = Config::default();
    server.limits.max_body_bytes = 1024 * 1024;
    let app = App::with_config(server)
        .with_plugin(chopin_storage::StoragePlugin)
        .with_service(storage)
        .with_service(Files::default())
        .route("/files", post(any_file))
        .route("/images", post(image))
        .route("/refused", post(refuse))
        .route("/files/{key}", get(show))
        .route("/echo", post(echo));
    TestApp::spawn(app).await
}

const BOUNDARY: &str = "chopin-test-7d1f0a";

/// A `multipart/form-data` body of `parts`: (field name, file name, bytes).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("content-disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\ncontent-type: image/png\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("content-disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A PNG signature and header followed by `len` bytes of a pattern.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.extend((0..len).map(|i| (i * 31 % 251) as u8));
    bytes
}

async fn post_form(
    app: &TestApp,
    path: &str,
    body: Vec<u8>,
) -> chopin_runtime::testing::TestResponse {
    app.post(path)
        .header("content-type", &multipart())
        .body(body)
        .send()
        .await
}

#[tokio::test]
async fn stores_a_file_and_serves_it_back_by_ranges() {
    let dir = Dir::new("roundtrip");
    let app = spawn(&dir, 2 * 1024 * 1024).await;
    let bytes = png(1_499_971);
    assert_eq!(bytes.len(), 1_500_000);
    let res = post_form(&app, "/images", form(&[("file", Some("cat.png"), &bytes)])).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    let file: StoredFile = res.json();
    assert_eq!(file.filename, "cat.png");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.size, bytes.len() as u64);
    assert_eq!(file.sha256.len(), 64);
    assert_ne!(file.key, "cat.png");
    assert_eq!(dir.files().len(), 1, "one object in the directory");
    assert!(dir.files()[0].starts_with(&dir.0));

    let path = format!("/files/{}", file.key);
    let res = app.get(&path).send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().as_ref(), &bytes[..]);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.header("content-length"), Some("1500000"));
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(
        res.header("content-security-policy")
            .is_some_and(|csp| csp.contains("sandbox"))
    );
    assert!(res.header("last-modified").is_some());
    assert_eq!(
        res.header("content-disposition"),
        Some("inline; filename=\"cat.png\"; filename*=UTF-8''cat.png")
    );
    let etag = res.header("etag").expect("an etag").to_owned();

    let res = app.get(&path).header("range", "bytes=0-99").send().await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().as_ref(), &bytes[..100]);
    assert_eq!(res.header("content-range"), Some("bytes 0-99/1500000"));
    assert_eq!(res.header("content-length"), Some("100"));

    let res = app.get(&path).header("range", "bytes=-25").send().await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().as_ref(), &bytes[bytes.len() - 25..]);

    let res = app
        .get(&path)
        .header("range", "bytes=1500000-")
        .send()
        .await;
    assert_eq!(
        res.status(),
        StatusCode::RANGE_NOT_SATISFIABLE,
        "{}",
        res.text()
    );
    assert_eq!(res.header("content-range"), Some("bytes */1500000"));

    // A stale `if-range` gets the whole file, a current `if-none-match` nothing.
    let res = app
        .get(&path)
        .header("range", "bytes=0-9")
        .header("if-range", "\"stale\"")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().len(), bytes.len());
    let res = app.get(&path).header("if-none-match", &etag).send().await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_over_the_limit_gets_413_and_leaves_nothing() {
    let dir = Dir::new("limit");
    let max = 300 * 1024;
    let app = spawn(&dir, max).await;
    // Within the body's room for framing: refused while streaming, after parts were written.
    let over = png(max as usize + 10_000);
    let res = post_form(&app, "/files", form(&[("file", Some("big.png"), &over)])).await;
    assert_eq!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        res.text()
    );
    assert!(
        res.text().contains("limit of 307200 bytes"),
        "{}",
        res.text()
    );
    assert_eq!(
        dir.files(),
        Vec::<PathBuf>::new(),
        "no object, no staged part"
    );
    // Far over: refused by its `content-length` before a byte is read.
    let far = png(3 * max as usize);
    let res = post_form(&app, "/files", form(&[("file", Some("big.png"), &far)])).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(dir.files(), Vec::<PathBuf>::new());
    // The limit is the file's: exactly at it is stored.
    let at = png(max as usize - 29);
    assert_eq!(at.len() as u64, max);
    let res = post_form(&app, "/files", form(&[("file", Some("at.png"), &at)])).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    assert_eq!(dir.files().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn uploads_do_not_raise_the_limit_of_other_bodies() {
    let dir = Dir::new("json");
    let app = spawn(&dir, 10 * 1024 * 1024).await;
    // 2 MiB of JSON, over `MAX_BODY_BYTES` (1 MiB) and under the uploads' limit.
    let json = format!("\"{}\"", "x".repeat(2 * 1024 * 1024));
    let res = app
        .post("/echo")
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await;
    assert_eq!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        res.text()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_type_is_the_bytes_not_the_claim() {
    let dir = Dir::new("types");
    let app = spawn(&dir, 1024 * 1024).await;
    // Says `image/png` (see `form`), is HTML with a script.
    let page = b"<!doctype html><script>alert(document.cookie)</script>";
    let res = post_form(&app, "/images", form(&[("file", Some("cat.png"), page)])).await;
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        res.text()
    );
    assert!(res.text().contains("text/html"), "{}", res.text());
    assert_eq!(dir.files(), Vec::<PathBuf>::new());

    // Where any type is taken, it is stored as what it is and served as a download.
    let res = post_form(&app, "/files", form(&[("file", Some("cat.png"), page)])).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    let file: StoredFile = res.json();
    assert_eq!(file.content_type, "text/html");
    let res = app.get(&format!("/files/{}", file.key)).send().await;
    assert_eq!(res.header("content-type"), Some("text/html"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"cat.png\"; filename*=UTF-8''cat.png")
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));

    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    let res = post_form(&app, "/images", form(&[("file", Some("icon.svg"), svg)])).await;
    // `image/*` takes SVG: it is stored, and served as a download, never inline.
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    let file: StoredFile = res.json();
    assert_eq!(file.content_type, "image/svg+xml");
    let res = app.get(&format!("/files/{}", file.key)).send().await;
    assert!(
        res.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;"))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn bad_forms_get_400_and_leave_nothing() {
    let dir = Dir::new("bad");
    let app = spawn(&dir, 1024 * 1024).await;
    let bytes = png(1000);
    let long = "x".repeat(300);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            form(&[("file", Some("../../x.png"), &bytes)]),
            "path",
        ),
        (
            "backslashes",
            form(&[("file", Some("..\\..\\x.png"), &bytes)]),
            "path",
        ),
        ("NUL", form(&[("file", Some("a\0b.png"), &bytes)]), ""),
        (
            "300 characters",
            form(&[("file", Some(&long), &bytes)]),
            "255 bytes",
        ),
        (
            "no file name",
            form(&[("file", None, &bytes)]),
            "no file name",
        ),
        ("no part", form(&[]), "no `file` part"),
        (
            "two file parts",
            form(&[
                ("file", Some("a.png"), &bytes),
                ("file", Some("b.png"), &bytes),
            ]),
            "more than one `file` part",
        ),
    ];
    for (case, body, says) in cases {
        let res = post_form(&app, "/files", body).await;
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            res.text()
        );
        assert!(res.text().contains(says), "{case}: {}", res.text());
        assert_eq!(dir.files(), Vec::<PathBuf>::new(), "{case}: nothing stored");
    }
    // A body cut in the middle of the file.
    let mut cut = form(&[("file", Some("a.png"), &png(100_000))]);
    cut.truncate(50_000);
    let res = post_form(&app, "/files", cut).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}", res.text());
    assert_eq!(
        dir.files(),
        Vec::<PathBuf>::new(),
        "truncated: nothing stored"
    );
    // Not a form at all.
    let res = app
        .post("/files")
        .header("content-type", "image/png")
        .body(bytes.clone())
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A part besides the file, before or after it: refused, and the file not kept.
    for parts in [
        vec![
            ("title", None, &b"a cat"[..]),
            ("file", Some("a.png"), &bytes[..]),
        ],
        vec![
            ("file", Some("a.png"), &bytes[..]),
            ("title", None, &b"a cat"[..]),
        ],
    ] {
        let res = post_form(&app, "/files", form(&parts)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}", res.text());
        assert!(res.text().contains("a part `title`"), "{}", res.text());
        assert_eq!(dir.files(), Vec::<PathBuf>::new());
    }
    app.shutdown().await;
}

/// Reads one response from `conn`: its status line, and its body by `content-length`.
async fn response(conn: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return String::from_utf8_lossy(&buf[..end + 4 + length]).into_owned();
            }
        }
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut chunk))
            .await
            .expect("an answer within 5 s")
            .expect("the connection is open");
        assert!(
            n > 0,
            "the server closed the connection; read so far: {buf:?}"
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn an_upload_refused_unread_keeps_its_connection() {
    use tokio::io::AsyncWriteExt;
    let dir = Dir::new("unread");
    let app = spawn(&dir, 8 * 1024 * 1024).await;
    let body = form(&[("file", Some("big.png"), &png(4 * 1024 * 1024))]);
    let mut conn = tokio::net::TcpStream::connect(app.addr())
        .await
        .expect("connect");
    let head = format!(
        "POST /refused HTTP/1.1\r\nhost: test\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
        multipart(),
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("write");
    conn.write_all(&body[..64 * 1024]).await.expect("write");
    // The handler answers before it reads the file…
    let refused = response(&mut conn).await;
    assert!(refused.starts_with("HTTP/1.1 404"), "{refused}");
    // …and the rest of it is read, so that the connection serves the next request.
    conn.write_all(&body[64 * 1024..])
        .await
        .expect("the server reads the rest");
    conn.write_all(b"GET /files/none HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .expect("write");
    let next = response(&mut conn).await;
    assert!(next.starts_with("HTTP/1.1 404"), "{next}");
    assert!(next.contains("no such file"), "{next}");
    assert_eq!(dir.files(), Vec::<PathBuf>::new());
    app.shutdown().await;
}

#[tokio::test]
async fn a_missing_object_is_404() {
    let dir = Dir::new("gone");
    let app = spawn(&dir, 1024 * 1024).await;
    let res = post_form(&app, "/files", form(&[("file", Some("a.png"), &png(10))])).await;
    let file: StoredFile = res.json();
    for path in dir.files() {
        std::fs::remove_file(path).expect("removed");
    }
    let res = app.get(&format!("/files/{}", file.key)).send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", res.text());
    app.shutdown().await;
}
