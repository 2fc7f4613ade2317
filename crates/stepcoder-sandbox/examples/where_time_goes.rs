//! Where the sandbox's time goes on a workload: every canonical solution's tests timed one at a
//! time (one thread) in the sandbox with and without coverage, and natively in-process with the
//! given interpreters; then the heaviest tests side by side and what the wall time of N workers
//! would be when whole programs (or single tests) are the unit of scheduling.
//!
//! `cargo run --release -p stepcoder-sandbox --example where_time_goes -- PROBLEMS.json [PYTHON...]`
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use stepcoder_core::{Problem, ProblemKind};
use stepcoder_sandbox::bench::{native_jobs, NATIVE_RUNNER};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

/// Per program: its run time including the instance start, and each test's run time (us).
type ProgramTimes = Vec<(f64, Vec<f64>)>;

fn sandbox_times(
    problems: &[Problem],
    coverage: bool,
) -> Result<ProgramTimes, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs(20),
        coverage,
        ..SandboxConfig::default()
    })?;
    let mut out = Vec::new();
    for p in problems {
        let t0 = Instant::now();
        let r = sandbox.execute_program(&p.canonical_solution, p)?;
        let total = t0.elapsed().as_secs_f64() * 1e6;
        out.push((
            total,
            r.tests.iter().map(|t| t.duration_us as f64).collect(),
        ));
    }
    Ok(out)
}

fn native_times(
    python: &str,
    problems: &[Problem],
) -> Result<Vec<Vec<f64>>, Box<dyn std::error::Error>> {
    let jobs: Vec<Value> = native_jobs(problems).into_iter().map(|j| j.0).collect();
    let mut child = Command::new(python)
        .args(["-c", NATIVE_RUNNER, "many"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(jobs).to_string().as_bytes())?;
    let out: Vec<Value> = serde_json::from_slice(&child.wait_with_output()?.stdout)?;
    let mut it = out.iter().map(|r| r["us"].as_f64().unwrap_or(0.0));
    Ok(problems
        .iter()
        .map(|p| {
            (0..p.tests.len())
                .map(|_| it.next().unwrap_or(0.0))
                .collect()
        })
        .collect())
}

/// Longest-processing-time-first makespan of `jobs` on `workers`.
fn lpt(mut jobs: Vec<f64>, workers: usize) -> f64 {
    jobs.sort_by(|a, b| b.total_cmp(a));
    greedy(&jobs, workers)
}

/// Makespan of `jobs` taken in the given order by `workers` (a work queue).
fn greedy(jobs: &[f64], workers: usize) -> f64 {
    let mut load = vec![0.0f64; workers];
    for &j in jobs {
        let m = load.iter_mut().min_by(|a, b| a.total_cmp(b)).unwrap();
        *m += j;
    }
    load.into_iter().fold(0.0, f64::max)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One thread: each test is timed alone (the sandbox would otherwise spread a program's
    // tests over the cores).
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()?;
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/apps_plus/valid_350.json".into());
    let pythons: Vec<String> = args.collect();
    let data = stepcoder_data::load(&path, stepcoder_data::Format::Auto)?;
    let problems: Vec<Problem> = data
        .problems
        .into_iter()
        .filter(|p| !matches!(p.kind, ProblemKind::Assert { .. }))
        .collect();
    let n: usize = problems.iter().map(|p| p.tests.len()).sum();
    eprintln!("{} problems, {n} tests", problems.len());
    let cov = sandbox_times(&problems, true)?;
    let nocov = sandbox_times(&problems, false)?;
    let natives: Vec<Vec<Vec<f64>>> = pythons
        .iter()
        .map(|py| native_times(py, &problems))
        .collect::<Result<_, _>>()?;

    let sum = |v: &[(f64, Vec<f64>)]| v.iter().flat_map(|x| x.1.iter()).sum::<f64>();
    let total = |v: &[(f64, Vec<f64>)]| v.iter().map(|x| x.0).sum::<f64>();
    println!(
        "sandbox, coverage on : tests {:.2} s, programs incl. start {:.2} s",
        sum(&cov) / 1e6,
        total(&cov) / 1e6
    );
    println!(
        "sandbox, coverage off: tests {:.2} s, programs incl. start {:.2} s",
        sum(&nocov) / 1e6,
        total(&nocov) / 1e6
    );
    for (py, nat) in pythons.iter().zip(&natives) {
        println!(
            "native {py}: tests {:.2} s",
            nat.iter().flatten().sum::<f64>() / 1e6
        );
    }
    // The heaviest tests (by sandbox time with coverage).
    let mut flat: Vec<(usize, usize, f64)> = cov
        .iter()
        .enumerate()
        .flat_map(|(p, x)| x.1.iter().enumerate().map(move |(t, &us)| (p, t, us)))
        .collect();
    flat.sort_by(|a, b| b.2.total_cmp(&a.2));
    let top = n.div_ceil(20);
    let top_sb: f64 = flat[..top].iter().map(|x| x.2).sum();
    let top_nc: f64 = flat[..top].iter().map(|x| nocov[x.0].1[x.1]).sum();
    println!(
        "slowest 5% ({top} tests): sandbox cov {:.2} s, no cov {:.2} s",
        top_sb / 1e6,
        top_nc / 1e6
    );
    for (py, nat) in pythons.iter().zip(&natives) {
        let s: f64 = flat[..top].iter().map(|x| nat[x.0][x.1]).sum();
        let rest: f64 = flat[top..].iter().map(|x| nat[x.0][x.1]).sum();
        let rest_sb: f64 = flat[top..].iter().map(|x| x.2).sum();
        println!("  native {py}: {:.2} s -> sandbox/native {:.2}x; other 95%: native {:.3} s, sandbox {:.3} s ({:.2}x)",
            s / 1e6, top_sb / s, rest / 1e6, rest_sb / 1e6, rest_sb / rest);
    }
    println!("heaviest tests (us): problem test | sandbox cov | no cov | natives...");
    for &(p, t, us) in flat.iter().take(15) {
        let nat: Vec<String> = natives.iter().map(|n| format!("{:.0}", n[p][t])).collect();
        println!(
            "  {:>24} {:>3} | {:>9.0} | {:>9.0} | {}",
            problems[p].id,
            t,
            us,
            nocov[p].1[t],
            nat.join(" | ")
        );
    }
    // Scheduling: programs as units vs tests as units.
    let prog_totals: Vec<f64> = cov.iter().map(|x| x.0).collect();
    let mut sorted = prog_totals.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let all: f64 = prog_totals.iter().sum();
    println!(
        "heaviest programs (s): {:?} of {:.2} s in all",
        sorted
            .iter()
            .take(8)
            .map(|x| (x / 1e4).round() / 100.0)
            .collect::<Vec<_>>(),
        all / 1e6
    );
    for w in [2usize, 4] {
        let in_order = greedy(&prog_totals, w);
        let by_lpt = lpt(prog_totals.clone(), w);
        let tests: Vec<f64> = cov.iter().flat_map(|x| x.1.iter().copied()).collect();
        let per_test = lpt(tests, w);
        println!("{w} workers: programs in input order {:.2} s (efficiency {:.0}%), programs LPT {:.2} s, tests LPT {:.2} s, ideal {:.2} s",
            in_order / 1e6, 100.0 * all / (w as f64 * in_order), by_lpt / 1e6, per_test / 1e6, all / w as f64 / 1e6);
    }
    Ok(())
}
