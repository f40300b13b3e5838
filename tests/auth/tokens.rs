//! Access tokens the server must refuse, each built by hand around a real session so that the one
//! thing wrong with it is the thing under test.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chopin::auth::jwt::{Claims, JwtKeys};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{Harness, SECRET, access, start};

/// A signed-in user's claims, and the harness.
async fn signed_in() -> (Harness, Claims) {
    let h = start(&[]).await;
    let login = h.account("mallory@example.com").await;
    let token = access(&login);
    let claims = JwtKeys::hs256(SECRET.as_bytes())
        .decode(&token)
        .expect("the server's own token decodes with its secret");
    (h, claims)
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn status(h: &Harness, token: &str) -> (u16, String) {
    let res = h.get_as("/auth/me", token).await;
    (
        res.status().as_u16(),
        res.json::<Value>()["message"].to_string(),
    )
}

#[tokio::test]
async fn a_token_signed_with_the_secret_is_accepted() {
    let (h, claims) = signed_in().await;
    let token = JwtKeys::hs256(SECRET.as_bytes())
        .encode(&Claims::new(
            claims.sub.clone(),
            "user",
            claims.sid,
            Duration::from_secs(60),
        ))
        .expect("encode");
    assert_eq!(status(&h, &token).await.0, 200, "the control case");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (h, claims) = signed_in().await;
    let header = b64(&json!({"alg": "none", "typ": "JWT"}));
    let payload = b64(&serde_json::to_value(&claims).expect("claims"));
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_eq!(status(&h, &token).await.0, 401, "{token}");
    }
}

#[tokio::test]
async fn other_algorithms_are_refused_even_with_the_right_secret() {
    let (h, claims) = signed_in().await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode");
        assert_eq!(status(&h, &token).await.0, 401, "{alg:?}");
    }
    // An RS256 header over an HS256 signature: the classic algorithm confusion.
    let valid = JwtKeys::hs256(SECRET.as_bytes())
        .encode(&claims)
        .expect("encode");
    let (_, rest) = valid.split_once('.').expect("a JWT");
    let forged = format!("{}.{rest}", b64(&json!({"alg": "RS256", "typ": "JWT"})));
    assert_eq!(status(&h, &forged).await.0, 401);
}

#[tokio::test]
async fn bad_signatures_and_tampered_payloads_are_refused() {
    let (h, claims) = signed_in().await;
    let keys = JwtKeys::hs256(SECRET.as_bytes());
    let valid = keys.encode(&claims).expect("encode");

    let mut flipped = valid.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    assert_eq!(status(&h, &flipped).await.0, 401, "a changed signature");

    let other = JwtKeys::hs256(b"another-secret-another-secret-0123456")
        .encode(&claims)
        .expect("encode");
    assert_eq!(status(&h, &other).await.0, 401, "another secret");

    let mut admin = claims.clone();
    admin.role = "admin".to_owned();
    let parts: Vec<&str> = valid.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::to_value(&admin).expect("claims")),
        parts[2]
    );
    assert_eq!(status(&h, &tampered).await.0, 401, "a changed payload");

    for garbage in ["", "a.b.c", "not a token", "....", "eyJhbGciOiJIUzI1NiJ9"] {
        assert_eq!(status(&h, garbage).await.0, 401, "{garbage:?}");
    }
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let (h, claims) = signed_in().await;
    let keys = JwtKeys::hs256(SECRET.as_bytes());
    let now = claims.iat;

    let expired = Claims {
        iat: now - 7200,
        nbf: now - 7200,
        exp: now - 3600,
        ..claims.clone()
    };
    let (code, message) = status(&h, &keys.encode(&expired).expect("encode")).await;
    assert_eq!(code, 401);
    assert!(message.contains("expired"), "{message}");
    // Expired two seconds ago is expired: no leeway.
    let just_expired = Claims {
        exp: chopin::db::chrono::Utc::now().timestamp() - 2,
        ..claims.clone()
    };
    let (code, message) = status(&h, &keys.encode(&just_expired).expect("encode")).await;
    assert_eq!(code, 401, "a token 2 s past its exp");
    assert!(message.contains("expired"), "{message}");

    let early = Claims {
        nbf: now + 3600,
        exp: now + 7200,
        ..claims.clone()
    };
    let (code, message) = status(&h, &keys.encode(&early).expect("encode")).await;
    assert_eq!(code, 401);
    assert!(message.contains("not valid yet"), "{message}");

    let mut no_exp = serde_json::to_value(&claims).expect("claims");
    no_exp.as_object_mut().expect("an object").remove("exp");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &no_exp,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    assert_eq!(status(&h, &token).await.0, 401, "a token must expire");
}

#[tokio::test]
async fn a_valid_token_of_an_ended_or_unknown_session_is_refused() {
    let (h, claims) = signed_in().await;
    let keys = JwtKeys::hs256(SECRET.as_bytes());
    let unknown = Claims {
        sid: claims.sid + 1000,
        ..claims.clone()
    };
    assert_eq!(
        status(&h, &keys.encode(&unknown).expect("encode")).await.0,
        401
    );
    let someone_else = Claims {
        sub: "999999".to_owned(),
        ..claims.clone()
    };
    assert_eq!(
        status(&h, &keys.encode(&someone_else).expect("encode"))
            .await
            .0,
        401,
        "a session belongs to one user"
    );
}
