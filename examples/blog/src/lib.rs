//! The blog: posts and their comments, each a model whose table, entity, API schemas and
//! validation come from one struct, served as CRUD routes by one module, with accounts from
//! `AuthModule`: signed-in users write posts, which belong to them (`#[model(owner)]`): only
//! their author changes or deletes one, or a moderator (or an admin); moderators delete comments.
//! `/health` is a fast route, answered from precomputed bytes.

use chopin::ConfigError;
use chopin::auth::mail::Mailer;
// `User` and its module `user`: a model with two relations names each target's module.
use chopin::auth::{AuthModule, User, user};
use chopin::db::sea_orm::QuerySelect;
use chopin::prelude::*;

/// A blog post.
#[chopin::model(table = "posts", has_many(Comment))]
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

/// The blog's routes.
pub struct Blog;

#[chopin::module(name = "blog", requires(AuthModule), models(Post, Comment))]
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
        user: AuthUser,
        Path(id): Path<i64>,
    ) -> Result<NoContent, ChopinError> {
        post::Entity::delete_for(&*db, id, &user, EDITORS).await?;
        Ok(NoContent)
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
        .mount_module(Blog)
        .mount_module(auth))
}
