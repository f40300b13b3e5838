//! [`AuthConfig`]: how `AuthModule` signs users in and what it protects them with, read from
//! `JWT_SECRET`, the token lifetimes and a `SECURITY_*` switch for each protection.

use std::time::Duration;

use chopin_runtime::Secret;
use chopin_runtime::config::{ConfigError, Section, Vars};

/// How `AuthModule` signs users in and what it protects them with: the auth battery's section of
/// the configuration. Every protection is on unless its `SECURITY_*` variable turns it off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The HS256 key of access tokens, at least 32 bytes. Variable `JWT_SECRET`: required in
    /// production; in development a random one is generated at start-up when it is missing.
    pub jwt_secret: Option<Secret>,
    /// The key TOTP secrets are sealed with at rest (XChaCha20-Poly1305), any text of at least
    /// 32 bytes. Variable `AUTH_ENCRYPTION_KEY`: required in production; in development, derived
    /// from `JWT_SECRET` when missing.
    pub encryption_key: Option<Secret>,
    /// Keys of earlier rotations: values sealed with them still open, and are sealed again with
    /// `encryption_key` when next used. Variable `AUTH_ENCRYPTION_OLD_KEYS`, comma-separated.
    pub old_encryption_keys: Vec<Secret>,
    /// How long an access token is valid. Variable `JWT_ACCESS_TTL_SECS`, default 900.
    pub access_token_ttl: Duration,
    /// How long a session lasts without signing in again; each refresh token lives this long.
    /// Variable `JWT_REFRESH_TTL_SECS`, default 2 592 000 (30 days).
    pub refresh_token_ttl: Duration,
    /// How long a session lasts unused: a request with its access token, or a refresh, is a use.
    /// Variable `SESSION_IDLE_TIMEOUT_SECS`, default 1800 (30 minutes, OWASP ASVS 3.3.2 at
    /// level 2). Needs `SECURITY_SESSIONS`.
    pub session_idle_timeout: Duration,
    /// Fewest characters in a password. Variable `PASSWORD_MIN_LENGTH`, default 12.
    pub min_password_length: usize,
    /// The least zxcvbn score (0 to 4) of a new password: 3 refuses what an offline attack on a
    /// slow hash guesses in under 10^10 tries, breached and common passwords included; 0 accepts
    /// anything the length allows. Variable `PASSWORD_MIN_STRENGTH`, default 3.
    pub min_password_strength: u8,
    /// Most passwords hashed or checked at once (each 19 MiB and tens of milliseconds of a
    /// core). Variable `PASSWORD_HASH_CONCURRENCY`, default the number of cores.
    pub hash_concurrency: usize,
    /// Most password checks waiting for their turn; beyond, `503` with `retry-after`.
    /// Variable `PASSWORD_HASH_QUEUE`, default 64.
    pub hash_queue: usize,
    /// TOTP two-factor authentication. Variable `SECURITY_2FA`.
    pub two_factor: bool,
    /// Per-IP rate limiting of signup, login, password reset and verification requests.
    /// Variable `SECURITY_RATE_LIMIT`.
    pub rate_limit: bool,
    /// Requests per window from one IP address to one of those routes.
    /// Variable `RATE_LIMIT_MAX_ATTEMPTS`, default 10.
    pub rate_limit_max_attempts: u32,
    /// The rate limit's window. Variable `RATE_LIMIT_WINDOW_SECS`, default 60.
    pub rate_limit_window: Duration,
    /// Locking an account after failed logins. Variable `SECURITY_LOCKOUT`.
    pub lockout: bool,
    /// Failed logins that lock an account. Variable `LOCKOUT_MAX_ATTEMPTS`, default 5.
    pub lockout_max_attempts: u32,
    /// How long a lock lasts, and the window failures are counted in.
    /// Variable `LOCKOUT_DURATION_SECS`, default 900.
    pub lockout_duration: Duration,
    /// Refresh tokens, rotated on every use. Variable `SECURITY_REFRESH_TOKENS`.
    pub refresh_tokens: bool,
    /// Server-side sessions checked on every request, listed and revoked by their owner.
    /// Variable `SECURITY_SESSIONS`.
    pub sessions: bool,
    /// Password reset by email. Variable `SECURITY_PASSWORD_RESET`.
    pub password_reset: bool,
    /// How long a reset token is valid. Variable `PASSWORD_RESET_EXPIRY_SECS`, default 3600.
    pub password_reset_ttl: Duration,
    /// Email verification, required before signing in. Variable `SECURITY_EMAIL_VERIFICATION`.
    pub email_verification: bool,
    /// How long a verification token is valid.
    /// Variable `EMAIL_VERIFICATION_EXPIRY_SECS`, default 86 400.
    pub email_verification_ttl: Duration,
    /// The CSRF check on cookie-authenticated requests (`x-csrf-token`, an HMAC of the session).
    /// Variable `SECURITY_CSRF`.
    pub csrf: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: None,
            encryption_key: None,
            old_encryption_keys: Vec::new(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            session_idle_timeout: Duration::from_secs(30 * 60),
            min_password_length: 12,
            min_password_strength: 3,
            hash_concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            hash_queue: 64,
            two_factor: true,
            rate_limit: true,
            rate_limit_max_attempts: 10,
            rate_limit_window: Duration::from_secs(60),
            lockout: true,
            lockout_max_attempts: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            refresh_tokens: true,
            sessions: true,
            password_reset: true,
            password_reset_ttl: Duration::from_secs(3600),
            email_verification: true,
            email_verification_ttl: Duration::from_secs(24 * 3600),
            csrf: true,
        }
    }
}

