//! `App`: an application's routes and configuration, and the way to serve them.

use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;
use http::{StatusCode, header};

use crate::auth::AuthProvider;
use crate::cache::Cache;
use crate::config::Config;
use crate::db::{Db, ModelDecl, Report};
use crate::error::Error;
use crate::fast_route::FastRoute;
use crate::manifest::Manifest;
use crate::module::{self, ModuleList, RouteInfo, RouteTable, Routes, check_and_seed};
use crate::openapi::{self, Info, OpenApi};
use crate::server::{Listeners, Services, Shared};
use crate::static_table::StaticTable;

const AXUM_DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// An application: fast routes served from precomputed bytes, and an axum `Router` for the rest.
///
/// `S` is the state its handlers extract (`State<T>` for every `T: FromRef<S>`), `()` until
/// [`App::with_state`] gives one. `M` lists the mounted modules, so that [`App::bind`] can check
/// the whole application while it is compiled: see [`App::mount_module`].
///
/// ```no_run
/// use chopin_runtime::{App, FastRoute};
/// use axum::routing::get;
///
/// # async fn run() -> Result<(), chopin_runtime::Error> {
/// App::new()
///     .await?
///     .fast_route(FastRoute::json("/json", br#"{"message":"Hello, World!"}"#).get_only())
///     .route("/users/{id}", get(|| async { "a user" }))
///     .run()
///     .await
/// # }
/// ```
pub struct App<S = (), M = ()> {
    config: Config,
    fast_routes: Vec<FastRoute>,
    router: Router<S>,
    state: S,
    auth: Option<AuthProvider>,
    info: Option<Info>,
    /// The patterns added with [`App::route`].
    route_patterns: Vec<String>,
    db: Option<Db>,
    cache: Option<Cache>,
    modules: PhantomData<fn() -> M>,
}

impl App {
    /// An empty application configured from the environment (and `.env`).
    pub async fn new() -> Result<App, Error> {
        Ok(App::with_config(Config::from_env()?))
    }

    /// An empty application with this configuration.
    pub fn with_config(config: Config) -> App {
        App {
            config,
            fast_routes: Vec::new(),
            router: Router::new(),
            state: (),
            auth: None,
            info: None,
            route_patterns: Vec::new(),
            db: None,
            cache: None,
            modules: PhantomData,
        }
    }
}

