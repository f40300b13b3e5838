//! Chopin's storage battery: files on local disk, in memory or in an S3-compatible bucket,
//! uploaded as `multipart/form-data` and served back by ranges.
//!
//! Use it through the `chopin` crate (its `storage` feature, on by default, and `s3` for S3
//! buckets): `STORAGE_URL` says where files go (`file://uploads` by default), and handlers take
//!
//! - [`Storage`], the store: put, get (by ranges), head, delete, signed URLs on S3;
//! - [`Upload`], a file being uploaded, which [`Upload::store`] streams into the store under a
//!   random key, checking its size (`MAX_UPLOAD_BYTES`), its type (by its bytes) and its name,
//!   and returns the [`StoredFile`] a model row keeps;
//! - [`Download`], from [`Storage::download`], which serves a stored file back with ranges,
//!   tags and the headers that keep it from running as a page of the application.
//!
//! The guide's storage chapter shows the whole path, from the form to the model row and back.

mod config;
mod download;
mod plugin;
#[cfg(feature = "s3")]
mod s3;
mod sniff;
mod store;
mod upload;

pub use config::{DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_TIMEOUT, S3Config, StorageConfig, StorageUrl};
pub use download::Download;
pub use plugin::StoragePlugin;
pub use store::{Object, ObjectInfo, Storage, StorageError, Writer};
pub use upload::{StoredFile, Upload};
