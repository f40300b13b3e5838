//! `AuthModule`: its settings, how it authenticates requests, and its routes.
//!
//! - `mod.rs`: the module, its settings and its routes, each naming what it takes;
//! - `api.rs`: what the routes take and answer;
//! - `models.rs`: its tables;
//! - `command.rs`: the `createadmin` command it adds to the application's binary;
//! - `service/`: what the routes do.

pub(crate) mod api;
pub(crate) mod command;
pub(crate) mod models;
pub(crate) mod service;

use std::sync::Arc;

use chopin_runtime::auth::{AuthProvider, AuthRejection, AuthUser, Authenticate};
use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::cache::Cache;
use chopin_runtime::classify::{self, Outage};
use chopin_runtime::extract::ClientAddr;
use chopin_runtime::http::HeaderMap;
use chopin_runtime::http::request::Parts;
use chopin_runtime::openapi::{Operation, OperationInput};
use chopin_runtime::{Config, ConfigError, Environment};

use self::api::{
    Accepted, BackupCodes, ChangePassword, EmailAddress, Limited, LoginRefused, LoginRequest,
    NewPassword, NoStore, Reauthentication, RefreshRequest, RoleChange, SessionInfo, SignedIn,
    SignedOut, SignupRequest, TotpCode, TotpDisable, TotpEnrolment, VerificationToken,
};
use self::models::{OneTimeToken, RefreshToken, Session, User};
use crate::config::AuthConfig;
use crate::cookie::{CookiePolicy, CsrfKey};
use crate::jwt::JwtKeys;
use crate::mail::{LogMailer, Mailer, SharedMailer, SmtpMailer};
use crate::password::{HashLimiter, PasswordError};
use crate::prelude::*;
use crate::seal::{Sealer, derive_key};
use crate::token::random_token;

/// The module that provides `auth`: accounts, passwords, tokens, sessions and two-factor
/// authentication, with its tables (`auth_users`, `auth_sessions`, `auth_refresh_tokens`,
/// `auth_tokens`) and its routes under `/auth`.
///
/// ```no_run
/// use chopin_auth::AuthModule;
/// use chopin_runtime::{App, Config};
///
/// # async fn run() -> Result<(), chopin_runtime::Error> {
/// let config = Config::from_env()?;
/// let auth = AuthModule::new(&config)?;
/// App::with_config(config).mount_module(auth).run().await
/// # }
/// ```
///
/// Its settings come from the [`Config`] it is built with ([`AuthConfig`]): `JWT_SECRET` (required
/// in production), token lifetimes, the password policy, and a `SECURITY_*` switch for each
/// protection, all on by default. Mail (reset and verification codes) goes through a
/// [`Mailer`](crate::mail::Mailer): [`AuthModule::with_mailer`]; the default prints
/// it, which only development allows.
#[derive(Clone)]
pub struct AuthModule {
    pub(super) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(super) struct Inner {
    pub(super) config: AuthConfig,
    pub(super) keys: JwtKeys,
    pub(super) mailer: SharedMailer,
    pub(super) cookies: CookiePolicy,
    pub(super) csrf: CsrfKey,
    pub(super) sealer: Sealer,
    pub(super) issuer: String,
    pub(super) hashing: Arc<HashLimiter>,
    /// What serving needs of the configuration and does not have (production's secrets and
    /// mailer): reported when the application starts, not when it is built, so that management
    /// commands run without them.
    pub(super) unmet: Vec<ConfigError>,
}

impl AuthModule {
    /// The module for `config`, sending mail through the SMTP relay of `SMTP_URL` (as
    /// `MAIL_FROM`, see [`SmtpMailer`]) in every environment; without `SMTP_URL`, development
    /// prints mail to standard output and production refuses to serve.
    ///
    /// Production's needs are checked when the application starts serving, all at once
    /// ([`AuthModule::unmet`]): `JWT_SECRET`, `AUTH_ENCRYPTION_KEY` while two-factor
    /// authentication is on, and `SMTP_URL` while password reset or email verification is on.
    /// Management commands (`openapi`, `routes`, `migrate`) run without them.
    ///
    /// # Errors
    /// A variable of its sections that is set to a value it cannot use (a malformed `SMTP_URL`,
    /// a `MAIL_FROM` that is no mailbox).
    pub fn new(config: &Config) -> Result<AuthModule, ConfigError> {
        let auth = config.section::<AuthConfig>()?;
        let mut unmet = Vec::new();
        let mailer = match SmtpMailer::configured(config) {
            Ok(Some(smtp)) => SharedMailer::new(smtp),
            Ok(None) => {
                if !config.environment.is_development()
                    && (auth.password_reset || auth.email_verification)
                {
                    unmet.push(ConfigError::Missing {
                        name: "SMTP_URL",
                        why: "production mails password reset and verification codes: set it to \
                              the SMTP relay (smtp://user:password@host:587), with MAIL_FROM, or \
                              build AuthModule::with_mailer, or set SECURITY_PASSWORD_RESET=false \
                              and SECURITY_EMAIL_VERIFICATION=false",
                    });
                }
                SharedMailer::new(LogMailer)
            }
            // `SMTP_URL` without `MAIL_FROM`: refused when serving, not for commands.
            Err(missing @ ConfigError::Missing { .. }) => {
                unmet.push(missing);
                SharedMailer::new(LogMailer)
            }
            Err(invalid) => return Err(invalid),
        };
        AuthModule::build(config, mailer, unmet)
    }

