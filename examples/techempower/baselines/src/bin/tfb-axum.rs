//! The axum + sqlx baseline of the TechEmpower suite: plain axum and sqlx, as an axum user writes
//! them (in the manner of TechEmpower's own axum [sqlx] entry), on one `current_thread` runtime.
//!
//! Environment: `PORT` (default 8080), `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/techempower`), `DB_POOL` (default 16).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::SERVER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router, middleware};
use minijinja::Environment;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

const DEFAULT_PORT: u16 = 8080;
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/techempower";
const DEFAULT_POOL: u32 = 16;

/// Rows of `world`: ids 1..=`WORLD_ROWS`.
const WORLD_ROWS: i32 = 10_000;
const MAX_QUERIES: i64 = 500;

const SELECT_WORLD: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
const SELECT_ALL_WORLDS: &str = "SELECT id, randomnumber FROM world ORDER BY id";
const SELECT_FORTUNES: &str = "SELECT id, message FROM fortune";
const UPDATE_WORLDS: &str = "UPDATE world SET randomnumber = v.r \
     FROM (SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS v \
     WHERE world.id = v.id";

const FORTUNES_NAME: &str = "fortunes.html";
const FORTUNES_TEMPLATE: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body>\
<table><tr><th>id</th><th>message</th></tr>\
{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}\
</table></body></html>";

struct AppState {
    pool: PgPool,
    templates: Environment<'static>,
    /// Every row of `world`, loaded at start-up; index `i` holds id `i + 1`.
    cache: Vec<World>,
}

type Shared = Arc<AppState>;

#[derive(Clone, Copy, Serialize)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

impl From<(i32, i32)> for World {
    fn from((id, random_number): (i32, i32)) -> Self {
        Self { id, random_number }
    }
}

#[derive(Serialize)]
struct Fortune {
    id: i32,
    message: String,
}

#[derive(Serialize)]
struct FortunesContext<'a> {
    fortunes: &'a [Fortune],
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Deserialize)]
struct QueriesParams {
    queries: Option<String>,
}

#[derive(Deserialize)]
struct CountParams {
    count: Option<String>,
}

/// A failure while serving a request: a 500 with a short body, the cause on standard error.
struct AppError(String);

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self(format!("database error: {err}"))
    }
}

impl From<minijinja::Error> for AppError {
    fn from(err: minijinja::Error) -> Self {
        Self(format!("template error: {err}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        eprintln!("tfb-axum: {}", self.0);
        (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
    }
}

/// The number of rows asked for: 1..=500; missing, empty or unparsable is 1.
fn clamp_count(raw: Option<&str>) -> usize {
    let n = raw.and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(1);
    // In 1..=500, so the conversion cannot fail.
    usize::try_from(n.clamp(1, MAX_QUERIES)).unwrap_or(1)
}

fn random_id() -> i32 {
    fastrand::i32(1..=WORLD_ROWS)
}

async fn fetch_world(pool: &PgPool, id: i32) -> Result<World, sqlx::Error> {
    let row: (i32, i32) = sqlx::query_as(SELECT_WORLD)
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(row.into())
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn db(State(state): State<Shared>) -> Result<Json<World>, AppError> {
    Ok(Json(fetch_world(&state.pool, random_id()).await?))
}

async fn queries(
    State(state): State<Shared>,
    Query(params): Query<QueriesParams>,
) -> Result<Json<Vec<World>>, AppError> {
    let n = clamp_count(params.queries.as_deref());
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        worlds.push(fetch_world(&state.pool, random_id()).await?);
    }
    Ok(Json(worlds))
}

async fn fortunes(State(state): State<Shared>) -> Result<Html<String>, AppError> {
    let rows: Vec<(i32, String)> = sqlx::query_as(SELECT_FORTUNES)
        .fetch_all(&state.pool)
        .await?;
    let mut fortunes: Vec<Fortune> = rows
        .into_iter()
        .map(|(id, message)| Fortune { id, message })
        .collect();
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_owned(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));

    let template = state.templates.get_template(FORTUNES_NAME)?;
    let html = template.render(FortunesContext {
        fortunes: &fortunes,
    })?;
    Ok(Html(html))
}

async fn updates(
    State(state): State<Shared>,
    Query(params): Query<QueriesParams>,
) -> Result<Json<Vec<World>>, AppError> {
    let n = clamp_count(params.queries.as_deref());
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        let mut world = fetch_world(&state.pool, random_id()).await?;
        world.random_number = random_id();
        worlds.push(world);
    }

    // One value per id, the last one drawn, in id order: concurrent batches lock rows in the
    // same order (no deadlocks), and the response says what the database now holds.
    let latest: BTreeMap<i32, i32> = worlds.iter().map(|w| (w.id, w.random_number)).collect();
    for world in &mut worlds {
        if let Some(&r) = latest.get(&world.id) {
            world.random_number = r;
        }
    }
    let (ids, numbers): (Vec<i32>, Vec<i32>) = latest.into_iter().unzip();
    sqlx::query(UPDATE_WORLDS)
        .bind(ids)
        .bind(numbers)
        .execute(&state.pool)
        .await?;
    Ok(Json(worlds))
}

async fn cached_queries(
    State(state): State<Shared>,
    Query(params): Query<CountParams>,
) -> Json<Vec<World>> {
    let n = clamp_count(params.count.as_deref());
    let cache = &state.cache;
    // The cache holds ids 1..=WORLD_ROWS at indexes 0..WORLD_ROWS (checked at start-up), so a
    // uniform index is a uniform id.
    let worlds = (0..n)
        .map(|_| cache[fastrand::usize(..cache.len())])
        .collect();
    Json(worlds)
}

async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static("axum"));
    response
}

