//! Secrets at rest: what the server must read back in clear (a TOTP secret) is stored sealed,
//! XChaCha20-Poly1305 under a key from `AUTH_ENCRYPTION_KEY`, bound to its row.
//!
//! A sealed value is text, `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`: the nonce is 192
//! random bits (safe to draw at random for any number of values), the key id the first 4 bytes of
//! the key's SHA-256 in hex, so that [`Sealer::open`] finds the key a value was sealed with among
//! the current one and the old ones (`AUTH_ENCRYPTION_OLD_KEYS`). Each value is sealed with
//! associated data naming what it is and whose (`totp|<user id>`): a sealed secret copied into
//! another row does not open.
//!
//! Rotating the key: set the new one as `AUTH_ENCRYPTION_KEY` and the old one in
//! `AUTH_ENCRYPTION_OLD_KEYS` (comma-separated). Values sealed with an old key keep opening, and
//! each is sealed again with the new key the next time it is used; once every row has moved,
//! the old key can go.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::token::os_random;

/// The format's version, the first part of every sealed value.
const VERSION: &str = "v1";
/// The nonce of XChaCha20-Poly1305: 24 bytes.
const NONCE_BYTES: usize = 24;

/// One key: the cipher and its id.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    /// The key derived from `secret` (any text of at least 32 bytes): HMAC-SHA256 under the
    /// secret of a fixed label, so that the same secret used elsewhere gives another key.
    fn derive(secret: &[u8]) -> Key {
        let key = derive_key(secret, b"chopin seal v1");
        let id = Sha256::digest(key);
        Key {
            id: id[..4].iter().map(|b| format!("{b:02x}")).collect(),
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }
}

/// 32 bytes derived from `secret` for `label`: HMAC-SHA256(secret, label).
pub(crate) fn derive_key(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Seals and opens secrets at rest: the current key seals, it and the old keys open.
#[derive(Clone)]
pub struct Sealer {
    current: Key,
    old: Vec<Key>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.id)
            .field("old", &self.old.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

/// Why a value did not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The value is not of the sealed form (not `v1.<id>.<base64url>`).
    #[error("the value is not a sealed value")]
    Malformed,
    /// No key of this server has the value's key id: a key was dropped too early.
    #[error(
        "the value was sealed with key `{0}`, which is neither AUTH_ENCRYPTION_KEY nor in AUTH_ENCRYPTION_OLD_KEYS"
    )]
    UnknownKey(String),
    /// The key fits but the value does not open: it was altered, or belongs to another row.
    #[error("the value does not open: it was altered or moved from another row")]
    Tampered,
}

impl Sealer {
    /// A sealer with the key from `secret` and, for values sealed before a rotation, the keys
    /// from `old`.
    ///
    /// ```
    /// use chopin_auth::seal::Sealer;
    ///
    /// let before = Sealer::new(b"an old secret of at least thirty-two bytes", &[]);
    /// let sealed = before.seal("JBSWY3DPEHPK3PXP", "totp|7");
    /// assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
    ///
    /// let after = Sealer::new(
    ///     b"the new secret of at least thirty-two bytes",
    ///     &[b"an old secret of at least thirty-two bytes".as_slice()],
    /// );
    /// let (secret, stale) = after.open(&sealed, "totp|7").unwrap();
    /// assert_eq!((secret.as_str(), stale), ("JBSWY3DPEHPK3PXP", true));
    /// assert!(after.open(&sealed, "totp|8").is_err(), "bound to its row");
    /// ```
    pub fn new(secret: &[u8], old: &[&[u8]]) -> Sealer {
        Sealer {
            current: Key::derive(secret),
            old: old.iter().map(|s| Key::derive(s)).collect(),
        }
    }

    /// `plain` sealed with the current key, bound to `context` (what it is and whose).
    pub fn seal(&self, plain: &str, context: &str) -> String {
        let nonce = os_random::<NONCE_BYTES>();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption fails only for messages beyond what the cipher's counter covers (256 GiB).
        let sealed = self
            .current
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_else(|_| unreachable!("a secret is far below the cipher's limit"));
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!(
            "{VERSION}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Whether `value` is of the sealed form (as opposed to a secret stored in clear before
    /// sealing existed).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with("v1.")
    }

    /// The secret in `value`, and whether it was sealed with an old key (then seal it again).
    ///
    /// # Errors
    /// The value is malformed, its key is unknown, or it does not open under `context`.
    pub fn open(&self, value: &str, context: &str) -> Result<(String, bool), SealError> {
        let mut parts = value.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Malformed);
        };
        let (key, stale) = if id == self.current.id {
            (&self.current, false)
        } else {
            let key = self
                .old
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
            (key, true)
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        let payload = Payload {
            msg: sealed,
            aad: context.as_bytes(),
        };
        let plain = key
            .cipher
            .decrypt(&nonce, payload)
            .map_err(|_| SealError::Tampered)?;
        let plain = String::from_utf8(plain).map_err(|_| SealError::Tampered)?;
        Ok((plain, stale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";

    #[test]
    fn a_sealed_value_opens_with_its_key_and_context_only() {
        let sealer = Sealer::new(KEY, &[]);
        let sealed = sealer.seal("JBSWY3DPEHPK3PXP", "totp|1");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            sealer.seal("JBSWY3DPEHPK3PXP", "totp|1"),
            "fresh nonce"
        );
        assert_eq!(
            sealer.open(&sealed, "totp|1"),
            Ok(("JBSWY3DPEHPK3PXP".to_owned(), false))
        );
        assert_eq!(sealer.open(&sealed, "totp|2"), Err(SealError::Tampered));
        let other = Sealer::new(OTHER, &[]);
        assert!(matches!(
            other.open(&sealed, "totp|1"),
            Err(SealError::UnknownKey(_))
        ));
    }

    #[test]
    fn old_keys_open_and_say_the_value_is_stale() {
        let sealed = Sealer::new(OTHER, &[]).seal("secret", "totp|3");
        let rotated = Sealer::new(KEY, &[OTHER]);
        assert_eq!(
            rotated.open(&sealed, "totp|3"),
            Ok(("secret".to_owned(), true))
        );
        let resealed = rotated.seal("secret", "totp|3");
        assert_eq!(
            Sealer::new(KEY, &[]).open(&resealed, "totp|3"),
            Ok(("secret".to_owned(), false))
        );
    }

    #[test]
    fn altered_values_do_not_open() {
        let sealer = Sealer::new(KEY, &[]);
        let sealed = sealer.seal("secret", "totp|1");
        let (head, body) = sealed.rsplit_once('.').expect("three parts");
        let mut bytes = URL_SAFE_NO_PAD.decode(body).expect("base64url");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(sealer.open(&flipped, "totp|1"), Err(SealError::Tampered));
        for junk in [
            "",
            "JBSWY3DPEHPK3PXP",
            "v1.",
            "v1.x",
            "v2.00000000.AAAA",
            "v1.00000000.!!!",
        ] {
            assert!(sealer.open(junk, "totp|1").is_err(), "{junk}");
        }
        let short = format!("v1.{}.AAAA", sealer.current.id);
        assert_eq!(sealer.open(&short, "totp|1"), Err(SealError::Malformed));
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let text = format!("{:?}", Sealer::new(KEY, &[OTHER]));
        assert!(text.starts_with("Sealer"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
    }
}
