//! Two-factor authentication: TOTP enrolment, confirmation with backup codes, disabling.

use super::*;

pub(super) fn two_factor(auth: &AuthModule) -> Result<(), ChopinError> {
    feature(
        auth.config().two_factor,
        "two-factor authentication",
        "SECURITY_2FA",
    )
}

/// What the TOTP secret of `user` is sealed with: the account's id, so a sealed secret copied
/// into another row does not open.
fn totp_context(user: i64) -> String {
    format!("totp|{user}")
}

/// The account's TOTP secret (pending or in use), opened, and whether its stored form is stale
/// (sealed with an old key, or stored in clear before sealing existed): seal it again once the
/// code it checks is right ([`reseal_totp`]).
///
/// # Errors
/// A sealed secret that does not open: a key was dropped too early, or the row was altered.
/// The account cannot use two-factor until an operator restores the key; a `500`, logged.
pub(super) fn totp_of(
    auth: &AuthModule,
    account: &user::Model,
) -> Result<Option<(Totp, bool)>, ChopinError> {
    let Some(stored) = account.totp_secret.as_deref() else {
        return Ok(None);
    };
    if !Sealer::is_sealed(stored) {
        return Ok(Totp::from_base32(stored).map(|totp| (totp, true)));
    }
    let (secret, stale) = auth
        .inner
        .sealer
        .open(stored, &totp_context(account.id))
        .map_err(|error| {
            tracing::error!(user = account.id, %error, "a TOTP secret does not open");
            ChopinError::internal(error)
        })?;
    Ok(Totp::from_base32(&secret).map(|totp| (totp, stale)))
}

/// `secret` sealed for `user`, as `auth_users.totp_secret` holds it.
fn sealed_totp(auth: &AuthModule, user: i64, secret: &str) -> String {
    auth.inner.sealer.seal(secret, &totp_context(user))
}

/// Stores the account's TOTP secret sealed with the current key.
pub(super) async fn reseal_totp(
    auth: &AuthModule,
    conn: &DatabaseConnection,
    user: i64,
    totp: &Totp,
) -> Result<(), ChopinError> {
    user::Entity::update_many()
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(sealed_totp(auth, user, &totp.base32())),
        )
        .filter(user::Column::Id.eq(user))
        .exec(conn)
        .await?;
    Ok(())
}

/// `403 wrong_password` unless `password` is the account's: every change of a second factor
/// asks for it again, so that an access token alone cannot make one.
async fn reauthenticate(
    auth: &AuthModule,
    cache: &Cache,
    account: &user::Model,
    password: &str,
) -> Result<(), ChopinError> {
    check_proofs(auth, cache, account.id).await?;
    let right = auth
        .hashing()
        .verify(password, &account.password_hash)
        .await?;
    if right {
        Ok(())
    } else {
        record_wrong_proof(auth, cache, account.id).await?;
        Err(wrong_proof(
            "wrong_password",
            "password",
            "is not the account's password",
        ))
    }
}

pub(crate) async fn totp_enrol(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    user: &AuthUser,
    password: &str,
) -> Result<TotpEnrolment, ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    reauthenticate(auth, cache, &account, password).await?;
    if account.totp_enabled {
        return Err(ChopinError::conflict(
            "two-factor authentication is already on: disable it first",
        ));
    }
    let totp = Totp::generate();
    let secret = totp.base32();
    user::Entity::update_many()
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(sealed_totp(auth, account.id, &secret)),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    Ok(TotpEnrolment {
        otpauth_url: totp.otpauth_url(&auth.inner.issuer, &account.email),
        secret,
    })
}

pub(crate) async fn totp_confirm(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    user: &AuthUser,
    body: TotpCode,
) -> Result<BackupCodes, ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    reauthenticate(auth, cache, &account, &body.password).await?;
    let code = body.code.as_str();
    if account.totp_enabled {
        return Err(ChopinError::conflict(
            "two-factor authentication is already on",
        ));
    }
    let Some((totp, stale)) = totp_of(auth, &account)? else {
        return Err(ChopinError::conflict(
            "no enrolment to confirm: start with POST /auth/totp/enrol",
        ));
    };
    let unix = u64::try_from(now().timestamp()).unwrap_or_default();
    let Some(step) = totp.verify(code, unix, None) else {
        record_wrong_proof(auth, cache, account.id).await?;
        return Err(wrong_proof(
            "totp_invalid",
            "code",
            "is not the authenticator's current code",
        ));
    };
    if stale {
        reseal_totp(auth, db, account.id, &totp).await?;
    }
    user::Entity::update_many()
        .col_expr(user::Column::TotpEnabled, Expr::value(true))
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    delete_backup_codes(db, account.id).await?;
    let codes = backup_codes(BACKUP_CODES);
    let now = now();
    let mut rows = Vec::with_capacity(codes.len());
    for code in &codes {
        let hash = auth.hashing().hash(&normalize_backup_code(code)).await?;
        rows.push(one_time_token::ActiveModel {
            user_id: Set(account.id),
            purpose: Set(BACKUP_CODE.to_owned()),
            token_hash: Set(hash),
            expires_at: Set(None),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
    }
    one_time_token::Entity::insert_many(rows)
        .exec(&**db)
        .await?;
    let (auth, email) = (auth.clone(), account.email);
    in_background("two-factor-enabled mail", async move {
        send(&auth, Mail::two_factor_enabled(&email)).await
    });
    Ok(BackupCodes {
        backup_codes: codes,
    })
}

pub(super) async fn delete_backup_codes(
    conn: &DatabaseConnection,
    user_id: i64,
) -> Result<(), ChopinError> {
    one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(BACKUP_CODE))
        .exec(conn)
        .await?;
    Ok(())
}

pub(crate) async fn totp_disable(
    auth: &AuthModule,
    db: &Db,
    cache: &Cache,
    user: &AuthUser,
    body: TotpDisable,
) -> Result<(), ChopinError> {
    two_factor(auth)?;
    let account = find_user(db, user_id(user)?).await?;
    if !account.totp_enabled {
        return Err(ChopinError::conflict("two-factor authentication is off"));
    }
    reauthenticate(auth, cache, &account, &body.password).await?;
    if !second_factor(auth, db, &account, body.code.trim()).await? {
        record_wrong_proof(auth, cache, account.id).await?;
        return Err(wrong_proof(
            "totp_invalid",
            "code",
            "is not a current code or an unused backup code",
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::TotpEnabled, Expr::value(false))
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(account.id))
        .exec(&**db)
        .await?;
    delete_backup_codes(db, account.id).await?;
    let (auth, email) = (auth.clone(), account.email);
    in_background("two-factor-disabled mail", async move {
        send(&auth, Mail::two_factor_disabled(&email)).await
    });
    Ok(())
}
