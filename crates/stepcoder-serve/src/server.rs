//! The HTTP server: routes, admission, deadlines, graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepcoder_sandbox::{RunReport, Sandbox, SandboxConfig};
use tokio::sync::{oneshot, watch};

use crate::metrics::{Endpoint, Metrics, Outcome};
use crate::pool::{JobState, Pool, EXPIRED, QUEUED};
use crate::protocol::{
    CommandResult, CommandStatus, ErrorBody, ExecuteRequest, Limits, RunCodeRequest,
    RunCodeResponse, RunStatus,
};
use crate::ServeError;

/// How `stepcoder serve` runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub bind: String,
    /// Worker threads running programs; 0 = one per core; at most 4 per core (the
    /// sandbox's instance pool is sized for that).
    pub workers: usize,
    /// Requests that may wait for a worker; one more than `workers + max_queue` gets 503.
    pub max_queue: usize,
    /// Largest request body in bytes; a larger one gets 413.
    pub max_body: usize,
    /// A request not started on a worker within this time of its arrival gets 504 (which
    /// SandboxFusion clients and [`crate::RemoteExecutor`] retry). Once started, a run is
    /// bounded by its own limits and always answered.
    pub deadline: Duration,
    /// Threads of the async runtime (HTTP parsing only; programs run on the workers).
    pub io_threads: usize,
    /// Limits of requests that give none: `/v1/execute` without `limits`, `/run_code`
    /// with `memory_limit_MB <= 0`.
    pub sandbox: SandboxConfig,
    /// Largest per-test (per-run) time limit a request may ask for.
    pub max_timeout: Duration,
    /// Largest guest memory a request may ask for, in MiB.
    pub max_memory_mb: usize,
    /// Largest output cap a request may ask for, in KiB.
    pub max_output_kb: usize,
    /// Sandboxes kept for distinct limits (each is a wasmtime engine with its own pool);
    /// the least recently used is dropped beyond this.
    pub max_sandboxes: usize,
    /// Stop gracefully on SIGTERM or Ctrl-C (the command sets it; tests do not, as the
    /// handler is process-wide).
    pub handle_signals: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            max_queue: 256,
            max_body: 32 << 20,
            deadline: Duration::from_secs(60),
            io_threads: 2,
            sandbox: SandboxConfig::default(),
            max_timeout: Duration::from_secs(60),
            max_memory_mb: 2048,
            max_output_kb: 64 << 10,
            max_sandboxes: 8,
            handle_signals: false,
        }
    }
}

impl ServeConfig {
    fn validate(&self) -> Result<(), ServeError> {
        let bad = |m: String| Err(ServeError::Config(m));
        if self.max_body == 0 {
            return bad("max_body must be positive".into());
        }
        if self.deadline.is_zero() {
            return bad("deadline must be positive".into());
        }
        if self.io_threads == 0 {
            return bad("io_threads must be positive".into());
        }
        if self.max_sandboxes == 0 {
            return bad("max_sandboxes must be at least 1".into());
        }
        // The sandbox's instance pool is sized from the core count (4 per core + 8); more
        // programs at once than that get pool-exhaustion traps as their outcomes, which
        // would be wrong rewards, not errors.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        if self.workers > cores * 4 {
            return bad(format!(
                "workers = {} is over 4 per core ({cores} cores): the sandbox's instance pool \
                 is sized for at most that many programs at once",
                self.workers
            ));
        }
        if self.max_memory_mb < 64 {
            return bad("max_memory_mb must be at least 64".into());
        }
        if self.sandbox.timeout > self.max_timeout {
            return bad(format!(
                "the default timeout {:?} is above max_timeout {:?}",
                self.sandbox.timeout, self.max_timeout
            ));
        }
        if self.sandbox.memory_limit >> 20 > self.max_memory_mb {
            return bad(format!(
                "the default memory limit {} MiB is above max_memory_mb {}",
                self.sandbox.memory_limit >> 20,
                self.max_memory_mb
            ));
        }
        Ok(())
    }

    fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    }
}

