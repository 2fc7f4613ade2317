//! # stepcoder-serve
//!
//! The WebAssembly sandbox of `stepcoder-sandbox` as an HTTP service, and an [`Executor`]
//! that uses such services, so that rewards can be computed on many CPU machines and by
//! trainers in other languages.
//!
//! * `POST /run_code`: SandboxFusion's endpoint for `language: "python"`, request and answer
//!   field for field, so a Python RL stack (veRL and others) that already calls SandboxFusion
//!   only changes its URL. See [`protocol`] for the exact mapping.
//! * `POST /v1/execute`: a program, its problem (tests) and limits in, the full
//!   [`ExecReport`](stepcoder_core::ExecReport) out: per-test outcomes and the executed lines
//!   that FGO needs.
//! * `GET /health` (503 on a connection still open while the server drains), `GET /metrics`
//!   (Prometheus text: requests by outcome, latency histogram, queue depth, busy workers).
//!
//! Under load it stays bounded and loses nothing: a fixed number of requests is admitted
//! (`workers + max_queue`, 503 beyond), bodies over the limit get 413, malformed ones 400
//! naming the field, a request not started before its deadline gets 504, and a graceful
//! shutdown (SIGTERM) answers every request in flight before the process exits.
//!
//! ```no_run
//! use stepcoder_core::Executor;
//! use stepcoder_serve::{RemoteConfig, RemoteExecutor, ServeConfig, Server};
//!
//! let server = Server::start(ServeConfig { bind: "127.0.0.1:0".into(), ..ServeConfig::default() })?;
//! let remote = RemoteExecutor::new(RemoteConfig {
//!     endpoints: vec![server.url()],
//!     ..RemoteConfig::default()
//! })?;
//! # let problem: stepcoder_core::Problem = unimplemented!();
//! let report = remote.execute("print(42)", &problem)?;
//! server.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Executor`]: stepcoder_core::Executor

mod error;
mod metrics;
mod pool;
pub mod protocol;
mod remote;
mod server;

pub use error::ServeError;
pub use protocol::Limits;
pub use remote::{RemoteConfig, RemoteExecutor};
pub use server::{ServeConfig, Server};