impl Section for AuthConfig {
    fn read(vars: &Vars, d: AuthConfig) -> Result<AuthConfig, ConfigError> {
        let var = |name: &'static str| vars.get(name);
        let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            Ok(var(name)
                .ranged(1, 10 * 365 * 24 * 3600, "a number of seconds, at least 1")?
                .map_or(default, |n| Duration::from_secs(n as u64)))
        };
        let on = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            Ok(var(name).boolean()?.unwrap_or(default))
        };
        let attempts = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            Ok(var(name)
                .ranged(1, 1_000_000, "a number of attempts from 1 to 1000000")?
                .map_or(default, |n| n as u32))
        };
        Ok(AuthConfig {
            jwt_secret: var("JWT_SECRET")
                .secret(32, "a secret of at least 32 bytes")?
                .or(d.jwt_secret),
            encryption_key: var("AUTH_ENCRYPTION_KEY")
                .secret(32, "a secret of at least 32 bytes")?
                .or(d.encryption_key),
            old_encryption_keys: old_keys(&var("AUTH_ENCRYPTION_OLD_KEYS"))?
                .unwrap_or(d.old_encryption_keys),
            access_token_ttl: secs("JWT_ACCESS_TTL_SECS", d.access_token_ttl)?,
            refresh_token_ttl: secs("JWT_REFRESH_TTL_SECS", d.refresh_token_ttl)?,
            session_idle_timeout: secs("SESSION_IDLE_TIMEOUT_SECS", d.session_idle_timeout)?,
            min_password_length: var("PASSWORD_MIN_LENGTH")
                .ranged(8, 128, "a length from 8 to 128")?
                .unwrap_or(d.min_password_length),
            min_password_strength: var("PASSWORD_MIN_STRENGTH")
                .ranged(0, 4, "a zxcvbn score from 0 to 4")?
                .map_or(d.min_password_strength, |n| n as u8),
            hash_concurrency: var("PASSWORD_HASH_CONCURRENCY")
                .ranged(1, 1024, "a number of hashes from 1 to 1024")?
                .unwrap_or(d.hash_concurrency),
            hash_queue: var("PASSWORD_HASH_QUEUE")
                .ranged(0, 100_000, "a queue length from 0 to 100000")?
                .unwrap_or(d.hash_queue),
            two_factor: on("SECURITY_2FA", d.two_factor)?,
            rate_limit: on("SECURITY_RATE_LIMIT", d.rate_limit)?,
            rate_limit_max_attempts: attempts(
                "RATE_LIMIT_MAX_ATTEMPTS",
                d.rate_limit_max_attempts,
            )?,
            rate_limit_window: secs("RATE_LIMIT_WINDOW_SECS", d.rate_limit_window)?,
            lockout: on("SECURITY_LOCKOUT", d.lockout)?,
            lockout_max_attempts: attempts("LOCKOUT_MAX_ATTEMPTS", d.lockout_max_attempts)?,
            lockout_duration: secs("LOCKOUT_DURATION_SECS", d.lockout_duration)?,
            refresh_tokens: on("SECURITY_REFRESH_TOKENS", d.refresh_tokens)?,
            sessions: on("SECURITY_SESSIONS", d.sessions)?,
            password_reset: on("SECURITY_PASSWORD_RESET", d.password_reset)?,
            password_reset_ttl: secs("PASSWORD_RESET_EXPIRY_SECS", d.password_reset_ttl)?,
            email_verification: on("SECURITY_EMAIL_VERIFICATION", d.email_verification)?,
            email_verification_ttl: secs(
                "EMAIL_VERIFICATION_EXPIRY_SECS",
                d.email_verification_ttl,
            )?,
            csrf: on("SECURITY_CSRF", d.csrf)?,
        })
    }
}

