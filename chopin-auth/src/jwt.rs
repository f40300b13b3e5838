//! Short-lived HS256 access tokens.
//!
//! An access token is a JWT signed with HMAC-SHA256 under the server's secret. Decoding accepts
//! HS256 and nothing else, whatever the token's header says: `alg: none`, another HMAC, or a
//! public-key algorithm (the RS256/HS256 key-confusion attack) are refused as
//! [`JwtError::WrongAlgorithm`] before any signature is looked at. `exp`, `nbf`, `iat` and `sub`
//! are required; `exp` is checked without leeway (the server that issues a token is the one that
//! checks it), and a token is valid from a few seconds before it was issued, for the clocks of
//! several instances.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::token::os_random;

/// No clock skew is tolerated on `exp`: an expired token is refused the second it expires.
const LEEWAY_SECS: u64 = 0;

/// How long before it was issued a token is valid (`nbf`): instances whose clocks differ by less
/// accept each other's new tokens at once.
const NBF_SKEW_SECS: i64 = 5;

/// What an access token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's identifier.
    pub sub: String,
    /// The user's role.
    pub role: String,
    /// The server-side session the token belongs to, so revoking the session revokes it.
    pub sid: i64,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, in seconds since the Unix epoch.
    pub iat: i64,
    /// Not valid before, in seconds since the Unix epoch.
    pub nbf: i64,
    /// The token's unique identifier: 128 random bits, base64url.
    pub jti: String,
}

impl Claims {
    /// Claims for `sub` with `role` in session `sid`, valid from now for `ttl`: `iat` is now,
    /// `nbf` a few seconds before, `exp` now + `ttl`, `jti` 128 random bits.
    pub fn new(sub: impl Into<String>, role: impl Into<String>, sid: i64, ttl: Duration) -> Claims {
        let now = chopin_db::chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        Claims {
            sub: sub.into(),
            role: role.into(),
            sid,
            exp: now.saturating_add(ttl),
            iat: now,
            nbf: now - NBF_SKEW_SECS,
            jti: URL_SAFE_NO_PAD.encode(os_random::<16>()),
        }
    }
}

/// Why a token was refused, or could not be made.
///
/// The messages are short sentences safe to show a client; they name no key or internal detail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// `exp` is past (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The signature does not match the header and claims under the server's key.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// The header names an algorithm other than HS256 (including `none`).
    #[error("the token is not signed with an accepted algorithm")]
    WrongAlgorithm,
    /// Not a JWT, or its header or claims are not what an access token holds.
    #[error("the token is malformed")]
    Malformed,
    /// Signing failed (a server fault, never a client's).
    #[error("the token could not be created: {0}")]
    Encode(String),
}

impl From<jsonwebtoken::errors::Error> for JwtError {
    fn from(error: jsonwebtoken::errors::Error) -> JwtError {
        match error.kind() {
            ErrorKind::ExpiredSignature => JwtError::Expired,
            ErrorKind::ImmatureSignature => JwtError::NotYetValid,
            ErrorKind::InvalidSignature => JwtError::BadSignature,
            ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::UnsupportedAlgorithm
            | ErrorKind::MissingAlgorithm => JwtError::WrongAlgorithm,
            _ => JwtError::Malformed,
        }
    }
}

/// The key access tokens are signed and checked with, and the rules they are checked by.
///
/// Its `Debug` output names the algorithm, never the secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// The shortest secret worth using: 256 bits, the size of HS256's output.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// Keys for HS256 with `secret`.
    ///
    /// The length is not enforced here (configuration does that, where it can say which setting
    /// is wrong); a secret shorter than [`JwtKeys::MIN_SECRET_BYTES`] is logged as a warning.
    pub fn hs256(secret: &[u8]) -> JwtKeys {
        if secret.len() < Self::MIN_SECRET_BYTES {
            tracing::warn!(
                bytes = secret.len(),
                minimum = Self::MIN_SECRET_BYTES,
                "the JWT secret is shorter than recommended"
            );
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// `claims`, signed with HS256.
    ///
    /// # Errors
    ///
    /// [`JwtError::Encode`] if signing fails.
    pub fn encode(&self, claims: &Claims) -> Result<String, JwtError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|error| JwtError::Encode(error.to_string()))
    }

    /// The claims of `token`, once its algorithm, signature, `exp` and `nbf` are checked.
    ///
    /// # Errors
    ///
    /// The most precise [`JwtError`] for what is wrong with the token.
    pub fn decode(&self, token: &str) -> Result<Claims, JwtError> {
        // The header's algorithm is read first so that any other algorithm is reported as
        // such, whatever the library makes of it (it cannot even parse `none`). The library
        // then checks it again against `validation.algorithms`.
        check_algorithm(token)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        Ok(data.claims)
    }
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &"HS256")
            .finish_non_exhaustive()
    }
}

