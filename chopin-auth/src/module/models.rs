//! `AuthModule`'s tables: users, their sessions, the refresh tokens of each session, and the
//! one-time tokens sent by mail (and the backup codes of two-factor authentication).

use crate::prelude::*;

/// A user account. Its secrets (password hash, TOTP secret) are columns of `auth_users` that the
/// API never sees: they are in [`user::Model`], not in `User`.
#[chopin_macros::model(crate = "crate::__chopin", table = "auth_users")]
pub struct User {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Where the user gets mail: trimmed and lowercased, unique.
    #[model(email, max_len = 254, unique)]
    pub email: String,
    /// `user`, `moderator` or `admin`: each includes the roles below it.
    #[model(max_len = 32, default = "user")]
    pub role: String,
    /// Whether the user has shown they receive mail at `email`.
    #[model(default = false)]
    pub email_verified: bool,
    /// Whether signing in needs a TOTP code.
    #[model(default = false)]
    pub totp_enabled: bool,
    /// The argon2id hash of the password, as a PHC string.
    #[model(private)]
    pub password_hash: String,
    /// The TOTP secret in base32: pending from enrolment until confirmed, then in use.
    #[model(private)]
    pub totp_secret: Option<String>,
    /// The time step of the last TOTP code accepted: no code of that step or before is accepted
    /// again.
    #[model(private)]
    pub totp_last_step: Option<i64>,
    /// When the account was created.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
    /// When the account last changed.
    #[model(updated_at)]
    pub updated_at: DateTimeUtc,
}

/// One signed-in device: created at login, ended by logout, by its owner, by a password change or
/// reset, or when one of its refresh tokens is used twice. Its refresh tokens are one family.
#[chopin_macros::model(crate = "crate::__chopin", table = "auth_sessions")]
pub struct Session {
    /// Assigned by the database; the `sid` of the session's access tokens.
    #[model(primary_key)]
    pub id: i64,
    /// Whose session it is.
    #[model(belongs_to = User, on_delete = "cascade", indexed)]
    pub user_id: i64,
    /// The `user-agent` the session was opened with.
    #[model(max_len = 512)]
    pub user_agent: Option<String>,
    /// The address the session was opened from.
    #[model(max_len = 64)]
    pub ip: Option<String>,
    /// When the user signed in.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
    /// When the session was last refreshed.
    pub last_used_at: DateTimeUtc,
    /// When the session ends: its refresh tokens are refused after it, refreshed or not.
    pub expires_at: DateTimeUtc,
    /// When it was ended early, if it was.
    pub revoked_at: Option<DateTimeUtc>,
}

/// A refresh token of a session, stored as its SHA-256. Using one marks it used and issues the
/// next; using a used one again ends the session.
#[chopin_macros::model(crate = "crate::__chopin", table = "auth_refresh_tokens")]
pub struct RefreshToken {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The session (token family) it belongs to.
    #[model(belongs_to = Session, on_delete = "cascade", indexed)]
    pub session_id: i64,
    /// The token's SHA-256, in hex.
    #[model(private, unique, max_len = 64)]
    pub token_hash: String,
    /// When it was exchanged for the next one.
    pub used_at: Option<DateTimeUtc>,
    /// When it was issued.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
}

/// A single-use token: a password reset or email verification code sent by mail (256 random
/// bits, stored as their SHA-256), or a backup code of two-factor authentication (about 49 bits,
/// stored as an argon2id hash).
#[chopin_macros::model(crate = "crate::__chopin", table = "auth_tokens")]
pub struct OneTimeToken {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Whose token it is.
    #[model(belongs_to = User, on_delete = "cascade", indexed)]
    pub user_id: i64,
    /// `password_reset`, `email_verification` or `backup_code`.
    #[model(max_len = 32)]
    pub purpose: String,
    /// The token's SHA-256 in hex, or a backup code's argon2id PHC string.
    #[model(private, unique, max_len = 128)]
    pub token_hash: String,
    /// When it stops being accepted; backup codes do not expire.
    pub expires_at: Option<DateTimeUtc>,
    /// When it was used.
    pub used_at: Option<DateTimeUtc>,
    /// When it was issued.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
}