    /// The module for `config`, sending mail with `mailer`.
    ///
    /// # Errors
    /// As [`AuthModule::new`].
    pub fn with_mailer(config: &Config, mailer: impl Mailer) -> Result<AuthModule, ConfigError> {
        AuthModule::build(config, SharedMailer::new(mailer), Vec::new())
    }

    /// What serving with this module needs of the configuration and does not have: empty in
    /// development; in production, each missing secret and a missing mailer, each naming its
    /// variable. The application reports them when it starts ([`App::connect`] asks the
    /// `createadmin` plugin that mounting the module adds, and every other plugin, and refuses to
    /// start with all their answers in one error).
    ///
    /// [`App::connect`]: chopin_runtime::App::connect
    pub fn unmet(&self) -> &[ConfigError] {
        &self.inner.unmet
    }

    fn build(
        config: &Config,
        mailer: SharedMailer,
        mut unmet: Vec<ConfigError>,
    ) -> Result<AuthModule, ConfigError> {
        let auth = config.section::<AuthConfig>()?;
        let secret = match (&auth.jwt_secret, config.environment) {
            (Some(secret), _) => secret.expose().to_owned(),
            (None, Environment::Production) => {
                // Refused at start-up (`unmet`); commands sign nothing.
                unmet.insert(
                    0,
                    ConfigError::Missing {
                        name: "JWT_SECRET",
                        why: "production signs access tokens with it: set it to a random secret \
                              of at least 32 bytes, e.g. the output of `openssl rand -base64 48`",
                    },
                );
                random_token()
            }
            (None, Environment::Development) => {
                tracing::warn!(
                    "JWT_SECRET is not set: signing access tokens with a random secret for this \
                     run (APP_ENV=development); after a restart, the earlier ones are refused \
                     until their clients refresh them"
                );
                random_token()
            }
        };
        let old: Vec<&[u8]> = auth
            .old_encryption_keys
            .iter()
            .map(|k| k.expose().as_bytes())
            .collect();
        let sealer = match (&auth.encryption_key, config.environment) {
            (Some(key), _) => Sealer::new(key.expose().as_bytes(), &old),
            (None, Environment::Production) if auth.two_factor => {
                let position = usize::from(auth.jwt_secret.is_none());
                unmet.insert(
                    position,
                    ConfigError::Missing {
                        name: "AUTH_ENCRYPTION_KEY",
                        why: "production seals two-factor secrets with it: set it to a random \
                              secret of at least 32 bytes, e.g. the output of `openssl rand \
                              -base64 48`, and keep it (to rotate it, move the old one to \
                              AUTH_ENCRYPTION_OLD_KEYS)",
                    },
                );
                Sealer::new(&derive_key(secret.as_bytes(), b"chopin dev seal"), &old)
            }
            // Development, or nothing to seal: a key derived from the tokens' secret.
            (None, _) => Sealer::new(&derive_key(secret.as_bytes(), b"chopin dev seal"), &old),
        };
        classify::register(hashing_busy);
        Ok(AuthModule {
            inner: Arc::new(Inner {
                hashing: Arc::new(HashLimiter::new(auth.hash_concurrency, auth.hash_queue)),
                config: auth,
                keys: JwtKeys::hs256(secret.as_bytes()),
                mailer,
                cookies: CookiePolicy {
                    secure: !config.environment.is_development(),
                },
                csrf: CsrfKey::new(secret.as_bytes()),
                sealer,
                unmet,
                issuer: "Chopin".to_owned(),
            }),
        })
    }

    /// Names the service in authenticator apps (the TOTP issuer), `Chopin` by default.
    pub fn issuer(mut self, name: impl Into<String>) -> AuthModule {
        Arc::make_mut(&mut self.inner).issuer = name.into();
        self
    }

