//! Baseline of the storage benchmark: what an axum application writes by hand for the same
//! work. `POST /upload` streams the form's `file` part (multer, as axum's `Multipart` does)
//! into a file under `$STORAGE_DIR`, hashing it with SHA-256 and counting it against
//! `$MAX_UPLOAD_BYTES`; `GET /files/{name}` streams the file back with its length. No type
//! detection, ranges, tags or headers beyond that: the least a server does.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone)]
struct Store {
    dir: Arc<PathBuf>,
    max: u64,
    next: Arc<AtomicU64>,
}

async fn upload(State(store): State<Store>, req: Request) -> Response {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    };
    let stream = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = store.next.fetch_add(1, Ordering::Relaxed).to_string();
        let path = store.dir.join(&name);
        let Ok(mut file) = tokio::fs::File::create(&path).await else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let mut hash = Sha256::new();
        let mut size = 0u64;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    if size > store.max {
                        drop(file);
                        let _ = tokio::fs::remove_file(&path).await;
                        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
                    }
                    hash.update(&chunk);
                    if file.write_all(&chunk).await.is_err() {
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
                Ok(None) => break,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            }
        }
        if file.flush().await.is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        return format!("{{\"key\":\"{name}\",\"size\":{size},\"sha256\":\"{digest}\"}}")
            .into_response();
    }
    StatusCode::BAD_REQUEST.into_response()
}

async fn download(State(store): State<Store>, Path(name): Path<u64>) -> Response {
    let path = store.dir.join(name.to_string());
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(meta) = file.metadata().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    Response::builder()
        .header(header::CONTENT_LENGTH, meta.len())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from_stream(chunks.boxed()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::var("STORAGE_DIR").unwrap_or_else(|_| "uploads".into()));
    std::fs::create_dir_all(&dir)?;
    let max = std::env::var("MAX_UPLOAD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10 * 1024 * 1024);
    let store = Store {
        dir: Arc::new(dir),
        max,
        next: Arc::new(AtomicU64::new(1)),
    };
    benchmark::run(|listener| async move {
        let app = Router::new()
            .route("/upload", post(upload))
            .route("/files/{name}", get(download))
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(store);
        axum::serve(listener, app).await
    })
}
