//! The S3 backend against a real S3-compatible server: s3s-fs, which each test starts on a free
//! port over a directory of its own. Ignored by `cargo test` (a laptop need not have it);
//! `.ci/run` installs s3s-fs and runs them with `--include-ignored`, and a server that does not
//! start fails them.

#![cfg(feature = "s3")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use chopin_runtime::axum::Json;
use chopin_runtime::axum::routing::post;
use chopin_runtime::http::{Method, StatusCode};
use chopin_runtime::testing::{TestApp, TestClient};
use chopin_runtime::{App, ChopinError, Config, Secret};
use chopin_storage::{
    S3Config, Storage, StorageConfig, StorageError, StorageUrl, StoredFile, Upload,
};
use common::Dir;

const BUCKET: &str = "chopin-test";
const ACCESS_KEY: &str = "AKIDCHOPINTEST";
const SECRET_KEY: &str = "chopin-secret-key-for-tests";

/// An s3s-fs on a port the kernel chose, over a fresh directory; killed and removed on drop.
struct S3Server {
    child: Child,
    endpoint: String,
    /// Removed after the server is stopped (fields drop after `Drop::drop`).
    root: Dir,
}

impl S3Server {
    /// Starts it with the bucket made (a bucket is a directory to s3s-fs) and waits, at most
    /// 10 s, for the line saying where it listens, which it writes once it is bound.
    fn start() -> S3Server {
        let root = Dir::new("s3s");
        std::fs::create_dir_all(root.0.join(BUCKET)).expect("the bucket's directory");
        let mut child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&root.0)
            .env("RUST_LOG", "s3s_fs=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run s3s-fs ({e}): install it with \
                     `cargo install s3s-fs --version 0.14.1 --locked --features binary`"
                )
            });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line until s3s-fs exits, so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, url)) = line.split_once("server is running at ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(endpoint) => S3Server {
                child,
                endpoint,
                root,
            },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("s3s-fs did not listen within 10 s (exit: {status:?})");
            }
        }
    }

    fn config(&self, prefix: &str, max_upload_bytes: u64) -> StorageConfig {
        StorageConfig {
            url: StorageUrl::S3 {
                bucket: BUCKET.to_owned(),
                prefix: prefix.to_owned(),
            },
            max_upload_bytes,
            timeout: Duration::from_secs(5),
            s3: S3Config {
                endpoint: Some(self.endpoint.clone()),
                region: Some("us-east-1".to_owned()),
                access_key_id: Some(ACCESS_KEY.to_owned()),
                secret_access_key: Some(Secret::new(SECRET_KEY)),
            },
        }
    }

    /// Every file under the server's directory: objects, and any part left of an upload.
    fn files(&self) -> Vec<PathBuf> {
        self.root.files()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i * 13 % 251) as u8).collect()
}

/// `url`'s server and path with query, for a client of that server.
fn split(url: &str) -> (std::net::SocketAddr, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    (host.parse().expect("an address"), path.to_owned())
}

