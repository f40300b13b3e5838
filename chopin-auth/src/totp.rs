//! Time-based one-time codes (RFC 6238) for two-factor sign-in.
//!
//! The parameters are the ones authenticator apps use: HMAC-SHA-1, 6 digits, 30-second steps.
//! A code is accepted within one step either side of the server's clock, compared in constant
//! time, and at most once: [`Totp::verify`] returns the step a code belongs to, the caller
//! stores it, and any code of that step or an earlier one is refused afterwards (RFC 6238 §5.2).
//! The HOTP computation itself is `totp-rs`'s.

use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, Builder, Secret};

use crate::token::os_random;

/// Seconds in a time step.
pub const STEP_SECS: u64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;

/// Steps either side of the current one whose codes are still accepted.
const SKEW_STEPS: u64 = 1;

/// Bytes in a generated secret: 160 bits, RFC 4226's recommendation.
const SECRET_BYTES: usize = 20;

/// Bytes in the shortest secret accepted: 128 bits, RFC 4226's minimum.
const MIN_SECRET_BYTES: usize = 16;

/// A user's TOTP secret, and the codes it yields.
///
/// Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct Totp {
    inner: totp_rs::Totp,
}

impl Totp {
    /// A new secret: 160 random bits from the operating system.
    pub fn generate() -> Totp {
        Totp::from_secret(os_random::<SECRET_BYTES>().to_vec())
    }

    /// The secret written in base32 (RFC 4648, as [`Totp::base32`] writes it; case, spaces and
    /// `=` padding are tolerated), or `None` if it is not base32 or shorter than 128 bits.
    pub fn from_base32(secret: &str) -> Option<Totp> {
        let normalized: String = secret
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let normalized = normalized.trim_end_matches('=');
        let secret = Secret::try_from_base32(normalized).ok()?;
        if secret.as_bytes().len() < MIN_SECRET_BYTES {
            return None;
        }
        Some(Totp::from_secret(secret.as_bytes().to_vec()))
    }

    /// SHA-1, [`DIGITS`] digits, [`STEP_SECS`]-second steps over `secret`.
    fn from_secret(secret: Vec<u8>) -> Totp {
        Totp::with_parameters(secret, Algorithm::SHA1, DIGITS as u8)
    }

    /// Any algorithm and number of digits, for the RFC's test vectors. `digits` must be 6 to 8.
    pub(crate) fn with_parameters(secret: Vec<u8>, algorithm: Algorithm, digits: u8) -> Totp {
        let inner = Builder::new()
            .with_algorithm(algorithm)
            .with_digits(digits)
            .with_skew(0)
            .with_step_duration(STEP_SECS)
            .with_secret(secret)
            // Cannot fail, unlike `build`: the callers pass 6 to 8 digits and a secret of at
            // least 128 bits, which is all `build` would check.
            .build_noncompliant();
        Totp { inner }
    }

    /// The secret in base32 (RFC 4648, uppercase, no padding): what a user types into an
    /// authenticator app that cannot scan [`Totp::otpauth_url`], and what is stored.
    pub fn base32(&self) -> String {
        self.inner.secret().to_base32()
    }

