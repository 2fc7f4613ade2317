//! What serving costs: the same programs run in process and through `stepcoder serve` on
//! loopback, with 1, 8 and 64 concurrent clients, in one run.
//!
//! ```sh
//! cargo run --release -p stepcoder-serve --example bench_serve -- \
//!     ../shared/data/apps_plus/valid_350.json [--clients 1,8,64] [--max-ms 1000] [--limit N]
//! ```
//!
//! The workload is every problem's canonical solution against its tests (those that pass in
//! process; `--max-ms` also leaves out programs slower than that in process, whose interpreter
//! time would hide the service's cost). In process it measures the batch (`execute_batch` on
//! all cores: the reference throughput) and one program at a time (the reference latency).
//! Served, for each client count, N threads call `RemoteExecutor::execute` against a server
//! in this process (`--workers` = cores): tests/s, p50 and p99 latency per program, the
//! throughput against the in-process batch, and (1 client) the p50 overhead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use stepcoder_core::{Executor, Problem};
use stepcoder_sandbox::{Sandbox, SandboxConfig};
use stepcoder_serve::{Limits, RemoteConfig, RemoteExecutor, ServeConfig, Server};

struct Run {
    /// Programs whose report did not pass (all pass in process, so any is a fault).
    failed: usize,
    tests_per_s: f64,
    p50: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `clients` threads run all `jobs` through `exec`, each taking the next job in turn.
fn drive(exec: &dyn Executor, jobs: &[(&str, &Problem)], clients: usize, tests: usize) -> Run {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(jobs.len()));
    let failed = AtomicUsize::new(0);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((program, problem)) = jobs.get(i) else {
                    break;
                };
                let t = Instant::now();
                let r = exec.execute(program, problem);
                let dt = t.elapsed();
                match r {
                    Ok(r) if r.passed() => {}
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("problem {}: {:?}", problem.id, r.first_failure());
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("problem {}: {e}", problem.id);
                    }
                }
                latencies.lock().unwrap().push(dt);
            });
        }
    });
    let wall = t0.elapsed();
    let mut l = latencies.into_inner().unwrap();
    l.sort();
    Run {
        failed: failed.into_inner(),
        tests_per_s: tests as f64 / wall.as_secs_f64(),
        p50: percentile(&l, 0.5),
        p99: percentile(&l, 0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = "../shared/data/apps_plus/valid_350.json".to_string();
    let mut clients = vec![1usize, 8, 64];
    let mut max_ms: Option<f64> = None;
    let mut limit = usize::MAX;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--clients" => {
                clients = args
                    .next()
                    .ok_or("--clients needs a list")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--max-ms" => max_ms = Some(args.next().ok_or("--max-ms needs a value")?.parse()?),
            "--limit" => limit = args.next().ok_or("--limit needs a value")?.parse()?,
            other => path = other.to_string(),
        }
    }
    let data = stepcoder_data::load(&path, stepcoder_data::Format::Auto)?;
    let config = SandboxConfig {
        timeout: Duration::from_secs(20),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::new(config.clone())?;

    // Calibration pass: keep the programs that pass, timed one by one.
    let mut kept: Vec<&Problem> = Vec::new();
    for p in data.problems.iter().take(limit) {
        let t = Instant::now();
        let ok = sandbox
            .execute_program(&p.canonical_solution, p)
            .is_ok_and(|r| r.passed());
        let dt = t.elapsed().as_secs_f64() * 1e3;
        if ok && max_ms.is_none_or(|m| dt <= m) {
            kept.push(p);
        }
    }
    let jobs: Vec<(&str, &Problem)> = kept
        .iter()
        .map(|p| (p.canonical_solution.as_str(), *p))
        .collect();
    let tests: usize = kept.iter().map(|p| p.tests.len()).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "workload: {} canonical solutions, {tests} tests ({} problems in {path}{}); {cores} cores",
        jobs.len(),
        data.problems.len(),
        max_ms
            .map(|m| format!(", programs over {m} ms left out"))
            .unwrap_or_default()
    );

    let t = Instant::now();
    let batch = sandbox.execute_batch(&jobs);
    let batch_tps = tests as f64 / t.elapsed().as_secs_f64();
    let failed = batch
        .iter()
        .filter(|r| !r.as_ref().is_ok_and(|r| r.passed()))
        .count();
    let single = drive(&sandbox, &jobs, 1, tests);
    println!(
        "in process: batch (execute_batch, all cores) {batch_tps:.0} tests/s ({failed} not passed); \
         one at a time {:.0} tests/s, p50 {}, p99 {}",
        single.tests_per_s,
        ms(single.p50),
        ms(single.p99)
    );
    let server = Server::start(ServeConfig {
        bind: "127.0.0.1:0".into(),
        workers: cores,
        max_queue: 1024,
        sandbox: config.clone(),
        ..ServeConfig::default()
    })?;
    let max_clients = clients.iter().copied().max().unwrap_or(1);
    let remote = RemoteExecutor::new(RemoteConfig {
        endpoints: vec![server.url()],
        limits: Some(Limits::from_sandbox_config(&config)),
        concurrency: max_clients,
        ..RemoteConfig::default()
    })?;
    // Warm the server's instances and the client's connections.
    let warm: Vec<_> = jobs
        .iter()
        .take(max_clients.min(jobs.len()))
        .copied()
        .collect();
    remote.execute_batch(&warm);

    println!(
        "\n{:>7} | {:>8} | {:>10} | {:>10} | {:>17} | {:>16} | {:>6}",
        "clients", "tests/s", "p50", "p99", "vs in-proc batch", "p50 - in-proc p50", "failed"
    );
    for &c in &clients {
        let served = drive(&remote, &jobs, c, tests);
        println!(
            "{c:>7} | {:>8.0} | {:>10} | {:>10} | {:>16.3}x | {:>13.3} ms | {:>6}",
            served.tests_per_s,
            ms(served.p50),
            ms(served.p99),
            served.tests_per_s / batch_tps,
            (served.p50.as_secs_f64() - single.p50.as_secs_f64()) * 1e3,
            served.failed
        );
    }
    server.shutdown()?;
    Ok(())
}
