//! Rate limits per address, lockout per email, and a limit on the wrong passwords and codes a
//! signed-in user may send.

use super::*;

/// Counts a request to `action` from the client's address, refusing it with `429` past the limit.
pub(super) async fn rate_limit(
    auth: &AuthModule,
    cache: &Cache,
    action: &str,
    client: ClientAddr,
) -> Result<(), ChopinError> {
    let config = auth.config();
    if !config.rate_limit {
        return Ok(());
    }
    let key = format!("auth:rate:{action}:{}", client.ip());
    let counter = cache.incr(&key, config.rate_limit_window).await?;
    if counter.count > u64::from(config.rate_limit_max_attempts) {
        return Err(ChopinError::too_many_requests(
            "too many requests from this address: wait before trying again",
            counter.ttl,
        ));
    }
    Ok(())
}

/// The cache keys of the failed sign-ins for `email` from `client`'s address, and of their lock.
/// The email is hashed: the cache holds no addresses.
///
/// A lock is per email *and* address: failures from one address cannot lock the owner out
/// of their account from another (OWASP's "account lockout as denial of service"). Guesses
/// spread over many addresses meet the per-address rate limit and [`account_failures`]' delay.
fn lockout_keys(email: &str, client: ClientAddr) -> (String, String) {
    let id = hash_token(&format!("{email}|{}", client.ip()));
    (format!("auth:fail:{id}"), format!("auth:lock:{id}"))
}

/// The cache key of every failed sign-in for `email`, from any address.
fn account_failures(email: &str) -> String {
    format!("auth:account-fail:{}", hash_token(email))
}

/// Failed sign-ins for one email, from all addresses, past which every sign-in for it waits
/// [`SLOW_DOWN`] first: as many as ten addresses' locks.
const SLOW_DOWN_AFTER_LOCKS: u64 = 10;

/// The wait of a sign-in for an email under attack from many addresses: a guess costs a second,
/// and the owner still signs in.
const SLOW_DOWN: std::time::Duration = std::time::Duration::from_secs(1);

/// `423` while sign-ins for `email` from `client`'s address are locked. Unknown emails lock
/// alike, so that a lock does not tell whether an account exists. An email whose failures from
/// all addresses are past [`SLOW_DOWN_AFTER_LOCKS`] locks' worth is answered after
/// [`SLOW_DOWN`].
pub(super) async fn check_lock(
    auth: &AuthModule,
    cache: &Cache,
    email: &str,
    client: ClientAddr,
) -> Result<(), ChopinError> {
    let config = auth.config();
    if !config.lockout {
        return Ok(());
    }
    let (_, lock) = lockout_keys(email, client);
    if let Some(left) = cache.ttl(&lock).await? {
        return Err(ChopinError::locked(
            "sign-ins to this account from this address are locked after too many failures: \
             wait before trying again",
            left,
        ));
    }
    // A counter is the decimal text of its count.
    let everywhere = cache
        .get_raw(&account_failures(email))
        .await?
        .and_then(|raw| std::str::from_utf8(&raw).ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    if everywhere >= u64::from(config.lockout_max_attempts) * SLOW_DOWN_AFTER_LOCKS {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    Ok(())
}

/// Counts a failed sign-in for `email` from `client`'s address, locking that pair past the
/// limit, and counts it for the email everywhere.
pub(super) async fn record_failure(
    auth: &AuthModule,
    cache: &Cache,
    email: &str,
    client: ClientAddr,
) -> Result<(), ChopinError> {
    let config = auth.config();
    if !config.lockout {
        return Ok(());
    }
    cache
        .incr(&account_failures(email), config.lockout_duration)
        .await?;
    let (fail, lock) = lockout_keys(email, client);
    let counter = cache.incr(&fail, config.lockout_duration).await?;
    if counter.count >= u64::from(config.lockout_max_attempts) {
        cache
            .set_raw(&lock, b"1", Some(config.lockout_duration))
            .await?;
        cache.del(&fail).await?;
        tracing::warn!(
            attempts = counter.count,
            "sign-ins locked for an account and an address after failures"
        );
    }
    Ok(())
}

/// Forgets the failed sign-ins for `email` from `client`'s address (a success from there), or
/// with no client (a password reset) the count from all addresses.
pub(super) async fn clear_failures(
    cache: &Cache,
    email: &str,
    client: Option<ClientAddr>,
) -> Result<(), ChopinError> {
    match client {
        Some(client) => {
            let (fail, lock) = lockout_keys(email, client);
            cache.del(&fail).await?;
            cache.del(&lock).await?;
        }
        None => {
            cache.del(&account_failures(email)).await?;
        }
    }
    Ok(())
}

/// The cache keys of a signed-in user's wrong passwords and codes, and of their pause.
fn proof_keys(user_id: i64) -> (String, String) {
    (
        format!("auth:proof-fail:{user_id}"),
        format!("auth:proof-pause:{user_id}"),
    )
}

/// `429` while a signed-in user may not try another password or code: the routes behind a
/// session that check one (`/auth/password`, `/auth/totp/*`) are not an oracle for whoever holds
/// a token. Counted per account (the token is the account's), `LOCKOUT_MAX_ATTEMPTS` wrong in
/// `LOCKOUT_DURATION_SECS` pause it for as long; `SECURITY_LOCKOUT=false` turns it off.
pub(super) async fn check_proofs(
    auth: &AuthModule,
    cache: &Cache,
    user_id: i64,
) -> Result<(), ChopinError> {
    if !auth.config().lockout {
        return Ok(());
    }
    let (_, pause) = proof_keys(user_id);
    match cache.ttl(&pause).await? {
        Some(left) => Err(ChopinError::too_many_requests(
            "too many wrong passwords or codes for this account: wait before trying again",
            left,
        )),
        None => Ok(()),
    }
}

/// Counts a wrong password or code sent by a signed-in user, pausing them past the limit.
pub(super) async fn record_wrong_proof(
    auth: &AuthModule,
    cache: &Cache,
    user_id: i64,
) -> Result<(), ChopinError> {
    let config = auth.config();
    if !config.lockout {
        return Ok(());
    }
    let (fail, pause) = proof_keys(user_id);
    let counter = cache.incr(&fail, config.lockout_duration).await?;
    if counter.count >= u64::from(config.lockout_max_attempts) {
        cache
            .set_raw(&pause, b"1", Some(config.lockout_duration))
            .await?;
        cache.del(&fail).await?;
        tracing::warn!(
            user_id,
            "wrong passwords or codes: the account's checks are paused"
        );
    }
    Ok(())
}
