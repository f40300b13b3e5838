//! `App`: an application's routes, configuration, plugins and services, and the way to serve
//! them.
//!
//! - `mod.rs`: building an application (modules, routes, state, plugins, services);
//! - `routes.rs`: its route table;
//! - `spec.rs`: its API description, a pure function of its manifests;
//! - `serve.rs`: starting the plugins, binding, serving;
//! - `command.rs`: the application's binary as its own management command.

mod command;
mod routes;
mod serve;
mod spec;

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use http::Request;
use tower::{Layer, Service};

use crate::cache::Cache;
use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::fast_route::{FastRoute, IntoFastRoute};
use crate::manifest::Manifest;
use crate::module::{self, ModuleList, Routes, WithRoute};
use crate::openapi::{Info, OpenApi};
use crate::plugin::{Mount, Plugin, Plugins, Setup};
use crate::service::Services;

pub use routes::{RouteInfo, RouteTable};
use serve::Added;
pub use serve::{Server, shutdown_signal};

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
    info: Option<Info>,
    /// The routes added with [`App::route`] and [`App::merge`], in order: applied when the
    /// application binds, after its modules and fast routes, each checked against them.
    added: Vec<Added<S>>,
    plugins: Plugins,
    services: Services,
    /// The layers added with [`App::layer`] and [`App::route_layer`], in order: applied to the
    /// whole router when the application binds.
    layers: Vec<AddLayer>,
    modules: PhantomData<fn() -> M>,
}

