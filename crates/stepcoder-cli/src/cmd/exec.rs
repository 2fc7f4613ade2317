//! `stepcoder exec`: run one program in the sandbox, or every problem's canonical solution
//! against its tests.

use std::path::PathBuf;
use std::time::Duration;

use super::common::load_problems;
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::json;
use stepcoder_core::{Executor, Outcome, Problem};
use stepcoder_data::Format;
use stepcoder_sandbox::{Sandbox, SandboxConfig};

/// Which solutions `--problems` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Solutions {
    /// Each problem's canonical solution.
    Canonical,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// A Python program to run once (prints status, output, error and coverage).
    #[arg(
        long,
        conflicts_with = "problems",
        required_unless_present = "problems"
    )]
    pub code: Option<PathBuf>,
    /// Standard input for `--code`.
    #[arg(long, requires = "code")]
    pub stdin: Option<PathBuf>,
    /// A problem file (or `builtin`): run solutions against every problem's tests.
    #[arg(long)]
    pub problems: Option<String>,
    /// Data format of `--problems`: auto, apps-plus, apps, humaneval, mbpp, evalplus.
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// Which solutions to run with `--problems`.
    #[arg(long, value_enum, default_value = "canonical")]
    pub solutions: Solutions,
    /// Wall-clock limit per test, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Memory cap of the guest, in MiB.
    #[arg(long, default_value_t = 512)]
    pub memory_mb: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn detail(o: &Outcome) -> String {
    match o {
        Outcome::WrongAnswer { expected, got } => format!("expected {expected:?}, got {got:?}"),
        Outcome::RuntimeError {
            error_type,
            message,
            line,
        }
        | Outcome::CompileError {
            error_type,
            message,
            line,
        } => match line {
            Some(l) => format!("{error_type}: {message} (line {l})"),
            None => format!("{error_type}: {message}"),
        },
        other => other.class().as_str().to_string(),
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::WrongAnswer { .. } => "wrong_answer",
        Outcome::RuntimeError { .. } => "runtime_error",
        Outcome::Timeout => "timeout",
        Outcome::MemoryLimit => "memory_limit",
        Outcome::OutputLimit => "output_limit",
        Outcome::CompileError { .. } => "compile_error",
    }
}

pub fn run(args: ExecArgs) -> anyhow::Result<()> {
    if args.timeout_ms == 0 {
        bail!("--timeout-ms must be positive");
    }
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_millis(args.timeout_ms),
        memory_limit: args.memory_mb << 20,
        ..SandboxConfig::default()
    })
    .context("starting the sandbox")?;
    if let Some(code) = &args.code {
        let program = std::fs::read_to_string(code)
            .with_context(|| format!("reading program {}", code.display()))?;
        let stdin = match &args.stdin {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("reading stdin {}", p.display()))?,
            None => String::new(),
        };
        let report = sandbox
            .run(&program, &stdin)
            .context("running the program")?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print!("{}", report.stdout);
            eprint!("{}", report.stderr);
            eprintln!(
                "status: {} (exit code {}){}",
                serde_json::to_value(report.status)?.as_str().unwrap_or("?"),
                report.exit_code,
                report
                    .error
                    .as_ref()
                    .map(|e| format!(", {}: {} (line {:?})", e.error_type, e.message, e.line))
                    .unwrap_or_default()
            );
            eprintln!("executed lines: {:?}", report.executed_lines);
        }
        return Ok(());
    }
    let spec = args
        .problems
        .as_deref()
        .context("--code or --problems is required")?;
    let data = load_problems(spec, args.format)?;
    let problems: Vec<&Problem> = data.problems.iter().collect();
    let jobs: Vec<(&str, &Problem)> = match args.solutions {
        Solutions::Canonical => problems
            .iter()
            .map(|p| (p.canonical_solution.as_str(), *p))
            .collect(),
    };
    let reports = sandbox.execute_batch(&jobs);
    let mut failed = Vec::new();
    for ((_, p), r) in jobs.iter().zip(reports) {
        match r {
            Ok(r) if r.passed() => {}
            Ok(r) => {
                let o = r.outcomes().into_iter().find(|o| !o.is_passed()).cloned();
                let (name, det) = match &o {
                    Some(o) => (outcome_name(o), detail(o)),
                    None => ("wrong_answer", "no tests".to_string()),
                };
                failed.push(json!({"id": p.id, "outcome": name, "detail": det}));
            }
            Err(e) => failed
                .push(json!({"id": p.id, "outcome": "executor_error", "detail": e.to_string()})),
        }
    }
    let passed = jobs.len() - failed.len();
    if args.json {
        println!(
            "{}",
            json!({"problems": jobs.len(), "passed": passed, "failed": failed})
        );
    } else {
        println!("{passed}/{} problems passed", jobs.len());
        for f in &failed {
            println!(
                "  {}: {} ({})",
                f["id"].as_str().unwrap_or("?"),
                f["outcome"].as_str().unwrap_or("?"),
                f["detail"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}
