//! Plugins: how a battery plugs into an application, and the one way it does.
//!
//! A battery (`chopin-db`, `chopin-redis`, …) implements [`Plugin`]. An application holds its
//! plugins, one of each type, added by hand with [`App::with_plugin`](crate::App::with_plugin) or
//! by a module when it is mounted (a module that declares `models(..)` registers them with the
//! database plugin through [`Mount`]). When the application starts serving, each plugin starts in
//! the order it was added: it reads its [`Section`](crate::config::Section) of the configuration,
//! opens what it needs and provides its services ([`Setup::provide`]), which handlers then extract
//! (see [`crate::service`]). A plugin may also add management commands to the application's
//! binary (`migrate`).
//!
//! The kernel names no battery: adding one touches no file here.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::gauges::{Gauge, Gauges};
use crate::ready::{Check, Checks};
use crate::service::Services;

/// A boxed future, as the plugin methods return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A management command a plugin adds to the application's binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// Its name, the first argument of the process: `migrate`.
    pub name: &'static str,
    /// How it is called, for usage messages: `migrate`, `openapi [--out FILE]`.
    pub usage: &'static str,
}

/// A battery's part in an application.
///
/// ```
/// use chopin_runtime::plugin::{BoxFuture, Plugin, Setup};
/// use chopin_runtime::{App, Config, Error};
///
/// /// Gives every request a `Greeting`.
/// #[derive(Default)]
/// struct Greetings;
///
/// #[derive(Clone)]
/// struct Greeting(&'static str);
///
/// impl Plugin for Greetings {
///     fn name(&self) -> &'static str {
///         "greetings"
///     }
///
///     fn start<'a>(&'a mut self, app: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
///         Box::pin(async move {
///             app.provide(Greeting("hello"));
///             Ok(())
///         })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
/// let app = App::with_config(Config::default()).with_plugin(Greetings).connect().await?;
/// assert_eq!(app.service::<Greeting>().map(|g| g.0), Some("hello"));
/// # Ok(()) }
/// ```
pub trait Plugin: Any + Send + Sync {
    /// Its name, for messages: `db`, `redis`.
    fn name(&self) -> &'static str;

    /// Starts it before the application serves: reads its section of the configuration, opens
    /// what it needs, provides its services. Plugins start in the order they were added, and a
    /// plugin finds the services of those before it (and those given by hand) in `app`.
    ///
    /// # Errors
    /// When it cannot start: the application does not serve, and says why.
    fn start<'a>(&'a mut self, app: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>>;

    /// What serving needs of the configuration that it lacks: missing secrets, settings that
    /// cannot work together. The application asks every plugin before it starts any
    /// ([`App::connect`](crate::App::connect)) and reports all the answers in one error, each
    /// naming its variable; management commands do not ask, so that `openapi`, `routes` and
    /// `migrate` run with only what they use.
    fn unmet(&self, app: &Setup<'_>) -> Vec<ConfigError> {
        let _ = app;
        Vec::new()
    }

    /// The management commands it adds to the application's binary.
    fn commands(&self) -> &'static [Command] {
        &[]
    }

    /// Runs its command `name` with the arguments after it, instead of serving. The plugin has
    /// not started: a command opens what it needs itself.
    ///
    /// # Errors
    /// When the command fails; [`Error::Usage`] for arguments it does not take.
    fn run_command<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a [String],
        app: &'a mut Setup<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let _ = (args, app);
        Box::pin(async move {
            Err(Error::Usage(format!(
                "plugin `{}` has no command `{name}`",
                self.name()
            )))
        })
    }
}

/// What a plugin sees of the application while it starts or runs a command.
#[derive(Debug)]
pub struct Setup<'a> {
    config: &'a Config,
    services: &'a mut Services,
}

