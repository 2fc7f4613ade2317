//! [`RemoteExecutor`]: the core [`Executor`] over one or more `stepcoder serve` endpoints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use stepcoder_core::{CoreError, ExecReport, Executor, Problem};

use crate::protocol::{ErrorBody, ExecuteRequestRef, Limits};
use crate::ServeError;

/// Where and how a [`RemoteExecutor`] sends programs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteConfig {
    /// Base URLs of `stepcoder serve` instances (`http://10.0.0.5:8080`), or one load
    /// balancer in front of many.
    pub endpoints: Vec<String>,
    /// Tries per program over all endpoints, the first included.
    pub max_attempts: u32,
    /// Wait before a retry when no other endpoint is known to be up; doubles each time.
    pub backoff_ms: u64,
    /// The longest such wait.
    pub max_backoff_ms: u64,
    /// How long an endpoint that failed is skipped while others are up.
    pub cooldown_ms: u64,
    /// Limit on one request, from sending to the last byte of the answer.
    pub request_timeout_ms: u64,
    /// Programs in flight at once in [`Executor::execute_batch`].
    pub concurrency: usize,
    /// Limits sent with every program; `None` leaves each server's defaults.
    pub limits: Option<Limits>,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            endpoints: Vec::new(),
            max_attempts: 6,
            backoff_ms: 50,
            max_backoff_ms: 2000,
            cooldown_ms: 1000,
            request_timeout_ms: 600_000,
            concurrency: 64,
            limits: None,
        }
    }
}

/// Largest answer read back (a report carries every test's output, capped per test by
/// the server's output limit).
const MAX_ANSWER: u64 = 1 << 30;

struct Endpoint {
    base: String,
    execute_url: String,
    /// Skip this endpoint until then (set after a failure) while others are up.
    down_until: Mutex<Option<Instant>>,
}

impl Endpoint {
    fn is_down(&self, now: Instant) -> bool {
        self.down_until
            .lock()
            .map(|d| d.is_some_and(|t| t > now))
            .unwrap_or(false)
    }

    fn mark(&self, until: Option<Instant>) {
        if let Ok(mut d) = self.down_until.lock() {
            *d = until;
        }
    }
}

/// Why one attempt failed, and whether another may succeed.
enum Attempt {
    /// 503, 504, a connection error or a timeout: try again (elsewhere when possible).
    Retry(String),
    /// The request itself is wrong or the sandbox failed on it: retrying will not help.
    Fatal(ServeError),
}

/// Runs programs on `stepcoder serve` endpoints instead of in this process.
///
/// Requests go round-robin over the endpoints. An endpoint that refuses (503: queue full,
/// or shutting down), times out in its queue (504) or cannot be reached is skipped for
/// `cooldown_ms` and the program is retried at once on the next one; when none is known to
/// be up, the retry waits `backoff_ms`, doubling up to `max_backoff_ms`. After
/// `max_attempts` the error names every endpoint's last failure. Running a program is free
/// of side effects, so resending one whose answer was lost with a dying server is safe:
/// that is how a server killed mid-run loses no reward.
pub struct RemoteExecutor {
    agent: ureq::Agent,
    endpoints: Vec<Endpoint>,
    next: AtomicUsize,
    config: RemoteConfig,
}

