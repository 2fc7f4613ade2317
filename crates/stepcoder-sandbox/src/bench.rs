//! The sandbox against two native baselines on one workload (`stepcoder bench sandbox`):
//! native `python3` started per test (the usual harness) and native in-process `exec` in
//! long-lived `python3` processes (no isolation: the limit). All three ways use the same
//! number of worker threads/processes.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stepcoder_core::{Executor, Problem, ProblemKind, TestCase};

use crate::compare::{stdout_matches, values_match};
use crate::{Sandbox, SandboxError};

/// The native runner (header identical to the guest's).
pub const NATIVE_RUNNER: &str = include_str!("native_runner.py");

/// Figures of one way of running the workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WayStats {
    pub tests: usize,
    pub passed: usize,
    pub wall_s: f64,
    /// Whole-workload throughput: tests / wall time.
    pub tests_per_s: f64,
    pub median_us: f64,
    pub p90_us: f64,
    pub max_us: f64,
    /// Share of the summed per-test time spent in the slowest 5% of tests.
    pub slowest_5pct_share: f64,
}

/// Memory of the host process over many sandbox runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryStats {
    pub runs: usize,
    pub rss_after_first_mb: f64,
    pub rss_after_10pct_mb: f64,
    pub rss_after_all_mb: f64,
}

/// The benchmark result as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub problems: usize,
    pub threads: usize,
    pub sandbox: WayStats,
    pub subprocess: Option<WayStats>,
    pub inprocess: Option<WayStats>,
    /// subprocess median / sandbox median.
    pub median_speedup_vs_subprocess: Option<f64>,
    /// sandbox tests/s / subprocess tests/s.
    pub ratio_vs_subprocess: Option<f64>,
    /// sandbox tests/s / in-process tests/s.
    pub ratio_vs_inprocess: Option<f64>,
    pub memory: Option<MemoryStats>,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The python3 used by the native ways (`None`: skip them).
    pub python: Option<String>,
    /// Runs of a small program for the memory check (0: skip).
    pub memory_runs: usize,
    /// Per-test timeout of the subprocess way.
    pub subprocess_timeout: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            python: Some("python3".into()),
            memory_runs: 10_000,
            subprocess_timeout: Duration::from_secs(30),
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn stats(mut lat_us: Vec<f64>, passed: usize, wall: Duration) -> WayStats {
    lat_us.sort_by(f64::total_cmp);
    let total: f64 = lat_us.iter().sum();
    let top = lat_us.len().div_ceil(20);
    let top_sum: f64 = lat_us.iter().rev().take(top).sum();
    WayStats {
        tests: lat_us.len(),
        passed,
        wall_s: wall.as_secs_f64(),
        tests_per_s: lat_us.len() as f64 / wall.as_secs_f64().max(1e-9),
        median_us: percentile(&lat_us, 0.5),
        p90_us: percentile(&lat_us, 0.9),
        max_us: lat_us.last().copied().unwrap_or(0.0),
        slowest_5pct_share: if total > 0.0 { top_sum / total } else { 0.0 },
    }
}

/// One job for [`NATIVE_RUNNER`] per test of each canonical solution (assert-based problems
/// are skipped): the job's JSON, and the problem and test it came from.
pub fn native_jobs(problems: &[Problem]) -> Vec<(Value, &Problem, &TestCase)> {
    let mut jobs = Vec::new();
    for p in problems {
        let (mode, entry, class) = match &p.kind {
            ProblemKind::Stdio { entry } => (0, entry.clone().unwrap_or_default(), String::new()),
            ProblemKind::Function { name } => (1, name.clone(), String::new()),
            ProblemKind::Method { class, name } => (2, name.clone(), class.clone()),
            ProblemKind::Assert { .. } => continue,
        };
        for t in &p.tests {
            let (stdin, args) = match t {
                TestCase::Stdio { input, .. } => (input.clone(), Value::Array(vec![])),
                TestCase::Call { args, .. } => (String::new(), Value::Array(args.clone())),
                TestCase::Assert { .. } => continue,
            };
            jobs.push((
                json!({"program": p.canonical_solution, "mode": mode, "entry": entry,
                       "class": class, "stdin": stdin, "args": args}),
                p,
                t,
            ));
        }
    }
    jobs
}

