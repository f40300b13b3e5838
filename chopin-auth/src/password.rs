//! Password hashing with argon2id, and the password policy.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with OWASP's parameters
//! and a fresh 128-bit salt from the operating system; a stored hash carries its own parameters,
//! so raising them later still verifies old hashes. Hashing is slow on purpose (tens of
//! milliseconds, 19 MiB), so it runs on tokio's blocking pool, never on a worker thread, and the
//! password's length is bounded by [`MAX_PASSWORD_BYTES`].
//!
//! A sign-in for an unknown email must cost what one for a known email costs, or response times
//! tell which emails have accounts: [`verify_or_equalise`] hashes against a dummy hash when there
//! is no user.
//!
//! Passwords are hashed and checked in Unicode's NFC form, so that `é` typed as one code point on
//! one keyboard and as `e` + a combining accent on another is the same password (NIST SP 800-63B
//! §5.1.1.2). A new password must also be hard to guess ([`check_strength`]: zxcvbn's estimate,
//! which knows the passwords of public breaches, keyboard walks, dates and the user's own email).

use std::borrow::Cow;

use argon2::password_hash::{self, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::SaltString;
use tokio::sync::OnceCell;
use unicode_normalization::{UnicodeNormalization as _, is_nfc};

use crate::token::{os_random, random_token};

/// The longest password accepted, in bytes: it bounds the hashing work one request can ask for.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The most characters [`check_password`] accepts: 256 characters are at most 1024 bytes, so a
/// password the policy accepts can always be hashed, and an API description can state the limit
/// in characters (JSON Schema's `maxLength`).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Argon2 memory cost in KiB (19 MiB): OWASP's recommendation for argon2id.
const M_COST: u32 = 19_456;
/// Argon2 iterations.
const T_COST: u32 = 2;
/// Argon2 parallelism.
const P_COST: u32 = 1;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// argon2 refused to hash (the password is longer than [`MAX_PASSWORD_BYTES`], or the
    /// parameters are invalid).
    #[error("the password could not be hashed: {0}")]
    Hash(#[source] password_hash::Error),
    /// The stored hash is not a PHC string argon2 can verify against.
    #[error("the stored password hash is unreadable: {0}")]
    BadHash(#[source] password_hash::Error),
    /// The blocking task that hashes panicked or was cancelled.
    #[error("the password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A [`HashLimiter`]'s queue is full: the request is turned away (`503` with `retry-after`)
    /// rather than adding 19 MiB of hashing to a server already busy hashing.
    #[error("password hashing is busy: {queued} checks are already waiting")]
    Busy {
        /// How many were waiting.
        queued: usize,
    },
}

impl PasswordError {
    /// How long a client turned away by a full queue should wait.
    pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
}

/// A bound on the argon2 work of a server: at most `concurrency` hashes at once (each 19 MiB and
/// tens of milliseconds of a core), at most `queue` more waiting for their turn; beyond that,
/// [`PasswordError::Busy`] at once. Without it, a hundred concurrent wrong passwords start a
/// hundred blocking threads and 2 GiB of memory.
#[derive(Debug)]
pub struct HashLimiter {
    permits: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    queue: usize,
}

impl HashLimiter {
    /// At most `concurrency` (at least 1) hashes at once and `queue` waiting.
    pub fn new(concurrency: usize, queue: usize) -> HashLimiter {
        HashLimiter {
            permits: tokio::sync::Semaphore::new(concurrency.max(1)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            queue,
        }
    }

    /// Waits for a turn, or refuses at once when the queue is full.
    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, PasswordError> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        // Counted out however the wait ends, a dropped request included.
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _waiting = Waiting(&self.waiting);
        if queued >= self.queue {
            return Err(PasswordError::Busy { queued });
        }
        self.permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Busy { queued })
    }

    /// [`hash_password`], in turn.
    ///
    /// # Errors
    /// As [`hash_password`], and [`PasswordError::Busy`] when the queue is full.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _turn = self.turn().await?;
        hash_password(password).await
    }

    /// [`verify_password`], in turn.
    ///
    /// # Errors
    /// As [`verify_password`], and [`PasswordError::Busy`] when the queue is full.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let _turn = self.turn().await?;
        verify_password(password, phc).await
    }

    /// [`check_strength`], in turn and on the blocking pool: a long password's estimate takes
    /// milliseconds of a core, which a burst of signups must not take from the async threads.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when the queue is full, [`PasswordError::Task`] if the blocking
    /// task fails; the policy's refusal is the inner `Err`.
    pub async fn check_strength(
        &self,
        password: &str,
        min_score: u8,
        user_inputs: &[&str],
    ) -> Result<Result<(), String>, PasswordError> {
        if min_score == 0 {
            return Ok(Ok(()));
        }
        let _turn = self.turn().await?;
        let password = password.to_owned();
        let inputs: Vec<String> = user_inputs.iter().map(|s| (*s).to_owned()).collect();
        Ok(tokio::task::spawn_blocking(move || {
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            check_strength(&password, min_score, &inputs)
        })
        .await?)
    }

    /// [`verify_or_equalise`], in turn.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when the queue is full, whether or not there is a hash: a full
    /// queue tells nothing about the account.
    pub async fn verify_or_equalise(
        &self,
        password: &str,
        phc: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let _turn = self.turn().await?;
        Ok(verify_or_equalise(password, phc).await)
    }
}

