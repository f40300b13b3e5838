//! The account's life: signup, verification, sign-in, the user's routes, refresh, sessions,
//! password changes and roles.

use serde_json::{Value, json};

use super::{
    PASSWORD, access, error, is_reset, is_verification, mail, refresh_token, start, token_of,
};

#[tokio::test]
async fn signup_verify_login_me_and_logout() {
    let h = start(&[]).await;
    let res = h.signup("  Ada@Example.COM ", PASSWORD).await;
    assert_eq!(res.status(), 202, "{}", res.text());
    assert!(res.json::<Value>()["message"].is_string());

    // Not verified yet: the right password is not enough.
    let res = h.login("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 403, "{}", res.text());
    assert_eq!(error(&res), "email_not_verified");

    let verification = mail(&h.outbox, "ada@example.com", is_verification).await;
    let token = token_of(&verification);
    let res = h
        .app
        .post("/auth/verify-email/confirm")
        .json(&json!({"token": token}))
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    let res = h
        .app
        .post("/auth/verify-email/confirm")
        .json(&json!({"token": token}))
        .send()
        .await;
    assert_eq!(res.status(), 403, "a verification code works once");
    assert_eq!(error(&res), "invalid_token");

    // The email is case-folded: any case signs in.
    let res = h.login("ADA@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let login: Value = res.json();
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 900);
    assert_eq!(login["user"]["email"], "ada@example.com");
    assert_eq!(login["user"]["role"], "user");
    assert_eq!(login["user"]["email_verified"], true);
    let user = login["user"].as_object().expect("the user");
    for secret in ["password_hash", "totp_secret", "totp_last_step"] {
        assert!(!user.contains_key(secret), "{secret} is never sent");
    }

    let token = access(&login);
    let res = h.get_as("/auth/me", &token).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>(), login["user"]);
    let res = h.get_as("/notes", &token).await;
    assert_eq!(res.text(), format!("notes of {}", login["user"]["id"]));

    let res = h.post_as("/auth/logout", &token, &json!({})).await;
    assert_eq!(res.status(), 204, "{}", res.text());
    let expired: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        expired.len(),
        3,
        "the three auth cookies expire: {expired:?}"
    );
    assert!(
        expired.iter().all(|c| c.contains("Max-Age=0")),
        "{expired:?}"
    );

    // The session is over: its access token and refresh token no longer work.
    let res = h.get_as("/auth/me", &token).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(h.refresh(&refresh_token(&login)).await.status(), 401);
}

#[tokio::test]
async fn signup_validates_email_and_password() {
    let h = start(&[]).await;
    let res = h.signup("not-an-email", "short").await;
    assert_eq!(res.status(), 422, "{}", res.text());
    let body: Value = res.json();
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    let res = h
        .app
        .post("/auth/signup")
        .json(&json!({"email": "a@example.com", "password": PASSWORD, "role": "admin"}))
        .send()
        .await;
    assert_eq!(res.status(), 422, "no field beyond email and password");
}

/// The `(field, message)` pairs of a `422`.
fn field_errors(res: &chopin::testing::TestResponse) -> Vec<(String, String)> {
    res.json::<Value>()["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
            (text("field"), text("message"))
        })
        .collect()
}

#[tokio::test]
async fn guessable_passwords_are_refused_at_signup_change_and_reset() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    for (email, weak) in [
        ("kai@example.com", "Password123!"),
        ("kai@example.com", "qwertyuiopasdf"),
        ("kai.lee@example.com", "kai.lee@example.com"),
    ] {
        let res = h.signup(email, weak).await;
        assert_eq!(res.status(), 422, "{weak}: {}", res.text());
        let errors = field_errors(&res);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "password");
        assert!(
            errors[0].1.starts_with("is too easy to guess"),
            "{errors:?}"
        );
    }
    let res = h.signup("kai@example.com", "Password123!").await;
    assert!(
        field_errors(&res)[0].1.contains("commonly used password"),
        "zxcvbn's advice is passed on: {}",
        res.text()
    );

    let token = access(&h.account("kai@example.com").await);
    let res = h
        .post_as(
            "/auth/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": "letmein12345"}),
        )
        .await;
    assert_eq!(res.status(), 422, "{}", res.text());
    assert_eq!(field_errors(&res)[0].0, "new_password");

    // A reset: the policy refuses before the code is used up.
    let res = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "kai@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 202);
    let code = token_of(&mail(&h.outbox, "kai@example.com", is_reset).await);
    let reset = |password: &'static str| {
        h.app
            .post("/auth/password-reset/confirm")
            .json(&json!({"token": code, "new_password": password}))
            .send()
    };
    let res = reset("1234567890123456").await;
    assert_eq!(res.status(), 422, "{}", res.text());
    assert_eq!(reset("a fresh and unguessable one").await.status(), 204);
}

