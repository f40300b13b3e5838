// `owner` on an `i32`: the column is in the read schema and the table (indexed), not in `NewNote`
// nor `NotePatch` (the struct literals below name every field each has); `into_active_model_for`
// sets it from the user; `note::Entity` implements `Owned`, whose queries reach a row only for
// its owner or a user with the bypassing role, and whose futures are `Send` (handlers await
// them).
use chopin::db::{Bypass, Db, Owned};
use chopin::openapi::PartialSchema;
use chopin::prelude::*;
// The ui tests have no `serde_json` of their own.
use chopin::__private::serde_json;

#[chopin::model(table = "notes")]
pub struct Note {
    #[model(primary_key)]
    pub id: i64,
    /// Whose note it is.
    #[model(owner)]
    pub owner_id: i32,
    #[model(min_len = 1)]
    pub title: String,
}

pub struct Notes;

#[chopin::module(models(Note))]
impl Notes {
    #[post("/notes", auth)]
    async fn create(
        db: Db,
        user: AuthUser,
        Json(input): Json<NewNote>,
    ) -> Result<Json<Note>, ChopinError> {
        Ok(Json(
            input
                .into_active_model_for(&user)?
                .insert(&*db)
                .await?
                .into(),
        ))
    }

    #[patch("/notes/{id}", auth)]
    async fn update(
        db: Db,
        user: AuthUser,
        Path(id): Path<i64>,
        Json(patch): Json<NotePatch>,
    ) -> Result<Json<Note>, ChopinError> {
        let row = note::Entity::find_for(&*db, id, &user, Bypass::Role("admin")).await?;
        Ok(Json(patch.apply(row)?.update(&*db).await?.into()))
    }

    #[delete("/notes/{id}", auth)]
    async fn delete(db: Db, user: AuthUser, Path(id): Path<i64>) -> Result<NoContent, ChopinError> {
        note::Entity::delete_for(&*db, id, &user, Bypass::Nobody).await?;
        Ok(NoContent)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let database = chopin::DbConfig {
        url: "sqlite::memory:".to_owned(),
        ..Default::default()
    };
    let db = Db::connect(&database).await.expect("connect");
    let app = App::with_config(Config::default().with(database))
        .mount_module(Notes)
        .with_db(db.clone());
    let report = app.migrate().await.expect("migrate");
    assert!(
        report
            .applied
            .iter()
            .any(|s| s.starts_with("create index") && s.ends_with("(`owner_id`)")),
        "{:?}",
        report.applied
    );

    let (ann, bob) = (AuthUser::new("1", ["user"]), AuthUser::new("2", ["user"]));
    let admin = AuthUser::new("3", ["admin"]);
    let new = NewNote {
        title: "Ann's".to_owned(),
    };
    let row = new
        .clone()
        .into_active_model_for(&ann)
        .expect("valid")
        .insert(&*db)
        .await
        .expect("insert");
    assert_eq!(row.owner_id, 1);
    let mallory = AuthUser::new("mallory", ["user"]);
    let err = new
        .into_active_model_for(&mallory)
        .expect_err("not a number");
    assert_eq!(err.status(), 500);

    // Bob does not reach Ann's note, and learns no more than of a note that does not exist.
    let err = note::Entity::find_for(&*db, row.id, &bob, Bypass::Nobody)
        .await
        .expect_err("not Bob's");
    let missing = note::Entity::find_for(&*db, 999, &bob, Bypass::Nobody)
        .await
        .expect_err("no such note");
    assert_eq!((err.status().as_u16(), err.message()), (404, "no note 1"));
    assert_eq!(missing.message(), "no note 999");
    let err = note::Entity::delete_for(&*db, row.id, &bob, Bypass::Role("moderator"))
        .await
        .expect_err("not Bob's");
    assert_eq!(err.status(), 404);
    assert!(
        note::Entity::find_owned_by(&bob, Bypass::Nobody)
            .expect("a number")
            .all(&*db)
            .await
            .expect("select")
            .is_empty()
    );
    assert!(note::Entity::find_owned_by(&mallory, Bypass::Nobody).is_err());

    // Ann does, and so does an admin where the role bypasses, and not where nobody does.
    let found = note::Entity::find_for(&*db, row.id, &ann, Bypass::Nobody)
        .await
        .expect("Ann's");
    assert_eq!(found, row);
    let mine = note::Entity::find_owned_by(&ann, Bypass::Nobody)
        .expect("a number")
        .all(&*db)
        .await
        .expect("select");
    assert_eq!(mine, [row.clone()]);
    note::Entity::find_for(&*db, row.id, &admin, Bypass::Role("moderator"))
        .await
        .expect("a moderator's rank");
    assert!(
        note::Entity::delete_for(&*db, row.id, &admin, Bypass::Nobody)
            .await
            .is_err()
    );
    note::Entity::delete_for(&*db, row.id, &ann, Bypass::Nobody)
        .await
        .expect("Ann deletes her note");
    assert!(
        note::Entity::find_by_id(row.id)
            .one(&*db)
            .await
            .expect("select")
            .is_none()
    );

    // The owner is shown, and never taken from a client.
    let Note {
        id: _,
        owner_id,
        title: _,
    } = Note::from(row);
    assert_eq!(owner_id, 1);
    let NotePatch { title: _ } = NotePatch::default();
    let schema = serde_json::to_value(<Note as PartialSchema>::schema()).expect("schema");
    assert!(schema["properties"].get("owner_id").is_some(), "{schema}");
    for schema in [
        <NewNote as PartialSchema>::schema(),
        <NotePatch as PartialSchema>::schema(),
    ] {
        let schema = serde_json::to_value(schema).expect("schema");
        assert!(!schema.to_string().contains("owner_id"), "{schema}");
    }
    let body = serde_json::json!({"title": "t", "owner_id": 2});
    assert!(
        serde_json::from_value::<NewNote>(body).is_err(),
        "an unknown field"
    );
}