    /// The settings it runs with.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The bound on its password hashing (`PASSWORD_HASH_CONCURRENCY`, `PASSWORD_HASH_QUEUE`).
    pub(super) fn hashing(&self) -> &HashLimiter {
        &self.inner.hashing
    }
}

/// A full hashing queue is an outage of the password checks: `503` with `retry-after`.
fn hashing_busy(error: &(dyn std::error::Error + 'static)) -> Option<Outage> {
    matches!(
        error.downcast_ref::<PasswordError>(),
        Some(PasswordError::Busy { .. })
    )
    .then_some(Outage {
        dependency: "password hashing",
        retry_after: PasswordError::RETRY_AFTER,
    })
}

impl std::fmt::Debug for AuthModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthModule")
            .field("config", &self.inner.config)
            .field("issuer", &self.inner.issuer)
            .finish_non_exhaustive()
    }
}

impl Authenticate for AuthModule {
    async fn authenticate(&self, parts: &Parts) -> Result<AuthUser, AuthRejection> {
        service::authenticate(self, parts).await
    }
}

/// Its own routes reach the module's settings through the request: the mounted provider.
impl<S: Send + Sync> FromRequestParts<S> for AuthModule {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        AuthProvider::of(parts)
            .as_ref()
            .and_then(AuthProvider::downcast::<AuthModule>)
            .cloned()
            .ok_or_else(|| {
                ChopinError::internal("AuthModule's routes run only where it is the auth provider")
            })
    }
}

impl OperationInput for AuthModule {
    fn describe(_: &mut Operation<'_>) {}
}

/// The routes: thin, each naming what it takes; the flows are in `service`.
#[chopin_macros::module(
    crate = "crate::__chopin",
    name = "auth",
    prefix = "/auth",
    provides(auth),
    models(User, Session, RefreshToken, OneTimeToken),
    migrations
)]
impl AuthModule {
    /// Creates an account. The answer is `202` whether or not the email was free, so that it
    /// does not tell who has an account; the owner of a taken email is told by mail. With
    /// email verification on, a code is mailed to confirm at `/auth/verify-email/confirm`.
    #[post("/signup", tag = "auth")]
    async fn signup(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        client: ClientAddr,
        Json(body): Json<SignupRequest>,
    ) -> Result<Accepted, Limited> {
        Ok(service::signup(&auth, &db, &cache, client, body).await?)
    }