/// Sandboxes by configuration. Clients normally send the same limits every time (a
/// trainer's `[sandbox]` section, a veRL run's timeout), so a few engines serve all.
struct Sandboxes {
    max: usize,
    clock: AtomicU64,
    entries: Mutex<Vec<(SandboxConfig, Arc<Sandbox>, u64)>>,
}

impl Sandboxes {
    fn new(first: SandboxConfig, max: usize) -> Result<Self, ServeError> {
        let sandbox = Arc::new(Sandbox::new(first.clone())?);
        Ok(Sandboxes {
            max,
            clock: AtomicU64::new(1),
            entries: Mutex::new(vec![(first, sandbox, 0)]),
        })
    }

    /// The sandbox for `config`, built on first use (under the lock: two requests with the
    /// same new limits build one engine, not two).
    fn get(&self, config: &SandboxConfig) -> Result<Arc<Sandbox>, stepcoder_sandbox::SandboxError> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.iter_mut().find(|e| &e.0 == config) {
            e.2 = now;
            return Ok(e.1.clone());
        }
        let sandbox = Arc::new(Sandbox::new(config.clone())?);
        if entries.len() >= self.max {
            if let Some(oldest) = entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.2)
                .map(|(i, _)| i)
            {
                // Requests still running on it keep their `Arc`; it goes when they end.
                entries.swap_remove(oldest);
            }
        }
        entries.push((config.clone(), sandbox.clone(), now));
        Ok(sandbox)
    }
}

struct App {
    config: ServeConfig,
    pool: Arc<Pool>,
    metrics: Metrics,
    sandboxes: Sandboxes,
    draining: AtomicBool,
}

/// What a worker hands back to the request's handler.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    outcome: Outcome,
}

impl Reply {
    fn json(status: StatusCode, value: &impl Serialize, outcome: Outcome) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply {
                status,
                body,
                outcome,
            },
            Err(e) => Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot serialize the answer: {e}"),
                None,
                Outcome::SandboxError,
            ),
        }
    }

    fn error(status: StatusCode, error: String, field: Option<String>, outcome: Outcome) -> Reply {
        let body = serde_json::to_vec(&ErrorBody { error, field })
            .unwrap_or_else(|_| b"{\"error\":\"unprintable error\"}".to_vec());
        Reply {
            status,
            body,
            outcome,
        }
    }

    fn bad(field: &str, error: String) -> Reply {
        Reply::error(
            StatusCode::BAD_REQUEST,
            error,
            Some(field.to_string()),
            Outcome::BadRequest,
        )
    }

    fn into_response(self) -> Response {
        let mut r = (self.status, self.body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if matches!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
        ) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// Parses `body` as `T`; a failure is a 400 that names the field when one is at fault.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "malformed JSON: the body must be a JSON object".into(),
            None,
            Outcome::BadRequest,
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match value {
        Ok(v) => match de.end() {
            Ok(()) => Ok(v),
            Err(e) => Err(Reply::error(
                StatusCode::BAD_REQUEST,
                format!("malformed JSON: {e}"),
                None,
                Outcome::BadRequest,
            )),
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    format!("malformed JSON: {inner}"),
                    None,
                    Outcome::BadRequest,
                ));
            }
            let message = inner.to_string();
            // serde reports a missing field at its parent: name the field itself.
            let named = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .map(|name| {
                    if path == "." {
                        name.to_string()
                    } else {
                        format!("{path}.{name}")
                    }
                });
            let field = named.or((path != ".").then_some(path));
            let error = match &field {
                Some(f) => format!("field `{f}`: {message}"),
                None => format!("invalid request: {message}"),
            };
            Err(Reply::error(
                StatusCode::BAD_REQUEST,
                error,
                field,
                Outcome::BadRequest,
            ))
        }
    }
}

impl App {
    fn gauges_text(&self) -> String {
        self.metrics.render(&self.pool.gauges())
    }

