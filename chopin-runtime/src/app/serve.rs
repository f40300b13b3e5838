//! Binding and serving: the static table, the router with its `405`s, the API description's
//! routes, the listeners, and shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;
use http::{StatusCode, header};

use super::App;
use crate::cache::Cache;
use crate::config::Config;
use crate::error::Error;
use crate::fast_route::FastRoute;
use crate::manifest::Methods;
use crate::module::{self, ModuleList};
use crate::openapi;
use crate::server::{Listeners, Shared};
use crate::static_table::StaticTable;

const AXUM_DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

impl<S, M> App<S, M>
where
    S: Clone + Send + Sync + 'static,
    M: ModuleList,
{
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
        let routes = self.routes();
        for (route, variable) in out.iter().zip(["OPENAPI_PATH", "DOCS_PATH"]) {
            for taken in &routes {
                let get =
                    taken.methods.overlaps(Methods::GET) || taken.methods.overlaps(Methods::ANY);
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

    /// [`App::bind`], once the modules are checked: `seed` is the perfect hash's.
    pub(super) fn bind_seeded(mut self, seed: Option<u64>) -> Result<Server, Error> {
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
        // Without `connect`, the application serves the services it was given, and the
        // in-memory cache if it was given none.
        let mut services = self.services;
        if !services.contains::<Cache>() {
            services.insert(Cache::memory());
        }
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