    /// Signs in with email and password, and a TOTP or backup code when two-factor
    /// authentication is on: `401` for a wrong email or password alike, `401 totp_required`
    /// without a code, `403 email_not_verified`, `423` while the account is locked, `429` past
    /// the rate limit.
    #[post("/login", tag = "auth")]
    async fn login(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        client: ClientAddr,
        headers: HeaderMap,
        Json(body): Json<LoginRequest>,
    ) -> Result<SignedIn, LoginRefused> {
        Ok(service::login(&auth, &db, &cache, client, &headers, body).await?)
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once: presenting a
    /// used one again ends its session, since it means the token was copied.
    #[post("/refresh", tag = "auth")]
    async fn refresh(
        auth: AuthModule,
        db: Db,
        headers: HeaderMap,
        Json(body): Json<RefreshRequest>,
    ) -> Result<SignedIn, ChopinError> {
        service::refresh(&auth, &db, &headers, body).await
    }

    /// Ends the current session and expires the auth cookies.
    #[post("/logout", auth, tag = "auth")]
    async fn logout(auth: AuthModule, db: Db, user: AuthUser) -> Result<SignedOut, ChopinError> {
        service::logout(&auth, &db, &user).await
    }

    /// The signed-in user.
    #[get("/me", auth, tag = "auth")]
    async fn me(db: Db, user: AuthUser) -> Result<NoStore<Json<User>>, ChopinError> {
        Ok(NoStore(Json(service::me(&db, &user).await?)))
    }

    /// Changes the password; every other session ends. A wrong current password gets
    /// `403 wrong_password`; after `LOCKOUT_MAX_ATTEMPTS` wrong passwords or codes, the
    /// account's checks pause (`429` with `retry-after`).
    #[post("/password", auth, tag = "auth")]
    async fn change_password(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        user: AuthUser,
        Json(body): Json<ChangePassword>,
    ) -> Result<NoContent, ChopinError> {
        service::change_password(&auth, &db, &cache, &user, body).await?;
        Ok(NoContent)
    }

    /// Starts two-factor enrolment, with the password (`403 wrong_password` when it is wrong):
    /// a new secret for the authenticator app, in use once confirmed.
    #[post("/totp/enrol", auth, tag = "two-factor")]
    async fn totp_enrol(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        user: AuthUser,
        Json(body): Json<Reauthentication>,
    ) -> Result<NoStore<Json<TotpEnrolment>>, ChopinError> {
        Ok(NoStore(Json(
            service::totp_enrol(&auth, &db, &cache, &user, &body.password).await?,
        )))
    }

    /// Confirms enrolment with the password and the app's current code: two-factor
    /// authentication is on, the account is mailed so, and the answer holds the backup codes,
    /// shown this once. A wrong password gets `403 wrong_password`, a wrong code `403
    /// totp_invalid`.
    #[post("/totp/confirm", auth, tag = "two-factor")]
    async fn totp_confirm(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        user: AuthUser,
        Json(body): Json<TotpCode>,
    ) -> Result<NoStore<Json<BackupCodes>>, ChopinError> {
        Ok(NoStore(Json(
            service::totp_confirm(&auth, &db, &cache, &user, body).await?,
        )))
    }

    /// Turns two-factor authentication off, with the password and a code (`403 wrong_password`
    /// or `403 totp_invalid` when one is wrong); the account is mailed so.
    #[post("/totp/disable", auth, tag = "two-factor")]
    async fn totp_disable(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        user: AuthUser,
        Json(body): Json<TotpDisable>,
    ) -> Result<NoContent, ChopinError> {
        service::totp_disable(&auth, &db, &cache, &user, body).await?;
        Ok(NoContent)
    }

    /// Mails a password reset code to the address, if an account uses it. The answer is the
    /// same either way, and never holds the code.
    #[post("/password-reset", tag = "recovery")]
    async fn request_password_reset(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        client: ClientAddr,
        Json(body): Json<EmailAddress>,
    ) -> Result<Accepted, Limited> {
        Ok(
            service::mail_request(&auth, &db, &cache, client, body, service::PASSWORD_RESET)
                .await?,
        )
    }

    /// Sets a new password with a reset code: the code works once, before it expires, and every
    /// session of the account ends. A wrong, used or expired code gets `403 invalid_token`.
    #[post("/password-reset/confirm", tag = "recovery")]
    async fn reset_password(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        Json(body): Json<NewPassword>,
    ) -> Result<NoContent, ChopinError> {
        service::reset_password(&auth, &db, &cache, body).await?;
        Ok(NoContent)
    }

    /// Mails a new verification code to the address, if an unverified account uses it. The
    /// answer is the same either way.
    #[post("/verify-email", tag = "recovery")]
    async fn request_verification(
        auth: AuthModule,
        db: Db,
        cache: Cache,
        client: ClientAddr,
        Json(body): Json<EmailAddress>,
    ) -> Result<Accepted, Limited> {
        Ok(service::mail_request(
            &auth,
            &db,
            &cache,
            client,
            body,
            service::EMAIL_VERIFICATION,
        )
        .await?)
    }

    /// Verifies the email with the mailed code. A wrong, used or expired code gets
    /// `403 invalid_token`.
    #[post("/verify-email/confirm", tag = "recovery")]
    async fn verify_email(
        auth: AuthModule,
        db: Db,
        Json(body): Json<VerificationToken>,
    ) -> Result<NoContent, ChopinError> {
        service::verify_email(&auth, &db, &body.token).await?;
        Ok(NoContent)
    }

    /// The user's open sessions, newest first; `current` marks this request's.
    #[get("/sessions", auth, tag = "sessions")]
    async fn sessions(
        auth: AuthModule,
        db: Db,
        user: AuthUser,
    ) -> Result<NoStore<Json<Vec<SessionInfo>>>, ChopinError> {
        Ok(NoStore(Json(service::sessions(&auth, &db, &user).await?)))
    }

    /// Ends one of the user's sessions.
    #[delete("/sessions/{id}", auth, tag = "sessions")]
    async fn end_session(
        auth: AuthModule,
        db: Db,
        user: AuthUser,
        Path(id): Path<i64>,
    ) -> Result<NoContent, ChopinError> {
        service::end_session(&auth, &db, &user, id).await?;
        Ok(NoContent)
    }

    /// Sets a user's role. Admins only.
    #[put("/users/{id}/role", auth(role = "admin"), tag = "users")]
    async fn set_role(
        db: Db,
        Path(id): Path<i64>,
        Json(body): Json<RoleChange>,
    ) -> Result<Json<User>, ChopinError> {
        Ok(Json(service::set_role(&db, id, &body.role).await?))
    }
}