/// A layer added with [`App::layer`] or [`App::route_layer`], applied when the application binds.
type AddLayer = Box<dyn FnOnce(Router) -> Router + Send + Sync>;

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
            info: None,
            added: Vec::new(),
            plugins: Plugins::default(),
            services: Services::default(),
            layers: Vec::new(),
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
        let added = self
            .added
            .into_iter()
            .map(|added| added.with_state(&self.state))
            .collect();
        App {
            config: self.config,
            fast_routes: self.fast_routes,
            router: self.router.with_state(self.state),
            state,
            info: self.info,
            added,
            plugins: self.plugins,
            services: self.services,
            layers: self.layers,
            modules: PhantomData,
        }
    }

    /// Mounts a module: its fast routes, its dynamic routes (with the auth guard where declared),
    /// and what it brings besides (its provider of `auth`, its models).
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
    pub fn mount_module<X: Routes<S>>(mut self, module: X) -> App<S, M::Push<X>> {
        module.__mount(&mut Mount {
            plugins: &mut self.plugins,
            services: &mut self.services,
        });
        let manifest = &X::MANIFEST;
        for route in manifest.routes {
            if let Some(fast) = route.fast {
                self.fast_routes
                    .push(FastRoute::from(*fast).declared_by(format!(
                        "`{}` in module `{}` ({}:{})",
                        route.handler, manifest.name, route.file, route.line
                    )));
            }
        }
        App {
            config: self.config,
            fast_routes: self.fast_routes,
            router: self.router.merge(module.router()),
            state: self.state,
            info: self.info,
            added: self.added,
            plugins: self.plugins,
            services: self.services,
            layers: self.layers,
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
        let by_hand: Vec<RouteInfo> = self.fast_routes_by_hand().map(RouteInfo::of_fast).collect();
        out.extend(by_hand);
        out
    }

    /// The fast routes added with [`App::fast_route`], not those of the mounted modules.
    fn fast_routes_by_hand(&self) -> impl Iterator<Item = &FastRoute> {
        let manifests = self.manifests();
        self.fast_routes.iter().filter(move |f| {
            !manifests
                .iter()
                .flat_map(|m| m.routes)
                .any(|r| r.fast.is_some() && r.path == f.path())
        })
    }

    /// The application's OpenAPI 3.1 description: every route of the mounted modules, described
    /// from its handler's types, and the fast routes added with [`App::fast_route`]. Routes added
    /// with [`App::route`] and [`App::merge`] are axum's and are not described.
    ///
    /// It is a pure function of the mounted modules: no server, no database. [`App::bind`]
    /// serves it at `OPENAPI_PATH` and [`App::run_command`]'s `openapi` command writes it.
    pub fn openapi(&self) -> OpenApi {
        let manifests = self.manifests();
        let info = self
            .info
            .clone()
            .unwrap_or_else(|| spec::default_info(&manifests));
        let hand: Vec<spec::HandRoute> = self
            .fast_routes_by_hand()
            .map(spec::HandRoute::of)
            .collect();
        spec::build(&manifests, &hand, &info)
    }

    /// Sets the description's `info` (title, version, description), which otherwise comes from
    /// the Cargo metadata of the crate that declares the first mounted module.
    pub fn openapi_info(mut self, info: Info) -> App<S, M> {
        self.info = Some(info);
        self
    }

    /// Adds a plugin, in the place of one of its type if the application has one: a battery
    /// that starts before the application serves (see [`Plugin`]).
    pub fn with_plugin<P: Plugin>(mut self, plugin: P) -> App<S, M> {
        self.plugins.add(plugin);
        self
    }

    /// The application's plugin of type `P`, if it has one.
    pub fn plugin<P: Plugin>(&self) -> Option<&P> {
        self.plugins.get::<P>()
    }

    /// The application's plugin of type `P`, to configure it, if it has one.
    pub fn plugin_mut<P: Plugin>(&mut self) -> Option<&mut P> {
        self.plugins.get_mut::<P>()
    }

    /// Gives the application's handlers `service`, in the place of one of its type: a plugin
    /// that would provide one finds it there and keeps it.
    pub fn with_service<T: Clone + Send + Sync + 'static>(mut self, service: T) -> App<S, M> {
        self.services.insert(service);
        self
    }

    /// The application's service of type `T`, if it has one yet: given by hand, or provided by
    /// a plugin once [`App::connect`] has started it.
    pub fn service<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.services.get::<T>()
    }

    /// Gives the application this cache service, instead of the one its plugins provide (Redis
    /// at `REDIS_URL`, with the `chopin-redis` battery) or the in-memory one.
    pub fn with_cache(self, cache: Cache) -> App<S, M> {
        self.with_service(cache)
    }

    /// The application's cache service, if it has one yet.
    pub fn cache(&self) -> Option<&Cache> {
        self.service::<Cache>()
    }

    /// Starts the plugins, in the order they were added (a database battery connects, and with
    /// `AUTO_MIGRATE=true` migrates; a Redis battery connects), then gives the application the
    /// in-memory cache if no plugin gave it another. [`App::run`] does this before it binds.
    ///
    /// Before any plugin starts, each says what serving needs of the configuration that it
    /// lacks ([`Plugin::unmet`](crate::plugin::Plugin::unmet)), and all of it is one error.
    ///
    /// # Errors
    /// Every plugin's configuration problem at once ([`Error::Config`], each naming its
    /// variable); then the first plugin's that cannot start ([`Error::Config`] for a variable of
    /// its section that is not valid, [`Error::Battery`] when its server does not answer).
    pub async fn connect(mut self) -> Result<App<S, M>, Error> {
        let problems = {
            let setup = Setup::new(&self.config, &mut self.services);
            self.plugins
                .iter()
                .flat_map(|plugin| plugin.unmet(&setup))
                .collect()
        };
        ConfigError::all(problems)?;
        for plugin in self.plugins.iter_mut() {
            plugin
                .start(&mut Setup::new(&self.config, &mut self.services))
                .await?;
        }
        if !self.services.contains::<Cache>() {
            self.services.insert(Cache::memory());
        }
        Ok(self)
    }

    /// The configuration the application will serve with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes the configuration.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Adds a fast route: a constant declared with `#[fast_route]`, whose bytes were computed at
    /// compile time and which joins the application's type, and so the whole-application check,
    /// beside its modules; or a [`FastRoute`] built at start-up, which [`App::bind`] checks
    /// against every other route, naming both sides of a clash.
    #[track_caller]
    pub fn fast_route<R>(mut self, route: R) -> App<S, <M as WithRoute<R::Entry>>::Output>
    where
        R: IntoFastRoute,
        M: WithRoute<R::Entry>,
    {
        let at = Location::caller();
        let route = route.into_fast_route();
        let origin = format!(
            "`{}` added with `App::fast_route` ({}:{})",
            route.path(),
            at.file(),
            at.line()
        );
        self.fast_routes.push(route.declared_by(origin));
        App {
            config: self.config,
            fast_routes: self.fast_routes,
            router: self.router,
            state: self.state,
            info: self.info,
            added: self.added,
            plugins: self.plugins,
            services: self.services,
            layers: self.layers,
            modules: PhantomData,
        }
    }

    /// Adds a dynamic route, as [`axum::Router::route`] does. It is routed when the application
    /// binds, after the modules' routes and the fast routes: [`App::bind`] refuses it, naming
    /// both sides, if it claims requests one of them answers.
    #[track_caller]
    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> App<S, M> {
        self.added.push(Added::Route {
            path: path.to_owned(),
            router: method_router,
            at: Location::caller(),
        });
        self
    }

    /// Merges an axum router (with its state already provided) into the application's, when it
    /// binds: [`App::bind`] refuses it, naming where it was merged, if one of its routes claims
    /// requests that a module's route or a fast route answers.
    #[track_caller]
    pub fn merge(mut self, router: Router<S>) -> App<S, M> {
        self.added.push(Added::Merge {
            router,
            at: Location::caller(),
        });
        self
    }

    /// Wraps every dynamic route in a tower layer, as [`axum::Router::layer`] does: the
    /// modules' routes, those added with [`App::route`] and [`App::merge`], and the `404` and
    /// `405` answers. Unlike axum's, it reaches the routes added after it too: layers are applied
    /// when the application binds, in the order they were added, each around the ones before
    /// (the last added runs first).
    ///
    /// Fast routes are not reached: they are answered from precomputed bytes before any layer
    /// (see the guide's *Fast routes*). The defaults of the HTTP layer (request ids, CORS,
    /// compression, see `Config::http`) run outside these layers, so a layer sees the request
    /// id and its response is compressed; the access log and metrics run inside them, so they
    /// time and count what a layer answers too.
    ///
    /// ```no_run
    /// use axum::extract::Request;
    /// use axum::middleware::{self, Next};
    /// use axum::response::Response;
    /// use chopin_runtime::App;
    ///
    /// async fn served_by(req: Request, next: Next) -> Response {
    ///     let mut res = next.run(req).await;
    ///     res.headers_mut().insert("x-served-by", "chopin".parse().unwrap());
    ///     res
    /// }
    ///
    /// # async fn run() -> Result<(), chopin_runtime::Error> {
    /// App::new().await?.layer(middleware::from_fn(served_by)).run().await
    /// # }
    /// ```
    pub fn layer<L>(mut self, layer: L) -> App<S, M>
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request<Body>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<Body>>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request<Body>>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    {
        self.layers
            .push(Box::new(move |router: Router| router.layer(layer)));
        self
    }

    /// Wraps the dynamic routes in a tower layer that runs only when a route matched, as
    /// [`axum::Router::route_layer`] does: a request no route answers gets its `404` without
    /// it, so an authorization layer does not turn a `404` into a `401`. Applied when the
    /// application binds, in order with [`App::layer`]'s.
    pub fn route_layer<L>(mut self, layer: L) -> App<S, M>
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request<Body>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<Body>>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request<Body>>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    {
        self.layers
            .push(Box::new(move |router: Router| router.route_layer(layer)));
        self
    }

    /// Prepares the routes and binds the listeners, without accepting connections yet. It does
    /// not start the plugins: [`App::connect`] does, and [`App::run`] calls both.
    ///
    /// The mounted modules are checked here, in constant evaluation, when this is compiled for
    /// the application's type; the perfect hash of their fast routes is seeded there too.
    pub fn bind(self) -> Result<Server, Error> {
        // The check's message names this function (`chopin::App::<…>::bind`): it stays here.
        let seed = const { module::check_and_seed(M::LIST) };
        self.bind_seeded(seed)
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
