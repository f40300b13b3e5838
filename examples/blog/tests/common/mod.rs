//! What the blog's suites share: an account made as a reader makes one.

use std::time::Duration;

use chopin::auth::mail::{MailKind, Outbox};
use chopin::auth::user;
use chopin::db::sea_orm::sea_query::Expr;
use chopin::db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use chopin::db::test_db::TestDatabase;
use chopin::testing::TestApp;
use serde_json::{Value, json};

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

/// Signs `email` up, verifies it from the mail and signs in: the access token.
#[allow(dead_code, reason = "the faults suite signs in by itself")]
pub(crate) async fn sign_in(app: &TestApp, outbox: &Outbox, email: &str) -> String {
    sign_up(app, outbox, email).await;
    let credentials = json!({"email": email, "password": PASSWORD});
    let res = app.post("/auth/login").json(&credentials).send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    res.json::<Value>()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// `email`'s role set to `role` in the database: the next request sees it.
#[allow(dead_code, reason = "the faults suite has no roles")]
pub(crate) async fn set_role(database: &TestDatabase, email: &str, role: &str) {
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role))
        .filter(user::Column::Email.eq(email))
        .exec(&database.conn)
        .await
        .expect("set the role");
}
