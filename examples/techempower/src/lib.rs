//! The TechEmpower Framework Benchmarks' seven test types, written with Chopin's own API as an
//! application would write them: two models, one module of handlers, `Db` for the database,
//! a `Local` cache for the cached queries, and a minijinja template for the fortunes. The `seed`
//! command (a plugin's, see [`seed`]) fills the tables `migrate` creates.
//!
//! The rules are TechEmpower's: every response is built per request (`/plaintext` and `/json`
//! too: the precomputed answers are the fast routes under `/fast/`, which TechEmpower would
//! count as "stripped" and which the suite reports apart), every query is its own statement
//! (`/updates` writes its rows back in one), and `Server` and `Date` are on every response.

use std::sync::LazyLock;

use chopin::axum::response::{Html, Response};
use chopin::cache::Local;
use chopin::db::sea_orm::sea_query::{CaseStatement, Expr};
use chopin::http::HeaderValue;
use chopin::prelude::*;
use serde::{Deserialize, Serialize};

pub mod seed;

use seed::WORLDS;

/// A row of TechEmpower's `World` table: 10,000 of them, ids 1 to 10,000.
#[chopin::model(table = "world")]
pub struct World {
    /// From 1 to 10,000.
    #[model(primary_key)]
    pub id: i32,
    /// From 1 to 10,000; the column as TechEmpower names it.
    pub randomnumber: i32,
}

/// A row of TechEmpower's `Fortune` table.
#[chopin::model(table = "fortune")]
pub struct Fortune {
    /// Its id.
    #[model(primary_key)]
    pub id: i32,
    /// The fortune, which may hold markup (escaped when rendered).
    #[model(max_len = 2048)]
    pub message: String,
}

/// A world as TechEmpower's responses spell it: `{"id":1,"randomNumber":2}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorldRow {
    /// From 1 to 10,000.
    pub id: i32,
    /// From 1 to 10,000.
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

impl From<world::Model> for WorldRow {
    fn from(row: world::Model) -> WorldRow {
        WorldRow {
            id: row.id,
            random_number: row.randomnumber,
        }
    }
}

/// The body of `/json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// Always `Hello, World!`.
    pub message: &'static str,
}

/// How many rows `/queries` and `/updates` want.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Queries {
    /// From 1 to 500; anything else is clamped, and what is not a number is 1.
    pub queries: Option<String>,
}

/// How many rows `/cached-queries` wants.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Count {
    /// From 1 to 500; anything else is clamped, and what is not a number is 1.
    pub count: Option<String>,
}

/// TechEmpower's rule for a count: 1 to 500, and 1 for what is missing or not a number.
pub fn clamp(count: Option<&str>) -> usize {
    count
        .and_then(|n| n.trim().parse::<i64>().ok())
        .map_or(1, |n| n.clamp(1, 500) as usize)
}

/// The fortunes page.
const FORTUNES: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\
<tr><th>id</th><th>message</th></tr>\
{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}\
</table></body></html>";

/// The templates, parsed once. A name ending in `.html` turns escaping on.
static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    // The template is a constant of this crate: a syntax error in it is a bug the tests catch.
    #[allow(clippy::expect_used)]
    env.add_template("fortunes.html", FORTUNES)
        .expect("the fortunes template parses");
    env
});

/// A random world id, 1 to 10,000.
fn random_id() -> i32 {
    fastrand::i32(1..=WORLDS)
}

/// The world `id`.
async fn world(db: &Db, id: i32) -> Result<WorldRow, ChopinError> {
    world::Entity::find_by_id(id)
        .one(&**db)
        .await?
        .map(WorldRow::from)
        .ok_or_else(|| ChopinError::internal(format!("world {id} is missing: run `seed`")))
}

/// `n` random worlds, one query each.
async fn worlds(db: &Db, n: usize) -> Result<Vec<WorldRow>, ChopinError> {
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(world(db, random_id()).await?);
    }
    Ok(rows)
}

/// The seven test types.
pub struct TechEmpower;

#[chopin::module(name = "techempower", models(World, Fortune))]
impl TechEmpower {
    /// TechEmpower's `json`: an object built and serialized on every request.
    #[get("/json")]
    async fn json() -> Json<Message> {
        Json(Message {
            message: "Hello, World!",
        })
    }

