//! Each protection can be turned off by its variable; production refuses what is only safe in
//! development.

use chopin::auth::AuthModule;
use chopin::auth::mail::Outbox;
use serde_json::{Value, json};

use super::{PASSWORD, access, config, start};

#[tokio::test]
async fn without_email_verification_an_account_signs_in_at_once() {
    let h = start(&[("SECURITY_EMAIL_VERIFICATION", "false")]).await;
    assert_eq!(h.signup("eve@example.com", PASSWORD).await.status(), 202);
    let res = h.login("eve@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let res = h
        .app
        .post("/auth/verify-email")
        .json(&json!({"email": "eve@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 404);
    assert!(
        res.text().contains("SECURITY_EMAIL_VERIFICATION=false"),
        "{}",
        res.text()
    );
}

#[tokio::test]
async fn switched_off_features_answer_404_and_leave_the_rest_working() {
    let h = start(&[
        ("SECURITY_EMAIL_VERIFICATION", "false"),
        ("SECURITY_2FA", "false"),
        ("SECURITY_REFRESH_TOKENS", "false"),
        ("SECURITY_SESSIONS", "false"),
        ("SECURITY_PASSWORD_RESET", "false"),
    ])
    .await;
    assert_eq!(h.signup("oscar@example.com", PASSWORD).await.status(), 202);
    let res = h.login("oscar@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let login: Value = res.json();
    assert!(login.get("refresh_token").is_none(), "{login}");
    let token = access(&login);
    assert_eq!(h.get_as("/auth/me", &token).await.status(), 200);
    for (path, body) in [
        ("/auth/totp/enrol", json!({"password": PASSWORD})),
        ("/auth/refresh", json!({"refresh_token": "x"})),
        (
            "/auth/password-reset",
            json!({"email": "oscar@example.com"}),
        ),
    ] {
        assert_eq!(h.post_as(path, &token, &body).await.status(), 404, "{path}");
    }
    assert_eq!(h.get_as("/auth/sessions", &token).await.status(), 404);
}

/// A key to seal two-factor secrets with, as production needs one.
const SEAL_KEY: (&str, &str) = (
    "AUTH_ENCRYPTION_KEY",
    "seal-key-seal-key-seal-key-seal-key-0123",
);

#[test]
fn production_requires_secrets_and_a_mailer() {
    let production = config(&[("APP_ENV", "production"), ("JWT_SECRET", "")]);
    let err = AuthModule::with_mailer(&production, Outbox::new()).expect_err("no secret");
    assert_eq!(
        err.to_string(),
        "`JWT_SECRET` is not set: production signs access tokens with it: set it to a random \
         secret of at least 32 bytes, e.g. the output of `openssl rand -base64 48`"
    );

    let no_seal_key = config(&[("APP_ENV", "production")]);
    let err = AuthModule::with_mailer(&no_seal_key, Outbox::new()).expect_err("no sealing key");
    assert_eq!(
        err.to_string(),
        "`AUTH_ENCRYPTION_KEY` is not set: production seals two-factor secrets with it: set it to \
         a random secret of at least 32 bytes, e.g. the output of `openssl rand -base64 48`, and \
         keep it (to rotate it, move the old one to AUTH_ENCRYPTION_OLD_KEYS)"
    );
    let no_two_factor = config(&[("APP_ENV", "production"), ("SECURITY_2FA", "false")]);
    assert!(
        AuthModule::with_mailer(&no_two_factor, Outbox::new()).is_ok(),
        "nothing to seal"
    );

    let with_secret = config(&[("APP_ENV", "production"), SEAL_KEY]);
    let err = AuthModule::new(&with_secret).expect_err("no mailer");
    assert!(err.to_string().contains("AuthModule::with_mailer"), "{err}");
    assert!(AuthModule::with_mailer(&with_secret, Outbox::new()).is_ok());
    let no_mail = config(&[
        ("APP_ENV", "production"),
        SEAL_KEY,
        ("SECURITY_PASSWORD_RESET", "false"),
        ("SECURITY_EMAIL_VERIFICATION", "false"),
    ]);
    assert!(AuthModule::new(&no_mail).is_ok(), "nothing to mail");

    // Development makes its own secret rather than refuse to start.
    let development = config(&[("JWT_SECRET", "")]);
    assert!(AuthModule::new(&development).is_ok());
}
