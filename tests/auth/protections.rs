//! Rate limits, lockout, CSRF, and answers that do not tell whether an email has an account.

use std::time::Duration;

use serde_json::{Value, json};

use super::{PASSWORD, access, cookies, error, start};
use chopin::auth::mail::MailKind;
use chopin::testing::TestResponse;

fn retry_after(res: &TestResponse) -> u64 {
    res.header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a retry-after in seconds: {:?}", res.headers()))
}

#[tokio::test]
async fn logins_from_one_address_are_rate_limited() {
    let h = start(&[
        ("RATE_LIMIT_MAX_ATTEMPTS", "3"),
        ("RATE_LIMIT_WINDOW_SECS", "60"),
        ("SECURITY_LOCKOUT", "false"),
    ])
    .await;
    for _ in 0..3 {
        let res = h.login("nobody@example.com", "wrong password!").await;
        assert_eq!(res.status(), 401);
    }
    let res = h.login("nobody@example.com", "wrong password!").await;
    assert_eq!(res.status(), 429, "{}", res.text());
    assert_eq!(error(&res), "too_many_requests");
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "{wait}");
    // Signup counts on its own.
    assert_eq!(h.signup("new@example.com", PASSWORD).await.status(), 202);
}

#[tokio::test]
async fn password_reset_requests_are_rate_limited() {
    let h = start(&[("RATE_LIMIT_MAX_ATTEMPTS", "2")]).await;
    for _ in 0..2 {
        let res = h
            .app
            .post("/auth/password-reset")
            .json(&json!({"email": "someone@example.com"}))
            .send()
            .await;
        assert_eq!(res.status(), 202);
    }
    let res = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "someone@example.com"}))
        .send()
        .await;
    assert_eq!(res.status(), 429);
    assert!(retry_after(&res) >= 1);
}