/// `AUTH_ENCRYPTION_OLD_KEYS`: comma-separated secrets of at least 32 bytes each.
fn old_keys(var: &chopin_runtime::config::Var) -> Result<Option<Vec<Secret>>, ConfigError> {
    let Some(value) = var.value() else {
        return Ok(None);
    };
    let keys: Vec<Secret> = value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(Secret::new)
        .collect();
    if keys.iter().any(|k| k.expose().len() < 32) {
        return Err(ConfigError::Invalid {
            name: var.name(),
            value: format!("{} keys", keys.len()),
            expected: "comma-separated secrets of at least 32 bytes each",
        });
    }
    Ok(Some(keys))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chopin_runtime::Config;

    use super::*;

    fn section(vars: &[(&str, &str)]) -> Result<AuthConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| map.get(k).cloned())?.section::<AuthConfig>()
    }

    #[test]
    fn reads_every_variable() {
        let c = section(&[
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("AUTH_ENCRYPTION_KEY", "sealing-key-sealing-key-sealing-k"),
            (
                "AUTH_ENCRYPTION_OLD_KEYS",
                " old-key-number-one-old-key-number-1 , old-key-number-two-old-key-number-2",
            ),
            ("JWT_ACCESS_TTL_SECS", "60"),
            ("JWT_REFRESH_TTL_SECS", "3600"),
            ("SESSION_IDLE_TIMEOUT_SECS", "600"),
            ("PASSWORD_MIN_LENGTH", "16"),
            ("PASSWORD_MIN_STRENGTH", "2"),
            ("PASSWORD_HASH_CONCURRENCY", "3"),
            ("PASSWORD_HASH_QUEUE", "7"),
            ("SECURITY_2FA", "false"),
            ("SECURITY_RATE_LIMIT", "off"),
            ("RATE_LIMIT_MAX_ATTEMPTS", "3"),
            ("RATE_LIMIT_WINDOW_SECS", "30"),
            ("SECURITY_LOCKOUT", "0"),
            ("LOCKOUT_MAX_ATTEMPTS", "2"),
            ("LOCKOUT_DURATION_SECS", "120"),
            ("SECURITY_REFRESH_TOKENS", "no"),
            ("SECURITY_SESSIONS", "false"),
            ("SECURITY_PASSWORD_RESET", "false"),
            ("PASSWORD_RESET_EXPIRY_SECS", "600"),
            ("SECURITY_EMAIL_VERIFICATION", "false"),
            ("EMAIL_VERIFICATION_EXPIRY_SECS", "700"),
            ("SECURITY_CSRF", "false"),
        ])
        .expect("valid config");
        let secret = Secret::new("0123456789abcdef0123456789abcdef");
        assert_eq!(
            c,
            AuthConfig {
                jwt_secret: Some(secret),
                encryption_key: Some(Secret::new("sealing-key-sealing-key-sealing-k")),
                old_encryption_keys: vec![
                    Secret::new("old-key-number-one-old-key-number-1"),
                    Secret::new("old-key-number-two-old-key-number-2"),
                ],
                access_token_ttl: Duration::from_secs(60),
                refresh_token_ttl: Duration::from_secs(3600),
                session_idle_timeout: Duration::from_secs(600),
                min_password_length: 16,
                min_password_strength: 2,
                hash_concurrency: 3,
                hash_queue: 7,
                two_factor: false,
                rate_limit: false,
                rate_limit_max_attempts: 3,
                rate_limit_window: Duration::from_secs(30),
                lockout: false,
                lockout_max_attempts: 2,
                lockout_duration: Duration::from_secs(120),
                refresh_tokens: false,
                sessions: false,
                password_reset: false,
                password_reset_ttl: Duration::from_secs(600),
                email_verification: false,
                email_verification_ttl: Duration::from_secs(700),
                csrf: false,
            }
        );
        let debug = format!("{c:?}");
        assert!(!debug.contains("0123456789abcdef") && !debug.contains("key-number"));
    }

    #[test]
    fn every_protection_is_on_by_default() {
        let a = AuthConfig::default();
        let switches = [
            a.two_factor,
            a.rate_limit,
            a.lockout,
            a.refresh_tokens,
            a.sessions,
            a.password_reset,
            a.email_verification,
            a.csrf,
        ];
        assert!(switches.iter().all(|on| *on));
        assert_eq!(a.jwt_secret, None);
    }

    #[test]
    fn auth_errors_name_the_variable_and_never_echo_a_secret() {
        let cases = [
            (
                "JWT_SECRET",
                "short secret",
                "invalid value for `JWT_SECRET`: `12 bytes` (a secret of at least 32 bytes)",
            ),
            (
                "AUTH_ENCRYPTION_KEY",
                "too short",
                "invalid value for `AUTH_ENCRYPTION_KEY`: `9 bytes` (a secret of at least 32 bytes)",
            ),
            (
                "AUTH_ENCRYPTION_OLD_KEYS",
                "old-key-number-one-old-key-number-1,short",
                "invalid value for `AUTH_ENCRYPTION_OLD_KEYS`: `2 keys` (comma-separated secrets of \
                 at least 32 bytes each)",
            ),
            (
                "PASSWORD_MIN_LENGTH",
                "4",
                "invalid value for `PASSWORD_MIN_LENGTH`: `4` (a length from 8 to 128)",
            ),
            (
                "SECURITY_CSRF",
                "nope",
                "invalid value for `SECURITY_CSRF`: `nope` (one of true, false, 1, 0, yes, no, on, off)",
            ),
            (
                "PASSWORD_MIN_STRENGTH",
                "5",
                "invalid value for `PASSWORD_MIN_STRENGTH`: `5` (a zxcvbn score from 0 to 4)",
            ),
            (
                "LOCKOUT_MAX_ATTEMPTS",
                "0",
                "invalid value for `LOCKOUT_MAX_ATTEMPTS`: `0` (a number of attempts from 1 to 1000000)",
            ),
            (
                "JWT_ACCESS_TTL_SECS",
                "0",
                "invalid value for `JWT_ACCESS_TTL_SECS`: `0` (a number of seconds, at least 1)",
            ),
        ];
        for (name, value, message) in cases {
            let err = section(&[(name, value)]).expect_err(name);
            assert_eq!(err.to_string(), message);
        }
    }
}
