//! The `auth` capability: who is calling, and whether they may.
//!
//! A module that declares `provides(auth)` implements [`Authenticate`]: from a request's head it
//! finds the user, or rejects the request. Routes declared `auth` or `auth(role = "…")` get a
//! guard layer generated from that declaration, which runs the provider before the handler and
//! answers `401` (no valid credentials) or `403` (a role the user lacks) itself; the handler reads
//! the user with the [`AuthUser`] extractor, and a public route that serves anonymous and signed-in
//! users alike reads [`OptionalAuthUser`].
//!
//! Roles form a hierarchy: `admin` > `moderator` > `user`, so `auth(role = "moderator")` admits
//! moderators and admins. Other role names match only themselves.
//!
//! The capability is the kernel's; a provider is a battery. The real one is
//! `chopin::auth::AuthModule` (the `chopin-auth` crate: argon2id passwords, HS256 access tokens,
//! rotated refresh tokens, sessions, TOTP, CSRF). Any module can provide the capability, which is
//! how tests mount a small one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::classify::{self, Outage};
use crate::response::ChopinError;
use crate::service;

/// What a route requires of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// An authenticated user.
    User,
    /// An authenticated user with at least this role.
    Role(&'static str),
}

/// The built-in roles, lowest first: each includes the ones before it.
pub const ROLES: [&str; 3] = ["user", "moderator", "admin"];

/// `role`'s place in [`ROLES`].
fn rank(role: &str) -> Option<usize> {
    ROLES.iter().position(|r| *r == role)
}

/// The authenticated user of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    /// The user's identifier.
    pub id: String,
    /// The user's roles.
    pub roles: Vec<String>,
    /// The server-side session the credentials belong to, for a provider that keeps sessions.
    pub session: Option<i64>,
}

impl AuthUser {
    /// A user with these roles.
    pub fn new(
        id: impl Into<String>,
        roles: impl IntoIterator<Item = impl Into<String>>,
    ) -> AuthUser {
        AuthUser {
            id: id.into(),
            roles: roles.into_iter().map(Into::into).collect(),
            session: None,
        }
    }

    /// The same user, signed in through `session`.
    pub fn in_session(mut self, session: i64) -> AuthUser {
        self.session = Some(session);
        self
    }

    /// Whether the user has `role`, or a built-in role above it: an `admin` has `moderator` and
    /// `user`, a `moderator` has `user`.
    ///
    /// ```
    /// use chopin_runtime::auth::AuthUser;
    ///
    /// let moderator = AuthUser::new("7", ["moderator"]);
    /// assert!(moderator.has_role("user"));
    /// assert!(moderator.has_role("moderator"));
    /// assert!(!moderator.has_role("admin"));
    /// assert!(!moderator.has_role("editor"));
    /// ```
    pub fn has_role(&self, role: &str) -> bool {
        let needed = rank(role);
        self.roles.iter().any(|r| {
            r == role || matches!((rank(r), needed), (Some(have), Some(need)) if have >= need)
        })
    }
}

/// The user of a request if it carries credentials, for a public route that serves anonymous
/// and signed-in users alike. A request without credentials is `None`; credentials that are
/// sent and not valid are still refused with `401`, so a client learns that its token expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalAuthUser(pub Option<AuthUser>);

/// Why a request is refused: `401` without valid credentials, `403` when they are valid but not
/// enough. The response is a [`ChopinError`]'s: `{"error": "unauthorized", "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthRejection {
    /// The request carries no credentials: `401` with `www-authenticate: Bearer`, or no user for
    /// [`OptionalAuthUser`].
    Missing(String),
    /// Credentials that are not valid: `401` with `www-authenticate: Bearer`.
    Unauthenticated(String),
    /// Valid credentials without the right: `403`.
    Forbidden(String),
    /// The provider could not decide (its database failed): `500`, the detail logged.
    Internal(String),
    /// The provider could not decide because a dependency is unavailable: `503` naming it,
    /// with `retry-after`; the detail is logged.
    Unavailable(Outage, String),
}

