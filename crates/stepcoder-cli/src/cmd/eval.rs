//! `stepcoder eval`: pass@k of a model on a problem set, by difficulty, with the outcome mix.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use stepcoder_data::Format;
use stepcoder_eval::{evaluate, EvalConfig};
use stepcoder_model::LoadOptions;
use stepcoder_sandbox::{Sandbox, SandboxConfig};

use super::common::{load_problems, parse_k};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A Hugging Face model folder, a .gguf file, or `default` (SmolLM2-135M-Instruct,
    /// fetched on first use; `$STEPCODER_MODEL` overrides it).
    #[arg(long, default_value = "default")]
    pub model: String,
    /// Problems: a file in any supported format (APPS+, APPS, HumanEval, MBPP, evalplus)
    /// or `builtin` for the project's own problems.
    #[arg(long)]
    pub data: String,
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
    /// Print the report as one JSON object (`pass_at_k`, `by_difficulty`, `outcomes`, ...).
    #[arg(long)]
    pub json: bool,
    /// Also write the full JSON report to this file: per problem, each sample's program,
    /// outcome and first failure (compile error or failing test).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
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
    let mut data = load_problems(&args.data, args.format)?;
    if let Some(n) = args.limit {
        data.problems.truncate(n);
    }
    let loaded = stepcoder_model::load(
        Some(&args.model),
        &LoadOptions {
            trainable: false,
            ..LoadOptions::default()
        },
    )
    .with_context(|| format!("loading model `{}`", args.model))?;
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_millis(args.timeout_ms),
        ..SandboxConfig::default()
    })
    .context("starting the sandbox")?;
    let total = (data.problems.len() * cfg.samples) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} samples ({elapsed} elapsed, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("eval");
    let report = evaluate(
        &loaded.model,
        &loaded.tokenizer,
        &sandbox,
        &data.problems,
        &cfg,
        |p| {
            bar.set_position(p.executed as u64);
            bar.set_message(format!("eval (sampled {}/{})", p.sampled, p.total));
        },
    )?;
    bar.finish_and_clear();
    if let Some(path) = &args.output {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        let summary = serde_json::json!({
            "model": loaded.source,
            "data": data.path,
            "problems": report.problems,
            "samples_per_problem": report.samples_per_problem,
            "pass_at_k": report.pass_at_k,
            "by_difficulty": report.by_difficulty,
            "outcomes": report.outcomes,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} on {} ({} problems, {} samples each, T={})\n",
            loaded.source.display(),
            data.path.display(),
            report.problems,
            report.samples_per_problem,
            args.temperature
        );
        print!("{}", report.table());
    }
    Ok(())
}
