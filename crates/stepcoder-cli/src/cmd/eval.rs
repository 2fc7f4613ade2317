//! `stepcoder eval`: pass@k of a model on a problem set, by difficulty, with the outcome mix,
//! pass@1's 95% interval, and, against a baseline model or between two saved reports, the
//! paired change of pass@1 with its interval and p-value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use stepcoder_core::Problem;
use stepcoder_data::Format;
use stepcoder_eval::{evaluate, paired_difference, EvalConfig, EvalReport, PairedDifference};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

use super::common::{load_problems, parse_k};
use crate::device::Selected;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A Hugging Face model folder, a .gguf file, or `default` (SmolLM2-135M-Instruct,
    /// fetched on first use; `$STEPCODER_MODEL` overrides it).
    #[arg(long, default_value = "default")]
    pub model: String,
    /// Also evaluate this model (same forms as --model; e.g. the starting model of a
    /// training run) on the same problems with the same sampling seeds, and report the
    /// paired change of pass@1 from it to --model.
    #[arg(long)]
    pub baseline: Option<String>,
    /// Compare two saved reports (`--output` files, or a run's `eval_before.json` and
    /// `eval_after.json`) without running a model: the paired change of pass@1 from BEFORE
    /// to AFTER.
    #[arg(
        long,
        num_args = 2,
        value_names = ["BEFORE", "AFTER"],
        conflicts_with_all = ["baseline", "data", "output"]
    )]
    pub compare: Option<Vec<PathBuf>>,
    /// Problems: a file in any supported format (APPS+, APPS, HumanEval, MBPP, evalplus)
    /// or `builtin` for the project's own problems.
    #[arg(long, required_unless_present = "compare")]
    pub data: Option<String>,
    /// Data format of --data.
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// The k of each pass@k to report, comma-separated.
    #[arg(long, value_parser = parse_k, value_delimiter = ',', default_value = "1")]
    pub k: Vec<usize>,
    /// Samples per problem (n of the unbiased estimator); defaults to the largest k.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Sampling temperature (the paper evaluates at 0.2; 0 = greedy).
    #[arg(long, default_value_t = 0.2)]
    pub temperature: f32,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    #[arg(long, default_value_t = 512)]
    pub max_new_tokens: usize,
    /// Rows sampled together.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Evaluate only the first N problems.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Time limit per unit test.
    #[arg(long, default_value_t = 4000)]
    pub timeout_ms: u64,
    /// Print the report as one JSON object (`pass_at_k`, `pass1_ci`, `by_difficulty`,
    /// `outcomes`, ...; with --baseline also `baseline` and `paired_difference`).
    #[arg(long)]
    pub json: bool,
    /// Also write the full JSON report to this file: per problem, each sample's program,
    /// outcome and first failure (compile error or failing test). With --baseline, the
    /// baseline's report goes beside it as `<name>.baseline.json`.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    if let Some(paths) = &args.compare {
        return compare(paths, args.json);
    }
    let data_spec = args
        .data
        .as_deref()
        .context("--data is required (or --compare BEFORE AFTER)")?;
    let ks: Vec<usize> = args.k.clone();
    let cfg = EvalConfig {
        samples: args
            .samples
            .unwrap_or_else(|| ks.iter().copied().max().unwrap_or(1)),
        ks,
        temperature: args.temperature,
        top_p: args.top_p,
        max_new_tokens: args.max_new_tokens,
        batch_size: args.batch_size,
        seed: args.seed,
    };
    cfg.validate()?;
    // `--device` / `--precision` (global flags): the CPU in f32 unless asked.
    let place = crate::device::select_from_flags()?;
    let mut data = load_problems(data_spec, args.format)?;
    if let Some(n) = args.limit {
        data.problems.truncate(n);
    }
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_millis(args.timeout_ms),
        ..SandboxConfig::default()
    })
    .context("starting the sandbox")?;
    // The baseline first, each model loaded only while it is evaluated. Both use `cfg`, so
    // row i of batch b draws from the same seed for both models: the two evaluations differ
    // by the model, not by the luck of the draw.
    let baseline = args
        .baseline
        .as_deref()
        .map(|m| evaluate_model(m, "baseline", &data.problems, &cfg, &sandbox, &place))
        .transpose()?;
    let (source, report) =
        evaluate_model(&args.model, "model", &data.problems, &cfg, &sandbox, &place)?;
    let paired = baseline
        .as_ref()
        .map(|(_, b)| paired_difference(b, &report))
        .transpose()
        .context("comparing the model with the baseline")?;
    if let Some(path) = &args.output {
        write_report(path, &report)?;
        if let Some((_, b)) = &baseline {
            write_report(&baseline_path(path), b)?;
        }
    }
    if args.json {
        let mut summary = summary_json(&source, &data.path, &report);
        if let (Some((bsource, b)), Some(d)) = (&baseline, &paired) {
            summary["baseline"] = summary_json(bsource, &data.path, b);
            summary["paired_difference"] = paired_json(d);
        }
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        if let Some((bsource, b)) = &baseline {
            print_report("baseline", bsource, &data.path, b, args.temperature);
            println!();
        }
        let label = if baseline.is_some() { "model" } else { "" };
        print_report(label, &source, &data.path, &report, args.temperature);
        if let Some(d) = &paired {
            println!("\nmodel vs baseline: {d}");
            println!("{}", verdict(d));
        }
    }
    Ok(())
}