impl AuthRejection {
    /// The rejection for a provider whose dependency failed with `error`: [`Unavailable`] when
    /// a registered classifier sees an outage in it, [`Internal`] otherwise.
    ///
    /// [`Unavailable`]: AuthRejection::Unavailable
    /// [`Internal`]: AuthRejection::Internal
    pub fn failed(error: &(dyn std::error::Error + 'static)) -> AuthRejection {
        match classify::classify(error) {
            Some(outage) => AuthRejection::Unavailable(outage, error.to_string()),
            None => AuthRejection::Internal(error.to_string()),
        }
    }
}

impl From<AuthRejection> for ChopinError {
    fn from(rejection: AuthRejection) -> ChopinError {
        match rejection {
            AuthRejection::Missing(m) | AuthRejection::Unauthenticated(m) => {
                ChopinError::unauthorized(m)
            }
            AuthRejection::Forbidden(m) => ChopinError::forbidden(m),
            AuthRejection::Internal(m) => ChopinError::internal(m),
            AuthRejection::Unavailable(outage, m) => {
                ChopinError::unavailable(outage.dependency, outage.retry_after, m)
            }
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        ChopinError::from(self).into_response()
    }
}

/// What a module that provides `auth` does: find the user a request comes from.
///
/// ```
/// use chopin_runtime::auth::{AuthRejection, AuthUser, Authenticate};
/// use http::request::Parts;
///
/// /// Trusts `x-user: NAME`: for tests only.
/// #[derive(Clone)]
/// struct HeaderAuth;
///
/// impl Authenticate for HeaderAuth {
///     async fn authenticate(&self, parts: &Parts) -> Result<AuthUser, AuthRejection> {
///         match parts.headers.get("x-user").and_then(|v| v.to_str().ok()) {
///             Some(name) => Ok(AuthUser::new(name, ["user"])),
///             None => Err(AuthRejection::Missing("no `x-user` header".into())),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` declares `provides(auth)` but does not implement `Authenticate`",
    label = "a module that provides `auth` says who a request comes from",
    note = "implement `chopin::auth::Authenticate` for `{Self}`, or drop `provides(auth)`"
)]
pub trait Authenticate: Clone + Send + Sync + 'static {
    /// The user the request comes from, or why it is refused.
    fn authenticate(
        &self,
        parts: &Parts,
    ) -> impl Future<Output = Result<AuthUser, AuthRejection>> + Send;
}

type Authenticating<'a> =
    Pin<Box<dyn Future<Output = Result<AuthUser, AuthRejection>> + Send + 'a>>;

/// [`Authenticate`] behind a pointer.
trait DynAuthenticate: Send + Sync {
    fn authenticate<'a>(&'a self, parts: &'a Parts) -> Authenticating<'a>;
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: Authenticate> DynAuthenticate for T {
    fn authenticate<'a>(&'a self, parts: &'a Parts) -> Authenticating<'a> {
        Box::pin(Authenticate::authenticate(self, parts))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The mounted provider of the `auth` capability, which every request the server handles can reach.
#[derive(Clone)]
pub struct AuthProvider(Arc<dyn DynAuthenticate>);

impl AuthProvider {
    /// The provider `module` is.
    pub fn new<T: Authenticate>(module: T) -> AuthProvider {
        AuthProvider(Arc::new(module))
    }

    async fn authenticate(&self, parts: &Parts) -> Result<AuthUser, AuthRejection> {
        self.0.authenticate(parts).await
    }
}

impl AuthProvider {
    /// The provider of the request: one put in its extensions, or the application's.
    pub fn of(parts: &Parts) -> Option<AuthProvider> {
        service::of::<AuthProvider>(parts)
    }

    /// The provider as the module type `T`, if it is one: how a provider's own handlers reach
    /// its state.
    pub fn downcast<T: Authenticate>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }
}

impl std::fmt::Debug for AuthProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthProvider")
    }
}

/// The answer when a route needs the user and no provider is mounted. The whole-application
/// check makes this unreachable for module routes; a route added by hand can still get here.
fn no_provider() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({
            "error": "internal",
            "message": "this route needs the user, and no mounted module provides `auth`",
        })),
    )
        .into_response()
}

/// The guard `#[chopin::module]` layers on a route declared `auth` or `auth(role = "…")`: it
/// authenticates the request, checks the role, and leaves the user in the request's extensions
/// for [`AuthUser`].
#[doc(hidden)]
pub async fn guard(State(access): State<Access>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(provider) = AuthProvider::of(&parts) else {
        return no_provider();
    };
    let user = match provider.authenticate(&parts).await {
        Ok(user) => user,
        Err(rejection) => return rejection.into_response(),
    };
    if let Access::Role(role) = access
        && !user.has_role(role)
    {
        return AuthRejection::Forbidden(format!("this route needs the role `{role}`"))
            .into_response();
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<AuthUser, Response> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let Some(provider) = AuthProvider::of(parts) else {
            return Err(no_provider());
        };
        provider
            .authenticate(parts)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OptionalAuthUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<OptionalAuthUser, Response> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(OptionalAuthUser(Some(user.clone())));
        }
        let Some(provider) = AuthProvider::of(parts) else {
            return Ok(OptionalAuthUser(None));
        };
        match provider.authenticate(parts).await {
            Ok(user) => Ok(OptionalAuthUser(Some(user))),
            Err(AuthRejection::Missing(_)) => Ok(OptionalAuthUser(None)),
            Err(rejection) => Err(rejection.into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_roles_below_them() {
        let admin = AuthUser::new("1", ["admin"]);
        let user = AuthUser::new("2", ["user"]);
        let editor = AuthUser::new("3", ["editor"]);
        for role in ROLES {
            assert!(admin.has_role(role), "admin has {role}");
        }
        assert!(user.has_role("user"));
        assert!(!user.has_role("moderator") && !user.has_role("admin"));
        assert!(editor.has_role("editor"));
        assert!(
            !editor.has_role("user"),
            "a custom role is not in the hierarchy"
        );
        assert!(!admin.has_role("editor"), "nor below admin");
        assert!(!AuthUser::new("4", Vec::<String>::new()).has_role("user"));
    }
}
