//! The storage battery's section of the configuration: where files go and how large an upload
//! may be.

use std::path::PathBuf;
use std::time::Duration;

use chopin_runtime::Secret;
use chopin_runtime::config::{ConfigError, Section, Vars};

/// `MAX_UPLOAD_BYTES`'s default: 10 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

/// `STORAGE_TIMEOUT_MS`'s default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where stored files live: the storage battery's section of the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// The store. Variable `STORAGE_URL`: `file://DIR` (relative to the working directory,
    /// created on first use; default `file://uploads`), `memory://` (gone when the process
    /// ends, for tests) or `s3://BUCKET[/PREFIX]` (with `S3_*`, feature `s3`).
    pub url: StorageUrl,
    /// The largest file an upload may carry; a larger one gets `413` and leaves nothing stored.
    /// Variable `MAX_UPLOAD_BYTES`, default 10 MiB.
    pub max_upload_bytes: u64,
    /// The longest one storage operation waits for the store before it fails (a handler's `?`
    /// answers `503`); a transfer waits this long for each chunk, not for the whole file.
    /// Variable `STORAGE_TIMEOUT_MS`, default 10 000.
    pub timeout: Duration,
    /// The S3 endpoint and credentials, read when `STORAGE_URL` is `s3://`.
    pub s3: S3Config,
}

/// Where stored files live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageUrl {
    /// A directory on local disk, created on first use.
    File(PathBuf),
    /// The process's memory.
    Memory,
    /// A bucket of an S3-compatible store, and a prefix inside it (empty for none).
    S3 {
        /// The bucket.
        bucket: String,
        /// Keys are stored under `PREFIX/`; empty for the bucket's root.
        prefix: String,
    },
}

/// An S3-compatible store's endpoint and credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Config {
    /// The store's endpoint, for stores other than AWS (R2, MinIO, …): requests then use
    /// path-style addressing (`ENDPOINT/BUCKET/KEY`). Variable `S3_ENDPOINT`; `http://` is
    /// accepted (a store on the same host or network).
    pub endpoint: Option<String>,
    /// The region. Variable `S3_REGION`, default `us-east-1`.
    pub region: Option<String>,
    /// Variable `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// Variable `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: StorageUrl::File(PathBuf::from("uploads")),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            timeout: DEFAULT_TIMEOUT,
            s3: S3Config::default(),
        }
    }
}

const URL_EXPECTED: &str = "file://DIR, memory:// or s3://BUCKET[/PREFIX]";

