//! What `AuthModule`'s routes do: each flow as a function of the module's settings, the
//! database and the cache, so that the routes only say what they take.

use std::time::Duration;

use chopin_runtime::FieldError;
use chopin_runtime::auth::cookie::{self, ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE};
use chopin_runtime::auth::jwt::Claims;
use chopin_runtime::auth::mail::Mail;
use chopin_runtime::auth::password::{
    check_password, hash_password, verify_or_equalise, verify_password,
};
use chopin_runtime::auth::token::{backup_codes, hash_token, normalize_backup_code, random_token};
use chopin_runtime::auth::totp::Totp;
use chopin_runtime::auth::{AuthRejection, AuthUser, ROLES};
use chopin_runtime::cache::Cache;
use chopin_runtime::db::chrono::{DateTime, Utc};
use chopin_runtime::db::sea_orm::sea_query::Expr;
use chopin_runtime::db::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, SqlErr,
};
use chopin_runtime::db::{self as db_rules, Db};
use chopin_runtime::extract::ClientAddr;
use chopin_runtime::http::request::Parts;
use chopin_runtime::http::{HeaderMap, Method, StatusCode, header};
use chopin_runtime::{ChopinError, Module};

use super::api::{
    Accepted, BackupCodes, ChangePassword, EmailAddress, LoginRequest, NewPassword, RefreshRequest,
    SessionInfo, SignedIn, SignedOut, SignupRequest, TokenPair, TotpDisable, TotpEnrolment,
};
use super::models::{User, one_time_token, refresh_token, session, user};
use super::module::AuthModule;

/// What a one-time token is for, as stored in `auth_tokens.purpose`.
pub(super) const PASSWORD_RESET: &str = "password_reset";
pub(super) const EMAIL_VERIFICATION: &str = "email_verification";
const BACKUP_CODE: &str = "backup_code";
/// Backup codes a confirmed enrolment issues.
const BACKUP_CODES: usize = 10;

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// `duration` as a chrono duration, saturating.
fn span(duration: Duration) -> chopin_runtime::db::chrono::TimeDelta {
    chopin_runtime::db::chrono::TimeDelta::from_std(duration)
        .unwrap_or(chopin_runtime::db::chrono::TimeDelta::MAX)
}

/// Emails are compared without regard to case or surrounding space.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `404` for a route whose feature is turned off.
fn feature(on: bool, what: &str, variable: &str) -> Result<(), ChopinError> {
    if on {
        Ok(())
    } else {
        Err(ChopinError::not_found(format!(
            "{what} is turned off ({variable}=false)"
        )))
    }
}

/// A mailed code that does not allow what it is sent for: `403`.
fn invalid_token() -> ChopinError {
    ChopinError::new(
        StatusCode::FORBIDDEN,
        "invalid_token",
        "the code is not valid: it is wrong, was already used, or has expired",
    )
}

/// A proof (a password, a code) that is well formed and wrong: `403`, naming the field, so that a
/// client can tell it from a `401` about its token.
fn wrong_proof(code: &'static str, field: &str, message: &str) -> ChopinError {
    ChopinError::new(StatusCode::FORBIDDEN, code, format!("`{field}` {message}"))
        .with_fields(vec![FieldError::new(field, message)])
}

fn invalid_field(field: &str, message: impl Into<String>) -> ChopinError {
    ChopinError::invalid(vec![FieldError::new(field, message)])
}

/// The id in `auth_users` of the user a request signed in as: what a model of the application
/// stores to say whose a row is (`#[model(belongs_to = User)] owner_id: i64`).
///
/// # Errors
/// `401` when the user was not signed in by [`AuthModule`](super::AuthModule), whose subjects
/// are account ids.
pub fn user_id(user: &AuthUser) -> Result<i64, ChopinError> {
    user.id
        .parse()
        .map_err(|_| ChopinError::unauthorized("the token's subject is not a user of this server"))
}

