//! The storage battery's plugin: opens the store at start-up and gives it to handlers.

use chopin_runtime::Error;
use chopin_runtime::config::ConfigError;
use chopin_runtime::plugin::{BoxFuture, Plugin, Setup};
use chopin_runtime::ready::Check;

use crate::config::StorageConfig;
use crate::store::{Storage, StorageError};
use crate::upload::FRAMING_BYTES;

/// The storage battery's plugin: when the application starts it opens the store `STORAGE_URL`
/// names (a local directory is created by the first file written), gives handlers its
/// [`Storage`],
/// lets the server read upload bodies up to `MAX_UPLOAD_BYTES` (every other extractor still
/// stops at `MAX_BODY_BYTES`), and adds a readiness check (`READY_PATH`) that the store answers. A `Storage` given by hand (`App::with_service`) is kept.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoragePlugin;

impl Plugin for StoragePlugin {
    fn name(&self) -> &'static str {
        "storage"
    }

    /// `STORAGE_URL`, `MAX_UPLOAD_BYTES` and, for S3, the credentials.
    fn unmet(&self, app: &Setup<'_>) -> Vec<ConfigError> {
        if app.service::<Storage>().is_some() {
            return Vec::new();
        }
        match app.config().section::<StorageConfig>() {
            Ok(config) => config.unmet(),
            Err(e) => vec![e],
        }
    }

    fn start<'a>(&'a mut self, app: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let storage = match app.service::<Storage>() {
                Some(given) => given.clone(),
                None => {
                    let config = app.config().section::<StorageConfig>()?;
                    let storage = Storage::open(&config).await.map_err(|e| {
                        Error::battery(format!("the file store (STORAGE_URL): {e}"))
                    })?;
                    tracing::debug!(store = storage.describe(), "storage: opened");
                    app.provide(storage.clone());
                    storage
                }
            };
            // Ready while the store answers: a key that is never written, looked up.
            let probe = storage.clone();
            app.ready_check(Check::new("storage", move || {
                let storage = probe.clone();
                Box::pin(async move {
                    match storage.head(".chopin-ready").await {
                        Ok(_) | Err(StorageError::NotFound(_)) => Ok(()),
                        Err(e) => Err(e.to_string()),
                    }
                })
            }));
            let body = storage.max_upload_bytes().saturating_add(FRAMING_BYTES);
            app.stream_bodies(
                "multipart/form-data",
                usize::try_from(body).unwrap_or(usize::MAX),
            );
            Ok(())
        })
    }
}