/// The hasher with the parameters new hashes get.
fn argon2() -> Result<Argon2<'static>, password_hash::Error> {
    let params = Params::new(M_COST, T_COST, P_COST, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password`, hashed with a fresh salt. Blocking: call it from
/// `spawn_blocking`.
fn hash_blocking(password: &[u8]) -> Result<String, PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::Hash(password_hash::Error::Password));
    }
    let salt = os_random::<{ password_hash::Salt::RECOMMENDED_LENGTH }>();
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hash)?;
    let hash = argon2()
        .and_then(|argon2| argon2.hash_password(password, &salt))
        .map_err(PasswordError::Hash)?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc`. Blocking: call it from `spawn_blocking`.
fn verify_blocking(password: &[u8], phc: &str) -> Result<bool, PasswordError> {
    let hash = PasswordHash::new(phc).map_err(PasswordError::BadHash)?;
    if hash.salt.is_none() || hash.hash.is_none() {
        // argon2 would call this a mismatch; it is a hash nothing can ever match.
        return Err(PasswordError::BadHash(password_hash::Error::PhcStringField));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        // No password this long was ever hashed, so it matches nothing.
        return Ok(false);
    }
    // The hash's own algorithm, version and parameters are used, not `argon2()`'s.
    match Argon2::default().verify_password(password, &hash) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(error) => Err(PasswordError::BadHash(error)),
    }
}

/// Hashes `password` with argon2id (m = 19456 KiB, t = 2, p = 1) and a random salt from the
/// operating system, on tokio's blocking pool. The result is a PHC string, the form to store.
///
/// # Errors
///
/// [`PasswordError::Hash`] for a password longer than [`MAX_PASSWORD_BYTES`] (check it with
/// [`check_password`] first), [`PasswordError::Task`] if the blocking task fails.
pub async fn hash_password(password: &str) -> Result<String, PasswordError> {
    let password = nfc(password).into_owned().into_bytes();
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// `password` in Unicode's NFC form.
fn nfc(password: &str) -> Cow<'_, str> {
    if is_nfc(password) {
        Cow::Borrowed(password)
    } else {
        Cow::Owned(password.nfc().collect())
    }
}

/// Whether `password` matches the stored PHC string `phc`, checked on tokio's blocking pool.
///
/// # Errors
///
/// Only when `phc` cannot be read ([`PasswordError::BadHash`]) or the blocking task fails; a
/// wrong password is `Ok(false)`.
///
/// The password is checked in NFC form; one that is not in NFC and does not match is checked as
/// typed too, for hashes made before passwords were normalised.
pub async fn verify_password(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let normal = nfc(password).into_owned();
    let typed = (normal != password).then(|| password.to_owned());
    let phc = phc.to_owned();
    tokio::task::spawn_blocking(move || {
        let matches = verify_blocking(normal.as_bytes(), &phc)?;
        match typed {
            Some(typed) if !matches => verify_blocking(typed.as_bytes(), &phc),
            _ => Ok(matches),
        }
    })
    .await?
}

/// The hash [`verify_or_equalise`] verifies against when there is no user: a random password
/// hashed with the same parameters as real ones, computed on first use.
static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

