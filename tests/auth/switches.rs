//! Each protection can be turned off by its variable; production refuses what is only safe in
//! development.

use chopin::auth::AuthModule;
use chopin::auth::mail::Outbox;
use chopin::prelude::*;
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

const NO_SECRET: &str = "`JWT_SECRET` is not set: production signs access tokens with it: set \
                         it to a random secret of at least 32 bytes, e.g. the output of `openssl \
                         rand -base64 48`";
const NO_SEAL_KEY: &str = "`AUTH_ENCRYPTION_KEY` is not set: production seals two-factor secrets \
                           with it: set it to a random secret of at least 32 bytes, e.g. the \
                           output of `openssl rand -base64 48`, and keep it (to rotate it, move \
                           the old one to AUTH_ENCRYPTION_OLD_KEYS)";

/// What `AuthModule` built for `vars` lacks to serve, as the start-up error says it.
fn unmet(module: &AuthModule) -> Vec<String> {
    module.unmet().iter().map(ToString::to_string).collect()
}

#[test]
fn production_lists_what_serving_needs_and_development_needs_nothing() {
    let bare = config(&[("APP_ENV", "production"), ("JWT_SECRET", "")]);
    let module = AuthModule::new(&bare).expect("built without secrets: commands need none");
    let needs = unmet(&module);
    assert_eq!(needs.len(), 3, "{needs:#?}");
    assert_eq!(needs[0], NO_SECRET);
    assert_eq!(needs[1], NO_SEAL_KEY);
    assert!(
        needs[2].starts_with("`SMTP_URL` is not set: production mails password reset"),
        "{needs:#?}"
    );

    let with_mailer = AuthModule::with_mailer(&bare, Outbox::new()).expect("built");
    assert_eq!(unmet(&with_mailer), [NO_SECRET, NO_SEAL_KEY]);
    let no_two_factor = config(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", ""),
        ("SECURITY_2FA", "false"),
    ]);
    let module = AuthModule::with_mailer(&no_two_factor, Outbox::new()).expect("built");
    assert_eq!(unmet(&module), [NO_SECRET], "nothing to seal");
    let no_mail = config(&[
        ("APP_ENV", "production"),
        SEAL_KEY,
        ("SECURITY_PASSWORD_RESET", "false"),
        ("SECURITY_EMAIL_VERIFICATION", "false"),
    ]);
    let module = AuthModule::new(&no_mail).expect("built");
    assert!(unmet(&module).is_empty(), "nothing to mail");
    let complete = config(&[("APP_ENV", "production"), SEAL_KEY]);
    let module = AuthModule::with_mailer(&complete, Outbox::new()).expect("built");
    assert!(unmet(&module).is_empty());

    // Development makes its own secret rather than refuse to start.
    let development = config(&[("JWT_SECRET", "")]);
    assert!(unmet(&AuthModule::new(&development).expect("built")).is_empty());
}

#[tokio::test]
async fn production_refuses_to_serve_naming_every_missing_setting_and_commands_run_without_them() {
    let bare = config(&[("APP_ENV", "production"), ("JWT_SECRET", "")]);
    let app = || {
        App::with_config(bare.clone())
            .mount_module(AuthModule::new(&bare).expect("built"))
            .mount_module(super::Notes)
    };
    // The API description and the route table need no secret and no mailer.
    let out = std::env::temp_dir().join(format!("chopin-auth-openapi-{}.json", std::process::id()));
    let path = out.to_str().expect("a UTF-8 path").to_owned();
    app()
        .run_command_with(&["openapi".to_owned(), "--out".to_owned(), path])
        .await
        .expect("openapi runs in production without secrets");
    let spec: Value = serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("JSON");
    assert!(spec["paths"]["/auth/login"].is_object());
    let _ = std::fs::remove_file(&out);
    app()
        .run_command_with(&["routes".to_owned()])
        .await
        .expect("routes");

    // Serving asks first, and says everything that is missing at once.
    let db = chopin::db::test_db::test_database().await;
    let refused = app()
        .with_db(Db::from_connection(db.conn.clone()))
        .connect()
        .await
        .err()
        .expect("production without its secrets does not start");
    let message = refused.to_string();
    assert!(
        message.starts_with(&format!(
            "3 settings are missing or wrong:\n  - {NO_SECRET}\n  - {NO_SEAL_KEY}\n  - \
             `SMTP_URL` is not set"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreachable_smtp_relay_delays_no_answer_and_a_malformed_smtp_url_is_named() {
    // A relay that takes connections and never says a word: each attempt waits for its greeting.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "smtp://user:hunter2hunter2@{}?tls=none",
        silent.local_addr().expect("its address")
    );
    let config = config(&[
        ("SMTP_URL", url.as_str()),
        ("MAIL_FROM", "Blog <blog@example.com>"),
    ]);
    let auth = AuthModule::new(&config).expect("AuthModule with SMTP");
    let db = chopin::db::test_db::test_database().await;
    let app = App::with_config(config.clone())
        .mount_module(auth)
        .mount_module(super::Notes)
        .with_db(Db::from_connection(db.conn.clone()))
        .with_cache(chopin::cache::test_cache().await);
    app.migrate().await.expect("migrate");
    let app = chopin::testing::TestApp::spawn(app).await;
    // The mail is queued and its delivery retried in the background: the answer does not wait.
    let started = std::time::Instant::now();
    let res = app
        .post("/auth/signup")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status(), 202, "{}", res.text());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "signup waited for the relay: {:?}",
        started.elapsed()
    );
    assert!(!res.text().contains("hunter2"));
    drop(silent);

    for (url, shown) in [
        (
            "ftp://user:hunter2hunter2@mail.example.com",
            "ftp://user:***@",
        ),
        ("smtp://user:hunter2hunter2@", "smtp://user:***@"),
        (
            "smtp://user:hunter2hunter2@mail.example.com:587?tls=sometimes",
            "smtp://user:***@",
        ),
    ] {
        let bad = super::config(&[("SMTP_URL", url), ("MAIL_FROM", "blog@example.com")]);
        let message = AuthModule::new(&bad).expect_err(url).to_string();
        assert!(
            message.starts_with("invalid value for `SMTP_URL`"),
            "{message}"
        );
        assert!(message.contains(shown), "{message}");
        assert!(
            !message.contains("hunter2"),
            "the password is shown: {message}"
        );
    }
    // `SMTP_URL` without `MAIL_FROM`: named when serving.
    let no_sender = super::config(&[("SMTP_URL", "smtp://127.0.0.1:2525?tls=none")]);
    let module = AuthModule::new(&no_sender).expect("built");
    let unmet: Vec<String> = module.unmet().iter().map(ToString::to_string).collect();
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert!(unmet[0].starts_with("`MAIL_FROM` is not set"), "{unmet:?}");
}