    /// The sandbox configuration of a `/v1/execute` request; out-of-range limits are 400s.
    fn resolve(&self, limits: &Limits) -> Result<SandboxConfig, Reply> {
        let c = &self.config;
        let mut cfg = c.sandbox.clone();
        if let Some(ms) = limits.timeout_ms {
            let max = c.max_timeout.as_millis() as u64;
            if ms == 0 || ms > max {
                return Err(Reply::bad(
                    "limits.timeout_ms",
                    format!("limits.timeout_ms = {ms} is outside 1..={max}"),
                ));
            }
            cfg.timeout = Duration::from_millis(ms);
        }
        if let Some(mb) = limits.memory_mb {
            if !(64..=c.max_memory_mb).contains(&mb) {
                return Err(Reply::bad(
                    "limits.memory_mb",
                    format!(
                        "limits.memory_mb = {mb} is outside 64..={}",
                        c.max_memory_mb
                    ),
                ));
            }
            cfg.memory_limit = mb << 20;
        }
        if let Some(kb) = limits.output_kb {
            if kb == 0 || kb > c.max_output_kb {
                return Err(Reply::bad(
                    "limits.output_kb",
                    format!("limits.output_kb = {kb} is outside 1..={}", c.max_output_kb),
                ));
            }
            cfg.output_limit = kb << 10;
        }
        if let Some(budget) = limits.budget {
            if let stepcoder_sandbox::TimeBudget::Derived { factor, .. } = budget {
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(Reply::bad(
                        "limits.budget.factor",
                        format!("limits.budget.factor = {factor} must be a positive number"),
                    ));
                }
            }
            cfg.budget = budget;
        }
        if let Some(coverage) = limits.coverage {
            cfg.coverage = coverage;
        }
        Ok(cfg)
    }

    fn execute(&self, body: &[u8]) -> Reply {
        let req: ExecuteRequest = match parse(body) {
            Ok(r) => r,
            Err(reply) => return reply,
        };
        let cfg = match self.resolve(&req.limits) {
            Ok(c) => c,
            Err(reply) => return reply,
        };
        let result = self
            .sandboxes
            .get(&cfg)
            .and_then(|sandbox| sandbox.execute_program(&req.program, &req.problem));
        match result {
            Ok(report) => {
                self.metrics.add_tests(report.tests.len() as u64);
                Reply::json(StatusCode::OK, &report, Outcome::Ok)
            }
            Err(e) => Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("sandbox failure on problem {}: {e}", req.problem.id),
                None,
                Outcome::SandboxError,
            ),
        }
    }

    fn run_code(&self, body: &[u8]) -> Reply {
        let req: RunCodeRequest = match parse(body) {
            Ok(r) => r,
            Err(reply) => return reply,
        };
        let unsupported = |m: String| {
            Reply::json(
                StatusCode::OK,
                &RunCodeResponse::sandbox_error(m),
                Outcome::Unsupported,
            )
        };
        if req.language != "python" {
            return unsupported(format!(
                "language `{}` is not supported: this server runs only \"python\"",
                req.language
            ));
        }
        if !req.files.is_empty() {
            return unsupported(format!(
                "`files` is not supported: the sandbox has no file system (got {} file(s))",
                req.files.len()
            ));
        }
        if !req.fetch_files.is_empty() {
            return unsupported(
                "`fetch_files` is not supported: the sandbox has no file system".into(),
            );
        }
        if !(req.run_timeout.is_finite() && req.run_timeout > 0.0) {
            return Reply::bad(
                "run_timeout",
                format!(
                    "run_timeout = {} must be a positive number of seconds",
                    req.run_timeout
                ),
            );
        }
        let c = &self.config;
        // SandboxFusion clients send their own defaults (e.g. 1024 MiB): clamp to the
        // server's range rather than refuse, as the answer format has no place for it.
        let timeout =
            Duration::from_secs_f64(req.run_timeout).clamp(Duration::from_millis(1), c.max_timeout);
        let memory_mb = if req.memory_limit_mb <= 0 {
            c.sandbox.memory_limit >> 20
        } else {
            (req.memory_limit_mb as u64).clamp(64, c.max_memory_mb as u64) as usize
        };
        let cfg = SandboxConfig {
            timeout,
            memory_limit: memory_mb << 20,
            ..c.sandbox.clone()
        };
        let result = self.sandboxes.get(&cfg).and_then(|s| {
            // Time the run only, not the first build of a sandbox for new limits.
            let t0 = Instant::now();
            let report = s.run(&req.code, req.stdin.as_deref().unwrap_or(""));
            report.map(|r| (r, t0.elapsed()))
        });
        match result {
            Ok((report, elapsed)) => {
                self.metrics.add_tests(1);
                let answer = run_code_answer(report, elapsed);
                Reply::json(StatusCode::OK, &answer, Outcome::Ok)
            }
            Err(e) => Reply::json(
                StatusCode::OK,
                &RunCodeResponse::sandbox_error(format!("sandbox failure: {e}")),
                Outcome::SandboxError,
            ),
        }
    }
}

