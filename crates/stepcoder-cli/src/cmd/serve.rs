//! `stepcoder serve`: the sandbox as an HTTP service (SandboxFusion's `/run_code` and the
//! project's `/v1/execute`), until SIGTERM or Ctrl-C, which let requests in flight finish.

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use stepcoder_sandbox::SandboxConfig;
use stepcoder_serve::{ServeConfig, Server};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (`0.0.0.0:8080` for other machines or a load balancer).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Worker threads running programs (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,
    /// Requests that may wait for a worker; beyond that the answer is 503 at once.
    #[arg(long, default_value_t = 256)]
    pub max_queue: usize,
    /// Largest request body, in MiB (413 beyond).
    #[arg(long, default_value_t = 32)]
    pub max_body_mb: usize,
    /// A request not started within this many seconds of arriving gets 504.
    #[arg(long, default_value_t = 60)]
    pub deadline_s: u64,
    /// Per-test (per-run) time limit of requests that give none, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Guest memory of requests that give none, in MiB.
    #[arg(long, default_value_t = 512)]
    pub memory_mb: usize,
    /// Largest time limit a request may ask for, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub max_timeout_ms: u64,
    /// Largest guest memory a request may ask for, in MiB.
    #[arg(long, default_value_t = 2048)]
    pub max_memory_mb: usize,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.max_body_mb == 0 || args.deadline_s == 0 || args.timeout_ms == 0 {
        bail!("--max-body-mb, --deadline-s and --timeout-ms must be positive");
    }
    let config = ServeConfig {
        bind: args.bind.clone(),
        workers: args.workers,
        max_queue: args.max_queue,
        max_body: args.max_body_mb << 20,
        deadline: Duration::from_secs(args.deadline_s),
        sandbox: SandboxConfig {
            timeout: Duration::from_millis(args.timeout_ms),
            memory_limit: args.memory_mb << 20,
            ..SandboxConfig::default()
        },
        max_timeout: Duration::from_millis(args.max_timeout_ms),
        max_memory_mb: args.max_memory_mb,
        handle_signals: true,
        ..ServeConfig::default()
    };
    let server = Server::start(config).context("starting the server")?;
    eprintln!(
        "stepcoder serve: listening on {} (POST /run_code, POST /v1/execute, GET /health, GET /metrics); \
         SIGTERM or Ctrl-C stops it after the requests in flight",
        server.url()
    );
    server.wait().context("serving")?;
    eprintln!("stepcoder serve: stopped");
    Ok(())
}
