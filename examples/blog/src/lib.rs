//! The blog: posts and their comments, each a model whose table, entity, API schemas and
//! validation come from one struct, served as CRUD routes by one module, with accounts from
//! `AuthModule`: signed-in users write posts, which belong to them (`#[model(owner)]`): only
//! their author changes or deletes one, or a moderator (or an admin); moderators delete comments.
//! Authors attach files to their posts (`chopin::storage`: streamed to `STORAGE_URL`, checked by
//! their bytes, served back by ranges). `/health` is a fast route, answered from precomputed
//! bytes.

use chopin::ConfigError;
use chopin::auth::mail::Mailer;
// `User` and its module `user`: a model with two relations names each target's module.
use chopin::auth::{AuthModule, User, user};
use chopin::db::sea_orm::{ActiveValue::Set, QuerySelect};
use chopin::http::HeaderMap;
use chopin::prelude::*;

/// A blog post.
#[chopin::model(table = "posts", has_many(Comment, Attachment))]
pub struct Post {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The headline.
    #[model(min_len = 1, max_len = 200)]
    pub title: String,
    /// The text, in Markdown.
    pub body: String,
    /// Who wrote it: the id of the signed-in user who created it, never sent by a client.
    /// Deleting the account deletes its posts.
    #[model(owner, belongs_to = User, on_delete = "cascade")]
    pub author_id: i64,
    /// Whether readers see it.
    #[model(default = false)]
    pub published: bool,
    /// When it was written.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
    /// When it last changed.
    #[model(updated_at)]
    pub updated_at: DateTimeUtc,
}

/// A reader's comment on a post.
#[chopin::model(table = "comments")]
pub struct Comment {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The post it is on; deleting the post deletes its comments.
    #[model(belongs_to = Post, on_delete = "cascade")]
    pub post_id: i64,
    /// Who wrote it.
    #[model(min_len = 1, max_len = 80)]
    pub author: String,
    /// Where to reach them, if they say.
    #[model(email)]
    pub email: Option<String>,
    /// What they wrote.
    #[model(min_len = 1, max_len = 2000)]
    pub body: String,
    /// When it was written.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
}

/// A file attached to a post: the row keeps what was recorded when it was uploaded, and the
/// bytes live in the application's storage under `key`.
///
/// Deleting an attachment deletes its row, then its object; deleting a post deletes its
/// attachments' rows (by the foreign key) and then their objects. An object whose deletion
/// failed after its row was gone is an orphan, which `POST /attachments/sweep` removes.
#[chopin::model(table = "attachments")]
pub struct Attachment {
    /// Assigned by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The post it is attached to.
    #[model(belongs_to = Post, on_delete = "cascade")]
    pub post_id: i64,
    /// Where the bytes are stored: random, never the client's file name.
    #[model(unique, max_len = 64, private)]
    pub key: String,
    /// The name the file was uploaded with.
    #[model(max_len = 255)]
    pub filename: String,
    /// The media type its bytes say it is.
    #[model(max_len = 255)]
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its bytes, in hex.
    #[model(max_len = 64, private)]
    pub sha256: String,
    /// When it was uploaded.
    #[model(created_at)]
    pub created_at: DateTimeUtc,
}

impl attachment::Model {
    /// The stored file this row describes.
    fn file(&self) -> StoredFile {
        StoredFile {
            key: self.key.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: u64::try_from(self.size).unwrap_or_default(),
            sha256: self.sha256.clone(),
        }
    }
}

/// An attachment, as clients see it.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AttachmentInfo {
    /// Its id.
    pub id: i64,
    /// The name it was uploaded with.
    pub filename: String,
    /// The media type its bytes say it is.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Where to download it.
    pub url: String,
}

impl From<attachment::Model> for AttachmentInfo {
    fn from(row: attachment::Model) -> AttachmentInfo {
        AttachmentInfo {
            url: format!("/attachments/{}", row.id),
            id: row.id,
            filename: row.filename,
            content_type: row.content_type,
            size: row.size,
        }
    }
}

/// What a sweep removed.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Swept {
    /// The keys of the objects deleted: stored, and named by no attachment.
    pub deleted: Vec<String>,
}

/// The blog's routes.
pub struct Blog;

#[chopin::module(name = "blog", requires(AuthModule), models(Post, Comment, Attachment))]
impl Blog {
    /// Whether the blog is up: for load balancers and uptime checks, answered from the socket.
    #[fast_route("/health", text, cache_control = "no-store")]
    const HEALTH: &'static str = "ok";

    /// The posts, newest first, a page at a time.
    #[get("/posts", tag = "posts")]
    async fn list_posts(db: Db, page: Pagination) -> Result<Json<Page<Post>>, ChopinError> {
        let posts = post::Entity::find().order_by_desc(post::Column::Id);
        Ok(Json(page.fetch(posts, &*db).await?))
    }

