//! The TechEmpower ceiling: the fastest practical server for the suite's seven tests, written by
//! hand on tokio + httparse + tokio-postgres, against which a framework is compared per server
//! CPU-second.
//!
//! One `current_thread` runtime. Each HTTP connection is a task that reads into a buffer, parses
//! every complete request in it (pipelining), answers them in order into one output buffer and
//! writes that buffer once per read. Requests that need the database are answered one at a time
//! within their connection; the concurrency comes from the many connections sharing a few
//! tokio-postgres clients (`DB_CONNECTIONS`, default 4, assigned round-robin per HTTP
//! connection), each with its statements prepared once, which pipeline every query polled
//! concurrently on them, including the N reads of `/queries` and `/updates`.
//!
//! Environment: `PORT` (default 8080, on 0.0.0.0), `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/techempower`), `DB_CONNECTIONS` (default 4).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::try_join_all;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_postgres::{Client, NoTls, Row, Statement};

/// Length of an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
const DATE_LEN: usize = 29;
/// Largest request head we buffer; a client that sends more without completing one gets a 431.
const BUF_LEN: usize = 16 * 1024;
/// Headers httparse accepts per request; more is a 400.
const MAX_HEADERS: usize = 32;
/// Rows in `world`, whose ids are `1..=WORLD_ROWS`.
const WORLD_ROWS: i32 = 10_000;

const TEXT_PLAIN: &[u8] = b"text/plain";
const APPLICATION_JSON: &[u8] = b"application/json";
const TEXT_HTML: &[u8] = b"text/html; charset=utf-8";

const SELECT_WORLD: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
const SELECT_FORTUNES: &str = "SELECT id, message FROM fortune";
const UPDATE_WORLDS: &str = "UPDATE world SET randomnumber = v.r FROM (SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS v WHERE world.id = v.id";

/// `/json`'s body.
#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// A row of `world`.
#[derive(Clone, Copy, Serialize)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    randomnumber: i32,
}

/// One database connection and its prepared statements.
struct Db {
    client: Client,
    world: Statement,
    fortunes: Statement,
    update: Statement,
}

/// What every connection task shares.
struct App {
    dbs: Vec<Db>,
    /// `world` as loaded at start-up, indexed by id.
    cache: Vec<Option<World>>,
}

/// What a request asks for, owned so that no borrow of the read buffer lives across an await.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Plaintext,
    Json,
    CachedQueries(usize),
    Database(DbRoute),
    NotFound,
    MethodNotAllowed,
}

/// The routes that query the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DbRoute {
    Db,
    Queries(usize),
    Fortunes,
    Updates(usize),
}

/// The parts of a request head the server acts on.
struct Head {
    route: Route,
    /// The client asked to close (`Connection: close`, or HTTP/1.0 without keep-alive).
    close: bool,
    /// `Content-Length` of a body to skip.
    body_len: usize,
}

/// The outcome of parsing at the start of the unconsumed input.
enum Parsed {
    Complete(usize, Head),
    Partial,
    Invalid,
}

/// The formatted date, with the second it was formatted in.
struct CachedDate {
    second: u64,
    date: [u8; DATE_LEN],
}

thread_local! {
    static DATE: RefCell<CachedDate> = const {
        RefCell::new(CachedDate { second: u64::MAX, date: [b' '; DATE_LEN] })
    };
}

/// The current `Date` value, formatted again only when the second has changed.
fn date() -> [u8; DATE_LEN] {
    DATE.with_borrow_mut(|cached| {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if second != cached.second {
            let formatted = httpdate::fmt_http_date(now);
            if formatted.len() == DATE_LEN {
                cached.date.copy_from_slice(formatted.as_bytes());
            }
            cached.second = second;
        }
        cached.date
    })
}