    /// The `otpauth://totp/…` URL authenticator apps scan (shown as a QR code): the label is
    /// `issuer:account`, and the query carries the secret and the issuer, all percent-encoded.
    ///
    /// ```
    /// use chopin_auth::totp::Totp;
    ///
    /// let totp = Totp::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    /// assert_eq!(
    ///     totp.otpauth_url("Acme", "ada@example.com"),
    ///     "otpauth://totp/Acme:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Acme",
    /// );
    /// ```
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        // Written here rather than by `totp_rs::Totp::to_url`, which refuses an empty account
        // and a `:` in either name; percent-encoding them keeps this infallible. Algorithm,
        // digits and period are left to their defaults (SHA1, 6, 30), which some apps require.
        let issuer = percent_encode(issuer);
        format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}",
            percent_encode(account),
            self.base32(),
        )
    }

    /// The code for the step that contains `unix_secs`.
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.inner.generate(unix_secs).to_string()
    }

    /// The time step (`unix_secs / 30`) at which `code` is valid within ±1 step of `now_unix`,
    /// refusing any step <= `last_used_step` (a replayed or older code). Constant-time
    /// comparison; `code` may contain spaces; anything not 6 digits is `None`.
    ///
    /// Store the returned step as the next call's `last_used_step`.
    pub fn verify(&self, code: &str, now_unix: u64, last_used_step: Option<i64>) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(self.inner.digits())
            || !code.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let now = now_unix / STEP_SECS;
        let mut matched = None;
        // Every step in the window is computed and compared, whichever matches.
        for step in now.saturating_sub(SKEW_STEPS)..=now.saturating_add(SKEW_STEPS) {
            let Some(at) = step.checked_mul(STEP_SECS) else {
                continue;
            };
            let expected = self.code_at(at);
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            // `now_unix / 30` is below `i64::MAX` for every `u64`, and so is this step.
            let step = i64::try_from(step).ok()?;
            let fresh = last_used_step.is_none_or(|last| step > last);
            if equal && fresh && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.inner.algorithm())
            .field("digits", &self.inner.digits())
            .field("step", &self.inner.step())
            .finish_non_exhaustive()
    }
}

