//! Password reset and email verification: codes by mail, single use, expiring.

use std::time::Duration;

use serde_json::{Value, json};

use super::{PASSWORD, access, error, is_reset, is_verification, mail, start, token_of};

#[tokio::test]
async fn a_reset_code_sets_a_new_password_once_and_ends_every_session() {
    let h = start(&[]).await;
    let before = h.account("hedy@example.com").await;

    let res = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "Hedy@Example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 202, "{}", res.text());
    let token = token_of(&mail(&h.outbox, "hedy@example.com", is_reset).await);
    assert!(
        !res.text().contains(&token),
        "the code travels by mail only"
    );

    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "short"}))
        .send()
        .await;
    assert_eq!(res.status(), 422, "the policy applies");
    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "a whole new password"}))
        .send()
        .await;
    assert_eq!(
        res.status(),
        204,
        "a refused password did not use the code up: {}",
        res.text()
    );

    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "yet another password"}))
        .send()
        .await;
    assert_eq!(res.status(), 403, "single use");
    assert_eq!(error(&res), "invalid_token");

    assert_eq!(h.get_as("/auth/me", &access(&before)).await.status(), 401);
    assert_eq!(h.login("hedy@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        h.login("hedy@example.com", "a whole new password")
            .await
            .status(),
        200
    );
    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": "made-up", "new_password": "a whole new password"}))
        .send()
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn reset_and_verification_codes_expire() {
    let h = start(&[
        ("PASSWORD_RESET_EXPIRY_SECS", "1"),
        ("EMAIL_VERIFICATION_EXPIRY_SECS", "1"),
    ])
    .await;
    assert_eq!(h.signup("joan@example.com", PASSWORD).await.status(), 202);
    let verification = token_of(&mail(&h.outbox, "joan@example.com", is_verification).await);
    let res = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "joan@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 202);
    let reset = token_of(&mail(&h.outbox, "joan@example.com", is_reset).await);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": reset, "new_password": "a whole new password"}))
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(error(&res), "invalid_token");
    let res = h
        .app
        .post("/auth/verify-email/confirm")
        .json(&json!({"token": verification}))
        .send()
        .await;
    assert_eq!(res.status(), 403);

    // A new verification code can be asked for, and works.
    h.outbox.clear();
    let res = h
        .app
        .post("/auth/verify-email")
        .json(&json!({"email": "joan@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 202);
    let fresh = token_of(&mail(&h.outbox, "joan@example.com", is_verification).await);
    let res = h
        .app
        .post("/auth/verify-email/confirm")
        .json(&json!({"token": fresh}))
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    let res = h.login("joan@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["user"]["email_verified"], true);
}

#[tokio::test]
async fn a_reset_code_mailed_before_a_password_change_no_longer_works() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let login = h.account("grace@example.com").await;
    let res = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "grace@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 202);
    let code = token_of(&mail(&h.outbox, "grace@example.com", is_reset).await);
    // The owner changes the password while signed in: the code in the mailbox is void.
    let res = h
        .post_as(
            "/auth/password",
            &access(&login),
            &json!({"current_password": PASSWORD, "new_password": "the owner's new password"}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    let res = h
        .app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": code, "new_password": "an attacker's password"}))
        .send()
        .await;
    assert_eq!(res.status(), 403, "{}", res.text());
    assert_eq!(error(&res), "invalid_token");
    assert_eq!(
        h.login("grace@example.com", "the owner's new password")
            .await
            .status(),
        200
    );
}
