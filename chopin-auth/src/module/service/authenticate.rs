//! Authentication of requests: the access token (bearer or cookie), its session, CSRF.

use super::*;

/// The user of a request: its bearer token, or its access cookie (then with the CSRF check on
/// unsafe methods), checked against its session when sessions are on: revoked, expired or idle
/// for longer than `SESSION_IDLE_TIMEOUT_SECS`, it is refused.
pub(crate) async fn authenticate(
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
        None => match cookie::read_cookie(&parts.headers, auth.inner.cookies.access_name()) {
            Some(token) => (token, true),
            None => {
                return Err(AuthRejection::Missing(
                    "sign in: send `authorization: Bearer <access token>`".into(),
                ));
            }
        },
    };
    let claims = auth
        .inner
        .keys
        .decode(token)
        .map_err(|e| AuthRejection::Unauthenticated(e.to_string()))?;
    if from_cookie && config.csrf {
        cookie::check_csrf(&parts.method, &parts.headers, &auth.inner.csrf, claims.sid)
            .map_err(|e| AuthRejection::Forbidden(e.to_string()))?;
    }
    if !config.sessions {
        return Ok(AuthUser::new(claims.sub, [claims.role]).in_session(claims.sid));
    }
    let Some(db) = Db::of(parts) else {
        return Err(AuthRejection::Internal(
            "AuthModule needs the database: mount it on an App, which connects one".into(),
        ));
    };
    if let Some(outage) = db.outage() {
        return Err(AuthRejection::Unavailable(
            outage,
            "the database did not answer its last probe".into(),
        ));
    }
    let found = session::Entity::find_by_id(claims.sid)
        .find_also_related(user::Entity)
        .one(db.conn())
        .await
        .map_err(|e| AuthRejection::failed(&e))?;
    let now = now();
    match found {
        Some((session, Some(user)))
            if session.revoked_at.is_none()
                && session.expires_at > now
                && user.id.to_string() == claims.sub =>
        {
            if idle(auth, &session, now) {
                return Err(AuthRejection::Unauthenticated(
                    "the session was unused for too long: sign in again".into(),
                ));
            }
            touch(db.conn(), &session, now, config.session_idle_timeout)
                .await
                .map_err(|e| AuthRejection::failed(&e))?;
            Ok(AuthUser::new(claims.sub, [user.role]).in_session(session.id))
        }
        _ => Err(AuthRejection::Unauthenticated(
            "the session has ended: sign in again".into(),
        )),
    }
}

/// Whether `session` was last used longer than `SESSION_IDLE_TIMEOUT_SECS` before `now`.
pub(super) fn idle(auth: &AuthModule, session: &session::Model, now: DateTime<Utc>) -> bool {
    let timeout = chopin_db::chrono::Duration::from_std(auth.config().session_idle_timeout)
        .unwrap_or(chopin_db::chrono::Duration::MAX);
    session
        .last_used_at
        .checked_add_signed(timeout)
        .is_some_and(|until| until <= now)
}

/// Records that `session` is used at `now`: a write at most once a minute (or a tenth of the idle
/// timeout, if that is shorter) per session, not one per request.
async fn touch(
    conn: &DatabaseConnection,
    session: &session::Model,
    now: DateTime<Utc>,
    idle_timeout: Duration,
) -> Result<(), DbErr> {
    let every = (idle_timeout / 10).min(Duration::from_secs(60));
    let since = (now - session.last_used_at).to_std().unwrap_or_default();
    if since < every {
        return Ok(());
    }
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session.id))
        .exec(conn)
        .await?;
    Ok(())
}