    /// The ten newest published posts, for a front page or a feed.
    #[get("/posts/latest", tag = "posts")]
    async fn latest_posts(db: Db) -> Result<Json<Vec<Post>>, ChopinError> {
        let rows = post::Entity::find()
            .filter(post::Column::Published.eq(true))
            .order_by_desc(post::Column::Id)
            .limit(10)
            .all(&*db)
            .await?;
        Ok(Json(rows.into_iter().map(Post::from).collect()))
    }

    /// One post.
    #[get("/posts/{id}", tag = "posts")]
    async fn show_post(db: Db, Path(id): Path<i64>) -> Result<Json<Post>, ChopinError> {
        Ok(Json(find_post(&db, id).await?.into()))
    }

    /// Writes a post, by the signed-in user. Signed-in users only.
    #[post("/posts", auth, tag = "posts")]
    async fn create_post(
        db: Db,
        user: AuthUser,
        Json(input): Json<NewPost>,
    ) -> Result<Created<Post>, ChopinError> {
        let row = input.into_active_model_for(&user)?.insert(&*db).await?;
        let location = format!("/posts/{}", row.id);
        Ok(Created::new(Post::from(row)).at(location))
    }

    /// Changes the fields of a post that the body names. Its author, or a moderator, only; to
    /// anyone else it is a `404`, as a post that does not exist.
    #[patch("/posts/{id}", auth, tag = "posts")]
    async fn update_post(
        db: Db,
        user: AuthUser,
        Path(id): Path<i64>,
        Json(patch): Json<PostPatch>,
    ) -> Result<Json<Post>, ChopinError> {
        let post = post::Entity::find_for(&*db, id, &user, EDITORS).await?;
        let row = patch.apply(post)?.update(&*db).await?;
        Ok(Json(row.into()))
    }

    /// Deletes a post and its comments. Its author, or a moderator, only; to anyone else it is
    /// a `404`, as a post that does not exist.
    #[delete("/posts/{id}", auth, tag = "posts")]
    async fn delete_post(
        db: Db,
        storage: Storage,
        user: AuthUser,
        Path(id): Path<i64>,
    ) -> Result<NoContent, ChopinError> {
        let post = post::Entity::find_for(&*db, id, &user, EDITORS).await?;
        let files = post.find_related(attachment::Entity).all(&*db).await?;
        post::Entity::delete_for(&*db, id, &user, EDITORS).await?;
        for file in files {
            forget(&storage, &file.key).await;
        }
        Ok(NoContent)
    }

    /// Attaches a file to a post: a `multipart/form-data` body with a `file` part, of at most
    /// `MAX_UPLOAD_BYTES`. Its author, or a moderator, only; to anyone else it is a `404`.
    #[post("/posts/{id}/attachments", auth, tag = "attachments")]
    async fn attach(
        db: Db,
        storage: Storage,
        user: AuthUser,
        Path(id): Path<i64>,
        upload: Upload,
    ) -> Result<Created<AttachmentInfo>, ChopinError> {
        // Who may attach is settled before a byte of the file is read.
        let post = post::Entity::find_for(&*db, id, &user, EDITORS).await?;
        let file = upload.store().await?;
        let row = attachment::ActiveModel {
            post_id: Set(post.id),
            key: Set(file.key.clone()),
            filename: Set(file.filename.clone()),
            content_type: Set(file.content_type.clone()),
            size: Set(i64::try_from(file.size).unwrap_or(i64::MAX)),
            sha256: Set(file.sha256.clone()),
            created_at: Set(chopin::db::chrono::Utc::now()),
            ..Default::default()
        };
        let row = match row.insert(&*db).await {
            Ok(row) => row,
            Err(e) => {
                forget(&storage, &file.key).await;
                return Err(e.into());
            }
        };
        let location = format!("/attachments/{}", row.id);
        Ok(Created::new(AttachmentInfo::from(row)).at(location))
    }

    /// A post's attachments, oldest first.
    #[get("/posts/{id}/attachments", tag = "attachments")]
    async fn list_attachments(
        db: Db,
        Path(id): Path<i64>,
    ) -> Result<Json<Vec<AttachmentInfo>>, ChopinError> {
        let rows = find_post(&db, id)
            .await?
            .find_related(attachment::Entity)
            .order_by_asc(attachment::Column::Id)
            .all(&*db)
            .await?;
        Ok(Json(rows.into_iter().map(AttachmentInfo::from).collect()))
    }

    /// An attachment's bytes, with its type; `range` asks for a part of it.
    #[get("/attachments/{id}", tag = "attachments")]
    async fn download(
        db: Db,
        storage: Storage,
        Path(id): Path<i64>,
        headers: HeaderMap,
    ) -> Result<Download, ChopinError> {
        let row = find_attachment(&db, id).await?;
        storage.download(&row.file(), &headers).await
    }