/// A Python-looking error line for stderr: what a SandboxFusion client shows a person.
fn error_line(error_type: &str, message: &str) -> String {
    if message.is_empty() {
        format!("{error_type}\n")
    } else {
        format!("{error_type}: {message}\n")
    }
}

/// Maps one sandbox run onto SandboxFusion's answer.
///
/// SandboxFusion runs Python without a compile step, so a syntax error is a run that
/// finished with return code 1 and the error on stderr (`status: Failed`,
/// `compile_result: null`); this answer does the same, so a client that tells compile
/// errors apart by `compile_result` sees exactly what it would see from SandboxFusion.
fn run_code_answer(report: RunReport, elapsed: Duration) -> RunCodeResponse {
    use stepcoder_sandbox::RunStatus as S;
    let mut stderr = report.stderr;
    let (status, return_code) = match report.status {
        S::Ok => (CommandStatus::Finished, Some(report.exit_code)),
        S::Timeout => (CommandStatus::TimeLimitExceeded, None),
        S::CompileError => {
            if let Some(e) = &report.error {
                if let Some(line) = e.line {
                    stderr.push_str(&format!("  File \"<string>\", line {line}\n"));
                }
                stderr.push_str(&error_line(&e.error_type, &e.message));
            }
            (CommandStatus::Finished, Some(1))
        }
        S::RuntimeError => {
            if let Some(e) = &report.error {
                stderr.push_str("Traceback (most recent call last):\n");
                if let Some(line) = e.line {
                    stderr.push_str(&format!("  File \"<string>\", line {line}, in <module>\n"));
                }
                stderr.push_str(&error_line(&e.error_type, &e.message));
            }
            let code = if report.exit_code != 0 {
                report.exit_code
            } else {
                1
            };
            (CommandStatus::Finished, Some(code))
        }
        S::MemoryLimit => {
            stderr.push_str("MemoryError\n");
            (CommandStatus::Finished, Some(1))
        }
        S::OutputLimit => {
            stderr.push_str("output limit exceeded\n");
            (CommandStatus::Finished, Some(1))
        }
    };
    let top = if status == CommandStatus::Finished && return_code == Some(0) {
        RunStatus::Success
    } else {
        RunStatus::Failed
    };
    RunCodeResponse {
        status: top,
        message: String::new(),
        compile_result: None,
        run_result: Some(CommandResult {
            status,
            execution_time: Some(elapsed.as_secs_f64()),
            return_code,
            stdout: Some(report.stdout),
            stderr: Some(stderr),
        }),
        files: Default::default(),
    }
}