impl<'a> Setup<'a> {
    pub(crate) fn new(config: &'a Config, services: &'a mut Services) -> Setup<'a> {
        Setup { config, services }
    }

    /// The application's configuration, with the variables the plugin's section reads.
    pub fn config(&self) -> &Config {
        self.config
    }

    /// A service the application has: given by hand, or provided by a plugin started before.
    pub fn service<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.services.get::<T>()
    }

    /// Gives the application's handlers `service`, replacing one of its type.
    pub fn provide<T: Clone + Send + Sync + 'static>(&mut self, service: T) {
        self.services.insert(service);
    }

    /// Adds a gauge that `METRICS_PATH` reads at each scrape (see [`crate::gauges`]): the
    /// database battery reports its pool with them.
    pub fn gauge(&mut self, gauge: Gauge) {
        let mut gauges = self.services.get::<Gauges>().cloned().unwrap_or_default();
        gauges.0.push(gauge);
        self.services.insert(gauges);
    }

    /// Lets requests whose body is of `media_type` (`multipart/form-data`) carry up to `bytes`,
    /// for the battery's own extractor that reads such bodies as streams and bounds them itself
    /// (the storage battery's uploads, up to `MAX_UPLOAD_BYTES`). Other bodies, and every other
    /// extractor (`Json`, `String`, axum's `Bytes` and `Multipart`, …), still stop at
    /// `MAX_BODY_BYTES` with `413`.
    pub fn stream_bodies(&mut self, media_type: &'static str, bytes: usize) {
        let mut streamed = self
            .services
            .get::<StreamedBodies>()
            .cloned()
            .unwrap_or_default();
        match streamed
            .0
            .iter_mut()
            .find(|(t, _)| t.eq_ignore_ascii_case(media_type))
        {
            Some((_, limit)) => *limit = (*limit).max(bytes),
            None => streamed.0.push((media_type, bytes)),
        }
        self.services.insert(streamed);
    }

    /// Adds a readiness check: `READY_PATH` answers `503` while it fails (see
    /// [`crate::ready`]). The database battery pings its pool with one.
    pub fn ready_check(&mut self, check: Check) {
        let mut checks = self.services.get::<Checks>().cloned().unwrap_or_default();
        checks.0.push(check);
        self.services.insert(checks);
    }
}

/// The media types whose bodies a battery's streaming extractor reads, each with its limit
/// ([`Setup::stream_bodies`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamedBodies(pub(crate) Vec<(&'static str, usize)>);

/// An application's plugins, one of each type, in the order they were added.
#[derive(Default)]
pub(crate) struct Plugins(Vec<Box<dyn Plugin>>);

impl Plugins {
    /// Adds `plugin`, in the place of one of its type if there is one.
    pub(crate) fn add<P: Plugin>(&mut self, plugin: P) {
        match self.get_mut::<P>() {
            Some(existing) => *existing = plugin,
            None => self.0.push(Box::new(plugin)),
        }
    }

    pub(crate) fn get<P: Plugin>(&self) -> Option<&P> {
        self.0
            .iter()
            .find_map(|p| (&**p as &dyn Any).downcast_ref::<P>())
    }

    pub(crate) fn get_mut<P: Plugin>(&mut self) -> Option<&mut P> {
        self.0
            .iter_mut()
            .find_map(|p| (&mut **p as &mut dyn Any).downcast_mut::<P>())
    }

    /// The plugin of type `P`, added with its default if there is none yet.
    pub(crate) fn get_or_default<P: Plugin + Default>(&mut self) -> &mut P {
        if self.get::<P>().is_none() {
            self.0.push(Box::new(P::default()));
        }
        match self.get_mut::<P>() {
            Some(plugin) => plugin,
            None => unreachable!("a plugin of this type was just added"),
        }
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Box<dyn Plugin>> {
        self.0.iter_mut()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Box<dyn Plugin>> {
        self.0.iter()
    }
}

/// What a module sees of the application it is mounted on: the code `#[chopin::module]`
/// generates registers the module's provider of `auth` and its models through it.
pub struct Mount<'a> {
    pub(crate) plugins: &'a mut Plugins,
    pub(crate) services: &'a mut Services,
}

impl Mount<'_> {
    /// Gives the application's handlers `service`, replacing one of its type.
    pub fn provide<T: Clone + Send + Sync + 'static>(&mut self, service: T) {
        self.services.insert(service);
    }

    /// The application's plugin of type `P`, added with its default if it has none yet.
    pub fn plugin<P: Plugin + Default>(&mut self) -> &mut P {
        self.plugins.get_or_default::<P>()
    }
}
