//! `AuthModule` over real sockets, each test on a fresh database (SQLite in memory, or PostgreSQL
//! with `CHOPIN_TEST_POSTGRES_URL`) and a fresh cache namespace (in memory, or Redis with
//! `CHOPIN_TEST_REDIS_URL`), with mail caught in an [`Outbox`].
#![deny(warnings, unused_qualifications, clippy::all)]

mod flows;
mod openapi;
mod protections;
mod proxies;
mod recovery;
mod switches;
mod tokens;
mod totp;

use std::collections::HashMap;
use std::time::Duration;

use chopin::ModuleList;
use chopin::auth::mail::{Mail, MailKind, Outbox};
use chopin::auth::{AuthModule, OptionalAuthUser, user};
use chopin::cache::test_cache;
use chopin::db::sea_orm::sea_query::Expr;
use chopin::db::test_db::{TestDatabase, test_database};
use chopin::prelude::*;
use chopin::testing::{TestApp, TestResponse};
use serde_json::{Value, json};

/// The secret every test app signs with, so tests can forge tokens to see them refused.
const SECRET: &str = "test-secret-test-secret-test-secret-0123";
const PASSWORD: &str = "correct horse battery";

/// A module of the application beside `AuthModule`: its routes need a user, a role, or neither.
struct Notes;

#[chopin::module(name = "notes", prefix = "/notes")]
impl Notes {
    #[get("/greeting")]
    async fn greeting(OptionalAuthUser(user): OptionalAuthUser) -> String {
        match user {
            Some(user) => format!("hello, user {}", user.id),
            None => "hello, stranger".to_owned(),
        }
    }

    #[post("/", auth)]
    async fn write(user: AuthUser, body: String) -> Created<String> {
        Created::new(format!("{} wrote {body}", user.id))
    }

    #[get("/", auth)]
    async fn read(user: AuthUser) -> String {
        format!("notes of {}", user.id)
    }

    #[get("/moderation", auth(role = "moderator"))]
    async fn moderation() -> &'static str {
        "moderation queue"
    }

    #[get("/admin", auth(role = "admin"))]
    async fn admin() -> &'static str {
        "admin panel"
    }
}

chopin::assert_app!(AuthModule, Notes);

/// A running application with its database and its outbox.
struct Harness {
    app: TestApp,
    db: TestDatabase,
    outbox: Outbox,
}

/// The test configuration: development, the test secret, and `vars` over the defaults.
fn config(vars: &[(&str, &str)]) -> Config {
    let mut map: HashMap<String, String> = HashMap::from([
        ("APP_ENV".to_owned(), "development".to_owned()),
        ("JWT_SECRET".to_owned(), SECRET.to_owned()),
    ]);
    for (k, v) in vars {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(move |k| map.get(k).cloned()).expect("a valid test configuration")
}

fn application(config: &Config, outbox: &Outbox) -> App<(), impl ModuleList + use<>> {
    let auth = AuthModule::with_mailer(config, outbox.clone()).expect("AuthModule");
    App::with_config(config.clone())
        .mount_module(auth)
        .mount_module(Notes)
}

async fn start(vars: &[(&str, &str)]) -> Harness {
    let config = config(vars);
    let outbox = Outbox::new();
    let db = test_database().await;
    let app = application(&config, &outbox)
        .with_db(Db::from_connection(db.conn.clone()))
        .with_cache(test_cache().await);
    app.migrate().await.expect("migrate");
    Harness {
        app: TestApp::spawn(app).await,
        db,
        outbox,
    }
}

/// The mail of `kind` sent to `to`, waiting for it: codes are mailed after the answer.
async fn mail(outbox: &Outbox, to: &str, kind: fn(&MailKind) -> bool) -> Mail {
    for _ in 0..100 {
        if let Some(mail) = outbox.to(to).into_iter().rev().find(|m| kind(&m.kind)) {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no such mail to {to}; the outbox: {:#?}", outbox.mails());
}

fn token_of(mail: &Mail) -> String {
    match &mail.kind {
        MailKind::PasswordReset { token } | MailKind::EmailVerification { token } => {
            assert!(
                mail.text.contains(token.as_str()),
                "the code is in the text"
            );
            token.clone()
        }
        other => panic!("a mail without a code: {other:?}"),
    }
}

fn is_verification(kind: &MailKind) -> bool {
    matches!(kind, MailKind::EmailVerification { .. })
}

fn is_reset(kind: &MailKind) -> bool {
    matches!(kind, MailKind::PasswordReset { .. })
}

impl Harness {
    async fn signup(&self, email: &str, password: &str) -> TestResponse {
        self.app
            .post("/auth/signup")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
    }

    async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.app
            .post("/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
    }

    /// Signs up, verifies the email from the mail, and signs in: the login's body.
    async fn account(&self, email: &str) -> Value {
        self.account_with(email, PASSWORD).await
    }

    /// [`Harness::account`] with `password`.
    async fn account_with(&self, email: &str, password: &str) -> Value {
        let res = self.signup(email, password).await;
        assert_eq!(res.status(), 202, "{}", res.text());
        let verification = mail(&self.outbox, email, is_verification).await;
        let res = self
            .app
            .post("/auth/verify-email/confirm")
            .json(&json!({"token": token_of(&verification)}))
            .send()
            .await;
        assert_eq!(res.status(), 204, "{}", res.text());
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "{}", res.text());
        res.json()
    }

    async fn get_as(&self, path: &str, access: &str) -> TestResponse {
        self.app
            .get(path)
            .header("authorization", &format!("Bearer {access}"))
            .send()
            .await
    }

    async fn post_as(&self, path: &str, access: &str, body: &Value) -> TestResponse {
        self.app
            .post(path)
            .header("authorization", &format!("Bearer {access}"))
            .json(body)
            .send()
            .await
    }

    async fn refresh(&self, refresh_token: &str) -> TestResponse {
        self.app
            .post("/auth/refresh")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
    }

    /// POSTs `body` to `path` from the loopback address `ip` (`127.0.0.2`): another client, as
    /// the server's per-address limits see it. The status and the JSON body.
    async fn post_from(&self, ip: &str, path: &str, body: &Value) -> (u16, Value) {
        self.post_from_with(ip, path, body, "").await
    }

    /// [`Harness::post_from`] with `headers` (`Name: value\r\n` lines) added.
    async fn post_from_with(
        &self,
        ip: &str,
        path: &str,
        body: &Value,
        headers: &str,
    ) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(format!("{ip}:0").parse().expect("an address"))
            .expect("bind the loopback address");
        let mut stream = socket.connect(self.app.addr()).await.expect("connect");
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let json = answer
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str(body).ok())
            .unwrap_or(Value::Null);
        (status, json)
    }

    /// Sets a user's role in the database, as an operator would for the first admin.
    async fn set_role(&self, id: i64, role: &str) {
        user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::value(role))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db.conn)
            .await
            .expect("set the role");
    }
}

fn access(login: &Value) -> String {
    login["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

fn refresh_token(login: &Value) -> String {
    login["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

/// The `name=value` of each `set-cookie` of a response, by name.
fn cookies(res: &TestResponse) -> HashMap<String, String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The error code of an error response.
fn error(res: &TestResponse) -> String {
    res.json::<Value>()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
