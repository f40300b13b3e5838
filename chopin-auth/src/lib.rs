//! Chopin's auth battery: [`AuthModule`], the module that provides the `auth` capability with
//! accounts, passwords, tokens and sessions, and its building blocks.
//!
//! Use it through the `chopin` crate (its `auth` feature, on by default), as `chopin::auth`. The
//! capability itself ([`AuthUser`], [`Authenticate`], the guard of `auth` routes) is the kernel's
//! and is re-exported here; what this crate adds are the parts that need argon2, JWTs and TOTP:
//! [`password`], [`jwt`], [`totp`], [`token`], [`cookie`], [`mail`], and the module built on them.
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
//! [`AuthConfig`]), no secret is hard-coded, no endpoint says whether an email
//! is registered, and tokens that only their owner may see travel only by mail.

pub use chopin_runtime::auth::*;

mod config;
pub mod cookie;
pub mod jwt;
pub mod mail;
mod module;
pub mod password;
pub mod seal;
pub mod token;
pub mod totp;

pub use config::AuthConfig;
pub use module::AuthModule;
pub use module::api::{
    Accepted, BackupCodes, ChangePassword, EmailAddress, Limited, LoginRefused, LoginRequest,
    NewPassword, Reauthentication, RefreshRequest, RoleChange, SessionInfo, SignedIn, SignedOut,
    SignupRequest, TokenPair, TotpCode, TotpDisable, TotpEnrolment, VerificationToken,
};
pub use module::models::{
    NewOneTimeToken, NewRefreshToken, NewSession, NewUser, OneTimeToken, OneTimeTokenPatch,
    RefreshToken, RefreshTokenPatch, Session, SessionPatch, User, UserPatch, one_time_token,
    refresh_token, session, user,
};
pub use module::service::user_id;

/// What `AuthModule`'s own code imports, as an application's `use chopin::prelude::*` would.
mod prelude {
    pub(crate) use chopin_db::Db;
    pub(crate) use chopin_db::sea_orm::prelude::DateTimeUtc;
    pub(crate) use chopin_runtime::extract::{Json, Path};
    pub(crate) use chopin_runtime::openapi::{ToSchema, utoipa};
    pub(crate) use chopin_runtime::{ChopinError, NoContent};
}

/// The path table the expansions of `AuthModule`'s attributes use (`crate = "crate::__chopin"`):
/// the kernel's and the database battery's, as the `chopin` facade gives applications.
#[doc(hidden)]
pub mod __chopin {
    pub mod __private {
        pub use chopin_db::__private::*;
        pub use chopin_runtime::__private::*;

        /// What mounting `AuthModule` brings besides its routes and tables: the `createadmin`
        /// command. (The application's own modules bring the batteries of its `chopin`.)
        pub fn batteries(app: &mut chopin_runtime::plugin::Mount<'_>) {
            app.plugin::<crate::module::command::AuthCommands>();
        }
    }
}
