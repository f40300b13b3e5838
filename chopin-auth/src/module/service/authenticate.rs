//! Authentication of requests: the access token (bearer or cookie), its session, CSRF.

use super::*;

/// The user of a request: its bearer token, or its `chopin_access` cookie (then with the CSRF
/// check on unsafe methods), checked against its session when sessions are on.
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
