//! `Storage`: objects under keys, in a directory, in memory or in an S3 bucket.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::classify::{self, Outage};
use chopin_runtime::http::request::Parts;
use chopin_runtime::openapi::{Operation, OperationInput};
use chopin_runtime::{ChopinError, service};
use futures_util::stream::{BoxStream, StreamExt};
use object_store::path::{Path, PathPart};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::config::{StorageConfig, StorageUrl};

/// A part of a multipart upload to S3 is at least 5 MiB (all but the last); local files take
/// smaller parts, so that an upload holds less in memory.
#[cfg(feature = "s3")]
const S3_PART: usize = 5 * 1024 * 1024;
const LOCAL_PART: usize = 256 * 1024;

/// Where an application's files are stored: cheap to clone, shared.
///
/// Handlers take it as an extractor (`async fn show(storage: Storage) -> …`); the storage plugin
/// opens it from `STORAGE_URL` when the application starts. Every operation is bounded by
/// `STORAGE_TIMEOUT_MS`, and a store that does not answer, refuses or resets is an outage: `?`
/// in a handler answers `503` naming `storage`.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    #[cfg(feature = "s3")]
    signer: Option<Arc<object_store::aws::AmazonS3>>,
    prefix: Path,
    part: usize,
    timeout: Duration,
    max_upload_bytes: u64,
    describe: String,
}

/// What a store knows of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub last_modified: std::time::SystemTime,
    /// The store's entity tag, if it gives one.
    pub etag: Option<String>,
}

/// An object being read: what the store knows of it, the bytes of `range`, streamed.
pub struct Object {
    /// The whole object's size, date and tag.
    pub info: ObjectInfo,
    /// The bytes that [`Object::into_stream`] yields, of `0..info.size` for the whole object.
    pub range: Range<u64>,
    body: BoxStream<'static, Result<Bytes, StorageError>>,
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object")
            .field("info", &self.info)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl Object {
    /// The bytes, chunk by chunk; each chunk waits at most `STORAGE_TIMEOUT_MS`.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, StorageError>> {
        self.body
    }

    /// All the bytes in memory: for small objects and tests.
    ///
    /// # Errors
    /// When the store fails while sending them.
    pub async fn bytes(self) -> Result<Bytes, StorageError> {
        let mut out =
            Vec::with_capacity(usize::try_from(self.range.end - self.range.start).unwrap_or(0));
        let mut body = self.body;
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(out))
    }
}

/// Why a storage operation failed.
#[derive(Debug)]
pub enum StorageError {
    /// No object under that key.
    NotFound(String),
    /// A key that is not a plain relative path (empty, absolute, with `.`, `..` or an empty
    /// segment).
    InvalidKey(String),
    /// A range that starts at or past the object's end.
    InvalidRange {
        /// The object's size.
        size: u64,
    },
    /// The store did not answer within `STORAGE_TIMEOUT_MS`.
    Timeout(Duration),
    /// The store does not do this (signed URLs on local files or in memory).
    Unsupported(&'static str),
    /// The store failed.
    Store(object_store::Error),
    /// The local directory could not be created.
    Io(std::io::Error),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::NotFound(key) => write!(f, "no stored object `{key}`"),
            StorageError::InvalidKey(key) => write!(
                f,
                "invalid storage key `{}`: a relative path without `.`, `..` or empty segments",
                key.escape_debug()
            ),
            StorageError::InvalidRange { size } => {
                write!(f, "the range starts past the object's end ({size} bytes)")
            }
            StorageError::Timeout(after) => {
                write!(
                    f,
                    "the store did not answer within {} ms",
                    after.as_millis()
                )
            }
            StorageError::Unsupported(what) => f.write_str(what),
            StorageError::Store(e) => write!(f, "the store failed: {e}"),
            StorageError::Io(e) => write!(f, "the storage directory: {e}"),
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Store(e) => Some(e),
            StorageError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> StorageError {
        match e {
            object_store::Error::NotFound { path, .. } => StorageError::NotFound(path),
            object_store::Error::InvalidPath { source } => {
                StorageError::InvalidKey(source.to_string())
            }
            e => StorageError::Store(e),
        }
    }
}

/// `503 storage` for a store that timed out or could not be reached; every other storage
/// error is a `500` (a missing object is the caller's to turn into `404`).
fn outage(error: &(dyn std::error::Error + 'static)) -> Option<Outage> {
    let unavailable = match error.downcast_ref::<StorageError>() {
        Some(StorageError::Timeout(_)) => true,
        Some(StorageError::Store(e)) => is_unreachable(e),
        _ => false,
    };
    unavailable.then_some(Outage {
        dependency: "storage",
        retry_after: Duration::from_secs(5),
    })
}

/// The S3 client's errors that say the server was not reached or did not answer.
fn is_unreachable(e: &object_store::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | ConnectionReset | ConnectionAborted | TimedOut | BrokenPipe
            ) {
                return true;
            }
        }
        let text = error.to_string();
        if text.contains("error sending request")
            || text.contains("timed out")
            || text.contains("Connection refused")
        {
            return true;
        }
        next = error.source();
    }
    false
}

