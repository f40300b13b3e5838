//! Two-factor authentication: enrolment, sign-in with codes and backup codes, replays refused.

use chopin::auth::totp::{STEP_SECS, Totp};
use serde_json::{Value, json};

use chopin::auth::mail::MailKind;

use super::{PASSWORD, access, error, mail, start};

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

#[tokio::test]
async fn enrol_confirm_sign_in_with_codes_and_disable() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let login = h.account("ida@example.com").await;
    let token = access(&login);

    let res = h
        .post_as("/auth/totp/enrol", &token, &json!({"password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let enrolment: Value = res.json();
    let secret = enrolment["secret"].as_str().expect("a secret");
    let url = enrolment["otpauth_url"].as_str().expect("a URL");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(secret), "{url}");
    let totp = Totp::from_base32(secret).expect("base32");

    // Until confirmed, signing in needs no code.
    assert_eq!(h.login("ida@example.com", PASSWORD).await.status(), 200);

    let res = h
        .post_as(
            "/auth/totp/confirm",
            &token,
            &json!({"password": PASSWORD, "code": "000000"}),
        )
        .await;
    assert_eq!(res.status(), 403, "a wrong code does not confirm");
    assert_eq!(error(&res), "totp_invalid");
    let now = unix_now();
    let res = h
        .post_as(
            "/auth/totp/confirm",
            &token,
            &json!({"password": PASSWORD, "code": totp.code_at(now)}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let codes: Vec<String> =
        serde_json::from_value(res.json::<Value>()["backup_codes"].clone()).expect("backup codes");
    assert_eq!(codes.len(), 10);
    let res = h
        .post_as("/auth/totp/enrol", &token, &json!({"password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 409, "already on");

    // The password alone is no longer enough.
    let res = h.login("ida@example.com", PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error(&res), "totp_required");

    let with = |code: String| {
        h.app
            .post("/auth/login")
            .json(&json!({"email": "ida@example.com", "password": PASSWORD, "totp_code": code}))
            .send()
    };
    // The code that confirmed the enrolment was used: it is refused, as a replay.
    let res = with(totp.code_at(now)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error(&res), "totp_invalid");
    // The next step's code is inside the window, and works once.
    let next = totp.code_at(now + STEP_SECS);
    let res = with(next.clone()).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let res = with(next).await;
    assert_eq!(res.status(), 401, "a code is never accepted twice");
    assert_eq!(error(&res), "totp_invalid");

    // A backup code works once, in any case and with its dash or not.
    let res = with(codes[0].to_uppercase()).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let res = with(codes[0].replace('-', "")).await;
    assert_eq!(res.status(), 401, "used up");

    let res = h
        .post_as(
            "/auth/totp/disable",
            &token,
            &json!({"password": "wrong password!", "code": codes[1]}),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(error(&res), "wrong_password");
    let res = h
        .post_as(
            "/auth/totp/disable",
            &token,
            &json!({"password": PASSWORD, "code": codes[1]}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(h.login("ida@example.com", PASSWORD).await.status(), 200);
    // The owner is told of each change of the second factor.
    mail(&h.outbox, "ida@example.com", |k| {
        matches!(k, MailKind::TwoFactorEnabled)
    })
    .await;
    mail(&h.outbox, "ida@example.com", |k| {
        matches!(k, MailKind::TwoFactorDisabled)
    })
    .await;
    // Each used code presented again (the confirming one, then `next`) was told to the owner;
    // wrong codes and used-up backup codes were not (ASVS 2.8.5).
    let reused = || {
        h.outbox
            .to("ida@example.com")
            .into_iter()
            .filter(|m| m.kind == MailKind::TotpReused)
            .count()
    };
    for _ in 0..100 {
        if reused() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(reused(), 2, "{:#?}", h.outbox.to("ida@example.com"));
}

#[tokio::test]
async fn a_stolen_access_token_cannot_enrol_or_confirm_a_second_factor() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let login = h.account("victim@example.com").await;
    // What an attacker holds: the access token, not the password.
    let stolen = access(&login);
    for body in [json!({}), json!({"password": "a guessed password"})] {
        let res = h.post_as("/auth/totp/enrol", &stolen, &body).await;
        assert!(
            matches!(res.status().as_u16(), 403 | 422),
            "enrol with {body}: {} {}",
            res.text(),
            res.status()
        );
    }
    let res = h
        .post_as(
            "/auth/totp/enrol",
            &stolen,
            &json!({"password": "a guessed password"}),
        )
        .await;
    assert_eq!(error(&res), "wrong_password");
    // Nor can it confirm an enrolment the owner started, with a code of its own.
    let res = h
        .post_as("/auth/totp/enrol", &stolen, &json!({"password": PASSWORD}))
        .await;
    let secret = res.json::<Value>()["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let code = Totp::from_base32(&secret)
        .expect("base32")
        .code_at(unix_now());
    for body in [
        json!({"code": code}),
        json!({"password": "a guessed password", "code": code}),
    ] {
        let res = h.post_as("/auth/totp/confirm", &stolen, &body).await;
        assert!(
            matches!(res.status().as_u16(), 403 | 422),
            "confirm with {body}: {}",
            res.status()
        );
    }
    // The victim still signs in with the password alone.
    assert_eq!(h.login("victim@example.com", PASSWORD).await.status(), 200);
}

/// `auth_users.totp_secret` of `email`, as stored.
async fn stored_secret(h: &super::Harness, email: &str) -> String {
    use chopin::auth::user;
    use chopin::db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&h.db.conn)
        .await
        .expect("the users table")
        .and_then(|u| u.totp_secret)
        .expect("a TOTP secret")
}

#[tokio::test]
async fn the_totp_secret_is_sealed_in_the_database_and_old_clear_ones_are_sealed_on_use() {
    use chopin::auth::user;
    use chopin::db::sea_orm::sea_query::Expr;
    use chopin::db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let token = access(&h.account("sam@example.com").await);
    let res = h
        .post_as("/auth/totp/enrol", &token, &json!({"password": PASSWORD}))
        .await;
    let secret = res.json::<Value>()["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let stored = stored_secret(&h, "sam@example.com").await;
    assert!(stored.starts_with("v1."), "{stored}");
    assert!(!stored.contains(&secret), "the secret in clear: {stored}");
    let totp = Totp::from_base32(&secret).expect("base32");
    let now = unix_now();
    let res = h
        .post_as(
            "/auth/totp/confirm",
            &token,
            &json!({"password": PASSWORD, "code": totp.code_at(now)}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());

    // A secret stored in clear (before sealing existed) still signs in, and is then sealed.
    user::Entity::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(secret.clone()))
        .filter(user::Column::Email.eq("sam@example.com"))
        .exec(&h.db.conn)
        .await
        .expect("store the secret in clear");
    let res = h
        .app
        .post("/auth/login")
        .json(&json!({
            "email": "sam@example.com",
            "password": PASSWORD,
            "totp_code": totp.code_at(now + STEP_SECS),
        }))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let resealed = stored_secret(&h, "sam@example.com").await;
    assert!(resealed.starts_with("v1.") && !resealed.contains(&secret));
}