/// Appends the decimal digits of `n`.
fn push_usize(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `n` in decimal.
fn push_i32(out: &mut Vec<u8>, n: i32) {
    if n < 0 {
        out.push(b'-');
    }
    push_usize(out, n.unsigned_abs() as usize);
}

/// Appends a `200 OK` with `body`.
fn push_response(out: &mut Vec<u8>, date: &[u8; DATE_LEN], content_type: &[u8], body: &[u8]) {
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: ");
    out.extend_from_slice(content_type);
    out.extend_from_slice(b"\r\nContent-Length: ");
    push_usize(out, body.len());
    out.extend_from_slice(b"\r\nDate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

/// Appends an empty response with `status` (such as `404 Not Found`).
fn push_status(out: &mut Vec<u8>, date: &[u8; DATE_LEN], status: &[u8], close: bool) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status);
    out.extend_from_slice(b"\r\nServer: raw\r\nContent-Length: 0\r\nDate: ");
    out.extend_from_slice(date);
    if close {
        out.extend_from_slice(b"\r\nConnection: close");
    }
    out.extend_from_slice(b"\r\n\r\n");
}

/// Appends `text` HTML-escaped.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#x27;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(entity);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The query parameter `name` as a count of rows: 1 when missing, empty or not a number, and
/// clamped to `1..=500`.
fn count(query: &str, name: &str) -> usize {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='));
    match value {
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
            .bytes()
            .fold(0usize, |n, b| {
                n.saturating_mul(10).saturating_add(usize::from(b - b'0'))
            })
            .clamp(1, 500),
        _ => 1,
    }
}

/// Whether a comma-separated header value contains `token` (case-insensitively).
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// What the server needs of a parsed request head; `None` if it cannot serve it.
fn head(req: &httparse::Request<'_, '_>) -> Option<Head> {
    let (method, target, version) = (req.method?, req.path?, req.version?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut route = match path {
        "/plaintext" => Route::Plaintext,
        "/json" => Route::Json,
        "/db" => Route::Database(DbRoute::Db),
        "/queries" => Route::Database(DbRoute::Queries(count(query, "queries"))),
        "/fortunes" => Route::Database(DbRoute::Fortunes),
        "/updates" => Route::Database(DbRoute::Updates(count(query, "queries"))),
        "/cached-queries" => Route::CachedQueries(count(query, "count")),
        _ => Route::NotFound,
    };
    if method != "GET" && route != Route::NotFound {
        route = Route::MethodNotAllowed;
    }
    let mut close = version == 0;
    let mut body_len = 0;
    for header in req.headers.iter() {
        if header.name.eq_ignore_ascii_case("connection") {
            if has_token(header.value, "close") {
                close = true;
            } else if has_token(header.value, "keep-alive") {
                close = false;
            }
        } else if header.name.eq_ignore_ascii_case("content-length") {
            body_len = std::str::from_utf8(header.value)
                .ok()?
                .trim()
                .parse()
                .ok()?;
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return None; // chunked bodies are not something this benchmark sends
        }
    }
    Some(Head {
        route,
        close,
        body_len,
    })
}

/// Parses the request head at the start of `input`.
fn parse(input: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(input) {
        Ok(httparse::Status::Complete(len)) => match head(&req) {
            Some(head) => Parsed::Complete(len, head),
            None => Parsed::Invalid,
        },
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Err(_) => Parsed::Invalid,
    }
}

/// A uniformly random `world` id.
fn random_id() -> i32 {
    fastrand::i32(1..=WORLD_ROWS)
}

/// A `world` row from a result row.
fn world(row: &Row) -> Result<World, tokio_postgres::Error> {
    Ok(World {
        id: row.try_get(0)?,
        randomnumber: row.try_get(1)?,
    })
}

impl Db {
    /// Connects to the database and prepares the statements.
    async fn connect(config: &tokio_postgres::Config) -> Result<Self, tokio_postgres::Error> {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("tfb-raw: database connection closed: {e}");
            }
        });
        Ok(Self {
            world: client.prepare(SELECT_WORLD).await?,
            fortunes: client.prepare(SELECT_FORTUNES).await?,
            update: client.prepare(UPDATE_WORLDS).await?,
            client,
        })
    }

    /// `n` random rows, each its own execution of the prepared select, all in flight at once.
    async fn worlds(&self, n: usize) -> Result<Vec<World>, tokio_postgres::Error> {
        try_join_all((0..n).map(|_| {
            let id = random_id();
            async move { world(&self.client.query_one(&self.world, &[&id]).await?) }
        }))
        .await
    }

    /// Writes the body of a database route into `body` and returns its content type.
    async fn respond(
        &self,
        route: DbRoute,
        body: &mut Vec<u8>,
    ) -> Result<&'static [u8], tokio_postgres::Error> {
        match route {
            DbRoute::Db => {
                let id = random_id();
                let row = world(&self.client.query_one(&self.world, &[&id]).await?)?;
                Ok(json(body, &row))
            }
            DbRoute::Queries(n) => Ok(json(body, &self.worlds(n).await?)),
            DbRoute::Updates(n) => {
                let mut worlds = self.worlds(n).await?;
                for w in &mut worlds {
                    w.randomnumber = random_id();
                }
                // Sorted by id (stable, so a repeated id's last value comes last), one value per
                // id: the last one.
                let mut sorted = worlds.clone();
                sorted.sort_by_key(|w| w.id);
                let mut ids: Vec<i32> = Vec::with_capacity(n);
                let mut numbers: Vec<i32> = Vec::with_capacity(n);
                for w in &sorted {
                    match (ids.last(), numbers.last_mut()) {
                        (Some(&id), Some(number)) if id == w.id => *number = w.randomnumber,
                        _ => {
                            ids.push(w.id);
                            numbers.push(w.randomnumber);
                        }
                    }
                }
                if ids.len() < worlds.len() {
                    for w in &mut worlds {
                        if let Ok(i) = ids.binary_search(&w.id) {
                            w.randomnumber = numbers[i];
                        }
                    }
                }
                self.client.execute(&self.update, &[&ids, &numbers]).await?;
                Ok(json(body, &worlds))
            }
            DbRoute::Fortunes => {
                let rows = self.client.query(&self.fortunes, &[]).await?;
                let mut fortunes: Vec<(i32, &str)> = Vec::with_capacity(rows.len() + 1);
                for row in &rows {
                    fortunes.push((row.try_get(0)?, row.try_get(1)?));
                }
                fortunes.push((0, "Additional fortune added at request time."));
                fortunes.sort_unstable_by(|a, b| a.1.cmp(b.1));
                body.extend_from_slice(
                    b"<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
                );
                for (id, message) in fortunes {
                    body.extend_from_slice(b"<tr><td>");
                    push_i32(body, id);
                    body.extend_from_slice(b"</td><td>");
                    push_escaped(body, message);
                    body.extend_from_slice(b"</td></tr>");
                }
                body.extend_from_slice(b"</table></body></html>");
                Ok(TEXT_HTML)
            }
        }
    }
}

