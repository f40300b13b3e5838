// `private` columns: in the entity and the table, and nowhere the API reaches (the struct, its
// schema, `NewUser`, `UserPatch`); the struct literals below name every field each type has.
// `NewUser::into_active_model` leaves them unset: the required one fails the insert until code
// sets it. Also the keys the auth module's tables need: `default = "user"` and `unique` on a
// `String`, `Option<i64>`, `Option<String>`, `Option<DateTimeUtc>`, `indexed` with `belongs_to`.
use chopin::db::Db;
use chopin::db::sea_orm::ActiveValue::Set;
use chopin::openapi::PartialSchema;
use chopin::prelude::*;
// The ui tests have no `serde_json` of their own.
use chopin::__private::serde_json;

#[chopin::model(table = "auth_users")]
pub struct User {
    #[model(primary_key)]
    pub id: i64,
    #[model(email, max_len = 254, unique)]
    pub email: String,
    #[model(max_len = 32, default = "user")]
    pub role: String,
    #[model(default = false)]
    pub email_verified: bool,
    #[model(default = false)]
    pub totp_enabled: bool,
    /// The argon2id hash of the password.
    #[model(private)]
    pub password_hash: String,
    #[model(private)]
    pub totp_secret: Option<String>,
    #[model(private)]
    pub totp_last_step: Option<i64>,
    #[model(created_at)]
    pub created_at: DateTimeUtc,
    #[model(updated_at)]
    pub updated_at: DateTimeUtc,
}

#[chopin::model(table = "auth_sessions")]
pub struct Session {
    #[model(primary_key)]
    pub id: i64,
    #[model(belongs_to = User, on_delete = "cascade", indexed)]
    pub user_id: i64,
    #[model(private, unique, max_len = 64)]
    pub token_hash: String,
    pub revoked_at: Option<DateTimeUtc>,
}

pub struct Auth;

#[chopin::module(models(User, Session))]
impl Auth {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let database = chopin::DbConfig {
        url: "sqlite::memory:".to_owned(),
        ..Default::default()
    };
    let db = Db::connect(&database).await.expect("connect");
    let config = Config::default().with(database);
    let app = App::with_config(config)
        .mount_module(Auth)
        .with_db(db.clone());
    let report = app.migrate().await.expect("migrate");
    assert!(
        report
            .applied
            .iter()
            .any(|s| s.starts_with("create index") && s.ends_with("(`user_id`)")),
        "{:?}",
        report.applied
    );

    // A client's `NewUser` has no private field, and its row leaves them unset: the required
    // `password_hash` fails the insert (`NOT NULL`, no default) rather than storing anything.
    let new = NewUser {
        email: "ann@example.com".to_owned(),
        role: None,
        email_verified: None,
        totp_enabled: None,
    };
    let active = new.into_active_model().expect("valid");
    assert!(
        active.clone().insert(&*db).await.is_err(),
        "a required private column left unset"
    );
    let row = user::ActiveModel {
        password_hash: Set("$argon2id$v=19$...".to_owned()),
        ..active
    }
    .insert(&*db)
    .await
    .expect("insert");
    assert_eq!(row.role, "user", "the column's default");
    assert_eq!(row.password_hash, "$argon2id$v=19$...");
    assert_eq!(
        (row.totp_secret.as_deref(), row.totp_last_step),
        (None, None)
    );

    // `unique` on a `String`, and the private fields written as any column.
    let again = user::ActiveModel {
        email: Set("ann@example.com".to_owned()),
        password_hash: Set(String::new()),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
        ..Default::default()
    };
    assert!(
        again.insert(&*db).await.is_err(),
        "a second `ann@example.com`"
    );
    let mut active: user::ActiveModel = row.clone().into();
    active.totp_secret = Set(Some("JBSWY3DPEHPK3PXP".to_owned()));
    active.totp_last_step = Set(Some(58_000_000));
    let row = active.update(&*db).await.expect("update");
    assert_eq!(row.totp_last_step, Some(58_000_000));

    // The read schema carries none of them: not in the struct, nor its JSON, nor its schema.
    let user = User::from(row.clone());
    let User {
        id,
        email,
        role,
        email_verified,
        totp_enabled,
        created_at,
        updated_at,
    } = user.clone();
    assert_eq!(
        (id, email.as_str(), role.as_str()),
        (row.id, "ann@example.com", "user")
    );
    assert!(!email_verified && !totp_enabled && created_at <= updated_at);
    let json = serde_json::to_value(&user).expect("json");
    assert!(
        json.get("password_hash").is_none() && json.get("totp_secret").is_none(),
        "{json}"
    );
    assert!(!format!("{user:?}").contains("argon2id"));
    let schema = serde_json::to_value(<User as PartialSchema>::schema()).expect("schema");
    let properties = schema["properties"].as_object().expect("properties");
    assert!(properties.contains_key("email") && !properties.contains_key("password_hash"));
    let schema = serde_json::to_value(<NewUser as PartialSchema>::schema()).expect("schema");
    assert!(!schema.to_string().contains("password_hash"));

    // A patch changes what a client may change, and keeps the private fields.
    let patch = UserPatch {
        email: None,
        role: Some("admin".to_owned()),
        email_verified: None,
        totp_enabled: None,
    };
    let row = patch
        .apply(row)
        .expect("valid")
        .update(&*db)
        .await
        .expect("update");
    assert_eq!(
        (row.role.as_str(), row.password_hash.as_str()),
        ("admin", "$argon2id$v=19$...")
    );

    // A session: `indexed` with `belongs_to`, a private `unique` hash, an `Option<DateTimeUtc>`.
    let new = NewSession {
        user_id: row.id,
        revoked_at: None,
    };
    let session = session::ActiveModel {
        token_hash: Set("ab".repeat(32)),
        ..new.into_active_model().expect("valid")
    }
    .insert(&*db)
    .await
    .expect("insert");
    let Session {
        id: _,
        user_id,
        revoked_at,
    } = Session::from(session);
    assert_eq!((user_id, revoked_at), (row.id, None));
    assert_eq!(
        session::Entity::find()
            .all(&*db)
            .await
            .expect("select")
            .len(),
        1
    );
}