/// `s` with everything but RFC 3986's unreserved characters percent-encoded (UTF-8), as the
/// Key URI format asks for labels and parameters.
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's seeds: "12345678901234567890" repeated to the hash's size.
    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 6238 Appendix B: time, SHA-1, SHA-256, SHA-512 (8 digits).
    const VECTORS: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc6238_appendix_b_vectors() {
        let sha1 = Totp::with_parameters(SEED_SHA1.to_vec(), Algorithm::SHA1, 8);
        let sha256 = Totp::with_parameters(SEED_SHA256.to_vec(), Algorithm::SHA256, 8);
        let sha512 = Totp::with_parameters(SEED_SHA512.to_vec(), Algorithm::SHA512, 8);
        for (time, code1, code256, code512) in VECTORS {
            assert_eq!(sha1.code_at(time), code1, "SHA1 at {time}");
            assert_eq!(sha256.code_at(time), code256, "SHA256 at {time}");
            assert_eq!(sha512.code_at(time), code512, "SHA512 at {time}");
            // And `verify` accepts each at its own step, for the configured digit count.
            let step = i64::try_from(time / STEP_SECS).expect("step");
            assert_eq!(sha1.verify(code1, time, None), Some(step), "SHA1 at {time}");
            assert_eq!(sha256.verify(code256, time, None), Some(step));
            assert_eq!(sha512.verify(code512, time, None), Some(step));
        }
    }

    #[test]
    fn six_digit_codes_are_the_vectors_last_six() {
        // Truncation to 6 digits is the same number modulo 10^6.
        let seed = Secret::from(SEED_SHA1.to_vec()).to_base32();
        let totp = Totp::from_base32(&seed).expect("base32");
        for (time, code, _, _) in VECTORS {
            assert_eq!(totp.code_at(time), code[2..], "at {time}");
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_refused() {
        let totp = Totp::generate();
        let now = 1_700_000_015;
        let step = i64::try_from(now / STEP_SECS).expect("step");
        for offset in [-1i64, 0, 1] {
            let at = now.checked_add_signed(offset * 30).expect("time");
            let code = totp.code_at(at);
            assert_eq!(
                totp.verify(&code, now, None),
                Some(step + offset),
                "{offset}"
            );
        }
        for offset in [-3i64, -2, 2, 3] {
            let at = now.checked_add_signed(offset * 30).expect("time");
            let code = totp.code_at(at);
            // A code of a distant step could coincide with one in the window (1 in 10^6).
            if (-1..=1).all(|o| totp.code_at(now.checked_add_signed(o * 30).expect("t")) != code) {
                assert_eq!(totp.verify(&code, now, None), None, "{offset}");
            }
        }
    }

    #[test]
    fn a_used_step_is_not_accepted_again() {
        let totp = Totp::generate();
        let now = 1_700_000_000;
        let code = totp.code_at(now);
        let step = totp.verify(&code, now, None).expect("valid");
        assert_eq!(totp.verify(&code, now, Some(step)), None, "replayed");
        assert_eq!(
            totp.verify(&code, now + 20, Some(step)),
            None,
            "replayed later"
        );
        // After the next step's code is used, the previous step's code is refused too.
        let next = totp.code_at(now + 30);
        let next_step = totp.verify(&next, now + 30, Some(step)).expect("next step");
        assert_eq!(next_step, step + 1);
        let previous = totp.code_at(now);
        if previous != next {
            assert_eq!(totp.verify(&previous, now + 30, Some(next_step)), None);
        }
        assert_eq!(totp.verify(&next, now + 30, Some(next_step)), None);
        // A code from the step before the last used one was never accepted, and is not now.
        assert_eq!(totp.verify(&code, now, Some(step + 5)), None);
    }

    #[test]
    fn codes_are_six_digits_and_may_contain_spaces() {
        let totp = Totp::generate();
        let now = 1_700_000_000;
        let code = totp.code_at(now);
        assert_eq!(code.len(), DIGITS);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let step = Some(i64::try_from(now / 30).expect("step"));
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(totp.verify(&spaced, now, None), step);
        for bad in [
            String::new(),
            code[..5].to_owned(),
            format!("{code}0"),
            format!("+{}", &code[1..]),
            format!("-{}", &code[1..]),
            code.replace(|c: char| c == code.chars().next().unwrap_or('0'), "a"),
            "١٢٣٤٥٦".to_owned(),
            "12345６".to_owned(),
        ] {
            assert_eq!(totp.verify(&bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_round_trips() {
        let totp = Totp::generate();
        let b32 = totp.base32();
        assert_eq!(b32.len(), 32, "160 bits");
        assert!(
            b32.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        let back = Totp::from_base32(&b32).expect("valid");
        assert_eq!(back.base32(), b32);
        assert_eq!(back.code_at(1_700_000_000), totp.code_at(1_700_000_000));
        // Lowercase, grouped, padded: how people copy secrets.
        let grouped = b32
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(Totp::from_base32(&grouped).expect("valid").base32(), b32);
        assert_eq!(
            Totp::from_base32(&format!("{b32}===="))
                .expect("valid")
                .base32(),
            b32
        );
        assert_ne!(Totp::generate().base32(), b32);
    }

    #[test]
    fn bad_base32_is_refused() {
        for bad in ["", "not base32!", "JBSWY3DP0", "JBSWY3DPEHPK3PXP", "ÄÖÜ"] {
            assert!(Totp::from_base32(bad).is_none(), "{bad:?}");
        }
        // 16 bytes is the minimum.
        assert!(Totp::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").is_some());
    }

    #[test]
    fn otpauth_url_names_issuer_account_and_secret() {
        let totp = Totp::generate();
        let url = totp.otpauth_url("Acme Corp", "ada+test@example.com");
        assert!(
            url.starts_with("otpauth://totp/Acme%20Corp:ada%2Btest%40example.com?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={}", totp.base32())), "{url}");
        assert!(url.contains("&issuer=Acme%20Corp"), "{url}");
        let odd = totp.otpauth_url("A:B & Co", "zoë:1/2?#");
        assert!(
            odd.starts_with("otpauth://totp/A%3AB%20%26%20Co:zo%C3%AB%3A1%2F2%3F%23?"),
            "{odd}"
        );
        // totp-rs reads it back with the same secret, issuer and account.
        let parsed = totp_rs::Totp::from_url(&url).expect("otpauth URL");
        assert_eq!(parsed.issuer(), Some("Acme Corp"));
        assert_eq!(parsed.account_name(), "ada+test@example.com");
        assert_eq!(parsed.secret().to_base32(), totp.base32());
        assert_eq!(
            parsed.generate(1_700_000_000).to_string(),
            totp.code_at(1_700_000_000)
        );
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let totp = Totp::generate();
        let debug = format!("{totp:?}");
        assert!(!debug.contains(&totp.base32()), "{debug}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("SHA1"), "{debug}");
    }
}