/// Most bytes of a refused request's body read and thrown away so that its client gets the
/// answer: closing a socket with unread data makes the kernel reset the connection, and the
/// client then sees a broken pipe instead of the 413 or 503 (what nginx calls a lingering
/// close). Past this, or [`DRAIN_TIME`], the connection is closed.
const DRAIN_BYTES: u64 = 64 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and discards what is left of `body`, within the bounds above.
async fn drain(mut body: Body, max: u64) {
    let discard = async {
        let mut seen = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                seen += data.len() as u64;
                if seen > max {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// Why a body could not be read.
enum BodyError {
    /// Over the limit; what is left of the body is handed back to be drained.
    TooLarge(Body),
    Broken(String),
}

/// The whole body, if it is at most `limit` bytes. A `Content-Length` over the limit is
/// refused before anything is read.
async fn read_body(
    mut body: Body,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(body));
    }
    let mut buf: Vec<u8> = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge(body));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Admits one request, reads its body, runs it on a worker and waits for its answer; or
/// answers 503 (no place), 413 (body too large), 400 (unreadable body) or 504 (no worker
/// took it up before the deadline).
///
/// Admission comes before the body is read, so at most `workers + max_queue` bodies are in
/// memory at once however many clients send.
async fn dispatch(app: Arc<App>, endpoint: Endpoint, request: Request) -> Response {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let max_body = app.config.max_body;
    let answer = |reply: Reply| {
        app.metrics
            .record(endpoint, reply.outcome, arrived.elapsed());
        reply.into_response()
    };
    let refusal = if app.draining.load(Ordering::Acquire) {
        Err("the server is shutting down")
    } else {
        app.pool
            .try_admit()
            .ok_or("the queue is full; retry later or elsewhere")
    };
    let slot = match refusal {
        Ok(slot) => slot,
        Err(why) => {
            drain(body, max_body as u64).await;
            return answer(Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                why.to_string(),
                None,
                Outcome::Overloaded,
            ));
        }
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A client that trickles its body must not hold a place forever.
    let read = tokio::time::timeout(app.config.deadline, read_body(body, declared, max_body));
    let body = match read.await.unwrap_or_else(|_| {
        Err(BodyError::Broken(format!(
            "the body did not arrive within the deadline of {:?}",
            app.config.deadline
        )))
    }) {
        Ok(b) => b,
        Err(BodyError::TooLarge(rest)) => {
            drop(slot);
            drain(rest, DRAIN_BYTES).await;
            return answer(Reply::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over the limit of {max_body} bytes"),
                None,
                Outcome::TooLarge,
            ));
        }
        Err(BodyError::Broken(e)) => {
            return answer(Reply::error(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
                None,
                Outcome::BadRequest,
            ));
        }
    };
    let (tx, mut rx) = oneshot::channel::<Reply>();
    let state: JobState = Arc::new(AtomicU8::new(QUEUED));
    {
        let job_app = app.clone();
        let job = move || {
            let app = job_app;
            if tx.is_closed() {
                // The client went away while the job waited: do not run it for nobody.
                app.metrics.add_abandoned();
                return None;
            }
            let run = std::panic::AssertUnwindSafe(|| match endpoint {
                Endpoint::RunCode => app.run_code(&body),
                Endpoint::Execute => app.execute(&body),
            });
            let reply = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                Reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the sandbox panicked on this request".into(),
                    None,
                    Outcome::SandboxError,
                )
            });
            Some((tx, reply))
        };
        let deliver = |done: Option<(oneshot::Sender<Reply>, Reply)>| {
            if let Some((tx, reply)) = done {
                let _ = tx.send(reply);
            }
        };
        app.pool.spawn(slot, state.clone(), job, deliver);
    }
    let wait = app.config.deadline.saturating_sub(arrived.elapsed());
    let reply = tokio::select! {
        r = &mut rx => r.ok(),
        _ = tokio::time::sleep(wait) => {
            if state
                .compare_exchange(QUEUED, EXPIRED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                Some(Reply::error(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "not started within the deadline of {:?}; retry later or elsewhere",
                        app.config.deadline
                    ),
                    None,
                    Outcome::Deadline,
                ))
            } else {
                // Already running: its own limits bound it, and its answer is owed.
                rx.await.ok()
            }
        }
    };
    answer(reply.unwrap_or_else(|| {
        Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the worker dropped the request".into(),
            None,
            Outcome::SandboxError,
        )
    }))
}

async fn run_code(State(app): State<Arc<App>>, request: Request) -> Response {
    dispatch(app, Endpoint::RunCode, request).await
}

async fn execute(State(app): State<Arc<App>>, request: Request) -> Response {
    dispatch(app, Endpoint::Execute, request).await
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let g = app.pool.gauges();
    let draining = app.draining.load(Ordering::Acquire);
    let body = serde_json::json!({
        "status": if draining { "draining" } else { "ok" },
        "workers": g.workers,
        "busy_workers": g.busy,
        "queue_depth": g.queue_depth,
    });
    // A load balancer takes a draining server out of rotation on the 503.
    let status = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    Reply::json(status, &body, Outcome::Ok).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut r = app.gauges_text().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Drain,
    Abort,
}