#[tokio::test]
async fn failed_logins_lock_the_account_for_a_while() {
    let h = start(&[
        ("SECURITY_RATE_LIMIT", "false"),
        ("LOCKOUT_MAX_ATTEMPTS", "3"),
        ("LOCKOUT_DURATION_SECS", "2"),
    ])
    .await;
    h.account("kim@example.com").await;
    for _ in 0..3 {
        assert_eq!(
            h.login("kim@example.com", "wrong password!").await.status(),
            401
        );
    }
    // Locked: even the right password is refused until the lock ends.
    let res = h.login("KIM@example.com", PASSWORD).await;
    assert_eq!(res.status(), 423, "{}", res.text());
    assert_eq!(error(&res), "locked");
    let wait = retry_after(&res);
    assert!((1..=2).contains(&wait), "{wait}");

    // An unknown email locks the same way: a lock does not tell that an account exists.
    for _ in 0..3 {
        assert_eq!(
            h.login("ghost@example.com", "wrong password!")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        h.login("ghost@example.com", "wrong password!")
            .await
            .status(),
        423
    );

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = h.login("kim@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "the lock has ended: {}", res.text());
    // A success clears the failures: two more are not a lock.
    for _ in 0..2 {
        assert_eq!(
            h.login("kim@example.com", "wrong password!").await.status(),
            401
        );
    }
    assert_eq!(h.login("kim@example.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn cookie_authentication_needs_the_csrf_token_on_unsafe_methods() {
    let h = start(&[]).await;
    h.account("carol@example.com").await;
    let res = h.login("carol@example.com", PASSWORD).await;
    let set = cookies(&res);
    let session = format!(
        "chopin_access={}; chopin_csrf={}",
        set["chopin_access"], set["chopin_csrf"]
    );
    let raw: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let access_cookie = raw
        .iter()
        .find(|c| c.starts_with("chopin_access="))
        .expect("the access cookie");
    assert!(access_cookie.contains("HttpOnly"), "{access_cookie}");
    assert!(access_cookie.contains("SameSite=Lax"), "{access_cookie}");
    let csrf_cookie = raw
        .iter()
        .find(|c| c.starts_with("chopin_csrf="))
        .expect("the csrf cookie");
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "scripts read it: {csrf_cookie}"
    );
    let refresh_cookie = raw
        .iter()
        .find(|c| c.starts_with("chopin_refresh="))
        .expect("the refresh cookie");
    assert!(refresh_cookie.contains("Path=/auth"), "{refresh_cookie}");
    assert!(
        refresh_cookie.contains("SameSite=Strict"),
        "{refresh_cookie}"
    );

    // A safe method passes on the cookie alone.
    let res = h.app.get("/notes").header("cookie", &session).send().await;
    assert_eq!(res.status(), 200, "{}", res.text());

    // An unsafe one needs the header to repeat the cookie.
    let res = h
        .app
        .post("/notes")
        .header("cookie", &session)
        .body("forged")
        .send()
        .await;
    assert_eq!(res.status(), 403, "{}", res.text());
    let res = h
        .app
        .post("/notes")
        .header("cookie", &session)
        .header("x-csrf-token", "a guess")
        .body("forged")
        .send()
        .await;
    assert_eq!(res.status(), 403);
    let res = h
        .app
        .post("/notes")
        .header("cookie", &session)
        .header("x-csrf-token", &set["chopin_csrf"])
        .body("hello")
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());

    // Refreshing from the cookie is checked the same way.
    let refresh = format!(
        "chopin_refresh={}; chopin_csrf={}",
        set["chopin_refresh"], set["chopin_csrf"]
    );
    let res = h
        .app
        .post("/auth/refresh")
        .header("cookie", &refresh)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(res.status(), 403, "{}", res.text());
    let res = h
        .app
        .post("/auth/refresh")
        .header("cookie", &refresh)
        .header("x-csrf-token", &set["chopin_csrf"])
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());

    // A bearer token is not sent by browsers on their own: no CSRF check.
    let login: Value = h.login("carol@example.com", PASSWORD).await.json();
    let res = h
        .app
        .post("/notes")
        .header("authorization", &format!("Bearer {}", access(&login)))
        .body("hello")
        .send()
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_csrf_token_the_attacker_chose_or_of_another_session_is_refused() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    h.account("dora@example.com").await;
    let first = cookies(&h.login("dora@example.com", PASSWORD).await);
    let second = cookies(&h.login("dora@example.com", PASSWORD).await);
    assert_ne!(
        first["chopin_csrf"], second["chopin_csrf"],
        "one per session"
    );
    let post = |cookie: String, header: String| {
        h.app
            .post("/notes")
            .header("cookie", &cookie)
            .header("x-csrf-token", &header)
            .body("forged")
            .send()
    };
    // A pair the attacker planted (a cookie set from a sibling subdomain, say), header to match.
    let planted = format!(
        "chopin_access={}; chopin_csrf=attacker",
        first["chopin_access"]
    );
    let res = post(planted, "attacker".to_owned()).await;
    assert_eq!(res.status(), 403, "{}", res.text());
    // The token of another session of the same user.
    let crossed = format!(
        "chopin_access={}; chopin_csrf={}",
        first["chopin_access"], second["chopin_csrf"]
    );
    let res = post(crossed, second["chopin_csrf"].clone()).await;
    assert_eq!(res.status(), 403, "{}", res.text());
    // The session's own token passes, whatever the cookie holds now.
    let own = format!(
        "chopin_access={}; chopin_csrf=attacker",
        first["chopin_access"]
    );
    let res = post(own, first["chopin_csrf"].clone()).await;
    assert_eq!(res.status(), 201, "{}", res.text());
}

#[tokio::test]
async fn over_https_the_cookies_are_host_only_and_secure() {
    let h = start(&[
        ("APP_ENV", "production"),
        (
            "AUTH_ENCRYPTION_KEY",
            "seal-key-seal-key-seal-key-seal-key-0123",
        ),
        ("SECURITY_RATE_LIMIT", "false"),
    ])
    .await;
    h.account("hana@example.com").await;
    let res = h.login("hana@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let raw: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let set = cookies(&res);
    let mut names: Vec<&str> = set.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "__Host-chopin_access",
            "__Host-chopin_csrf",
            "__Secure-chopin_refresh"
        ]
    );
    for cookie in &raw {
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(!cookie.contains("Domain="), "{cookie}");
        if cookie.starts_with("__Host-") {
            assert!(
                cookie.contains("Path=/;") || cookie.ends_with("Path=/"),
                "{cookie}"
            );
        }
    }
    // The prefixed cookie authenticates; the plain name is not read.
    let prefixed = format!(
        "__Host-chopin_access={}; __Host-chopin_csrf={}",
        set["__Host-chopin_access"], set["__Host-chopin_csrf"]
    );
    let res = h
        .app
        .post("/notes")
        .header("cookie", &prefixed)
        .header("x-csrf-token", &set["__Host-chopin_csrf"])
        .body("hello")
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let plain = format!("chopin_access={}", set["__Host-chopin_access"]);
    let res = h.app.get("/notes").header("cookie", &plain).send().await;
    assert_eq!(res.status(), 401, "{}", res.text());
}

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_ends() {
    let h = start(&[
        ("SESSION_IDLE_TIMEOUT_SECS", "2"),
        ("SECURITY_RATE_LIMIT", "false"),
    ])
    .await;
    let login = h.account("ivan@example.com").await;
    let token = access(&login);
    // Used every second, the session lives past its idle timeout.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let res = h.get_as("/auth/me", &token).await;
        assert_eq!(res.status(), 200, "{}", res.text());
    }
    // Unused for longer, it ends: the access token (still unexpired) and the refresh token.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let res = h.get_as("/auth/me", &token).await;
    assert_eq!(res.status(), 401, "{}", res.text());
    assert!(res.text().contains("unused for too long"), "{}", res.text());
    let res = h.refresh(&super::refresh_token(&login)).await;
    assert_eq!(res.status(), 401, "{}", res.text());
}