impl StorageUrl {
    /// Reads `file://DIR`, `memory://` or `s3://BUCKET[/PREFIX]`; `None` for anything else.
    pub fn parse(value: &str) -> Option<StorageUrl> {
        let value = value.trim();
        if let Some(dir) = value.strip_prefix("file://") {
            return (!dir.is_empty() && !dir.contains('\0'))
                .then(|| StorageUrl::File(PathBuf::from(dir)));
        }
        if value == "memory://" || value == "memory:" {
            return Some(StorageUrl::Memory);
        }
        let rest = value.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // Bucket names: 3 to 63 of lowercase letters, digits, `.` and `-` (S3's rules).
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        let prefix = prefix.trim_matches('/');
        let prefix_ok = prefix
            .split('/')
            .all(|seg| prefix.is_empty() || (!seg.is_empty() && seg != "." && seg != ".."));
        (bucket_ok && prefix_ok).then(|| StorageUrl::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl Section for StorageConfig {
    fn read(vars: &Vars, defaults: StorageConfig) -> Result<StorageConfig, ConfigError> {
        let var = vars.get("STORAGE_URL");
        let url = match var.value() {
            None => defaults.url,
            Some(v) => StorageUrl::parse(v).ok_or_else(|| var.invalid(URL_EXPECTED))?,
        };
        let max_upload_bytes = vars
            .get("MAX_UPLOAD_BYTES")
            .ranged(1, usize::MAX, "a size in bytes, at least 1")?
            .map_or(defaults.max_upload_bytes, |n| n as u64);
        let timeout = vars
            .get("STORAGE_TIMEOUT_MS")
            .millis()?
            .unwrap_or(defaults.timeout);
        let s3 = if matches!(url, StorageUrl::S3 { .. }) {
            S3Config {
                endpoint: vars
                    .get("S3_ENDPOINT")
                    .url(
                        &["https://", "http://"],
                        "an http:// or https:// URL, such as http://127.0.0.1:9000",
                    )?
                    .map(|e| e.trim_end_matches('/').to_owned())
                    .or(defaults.s3.endpoint),
                region: vars
                    .get("S3_REGION")
                    .value()
                    .map(str::to_owned)
                    .or(defaults.s3.region),
                access_key_id: vars
                    .get("AWS_ACCESS_KEY_ID")
                    .value()
                    .map(str::to_owned)
                    .or(defaults.s3.access_key_id),
                secret_access_key: vars
                    .get("AWS_SECRET_ACCESS_KEY")
                    .secret(1, "a secret access key")?
                    .or(defaults.s3.secret_access_key),
            }
        } else {
            defaults.s3
        };
        Ok(StorageConfig {
            url,
            max_upload_bytes,
            timeout,
            s3,
        })
    }
}

impl StorageConfig {
    /// What serving needs and this configuration lacks: the S3 credentials.
    pub(crate) fn unmet(&self) -> Vec<ConfigError> {
        let mut unmet = Vec::new();
        if let StorageUrl::S3 { .. } = self.url {
            if !cfg!(feature = "s3") {
                return vec![ConfigError::Invalid {
                    name: "STORAGE_URL",
                    value: "s3://…".to_owned(),
                    expected: "file://DIR or memory:// (s3:// needs chopin's `s3` feature)",
                }];
            }
            if self.s3.access_key_id.is_none() {
                unmet.push(ConfigError::Missing {
                    name: "AWS_ACCESS_KEY_ID",
                    why: "STORAGE_URL is an s3:// URL",
                });
            }
            if self.s3.secret_access_key.is_none() {
                unmet.push(ConfigError::Missing {
                    name: "AWS_SECRET_ACCESS_KEY",
                    why: "STORAGE_URL is an s3:// URL",
                });
            }
        }
        unmet
    }
}

#[cfg(test)]
mod tests {
    use chopin_runtime::Config;

    use super::*;

    fn read(vars: &'static [(&'static str, &'static str)]) -> Result<StorageConfig, String> {
        Config::from_lookup(move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .and_then(|c| c.section::<StorageConfig>())
        .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_each_kind_of_store() {
        assert_eq!(read(&[]), Ok(StorageConfig::default()));
        assert_eq!(
            read(&[("STORAGE_URL", "file:///var/lib/app/files")]).map(|c| c.url),
            Ok(StorageUrl::File(PathBuf::from("/var/lib/app/files")))
        );
        assert_eq!(
            read(&[("STORAGE_URL", "memory://")]).map(|c| c.url),
            Ok(StorageUrl::Memory)
        );
        let s3 = read(&[
            ("STORAGE_URL", "s3://media-bucket/blog/uploads/"),
            ("S3_ENDPOINT", "http://127.0.0.1:9000/"),
            ("AWS_ACCESS_KEY_ID", "key"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]);
        let s3 = s3.expect("an s3 configuration");
        assert_eq!(
            s3.url,
            StorageUrl::S3 {
                bucket: "media-bucket".to_owned(),
                prefix: "blog/uploads".to_owned()
            }
        );
        assert_eq!(s3.s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.unmet().is_empty(), cfg!(feature = "s3"));
    }

    #[test]
    fn names_the_variable_of_a_bad_value() {
        assert_eq!(
            read(&[("STORAGE_URL", "/tmp/files")]),
            Err("invalid value for `STORAGE_URL`: `/tmp/files` (file://DIR, memory:// or s3://BUCKET[/PREFIX])".to_owned())
        );
        assert!(read(&[("STORAGE_URL", "s3://Bad_Bucket")]).is_err());
        assert!(read(&[("STORAGE_URL", "s3://bucket/../x")]).is_err());
        assert_eq!(
            read(&[("MAX_UPLOAD_BYTES", "ten")]),
            Err(
                "invalid value for `MAX_UPLOAD_BYTES`: `ten` (a size in bytes, at least 1)"
                    .to_owned()
            )
        );
        let unmet = read(&[("STORAGE_URL", "s3://bucket")])
            .expect("read")
            .unmet()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        if cfg!(feature = "s3") {
            assert_eq!(unmet.len(), 2, "{unmet:?}");
            assert!(unmet[0].contains("AWS_ACCESS_KEY_ID"), "{unmet:?}");
        } else {
            assert_eq!(unmet.len(), 1, "{unmet:?}");
            assert!(unmet[0].contains("`s3` feature"), "{unmet:?}");
        }
    }
}
