//! `stepcoder bench sandbox`: the sandbox against native python3 on canonical solutions.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use stepcoder_data::Format;
use stepcoder_sandbox::bench::{self, BenchOptions};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

use super::common::load_problems;

#[derive(Debug, Args)]
pub struct SandboxBenchArgs {
    /// Problem file (APPS+ by default location: ../shared/data/apps_plus/valid_350.json).
    #[arg(long, default_value = "../shared/data/apps_plus/valid_350.json")]
    pub problems: String,
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// python3 for the native ways.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Skip the native ways.
    #[arg(long)]
    pub no_native: bool,
    /// Runs of a small program for the memory check (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub memory_runs: usize,
    /// Per-test timeout in the sandbox, in milliseconds.
    #[arg(long, default_value_t = 20_000)]
    pub timeout_ms: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `stepcoder bench sandbox`.
pub fn run(a: SandboxBenchArgs) -> anyhow::Result<()> {
    let data = load_problems(&a.problems, a.format)?;
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_millis(a.timeout_ms.max(1)),
        ..SandboxConfig::default()
    })
    .context("starting the sandbox")?;
    let options = BenchOptions {
        python: (!a.no_native).then(|| a.python.clone()),
        memory_runs: a.memory_runs,
        ..BenchOptions::default()
    };
    let report = bench::run(&sandbox, &data.problems, &options).context("running the benchmark")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("{} problems, {} threads", report.problems, report.threads);
    let ways = [
        ("sandbox", Some(&report.sandbox)),
        ("subprocess", report.subprocess.as_ref()),
        ("inprocess", report.inprocess.as_ref()),
    ];
    for (name, w) in ways {
        if let Some(w) = w {
            println!(
                "{name:>10}: {}/{} passed, {:.1} tests/s, median {:.0} us, p90 {:.0} us, max {:.0} us, slowest 5% = {:.1}% of time",
                w.passed, w.tests, w.tests_per_s, w.median_us, w.p90_us, w.max_us, 100.0 * w.slowest_5pct_share
            );
        }
    }
    if let Some(x) = report.median_speedup_vs_subprocess {
        println!("median per-test speedup vs subprocess: {x:.1}x");
    }
    if let Some(x) = report.ratio_vs_subprocess {
        println!("throughput vs subprocess: {x:.2}x");
    }
    if let Some(x) = report.ratio_vs_inprocess {
        println!("throughput vs in-process: {x:.2}x");
    }
    if let Some(m) = &report.memory {
        println!(
            "memory over {} runs: RSS {:.1} MiB after 1, {:.1} MiB after 10%, {:.1} MiB after all",
            m.runs, m.rss_after_first_mb, m.rss_after_10pct_mb, m.rss_after_all_mb
        );
    }
    Ok(())
}
