//! The `stepcoder bench sandbox` workload without the CLI (a release build of this crate alone):
//! `cargo run --release -p stepcoder-sandbox --example bench_apps -- PROBLEMS.json [MEMORY_RUNS]`.
use std::time::Duration;

use stepcoder_sandbox::bench::{self, BenchOptions};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/apps_plus/valid_350.json".into());
    let memory_runs = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let data = stepcoder_data::load(&path, stepcoder_data::Format::Auto)?;
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs(20),
        ..SandboxConfig::default()
    })?;
    // STEPCODER_BENCH_PYTHON: the interpreter of the native ways (e.g. the real binary
    // rather than a pyenv shim, whose start-up is itself a subprocess).
    let options = BenchOptions {
        memory_runs,
        python: Some(std::env::var("STEPCODER_BENCH_PYTHON").unwrap_or_else(|_| "python3".into())),
        ..BenchOptions::default()
    };
    let report = bench::run(&sandbox, &data.problems, &options)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
