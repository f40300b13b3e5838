//! What `AuthModule`'s routes do: each flow as a function of the module's settings, the
//! database and the cache, so that the routes only say what they take.
//!
//! - `mod.rs`: what the flows share (time, emails, errors, mail in the background);
//! - `limits.rs`: rate limits per address, lockout per email;
//! - `authenticate.rs`: who a request comes from;
//! - `sign_in.rs`: login, tokens, refresh, logout;
//! - `accounts.rs`: signup, mailed tokens, passwords;
//! - `two_factor.rs`: TOTP;
//! - `sessions.rs`: sessions and roles.

mod accounts;
mod authenticate;
mod limits;
mod sessions;
mod sign_in;
mod two_factor;

pub(crate) use accounts::*;
pub(crate) use authenticate::*;
use limits::*;
pub(crate) use sessions::*;
pub(crate) use sign_in::*;
pub(crate) use two_factor::*;

use std::time::Duration;

use crate::cookie;
use crate::jwt::Claims;
use crate::mail::Mail;
use crate::password::check_password;
use crate::seal::Sealer;
use crate::token::{backup_codes, hash_token, normalize_backup_code, random_token};
use crate::totp::Totp;
use chopin_db::chrono::{DateTime, Utc};
use chopin_db::sea_orm::sea_query::Expr;
use chopin_db::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr,
};
use chopin_db::{self as db_rules, Db};
use chopin_runtime::FieldError;
use chopin_runtime::auth::{AuthRejection, AuthUser, ROLES};
use chopin_runtime::cache::Cache;
use chopin_runtime::extract::ClientAddr;
use chopin_runtime::http::request::Parts;
use chopin_runtime::http::{HeaderMap, Method, StatusCode, header};
use chopin_runtime::{ChopinError, Module};

use super::AuthModule;
use super::api::{
    Accepted, BackupCodes, ChangePassword, EmailAddress, LoginRequest, NewPassword, RefreshRequest,
    SessionInfo, SignedIn, SignedOut, SignupRequest, TokenPair, TotpCode, TotpDisable,
    TotpEnrolment,
};
use super::models::{User, one_time_token, refresh_token, session, user};

/// Whether `password` may become an account's password: the length and characters
/// (`PASSWORD_MIN_LENGTH`), then how guessable it is (`PASSWORD_MIN_STRENGTH`), knowing
/// `user_inputs` (the account's email).
///
/// # Errors
/// The outer error when the strength estimate could not run (hashing is busy: `503`); the inner
/// one is the policy's message.
pub(crate) async fn password_policy(
    auth: &AuthModule,
    password: &str,
    user_inputs: &[&str],
) -> Result<Result<(), String>, ChopinError> {
    let config = auth.config();
    if let Err(message) = check_password(password, config.min_password_length) {
        return Ok(Err(message));
    }
    Ok(auth
        .hashing()
        .check_strength(password, config.min_password_strength, user_inputs)
        .await?)
}

/// What a one-time token is for, as stored in `auth_tokens.purpose`.
pub(super) const PASSWORD_RESET: &str = "password_reset";
pub(super) const EMAIL_VERIFICATION: &str = "email_verification";
pub(super) const BACKUP_CODE: &str = "backup_code";
/// Backup codes a confirmed enrolment issues.
pub(super) const BACKUP_CODES: usize = 10;
/// The highest role.
pub(super) const ADMIN: &str = ROLES[2];

pub(super) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// `duration` as a chrono duration, saturating.
pub(super) fn span(duration: Duration) -> chopin_db::chrono::TimeDelta {
    chopin_db::chrono::TimeDelta::from_std(duration).unwrap_or(chopin_db::chrono::TimeDelta::MAX)
}

/// An email as a client sent it, normalised (compared without regard to case or surrounding
/// space) and checked, the one place every route that takes an email goes through before any
/// query: an address, at most 254 characters, with no control character (a NUL would fail
/// PostgreSQL's query, a line break would reach a mail header). `422` otherwise.
pub(super) fn checked_email(email: &str) -> Result<String, ChopinError> {
    let email = email.trim().to_lowercase();
    let mut errors = Vec::new();
    db_rules::check_email(&mut errors, "email", &email);
    db_rules::check_len(&mut errors, "email", &email, None, Some(254));
    db_rules::invalid_if_any(errors)?;
    Ok(email)
}

/// `404` for a route whose feature is turned off.
pub(super) fn feature(on: bool, what: &str, variable: &str) -> Result<(), ChopinError> {
    if on {
        Ok(())
    } else {
        Err(ChopinError::not_found(format!(
            "{what} is turned off ({variable}=false)"
        )))
    }
}

/// A mailed code that does not allow what it is sent for: `403`.
pub(super) fn invalid_token() -> ChopinError {
    ChopinError::new(
        StatusCode::FORBIDDEN,
        "invalid_token",
        "the code is not valid: it is wrong, was already used, or has expired",
    )
}

/// A proof (a password, a code) that is well formed and wrong: `403`, naming the field, so that a
/// client can tell it from a `401` about its token.
pub(super) fn wrong_proof(code: &'static str, field: &str, message: &str) -> ChopinError {
    ChopinError::new(StatusCode::FORBIDDEN, code, format!("`{field}` {message}"))
        .with_fields(vec![FieldError::new(field, message)])
}

pub(super) fn invalid_field(field: &str, message: impl Into<String>) -> ChopinError {
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

pub(super) async fn find_user(
    conn: &DatabaseConnection,
    id: i64,
) -> Result<user::Model, ChopinError> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ChopinError::unauthorized("the account no longer exists"))
}

pub(super) async fn find_user_by_email(
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
pub(super) fn in_background(
    what: &'static str,
    work: impl Future<Output = Result<(), ChopinError>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(task = what, error = ?e, "auth background task failed");
        }
    });
}

pub(super) async fn send(auth: &AuthModule, mail: Mail) -> Result<(), ChopinError> {
    auth.inner
        .mailer
        .send(&mail)
        .await
        .map_err(|e| ChopinError::internal(format!("sending {:?} mail: {e}", mail.subject)))
}
