//! Random tokens and their at-rest form: refresh tokens, reset and verification codes, CSRF
//! tokens and two-factor backup codes.
//!
//! Every random byte comes from the operating system ([`getrandom`]). Tokens are stored hashed
//! with SHA-256 ([`hash_token`]) and compared in constant time ([`constant_time_eq`]), so a
//! database leak does not hand out live credentials and a comparison does not leak how many
//! leading bytes matched.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The random bytes in a [`random_token`]: 256 bits.
const TOKEN_BYTES: usize = 32;

/// The characters of a backup code: lowercase letters and digits without the ones that are
/// misread for each other (`0`/`o`, `1`/`l`/`i`).
const BACKUP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The characters in a backup code, not counting the dash.
const BACKUP_CODE_CHARS: usize = 10;

/// `N` bytes from the operating system's random source.
///
/// # Panics
///
/// If the operating system cannot provide randomness. Nothing secure can be done without it,
/// and on the platforms the server runs on (Linux `getrandom(2)`) it does not fail once the
/// kernel's pool is initialised.
pub(crate) fn os_random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(error) = getrandom::fill(&mut bytes) {
        panic!("the operating system's random source failed: {error}");
    }
    bytes
}

/// A fresh random token: 256 bits from the operating system, base64url without padding
/// (43 characters), safe in URLs, headers and cookies.
///
/// ```
/// use chopin_auth::token::random_token;
///
/// let token = random_token();
/// assert_eq!(token.len(), 43);
/// assert_ne!(token, random_token());
/// ```
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(os_random::<TOKEN_BYTES>())
}

/// The at-rest form of a token: its SHA-256, as 64 lowercase hex digits.
///
/// A fast hash is the right choice here, unlike for passwords: a [`random_token`] carries 256
/// bits of entropy, so no amount of hashing speed makes guessing one from its hash feasible,
/// while argon2 would cost every request that presents a token tens of milliseconds and
/// megabytes of memory for no gain. The hash is deterministic (no salt) so that a token can be
/// looked up by it.
///
/// ```
/// use chopin_auth::token::hash_token;
///
/// assert_eq!(
///     hash_token("abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
/// );
/// ```
pub fn hash_token(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths, never on where
/// they first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `n` fresh one-time backup codes for two-factor sign-in, shown to the user as `xxxxx-xxxxx`.
///
/// Each code is 10 characters drawn uniformly from a 31-character lowercase alphabet without
/// `0`, `o`, `1`, `l` and `i` (about 49 bits): plenty against online guessing, which the caller
/// rate-limits, but unlike a [`random_token`] too little for an unsalted fast hash to keep them
/// secret if the database leaks, so store them as passwords are stored
/// ([`hash_password`](crate::password::hash_password) of [`normalize_backup_code`]), and
/// accept each at most once.
///
/// ```
/// use chopin_auth::token::backup_codes;
///
/// let codes = backup_codes(10);
/// assert_eq!(codes.len(), 10);
/// assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
/// ```
pub fn backup_codes(n: usize) -> Vec<String> {
    (0..n).map(|_| backup_code()).collect()
}

/// One backup code.
fn backup_code() -> String {
    // Rejection sampling keeps every character equally likely: bytes at or above the largest
    // multiple of the alphabet's length are drawn again rather than folded in with `%`.
    let limit = 256 - 256 % BACKUP_ALPHABET.len();
    let mut chars = Vec::with_capacity(BACKUP_CODE_CHARS);
    while chars.len() < BACKUP_CODE_CHARS {
        for byte in os_random::<16>() {
            let byte = usize::from(byte);
            if byte < limit && chars.len() < BACKUP_CODE_CHARS {
                chars.push(BACKUP_ALPHABET[byte % BACKUP_ALPHABET.len()]);
            }
        }
    }
    let mut code = String::with_capacity(BACKUP_CODE_CHARS + 1);
    for (i, c) in chars.into_iter().enumerate() {
        if i == BACKUP_CODE_CHARS / 2 {
            code.push('-');
        }
        code.push(char::from(c));
    }
    code
}

/// A backup code as typed by the user, in the form that is hashed and compared: lowercase,
/// without whitespace and dashes.
///
/// ```
/// use chopin_auth::token::normalize_backup_code;
///
/// assert_eq!(normalize_backup_code(" ABCDE-fghjk "), "abcdefghjk");
/// assert_eq!(normalize_backup_code("abc de fghjk"), "abcdefghjk");
/// ```
pub fn normalize_backup_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn random_tokens_are_43_base64url_characters() {
        for _ in 0..100 {
            let token = random_token();
            assert_eq!(token.len(), 43, "{token}");
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{token}"
            );
            let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64url");
            assert_eq!(bytes.len(), TOKEN_BYTES);
        }
    }

    #[test]
    fn random_tokens_do_not_repeat() {
        let tokens: HashSet<String> = (0..10_000).map(|_| random_token()).collect();
        assert_eq!(tokens.len(), 10_000);
    }

    #[test]
    fn hash_is_stable_lowercase_hex_sha256() {
        let token = random_token();
        let hash = hash_token(&token);
        assert_eq!(hash, hash_token(&token), "deterministic");
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(hash, hash_token(&random_token()));
        // FIPS 180-2 test vectors.
        assert_eq!(
            hash_token(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"secret", b""));
    }

    #[test]
    fn backup_codes_have_the_shape_and_alphabet() {
        assert!(backup_codes(0).is_empty());
        let codes = backup_codes(500);
        assert_eq!(codes.len(), 500);
        let mut seen = HashSet::new();
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            let (left, right) = code.split_at(5);
            assert!(right.starts_with('-'), "{code}");
            for c in left.bytes().chain(right[1..].bytes()) {
                assert!(BACKUP_ALPHABET.contains(&c), "{code}");
                assert!(!b"0o1li".contains(&c), "{code}");
                seen.insert(c);
            }
            assert_eq!(normalize_backup_code(code).len(), 10);
        }
        // 5000 draws from 31 characters: every one of them shows up.
        assert_eq!(seen.len(), BACKUP_ALPHABET.len());
    }

    #[test]
    fn backup_codes_do_not_repeat() {
        let codes: HashSet<String> = backup_codes(10_000).into_iter().collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn normalize_strips_spaces_and_dashes_and_lowercases() {
        assert_eq!(normalize_backup_code("abcde-fghjk"), "abcdefghjk");
        assert_eq!(normalize_backup_code("ABCDE-FGHJK"), "abcdefghjk");
        assert_eq!(normalize_backup_code("  abcde fghjk\t"), "abcdefghjk");
        assert_eq!(normalize_backup_code("a-b-c-d-e--f g h j k"), "abcdefghjk");
        assert_eq!(normalize_backup_code(""), "");
        let code = &backup_codes(1)[0];
        assert_eq!(
            normalize_backup_code(&code.to_uppercase().replace('-', " ")),
            normalize_backup_code(code)
        );
    }
}