/// Serializes `value` into `body` and returns JSON's content type.
fn json<T: Serialize + ?Sized>(body: &mut Vec<u8>, value: &T) -> &'static [u8] {
    // Writing these types into a `Vec` cannot fail; should it, the body says so.
    if serde_json::to_writer(&mut *body, value).is_err() {
        body.clear();
        body.extend_from_slice(b"null");
    }
    APPLICATION_JSON
}

/// Appends the response to `route` to `out`, using `body` as scratch.
async fn respond(
    app: &App,
    db: &Db,
    route: Route,
    date: &[u8; DATE_LEN],
    out: &mut Vec<u8>,
    body: &mut Vec<u8>,
) {
    body.clear();
    match route {
        Route::Plaintext => push_response(out, date, TEXT_PLAIN, b"Hello, World!"),
        Route::Json => {
            let content_type = json(
                body,
                &Message {
                    message: "Hello, World!",
                },
            );
            push_response(out, date, content_type, body);
        }
        Route::CachedQueries(n) => {
            let worlds: Option<Vec<World>> = (0..n)
                .map(|_| app.cache.get(random_id() as usize).copied().flatten())
                .collect();
            match worlds {
                Some(worlds) => {
                    let content_type = json(body, &worlds);
                    push_response(out, date, content_type, body);
                }
                None => push_status(out, date, b"500 Internal Server Error", false),
            }
        }
        Route::NotFound => push_status(out, date, b"404 Not Found", false),
        Route::MethodNotAllowed => push_status(out, date, b"405 Method Not Allowed", false),
        Route::Database(route) => match db.respond(route, body).await {
            Ok(content_type) => push_response(out, date, content_type, body),
            Err(e) => {
                eprintln!("tfb-raw: database error: {e}");
                push_status(out, date, b"500 Internal Server Error", false);
            }
        },
    }
}