impl<S: Send + Sync> FromRequestParts<S> for Storage {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        service::of::<Storage>(parts).ok_or_else(|| {
            ChopinError::internal(
                "no storage service: a handler takes `Storage`, and the application has none (the `storage` feature adds its plugin; `App::with_service` gives one by hand)",
            )
        })
    }
}

/// The store can be away (S3 not answering): a `503`.
impl OperationInput for Storage {
    fn describe(op: &mut Operation<'_>) {
        op.may_be_unavailable("the file store");
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.inner.describe)
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the store `config` names. Nothing is created or connected to yet: a local directory
    /// is created by the first write, and the S3 client connects at its first operation.
    ///
    /// # Errors
    /// When the directory's path cannot be made absolute, or the S3 settings are incomplete.
    pub async fn open(config: &StorageConfig) -> Result<Storage, StorageError> {
        classify::register(outage);
        let max = config.max_upload_bytes;
        let storage = match &config.url {
            StorageUrl::Memory => Storage::memory(),
            StorageUrl::File(dir) => {
                // Rooted at `/` under the directory's absolute path, which need not exist yet:
                // the first object written creates it.
                let absolute = std::path::absolute(dir).map_err(StorageError::Io)?;
                let prefix = Path::from_absolute_path(&absolute)
                    .map_err(|_| StorageError::InvalidKey(dir.display().to_string()))?;
                // Reads in parts of 256 KiB: the file store's own 8 KiB reads cost a blocking
                // task each, a third of the download's speed.
                let files = Arc::new(object_store::local::LocalFileSystem::new());
                Storage::new(
                    Arc::new(object_store::chunked::ChunkedStore::new(files, LOCAL_PART)),
                    prefix,
                    LOCAL_PART,
                    format!("file://{}", dir.display()),
                )
            }
            #[cfg(feature = "s3")]
            StorageUrl::S3 { bucket, prefix } => {
                let s3 = &config.s3;
                let settings = crate::s3::S3Settings {
                    bucket,
                    endpoint: s3.endpoint.as_deref(),
                    region: s3.region.as_deref(),
                    access_key_id: s3.access_key_id.as_deref().unwrap_or_default(),
                    secret_access_key: s3
                        .secret_access_key
                        .as_ref()
                        .map(chopin_runtime::Secret::expose)
                        .unwrap_or_default(),
                    timeout: config.timeout,
                };
                let store = Arc::new(crate::s3::open(&settings)?);
                let mut storage = Storage::new(
                    store.clone(),
                    Path::from(prefix.as_str()),
                    S3_PART,
                    format!("s3://{bucket}/{prefix}"),
                );
                if let Some(inner) = Arc::get_mut(&mut storage.inner) {
                    inner.signer = Some(store);
                }
                storage
            }
            #[cfg(not(feature = "s3"))]
            StorageUrl::S3 { .. } => {
                return Err(StorageError::Unsupported(
                    "s3:// storage needs chopin's `s3` feature",
                ));
            }
        };
        Ok(storage.with_limits(max, config.timeout))
    }