impl<S, M> App<S, M>
where
    S: Clone + Send + Sync + 'static,
    M: ModuleList,
{
    /// Gives the application its state: handlers extract `State<T>` for every `T: FromRef<S2>`.
    /// Routes added before keep the state they had.
    pub fn with_state<S2>(self, state: S2) -> App<S2, M>
    where
        S2: Clone + Send + Sync + 'static,
    {
        App {
            config: self.config,
            fast_routes: self.fast_routes,
            router: self.router.with_state(self.state),
            state,
            auth: self.auth,
            info: self.info,
            route_patterns: self.route_patterns,
            db: self.db,
            cache: self.cache,
            modules: PhantomData,
        }
    }

    /// Mounts a module: its fast routes, its dynamic routes (with the auth guard where declared)
    /// and, if it provides `auth`, its provider.
    ///
    /// The module is recorded in the application's type, and [`App::bind`] checks all mounted
    /// modules together in constant evaluation: a wrong application does not build. The message
    /// names both sides, as in
    ///
    /// ```text
    /// error[E0080]: evaluation panicked: route conflict: `GET /posts` is declared twice: by
    ///               `Blog::list` in module `blog` (src/blog.rs:10) and by `Feed::list` in
    ///               module `feed` (src/feed.rs:7)
    /// ```
    pub fn mount_module<X: Routes<S>>(mut self, module: X) -> App<S, (M, X)> {
        if let Some(provider) = module.__auth_provider() {
            self.auth = Some(provider);
        }
        for route in X::MANIFEST.routes {
            if let Some(fast) = route.fast {
                self.fast_routes.push(FastRoute::from(*fast));
            }
        }
        App {
            config: self.config,
            fast_routes: self.fast_routes,
            router: self.router.merge(module.router()),
            state: self.state,
            auth: self.auth,
            info: self.info,
            route_patterns: self.route_patterns,
            db: self.db,
            cache: self.cache,
            modules: PhantomData,
        }
    }

    /// The manifests of the mounted modules, in mount order (read from the application's type).
    pub fn manifests(&self) -> Vec<&'static Manifest> {
        module::manifests(M::LIST)
    }

    /// The route table, without serving: every route of the mounted modules (method, path,
    /// handler, module, access, fast or dynamic), then the fast routes added with
    /// [`App::fast_route`]. Routes added with [`App::route`] and [`App::merge`] are axum's and
    /// are not listed. [`RouteTable`] prints it.
    pub fn routes(&self) -> Vec<RouteInfo> {
        let mut out: Vec<RouteInfo> = self
            .manifests()
            .into_iter()
            .flat_map(|m| m.routes.iter().map(move |r| RouteInfo::of(m, r)))
            .collect();
        let by_hand: Vec<RouteInfo> = self
            .fast_routes
            .iter()
            .filter(|f| !out.iter().any(|r| r.fast && r.path == f.path()))
            .map(FastRoute::info)
            .collect();
        out.extend(by_hand);
        out
    }

    /// The application's OpenAPI 3.1 description: every route of the mounted modules, described
    /// from its handler's types, and the fast routes added with [`App::fast_route`]. Routes added
    /// with [`App::route`] and [`App::merge`] are axum's and are not described.
    ///
    /// It is a pure function of the mounted modules: no server, no database. [`App::bind`]
    /// serves it at `OPENAPI_PATH` and [`App::run_command`]'s `openapi` command writes it.
    pub fn openapi(&self) -> OpenApi {
        let manifests = self.manifests();
        let info = self.info.clone().unwrap_or_else(|| Info::of(&manifests));
        let hand: Vec<openapi::spec::HandRoute> = self
            .fast_routes
            .iter()
            .filter(|f| {
                !manifests
                    .iter()
                    .flat_map(|m| m.routes)
                    .any(|r| r.fast.is_some() && r.path == f.path())
            })
            .map(FastRoute::hand_route)
            .collect();
        openapi::spec::build(&manifests, &hand, &info)
    }

    /// Sets the description's `info` (title, version, description), which otherwise comes from
    /// the Cargo metadata of the crate that declares the first mounted module.
    pub fn openapi_info(mut self, info: Info) -> App<S, M> {
        self.info = Some(info);
        self
    }

    /// The API description and its viewer as fast routes, where the configuration serves them,
    /// or why they cannot be served there.
    fn openapi_routes(&self) -> Result<Vec<FastRoute>, Error> {
        let Some((spec_path, docs_path)) = self.config.api_paths() else {
            return Ok(Vec::new());
        };
        let spec = self.openapi();
        let dangling = openapi::unresolved_refs(&spec);
        if !dangling.is_empty() {
            return Err(Error::Routes(vec![format!(
                "the API description refers to schemas it does not define: {}; a `ToSchema` implemented by hand lists every schema it refers to in `schemas()`",
                dangling.join(", ")
            )]));
        }
        let json = spec
            .to_json()
            .map_err(|e| Error::Routes(vec![format!("the API description: {e}")]))?;
        let mut out = vec![FastRoute::json(spec_path.to_owned(), json)];
        if let Some(docs_path) = docs_path {
            let page = openapi::docs_page(&spec.info.title, spec_path);
            out.push(FastRoute::html(docs_path.to_owned(), page));
        }
        let mut errors = Vec::new();
        for (route, variable) in out.iter().zip(["OPENAPI_PATH", "DOCS_PATH"]) {
            for taken in self.routes() {
                let get = taken.methods.overlaps(crate::manifest::Methods::GET)
                    || taken.methods.overlaps(crate::manifest::Methods::ANY);
                if get && chopin_pattern::conflicts(&taken.path, route.path()) {
                    errors.push(format!(
                        "`{}` is where {variable} serves the API {}, and `{}` of module `{}` answers it too: set {variable} to another path, or `off`",
                        route.path(),
                        if variable == "DOCS_PATH" { "viewer" } else { "description" },
                        taken.handler,
                        taken.module,
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(Error::Routes(errors))
        }
    }

    /// The models of the mounted modules (`models(..)`), once each, in mount order.
    pub fn models(&self) -> Vec<ModelDecl> {
        let mut out: Vec<ModelDecl> = Vec::new();
        for m in self.manifests() {
            for model in m.models {
                if !out.iter().any(|o| o.table == model.table) {
                    out.push(*model);
                }
            }
        }
        out
    }

    /// Gives the application this cache service, instead of the one `REDIS_URL` names (or the
    /// in-memory one without it).
    pub fn with_cache(mut self, cache: Cache) -> App<S, M> {
        self.cache = Some(cache);
        self
    }

    /// The application's cache service, if it has one yet.
    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// Gives the application its database, instead of the one `DATABASE_URL` names.
    pub fn with_db(mut self, db: Db) -> App<S, M> {
        self.db = Some(db);
        self
    }

    /// The application's database, if it has one yet.
    pub fn db(&self) -> Option<&Db> {
        self.db.as_ref()
    }

    /// Connects to `DATABASE_URL` when mounted modules declare models and no database was given,
    /// then, with `AUTO_MIGRATE=true`, migrates; and opens the cache service: Redis at
    /// `REDIS_URL`, or one in memory. [`App::run`] does this before it binds.
    ///
    /// # Errors
    /// [`Error::Database`] when the database does not answer, [`Error::Migrate`] when migrating
    /// fails or is refused, [`Error::Cache`] when Redis does not answer.
    pub async fn connect(mut self) -> Result<App<S, M>, Error> {
        if self.cache.is_none() {
            self.cache = Some(Cache::connect(self.config.redis_url.as_deref()).await?);
        }
        if self.db.is_none() && !self.models().is_empty() {
            self.db = Some(self.open_db().await?);
            if self.config.database.auto_migrate {
                // `migrate` logs each step it applies.
                self.migrate().await?;
            }
        }
        Ok(self)
    }

    async fn open_db(&self) -> Result<Db, Error> {
        Db::connect(&self.config.database)
            .await
            .map_err(|source| Error::Database {
                url: crate::db::redact(&self.config.database.url),
                source,
            })
    }

    /// Brings the tables of the mounted modules' models up to date: creates missing tables and
    /// indexes in dependency order, adds missing columns, refuses changes that would lose data,
    /// and records each step in `chopin_migrations`. Running it again does nothing.
    ///
    /// # Errors
    /// [`Error::Database`] when the database does not answer, [`Error::Migrate`] when a change
    /// is refused (nothing is applied then) or the database fails.
    pub async fn migrate(&self) -> Result<Report, Error> {
        if self.models().is_empty() {
            return Ok(Report::default());
        }
        let db = match &self.db {
            Some(db) => db.clone(),
            None => self.open_db().await?,
        };
        let backend = sea_orm::ConnectionTrait::get_database_backend(db.conn());
        let tables = self.models().iter().map(|m| (m.define)(backend)).collect();
        Ok(crate::db::migrate::migrate(db.conn(), tables).await?)
    }

    /// The configuration the application will serve with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes the configuration.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Adds a fast route: a [`FastRoute`] built at start-up, or a constant declared with
    /// `#[fast_route]`, whose bytes were computed at compile time. Mistakes in it are reported by
    /// [`App::bind`] and [`App::run`].
    pub fn fast_route(mut self, route: impl Into<FastRoute>) -> App<S, M> {
        self.fast_routes.push(route.into());
        self
    }

    /// Adds a dynamic route, as [`axum::Router::route`] does.
    ///
    /// # Panics
    /// As axum does, when the path is invalid or conflicts with a route already added.
    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> App<S, M> {
        self.router = self.router.route(path, method_router);
        self.route_patterns.push(path.to_owned());
        self
    }

    /// Merges an axum router (with its state already provided) into the application's.
    pub fn merge(mut self, router: Router<S>) -> App<S, M> {
        self.router = self.router.merge(router);
        self
    }

    /// Prepares the routes and binds the listeners, without accepting connections yet.
    ///
    /// The mounted modules are checked here, in constant evaluation, when this is compiled for
    /// the application's type; the perfect hash of their fast routes is seeded there too.
    pub fn bind(mut self) -> Result<Server, Error> {
        let seed = const { check_and_seed(M::LIST) };
        let described = self.openapi_routes()?;
        self.fast_routes.extend(described);
        let limits = self.config.limits.clone();
        let mut errors = Vec::new();
        let prepared: Vec<_> = self
            .fast_routes
            .into_iter()
            .filter_map(|r| r.prepare().map_err(|e| errors.extend(e)).ok())
            .collect();
        let table = match StaticTable::new(prepared, seed) {
            Ok(table) if errors.is_empty() => table,
            Ok(_) => return Err(Error::Routes(errors)),
            Err(dupes) => return Err(Error::Routes([errors, dupes].concat())),
        };
        // A fast route's path answers the methods it does not serve with `405` and its `allow`,
        // as a routed path does, unless a dynamic route can take them.
        let mut router = self.router;
        for route in table.routes() {
            let path = route.path.as_ref();
            let dynamic = module::manifests(M::LIST)
                .iter()
                .flat_map(|m| m.routes)
                .any(|r| r.fast.is_none() && chopin_pattern::matches(r.path, path))
                || self
                    .route_patterns
                    .iter()
                    .any(|p| chopin_pattern::matches(p, path));
            if !dynamic {
                let allow = route.allow();
                router = router.route(
                    path,
                    MethodRouter::new().fallback(move || {
                        let allow = allow.clone();
                        async move { (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)]) }
                    }),
                );
            }
        }
        // The server enforces `MAX_BODY_BYTES` on every body. axum's extractors also apply their
        // own 2 MiB default, which only matters when the configured limit is larger.
        let router = if limits.max_body_bytes > AXUM_DEFAULT_BODY_LIMIT {
            router.layer(DefaultBodyLimit::disable())
        } else {
            router
        };
        // Without `connect`, an application that names no Redis gets the in-memory cache; one
        // that names Redis gets none rather than a cache its other processes do not share.
        let cache = self
            .cache
            .or_else(|| self.config.redis_url.is_none().then(Cache::memory));
        // What handlers extract from the application (the provider of `auth`, the database, the
        // cache) reaches them through the server's request context, not `Extension` layers: a
        // layer wraps and boxes every route again, an allocation per request per layer.
        let services = Services {
            auth: self.auth,
            db: self.db,
            cache,
        };
        // Turns every handler into a ready route now; otherwise axum boxes the handler into a
        // route again on every request (`axum::serve` does this once per connection).
        let router = router.with_state(self.state);
        let addr = SocketAddr::new(self.config.host, self.config.port);
        let listeners =
            Listeners::bind(&self.config).map_err(|source| Error::Bind { addr, source })?;
        Ok(Server {
            listeners,
            shared: Arc::new(Shared {
                table,
                router,
                limits,
                services: Arc::new(services),
            }),
            config: self.config,
        })
    }

    /// Runs the application as its own management command, as Django's `manage.py`: the first
    /// argument of the process names the command.
    ///
    /// - `serve` (or nothing): [`App::run`].
    /// - `routes`: prints the route table ([`App::routes`]) to standard output and returns.
    /// - `migrate`: [`App::migrate`], printing each step.
    /// - `openapi [--out FILE]`: writes the API description ([`App::openapi`]) as JSON to
    ///   standard output, or to `FILE`, and returns.
    ///
    /// # Errors
    /// [`Error::Usage`] for any other command or argument, and whatever the command itself
    /// returns.
    pub async fn run_command(self) -> Result<(), Error> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            [] | ["serve"] => self.run().await,
            ["routes"] => {
                print!("{}", RouteTable(&self.routes()));
                Ok(())
            }
            ["migrate"] => {
                if self.models().is_empty() {
                    println!("migrate: no mounted module declares models");
                    return Ok(());
                }
                let report = self.migrate().await?;
                for warning in &report.warnings {
                    println!("migrate: warning: {warning}");
                }
                if report.applied.is_empty() {
                    println!("migrate: the tables are up to date");
                }
                for step in &report.applied {
                    println!("migrate: {step}");
                }
                Ok(())
            }
            ["openapi", rest @ ..] => {
                let out = match rest {
                    [] => None,
                    ["--out", file] => Some(*file),
                    _ => {
                        return Err(Error::Usage(format!(
                            "`openapi {}`: expected `openapi` or `openapi --out FILE`",
                            rest.join(" ")
                        )));
                    }
                };
                let json = self
                    .openapi()
                    .to_pretty_json()
                    .map_err(std::io::Error::other)?;
                match out {
                    None => println!("{json}"),
                    Some(file) => {
                        std::fs::write(file, json + "\n").map_err(|source| Error::Write {
                            path: file.into(),
                            source,
                        })?;
                    }
                }
                Ok(())
            }
            [other, ..] => Err(Error::Usage(format!(
                "unknown command `{other}`: expected `serve` (the default), `routes`, `migrate` or `openapi [--out FILE]`"
            ))),
        }
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
    pub async fn run(self) -> Result<(), Error> {
        self.connect().await?.bind()?.run().await
    }

    /// Serves until `signal` completes, then finishes the requests in flight and returns.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), Error> {
        self.connect().await?.bind()?.run_until(signal).await
    }
}