fn native_passed(result: &Value, p: &Problem, t: &TestCase) -> bool {
    if !result["error"].is_null() {
        return false;
    }
    match t {
        TestCase::Stdio { expected, .. } => {
            stdout_matches(result["stdout"].as_str().unwrap_or(""), expected, p.atol)
        }
        TestCase::Call { expected, .. } => result["result"]
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .is_some_and(|v| values_match(&v, expected, p.atol)),
        TestCase::Assert { .. } => false,
    }
}

fn python_output(python: &str, args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, SandboxError> {
    let err = |e: std::io::Error| SandboxError::Config(format!("cannot run {python}: {e}"));
    let mut child = Command::new(python)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(err)?;
    if let Some(mut si) = child.stdin.take() {
        // A program that exits early closes the pipe: not an error of the benchmark.
        let _ = si.write_all(stdin);
    }
    Ok(child.wait_with_output().map_err(err)?.stdout)
}

fn run_subprocess(python: &str, problems: &[Problem]) -> Result<WayStats, SandboxError> {
    let jobs = native_jobs(problems);
    let t = Instant::now();
    let results: Vec<(f64, bool)> = jobs
        .par_iter()
        .map(|(job, p, tc)| {
            let t0 = Instant::now();
            let out = python_output(
                python,
                &["-c", NATIVE_RUNNER, "one"],
                job.to_string().as_bytes(),
            );
            let us = t0.elapsed().as_secs_f64() * 1e6;
            let ok = out
                .ok()
                .and_then(|o| serde_json::from_slice::<Value>(&o).ok())
                .is_some_and(|r| native_passed(&r, p, tc));
            (us, ok)
        })
        .collect();
    let wall = t.elapsed();
    let passed = results.iter().filter(|r| r.1).count();
    Ok(stats(
        results.into_iter().map(|r| r.0).collect(),
        passed,
        wall,
    ))
}

fn run_inprocess(python: &str, problems: &[Problem]) -> Result<WayStats, SandboxError> {
    let jobs = native_jobs(problems);
    let workers = rayon::current_num_threads().max(1);
    // Interleaved shards: heavy problems spread over the workers.
    let shards: Vec<Vec<usize>> = (0..workers)
        .map(|w| (w..jobs.len()).step_by(workers).collect())
        .collect();
    let t = Instant::now();
    let outs: Vec<Result<Vec<(f64, bool)>, SandboxError>> = shards
        .par_iter()
        .map(|idx| {
            let list = Value::Array(idx.iter().map(|&i| jobs[i].0.clone()).collect());
            let out = python_output(
                python,
                &["-c", NATIVE_RUNNER, "many"],
                list.to_string().as_bytes(),
            )?;
            let results: Vec<Value> = serde_json::from_slice(&out).map_err(|e| {
                SandboxError::Config(format!("in-process runner gave no result list: {e}"))
            })?;
            Ok(idx
                .iter()
                .zip(results)
                .map(|(&i, r)| {
                    let us = r["us"].as_f64().unwrap_or(0.0);
                    (us, native_passed(&r, jobs[i].1, jobs[i].2))
                })
                .collect())
        })
        .collect();
    let wall = t.elapsed();
    let mut all = Vec::new();
    for o in outs {
        all.extend(o?);
    }
    let passed = all.iter().filter(|r| r.1).count();
    Ok(stats(all.into_iter().map(|r| r.0).collect(), passed, wall))
}

/// Runs the canonical solutions in the sandbox; a test's latency is its run time plus its
/// share of the program's instance start.
pub fn run_sandbox(sandbox: &Sandbox, problems: &[Problem]) -> WayStats {
    let t = Instant::now();
    let per_problem: Vec<(Vec<f64>, usize)> = problems
        .par_iter()
        .map(|p| {
            let t0 = Instant::now();
            let r = sandbox.execute(&p.canonical_solution, p);
            let total_us = t0.elapsed().as_secs_f64() * 1e6;
            match r {
                Ok(r) if !r.tests.is_empty() => {
                    let inner: f64 = r.tests.iter().map(|t| t.duration_us as f64).sum();
                    let share = (total_us - inner).max(0.0) / r.tests.len() as f64;
                    let passed = r.tests.iter().filter(|t| t.outcome.is_passed()).count();
                    (
                        r.tests
                            .iter()
                            .map(|t| t.duration_us as f64 + share)
                            .collect(),
                        passed,
                    )
                }
                _ => (
                    vec![total_us / p.tests.len().max(1) as f64; p.tests.len()],
                    0,
                ),
            }
        })
        .collect();
    let wall = t.elapsed();
    let passed = per_problem.iter().map(|x| x.1).sum();
    stats(
        per_problem.into_iter().flat_map(|x| x.0).collect(),
        passed,
        wall,
    )
}

/// Resident memory of this process in MiB (Linux), 0 elsewhere.
pub fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|pages| pages * 4096.0 / (1 << 20) as f64)
        .unwrap_or(0.0)
}

