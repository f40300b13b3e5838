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
    let key = format!("auth:rate:{action}:{}", client.0.ip());
    let counter = cache.incr(&key, config.rate_limit_window).await?;
    if counter.count > u64::from(config.rate_limit_max_attempts) {
        return Err(ChopinError::too_many_requests(
            "too many requests from this address: wait before trying again",
            counter.ttl,
        ));
    }
    Ok(())
}

/// The cache keys of an email's failed sign-ins and its lock. The email is hashed: the cache
/// holds no addresses.
pub(super) fn lockout_keys(email: &str) -> (String, String) {
    let id = hash_token(email);
    (format!("auth:fail:{id}"), format!("auth:lock:{id}"))
}

/// `423` while the account of `email` is locked. Unknown emails lock alike, so that a lock
/// does not tell whether an account exists.
pub(super) async fn check_lock(
    auth: &AuthModule,
    cache: &Cache,
    email: &str,
) -> Result<(), ChopinError> {
    if !auth.config().lockout {
        return Ok(());
    }
    let (_, lock) = lockout_keys(email);
    match cache.ttl(&lock).await? {
        Some(left) => Err(ChopinError::locked(
            "this account is locked after too many failed sign-ins: wait before trying again",
            left,
        )),
        None => Ok(()),
    }
}

pub(super) async fn record_failure(
    auth: &AuthModule,
    cache: &Cache,
    email: &str,
) -> Result<(), ChopinError> {
    let config = auth.config();
    if !config.lockout {
        return Ok(());
    }
    let (fail, lock) = lockout_keys(email);
    let counter = cache.incr(&fail, config.lockout_duration).await?;
    if counter.count >= u64::from(config.lockout_max_attempts) {
        cache
            .set_raw(&lock, b"1", Some(config.lockout_duration))
            .await?;
        cache.del(&fail).await?;
        tracing::warn!(
            attempts = counter.count,
            "account locked after failed sign-ins"
        );
    }
    Ok(())
}

pub(super) async fn clear_failures(cache: &Cache, email: &str) -> Result<(), ChopinError> {
    let (fail, lock) = lockout_keys(email);
    cache.del(&fail).await?;
    cache.del(&lock).await?;
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
