//! What the blog's suites share: an account made as a reader makes one.

use std::time::Duration;

use chopin::auth::mail::{MailKind, Outbox};
use chopin::testing::TestApp;
use serde_json::json;

/// The password every test account has.
pub(crate) const PASSWORD: &str = "a long enough password";

/// Signs `email` up and verifies it with the code from its mail (sent after the answer, so
/// looked for a while): an account that can sign in with [`PASSWORD`].
pub(crate) async fn sign_up(app: &TestApp, outbox: &Outbox, email: &str) {
    let credentials = json!({"email": email, "password": PASSWORD});
    let res = app.post("/auth/signup").json(&credentials).send().await;
    assert_eq!(res.status(), 202, "{}", res.text());
    let mut token = None;
    for _ in 0..100 {
        token = outbox.to(email).into_iter().find_map(|m| match m.kind {
            MailKind::EmailVerification { token } => Some(token),
            _ => None,
        });
        if token.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.expect("a verification mail");
    let res = app
        .post("/auth/verify-email/confirm")
        .json(&json!({"token": token}))
        .send()
        .await;
    assert_eq!(res.status(), 204, "{}", res.text());
}