/// Loads `spec`, evaluates it with a progress bar, and drops the weights before returning.
fn evaluate_model(
    spec: &str,
    label: &str,
    problems: &[Problem],
    cfg: &EvalConfig,
    sandbox: &Sandbox,
    place: &Selected,
) -> anyhow::Result<(PathBuf, EvalReport)> {
    let loaded = place
        .load_model(spec, false)
        .with_context(|| format!("loading {label} `{spec}`"))?;
    let total = (problems.len() * cfg.samples) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} samples ({elapsed} elapsed, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("eval {label}"));
    let report = evaluate(
        &loaded.model,
        &loaded.tokenizer,
        sandbox,
        problems,
        cfg,
        |p| {
            bar.set_position(p.executed as u64);
            bar.set_message(format!("eval {label} (sampled {}/{})", p.sampled, p.total));
        },
    )
    .with_context(|| format!("evaluating {label} `{spec}`"))?;
    bar.finish_and_clear();
    Ok((loaded.source, report))
}

/// `runs/x/eval.json` -> `runs/x/eval.baseline.json`.
fn baseline_path(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => path.with_extension(format!("baseline.{ext}")),
        None => path.with_extension("baseline.json"),
    }
}

fn write_report(path: &Path, report: &EvalReport) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(report)?)
        .with_context(|| format!("writing {}", path.display()))
}

fn read_report(path: &Path) -> anyhow::Result<EvalReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not an evaluation report", path.display()))
}

/// The report without per-problem detail, as `--json` prints it.
fn summary_json(model: &Path, data: &Path, report: &EvalReport) -> serde_json::Value {
    serde_json::json!({
        "model": model,
        "data": data,
        "problems": report.problems,
        "samples_per_problem": report.samples_per_problem,
        "pass_at_k": report.pass_at_k,
        "pass1_ci": report.pass1_ci.unwrap_or_else(|| report.pass1_interval()),
        "by_difficulty": report.by_difficulty,
        "outcomes": report.outcomes,
    })
}

fn paired_json(d: &PairedDifference) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    v["significant"] = d.significant().into();
    v["summary"] = d.to_string().into();
    v
}

fn verdict(d: &PairedDifference) -> &'static str {
    if d.significant() {
        "the 95% interval excludes 0: the change is larger than problem-to-problem noise"
    } else {
        "the 95% interval includes 0: no change can be told from noise on these problems"
    }
}

fn print_report(label: &str, model: &Path, data: &Path, report: &EvalReport, temperature: f32) {
    let label = if label.is_empty() {
        String::new()
    } else {
        format!("{label}: ")
    };
    println!(
        "{label}{} on {} ({} problems, {} samples each, T={temperature})\n",
        model.display(),
        data.display(),
        report.problems,
        report.samples_per_problem,
    );
    print!("{}", report.table());
}

/// `--compare BEFORE AFTER`: the paired change between two saved reports.
fn compare(paths: &[PathBuf], json: bool) -> anyhow::Result<()> {
    let [before_path, after_path] = paths else {
        anyhow::bail!("--compare takes two report files: BEFORE AFTER");
    };
    let before = read_report(before_path)?;
    let after = read_report(after_path)?;
    let d = paired_difference(&before, &after).with_context(|| {
        format!(
            "comparing {} with {}",
            before_path.display(),
            after_path.display()
        )
    })?;
    let ci = |r: &EvalReport| r.pass1_ci.unwrap_or_else(|| r.pass1_interval());
    if json {
        let v = serde_json::json!({
            "before": { "report": before_path, "problems": before.problems, "pass1_ci": ci(&before) },
            "after": { "report": after_path, "problems": after.problems, "pass1_ci": ci(&after) },
            "paired_difference": paired_json(&d),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("before: {} pass@1 {}", before_path.display(), ci(&before));
        println!("after:  {} pass@1 {}", after_path.display(), ci(&after));
        println!("{d}");
        println!("{}", verdict(&d));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::baseline_path;
    use std::path::Path;

    #[test]
    fn baseline_report_goes_beside_the_output() {
        assert_eq!(
            baseline_path(Path::new("runs/x/eval.json")),
            Path::new("runs/x/eval.baseline.json")
        );
        assert_eq!(
            baseline_path(Path::new("out")),
            Path::new("out.baseline.json")
        );
    }
}