/// Verifies `password` against `phc`, or when there is none against a fixed dummy hash with the
/// same parameters (computed once, lazily), so that a sign-in for an unknown email costs the
/// same time as one for a known email; always false without a hash.
///
/// A stored hash that cannot be read is logged and counts as a mismatch. A password longer than
/// [`MAX_PASSWORD_BYTES`] is refused without hashing, whether there is a hash or not, so that
/// shortcut tells nothing about the account either.
pub async fn verify_or_equalise(password: &str, phc: Option<&str>) -> bool {
    match phc {
        Some(phc) => match verify_password(password, phc).await {
            Ok(matches) => matches,
            Err(error) => {
                tracing::error!(%error, "cannot verify a password");
                false
            }
        },
        None => {
            let dummy = DUMMY_HASH
                .get_or_try_init(|| async { hash_password(&random_token()).await })
                .await;
            match dummy {
                // The outcome is thrown away: without a user there is nothing to match, even
                // if the password happened to be the dummy's.
                Ok(dummy) => {
                    let _ = verify_password(password, dummy).await;
                }
                Err(error) => tracing::error!(%error, "cannot compute the dummy password hash"),
            }
            false
        }
    }
}

/// Checks `password` against the policy: at least `min_chars` and at most
/// [`MAX_PASSWORD_CHARS`] characters (Unicode scalar values), not only whitespace.
///
/// # Errors
///
/// A user-facing message saying what is wrong, e.g. `must be at least 12 characters`.
///
/// ```
/// use chopin_auth::password::check_password;
///
/// assert!(check_password("correct horse battery staple", 12).is_ok());
/// assert_eq!(check_password("hunter2", 12).unwrap_err(), "must be at least 12 characters");
/// ```
pub fn check_password(password: &str, min_chars: usize) -> Result<(), String> {
    let chars = password.chars().count();
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
    if chars < min_chars {
        return Err(format!("must be at least {min_chars} characters"));
    }
    if password.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if password.chars().all(char::is_whitespace) {
        return Err("must not be only whitespace".to_owned());
    }
    // Every printable character and space is allowed (OWASP's advice); a control character
    // cannot be typed the same way twice.
    if password.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

/// The characters of a password [`check_strength`] estimates first, and at most: zxcvbn's work
/// grows faster than the length (a random password of 32 characters takes 2 ms, of 64 18 ms, of
/// 100 54 ms in a release build), so a password is judged on its start, and on a longer start
/// only when the first is not enough.
const STRENGTH_CHARS: [usize; 2] = [32, 64];

/// Checks that a new `password` is hard to guess: zxcvbn's score (0 to 4) at least `min_score`.
/// The estimate knows the most common passwords of public breaches, words and names, keyboard
/// walks, repeats, sequences and dates, and `user_inputs` (the account's email): `Password123!`
/// scores 1 however many classes of characters it has, `correct horse battery` 4. `min_score`
/// 0 accepts anything.
///
/// # Errors
///
/// A user-facing message with zxcvbn's feedback, e.g. `is too easy to guess: this is similar to
/// a commonly used password`.
///
/// ```
/// use chopin_auth::password::check_strength;
///
/// assert!(check_strength("correct horse battery", 3, &[]).is_ok());
/// let refused = check_strength("Password123!", 3, &[]).unwrap_err();
/// assert!(refused.starts_with("is too easy to guess"), "{refused}");
/// assert!(check_strength("ada@example.com1", 3, &["ada@example.com"]).is_err());
/// assert!(check_strength("Password123!", 0, &[]).is_ok());
/// ```
pub fn check_strength(password: &str, min_score: u8, user_inputs: &[&str]) -> Result<(), String> {
    if min_score == 0 {
        return Ok(());
    }
    let mut estimate = None;
    for chars in STRENGTH_CHARS {
        let (head, whole) = match password.char_indices().nth(chars) {
            Some((end, _)) => (&password[..end], false),
            None => (password, true),
        };
        let judged = zxcvbn::zxcvbn(head, user_inputs);
        if u8::from(judged.score()) >= min_score {
            return Ok(());
        }
        estimate = Some(judged);
        if whole {
            break;
        }
    }
    let Some(estimate) = estimate else {
        return Ok(());
    };
    let mut message = "is too easy to guess".to_owned();
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            message.push_str(&format!(": {}", lowercase_first(&warning.to_string())));
        }
        let advice: Vec<String> = feedback
            .suggestions()
            .iter()
            .map(|s| lowercase_first(&s.to_string()))
            .collect();
        if !advice.is_empty() {
            message.push_str(&format!(" ({})", advice.join(" ").trim_end_matches('.')));
        }
    }
    Err(message)
}