/// The part of a JWT header [`check_algorithm`] reads.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
}

/// `Ok` if `token` has three parts and a header naming HS256.
fn check_algorithm(token: &str) -> Result<(), JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwtError::Malformed)?;
    let header: RawHeader = serde_json::from_slice(&header).map_err(|_| JwtError::Malformed)?;
    if header.alg == "HS256" {
        Ok(())
    } else {
        Err(JwtError::WrongAlgorithm)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SECRET: &[u8] = b"an HS256 test secret of 32 bytes or more";

    fn keys() -> JwtKeys {
        JwtKeys::hs256(SECRET)
    }

    fn claims() -> Claims {
        Claims::new("42", "user", 7, Duration::from_secs(900))
    }

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn now() -> i64 {
        chopin_db::chrono::Utc::now().timestamp()
    }

    /// A token with these header and claims, signed with HS256 under [`SECRET`].
    fn signed(claims: &Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .expect("encode")
    }

    /// The parts of `token`, as strings.
    fn parts(token: &str) -> [String; 3] {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{token}");
        [parts[0].into(), parts[1].into(), parts[2].into()]
    }

    #[test]
    fn claims_new_sets_times_and_a_random_jti() {
        let before = now();
        let c = Claims::new("42", "admin", 3, Duration::from_secs(600));
        let after = now();
        assert_eq!((c.sub.as_str(), c.role.as_str(), c.sid), ("42", "admin", 3));
        assert!(before <= c.iat && c.iat <= after);
        assert_eq!(c.nbf, c.iat - NBF_SKEW_SECS);
        assert_eq!(c.exp, c.iat + 600);
        assert_eq!(c.jti.len(), 22, "128 bits in base64url");
        assert_eq!(URL_SAFE_NO_PAD.decode(&c.jti).expect("b64").len(), 16);
        assert_ne!(c.jti, claims().jti);
    }

    #[test]
    fn valid_token_round_trips() {
        let keys = keys();
        let claims = claims();
        let token = keys.encode(&claims).expect("encode");
        let [header, _, _] = parts(&token);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
        assert_eq!(header["alg"], "HS256");
        assert_eq!(keys.decode(&token), Ok(claims));
    }

    #[test]
    fn alg_none_is_rejected() {
        let claims = serde_json::to_value(claims()).expect("json");
        let payload = b64(claims.to_string());
        for alg in ["none", "None", "NONE", "nOnE"] {
            let header = b64(json!({"alg": alg, "typ": "JWT"}).to_string());
            // Unsigned, as the attack sends it, and with a real HS256 signature left on.
            let unsigned = format!("{header}.{payload}.");
            assert_eq!(
                keys().decode(&unsigned),
                Err(JwtError::WrongAlgorithm),
                "{alg}"
            );
            let [_, _, signature] = parts(&signed(&claims));
            let resigned = format!("{header}.{payload}.{signature}");
            assert_eq!(
                keys().decode(&resigned),
                Err(JwtError::WrongAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn hs512_signed_with_the_same_secret_is_rejected() {
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = jsonwebtoken::encode(
                &Header::new(alg),
                &claims(),
                &EncodingKey::from_secret(SECRET),
            )
            .expect("encode");
            assert_eq!(
                keys().decode(&token),
                Err(JwtError::WrongAlgorithm),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn rs256_header_is_rejected() {
        // The key-confusion attack: an RS256 header over an HMAC made with the public key. The
        // signature does not matter, the algorithm is refused first.
        let claims = serde_json::to_value(claims()).expect("json");
        let [_, payload, signature] = parts(&signed(&claims));
        for alg in ["RS256", "ES256", "PS256", "EdDSA", "hs256", "HS256 ", ""] {
            let header = b64(json!({"alg": alg, "typ": "JWT"}).to_string());
            let token = format!("{header}.{payload}.{signature}");
            assert_eq!(
                keys().decode(&token),
                Err(JwtError::WrongAlgorithm),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn header_without_alg_is_malformed() {
        let [_, payload, signature] = parts(&keys().encode(&claims()).expect("encode"));
        let header = b64(json!({"typ": "JWT"}).to_string());
        let token = format!("{header}.{payload}.{signature}");
        assert_eq!(keys().decode(&token), Err(JwtError::Malformed));
    }

    #[test]
    fn bad_signature_is_rejected() {
        let token = keys().encode(&claims()).expect("encode");
        let [header, payload, signature] = parts(&token);
        // The first character carries six bits of the MAC (the last one only four).
        let mut flipped = signature.into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        let token = format!("{header}.{payload}.{flipped}");
        assert_eq!(keys().decode(&token), Err(JwtError::BadSignature));
        let empty = format!("{header}.{payload}.");
        assert_eq!(keys().decode(&empty), Err(JwtError::BadSignature));
    }

    #[test]
    fn token_signed_with_another_secret_is_rejected() {
        let other = JwtKeys::hs256(b"another secret, also 32 bytes long!!");
        let token = other.encode(&claims()).expect("encode");
        assert_eq!(keys().decode(&token), Err(JwtError::BadSignature));
        assert!(other.decode(&token).is_ok());
    }

    #[test]
    fn expired_token_is_rejected() {
        let mut claims = claims();
        claims.iat = now() - 7200;
        claims.nbf = claims.iat;
        claims.exp = now() - 3600;
        let token = keys().encode(&claims).expect("encode");
        assert_eq!(keys().decode(&token), Err(JwtError::Expired));
    }

    #[test]
    fn expiry_has_no_leeway() {
        let mut claims = claims();
        claims.exp = now() + 10;
        let token = keys().encode(&claims).expect("encode");
        assert_eq!(keys().decode(&token), Ok(claims.clone()));
        claims.exp = now() - 2;
        let token = keys().encode(&claims).expect("encode");
        assert_eq!(keys().decode(&token), Err(JwtError::Expired));
    }

    #[test]
    fn not_yet_valid_token_is_rejected() {
        let mut claims = claims();
        claims.nbf = now() + 3600;
        claims.exp = now() + 7200;
        let token = keys().encode(&claims).expect("encode");
        assert_eq!(keys().decode(&token), Err(JwtError::NotYetValid));
        claims.nbf = now() + 10;
        let token = keys().encode(&claims).expect("encode");
        assert_eq!(
            keys().decode(&token),
            Err(JwtError::NotYetValid),
            "no leeway"
        );
    }

    #[test]
    fn missing_required_claims_are_rejected() {
        let full = serde_json::to_value(claims()).expect("json");
        for claim in ["exp", "nbf", "iat", "sub", "role", "sid", "jti"] {
            let mut partial = full.clone();
            partial
                .as_object_mut()
                .expect("object")
                .remove(claim)
                .expect("present");
            let token = signed(&partial);
            assert_eq!(keys().decode(&token), Err(JwtError::Malformed), "{claim}");
        }
        // A wrongly typed claim too.
        let mut wrong = full.clone();
        wrong["exp"] = json!("tomorrow");
        assert_eq!(keys().decode(&signed(&wrong)), Err(JwtError::Malformed));
        assert!(keys().decode(&signed(&full)).is_ok());
    }

    #[test]
    fn garbage_is_malformed() {
        let long = "a".repeat(10_000);
        for garbage in [
            "",
            ".",
            "..",
            "...",
            "abc",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "Bearer x.y.z",
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJhbGciOiJIUzI1NiJ9..",
            "eyJhbGciOiJIUzI1NiJ9.e30.",
            "eyJhbGciOiJIUzI1NiJ9.!!!.abc",
            "ünïcödé.ü.ü",
            long.as_str(),
        ] {
            assert!(
                matches!(
                    keys().decode(garbage),
                    Err(JwtError::Malformed | JwtError::BadSignature)
                ),
                "{garbage:?}: {:?}",
                keys().decode(garbage)
            );
        }
        // Without a valid signature, garbage never gets as far as its claims.
        assert_eq!(keys().decode("abc"), Err(JwtError::Malformed));
        assert_eq!(keys().decode("a.b.c"), Err(JwtError::Malformed));
        assert_eq!(keys().decode(""), Err(JwtError::Malformed));
    }

    #[test]
    fn tampered_payload_is_rejected() {
        let token = keys().encode(&claims()).expect("encode");
        let [header, payload, signature] = parts(&token);
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        assert_eq!(claims["role"], "user");
        claims["role"] = json!("admin");
        let tampered = format!("{header}.{}.{signature}", b64(claims.to_string()));
        assert_eq!(keys().decode(&tampered), Err(JwtError::BadSignature));
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let debug = format!("{:?}", keys());
        assert!(debug.contains("HS256"), "{debug}");
        assert!(!debug.contains("test secret"), "{debug}");
        let bytes = format!("{:?}", SECRET);
        assert!(!debug.contains(&bytes[1..20]), "{debug}");
    }

    #[test]
    fn messages_are_client_safe_sentences() {
        assert_eq!(JwtError::Expired.to_string(), "the token has expired");
        assert_eq!(
            JwtError::NotYetValid.to_string(),
            "the token is not valid yet"
        );
        assert_eq!(
            JwtError::BadSignature.to_string(),
            "the token's signature is not valid"
        );
        assert_eq!(JwtError::Malformed.to_string(), "the token is malformed");
    }
}
