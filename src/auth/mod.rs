//! Authentication and authorization: the `auth` capability, and [`AuthModule`], the module that
//! provides it with accounts, passwords, tokens and sessions.
//!
//! Mount [`AuthModule`] and every route declared `auth` or `auth(role = "…")` in any module is
//! guarded by it; without it (or another module that `provides(auth)`), such a route does not
//! compile. Its routes, under `/auth`:
//!
//! | route | what it does |
//! |---|---|
//! | `POST /auth/signup` | creates an account; `202` whether or not the email was free |
//! | `POST /auth/login` | email, password (and a TOTP or backup code): tokens and cookies |
//! | `POST /auth/refresh` | a new token pair for a refresh token, which is rotated |
//! | `POST /auth/logout` | ends the current session |
//! | `GET /auth/me` | the signed-in user |
//! | `POST /auth/password` | changes the password, ending the other sessions |
//! | `POST /auth/totp/enrol`, `/confirm`, `/disable` | two-factor authentication |
//! | `POST /auth/password-reset`, `/confirm` | a reset code by mail, then a new password |
//! | `POST /auth/verify-email`, `/confirm` | a verification code by mail, then a verified email |
//! | `GET /auth/sessions`, `DELETE /auth/sessions/{id}` | the user's sessions, and ending one |
//! | `PUT /auth/users/{id}/role` | an admin sets a user's role |
//!
//! Secure by default: every protection is on unless its `SECURITY_*` variable turns it off (see
//! [`AuthConfig`](crate::AuthConfig)), no secret is hard-coded, no endpoint says whether an email
//! is registered, and tokens that only their owner may see travel only by mail.

pub use chopin_runtime::auth::*;

mod api;
mod models;
mod module;
mod service;

pub use api::{
    Accepted, BackupCodes, ChangePassword, EmailAddress, Limited, LoginRefused, LoginRequest,
    NewPassword, RefreshRequest, RoleChange, SessionInfo, SignedIn, SignedOut, SignupRequest,
    TokenPair, TotpCode, TotpDisable, TotpEnrolment, VerificationToken,
};
pub use models::{
    NewOneTimeToken, NewRefreshToken, NewSession, NewUser, OneTimeToken, OneTimeTokenPatch,
    RefreshToken, RefreshTokenPatch, Session, SessionPatch, User, UserPatch, one_time_token,
    refresh_token, session, user,
};
pub use module::AuthModule;
pub use service::user_id;