/// `s` with its first letter in lower case, to follow `is too easy to guess:`.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.trim_end_matches('.').chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips() {
        let hash = hash_password("correct horse battery staple")
            .await
            .expect("hash");
        assert!(
            verify_password("correct horse battery staple", &hash)
                .await
                .expect("verify")
        );
        assert!(verify_or_equalise("correct horse battery staple", Some(&hash)).await);
    }

    #[tokio::test]
    async fn wrong_password_is_false_not_an_error() {
        let hash = hash_password("correct horse battery staple")
            .await
            .expect("hash");
        for wrong in [
            "",
            "correct horse battery stapl",
            "Correct horse battery staple",
        ] {
            assert!(
                !verify_password(wrong, &hash).await.expect("verify"),
                "{wrong:?}"
            );
            assert!(!verify_or_equalise(wrong, Some(&hash)).await, "{wrong:?}");
        }
        let too_long = "a".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(!verify_password(&too_long, &hash).await.expect("verify"));
    }

    #[tokio::test]
    async fn unreadable_hash_is_an_error() {
        let no_output = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA";
        for phc in ["", "not a hash", no_output, "$md5$abc"] {
            assert!(
                matches!(
                    verify_password("password", phc).await,
                    Err(PasswordError::BadHash(_))
                ),
                "{phc:?}"
            );
            assert!(!verify_or_equalise("password", Some(phc)).await);
        }
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ() {
        let a = hash_password("same password").await.expect("hash");
        let b = hash_password("same password").await.expect("hash");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("same password", &a).await.expect("verify"));
        assert!(verify_password("same password", &b).await.expect("verify"));
    }

    #[tokio::test]
    async fn hash_is_argon2id_with_owasp_parameters() {
        let hash = hash_password("password").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).expect("PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let salt = parsed.salt.expect("salt");
        let mut buf = [0u8; 64];
        assert_eq!(salt.decode_b64(&mut buf).expect("salt bytes").len(), 16);
    }

    #[tokio::test]
    async fn too_long_password_is_not_hashed() {
        let too_long = "a".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            hash_password(&too_long).await,
            Err(PasswordError::Hash(_))
        ));
        let longest = "a".repeat(MAX_PASSWORD_BYTES);
        let hash = hash_password(&longest).await.expect("hash");
        assert!(verify_password(&longest, &hash).await.expect("verify"));
    }

    #[tokio::test]
    async fn verify_or_equalise_without_a_hash_is_false_and_costs_a_verification() {
        let hash = hash_password("the real password").await.expect("hash");
        // Computes the dummy hash, so the runs below time verification alone.
        assert!(!verify_or_equalise("the real password", None).await);

        const RUNS: u32 = 3;
        let mut real = Duration::ZERO;
        let mut dummy = Duration::ZERO;
        for _ in 0..RUNS {
            let start = Instant::now();
            assert!(verify_or_equalise("the real password", Some(&hash)).await);
            real += start.elapsed();
            let start = Instant::now();
            assert!(!verify_or_equalise("the real password", None).await);
            dummy += start.elapsed();
        }
        // Loose: the two paths do the same work, but the machine is shared. Skipping the hash
        // would make the dummy path thousands of times faster, not three.
        assert!(
            dummy * 3 >= real,
            "no hash: {dummy:?}, a real hash: {real:?} over {RUNS} runs"
        );
        // Even the dummy's own password does not sign in without a user.
        let dummy_hash = DUMMY_HASH.get().expect("computed");
        assert!(!verify_or_equalise("anything", None).await);
        assert!(dummy_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn policy_refuses_short_long_and_blank_passwords() {
        assert_eq!(check_password("correct horse", 12), Ok(()));
        assert_eq!(check_password("exactly12chr", 12), Ok(()));
        assert_eq!(
            check_password("short", 12),
            Err("must be at least 12 characters".to_owned())
        );
        // Characters, not bytes: 11 two-byte characters are 22 bytes and still too short.
        assert_eq!(
            check_password(&"é".repeat(11), 12),
            Err("must be at least 12 characters".to_owned())
        );
        assert_eq!(check_password(&"é".repeat(12), 12), Ok(()));
        assert_eq!(
            check_password("", 12),
            Err("must be at least 12 characters".to_owned())
        );
        assert_eq!(check_password("", 0), Err("must not be empty".to_owned()));
        assert_eq!(
            check_password(&" ".repeat(20), 12),
            Err("must not be only whitespace".to_owned())
        );
        assert_eq!(
            check_password(" \t\n\u{3000}  \t\n\u{3000}   ", 12),
            Err("must not be only whitespace".to_owned())
        );
        assert_eq!(check_password(" spaces  inside ", 12), Ok(()));
        assert_eq!(check_password(&"a".repeat(MAX_PASSWORD_CHARS), 12), Ok(()));
        // The longest password the policy takes, in the widest characters, can be hashed.
        assert!("😀".repeat(MAX_PASSWORD_CHARS).len() <= MAX_PASSWORD_BYTES);
        assert_eq!(
            check_password(&"a".repeat(MAX_PASSWORD_CHARS + 1), 12),
            Err("must be at most 256 characters".to_owned())
        );
        // Characters, not bytes: 256 three-byte characters are within the limit.
        assert_eq!(check_password(&"€".repeat(256), 12), Ok(()));
        for controlled in [
            "a long password\0",
            "a long\u{7}password",
            "a long\tpassword",
        ] {
            assert_eq!(
                check_password(controlled, 12),
                Err("must not contain control characters".to_owned()),
                "{controlled:?}"
            );
        }
    }

    #[tokio::test]
    async fn passwords_are_compared_in_nfc_whatever_the_keyboard_typed() {
        let composed = "cr\u{e8}me br\u{fb}l\u{e9}e au caf\u{e9}";
        let decomposed = "cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301}";
        assert_ne!(composed, decomposed);
        for (typed_at_signup, typed_at_login) in [(composed, decomposed), (decomposed, composed)] {
            let hash = hash_password(typed_at_signup).await.expect("hash");
            assert!(
                verify_password(typed_at_login, &hash)
                    .await
                    .expect("verify")
            );
        }
        // A hash made before normalisation, of a decomposed password, still takes it as typed.
        let legacy = hash_blocking(decomposed.as_bytes()).expect("hash");
        assert!(verify_password(decomposed, &legacy).await.expect("verify"));
        assert!(
            !verify_password("creme brulee au cafe", &legacy)
                .await
                .expect("verify")
        );
    }

    #[test]
    fn guessable_passwords_are_refused_with_advice() {
        for weak in [
            "Password123!",
            "qwertyuiopasdf",
            "aaaaaaaaaaaaaaaa",
            "1234567890123456",
            "Summer2024!",
        ] {
            let message = check_strength(weak, 3, &[]).expect_err(weak);
            assert!(message.starts_with("is too easy to guess"), "{message}");
        }
        let own = check_strength("grace.hopper@example.com", 3, &["grace.hopper@example.com"]);
        assert!(own.is_err(), "the account's own email");
        for strong in [
            "correct horse battery",
            "Tr0ub4dor&3xyz",
            "the owner's new password",
        ] {
            assert_eq!(check_strength(strong, 3, &[]), Ok(()), "{strong}");
        }
        assert_eq!(
            check_strength("aaaaaaaaaaaa", 0, &[]),
            Ok(()),
            "0 takes anything"
        );
    }

    #[test]
    fn a_long_password_is_judged_on_its_start() {
        // Weak in its first 32 characters, strong within 64: accepted.
        let padded = format!("{}{}", "a".repeat(32), "q8#Lm2$vX9@pR4&tZ7!k");
        assert_eq!(check_strength(&padded, 3, &[]), Ok(()));
        // Weak for 64 characters: refused, whatever follows.
        let long = format!("{}{}", "a".repeat(64), "q8#Lm2$vX9@pR4&tZ7!k");
        assert!(check_strength(&long, 3, &[]).is_err());
        // Multi-byte characters are cut at a character, not a byte.
        assert!(check_strength(&"\u{e9}".repeat(300), 3, &[]).is_err());
    }

    #[tokio::test]
    async fn the_strength_check_runs_in_turn() {
        let limiter = HashLimiter::new(1, 0);
        assert_eq!(
            limiter
                .check_strength("correct horse battery", 3, &[])
                .await
                .expect("a turn"),
            Ok(())
        );
        let held = limiter.turn().await.expect("the only permit");
        let busy = limiter
            .check_strength("correct horse battery", 3, &[])
            .await;
        assert!(matches!(busy, Err(PasswordError::Busy { .. })), "{busy:?}");
        drop(held);
    }
}