fn app(state: Shared) -> Router {
    Router::new()
        .route("/json", get(json))
        .route("/plaintext", get(plaintext))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
        .route("/cached-queries", get(cached_queries))
        .layer(middleware::map_response(server_header))
        .with_state(state)
}

struct Config {
    port: u16,
    database_url: String,
    pool_size: u32,
}

/// An environment variable, or `None` when unset; a value that is not Unicode is an error.
fn env_var(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid Unicode")),
    }
}

fn config() -> Result<Config, String> {
    let port = match env_var("PORT")? {
        None => DEFAULT_PORT,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("PORT must be a port number (0-65535), got {v:?}"))?,
    };
    let database_url = env_var("DATABASE_URL")?.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let pool_size = match env_var("DB_POOL")? {
        None => DEFAULT_POOL,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(format!("DB_POOL must be a positive integer, got {v:?}")),
        },
    };
    Ok(Config {
        port,
        database_url,
        pool_size,
    })
}

async fn run(config: Config) -> Result<(), String> {
    let pool = PgPoolOptions::new()
        .max_connections(config.pool_size)
        .min_connections(config.pool_size)
        .connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot connect to DATABASE_URL: {e}"))?;

    let rows: Vec<(i32, i32)> = sqlx::query_as(SELECT_ALL_WORLDS)
        .fetch_all(&pool)
        .await
        .map_err(|e| format!("cannot load the world table: {e}"))?;
    let complete = rows.len() == WORLD_ROWS as usize
        && rows
            .iter()
            .zip(1..)
            .all(|(&(id, _), expected)| id == expected);
    if !complete {
        return Err(format!(
            "the world table must hold exactly the ids 1..={WORLD_ROWS} (found {} rows); run the seed",
            rows.len()
        ));
    }
    let cache = rows.into_iter().map(World::from).collect();

    let mut templates = Environment::new();
    templates
        .add_template(FORTUNES_NAME, FORTUNES_TEMPLATE)
        .map_err(|e| format!("the fortunes template does not compile: {e}"))?;

    let state = Arc::new(AppState {
        pool,
        templates,
        cache,
    });

    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (PORT): {e}"))?
        .tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                eprintln!("tfb-axum: cannot set TCP_NODELAY: {e}");
            }
        });
    eprintln!(
        "tfb-axum: listening on {addr}, {} database connections",
        config.pool_size
    );
    axum::serve(listener, app(state))
        .await
        .map_err(|e| format!("server error: {e}"))
}

fn main() -> ExitCode {
    let result = config().and_then(|config| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
        runtime.block_on(run(config))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tfb-axum: {message}");
            ExitCode::FAILURE
        }
    }
}
