//! Counters for `GET /metrics`, in the Prometheus text format (version 0.0.4), written by
//! hand: a handful of atomics does not justify a metrics framework in the dependency tree.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The two endpoints that run programs (health and metrics are not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    RunCode = 0,
    Execute = 1,
}

impl Endpoint {
    const ALL: [Endpoint; 2] = [Endpoint::RunCode, Endpoint::Execute];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Endpoint::RunCode => "run_code",
            Endpoint::Execute => "execute",
        }
    }
}

/// How a request ended, one counter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// 200 with a result (whatever the program did).
    Ok = 0,
    /// 200 with a `SandboxError` answer for an unsupported request (language, files).
    Unsupported = 1,
    /// 400: malformed JSON, a wrong field, a limit out of range.
    BadRequest = 2,
    /// 413: body over the limit.
    TooLarge = 3,
    /// 503: the queue was full (or the server is shutting down).
    Overloaded = 4,
    /// 504: not started before its deadline.
    Deadline = 5,
    /// 500 on `/v1/execute`, or a `SandboxError` answer on `/run_code`, for a sandbox fault.
    SandboxError = 6,
}

impl Outcome {
    const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::Unsupported,
        Outcome::BadRequest,
        Outcome::TooLarge,
        Outcome::Overloaded,
        Outcome::Deadline,
        Outcome::SandboxError,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Unsupported => "unsupported",
            Outcome::BadRequest => "bad_request",
            Outcome::TooLarge => "too_large",
            Outcome::Overloaded => "overloaded",
            Outcome::Deadline => "deadline",
            Outcome::SandboxError => "sandbox_error",
        }
    }
}

/// Upper bounds of the latency histogram, in seconds: sub-millisecond buckets because the
/// median contest test takes tens of microseconds, up to a minute for heavy programs.
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

const N_ENDPOINTS: usize = Endpoint::ALL.len();
const N_OUTCOMES: usize = Outcome::ALL.len();

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: [[AtomicU64; N_OUTCOMES]; N_ENDPOINTS],
    /// Cumulative-free bucket counts; the last slot is `+Inf`.
    latency: [[AtomicU64; BUCKETS.len() + 1]; N_ENDPOINTS],
    latency_sum_us: [AtomicU64; N_ENDPOINTS],
    /// Unit tests run by `/v1/execute` (and runs by `/run_code`).
    tests: AtomicU64,
    /// Jobs dropped before they started because their client had gone.
    abandoned: AtomicU64,
}

impl Metrics {
    pub(crate) fn record(&self, endpoint: Endpoint, outcome: Outcome, latency: Duration) {
        let e = endpoint as usize;
        self.requests[e][outcome as usize].fetch_add(1, Ordering::Relaxed);
        let s = latency.as_secs_f64();
        let b = BUCKETS
            .iter()
            .position(|&ub| s <= ub)
            .unwrap_or(BUCKETS.len());
        self.latency[e][b].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us[e].fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_tests(&self, n: u64) {
        self.tests.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_abandoned(&self) {
        self.abandoned.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests of `endpoint` that ended with `outcome` so far.
    pub(crate) fn count(&self, endpoint: Endpoint, outcome: Outcome) -> u64 {
        self.requests[endpoint as usize][outcome as usize].load(Ordering::Relaxed)
    }

    /// The text of `GET /metrics`, with the pool's gauges.
    pub(crate) fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP stepcoder_requests_total Requests by endpoint and how they ended.\n\
             # TYPE stepcoder_requests_total counter"
        );
        for e in Endpoint::ALL {
            for o in Outcome::ALL {
                let _ = writeln!(
                    out,
                    "stepcoder_requests_total{{endpoint=\"{}\",outcome=\"{}\"}} {}",
                    e.label(),
                    o.label(),
                    self.count(e, o)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP stepcoder_request_duration_seconds Time from the request's arrival to its answer.\n\
             # TYPE stepcoder_request_duration_seconds histogram"
        );
        for e in Endpoint::ALL {
            let mut cumulative = 0u64;
            for (i, ub) in BUCKETS.iter().enumerate() {
                cumulative += self.latency[e as usize][i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "stepcoder_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{ub}\"}} {cumulative}",
                    e.label()
                );
            }
            cumulative += self.latency[e as usize][BUCKETS.len()].load(Ordering::Relaxed);
            let sum = self.latency_sum_us[e as usize].load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "stepcoder_request_duration_seconds_bucket{{endpoint=\"{0}\",le=\"+Inf\"}} {cumulative}\n\
                 stepcoder_request_duration_seconds_sum{{endpoint=\"{0}\"}} {sum}\n\
                 stepcoder_request_duration_seconds_count{{endpoint=\"{0}\"}} {cumulative}",
                e.label()
            );
        }
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "stepcoder_tests_total",
            "Unit tests (and /run_code runs) executed.",
            "counter",
            self.tests.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "stepcoder_abandoned_total",
            "Queued requests dropped unrun because their client had gone.",
            "counter",
            self.abandoned.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "stepcoder_in_flight",
            "Requests admitted now (waiting or running); at most workers + max_queue.",
            "gauge",
            gauges.in_flight,
        );
        gauge(
            &mut out,
            "stepcoder_in_flight_max",
            "Most requests admitted at once since the start.",
            "gauge",
            gauges.in_flight_max,
        );
        gauge(
            &mut out,
            "stepcoder_in_flight_capacity",
            "Requests admitted at most (workers + max_queue); one more gets 503.",
            "gauge",
            gauges.capacity,
        );
        gauge(
            &mut out,
            "stepcoder_queue_depth",
            "Admitted requests not yet running on a worker.",
            "gauge",
            gauges.queue_depth,
        );
        gauge(
            &mut out,
            "stepcoder_busy_workers",
            "Workers running a request now.",
            "gauge",
            gauges.busy,
        );
        gauge(
            &mut out,
            "stepcoder_workers",
            "Worker threads (--workers).",
            "gauge",
            gauges.workers,
        );
        out
    }
}

/// The pool's state at one moment, for [`Metrics::render`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gauges {
    pub in_flight: u64,
    pub in_flight_max: u64,
    pub capacity: u64,
    pub queue_depth: u64,
    pub busy: u64,
    pub workers: u64,
}
