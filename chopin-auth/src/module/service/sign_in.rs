//! Signing in: login with a second factor, the token pair, refresh with rotation, logout.

use super::*;

/// The auth module's prefix: the path of the refresh cookie.
pub(super) fn prefix() -> &'static str {
    let prefix = <AuthModule as Module>::MANIFEST.prefix;
    if prefix.is_empty() { "/" } else { prefix }
}

/// A new session for `user`, and its credentials.
pub(super) async fn start_session(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
    client: ClientAddr,
    headers: &HeaderMap,
) -> Result<SignedIn, ChopinError> {
    let now = now();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(512).collect::<String>());
    let session = session::ActiveModel {
        user_id: Set(user.id),
        user_agent: Set(user_agent),
        ip: Set(Some(client.ip().to_string())),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + span(auth.config().refresh_token_ttl)),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    issue(auth, conn, user, &session).await
}

/// An access token for `user` in `session`, the session's next refresh token, and the cookies.
pub(super) async fn issue(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
    session: &session::Model,
) -> Result<SignedIn, ChopinError> {
    let config = auth.config();
    let claims = Claims::new(
        user.id.to_string(),
        user.role.clone(),
        session.id,
        config.access_token_ttl,
    );
    let access_token = auth
        .inner
        .keys
        .encode(&claims)
        .map_err(ChopinError::internal)?;
    let policy = auth.inner.cookies;
    let left = (session.expires_at - now()).to_std().unwrap_or_default();
    let mut cookies = vec![policy.access(&access_token, config.access_token_ttl)];
    let refresh_token = if config.refresh_tokens {
        let token = random_token();
        refresh_token::ActiveModel {
            session_id: Set(session.id),
            token_hash: Set(hash_token(&token)),
            used_at: Set(None),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        cookies.push(policy.refresh(&token, left, prefix()));
        Some(token)
    } else {
        None
    };
    cookies.push(policy.csrf(&auth.inner.csrf.token(session.id), left));
    Ok(SignedIn {
        tokens: TokenPair {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: config.access_token_ttl.as_secs(),
            refresh_token,
            user: User::from(user.clone()),
        },
        cookies,
    })
}

pub(crate) async fn login(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    headers: &HeaderMap,
    body: LoginRequest,
) -> Result<SignedIn, ChopinError> {
    rate_limit(auth, cache, "login", client).await?;
    let config = auth.config();
    let email = checked_email(&body.email)?;
    check_lock(auth, cache, &email, client).await?;
    let found = find_user_by_email(db, &email).await?;
    let hash = found.as_ref().map(|u| u.password_hash.as_str());
    let right = auth
        .hashing()
        .verify_or_equalise(&body.password, hash)
        .await?;
    let Some(user) = found.filter(|_| right) else {
        record_failure(auth, cache, &email, client).await?;
        return Err(ChopinError::unauthorized("wrong email or password"));
    };
    if config.two_factor && user.totp_enabled {
        let code = body.totp_code.as_deref().map(str::trim).unwrap_or_default();
        if code.is_empty() {
            return Err(ChopinError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "this account needs a code from its authenticator app, or a backup code, in `totp_code`",
            ));
        }
        if !second_factor(auth, db, &user, code).await? {
            record_failure(auth, cache, &email, client).await?;
            return Err(ChopinError::new(
                StatusCode::UNAUTHORIZED,
                "totp_invalid",
                "the code is wrong or was already used",
            ));
        }
    }
    if config.email_verification && !user.email_verified {
        return Err(ChopinError::new(
            StatusCode::FORBIDDEN,
            "email_not_verified",
            "verify your email first, with the code mailed at signup (a new one: POST /auth/verify-email)",
        ));
    }
    if config.lockout {
        clear_failures(cache, &email, Some(client)).await?;
    }
    start_session(auth, db, &user, client, headers).await
}

/// Whether `code` is the user's current TOTP code (claimed, so it is never accepted again) or one
/// of their unused backup codes (used up). A code of the authenticator that was already used (or
/// is older than the last one used) is refused, logged, and mailed to the owner (ASVS 2.8.5):
/// whoever sent it has the password and saw a code.
pub(super) async fn second_factor(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
    code: &str,
) -> Result<bool, ChopinError> {
    let totp = totp_of(auth, user)?;
    let unix = u64::try_from(now().timestamp()).unwrap_or_default();
    let checked = totp
        .as_ref()
        .and_then(|(t, _)| t.verify(code, unix, user.totp_last_step));
    if let Some(step) = checked {
        // Two requests with one code: the database lets only one of them move the step on.
        let claimed = user::Entity::update_many()
            .col_expr(user::Column::TotpLastStep, Expr::value(step))
            .filter(user::Column::Id.eq(user.id))
            .filter(
                Condition::any()
                    .add(user::Column::TotpLastStep.is_null())
                    .add(user::Column::TotpLastStep.lt(step)),
            )
            .exec(conn)
            .await?;
        if let Some((totp, true)) = &totp {
            reseal_totp(auth, conn, user.id, totp).await?;
        }
        if claimed.rows_affected != 1 {
            // Another request claimed this step first, with this very code.
            totp_reused(auth, user);
        }
        return Ok(claimed.rows_affected == 1);
    }
    if totp
        .as_ref()
        .is_some_and(|(t, _)| t.verify(code, unix, None).is_some())
    {
        totp_reused(auth, user);
        return Ok(false);
    }
    use_backup_code(auth, conn, user.id, code).await
}