/// Status and body of a response, the parts a client sees.
fn seen(res: &TestResponse) -> (u16, String) {
    (res.status().as_u16(), res.text().to_owned())
}

#[tokio::test]
async fn no_endpoint_tells_whether_an_email_has_an_account() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    h.account("known@example.com").await;

    assert_eq!(
        seen(&h.signup("known@example.com", PASSWORD).await),
        seen(&h.signup("unknown@example.com", PASSWORD).await),
        "signup"
    );
    assert_eq!(
        seen(&h.login("known@example.com", "wrong password!").await),
        seen(&h.login("stranger@example.com", "wrong password!").await),
        "login"
    );
    for path in ["/auth/password-reset", "/auth/verify-email"] {
        let known = h
            .app
            .post(path)
            .json(&json!({"email": "known@example.com"}))
            .send()
            .await;
        let unknown = h
            .app
            .post(path)
            .json(&json!({"email": "stranger@example.com"}))
            .send()
            .await;
        assert_eq!(seen(&known), seen(&unknown), "{path}");
        assert_eq!(known.status(), 202);
        assert!(!known.text().contains("token"), "{}", known.text());
    }
    // The owner of the taken email hears of the attempt; nobody else gets mail.
    super::mail(&h.outbox, "known@example.com", |kind| {
        *kind == MailKind::AlreadyRegistered
    })
    .await;
    assert!(h.outbox.to("stranger@example.com").is_empty());
}

/// The peak resident memory of this process so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[tokio::test]
async fn password_checks_beyond_the_hashing_queue_are_turned_away_with_503() {
    let h = start(&[
        ("PASSWORD_HASH_CONCURRENCY", "2"),
        ("PASSWORD_HASH_QUEUE", "4"),
        ("SECURITY_RATE_LIMIT", "false"),
        // Every answer the hashing's: no pause after five wrong passwords.
        ("SECURITY_LOCKOUT", "false"),
    ])
    .await;
    let token = access(&h.account("hasher@example.com").await);
    let wrong = json!({"current_password": "not the password at all", "new_password": "a new long password"});
    let answers = futures_util::future::join_all(
        (0..100).map(|_| h.post_as("/auth/password", &token, &wrong)),
    )
    .await;
    let (mut refused, mut busy) = (0, 0);
    for res in &answers {
        match res.status().as_u16() {
            403 => {
                assert_eq!(error(res), "wrong_password");
                refused += 1;
            }
            503 => {
                assert_eq!(res.header("retry-after"), Some("1"));
                let body: Value = res.json();
                assert_eq!(
                    (body["error"].as_str(), body["dependency"].as_str()),
                    (Some("unavailable"), Some("password hashing"))
                );
                busy += 1;
            }
            other => panic!("{other}: {}", res.text()),
        }
    }
    // Two hashing and four waiting at most: most of a burst of 100 is turned away at once.
    assert!(refused >= 6 && busy > 50, "403: {refused}, 503: {busy}");
    // 100 hashes at once would be about 1.9 GiB of argon2 memory.
    let peak = peak_rss_mib();
    println!("100 wrong passwords at once: {refused} × 403, {busy} × 503; peak RSS {peak} MiB");
    assert!(peak < 1024, "this process peaked at {peak} MiB");
}