    /// A store in the process's memory, empty; for tests.
    pub fn memory() -> Storage {
        classify::register(outage);
        Storage::new(
            Arc::new(object_store::memory::InMemory::new()),
            Path::default(),
            LOCAL_PART,
            "memory://".to_owned(),
        )
    }

    fn new(store: Arc<dyn ObjectStore>, prefix: Path, part: usize, describe: String) -> Storage {
        Storage {
            inner: Arc::new(Inner {
                store,
                #[cfg(feature = "s3")]
                signer: None,
                prefix,
                part,
                timeout: crate::config::DEFAULT_TIMEOUT,
                max_upload_bytes: crate::config::DEFAULT_MAX_UPLOAD_BYTES,
                describe,
            }),
        }
    }

    /// The same store with other limits: uploads of at most `max_upload_bytes`, each operation
    /// waiting at most `timeout`.
    #[must_use]
    pub fn with_limits(self, max_upload_bytes: u64, timeout: Duration) -> Storage {
        let i = &self.inner;
        Storage {
            inner: Arc::new(Inner {
                store: i.store.clone(),
                #[cfg(feature = "s3")]
                signer: i.signer.clone(),
                prefix: i.prefix.clone(),
                part: i.part,
                timeout,
                max_upload_bytes,
                describe: i.describe.clone(),
            }),
        }
    }

    /// The largest upload [`Upload`](crate::Upload) takes by default (`MAX_UPLOAD_BYTES`).
    pub fn max_upload_bytes(&self) -> u64 {
        self.inner.max_upload_bytes
    }

    /// The store, as `STORAGE_URL` names it (without credentials).
    pub fn describe(&self) -> &str {
        &self.inner.describe
    }

    fn path(&self, key: &str) -> Result<Path, StorageError> {
        let plain = !key.is_empty()
            && key.len() <= 1024
            && key
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
        if !plain {
            return Err(StorageError::InvalidKey(key.to_owned()));
        }
        Ok(self
            .inner
            .prefix
            .parts()
            .chain(key.split('/').map(PathPart::from))
            .collect())
    }

    async fn bounded<T>(
        &self,
        op: impl Future<Output = Result<T, object_store::Error>>,
    ) -> Result<T, StorageError> {
        match tokio::time::timeout(self.inner.timeout, op).await {
            Ok(result) => result.map_err(StorageError::from),
            Err(_) => Err(StorageError::Timeout(self.inner.timeout)),
        }
    }

