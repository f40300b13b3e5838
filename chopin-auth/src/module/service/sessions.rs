//! Sessions and roles: a user's sessions, ending one, an admin setting a role.

use super::*;

pub(crate) async fn sessions(
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

pub(crate) async fn end_session(
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

pub(crate) async fn set_role(db: &Db, id: i64, role: &str) -> Result<User, ChopinError> {
    if !ROLES.contains(&role) {
        return Err(invalid_field(
            "role",
            "must be one of user, moderator, admin",
        ));
    }
    // An application keeps an admin: the only one cannot lose the role (by their own hand or
    // another's). Two admins demoting each other at the same instant can still both succeed;
    // `createadmin` makes a new one.
    if role != ADMIN {
        let target = user::Entity::find_by_id(id)
            .one(&**db)
            .await?
            .ok_or_else(|| ChopinError::not_found(format!("no user {id}")))?;
        if target.role == ADMIN {
            let admins = user::Entity::find()
                .filter(user::Column::Role.eq(ADMIN))
                .count(&**db)
                .await?;
            if admins <= 1 {
                return Err(ChopinError::conflict(
                    "this is the only admin: make another admin first",
                ));
            }
        }
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