/// A running server. Dropping it aborts it; call [`Server::shutdown`] to stop gracefully.
pub struct Server {
    addr: SocketAddr,
    app: Arc<App>,
    control: Arc<watch::Sender<Control>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Builds the sandbox, binds, and starts serving on background threads; returns once
    /// the socket is listening, so a client may connect at once.
    pub fn start(config: ServeConfig) -> Result<Server, ServeError> {
        config.validate()?;
        let workers = config.worker_count();
        let pool = Pool::new(workers, config.max_queue)?;
        let sandboxes = Sandboxes::new(config.sandbox.clone(), config.max_sandboxes)?;
        let listener =
            std::net::TcpListener::bind(&config.bind).map_err(|source| ServeError::Bind {
                addr: config.bind.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: config.bind.clone(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ServeError::Bind {
                addr: config.bind.clone(),
                source,
            })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.io_threads)
            .thread_name("stepcoder-serve-io")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|source| ServeError::Start {
                what: "async runtime",
                source,
            })?;
        let app = Arc::new(App {
            pool,
            metrics: Metrics::default(),
            sandboxes,
            draining: AtomicBool::new(false),
            config,
        });
        let router = Router::new()
            .route("/run_code", post(run_code))
            .route("/v1/execute", post(execute))
            .route("/health", get(health))
            .route("/metrics", get(metrics))
            .with_state(app.clone());
        let (control, _) = watch::channel(Control::Run);
        let control = Arc::new(control);
        let thread = {
            let app = app.clone();
            let control = control.clone();
            std::thread::Builder::new()
                .name("stepcoder-serve".into())
                .spawn(move || {
                    let result = runtime.block_on(serve(listener, router, app, control, addr));
                    // Connections still open after an abort are dropped here, at once.
                    runtime.shutdown_background();
                    result
                })
                .map_err(|source| ServeError::Start {
                    what: "server thread",
                    source,
                })?
        };
        Ok(Server {
            addr,
            app,
            control,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The text `GET /metrics` would answer now.
    pub fn metrics_text(&self) -> String {
        self.app.gauges_text()
    }

    /// Requests answered 200 with a result so far (both endpoints).
    pub fn answered(&self) -> u64 {
        self.app.metrics.count(Endpoint::Execute, Outcome::Ok)
            + self.app.metrics.count(Endpoint::RunCode, Outcome::Ok)
    }

    /// Stops taking requests, finishes those in flight, and returns when all are answered
    /// (what SIGTERM does).
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        self.control.send_replace(Control::Drain);
        self.join()
    }

    /// Stops at once, dropping every connection and the answers still owed on them: what a
    /// client sees when the machine dies.
    pub fn abort(mut self) {
        self.control.send_replace(Control::Abort);
        let _ = self.join();
    }

    /// Serves until a signal (with [`ServeConfig::handle_signals`]) stops it gracefully.
    pub fn wait(mut self) -> Result<(), ServeError> {
        self.join()
    }

    fn join(&mut self) -> Result<(), ServeError> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| ServeError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.control.send_replace(Control::Abort);
            let _ = self.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    app: Arc<App>,
    control: Arc<watch::Sender<Control>>,
    addr: SocketAddr,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|source| ServeError::Serve { addr, source })?;
    if app.config.handle_signals {
        let control = control.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("signal received: finishing the requests in flight");
            control.send_replace(Control::Drain);
        });
    }
    let drain = {
        let mut rx = control.subscribe();
        let app = app.clone();
        async move {
            let _ = rx.wait_for(|c| *c != Control::Run).await;
            app.draining.store(true, Ordering::Release);
        }
    };
    let mut abort = control.subscribe();
    let server = axum::serve(listener, router).with_graceful_shutdown(drain);
    tokio::select! {
        r = std::future::IntoFuture::into_future(server) => {
            r.map_err(|source| ServeError::Serve { addr, source })
        }
        _ = abort.wait_for(|c| *c == Control::Abort) => Ok(()),
    }
}

/// SIGTERM (what orchestrators send) or Ctrl-C.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