    /// Stores `bytes` under `key`, replacing what was there.
    ///
    /// # Errors
    /// An invalid key, or the store failing.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        let path = self.path(key)?;
        self.bounded(self.inner.store.put(&path, PutPayload::from(bytes)))
            .await
            .map(drop)
    }

    /// A writer that streams an object into `key`: nothing is visible under the key until
    /// [`Writer::finish`], and [`Writer::abort`] (or dropping it) leaves nothing behind.
    ///
    /// # Errors
    /// An invalid key.
    pub fn writer(&self, key: &str) -> Result<Writer, StorageError> {
        Ok(Writer {
            storage: self.clone(),
            path: self.path(key)?,
            first: Vec::new(),
            multipart: None,
            written: 0,
        })
    }

    /// What the store knows of `key`.
    ///
    /// # Errors
    /// [`StorageError::NotFound`], or the store failing.
    pub async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let path = self.path(key)?;
        let meta = self.bounded(self.inner.store.head(&path)).await?;
        Ok(info(&meta))
    }

    /// Reads `key`, all of it or `range` (which is cut at the object's end).
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::InvalidRange`] for a range that starts at
    /// or past the end, or the store failing.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Object, StorageError> {
        let path = self.path(key)?;
        if let Some(r) = &range
            && r.start >= r.end
        {
            let size = self.head(key).await?.size;
            return Err(StorageError::InvalidRange { size });
        }
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = match self
            .bounded(self.inner.store.get_opts(&path, options))
            .await
        {
            Err(StorageError::Store(object_store::Error::Generic { .. })) if range.is_some() => {
                // Stores word an unsatisfiable range differently; the size says which it was.
                let meta = self.head(key).await?;
                return Err(StorageError::InvalidRange { size: meta.size });
            }
            other => other?,
        };
        let object_info = info(&result.meta);
        let range = result.range.clone();
        let body = result
            .into_stream()
            .map(|chunk| chunk.map_err(StorageError::from));
        Ok(Object {
            info: object_info,
            range,
            body: with_deadline(body.boxed(), self.inner.timeout),
        })
    }

    /// Deletes `key`; deleting what is not there is not an error.
    ///
    /// # Errors
    /// The store failing.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match self.bounded(self.inner.store.delete(&path)).await {
            Ok(()) | Err(StorageError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes the objects [`Upload`](crate::Upload) stored (keys that are UUIDs, at the store's
    /// root) that `known` does not name and that were last written more than `grace` ago: the
    /// orphans a failure between deleting a row and deleting its object leaves behind. `grace`
    /// spares uploads whose rows are still being written; any other key is left alone, so that a
    /// store shared with other files (a bucket, `file://.`) loses nothing else. Returns the keys
    /// it deleted.
    ///
    /// # Errors
    /// The store failing to list or delete; what was deleted before stays deleted.
    pub async fn sweep(
        &self,
        grace: Duration,
        known: &std::collections::HashSet<String>,
    ) -> Result<Vec<String>, StorageError> {
        let cutoff = std::time::SystemTime::now() - grace;
        let prefix = &self.inner.prefix;
        let depth = prefix.parts().count();
        let mut listing = self.inner.store.list(Some(prefix));
        let mut orphans = Vec::new();
        loop {
            let next = match tokio::time::timeout(self.inner.timeout, listing.next()).await {
                Ok(next) => next,
                Err(_) => return Err(StorageError::Timeout(self.inner.timeout)),
            };
            let meta = match next {
                None => break,
                // A local directory not created yet holds nothing.
                Some(Err(object_store::Error::NotFound { .. })) => break,
                Some(meta) => meta?,
            };
            let key = meta
                .location
                .parts()
                .skip(depth)
                .map(|part| part.as_ref().to_owned())
                .collect::<Vec<_>>()
                .join("/");
            if is_upload_key(&key)
                && std::time::SystemTime::from(meta.last_modified) < cutoff
                && !known.contains(&key)
            {
                orphans.push(key);
            }
        }
        for key in &orphans {
            self.delete(key).await?;
        }
        Ok(orphans)
    }

    /// A URL that lets whoever holds it `GET` (or `PUT`, …) `key` directly from the store until
    /// `expires_in` has passed, without the application in between: S3's presigned URLs.
    ///
    /// # Errors
    /// [`StorageError::Unsupported`] on local files and in memory, whose objects the
    /// application serves itself.
    pub async fn signed_url(
        &self,
        method: chopin_runtime::http::Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        let path = self.path(key)?;
        #[cfg(feature = "s3")]
        if let Some(signer) = &self.inner.signer {
            use object_store::signer::Signer;
            let url = self
                .bounded(signer.signed_url(method, &path, expires_in))
                .await?;
            return Ok(url.to_string());
        }
        let _ = (method, path, expires_in);
        Err(StorageError::Unsupported(
            "signed URLs need an S3 store: local and in-memory objects are served by the application",
        ))
    }
}

