//! `Upload`: a `multipart/form-data` file streamed into storage.

use bytes::Bytes;
use chopin_runtime::axum::body::Body;
use chopin_runtime::axum::extract::{FromRequest, Request};
use chopin_runtime::http::{StatusCode, header};
use chopin_runtime::openapi::utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use chopin_runtime::openapi::utoipa::openapi::{KnownFormat, RefOr};
use chopin_runtime::openapi::{Operation, OperationInput, utoipa};
use chopin_runtime::{ChopinError, service};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sniff;
use crate::store::{Storage, Writer};

/// Room in an upload's body, beyond the file, for the multipart framing: boundaries and the
/// part's headers.
pub(crate) const FRAMING_BYTES: u64 = 64 * 1024;

/// A file uploaded as `multipart/form-data`, not yet read: the handler decides (after its own
/// checks: who may upload, to what) and [`Upload::store`] streams it into the application's
/// [`Storage`].
///
/// ```no_run
/// use chopin_storage::{StoredFile, Upload};
/// use chopin_runtime::ChopinError;
///
/// async fn avatar(upload: Upload) -> Result<String, ChopinError> {
///     let file: StoredFile = upload.accept(&["image/png", "image/jpeg"]).store().await?;
///     Ok(file.key)
/// }
/// ```
///
/// What it guarantees:
///
/// - The object's key is random (a UUID v7), never the client's file name, which is only
///   recorded, and refused when it is a path or holds control characters.
/// - The content type is detected from the file's first bytes, never taken from the client.
/// - A file larger than [`Storage::max_upload_bytes`] (`MAX_UPLOAD_BYTES`) gets `413`, a type
///   outside [`Upload::accept`] `415`, a malformed body, a missing `file` part, a part without a
///   file name, a second `file` part or any other part `400`; in each case nothing stays
///   stored.
/// - The file is streamed: at most one part of the upload (256 KiB on local files, 5 MiB on S3)
///   is in memory at a time.
pub struct Upload {
    /// `None` once [`Upload::store`] has taken it.
    body: Option<Body>,
    boundary: String,
    storage: Storage,
    field: &'static str,
    accept: Vec<String>,
    max_bytes: u64,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("field", &self.field)
            .field("accept", &self.accept)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// A stored file: its key in [`Storage`] and what was recorded of it. A model row keeps these
/// (see the guide's storage chapter), and [`Download`](crate::Download) serves it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredFile {
    /// Where it is stored: random, never derived from the client's name.
    pub key: String,
    /// The client's file name, checked (no path, no control characters, at most 255 bytes).
    pub filename: String,
    /// The media type its first bytes say it is.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in lowercase hex.
    pub sha256: String,
}

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ChopinError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let storage = service::of::<Storage>(&parts).ok_or_else(|| {
            ChopinError::internal(
                "no storage service: a handler takes `Upload`, and the application has no `Storage` (the `storage` feature adds its plugin)",
            )
        })?;
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| multer::parse_boundary(ct).ok())
            .ok_or_else(|| {
                ChopinError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "the body is not `multipart/form-data` with a boundary",
                )
            })?;
        let max_bytes = storage.max_upload_bytes();
        Ok(Upload {
            body: Some(body),
            boundary,
            storage,
            field: "file",
            accept: Vec::new(),
            max_bytes,
        })
    }
}

/// The request body: `multipart/form-data` with a binary `file` part.
impl OperationInput for Upload {
    fn describe(op: &mut Operation<'_>) {
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .content_media_type("application/octet-stream")
            .description(Some("the file; its type is detected from its bytes"))
            .build();
        // One part: any other is refused.
        let form = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("file", file)
            .required("file")
            .additional_properties(Some(
                chopin_runtime::openapi::utoipa::openapi::schema::AdditionalProperties::FreeForm(
                    false,
                ),
            ))
            .build();
        op.request_body("multipart/form-data", RefOr::T(Schema::Object(form)), true);
        op.error_response(
            "400",
            "the body is not a well-formed form with one `file` part",
        );
        op.error_response("413", "the file is larger than the upload limit");
        op.error_response("415", "the file's type is not one this route accepts");
        op.may_be_unavailable("the file store");
    }
}