#[tokio::test]
#[ignore = "needs s3s-fs (`.ci/run` installs it)"]
async fn puts_gets_ranges_deletes_and_signs_urls() {
    let server = S3Server::start();
    let storage = Storage::open(&server.config("blog/files", 1024 * 1024))
        .await
        .expect("the store opens");
    let bytes = pattern(100_000);
    storage.put("a/b.bin", bytes.clone()).await.expect("put");
    assert!(
        server
            .root
            .0
            .join(BUCKET)
            .join("blog/files/a/b.bin")
            .is_file(),
        "stored under the prefix"
    );

    let info = storage.head("a/b.bin").await.expect("head");
    assert_eq!(info.size, 100_000);
    assert!(info.etag.is_some());
    let whole = storage.get("a/b.bin", None).await.expect("get");
    assert_eq!(whole.range, 0..100_000);
    assert_eq!(whole.bytes().await.expect("the bytes"), bytes);
    let part = storage.get("a/b.bin", Some(10..20)).await.expect("a range");
    assert_eq!(part.range, 10..20);
    assert_eq!(part.bytes().await.expect("the bytes"), bytes.slice(10..20));
    let past = storage.get("a/b.bin", Some(200_000..200_010)).await;
    assert!(
        matches!(past, Err(StorageError::InvalidRange { size: 100_000 })),
        "{past:?}"
    );

    // A signed URL: fetched by a client that has no credentials, refused once tampered with.
    let url = storage
        .signed_url(Method::GET, "a/b.bin", Duration::from_secs(60))
        .await
        .expect("a signed URL");
    let (addr, path) = split(&url);
    let client = TestClient::new(addr);
    let res = client.get(&path).send().await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    assert_eq!(res.bytes(), &bytes);
    let tampered = path.replace("b.bin", "c.bin");
    assert_eq!(
        client.get(&tampered).send().await.status(),
        StatusCode::FORBIDDEN
    );

    storage.delete("a/b.bin").await.expect("delete");
    let gone = storage.get("a/b.bin", None).await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
    storage
        .delete("a/b.bin")
        .await
        .expect("deleting twice is no error");
}

#[tokio::test]
#[ignore = "needs s3s-fs (`.ci/run` installs it)"]
async fn a_store_that_is_down_is_an_outage() {
    let server = S3Server::start();
    let config = server.config("", 1024);
    drop(server);
    let storage = Storage::open(&config)
        .await
        .expect("opening does not connect");
    let started = std::time::Instant::now();
    let err = storage.head("x").await.expect_err("nobody answers");
    let answer = ChopinError::from(err);
    assert_eq!(
        answer.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{answer:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Readiness names it, within the check's bound.
    let mut server = Config::default();
    server.http.ready_path = Some("/ready".to_owned());
    let app = App::with_config(server)
        .with_plugin(chopin_storage::StoragePlugin)
        .with_service(storage);
    let app = TestApp::spawn(app).await;
    let res = app.get("/ready").send().await;
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        res.text()
    );
    assert!(res.text().contains("storage"), "{}", res.text());
    app.shutdown().await;
}

async fn upload(storage: Storage, upload: Upload) -> Result<Json<StoredFile>, ChopinError> {
    let file = upload.store().await?;
    // The object is there, whole, as soon as the upload answers.
    let stored = storage.head(&file.key).await.map_err(ChopinError::from)?;
    assert_eq!(stored.size, file.size);
    Ok(Json(file))
}

const BOUNDARY: &str = "chopin-s3-test";

fn form(bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test]
#[ignore = "needs s3s-fs (`.ci/run` installs it)"]
async fn uploads_stream_in_parts_and_an_oversized_one_leaves_nothing() {
    let server = S3Server::start();
    let max = 8 * 1024 * 1024;
    let storage = Storage::open(&server.config("uploads", max))
        .await
        .expect("the store opens");
    let app = App::with_config(Config::default())
        .with_plugin(chopin_storage::StoragePlugin)
        .with_service(storage.clone())
        .route("/upload", post(upload));
    let app = TestApp::spawn(app).await;
    let send = |bytes: Bytes| {
        app.post("/upload")
            .header(
                "content-type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(form(&bytes))
            .send()
    };

    // 6 MiB: over one 5 MiB part, so a multipart upload of two.
    let six = pattern(6 * 1024 * 1024);
    let res = send(six.clone()).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    let file: StoredFile = res.json();
    assert_eq!(file.size, six.len() as u64);
    let back = storage.get(&file.key, None).await.expect("get");
    assert_eq!(back.bytes().await.expect("the bytes"), six);
    let objects = server.files();

    // 8 MiB and one byte: refused after a part was sent, and the upload aborted.
    let res = send(pattern(max as usize + 1)).await;
    assert_eq!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        res.text()
    );
    assert_eq!(server.files(), objects, "no object and no part left behind");
    let known = [file.key.clone()].into_iter().collect();
    let orphans = storage.sweep(Duration::ZERO, &known).await.expect("sweep");
    assert_eq!(orphans, Vec::<String>::new());
    app.shutdown().await;
}