#[tokio::test]
async fn answers_that_hold_the_account_or_a_secret_are_never_cached() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let token = access(&h.account("private@example.com").await);
    for path in ["/auth/me", "/auth/sessions"] {
        let res = h.get_as(path, &token).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.header("cache-control"), Some("no-store"), "{path}");
    }
    // The TOTP secret, and the backup codes.
    let res = h
        .post_as("/auth/totp/enrol", &token, &json!({"password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let secret = res.json::<Value>()["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let code = chopin::auth::totp::Totp::from_base32(&secret)
        .expect("base32")
        .code_at(now);
    let res = h
        .post_as(
            "/auth/totp/confirm",
            &token,
            &json!({"password": PASSWORD, "code": code}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn wrong_passwords_behind_a_session_are_paused_after_the_limit() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    let token = access(&h.account("oracle@example.com").await);
    let wrong =
        json!({"current_password": "a guessed password", "new_password": "a new long password"});
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let res = h.post_as("/auth/password", &token, &wrong).await;
        if res.status() == 429 {
            assert!(
                res.header("retry-after").is_some(),
                "429 without retry-after"
            );
        }
        statuses.push(res.status().as_u16());
    }
    // LOCKOUT_MAX_ATTEMPTS (5) wrong answers, then no more checks.
    assert_eq!(statuses[..5], [403; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // The pause covers every check behind the session, the two-factor ones too.
    let res = h
        .post_as("/auth/totp/enrol", &token, &json!({"password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 429, "{}", res.text());
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out_from_another() {
    let h = start(&[("SECURITY_RATE_LIMIT", "false")]).await;
    h.account("victim@example.com").await;
    // Six wrong passwords from 127.0.0.1: locked, from there.
    for _ in 0..5 {
        let res = h.login("victim@example.com", "a guessed password").await;
        assert_eq!(res.status(), 401);
    }
    let res = h.login("victim@example.com", "a guessed password").await;
    assert_eq!(res.status(), 423, "{}", res.text());
    let res = h.login("victim@example.com", PASSWORD).await;
    assert_eq!(
        res.status(),
        423,
        "even the password, from the attacker's address"
    );
    // The owner, from another address, signs in.
    let credentials = json!({"email": "victim@example.com", "password": PASSWORD});
    let (status, body) = h.post_from("127.0.0.2", "/auth/login", &credentials).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
}

#[tokio::test]
async fn guesses_from_many_addresses_slow_every_sign_in_for_the_account_down() {
    let h = start(&[
        ("SECURITY_RATE_LIMIT", "false"),
        ("LOCKOUT_MAX_ATTEMPTS", "1"),
    ])
    .await;
    h.account("target@example.com").await;
    let guess = json!({"email": "target@example.com", "password": "a guessed password"});
    let right = json!({"email": "target@example.com", "password": PASSWORD});
    let start = std::time::Instant::now();
    let (status, _) = h.post_from("127.0.0.30", "/auth/login", &right).await;
    assert_eq!(status, 200);
    let quick = start.elapsed();
    // Ten addresses, each locked after its one failure: ten locks' worth for the account.
    for n in 2..12 {
        let (status, _) = h
            .post_from(&format!("127.0.0.{n}"), "/auth/login", &guess)
            .await;
        assert_eq!(status, 401);
    }
    let start = std::time::Instant::now();
    let (status, body) = h.post_from("127.0.0.31", "/auth/login", &right).await;
    let slowed = start.elapsed();
    assert_eq!(status, 200, "the owner still signs in: {body}");
    assert!(
        slowed >= quick + Duration::from_millis(900),
        "{slowed:?} against {quick:?}"
    );
}