impl Upload {
    /// Takes only files whose detected type is one of `types`: exact (`application/pdf`) or a
    /// family (`image/*`). Others get `415` and nothing is stored. Without it, every type is
    /// taken (and served back safely, see [`Download`](crate::Download)).
    #[must_use]
    pub fn accept(mut self, types: &[&str]) -> Upload {
        self.accept = types.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Takes files of at most `bytes` on this route, below `MAX_UPLOAD_BYTES` (a larger value
    /// is cut to it: the server reads no more).
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Upload {
        self.max_bytes = bytes.min(self.storage.max_upload_bytes());
        self
    }

    /// Reads the file from the part named `name` instead of `file`.
    #[must_use]
    pub fn field(mut self, name: &'static str) -> Upload {
        self.field = name;
        self
    }

    /// Streams the file into storage under a new random key and says what it stored.
    ///
    /// # Errors
    /// `413`, `415` or `400` (see [`Upload`]) with nothing stored, or `503` when the store
    /// does not answer.
    pub async fn store(mut self) -> Result<StoredFile, ChopinError> {
        let body = self.body.take().unwrap_or_else(Body::empty);
        let boundary = std::mem::take(&mut self.boundary);
        let accept = std::mem::take(&mut self.accept);
        let (storage, field, max_bytes) = (self.storage.clone(), self.field, self.max_bytes);
        let constraints = multer::Constraints::new().size_limit(
            multer::SizeLimit::new().whole_stream(max_bytes.saturating_add(FRAMING_BYTES)),
        );
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
        let accept: Vec<&str> = accept.iter().map(String::as_str).collect();
        let mut stored: Option<StoredFile> = None;
        let outcome = loop {
            let part = match form.next_field().await {
                Ok(Some(part)) => part,
                Ok(None) => break Ok(()),
                Err(e) => break Err(refusal(&e, max_bytes)),
            };
            if part.name() != Some(field) {
                // The handler has no way to read another part: a client that sends one is
                // mistaken about the route.
                let name = part.name().unwrap_or_default().escape_debug().to_string();
                break Err(ChopinError::bad_request(format!(
                    "the form has a part `{name}`: this route takes one part, `{field}`"
                )));
            }
            if stored.is_some() {
                break Err(ChopinError::bad_request(format!(
                    "the form has more than one `{field}` part: one file per request"
                )));
            }
            let filename = match part.file_name().map(sniff::file_name) {
                None => {
                    break Err(ChopinError::bad_request(format!(
                        "the `{field}` part has no file name: send it as a file"
                    )));
                }
                Some(Err(why)) => break Err(ChopinError::bad_request(why)),
                Some(Ok(name)) => name,
            };
            match receive(part, &storage, filename, &accept, max_bytes).await {
                Ok(file) => stored = Some(file),
                Err(e) => break Err(e),
            }
        };
        match (outcome, stored) {
            (Ok(()), Some(file)) => Ok(file),
            (Ok(()), None) => Err(ChopinError::bad_request(format!(
                "the form has no `{field}` part"
            ))),
            (Err(e), stored) => {
                if let Some(file) = stored
                    && let Err(delete) = storage.delete(&file.key).await
                {
                    tracing::warn!(key = %file.key, error = %delete, "a refused upload's object could not be deleted");
                }
                drain(form).await;
                Err(e)
            }
        }
    }
}

/// How long an upload the handler refused without reading is read for, in the background.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// An upload the handler did not store (it refused the request first: not the author, no such
/// post) is read to its end in the background, for at most 30 seconds and within the server's limit
/// on bodies: a client still sending it then reads the answer, not a reset connection.
impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(body) = self.body.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let mut stream = body.into_data_stream();
                let read = async { while let Some(Ok(_)) = stream.next().await {} };
                let _ = tokio::time::timeout(DRAIN_TIME, read).await;
            });
        }
    }
}

/// Reads the rest of a refused form, so that the client, still sending it, reads the answer
/// instead of a reset connection. Bounded by the server's limit on bodies.
async fn drain(mut form: multer::Multipart<'static>) {
    while let Ok(Some(mut part)) = form.next_field().await {
        while let Ok(Some(_)) = part.chunk().await {}
    }
}

/// Streams one file part into storage: detects its type from the first bytes, then writes
/// while hashing and counting.
async fn receive(
    mut part: multer::Field<'static>,
    storage: &Storage,
    filename: String,
    accept: &[&str],
    max_bytes: u64,
) -> Result<StoredFile, ChopinError> {
    let too_large = || {
        ChopinError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file is larger than the limit of {max_bytes} bytes"),
        )
    };
    // The first bytes, for the type, before anything is stored.
    let mut head: Vec<u8> = Vec::new();
    let mut ended = false;
    while head.len() < sniff::SNIFF_BYTES {
        match part.chunk().await {
            Ok(Some(chunk)) => head.extend_from_slice(&chunk),
            Ok(None) => {
                ended = true;
                break;
            }
            Err(e) => return Err(refusal(&e, max_bytes)),
        }
        if head.len() as u64 > max_bytes {
            return Err(too_large());
        }
    }
    let content_type = sniff::content_type(&head[..head.len().min(sniff::SNIFF_BYTES)]);
    if !accept.is_empty() && !sniff::accepted(content_type, accept) {
        return Err(ChopinError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the file is {content_type}, and this route takes {}",
                accept.join(", ")
            ),
        ));
    }
    let key = new_key();
    let mut writer = storage.writer(&key).map_err(ChopinError::from)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    let mut next = Some(Bytes::from(head));
    let result: Result<(), ChopinError> = async {
        loop {
            let chunk = match next.take() {
                Some(chunk) => chunk,
                None if ended => break Ok(()),
                None => match part.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(refusal(&e, max_bytes)),
                },
            };
            size += chunk.len() as u64;
            if size > max_bytes {
                break Err(too_large());
            }
            hash.update(&chunk);
            if let Err(e) = writer.write(chunk).await {
                break Err(ChopinError::from(e));
            }
        }
    }
    .await;
    if let Err(e) = result {
        abort(writer, &key).await;
        return Err(e);
    }
    writer.finish().await.map_err(ChopinError::from)?;
    let digest = hash.finalize();
    Ok(StoredFile {
        key,
        filename,
        content_type: content_type.to_owned(),
        size,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

async fn abort(writer: Writer, key: &str) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(%key, error = %e, "an abandoned upload's parts could not be deleted");
    }
}

/// A new object key: a UUID v7, whose leading time keeps listings in upload order.
fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The answer to a multipart body that could not be read.
fn refusal(e: &multer::Error, max_bytes: u64) -> ChopinError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ChopinError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the file is larger than the limit of {max_bytes} bytes"),
            )
        }
        multer::Error::StreamReadFailed(source) if over_limit(source.as_ref()) => ChopinError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file is larger than the limit of {max_bytes} bytes"),
        ),
        multer::Error::StreamReadFailed(_) => {
            ChopinError::bad_request("the body ended before the form did")
        }
        other => ChopinError::bad_request(format!("the body is not a well-formed form: {other}")),
    }
}

/// Whether reading the body failed on the server's limit on bodies.
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        next = e.source();
    }
    false
}