/// Serves one HTTP connection, using database connection `db`.
async fn serve(mut stream: TcpStream, app: Arc<App>, db: usize) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let app = &*app;
    let db = &app.dbs[db % app.dbs.len()];
    let mut buf = vec![0u8; BUF_LEN];
    let mut filled = 0;
    // Bytes of a request body still to discard.
    let mut skip = 0;
    let mut out = Vec::with_capacity(4096);
    let mut body = Vec::with_capacity(1024);
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        let date = date();
        let mut consumed = 0;
        let mut close = false;
        loop {
            if skip > 0 {
                let discarded = skip.min(filled - consumed);
                consumed += discarded;
                skip -= discarded;
                if skip > 0 {
                    break;
                }
            }
            match parse(&buf[consumed..filled]) {
                Parsed::Complete(len, head) => {
                    consumed += len;
                    skip = head.body_len;
                    respond(app, db, head.route, &date, &mut out, &mut body).await;
                    if head.close {
                        close = true;
                        break;
                    }
                }
                Parsed::Partial => break,
                Parsed::Invalid => {
                    push_status(&mut out, &date, b"400 Bad Request", true);
                    close = true;
                    break;
                }
            }
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        if !close && filled == buf.len() {
            push_status(
                &mut out,
                &date,
                b"431 Request Header Fields Too Large",
                true,
            );
            close = true;
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if close {
            return stream.shutdown().await;
        }
    }
}

/// The environment variable `name`, parsed, or `default` when it is unset.
fn env<T: std::str::FromStr>(name: &str, default: T, expected: &str) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("{name} must be {expected}, got {value:?}")),
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
    }
}

async fn run() -> Result<(), String> {
    let port: u16 = env("PORT", 8080, "a port number")?;
    let connections: usize = env(
        "DB_CONNECTIONS",
        4,
        "a number of connections from 1 to 1024",
    )?;
    if !(1..=1024).contains(&connections) {
        return Err(format!(
            "DB_CONNECTIONS must be a number of connections from 1 to 1024, got {connections}"
        ));
    }
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(std::env::VarError::NotPresent) => {
            "postgres://postgres@127.0.0.1:5432/techempower".to_owned()
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err("DATABASE_URL is not valid UTF-8".to_owned());
        }
    };
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a PostgreSQL URL: {e}"))?;

    let mut dbs = Vec::with_capacity(connections);
    for _ in 0..connections {
        dbs.push(
            Db::connect(&config)
                .await
                .map_err(|e| format!("cannot connect to DATABASE_URL and prepare: {e}"))?,
        );
    }
    let mut cache = vec![None; WORLD_ROWS as usize + 1];
    let rows = dbs[0]
        .client
        .query("SELECT id, randomnumber FROM world", &[])
        .await
        .map_err(|e| format!("cannot load the world table: {e}"))?;
    for row in &rows {
        let w = world(row).map_err(|e| format!("cannot read the world table: {e}"))?;
        if let Some(slot) = usize::try_from(w.id).ok().and_then(|i| cache.get_mut(i)) {
            *slot = Some(w);
        }
    }
    let app = Arc::new(App { dbs, cache });

    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = TcpSocket::new_v4()
        .and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(4096)
        })
        .map_err(|e| format!("cannot listen on {addr} (PORT): {e}"))?;
    eprintln!("tfb-raw: listening on {addr} with {connections} database connections");

    // Round-robin over the database connections, per HTTP connection.
    let mut next: usize = 0;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let app = Arc::clone(&app);
                let db = next;
                next = next.wrapping_add(1);
                tokio::spawn(async move {
                    // A client that resets mid-batch is not the server's failure: drop it.
                    let _ = serve(stream, app, db).await;
                });
            }
            Err(e) => {
                // Out of file descriptors, typically: wait for connections to close.
                eprintln!("tfb-raw: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tfb-raw: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tfb-raw: {message}");
            ExitCode::FAILURE
        }
    }
}
