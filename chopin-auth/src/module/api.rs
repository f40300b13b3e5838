//! What `AuthModule`'s routes take and return.

use chopin_db::sea_orm::prelude::DateTimeUtc;
use chopin_runtime::axum::response::{IntoResponse, Response};
use chopin_runtime::http::{HeaderMap, HeaderValue, StatusCode, header};
use chopin_runtime::openapi::{Operation, OperationOutput};
use serde::{Deserialize, Serialize};

use super::models::User;
use crate::prelude::*;

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// Where the account gets mail; compared without regard to case.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// `PASSWORD_MIN_LENGTH` (12 by default) to 256 characters, not only spaces, no controls,
    /// and hard to guess (`PASSWORD_MIN_STRENGTH`: zxcvbn's score, 3 of 4 by default; common
    /// and breached passwords, keyboard walks, repeats and the email itself are refused).
    #[schema(
        min_length = 8,
        max_length = 256,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub password: String,
}

/// Signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Its password.
    pub password: String,
    /// With two-factor authentication on: the authenticator's current code, or a backup code.
    #[serde(default)]
    pub totp_code: Option<String>,
}

/// A refresh token to exchange. A browser that holds it in the `chopin_refresh` cookie sends `{}`
/// and the `x-csrf-token` header.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password now.
    pub current_password: String,
    /// The password from now on: the policy of `SignupRequest.password`.
    #[schema(
        min_length = 8,
        max_length = 256,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub new_password: String,
}

/// The account's password, asked again before its second factor changes: a stolen access token
/// alone cannot enrol an attacker's authenticator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reauthentication {
    /// The account's password.
    pub password: String,
}

/// Confirming an enrolment: the password again, and a code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The account's password.
    pub password: String,
    /// Six digits.
    pub code: String,
}

/// Turning two-factor authentication off: both factors.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpDisable {
    /// The account's password.
    pub password: String,
    /// A current code, or a backup code.
    pub code: String,
}

/// An email address to send a code to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailAddress {
    /// The address.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// A new password, with the reset code that allows it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The code from the reset mail.
    pub token: String,
    /// The password from now on: the policy of `SignupRequest.password`.
    #[schema(
        min_length = 8,
        max_length = 256,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub new_password: String,
}

/// The code from a verification mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationToken {
    /// The code.
    pub token: String,
}

/// A user's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `user`, `moderator` or `admin`.
    pub role: String,
}

/// The credentials of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// The access token: an HS256 JWT to send as `authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The token to exchange for the next pair at `/auth/refresh`; single use. Absent when
    /// refresh tokens are turned off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Who signed in.
    pub user: User,
}

/// A request was taken; what happens next arrives by mail, if anywhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// What to expect.
    pub message: String,
}

/// A started TOTP enrolment: show the URL as a QR code, or the secret for typing in.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The shared secret, base32.
    pub secret: String,
    /// The `otpauth://` URL authenticator apps scan.
    pub otpauth_url: String,
}

/// Backup codes: each signs in once in place of a TOTP code. Shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodes {
    /// The codes.
    pub backup_codes: Vec<String>,
}

/// One of the user's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// The session's id, for `DELETE /auth/sessions/{id}`.
    pub id: i64,
    /// The `user-agent` it was opened with.
    pub user_agent: Option<String>,
    /// The address it was opened from.
    pub ip: Option<String>,
    /// When the user signed in.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    /// When it was last refreshed.
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: DateTimeUtc,
    /// When it ends.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTimeUtc,
    /// Whether it is the session of this request.
    pub current: bool,
}

/// A signed-in response: the token pair as JSON, and the same credentials as cookies for
/// browsers (`chopin_access`, `chopin_refresh`, and `chopin_csrf` for the CSRF check; with the
/// `__Host-` and `__Secure-` prefixes outside development).
#[derive(Debug)]
pub struct SignedIn {
    pub(super) tokens: TokenPair,
    pub(super) cookies: Vec<HeaderValue>,
}

impl IntoResponse for SignedIn {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        for cookie in self.cookies {
            headers.append(header::SET_COOKIE, cookie);
        }
        // Credentials are never cached.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        (headers, Json(self.tokens)).into_response()
    }
}

impl OperationOutput for SignedIn {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<TokenPair>();
        op.response("200", "Signed in", Some(("application/json", schema)));
        op.response_header(
            "200",
            "set-cookie",
            "`chopin_access`, `chopin_refresh` and `chopin_csrf`, for browsers (over https: \
             `__Host-chopin_access`, `__Secure-chopin_refresh`, `__Host-chopin_csrf`)",
        );
    }
}

/// An answer no cache may keep (`cache-control: no-store`): the account, its sessions, a TOTP
/// secret, backup codes.
#[derive(Debug)]
pub(crate) struct NoStore<T>(pub(crate) T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut res = self.0.into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

impl<T: OperationOutput> OperationOutput for NoStore<T> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.response_header("200", "cache-control", "`no-store`");
    }
}

/// `202 Accepted` with a message.
impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self)).into_response()
    }
}

impl OperationOutput for Accepted {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<Accepted>();
        op.response("202", "Accepted", Some(("application/json", schema)));
    }
}

/// `204 No Content` that also expires the auth cookies: the answer to logout.
#[derive(Debug)]
pub struct SignedOut(pub(super) Vec<HeaderValue>);

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        for cookie in self.0 {
            headers.append(header::SET_COOKIE, cookie);
        }
        (StatusCode::NO_CONTENT, headers).into_response()
    }
}

impl OperationOutput for SignedOut {
    fn describe(op: &mut Operation<'_>) {
        op.response("204", "Signed out", None);
        op.response_header("204", "set-cookie", "expires the auth cookies");
    }
}

/// An error of a route that counts requests per client address: as [`ChopinError`], and
/// described with its `429` and `retry-after`.
#[derive(Debug)]
pub struct Limited(pub ChopinError);

impl From<ChopinError> for Limited {
    fn from(error: ChopinError) -> Limited {
        Limited(error)
    }
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// Adds the `429` of a rate-limited route.
fn rate_limited(op: &mut Operation<'_>) {
    op.error_response(
        "429",
        "too many requests from this address (`too_many_requests`)",
    );
    op.response_header("429", "retry-after", "seconds until the limit resets");
}

impl OperationOutput for Limited {
    fn describe(op: &mut Operation<'_>) {
        ChopinError::describe(op);
        rate_limited(op);
    }
}

/// Why a sign-in is refused: as [`ChopinError`], and described with each status it can have.
#[derive(Debug)]
pub struct LoginRefused(pub ChopinError);

impl From<ChopinError> for LoginRefused {
    fn from(error: ChopinError) -> LoginRefused {
        LoginRefused(error)
    }
}

impl IntoResponse for LoginRefused {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl OperationOutput for LoginRefused {
    fn describe(op: &mut Operation<'_>) {
        ChopinError::describe(op);
        op.error_response(
            "401",
            "a wrong email or password (`unauthorized`), or a TOTP code missing \
             (`totp_required`) or wrong (`totp_invalid`)",
        );
        op.response_header("401", "www-authenticate", "`Bearer`");
        op.error_response(
            "403",
            "the email is not verified yet (`email_not_verified`)",
        );
        op.error_response(
            "423",
            "the account is locked after failed sign-ins (`locked`)",
        );
        op.response_header("423", "retry-after", "seconds until the lock ends");
        rate_limited(op);
    }
}
