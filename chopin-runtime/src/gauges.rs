//! What a battery reports at `METRICS_PATH`: gauges read when Prometheus scrapes, such as the
//! database pool's connections in use. A battery adds them when it starts
//! ([`Setup::gauge`](crate::plugin::Setup::gauge)); without the `metrics` feature or
//! `METRICS_PATH` they are never read.

use std::sync::Arc;

/// A value read at each scrape, with its name, its help text and its labels.
#[derive(Clone)]
pub struct Gauge {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) labels: Vec<(&'static str, String)>,
    pub(crate) read: Arc<dyn Fn() -> f64 + Send + Sync>,
}

impl Gauge {
    /// The gauge `name` (`chopin_db_pool_connections`), described by `help`, whose value `read`
    /// gives.
    pub fn new(
        name: &'static str,
        help: &'static str,
        read: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Gauge {
        Gauge {
            name,
            help,
            labels: Vec::new(),
            read: Arc::new(read),
        }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its help text.
    pub fn help(&self) -> &'static str {
        self.help
    }

    /// Its labels.
    pub fn labels(&self) -> &[(&'static str, String)] {
        &self.labels
    }

    /// Its value now.
    pub fn read(&self) -> f64 {
        (self.read)()
    }

    /// The same gauge with a label: `state="idle"`.
    pub fn label(mut self, key: &'static str, value: impl Into<String>) -> Gauge {
        self.labels.push((key, value.into()));
        self
    }
}

/// The application's gauges, as the plugins added them: a service in its
/// [`Services`](crate::service::Services).
#[derive(Clone, Default)]
pub struct Gauges(pub(crate) Vec<Gauge>);

impl Gauges {
    /// The names of the gauges, in the order they were added.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|g| g.name).collect()
    }
}