async fn find_user(conn: &DatabaseConnection, id: i64) -> Result<user::Model, ChopinError> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ChopinError::unauthorized("the account no longer exists"))
}

async fn find_user_by_email(
    conn: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await
}

/// Runs `work` after the response is sent, logging its failure: mail goes out at the mailer's
/// pace, and the answer's timing does not tell whether there was any mail to send.
fn in_background(
    what: &'static str,
    work: impl Future<Output = Result<(), ChopinError>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(task = what, error = ?e, "auth background task failed");
        }
    });
}

async fn send(auth: &AuthModule, mail: Mail) -> Result<(), ChopinError> {
    auth.inner
        .mailer
        .send(&mail)
        .await
        .map_err(|e| ChopinError::internal(format!("sending {:?} mail: {e}", mail.subject)))
}

// ---- rate limits and lockout -------------------------------------------------------------

/// Counts a request to `action` from the client's address, refusing it with `429` past the limit.
async fn rate_limit(
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
fn lockout_keys(email: &str) -> (String, String) {
    let id = hash_token(email);
    (format!("auth:fail:{id}"), format!("auth:lock:{id}"))
}

/// `423` while the account of `email` is locked. Unknown emails lock alike, so that a lock
/// does not tell whether an account exists.
async fn check_lock(auth: &AuthModule, cache: &Cache, email: &str) -> Result<(), ChopinError> {
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

async fn record_failure(auth: &AuthModule, cache: &Cache, email: &str) -> Result<(), ChopinError> {
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

async fn clear_failures(cache: &Cache, email: &str) -> Result<(), ChopinError> {
    let (fail, lock) = lockout_keys(email);
    cache.del(&fail).await?;
    cache.del(&lock).await?;
    Ok(())
}

// ---- authentication of requests ----------------------------------------------------------

/// The user of a request: its bearer token, or its `chopin_access` cookie (then with the CSRF
/// check on unsafe methods), checked against its session when sessions are on.
pub(super) async fn authenticate(
    auth: &AuthModule,
    parts: &Parts,
) -> Result<AuthUser, AuthRejection> {
    let config = auth.config();
    let (token, from_cookie) = match parts.headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().unwrap_or_default();
            let token = match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                _ => {
                    return Err(AuthRejection::Unauthenticated(
                        "the authorization header must be `Bearer <access token>`".into(),
                    ));
                }
            };
            (token, false)
        }
        None => match cookie::read_cookie(&parts.headers, ACCESS_COOKIE) {
            Some(token) => (token, true),
            None => {
                return Err(AuthRejection::Missing(
                    "sign in: send `authorization: Bearer <access token>`".into(),
                ));
            }
        },
    };
    if from_cookie && config.csrf {
        cookie::check_csrf(&parts.method, &parts.headers)
            .map_err(|e| AuthRejection::Forbidden(e.to_string()))?;
    }
    let claims = auth
        .inner
        .keys
        .decode(token)
        .map_err(|e| AuthRejection::Unauthenticated(e.to_string()))?;
    if !config.sessions {
        return Ok(AuthUser::new(claims.sub, [claims.role]).in_session(claims.sid));
    }
    let Some(db) = Db::of(parts) else {
        return Err(AuthRejection::Internal(
            "AuthModule needs the database: mount it on an App, which connects one".into(),
        ));
    };
    let found = session::Entity::find_by_id(claims.sid)
        .find_also_related(user::Entity)
        .one(db.conn())
        .await
        .map_err(|e| AuthRejection::Internal(e.to_string()))?;
    match found {
        Some((session, Some(user)))
            if session.revoked_at.is_none()
                && session.expires_at > now()
                && user.id.to_string() == claims.sub =>
        {
            Ok(AuthUser::new(claims.sub, [user.role]).in_session(session.id))
        }
        _ => Err(AuthRejection::Unauthenticated(
            "the session has ended: sign in again".into(),
        )),
    }
}

// ---- signing in --------------------------------------------------------------------------

