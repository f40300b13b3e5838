//! Accounts: signup, one-time tokens by mail (reset, verification), passwords.

use super::*;

/// The same answer whether or not the email was free.
pub(super) fn signup_message(auth: &AuthModule) -> String {
    if auth.config().email_verification {
        "if this email can be used, a verification code is on its way to it".to_owned()
    } else {
        "if this email was free, its account is ready: sign in".to_owned()
    }
}

/// A new account's row: `email` (normalised), `role`, whether its email counts as verified, and
/// the hash of its password; two-factor off. Signup and `createadmin` make accounts this way.
pub(in crate::module) fn new_account(
    email: &str,
    role: &str,
    email_verified: bool,
    password_hash: String,
) -> user::ActiveModel {
    let now = now();
    user::ActiveModel {
        email: Set(email.to_owned()),
        role: Set(role.to_owned()),
        email_verified: Set(email_verified),
        totp_enabled: Set(false),
        password_hash: Set(password_hash),
        totp_secret: Set(None),
        totp_last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub(crate) async fn signup(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    body: SignupRequest,
) -> Result<Accepted, ChopinError> {
    rate_limit(auth, cache, "signup", client).await?;
    let config = auth.config();
    let mut errors = Vec::new();
    let email = checked_email(&body.email).map_err(|e| errors.extend(e.fields().to_vec()));
    let inputs: &[&str] = match &email {
        Ok(email) => &[email.as_str()],
        Err(()) => &[],
    };
    if let Err(message) = password_policy(auth, &body.password, inputs).await? {
        errors.push(FieldError::new("password", message));
    }
    db_rules::invalid_if_any(errors)?;
    let Ok(email) = email else {
        unreachable!("an invalid email is in `errors`")
    };
    // Hashed whether or not the email is free, so the answer takes as long either way.
    let hash = auth.hashing().hash(&body.password).await?;
    let existing = find_user_by_email(db, &email).await?;
    if existing.is_none() {
        let created = new_account(&email, ROLES[0], !config.email_verification, hash)
            .insert(&**db)
            .await;
        match created {
            Ok(user) => {
                if config.email_verification {
                    let (auth, db) = (auth.clone(), db.clone());
                    in_background("verification mail", async move {
                        send_verification(&auth, &db, &user).await
                    });
                }
                return Ok(Accepted {
                    message: signup_message(auth),
                });
            }
            // Another signup for the same email won the race: answer as for a taken email.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if config.email_verification || config.password_reset {
        let auth = auth.clone();
        in_background("already-registered mail", async move {
            send(&auth, Mail::already_registered(&email)).await
        });
    }
    Ok(Accepted {
        message: signup_message(auth),
    })
}

/// Stores a new single-use token of `purpose` for `user` and returns it.
pub(super) async fn new_token(
    conn: &DatabaseConnection,
    user_id: i64,
    purpose: &str,
    ttl: Duration,
) -> Result<String, ChopinError> {
    let token = random_token();
    let now = now();
    one_time_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(Some(now + span(ttl))),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

pub(super) async fn send_verification(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
) -> Result<(), ChopinError> {
    let ttl = auth.config().email_verification_ttl;
    let token = new_token(conn, user.id, EMAIL_VERIFICATION, ttl).await?;
    send(auth, Mail::email_verification(&user.email, &token)).await
}

/// Uses up the token of `purpose`: at most once, before it expires.
pub(super) async fn consume_token(
    conn: &DatabaseConnection,
    purpose: &str,
    token: &str,
) -> Result<one_time_token::Model, ChopinError> {
    let now = now();
    let row = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash_token(token.trim())))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at.is_some_and(|at| at > now))
        .ok_or_else(invalid_token)?;
    let claimed = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(row.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    if claimed.rows_affected == 1 {
        Ok(row)
    } else {
        Err(invalid_token())
    }
}

/// A request for a mailed code of `purpose` (`PASSWORD_RESET` or `EMAIL_VERIFICATION`): answered
/// at once and alike for any address; the lookup and the mail happen afterwards.
pub(crate) async fn mail_request(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    client: ClientAddr,
    body: EmailAddress,
    purpose: &'static str,
) -> Result<Accepted, ChopinError> {
    let config = auth.config();
    if purpose == PASSWORD_RESET {
        feature(
            config.password_reset,
            "password reset",
            "SECURITY_PASSWORD_RESET",
        )?;
    } else {
        feature(
            config.email_verification,
            "email verification",
            "SECURITY_EMAIL_VERIFICATION",
        )?;
    }
    rate_limit(auth, cache, purpose, client).await?;
    let email = checked_email(&body.email)?;
    let (auth2, db) = (auth.clone(), db.clone());
    in_background(purpose, async move {
        let Some(user) = find_user_by_email(&db, &email).await? else {
            return Ok(());
        };
        if purpose == PASSWORD_RESET {
            let ttl = auth2.config().password_reset_ttl;
            let token = new_token(&db, user.id, PASSWORD_RESET, ttl).await?;
            send(&auth2, Mail::password_reset(&user.email, &token)).await
        } else if !user.email_verified {
            send_verification(&auth2, &db, &user).await
        } else {
            Ok(())
        }
    });
    let what = if purpose == PASSWORD_RESET {
        "a password reset code"
    } else {
        "a verification code"
    };
    Ok(Accepted {
        message: format!("if an account uses this email, {what} is on its way to it"),
    })
}

pub(crate) async fn reset_password(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    body: NewPassword,
) -> Result<(), ChopinError> {
    let config = auth.config();
    feature(
        config.password_reset,
        "password reset",
        "SECURITY_PASSWORD_RESET",
    )?;
    // The policy first: a password it refuses does not use the code up.
    password_policy(auth, &body.new_password, &[])
        .await?
        .map_err(|m| invalid_field("new_password", m))?;
    let token = consume_token(db, PASSWORD_RESET, &body.token).await?;
    let user = find_user(db, token.user_id).await?;
    // Every other reset code of the account is void (set_password), and every session ends.
    set_password(auth, db, &user, &body.new_password).await?;
    revoke_sessions(db, user.id, None).await?;
    clear_failures(cache, &user.email, None).await?;
    let (auth, email) = (auth.clone(), user.email.clone());
    in_background("password-changed mail", async move {
        send(&auth, Mail::password_changed(&email)).await
    });
    Ok(())
}

pub(crate) async fn verify_email(
    auth: &AuthModule,
    db: &Db,
    token: &str,
) -> Result<(), ChopinError> {
    feature(
        auth.config().email_verification,
        "email verification",
        "SECURITY_EMAIL_VERIFICATION",
    )?;
    let token = consume_token(db, EMAIL_VERIFICATION, token).await?;
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(token.user_id))
        .exec(&**db)
        .await?;
    Ok(())
}

pub(super) async fn set_password(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: &user::Model,
    password: &str,
) -> Result<(), ChopinError> {
    let hash = auth.hashing().hash(password).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user.id))
        .exec(conn)
        .await?;
    // A reset code mailed before the change would undo it: every one still open is void.
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now()))
        .filter(one_time_token::Column::UserId.eq(user.id))
        .filter(one_time_token::Column::Purpose.eq(PASSWORD_RESET))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub(crate) async fn me(db: &Db, user: &AuthUser) -> Result<User, ChopinError> {
    Ok(find_user(db, user_id(user)?).await?.into())
}

pub(crate) async fn change_password(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    user: &AuthUser,
    body: ChangePassword,
) -> Result<(), ChopinError> {
    let account = find_user(db, user_id(user)?).await?;
    check_proofs(auth, cache, account.id).await?;
    let right = auth
        .hashing()
        .verify(&body.current_password, &account.password_hash)
        .await?;
    if !right {
        record_wrong_proof(auth, cache, account.id).await?;
        return Err(wrong_proof(
            "wrong_password",
            "current_password",
            "is not the account's password",
        ));
    }
    password_policy(auth, &body.new_password, &[account.email.as_str()])
        .await?
        .map_err(|m| invalid_field("new_password", m))?;
    set_password(auth, db, &account, &body.new_password).await?;
    revoke_sessions(db, account.id, user.session).await?;
    let (auth, email) = (auth.clone(), account.email);
    in_background("password-changed mail", async move {
        send(&auth, Mail::password_changed(&email)).await
    });
    Ok(())
}