    /// TechEmpower's `plaintext`, answered by a handler on every request.
    #[get("/plaintext")]
    async fn plaintext() -> &'static str {
        "Hello, World!"
    }

    /// TechEmpower's `db`: one random world.
    #[get("/db")]
    async fn db(db: Db) -> Result<Json<WorldRow>, ChopinError> {
        Ok(Json(world(&db, random_id()).await?))
    }

    /// TechEmpower's `queries`: `queries` random worlds, one query each.
    #[get("/queries")]
    async fn queries(db: Db, Query(q): Query<Queries>) -> Result<Json<Vec<WorldRow>>, ChopinError> {
        Ok(Json(worlds(&db, clamp(q.queries.as_deref())).await?))
    }

    /// TechEmpower's `fortunes`: every fortune and one more, sorted, in an HTML table.
    #[get("/fortunes")]
    async fn fortunes(db: Db) -> Result<Html<String>, ChopinError> {
        let rows = fortune::Entity::find().all(&*db).await?;
        let mut fortunes: Vec<Fortune> = rows.into_iter().map(Fortune::from).collect();
        fortunes.push(Fortune {
            id: 0,
            message: "Additional fortune added at request time.".to_owned(),
        });
        fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
        let page = TEMPLATES
            .get_template("fortunes.html")
            .and_then(|t| t.render(minijinja::context! { fortunes }))
            .map_err(ChopinError::internal)?;
        Ok(Html(page))
    }

    /// TechEmpower's `updates`: `queries` random worlds, each given a new random number, written
    /// back in one statement.
    #[get("/updates")]
    async fn updates(db: Db, Query(q): Query<Queries>) -> Result<Json<Vec<WorldRow>>, ChopinError> {
        let mut rows = worlds(&db, clamp(q.queries.as_deref())).await?;
        for row in &mut rows {
            row.random_number = random_id();
        }
        // One value per id, the last drawn (an id may come twice), in id order, so that two
        // requests updating the same rows lock them in the same order.
        let mut new: Vec<(i32, i32)> = rows.iter().map(|r| (r.id, r.random_number)).collect();
        new.sort_by_key(|&(id, _)| id);
        new.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        for row in &mut rows {
            if let Ok(i) = new.binary_search_by_key(&row.id, |&(id, _)| id) {
                row.random_number = new[i].1;
            }
        }
        let mut case = CaseStatement::new();
        for &(id, number) in &new {
            case = case.case(world::Column::Id.eq(id), Expr::val(number));
        }
        world::Entity::update_many()
            .col_expr(world::Column::Randomnumber, case.into())
            .filter(world::Column::Id.is_in(new.iter().map(|&(id, _)| id)))
            .exec(&*db)
            .await?;
        Ok(Json(rows))
    }

    /// TechEmpower's `cached-queries`: `count` random worlds from the process's cache, each
    /// read from the database once and kept.
    #[get("/cached-queries")]
    async fn cached_queries(
        db: Db,
        cache: Local<i32, WorldRow>,
        Query(c): Query<Count>,
    ) -> Result<Json<Vec<WorldRow>>, ChopinError> {
        let n = clamp(c.count.as_deref());
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let id = random_id();
            rows.push(cache.get_or_try_insert_with(id, || world(&db, id)).await?);
        }
        Ok(Json(rows))
    }

    /// `json`, precomputed: the same bytes for every request, answered from the socket. Not a
    /// TechEmpower answer (it would count as "stripped"); reported apart.
    #[fast_route("/fast/json", json, header("server", "chopin"))]
    const FAST_JSON: &'static str = r#"{"message":"Hello, World!"}"#;

    /// `plaintext`, precomputed, answered from the socket; reported apart, as `/fast/json`.
    #[fast_route("/fast/plaintext", text, header("server", "chopin"))]
    const FAST_PLAINTEXT: &'static str = "Hello, World!";
}

/// Adds `server: chopin` to every dynamic response (the fast routes carry it in their bytes).
async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("chopin"));
    response
}

/// The modules the application mounts.
pub type Modules = ((), (TechEmpower,));

/// The application: the seven test types, the cache of worlds, and the `seed` command.
pub fn app(config: Config) -> App<(), Modules> {
    App::with_config(config)
        .with_migrations(chopin::migrations!())
        .with_service(Local::<i32, WorldRow>::new(WORLDS as usize))
        .with_plugin(seed::Seed)
        .mount_module(TechEmpower)
        .layer(chopin::axum::middleware::map_response(server_header))
}