/// The auth module's prefix: the path of the refresh cookie.
fn prefix() -> &'static str {
    let prefix = <AuthModule as Module>::MANIFEST.prefix;
    if prefix.is_empty() { "/" } else { prefix }
}

/// A new session for `user`, and its credentials.
async fn start_session(
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
        ip: Set(Some(client.0.ip().to_string())),
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
async fn issue(
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
    cookies.push(policy.csrf(&random_token(), left));
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

pub(super) async fn login(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    headers: &HeaderMap,
    body: LoginRequest,
) -> Result<SignedIn, ChopinError> {
    rate_limit(auth, cache, "login", client).await?;
    let config = auth.config();
    let email = normalize_email(&body.email);
    check_lock(auth, cache, &email).await?;
    let found = find_user_by_email(db, &email).await?;
    let hash = found.as_ref().map(|u| u.password_hash.as_str());
    let right = verify_or_equalise(&body.password, hash).await;
    let Some(user) = found.filter(|_| right) else {
        record_failure(auth, cache, &email).await?;
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
        if !second_factor(db, &user, code).await? {
            record_failure(auth, cache, &email).await?;
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
        clear_failures(cache, &email).await?;
    }
    start_session(auth, db, &user, client, headers).await
}

/// Whether `code` is the user's current TOTP code (claimed, so it is never accepted again) or one
/// of their unused backup codes (used up).
async fn second_factor(
    conn: &DatabaseConnection,
    user: &user::Model,
    code: &str,
) -> Result<bool, ChopinError> {
    let totp = user.totp_secret.as_deref().and_then(Totp::from_base32);
    let unix = u64::try_from(now().timestamp()).unwrap_or_default();
    if let Some(step) = totp.and_then(|t| t.verify(code, unix, user.totp_last_step)) {
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
        return Ok(claimed.rows_affected == 1);
    }
    use_backup_code(conn, user.id, code).await
}

/// Whether `code` is one of the user's unused backup codes, using it up. Backup codes have about
/// 49 bits of entropy, too few for a fast hash to protect them if the table leaks: they are
/// stored as argon2id hashes, like passwords, and compared one by one (there are at most ten).
async fn use_backup_code(
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
        if verify_password(&code, &row.token_hash)
            .await
            .map_err(ChopinError::internal)?
        {
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

pub(super) async fn refresh(
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
        Some(token) => token,
        None => {
            let Some(token) = cookie::read_cookie(headers, REFRESH_COOKIE) else {
                return Err(ChopinError::unauthorized(
                    "no refresh token: send `refresh_token`, or the `chopin_refresh` cookie",
                ));
            };
            if config.csrf {
                cookie::check_csrf(&Method::POST, headers)
                    .map_err(|e| ChopinError::forbidden(e.to_string()))?;
            }
            token.to_owned()
        }
    };
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
    let now = now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(ChopinError::unauthorized(
            "the session has ended: sign in again",
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
async fn revoke_session(conn: &DatabaseConnection, id: i64) -> Result<bool, ChopinError> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(ended.rows_affected == 1)
}

/// Ends every session of a user but `keep`.
async fn revoke_sessions(
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

pub(super) async fn logout(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
) -> Result<SignedOut, ChopinError> {
    if let Some(id) = user.session {
        revoke_session(db, id).await?;
    }
    let policy = auth.inner.cookies;
    Ok(SignedOut(vec![
        policy.clear(ACCESS_COOKIE, "/"),
        policy.clear(REFRESH_COOKIE, prefix()),
        policy.clear(CSRF_COOKIE, "/"),
    ]))
}

// ---- accounts ----------------------------------------------------------------------------

/// The same answer whether or not the email was free.
fn signup_message(auth: &AuthModule) -> String {
    if auth.config().email_verification {
        "if this email can be used, a verification code is on its way to it".to_owned()
    } else {
        "if this email was free, its account is ready: sign in".to_owned()
    }
}

pub(super) async fn signup(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    body: SignupRequest,
) -> Result<Accepted, ChopinError> {
    rate_limit(auth, cache, "signup", client).await?;
    let config = auth.config();
    let email = normalize_email(&body.email);
    let mut errors = Vec::new();
    db_rules::check_email(&mut errors, "email", &email);
    db_rules::check_len(&mut errors, "email", &email, None, Some(254));
    if let Err(message) = check_password(&body.password, config.min_password_length) {
        errors.push(FieldError::new("password", message));
    }
    db_rules::invalid_if_any(errors)?;
    // Hashed whether or not the email is free, so the answer takes as long either way.
    let hash = hash_password(&body.password)
        .await
        .map_err(ChopinError::internal)?;
    let existing = find_user_by_email(db, &email).await?;
    if existing.is_none() {
        let now = now();
        let created = user::ActiveModel {
            email: Set(email.clone()),
            role: Set(ROLES[0].to_owned()),
            email_verified: Set(!config.email_verification),
            totp_enabled: Set(false),
            password_hash: Set(hash),
            totp_secret: Set(None),
            totp_last_step: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&**db)
        .await;
        match created {
            Ok(user) => {
                if config.email_verification {
                    let (auth, db) = (auth.clone(), db.clone());
                    in_background("verification mail", async move {
                        send_verification(&auth, &db, &user).await
                    });
                }
                return Ok(Accepted {
                    message: signup_message(auth),
                });
            }
            // Another signup for the same email won the race: answer as for a taken email.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if config.email_verification || config.password_reset {
        let auth = auth.clone();
        in_background("already-registered mail", async move {
            send(&auth, Mail::already_registered(&email)).await
        });
    }
    Ok(Accepted {
        message: signup_message(auth),
    })
}

/// Stores a new single-use token of `purpose` for `user` and returns it.
async fn new_token(
    conn: &DatabaseConnection,
    user_id: i64,
    purpose: &str,
    ttl: Duration,
) -> Result<String, ChopinError> {
    let token = random_token();
    let now = now();
    one_time_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(Some(now + span(ttl))),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

async fn send_verification(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
) -> Result<(), ChopinError> {
    let ttl = auth.config().email_verification_ttl;
    let token = new_token(conn, user.id, EMAIL_VERIFICATION, ttl).await?;
    send(auth, Mail::email_verification(&user.email, &token)).await
}

/// Uses up the token of `purpose`: at most once, before it expires.
async fn consume_token(
    conn: &DatabaseConnection,
    purpose: &str,
    token: &str,
) -> Result<one_time_token::Model, ChopinError> {
    let now = now();
    let row = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash_token(token.trim())))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at.is_some_and(|at| at > now))
        .ok_or_else(invalid_token)?;
    let claimed = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(row.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    if claimed.rows_affected == 1 {
        Ok(row)
    } else {
        Err(invalid_token())
    }
}

/// A request for a mailed code of `purpose` (`PASSWORD_RESET` or `EMAIL_VERIFICATION`): answered
/// at once and alike for any address; the lookup and the mail happen afterwards.
pub(super) async fn mail_request(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    body: EmailAddress,
    purpose: &'static str,
) -> Result<Accepted, ChopinError> {
    let config = auth.config();
    if purpose == PASSWORD_RESET {
        feature(
            config.password_reset,
            "password reset",
            "SECURITY_PASSWORD_RESET",
        )?;
    } else {
        feature(
            config.email_verification,
            "email verification",
            "SECURITY_EMAIL_VERIFICATION",
        )?;
    }
    rate_limit(auth, cache, purpose, client).await?;
    let email = normalize_email(&body.email);
    let mut errors = Vec::new();
    db_rules::check_email(&mut errors, "email", &email);
    db_rules::check_len(&mut errors, "email", &email, None, Some(254));
    db_rules::invalid_if_any(errors)?;
    let (auth2, db) = (auth.clone(), db.clone());
    in_background(purpose, async move {
        let Some(user) = find_user_by_email(&db, &email).await? else {
            return Ok(());
        };
        if purpose == PASSWORD_RESET {
            let ttl = auth2.config().password_reset_ttl;
            let token = new_token(&db, user.id, PASSWORD_RESET, ttl).await?;
            send(&auth2, Mail::password_reset(&user.email, &token)).await
        } else if !user.email_verified {
            send_verification(&auth2, &db, &user).await
        } else {
            Ok(())
        }
    });
    let what = if purpose == PASSWORD_RESET {
        "a password reset code"
    } else {
        "a verification code"
    };
    Ok(Accepted {
        message: format!("if an account uses this email, {what} is on its way to it"),
    })
}

pub(super) async fn reset_password(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    body: NewPassword,
) -> Result<(), ChopinError> {
    let config = auth.config();
    feature(
        config.password_reset,
        "password reset",
        "SECURITY_PASSWORD_RESET",
    )?;
    // The policy first: a password it refuses does not use the code up.
    check_password(&body.new_password, config.min_password_length)
        .map_err(|m| invalid_field("new_password", m))?;
    let token = consume_token(db, PASSWORD_RESET, &body.token).await?;
    let user = find_user(db, token.user_id).await?;
    set_password(db, &user, &body.new_password).await?;
    // Every other reset code of the account is void, and every session ends.
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now()))
        .filter(one_time_token::Column::UserId.eq(user.id))
        .filter(one_time_token::Column::Purpose.eq(PASSWORD_RESET))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(&**db)
        .await?;
    revoke_sessions(db, user.id, None).await?;
    clear_failures(cache, &user.email).await?;
    let (auth, email) = (auth.clone(), user.email.clone());
    in_background("password-changed mail", async move {
        send(&auth, Mail::password_changed(&email)).await
    });
    Ok(())
}

pub(super) async fn verify_email(
    auth: &AuthModule,
    db: &Db,
    token: &str,
) -> Result<(), ChopinError> {
    feature(
        auth.config().email_verification,
        "email verification",
        "SECURITY_EMAIL_VERIFICATION",
    )?;
    let token = consume_token(db, EMAIL_VERIFICATION, token).await?;
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(token.user_id))
        .exec(&**db)
        .await?;
    Ok(())
}

async fn set_password(
    conn: &DatabaseConnection,
    user: &user::Model,
    password: &str,
) -> Result<(), ChopinError> {
    let hash = hash_password(password)
        .await
        .map_err(ChopinError::internal)?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user.id))
        .exec(conn)
        .await?;
    Ok(())
}

pub(super) async fn me(db: &Db, user: &AuthUser) -> Result<User, ChopinError> {
    Ok(find_user(db, user_id(user)?).await?.into())
}

pub(super) async fn change_password(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
    body: ChangePassword,
) -> Result<(), ChopinError> {
    let account = find_user(db, user_id(user)?).await?;
    let right = verify_password(&body.current_password, &account.password_hash)
        .await
        .map_err(ChopinError::internal)?;
    if !right {
        return Err(wrong_proof(
            "wrong_password",
            "current_password",
            "is not the account's password",
        ));
    }
    check_password(&body.new_password, auth.config().min_password_length)
        .map_err(|m| invalid_field("new_password", m))?;
    set_password(db, &account, &body.new_password).await?;
    revoke_sessions(db, account.id, user.session).await?;
    let (auth, email) = (auth.clone(), account.email);
    in_background("password-changed mail", async move {
        send(&auth, Mail::password_changed(&email)).await
    });
    Ok(())
}

// ---- two-factor authentication -----------------------------------------------------------

fn two_factor(auth: &AuthModule) -> Result<(), ChopinError> {
    feature(
        auth.config().two_factor,
        "two-factor authentication",
        "SECURITY_2FA",
    )
}

pub(super) async fn totp_enrol(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
) -> Result<TotpEnrolment, ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    if account.totp_enabled {
        return Err(ChopinError::conflict(
            "two-factor authentication is already on: disable it first",
        ));
    }
    let totp = Totp::generate();
    let secret = totp.base32();
    user::Entity::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(secret.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    Ok(TotpEnrolment {
        otpauth_url: totp.otpauth_url(&auth.inner.issuer, &account.email),
        secret,
    })
}

pub(super) async fn totp_confirm(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
    code: &str,
) -> Result<BackupCodes, ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    if account.totp_enabled {
        return Err(ChopinError::conflict(
            "two-factor authentication is already on",
        ));
    }
    let Some(totp) = account.totp_secret.as_deref().and_then(Totp::from_base32) else {
        return Err(ChopinError::conflict(
            "no enrolment to confirm: start with POST /auth/totp/enrol",
        ));
    };
    let unix = u64::try_from(now().timestamp()).unwrap_or_default();
    let Some(step) = totp.verify(code, unix, None) else {
        return Err(wrong_proof(
            "totp_invalid",
            "code",
            "is not the authenticator's current code",
        ));
    };
    user::Entity::update_many()
        .col_expr(user::Column::TotpEnabled, Expr::value(true))
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    delete_backup_codes(db, account.id).await?;
    let codes = backup_codes(BACKUP_CODES);
    let now = now();
    let mut rows = Vec::with_capacity(codes.len());
    for code in &codes {
        let hash = hash_password(&normalize_backup_code(code))
            .await
            .map_err(ChopinError::internal)?;
        rows.push(one_time_token::ActiveModel {
            user_id: Set(account.id),
            purpose: Set(BACKUP_CODE.to_owned()),
            token_hash: Set(hash),
            expires_at: Set(None),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
    }
    one_time_token::Entity::insert_many(rows)
        .exec(&**db)
        .await?;
    Ok(BackupCodes {
        backup_codes: codes,
    })
}

async fn delete_backup_codes(conn: &DatabaseConnection, user_id: i64) -> Result<(), ChopinError> {
    one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(BACKUP_CODE))
        .exec(conn)
        .await?;
    Ok(())
}

pub(super) async fn totp_disable(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
    body: TotpDisable,
) -> Result<(), ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    if !account.totp_enabled {
        return Err(ChopinError::conflict("two-factor authentication is off"));
    }
    let right = verify_password(&body.password, &account.password_hash)
        .await
        .map_err(ChopinError::internal)?;
    if !right {
        return Err(wrong_proof(
            "wrong_password",
            "password",
            "is not the account's password",
        ));
    }
    if !second_factor(db, &account, body.code.trim()).await? {
        return Err(wrong_proof(
            "totp_invalid",
            "code",
            "is not a current code or an unused backup code",
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::TotpEnabled, Expr::value(false))
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    delete_backup_codes(db, account.id).await
}

// ---- sessions and roles ------------------------------------------------------------------

pub(super) async fn sessions(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
) -> Result<Vec<SessionInfo>, ChopinError> {
    feature(auth.config().sessions, "sessions", "SECURITY_SESSIONS")?;
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id(user)?))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now()))
        .order_by_desc(session::Column::Id)
        .all(&**db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionInfo {
            current: user.session == Some(s.id),
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

pub(super) async fn end_session(
    auth: &AuthModule,
    db: &Db,
    user: &AuthUser,
    id: i64,
) -> Result<(), ChopinError> {
    feature(auth.config().sessions, "sessions", "SECURITY_SESSIONS")?;
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(user_id(user)?))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&**db)
        .await?;
    if ended.rows_affected == 0 {
        return Err(ChopinError::not_found(format!("no session {id}")));
    }
    Ok(())
}

pub(super) async fn set_role(db: &Db, id: i64, role: &str) -> Result<User, ChopinError> {
    if !ROLES.contains(&role) {
        return Err(invalid_field(
            "role",
            "must be one of user, moderator, admin",
        ));
    }
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(id))
        .exec(&**db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ChopinError::not_found(format!("no user {id}")));
    }
    Ok(find_user(db, id).await?.into())
}