/// Runs a small program `runs` times (in parallel) and samples resident memory.
pub fn memory_check(sandbox: &Sandbox, runs: usize) -> MemoryStats {
    let p = Problem {
        id: "memory".into(),
        source: "bench".into(),
        difficulty: stepcoder_core::Difficulty::Unknown,
        statement: String::new(),
        starter_code: String::new(),
        canonical_solution: String::new(),
        kind: ProblemKind::Stdio { entry: None },
        tests: vec![TestCase::Stdio {
            input: "7\n".into(),
            expected: "49\n".into(),
        }],
        setup_code: String::new(),
        atol: None,
        scope: None,
    };
    let prog = "n = int(input())\nprint(sum([n] * n))\n";
    let _ = sandbox.execute(prog, &p);
    let first = rss_mb();
    let tenth = runs / 10;
    (0..tenth).into_par_iter().for_each(|_| {
        let _ = sandbox.execute(prog, &p);
    });
    let at_tenth = rss_mb();
    (tenth..runs).into_par_iter().for_each(|_| {
        let _ = sandbox.execute(prog, &p);
    });
    MemoryStats {
        runs,
        rss_after_first_mb: first,
        rss_after_10pct_mb: at_tenth,
        rss_after_all_mb: rss_mb(),
    }
}

/// Runs the workload the three ways (the native ways when `options.python` is set).
pub fn run(
    sandbox: &Sandbox,
    problems: &[Problem],
    options: &BenchOptions,
) -> Result<BenchReport, SandboxError> {
    // Problems the native ways can run too (assert-style data sets have no native runner here).
    let problems: Vec<Problem> = problems
        .iter()
        .filter(|p| !matches!(p.kind, ProblemKind::Assert { .. }))
        .cloned()
        .collect();
    let sb = run_sandbox(sandbox, &problems);
    let (sub, inp) = match &options.python {
        Some(py) => (
            Some(run_subprocess(py, &problems)?),
            Some(run_inprocess(py, &problems)?),
        ),
        None => (None, None),
    };
    let memory = (options.memory_runs > 0).then(|| memory_check(sandbox, options.memory_runs));
    Ok(BenchReport {
        problems: problems.len(),
        threads: rayon::current_num_threads(),
        median_speedup_vs_subprocess: sub.as_ref().map(|s| s.median_us / sb.median_us.max(1e-9)),
        ratio_vs_subprocess: sub
            .as_ref()
            .map(|s| sb.tests_per_s / s.tests_per_s.max(1e-9)),
        ratio_vs_inprocess: inp
            .as_ref()
            .map(|s| sb.tests_per_s / s.tests_per_s.max(1e-9)),
        sandbox: sb,
        subprocess: sub,
        inprocess: inp,
        memory,
    })
}
