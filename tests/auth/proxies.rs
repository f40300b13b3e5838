//! Clients behind proxies, as the per-address limits and the session records see them: with
//! `TRUSTED_PROXIES` each client a proxy forwards is its own address; without it, what a client
//! writes in `X-Forwarded-For` or `Forwarded` changes nothing.

use serde_json::{Value, json};

use super::{PASSWORD, access, start};
use chopin::testing::TestResponse;

/// Asks for a password reset code (the cheapest request the per-address rate limit counts) with
/// `headers`.
async fn reset(h: &super::Harness, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = h
        .app
        .post("/auth/password-reset")
        .json(&json!({"email": "someone@example.com"}));
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.send().await
}

async fn status(h: &super::Harness, headers: &[(&str, &str)]) -> u16 {
    reset(h, headers).await.status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own() {
    let h = start(&[
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ("RATE_LIMIT_MAX_ATTEMPTS", "1"),
    ])
    .await;
    let first = [("x-forwarded-for", "203.0.113.1")];
    assert_eq!(status(&h, &first).await, 202);
    assert_eq!(status(&h, &first).await, 429, "one client is limited");
    // Another client behind the same proxy is not.
    assert_eq!(status(&h, &[("x-forwarded-for", "203.0.113.2")]).await, 202);
    assert_eq!(status(&h, &[("forwarded", "for=203.0.113.3")]).await, 202);
    // The proxy's own requests count as the proxy's.
    assert_eq!(status(&h, &[]).await, 202);
    // The limited client prepends a fresh address: the proxy appended the real one, which is
    // what counts.
    let spoof = [("x-forwarded-for", "198.51.100.9, 203.0.113.1")];
    assert_eq!(status(&h, &spoof).await, 429);
    // ...and one that injects a trusted address on the left gets nowhere either.
    let spoof = [("x-forwarded-for", "127.0.0.1, 203.0.113.1")];
    assert_eq!(status(&h, &spoof).await, 429);
    // A proxy that passes a client's `Forwarded` through while writing `X-Forwarded-For`.
    let spoof = [
        ("forwarded", "for=198.51.100.10"),
        ("x-forwarded-for", "203.0.113.1"),
    ];
    assert_eq!(status(&h, &spoof).await, 429);
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_do_not_escape_the_limit() {
    let h = start(&[("RATE_LIMIT_MAX_ATTEMPTS", "1")]).await;
    assert_eq!(status(&h, &[("x-forwarded-for", "203.0.113.1")]).await, 202);
    for spoof in [
        ("x-forwarded-for", "203.0.113.2"),
        ("forwarded", "for=203.0.113.3"),
        ("x-real-ip", "203.0.113.4"),
    ] {
        assert_eq!(status(&h, &[spoof]).await, 429, "{spoof:?}");
    }
}

#[tokio::test]
async fn a_peer_that_is_not_the_trusted_proxy_is_not_believed() {
    // 127.0.0.2 is not in the trusted block: its headers are a client's.
    let h = start(&[
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ("RATE_LIMIT_MAX_ATTEMPTS", "1"),
    ])
    .await;
    let body = json!({"email": "someone@example.com"});
    let (first, _) = h
        .post_from("127.0.0.2", "/auth/password-reset", &body)
        .await;
    assert_eq!(first, 202);
    let (second, _) = h
        .post_from_with(
            "127.0.0.2",
            "/auth/password-reset",
            &body,
            "X-Forwarded-For: 203.0.113.1\r\n",
        )
        .await;
    assert_eq!(second, 429);
}

#[tokio::test]
async fn sessions_record_the_forwarded_client() {
    let h = start(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    h.account("ada@example.com").await;
    let res = h
        .app
        .post("/auth/login")
        .header("x-forwarded-for", "2001:db8::7, 127.0.0.1")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let sessions: Vec<Value> = h
        .get_as("/auth/sessions", &access(&res.json()))
        .await
        .json();
    assert_eq!(sessions[0]["ip"], "2001:db8::7", "{sessions:?}");
    assert_eq!(sessions[1]["ip"], "127.0.0.1", "{sessions:?}");
}
