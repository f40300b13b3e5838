//! Binding and serving: the static table, the router with its `405`s, the API description's
//! routes, the listeners, and shutdown.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::{Arc, Once};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, get};
use http::{Method, StatusCode, header};

use super::App;
use crate::cache::Cache;
use crate::compression::Compression;
use crate::config::Config;
use crate::error::Error;
use crate::fast_route::FastRoute;
use crate::fast_route::Prepared;
#[cfg(feature = "metrics")]
use crate::gauges::Gauges;
use crate::manifest::Manifest;
use crate::manifest::Methods;
use crate::method::MethodSet;
#[cfg(feature = "metrics")]
use crate::middleware::metrics::Count;
use crate::middleware::{self, observe::ObserveLayer, observe::Observer};
use crate::module::{self, ModuleList};
use crate::openapi::{self, Viewer};
use crate::plugin::StreamedBodies;
use crate::ready::{Check, Checks};
use crate::response::ChopinError;
#[cfg(feature = "metrics")]
use crate::server::CounterSnapshot;
use crate::server::{Counters, Listeners, Shared};
use crate::service::AppContext;
use crate::static_table::StaticTable;

const AXUM_DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

impl<S, M> App<S, M>
where
    S: Clone + Send + Sync + 'static,
    M: ModuleList,
{
    /// The API description and its viewer's page as fast routes, and where the viewer's script
    /// is served (`DOCS_UI=bundled`), where the configuration serves them; or why they cannot be
    /// served there.
    fn openapi_routes(&self) -> Result<Described, Error> {
        let Some((spec_path, docs_path)) = self.config.api_paths() else {
            return Ok(Described::default());
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
        let mut out = Described {
            fast: vec![FastRoute::json(spec_path.to_owned(), json)],
            script: None,
        };
        let mut served = vec![(spec_path.to_owned(), "OPENAPI_PATH", "description")];
        if let Some(docs_path) = docs_path {
            let viewer = Viewer::new(self.config.docs_ui, docs_path);
            let page = viewer.page(&spec.info.title, spec_path);
            out.fast.push(
                FastRoute::html(docs_path.to_owned(), page)
                    .header("content-security-policy", viewer.csp())
                    .header("x-content-type-options", "nosniff"),
            );
            served.push((docs_path.to_owned(), "DOCS_PATH", "viewer"));
            if let Some(script) = viewer.script_path() {
                served.push((script.clone(), "DOCS_PATH", "viewer's script"));
                out.script = Some(script);
            }
        }
        let mut errors = Vec::new();
        let routes = self.routes();
        for (path, variable, what) in &served {
            for taken in &routes {
                let get =
                    taken.methods.overlaps(Methods::GET) || taken.methods.overlaps(Methods::ANY);
                if get && chopin_pattern::conflicts(&taken.path, path) {
                    errors.push(format!(
                        "`{path}` is where {variable} serves the API {what}, and `{}` of module `{}` answers it too: set {variable} to another path, or `off`",
                        taken.handler, taken.module,
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

    /// [`App::bind`], once the modules are checked: `seed` is the perfect hash's.
    pub(super) fn bind_seeded(mut self, seed: Option<u64>) -> Result<Server, Error> {
        let described = self.openapi_routes()?;
        self.fast_routes.extend(described.fast);
        if let Some(path) = described.script {
            // A dynamic route: its answer depends on `accept-encoding` (see `openapi::scalar`).
            let what = "the API viewer's script";
            self.router = serve_at(
                self.router,
                &path,
                "DOCS_PATH",
                what,
                get(openapi::scalar::script),
            )?;
        }
        let limits = self.config.limits.clone();
        let http = &self.config.http;
        let compression = Compression::new(
            // Without the feature, brotli is not built in: fast routes are served as they are.
            cfg!(feature = "compression") && http.compression,
            http.compression_min_bytes,
        );
        let mut errors = Vec::new();
        let prepared: Vec<_> = self
            .fast_routes
            .into_iter()
            .filter_map(|r| r.prepare(compression).map_err(|e| errors.extend(e)).ok())
            .collect();
        let table = match StaticTable::new(prepared, seed) {
            Ok(table) if errors.is_empty() => table,
            Ok(_) => return Err(Error::Routes(errors)),
            Err(dupes) => return Err(Error::Routes([errors, dupes].concat())),
        };
        let router = route_all(self.router, &table, self.added, &module::manifests(M::LIST))?
            // Every path's other methods, then every other path: the JSON error every other
            // error has. (A method router's own `405`s keep their `allow` header.)
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found);
        // The server enforces `MAX_BODY_BYTES` on every body, or the larger limit a battery's
        // streaming extractor asked for on bodies of its media type (uploads): then axum's
        // extractors are held to `MAX_BODY_BYTES` by their own limit. They apply a 2 MiB
        // default otherwise, which only matters when the configured limit is larger.
        let streamed = self
            .services
            .get::<StreamedBodies>()
            .map(|s| s.0.clone())
            .unwrap_or_default();
        let router = if streamed.iter().any(|(_, n)| *n > limits.max_body_bytes) {
            router.layer(DefaultBodyLimit::max(limits.max_body_bytes))
        } else if limits.max_body_bytes > AXUM_DEFAULT_BODY_LIMIT {
            router.layer(DefaultBodyLimit::disable())
        } else {
            router
        };
        // Turns every handler into a ready route now; otherwise axum boxes the handler into a
        // route again on every request (`axum::serve` does this once per connection).
        // Without `connect`, the application serves the services it was given, and the
        // in-memory cache if it was given none.
        let mut services = self.services;
        if !services.contains::<Cache>() {
            services.insert(Cache::memory());
        }
        let mut router = router.with_state(self.state);
        for layer in self.layers {
            router = layer(router);
        }
        let counters = Counters::default();
        let observer = Observer {
            access_log: self.config.http.access_log,
            #[cfg(feature = "metrics")]
            metrics: self
                .config
                .http
                .metrics_path
                .is_some()
                .then(middleware::metrics::Recorder::new),
        };
        #[cfg(feature = "metrics")]
        let metrics = observer.metrics.clone();
        if observer.any() {
            router = router.layer(ObserveLayer(Arc::new(observer)));
        }
        #[cfg(feature = "metrics")]
        if let (Some(path), Some(metrics)) = (self.config.http.metrics_path.clone(), metrics) {
            let gauges = services.get::<Gauges>().cloned().unwrap_or_default();
            let counters = counters.clone();
            router = serve_at(
                router,
                &path,
                "METRICS_PATH",
                "the metrics",
                get(move || {
                    let text = metrics.render(&counts(counters.snapshot()), &gauges);
                    async move {
                        (
                            [(
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            text,
                        )
                    }
                }),
            )?;
        }
        if let Some(path) = self.config.http.ready_path.clone() {
            let mut checks = services.get::<Checks>().cloned().unwrap_or_default();
            if let Some(cache) = services.get::<Cache>().cloned() {
                checks.0.push(Check::new("cache", move || {
                    let cache = cache.clone();
                    Box::pin(async move {
                        cache
                            .exists("chopin:ready")
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
                }));
            }
            router = serve_at(
                router,
                &path,
                "READY_PATH",
                "readiness",
                get(move || checks.clone().answer()),
            )?;
        }
        let dynamic = middleware::wrap(router, &self.config.http);
        let addr = SocketAddr::new(self.config.host, self.config.port);
        let listeners =
            Listeners::bind(&self.config).map_err(|source| Error::Bind { addr, source })?;
        Ok(Server {
            listeners,
            shared: Arc::new(Shared {
                table,
                dynamic,
                request_ids: self.config.http.request_id,
                limits,
                streamed,
                context: Arc::new(AppContext {
                    services,
                    trusted_proxies: self.config.http.trusted_proxies.clone().into(),
                }),
                counters,
            }),
            config: self.config,
        })
    }
}

/// The server's counts, as the metrics name them.
#[cfg(feature = "metrics")]
fn counts(s: CounterSnapshot) -> [Count; 4] {
    let count = |name, help, value, total| Count {
        name,
        help,
        value,
        total,
    };
    [
        count(
            "chopin_fast_path_hits_total",
            "Requests answered from precomputed bytes by the fast path.",
            s.fast_hits,
            true,
        ),
        count(
            "chopin_handoffs_total",
            "Connections handed from the fast path to hyper.",
            s.handoffs,
            true,
        ),
        count(
            "chopin_connections_accepted_total",
            "Connections accepted.",
            s.connections_accepted,
            true,
        ),
        count(
            "chopin_connections_open",
            "Connections accepted and not yet closed.",
            s.connections_open,
            false,
        ),
    ]
}

/// `router` with `method_router` at `path`, where `variable` (which serves `what` there) says;
/// or why the router refuses it there.
fn serve_at<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    path: &str,
    variable: &str,
    what: &str,
    method_router: MethodRouter<S>,
) -> Result<Router<S>, Error> {
    quietly(|| router.route(path, method_router)).map_err(|why| {
        Error::Routes(vec![format!(
            "`{path}` is where {variable} serves {what}, and the router refuses it there ({why}): set {variable} to another path, or `off`"
        )])
    })
}

/// What the configuration serves of the API description: its fast routes, and the path of the
/// viewer's script, which is a dynamic route.
#[derive(Default)]
struct Described {
    fast: Vec<FastRoute>,
    script: Option<String>,
}

/// A route added with [`App::route`] or [`App::merge`], and where it was added.
#[allow(
    clippy::large_enum_variant,
    reason = "an application holds a handful, moved once into the router when it binds"
)]
pub(super) enum Added<S> {
    Route {
        path: String,
        router: MethodRouter<S>,
        at: &'static Location<'static>,
    },
    Merge {
        router: Router<S>,
        at: &'static Location<'static>,
    },
}

impl<S: Clone + Send + Sync + 'static> Added<S> {
    /// The same route, its handlers given `state`, as [`App::with_state`] gives the others.
    pub(super) fn with_state<S2>(self, state: &S) -> Added<S2> {
        match self {
            Added::Route { path, router, at } => Added::Route {
                path,
                router: router.with_state(state.clone()),
                at,
            },
            Added::Merge { router, at } => Added::Merge {
                router: router.with_state(state.clone()),
                at,
            },
        }
    }
}

/// The application's router: the modules' routes (in `router`), then each fast route's methods,
/// so that the router refuses a dynamic route added for one of them, then the routes added by
/// hand in order. Whatever the router refuses is refused here, naming both sides, rather than
/// panicking or being shadowed by a fast route.
fn route_all<S: Clone + Send + Sync + 'static>(
    mut router: Router<S>,
    table: &StaticTable,
    added: Vec<Added<S>>,
    manifests: &[&'static Manifest],
) -> Result<Router<S>, Error> {
    let dynamic: Vec<&str> = manifests
        .iter()
        .flat_map(|m| m.routes)
        .filter(|r| r.fast.is_none())
        .map(|r| r.path)
        .chain(added.iter().filter_map(|a| match a {
            Added::Route { path, .. } => Some(path.as_str()),
            Added::Merge { .. } => None,
        }))
        .collect();
    let mut errors = Vec::new();
    for route in table.routes() {
        let path = route.path.as_ref();
        let spelled_alike = dynamic.iter().any(|p| chopin_pattern::same(p, path));
        let matched = dynamic.iter().any(|p| chopin_pattern::matches(p, path));
        if matched && !spelled_alike {
            // A parameter's route beside the literal: the fast route answers its methods first,
            // and the others go to the parameter's route.
            continue;
        }
        let mut methods = sentinel(route);
        if !matched {
            // The methods it does not serve get `405` and its `allow`, as a routed path does.
            let allow = route.allow();
            methods = methods.fallback(move |method: Method| {
                let allow = allow.clone();
                async move { ([(header::ALLOW, allow)], method_not_allowed(method).await) }
            });
        }
        match quietly(|| router.clone().route(path, methods)) {
            Ok(routed) => router = routed,
            Err(why) => errors.push(format!(
                "fast route {} shadows {}: the fast route answers its requests first ({why})",
                route.origin,
                claims(manifests, path, &[]).join(" and "),
            )),
        }
    }
    // Every fast route's methods, alone: a route added by hand that the router refuses beside
    // them would be shadowed by a fast route, even where a parameter's route takes its path.
    let mut probe = Router::new();
    for route in table.routes() {
        if let Ok(routed) = quietly(|| probe.clone().route(&route.path, sentinel(route))) {
            probe = routed;
        }
    }
    let mut earlier: Vec<(String, &'static Location<'static>)> = Vec::new();
    for added in added {
        let shadowed = match &added {
            Added::Route { path, router, .. } => {
                quietly(|| probe.clone().route(path, router.clone())).err()
            }
            Added::Merge { router, .. } => quietly(|| probe.clone().merge(router.clone())).err(),
        };
        let added = match (added, shadowed) {
            (added, None) => added,
            (Added::Route { path, at, .. }, Some(why)) => {
                errors.push(format!(
                    "route `{path}` added with `App::route` ({}:{}) cannot be routed beside {}: it would be shadowed ({why})",
                    at.file(),
                    at.line(),
                    fast_claims(table, &path).join(" and "),
                ));
                continue;
            }
            (Added::Merge { at, .. }, Some(why)) => {
                let path = path_in(&why);
                errors.push(format!(
                    "a router merged with `App::merge` ({}:{}) cannot be routed beside {}: it would be shadowed ({why})",
                    at.file(),
                    at.line(),
                    fast_claims(table, path).join(" and "),
                ));
                continue;
            }
        };
        match added {
            Added::Route {
                path,
                router: methods,
                at,
            } => match quietly(|| router.clone().route(&path, methods)) {
                Ok(routed) => {
                    router = routed;
                    earlier.push((path, at));
                }
                Err(why) => {
                    let mut sides = fast_claims(table, &path);
                    sides.extend(claims(manifests, &path, &earlier));
                    errors.push(format!(
                        "route `{path}` added with `App::route` ({}:{}) cannot be routed beside {}: {why}",
                        at.file(),
                        at.line(),
                        if sides.is_empty() {
                            "the application's routes".to_owned()
                        } else {
                            sides.join(" and ")
                        },
                    ));
                }
            },
            Added::Merge { router: merged, at } => match quietly(|| router.clone().merge(merged)) {
                Ok(routed) => router = routed,
                Err(why) => {
                    let path = path_in(&why);
                    let mut sides = fast_claims(table, path);
                    sides.extend(claims(manifests, path, &earlier));
                    errors.push(format!(
                        "a router merged with `App::merge` ({}:{}) cannot be routed beside {}: {why}",
                        at.file(),
                        at.line(),
                        if sides.is_empty() {
                            "the application's routes".to_owned()
                        } else {
                            sides.join(" and ")
                        },
                    ));
                }
            },
        }
    }
    if errors.is_empty() {
        Ok(router)
    } else {
        Err(Error::Routes(errors))
    }
}

/// `404 not_found`, for a path no route matches.
async fn not_found() -> ChopinError {
    ChopinError::not_found("no route matches this path")
}

/// `405 method_not_allowed`, for a method a matched path does not answer; the router adds
/// `allow`.
async fn method_not_allowed(method: Method) -> ChopinError {
    ChopinError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path does not answer {method}: `allow` lists the methods it does"),
    )
}

/// The methods a fast route answers, routed to the same response: never reached (the static
/// table answers them first, on both paths), there for the router to refuse a dynamic route
/// added for them.
fn sentinel<S: Clone + Send + Sync + 'static>(route: &Prepared) -> MethodRouter<S> {
    let mut filter: Option<MethodFilter> = None;
    for method in [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ] {
        let answered = MethodSet::of(&method).is_some_and(|bit| route.methods.contains(bit));
        if let (true, Ok(method)) = (answered, MethodFilter::try_from(method)) {
            filter = Some(filter.map_or(method, |f| f.or(method)));
        }
    }
    let (headers, body) = (route.headers.clone(), route.body.clone());
    match filter {
        Some(filter) => MethodRouter::new().on(filter, move || {
            let (headers, body) = (headers.clone(), body.clone());
            async move { (headers, body) }
        }),
        None => MethodRouter::new(),
    }
}

/// The path a refusal of the router names (it says which; the application knows who else claims
/// it).
fn path_in(why: &str) -> &str {
    why.split(['`', '"', ' ', ':'])
        .find(|w| w.starts_with('/'))
        .unwrap_or("")
}

/// The fast route at `path`, as messages name it.
fn fast_claims(table: &StaticTable, path: &str) -> Vec<String> {
    table
        .routes()
        .iter()
        .filter(|r| &*r.path == path)
        .map(|r| format!("fast route {}", r.origin))
        .collect()
}

/// The routes of the modules, and those added earlier, that claim requests of `path`, as
/// messages name them.
fn claims(
    manifests: &[&'static Manifest],
    path: &str,
    earlier: &[(String, &'static Location<'static>)],
) -> Vec<String> {
    let valid = chopin_pattern::validate(path).is_ok();
    let mut out: Vec<String> = manifests
        .iter()
        .flat_map(|m| m.routes.iter().map(move |r| (m, r)))
        .filter(|(_, r)| r.fast.is_none() && valid && chopin_pattern::conflicts(r.path, path))
        .map(|(m, r)| {
            if m.standalone {
                format!("`{}` ({}:{})", r.handler, r.file, r.line)
            } else {
                format!(
                    "`{}` in module `{}` ({}:{})",
                    r.handler, m.name, r.file, r.line
                )
            }
        })
        .collect();
    out.extend(
        earlier
            .iter()
            .filter(|(p, _)| {
                valid && chopin_pattern::validate(p).is_ok() && chopin_pattern::conflicts(p, path)
            })
            .map(|(p, at)| {
                format!(
                    "route `{p}` added with `App::route` ({}:{})",
                    at.file(),
                    at.line()
                )
            }),
    );
    out
}

/// `f`'s value, or the message it panicked with, without printing it: axum refuses a route by
/// panicking, and the application refuses it with an error instead.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    thread_local! {
        static QUIET: Cell<bool> = const { Cell::new(false) };
    }
    // Installed once, around whatever hook there was: a panic is printed as before unless this
    // thread is inside `quietly`.
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the router refused it".to_owned())
    })
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
        let timeout = self.config.shutdown_timeout;
        let cut_off = self.listeners.serve(self.shared, signal, timeout).await?;
        if cut_off > 0 {
            tracing::error!(
                connections = cut_off,
                "shutdown timeout (SHUTDOWN_TIMEOUT_MS) elapsed: closed {cut_off} connection(s) with requests still in flight"
            );
            return Err(Error::ShutdownCutOff { cut_off, timeout });
        }
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