#[tokio::test]
async fn a_password_signs_in_however_its_accents_were_typed() {
    let h = start(&[]).await;
    // Signed up with composed characters (one code point per accented letter)...
    let composed = "cr\u{e8}me br\u{fb}l\u{e9}e au caf\u{e9}";
    let decomposed = "cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301}";
    h.account_with("lea@example.com", composed).await;
    // ...and signing in from a keyboard that sends a letter and a combining accent.
    let res = h.login("lea@example.com", decomposed).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        h.login("lea@example.com", "creme brulee au cafe")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let h = start(&[]).await;
    let login = h.account("grace@example.com").await;
    let first = refresh_token(&login);

    let res = h.refresh(&first).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let second: Value = res.json();
    let second_refresh = refresh_token(&second);
    assert_ne!(second_refresh, first, "rotated");
    assert_eq!(h.get_as("/auth/me", &access(&second)).await.status(), 200);

    // The first token again: someone copied it. The whole session ends.
    let res = h.refresh(&first).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().contains("already used"), "{}", res.text());
    assert_eq!(
        h.refresh(&second_refresh).await.status(),
        401,
        "the rotated token of the family is revoked too"
    );
    assert_eq!(h.get_as("/auth/me", &access(&second)).await.status(), 401);
    assert_eq!(h.get_as("/auth/me", &access(&login)).await.status(), 401);

    // Another session of the same user is untouched.
    let res = h.login("grace@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        h.get_as("/auth/me", &access(&res.json())).await.status(),
        200
    );

    assert_eq!(h.refresh("made-up").await.status(), 401);
}