impl std::fmt::Debug for RemoteExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteExecutor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RemoteExecutor {
    pub fn new(config: RemoteConfig) -> Result<Self, ServeError> {
        if config.endpoints.is_empty() {
            return Err(ServeError::Config(
                "a remote executor needs at least one endpoint".into(),
            ));
        }
        if config.max_attempts == 0 || config.concurrency == 0 || config.request_timeout_ms == 0 {
            return Err(ServeError::Config(
                "max_attempts, concurrency and request_timeout_ms must be positive".into(),
            ));
        }
        let mut endpoints = Vec::new();
        for e in &config.endpoints {
            let base = e.trim_end_matches('/').to_string();
            if !base.starts_with("http://") {
                return Err(ServeError::Config(format!(
                    "endpoint `{e}` must be an http:// URL (put TLS in a load balancer in front)"
                )));
            }
            endpoints.push(Endpoint {
                execute_url: format!("{base}/v1/execute"),
                base,
                down_until: Mutex::new(None),
            });
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(config.request_timeout_ms)))
            .timeout_connect(Some(Duration::from_secs(5)))
            // Keep a connection per concurrent request, so a busy batch reuses them
            // instead of opening one per program.
            .max_idle_connections(config.concurrency * endpoints.len())
            .max_idle_connections_per_host(config.concurrency)
            .build()
            .into();
        Ok(RemoteExecutor {
            agent,
            endpoints,
            next: AtomicUsize::new(0),
            config,
        })
    }

    /// The endpoints, as given (without a trailing `/`).
    pub fn endpoints(&self) -> impl Iterator<Item = &str> {
        self.endpoints.iter().map(|e| e.base.as_str())
    }

    /// The next endpoint in turn that is not cooling down; if all are, the one in turn.
    fn pick(&self) -> &Endpoint {
        let n = self.endpoints.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        (0..n)
            .map(|i| &self.endpoints[(start + i) % n])
            .find(|e| !e.is_down(now))
            .unwrap_or(&self.endpoints[start % n])
    }

    fn any_up(&self) -> bool {
        let now = Instant::now();
        self.endpoints.iter().any(|e| !e.is_down(now))
    }

    fn attempt(&self, endpoint: &Endpoint, body: &[u8]) -> Result<ExecReport, Attempt> {
        let response = self
            .agent
            .post(&endpoint.execute_url)
            .header("content-type", "application/json")
            .send(body);
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return Err(Attempt::Retry(format!("{}: {e}", endpoint.base))),
        };
        let status = response.status().as_u16();
        let bytes = match response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
        {
            Ok(b) => b,
            // The connection died while the answer was coming: the server went away.
            Err(e) => return Err(Attempt::Retry(format!("{}: {e}", endpoint.base))),
        };
        match status {
            200 => serde_json::from_slice(&bytes).map_err(|e| {
                Attempt::Fatal(ServeError::Protocol {
                    endpoint: endpoint.base.clone(),
                    message: format!("not an ExecReport: {e}"),
                })
            }),
            502..=504 => Err(Attempt::Retry(format!(
                "{}: {status} {}",
                endpoint.base,
                error_message(&bytes)
            ))),
            _ => Err(Attempt::Fatal(ServeError::Rejected {
                endpoint: endpoint.base.clone(),
                status,
                message: error_message(&bytes),
            })),
        }
    }

    /// Runs `program` against `problem` on some endpoint, retrying as documented above.
    pub fn execute_remote(
        &self,
        program: &str,
        problem: &Problem,
    ) -> Result<ExecReport, ServeError> {
        let default_limits = Limits::default();
        let request = ExecuteRequestRef {
            program,
            problem,
            limits: self.config.limits.as_ref().unwrap_or(&default_limits),
        };
        let body = serde_json::to_vec(&request).map_err(|e| ServeError::Protocol {
            endpoint: "(request)".into(),
            message: format!("cannot serialize problem {}: {e}", problem.id),
        })?;
        let mut errors: Vec<String> = Vec::new();
        let mut backoff = Duration::from_millis(self.config.backoff_ms);
        let max_backoff = Duration::from_millis(self.config.max_backoff_ms);
        for attempt in 1..=self.config.max_attempts {
            let endpoint = self.pick();
            match self.attempt(endpoint, &body) {
                Ok(report) => {
                    endpoint.mark(None);
                    return Ok(report);
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(why)) => {
                    tracing::debug!("attempt {attempt} for problem {}: {why}", problem.id);
                    endpoint.mark(Some(
                        Instant::now() + Duration::from_millis(self.config.cooldown_ms),
                    ));
                    errors.push(why);
                    if attempt < self.config.max_attempts && !self.any_up() {
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(max_backoff);
                    }
                }
            }
        }
        // The last failure of each endpoint, most recent last.
        let mut last: Vec<&String> = Vec::new();
        for e in self.endpoints.iter() {
            if let Some(m) = errors.iter().rev().find(|m| m.starts_with(&e.base)) {
                last.push(m);
            }
        }
        Err(ServeError::AllFailed {
            endpoints: self.endpoints.len(),
            attempts: self.config.max_attempts,
            errors: last
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// The `error` of an [`ErrorBody`], or the body as text.
fn error_message(bytes: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(b) => match b.field {
            Some(f) if !b.error.contains(&f) => format!("{} (field `{f}`)", b.error),
            _ => b.error,
        },
        Err(_) => String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned(),
    }
}

impl Executor for RemoteExecutor {
    fn execute(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError> {
        self.execute_remote(program, problem)
            .map_err(CoreError::from)
    }

    /// Up to `concurrency` requests in flight; results in input order.
    fn execute_batch(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        let results: Vec<Mutex<Option<Result<ExecReport, CoreError>>>> =
            jobs.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let threads = self.config.concurrency.min(jobs.len());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((program, problem)) = jobs.get(i) else {
                        break;
                    };
                    let r = self.execute(program, problem);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner().ok().flatten().unwrap_or_else(|| {
                    Err(CoreError::Executor(
                        "a remote execution thread panicked".into(),
                    ))
                })
            })
            .collect()
    }
}
