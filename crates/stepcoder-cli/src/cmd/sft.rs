//! `stepcoder sft`: supervised fine-tuning on canonical solutions, then evaluation.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use stepcoder_sandbox::Sandbox;

use crate::run::config::TrainConfig;
use crate::run::sft::run_sft_stage;
use crate::run::{evaluate_to, split_problems, RunDir};

#[derive(Debug, Args)]
pub struct SftArgs {
    /// A TOML config (the `stepcoder train` format; the [sft] section applies).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Override run.output_dir (the fine-tuned model goes to OUTPUT_DIR/model).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Replace a run already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Override sft.epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
}

pub fn run(args: SftArgs) -> anyhow::Result<()> {
    let mut cfg = TrainConfig::resolve(&args.preset, args.config.as_deref())?;
    if let Some(d) = args.output_dir {
        cfg.run.output_dir = d;
    }
    if let Some(e) = args.epochs {
        cfg.sft.epochs = e;
    }
    let dir = RunDir(cfg.run.output_dir.clone());
    dir.prepare_fresh(args.overwrite)?;
    std::fs::write(dir.config(), cfg.to_commented_toml()?)?;
    let (train, eval) = split_problems(&cfg)?;
    // `[run] device` / `precision` (or --device / --precision): f32 master weights, the
    // forward in bf16 on a GPU.
    let place = crate::device::select(cfg.run.device, cfg.run.precision)?;
    eprintln!("device: {}", place.describe());
    let loaded = place
        .load_model(&cfg.model.path, true)
        .with_context(|| format!("loading model `{}`", cfg.model.path))?;
    let sandbox = Sandbox::new(cfg.sandbox.build()).context("starting the sandbox")?;
    let run_eval = |label: &str, enabled: bool| -> anyhow::Result<()> {
        if enabled && !eval.is_empty() {
            let r = evaluate_to(
                label,
                &cfg,
                &loaded.model,
                &loaded.tokenizer,
                &sandbox,
                &eval,
                &dir.eval(label),
            )?;
            eprintln!("{label} SFT:\n{}", r.table());
        }
        Ok(())
    };
    run_eval("before", cfg.eval.before)?;
    run_sft_stage(
        &cfg.sft,
        &loaded,
        &train,
        &dir.0.join("sft_metrics.jsonl"),
        &dir.0.join("model"),
    )?;
    run_eval("after", cfg.eval.after)
}