/// A bound application, about to serve.
pub struct Server {
    listeners: Listeners,
    shared: Arc<Shared>,
    config: Config,
}

impl Server {
    /// The address the server listens on (with the real port when `PORT=0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.listeners.local_addr()
    }

    /// One line per fast route, as `/json [GET, HEAD] (27 bytes)`.
    pub fn fast_routes(&self) -> Vec<String> {
        self.shared
            .table
            .routes()
            .iter()
            .map(|r| r.describe())
            .collect()
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run(self) -> Result<(), Error> {
        let signal = shutdown_signal()?;
        self.run_until(signal).await
    }

    /// Serves until `signal` completes.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), Error> {
        let mode = if self.config.reuseport {
            format!("SO_REUSEPORT, {} workers", self.config.workers)
        } else {
            "one listener, multi-thread runtime".to_owned()
        };
        let addr = self.local_addr();
        tracing::info!("listening on http://{addr} ({mode})");
        if let Some((spec, docs)) = self.config.api_paths() {
            tracing::info!("API description at http://{addr}{spec}");
            if let Some(docs) = docs {
                tracing::info!("API reference at http://{addr}{docs}");
            }
        }
        for route in self.fast_routes() {
            tracing::info!("fast route {route}");
        }
        self.listeners
            .serve(self.shared, signal, self.config.shutdown_timeout)
            .await?;
        tracing::info!("shut down");
        Ok(())
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled, so a
/// signal that arrives between start-up and the first poll still shuts the server down
/// gracefully instead of killing it.
///
/// # Errors
/// If the signal handlers cannot be installed. Must be called inside a tokio runtime.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
