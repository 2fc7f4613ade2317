//! The wire format of both endpoints, public so that Rust clients (and the tests) speak it
//! with the same types the server parses.
//!
//! * `POST /run_code`: SandboxFusion's request and answer, field for field, so an existing
//!   SandboxFusion client (veRL's, the `sandbox-fusion` SDK) works unchanged.
//! * `POST /v1/execute`: a [`Problem`] with its tests, a program and optional [`Limits`] in;
//!   the [`ExecReport`](stepcoder_core::ExecReport) out, exactly as the in-process sandbox
//!   returns it (per-test outcome, output, error, executed lines and their union), so a
//!   remote trainer gets everything FGO needs.
//!
//! Errors of the request itself come back as a non-200 status with an [`ErrorBody`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stepcoder_core::Problem;
use stepcoder_sandbox::TimeBudget;

/// The body of every non-200 answer: what was wrong and, when one field was, which
/// (a path such as `problem.tests[0].input` or `run_timeout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

fn default_timeout_s() -> f64 {
    10.0
}

fn default_memory() -> i64 {
    -1
}

/// SandboxFusion's `RunCodeRequest`. Defaults are SandboxFusion's: 10 s for both timeouts
/// and `-1` (the server's default) for the memory limit. Unknown fields are ignored, as
/// SandboxFusion ignores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunCodeRequest {
    pub code: String,
    /// Only `"python"` is served; any other language gets a `SandboxError` answer.
    pub language: String,
    #[serde(default)]
    pub stdin: Option<String>,
    /// Seconds. Python has no compile step here, so this bounds nothing; accepted for
    /// compatibility.
    #[serde(default = "default_timeout_s")]
    pub compile_timeout: f64,
    /// Seconds for the run (clamped to the server's maximum).
    #[serde(default = "default_timeout_s")]
    pub run_timeout: f64,
    /// MiB; `<= 0` means the server's default (clamped to the server's range).
    #[serde(default = "default_memory", rename = "memory_limit_MB")]
    pub memory_limit_mb: i64,
    /// Files to place beside the program: the sandbox has no file system, so a non-empty
    /// map gets a `SandboxError` answer rather than a run that silently lacks them.
    #[serde(default)]
    pub files: BTreeMap<String, Option<String>>,
    /// Files to send back after the run: unsupported for the same reason.
    #[serde(default)]
    pub fetch_files: Vec<String>,
}

/// SandboxFusion's top-level `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// The program finished with return code 0.
    Success,
    /// The program ran and failed: non-zero return code, time limit, or (Python) a syntax
    /// error, which is a run that finished with return code 1.
    Failed,
    /// The sandbox could not run the request (unsupported language or files, a fault of
    /// the sandbox itself).
    SandboxError,
}

/// SandboxFusion's `CommandRunStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandStatus {
    Finished,
    TimeLimitExceeded,
    Error,
}

/// SandboxFusion's `CommandRunResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub status: CommandStatus,
    /// Seconds of wall time.
    pub execution_time: Option<f64>,
    /// `None` after a time limit, as SandboxFusion reports a killed process.
    pub return_code: Option<i32>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// SandboxFusion's `RunCodeResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunCodeResponse {
    pub status: RunStatus,
    pub message: String,
    /// Always `null` for Python, as in SandboxFusion (no compile step).
    pub compile_result: Option<CommandResult>,
    pub run_result: Option<CommandResult>,
    /// Always empty: `fetch_files` is not supported.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

impl RunCodeResponse {
    /// A `SandboxError` answer with `message` and no results.
    pub fn sandbox_error(message: impl Into<String>) -> Self {
        RunCodeResponse {
            status: RunStatus::SandboxError,
            message: message.into(),
            compile_result: None,
            run_result: None,
            files: BTreeMap::new(),
        }
    }
}

/// Limits of one `/v1/execute` request; each one left out takes the server's default.
///
/// A value outside the server's range is a 400 naming the field, never silently clamped:
/// a trainer whose limits changed on the way would get different rewards without knowing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock limit per test, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Guest memory cap, in MiB (at least 64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<usize>,
    /// Cap on stdout and on stderr per test, in KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_kb: Option<usize>,
    /// How each test's time limit is chosen (see [`TimeBudget`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<TimeBudget>,
    /// Record executed lines (what FGO needs); on by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<bool>,
}

impl Limits {
    /// The limits that make a server behave like `config` in process.
    pub fn from_sandbox_config(config: &stepcoder_sandbox::SandboxConfig) -> Self {
        Limits {
            timeout_ms: Some(config.timeout.as_millis() as u64),
            memory_mb: Some(config.memory_limit >> 20),
            output_kb: Some(config.output_limit >> 10),
            budget: Some(config.budget),
            coverage: Some(config.coverage),
        }
    }
}

/// `POST /v1/execute`: run `program` against every test of `problem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    pub program: String,
    pub problem: Problem,
    #[serde(default)]
    pub limits: Limits,
}

/// Borrowed form of [`ExecuteRequest`] for clients: serializes to the same JSON without
/// copying the program and the problem.
#[derive(Debug, Clone, Serialize)]
pub struct ExecuteRequestRef<'a> {
    pub program: &'a str,
    pub problem: &'a Problem,
    pub limits: &'a Limits,
}
