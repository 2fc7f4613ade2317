//! `stepcoder data stats`: what a problem file holds, and every record that did not load.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use stepcoder_data::{load, Format};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Count problems by difficulty and kind, tests per problem, and list every bad record.
    ///
    /// Exits 0 when the file was read, even if some records are bad (they are listed);
    /// non-zero when the file cannot be read at all.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A problem file (JSON, JSONL, optionally .gz) or an APPS folder.
    pub path: PathBuf,
    /// Data format: auto, apps-plus, apps, humaneval, mbpp, evalplus.
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Stats(args) => stats(args),
    }
}

fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let data = load(&args.path, args.format)
        .with_context(|| format!("loading {}", args.path.display()))?;
    for w in &data.warnings {
        eprintln!("warning: {w}");
    }
    let tests: Vec<usize> = data.problems.iter().map(|p| p.tests.len()).collect();
    let (min, max) = (
        tests.iter().copied().min().unwrap_or(0),
        tests.iter().copied().max().unwrap_or(0),
    );
    let mean = if tests.is_empty() {
        0.0
    } else {
        data.test_count() as f64 / tests.len() as f64
    };
    if args.json {
        let errors: Vec<_> = data
            .errors
            .iter()
            .map(|e| json!({"record": e.record, "field": e.field, "message": e.message}))
            .collect();
        let out = json!({
            "path": data.path,
            "format": data.format,
            "problems": data.problems.len(),
            "by_difficulty": data.by_difficulty(),
            "by_kind": data.by_kind(),
            "tests": data.test_count(),
            "tests_per_problem": {"min": min, "max": max, "mean": mean},
            "errors": errors,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} ({})", data.path.display(), data.format);
    println!("  problems  {}", data.problems.len());
    for (difficulty, n) in data.by_difficulty() {
        println!("    {difficulty:<14}{n}");
    }
    println!("  by kind");
    for (kind, n) in data.by_kind() {
        println!("    {kind:<14}{n}");
    }
    println!(
        "  tests     {} (per problem: min {min}, mean {mean:.2}, max {max})",
        data.test_count()
    );
    if data.errors.is_empty() {
        println!("  bad records: none");
    } else {
        println!("  bad records: {}", data.errors.len());
        for e in &data.errors {
            println!(
                "    record {}: field `{}`: {}",
                e.record, e.field, e.message
            );
        }
    }
    Ok(())
}
