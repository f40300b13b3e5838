//! Chopin's side of the storage benchmark: the kernel and the storage battery, as an
//! application writes them. `POST /upload` stores the form's `file` part with `Upload`
//! (streamed, hashed, its type detected), `GET /files/{key}` serves it back with `Download`.
//! Configured from the environment (`STORAGE_URL`, `MAX_UPLOAD_BYTES`, `PORT`,
//! `REUSEPORT=true WORKERS=1` in `storage.sh`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{FromRequestParts, Path};
use axum::routing::{get, post};
use chopin_runtime::{App, ChopinError, Config, service};
use chopin_storage::{Download, Storage, StoragePlugin, StoredFile, Upload};
use http::HeaderMap;
use http::request::Parts;

/// What was stored, by key: what a model row would keep.
#[derive(Clone, Default)]
struct Files(Arc<Mutex<HashMap<String, StoredFile>>>);

impl<S: Send + Sync> FromRequestParts<S> for Files {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        service::of::<Files>(parts).ok_or_else(|| ChopinError::internal("no Files"))
    }
}

async fn upload(files: Files, upload: Upload) -> Result<Json<StoredFile>, ChopinError> {
    let file = upload.store().await?;
    if let Ok(mut map) = files.0.lock() {
        map.insert(file.key.clone(), file.clone());
    }
    Ok(Json(file))
}

async fn download(
    files: Files,
    storage: Storage,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Download, ChopinError> {
    let file = files
        .0
        .lock()
        .ok()
        .and_then(|map| map.get(&key).cloned())
        .ok_or_else(|| ChopinError::not_found("no such file"))?;
    storage.download(&file, &headers).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), chopin_runtime::Error> {
    let config = Config::from_env()?;
    App::with_config(config)
        .with_plugin(StoragePlugin)
        .with_service(Files::default())
        .route("/upload", post(upload))
        .route("/files/{key}", get(download))
        .run()
        .await
}