/// Logs that a used TOTP code of `user` came again, and tells them by mail.
fn totp_reused(auth: &AuthModule, user: &user::Model) {
    tracing::warn!(
        user = user.id,
        "a TOTP code that was already used was presented again: refused, and the owner told"
    );
    let (auth, email) = (auth.clone(), user.email.clone());
    in_background("totp-reused mail", async move {
        send(&auth, Mail::totp_reused(&email)).await
    });
}

/// Whether `code` is one of the user's unused backup codes, using it up. Backup codes have about
/// 49 bits of entropy, too few for a fast hash to protect them if the table leaks: they are
/// stored as argon2id hashes, like passwords, and compared one by one (there are at most ten).
pub(super) async fn use_backup_code(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user_id: i64,
    code: &str,
) -> Result<bool, ChopinError> {
    let code = normalize_backup_code(code);
    if code.is_empty() {
        return Ok(false);
    }
    let unused = one_time_token::Entity::find()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(BACKUP_CODE))
        .filter(one_time_token::Column::UsedAt.is_null())
        .all(conn)
        .await?;
    for row in unused {
        if auth.hashing().verify(&code, &row.token_hash).await? {
            // Two requests with one code: only one of them marks it used.
            let used = one_time_token::Entity::update_many()
                .col_expr(one_time_token::Column::UsedAt, Expr::value(now()))
                .filter(one_time_token::Column::Id.eq(row.id))
                .filter(one_time_token::Column::UsedAt.is_null())
                .exec(conn)
                .await?;
            return Ok(used.rows_affected == 1);
        }
    }
    Ok(false)
}

pub(crate) async fn refresh(
    auth: &AuthModule,
    db: &Db,
    headers: &HeaderMap,
    body: RefreshRequest,
) -> Result<SignedIn, ChopinError> {
    let config = auth.config();
    feature(
        config.refresh_tokens,
        "refresh tokens",
        "SECURITY_REFRESH_TOKENS",
    )?;
    let token = match body.refresh_token {
        Some(token) => (token, false),
        None => {
            let name = auth.inner.cookies.refresh_name();
            let Some(token) = cookie::read_cookie(headers, name) else {
                return Err(ChopinError::unauthorized(format!(
                    "no refresh token: send `refresh_token`, or the `{name}` cookie"
                )));
            };
            (token.to_owned(), true)
        }
    };
    let (token, from_cookie) = token;
    let rejected = || ChopinError::unauthorized("the refresh token is not valid");
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&**db)
        .await?
        .ok_or_else(rejected)?;
    let session = session::Entity::find_by_id(row.session_id)
        .one(&**db)
        .await?
        .ok_or_else(rejected)?;
    if from_cookie && config.csrf {
        cookie::check_csrf(&Method::POST, headers, &auth.inner.csrf, session.id)
            .map_err(|e| ChopinError::forbidden(e.to_string()))?;
    }
    let now = now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(ChopinError::unauthorized(
            "the session has ended: sign in again",
        ));
    }
    if idle(auth, &session, now) {
        revoke_session(db, session.id).await?;
        return Err(ChopinError::unauthorized(
            "the session was unused for too long: sign in again",
        ));
    }
    // Only one use of a refresh token ever succeeds; any other means it was copied.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&**db)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_session(db, session.id).await?;
        tracing::warn!(
            session = session.id,
            user = session.user_id,
            "a used refresh token was presented again: its session is revoked"
        );
        return Err(ChopinError::unauthorized(
            "this refresh token was already used, so its session has ended: sign in again",
        ));
    }
    let user = find_user(db, session.user_id).await?;
    let mut active: session::ActiveModel = session.clone().into();
    active.last_used_at = Set(now);
    let session = active.update(&**db).await?;
    issue(auth, db, &user, &session).await
}

/// Ends a session: its access tokens and refresh tokens stop working.
pub(super) async fn revoke_session(
    conn: &DatabaseConnection,
    id: i64,
) -> Result<bool, ChopinError> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(ended.rows_affected == 1)
}

/// Ends every session of a user but `keep`.
pub(super) async fn revoke_sessions(
    conn: &DatabaseConnection,
    user_id: i64,
    keep: Option<i64>,
) -> Result<(), ChopinError> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    update.exec(conn).await?;
    Ok(())
}

pub(crate) async fn logout(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
) -> Result<SignedOut, ChopinError> {
    if let Some(id) = user.session {
        revoke_session(db, id).await?;
    }
    let policy = auth.inner.cookies;
    Ok(SignedOut(vec![
        policy.clear(policy.access_name(), "/"),
        policy.clear(policy.refresh_name(), prefix()),
        policy.clear(policy.csrf_name(), "/"),
    ]))
}
