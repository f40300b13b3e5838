//! The requests' metrics, kept by the `metrics` crate's Prometheus recorder: one per
//! application (never the process-wide recorder, so two applications in one process, as in
//! tests, count apart), rendered in Prometheus' text format at `METRICS_PATH`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::MatchedPath;

use crate::gauges::Gauges;
use http::Method;
use metrics::{Gauge, Key, Label, Metadata, Recorder as _, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

const REQUESTS: &str = "http_requests_total";
const DURATION: &str = "http_request_duration_seconds";
const IN_FLIGHT: &str = "http_requests_in_flight";

/// Latency buckets, in seconds: from a fast handler's half millisecond to a slow one's ten
/// seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One of the server's own counts, read when Prometheus scrapes.
pub(crate) struct Count {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) value: u64,
    /// A total that only grows (a counter), or a level (a gauge).
    pub(crate) total: bool,
}

/// An application's metrics of its dynamic requests.
#[derive(Clone)]
pub(crate) struct Recorder {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    in_flight: Gauge,
}

/// A request in flight: counted until it is dropped (answered, timed out or abandoned).
pub(crate) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, None)
}

impl Recorder {
    pub(crate) fn new() -> Recorder {
        // Only an empty list of buckets is refused.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        recorder.describe_counter(
            REQUESTS.into(),
            None,
            "Dynamic requests answered, by method, matched route and status.".into(),
        );
        recorder.describe_histogram(
            DURATION.into(),
            Some(Unit::Seconds),
            "Time to answer a dynamic request, by method and matched route.".into(),
        );
        recorder.describe_gauge(
            IN_FLIGHT.into(),
            None,
            "Dynamic requests being answered.".into(),
        );
        let in_flight = recorder.register_gauge(&Key::from_name(IN_FLIGHT), &metadata());
        Recorder {
            recorder: Arc::new(recorder),
            handle,
            in_flight,
        }
    }

    /// A request has started.
    pub(crate) fn in_flight(&self) -> InFlight {
        self.in_flight.increment(1.0);
        InFlight(self.in_flight.clone())
    }

    /// A request was answered with `status` after `latency`.
    pub(crate) fn answered(
        &self,
        method: &Method,
        route: Option<&MatchedPath>,
        status: u16,
        latency: Duration,
    ) {
        let method = Label::new("method", method.as_str().to_owned());
        let route = Label::new("route", route.map_or("-", MatchedPath::as_str).to_owned());
        let key = Key::from_parts(
            REQUESTS,
            vec![
                method.clone(),
                route.clone(),
                Label::new("status", status.to_string()),
            ],
        );
        self.recorder
            .register_counter(&key, &metadata())
            .increment(1);
        let key = Key::from_parts(DURATION, vec![method, route]);
        self.recorder
            .register_histogram(&key, &metadata())
            .record(latency.as_secs_f64());
    }

    /// Everything recorded, the server's `counts` and the batteries' `gauges` read now, in
    /// Prometheus' text format.
    pub(crate) fn render(&self, counts: &[Count], gauges: &Gauges) -> String {
        for count in counts {
            let key = Key::from_name(count.name);
            if count.total {
                self.recorder
                    .describe_counter(count.name.into(), None, count.help.into());
                self.recorder
                    .register_counter(&key, &metadata())
                    .absolute(count.value);
            } else {
                self.recorder
                    .describe_gauge(count.name.into(), None, count.help.into());
                #[allow(clippy::cast_precision_loss, reason = "a count of connections")]
                self.recorder
                    .register_gauge(&key, &metadata())
                    .set(count.value as f64);
            }
        }
        for gauge in &gauges.0 {
            self.recorder
                .describe_gauge(gauge.name.into(), None, gauge.help.into());
            let labels: Vec<Label> = gauge
                .labels
                .iter()
                .map(|(k, v)| Label::new(*k, v.clone()))
                .collect();
            let key = Key::from_parts(gauge.name, labels);
            self.recorder
                .register_gauge(&key, &metadata())
                .set(gauge.read());
        }
        self.handle.render()
    }
}