/// Whether `key` is one [`Upload`](crate::Upload) writes: a UUID in its hyphenated form.
fn is_upload_key(key: &str) -> bool {
    key.len() == 36
        && key.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn info(meta: &object_store::ObjectMeta) -> ObjectInfo {
    ObjectInfo {
        size: meta.size,
        last_modified: meta.last_modified.into(),
        etag: meta.e_tag.clone(),
    }
}

/// `body`, failing with [`StorageError::Timeout`] when a chunk takes longer than `timeout`.
fn with_deadline(
    body: BoxStream<'static, Result<Bytes, StorageError>>,
    timeout: Duration,
) -> BoxStream<'static, Result<Bytes, StorageError>> {
    futures_util::stream::unfold(Some(body), move |state| async move {
        let mut body = state?;
        match tokio::time::timeout(timeout, body.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
            Ok(Some(Err(e))) => Some((Err(e), None)),
            Ok(None) => None,
            Err(_) => Some((Err(StorageError::Timeout(timeout)), None)),
        }
    })
    .boxed()
}

/// An object being written: see [`Storage::writer`].
///
/// The first part is held in memory; an object that fits in it is stored with one request, a
/// larger one as a multipart upload of parts of that size (5 MiB on S3, 256 KiB on local
/// files): one part is sent while the next fills, so about two parts are in memory at a time.
/// Dropping a writer that has sent parts aborts its upload in the background.
pub struct Writer {
    storage: Storage,
    path: Path,
    first: Vec<u8>,
    multipart: Option<WriteMultipart>,
    written: u64,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path.as_ref())
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(mut upload) = self.multipart.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let timeout = self.storage.inner.timeout;
            runtime.spawn(async move {
                let _ = tokio::time::timeout(timeout, upload.wait_for_capacity(0)).await;
                let _ = tokio::time::timeout(timeout, upload.abort()).await;
            });
        }
    }
}

impl Writer {
    /// The bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends `chunk`, waiting for the store when a part is due.
    ///
    /// # Errors
    /// The store failing; the writer should then be aborted.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        self.written += chunk.len() as u64;
        let part = self.storage.inner.part;
        if let Some(upload) = &mut self.multipart {
            upload.put(chunk);
            let storage = self.storage.clone();
            // At most one part in flight while the next one fills.
            return storage.bounded(upload.wait_for_capacity(2)).await;
        }
        self.first.extend_from_slice(&chunk);
        if self.first.len() < part {
            return Ok(());
        }
        let store = self.storage.inner.store.clone();
        let upload = self
            .storage
            .bounded(store.put_multipart(&self.path))
            .await?;
        let mut upload = WriteMultipart::new_with_chunk_size(upload, part);
        upload.put(Bytes::from(std::mem::take(&mut self.first)));
        self.multipart = Some(upload);
        Ok(())
    }

    /// Stores what was written under the key.
    ///
    /// # Errors
    /// The store failing: nothing is then stored under the key.
    pub async fn finish(mut self) -> Result<(), StorageError> {
        let storage = self.storage.clone();
        match self.multipart.take() {
            None => {
                let bytes = Bytes::from(std::mem::take(&mut self.first));
                storage
                    .bounded(storage.inner.store.put(&self.path, PutPayload::from(bytes)))
                    .await
                    .map(drop)
            }
            Some(upload) => {
                // Finishing waits for the parts still in flight, each bounded by the timeout.
                // Past it the upload is given up without an abort: on S3 its parts stay until
                // the bucket's lifecycle rule removes them.
                let deadline = storage.inner.timeout.saturating_mul(4);
                match tokio::time::timeout(deadline, upload.finish()).await {
                    Ok(done) => done.map(drop).map_err(StorageError::from),
                    Err(_) => Err(StorageError::Timeout(deadline)),
                }
            }
        }
    }

    /// Gives the object up: nothing is stored under the key, and parts already sent are
    /// deleted, once the part in flight (if any) has landed.
    ///
    /// # Errors
    /// The store failing to delete the parts (S3 then removes them by its lifecycle rules).
    pub async fn abort(mut self) -> Result<(), StorageError> {
        match self.multipart.take() {
            None => Ok(()),
            Some(mut upload) => {
                let storage = self.storage.clone();
                // A part still being sent when the abort is would be stored after it (S3
                // keeps such parts until the upload is aborted again): let it land first.
                let _ = storage.bounded(upload.wait_for_capacity(0)).await;
                storage.bounded(upload.abort()).await
            }
        }
    }
}