    /// Deletes an attachment. Its post's author, or a moderator, only; to anyone else it is a
    /// `404`.
    #[delete("/attachments/{id}", auth, tag = "attachments")]
    async fn delete_attachment(
        db: Db,
        storage: Storage,
        user: AuthUser,
        Path(id): Path<i64>,
    ) -> Result<NoContent, ChopinError> {
        let row = find_attachment(&db, id).await?;
        // Not the post's author (nor a moderator): as if there were no such attachment.
        post::Entity::find_for(&*db, row.post_id, &user, EDITORS)
            .await
            .map_err(|e| match e.status() {
                StatusCode::NOT_FOUND => ChopinError::not_found(format!("no attachment {id}")),
                _ => e,
            })?;
        attachment::Entity::delete_by_id(id).exec(&*db).await?;
        forget(&storage, &row.key).await;
        Ok(NoContent)
    }

    /// Deletes the stored objects that no attachment names and that are older than an hour
    /// (younger ones may be uploads whose row is being written). Admins only.
    #[post("/attachments/sweep", auth(role = "admin"), tag = "attachments")]
    async fn sweep_attachments(db: Db, storage: Storage) -> Result<Json<Swept>, ChopinError> {
        let known = attachment::Entity::find()
            .select_only()
            .column(attachment::Column::Key)
            .into_tuple::<String>()
            .all(&*db)
            .await?
            .into_iter()
            .collect();
        let deleted = storage
            .sweep(std::time::Duration::from_secs(3600), &known)
            .await?;
        Ok(Json(Swept { deleted }))
    }

    /// A post's comments, oldest first, a page at a time.
    #[get("/posts/{id}/comments", tag = "comments")]
    async fn list_comments(
        db: Db,
        Path(id): Path<i64>,
        page: Pagination,
    ) -> Result<Json<Page<Comment>>, ChopinError> {
        let comments = find_post(&db, id)
            .await?
            .find_related(comment::Entity)
            .order_by_asc(comment::Column::Id);
        Ok(Json(page.fetch(comments, &*db).await?))
    }

    /// Comments on a post; a `404` when there is no such post.
    #[post("/comments", tag = "comments")]
    async fn create_comment(
        db: Db,
        Json(input): Json<NewComment>,
    ) -> Result<Created<Comment>, ChopinError> {
        input.validate()?;
        find_post(&db, input.post_id).await?;
        let row = input.into_active_model()?.insert(&*db).await?;
        Ok(Created::new(Comment::from(row)))
    }

    /// Deletes a comment. Moderators (and admins) only.
    #[delete("/comments/{id}", auth(role = "moderator"), tag = "comments")]
    async fn delete_comment(db: Db, Path(id): Path<i64>) -> Result<NoContent, ChopinError> {
        let deleted = comment::Entity::delete_by_id(id).exec(&*db).await?;
        if deleted.rows_affected == 0 {
            return Err(ChopinError::not_found(format!("no comment {id}")));
        }
        Ok(NoContent)
    }
}

/// Who changes and deletes any post, besides its author: moderators, and admins above them.
const EDITORS: Bypass = Bypass::Role("moderator");

/// The post `id`, or a `404`.
async fn find_post(db: &Db, id: i64) -> Result<post::Model, ChopinError> {
    post::Entity::find_by_id(id)
        .one(&**db)
        .await?
        .ok_or_else(|| ChopinError::not_found(format!("no post {id}")))
}

/// The attachment `id`, or a `404`.
async fn find_attachment(db: &Db, id: i64) -> Result<attachment::Model, ChopinError> {
    attachment::Entity::find_by_id(id)
        .one(&**db)
        .await?
        .ok_or_else(|| ChopinError::not_found(format!("no attachment {id}")))
}

/// Deletes an object whose row is gone. A failure is logged: the object is then an orphan,
/// which the next sweep removes.
async fn forget(storage: &Storage, key: &str) {
    if let Err(e) = storage.delete(key).await {
        tracing::warn!(%key, error = %e, "an attachment's object could not be deleted; the sweep will");
    }
}

chopin::modules! {
    /// The blog's modules, in mount order: declared once, checked where `cargo check` sees it.
    pub type Modules = [Blog, AuthModule];
}

/// The application: the blog and its accounts, configured by `config`, mail printed to standard
/// output (which only development allows).
///
/// # Errors
/// In production: `JWT_SECRET` or `AUTH_ENCRYPTION_KEY` is not set, or mail is needed (see
/// [`app_with_mailer`]).
pub fn app(config: Config) -> Result<App<(), Modules>, ConfigError> {
    let auth = AuthModule::new(&config)?;
    Ok(App::with_config(config)
        .with_migrations(chopin::migrations!())
        .mount_module(Blog)
        .mount_module(auth))
}

/// The application, sending its account mail with `mailer`.
///
/// # Errors
/// In production, when `JWT_SECRET` or `AUTH_ENCRYPTION_KEY` is not set.
pub fn app_with_mailer(
    config: Config,
    mailer: impl Mailer,
) -> Result<App<(), Modules>, ConfigError> {
    let auth = AuthModule::with_mailer(&config, mailer)?;
    Ok(App::with_config(config)
        .with_migrations(chopin::migrations!())
        .mount_module(Blog)
        .mount_module(auth))
}