#[tokio::test]
async fn sessions_are_listed_and_ended_by_their_owner() {
    let h = start(&[]).await;
    let phone = h.account("linus@example.com").await;
    let laptop: Value = h.login("linus@example.com", PASSWORD).await.json();
    let other = h.account("ken@example.com").await;

    let res = h.get_as("/auth/sessions", &access(&laptop)).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let sessions: Vec<Value> = res.json();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["current"], true, "newest first: this one");
    assert_eq!(sessions[1]["current"], false);
    assert_eq!(sessions[0]["ip"], "127.0.0.1");
    let phone_session = sessions[1]["id"].as_i64().expect("an id");

    // Another user's session is not theirs to end.
    let res = h
        .app
        .delete(&format!("/auth/sessions/{phone_session}"))
        .header("authorization", &format!("Bearer {}", access(&other)))
        .send()
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(h.get_as("/auth/me", &access(&phone)).await.status(), 200);

    let res = h
        .app
        .delete(&format!("/auth/sessions/{phone_session}"))
        .header("authorization", &format!("Bearer {}", access(&laptop)))
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(h.get_as("/auth/me", &access(&phone)).await.status(), 401);
    assert_eq!(h.refresh(&refresh_token(&phone)).await.status(), 401);
    assert_eq!(h.get_as("/auth/me", &access(&laptop)).await.status(), 200);
    let sessions: Vec<Value> = h.get_as("/auth/sessions", &access(&laptop)).await.json();
    assert_eq!(sessions.len(), 1);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let h = start(&[]).await;
    let here = h.account("barbara@example.com").await;
    let elsewhere: Value = h.login("barbara@example.com", PASSWORD).await.json();

    let res = h
        .post_as(
            "/auth/password",
            &access(&here),
            &json!({"current_password": "wrong password!", "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(
        res.status(),
        403,
        "a wrong password is not a bad token (401)"
    );
    assert_eq!(error(&res), "wrong_password");
    assert_eq!(
        res.json::<Value>()["fields"][0]["field"],
        "current_password"
    );
    let res = h
        .post_as(
            "/auth/password",
            &access(&here),
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["fields"][0]["field"], "new_password");

    let res = h
        .post_as(
            "/auth/password",
            &access(&here),
            &json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
    assert_eq!(h.get_as("/auth/me", &access(&here)).await.status(), 200);
    assert_eq!(
        h.get_as("/auth/me", &access(&elsewhere)).await.status(),
        401
    );
    assert_eq!(h.login("barbara@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        h.login("barbara@example.com", "a brand new password")
            .await
            .status(),
        200
    );
    // The owner is told, in case it was not them.
    mail(&h.outbox, "barbara@example.com", |k| {
        matches!(k, chopin::auth::mail::MailKind::PasswordChanged)
    })
    .await;
}

#[tokio::test]
async fn roles_guard_routes_with_their_hierarchy() {
    let h = start(&[]).await;
    let login = h.account("edsger@example.com").await;
    let id = login["user"]["id"].as_i64().expect("an id");
    let token = access(&login);

    let res = h.get_as("/notes/moderation", &token).await;
    assert_eq!(res.status(), 403, "{}", res.text());
    assert_eq!(h.get_as("/notes/admin", &token).await.status(), 403);
    let res = h
        .app
        .put(&format!("/auth/users/{id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "admin"}))
        .send()
        .await;
    assert_eq!(res.status(), 403, "a user cannot make themself admin");

    // Roles are read from the session's user, so a change applies to tokens already issued.
    h.set_role(id, "moderator").await;
    assert_eq!(h.get_as("/notes/moderation", &token).await.status(), 200);
    assert_eq!(h.get_as("/notes/admin", &token).await.status(), 403);

    h.set_role(id, "admin").await;
    assert_eq!(
        h.get_as("/notes/moderation", &token).await.text(),
        "moderation queue"
    );
    assert_eq!(h.get_as("/notes/admin", &token).await.text(), "admin panel");

    let other = h.account("tony@example.com").await;
    let other_id = other["user"]["id"].as_i64().expect("an id");
    let res = h
        .app
        .put(&format!("/auth/users/{other_id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "moderator"}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["role"], "moderator");
    assert_eq!(
        h.get_as("/notes/moderation", &access(&other))
            .await
            .status(),
        200
    );
    let res = h
        .app
        .put(&format!("/auth/users/{other_id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "owner"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    // `edsger` is the only admin: nobody can take the role from them, themselves included.
    let res = h
        .app
        .put(&format!("/auth/users/{id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "user"}))
        .send()
        .await;
    assert_eq!(res.status(), 409, "{}", res.text());
    assert_eq!(h.get_as("/notes/admin", &token).await.status(), 200);
    // With a second admin, the first may step down.
    h.set_role(other_id, "admin").await;
    let res = h
        .app
        .put(&format!("/auth/users/{id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "moderator"}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let token = access(&other);
    let res = h
        .app
        .put("/auth/users/999999/role")
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "user"}))
        .send()
        .await;
    assert_eq!(res.status(), 404, "{}", res.text());
}

#[tokio::test]
async fn optional_auth_serves_strangers_and_users_and_refuses_bad_tokens() {
    let h = start(&[]).await;
    assert_eq!(
        h.app.get("/notes/greeting").send().await.text(),
        "hello, stranger"
    );
    let login = h.account("alan@example.com").await;
    let res = h.get_as("/notes/greeting", &access(&login)).await;
    assert_eq!(res.text(), format!("hello, user {}", login["user"]["id"]));
    let res = h.get_as("/notes/greeting", "not-a-token").await;
    assert_eq!(res.status(), 401, "a token that is sent must be valid");
}

#[tokio::test]
async fn auth_routes_refuse_requests_without_credentials() {
    let h = start(&[]).await;
    for path in ["/auth/me", "/auth/sessions", "/notes"] {
        let res = h.app.get(path).send().await;
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{path}");
    }
    let res = h
        .app
        .get("/auth/me")
        .header("authorization", "Basic YWRhOnB3")
        .send()
        .await;
    assert_eq!(res.status(), 401);
}
