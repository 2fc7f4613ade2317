//! `stepcoder train`: StepCoder (CCCS + FGO PPO) on the configured model and problems.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use crate::run::config::TrainConfig;
use crate::run::{train, RunDir};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A TOML config (see --print-config); its keys override the preset's.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Starting point: default; quick (a smoke run: 3 PPO steps, minutes on 2 cores); laptop
    /// (base -> SFT -> PPO with evaluations and a learning curve, under an hour on 2 cores);
    /// paper (the paper's PPO settings).
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Continue the run in this output directory from its newest checkpoint (its saved
    /// config.toml is used; --config and --preset are ignored).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "overwrite"])]
    pub resume: Option<PathBuf>,
    /// Replace a run already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Override run.output_dir.
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Override run.steps.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Print the resolved configuration (defaults + preset + file) with comments and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Redraw plot.png and curve.png of this run directory from its metrics.jsonl and
    /// curve.jsonl, and exit (e.g. after copying a run's logs from another machine).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["resume", "config", "overwrite"])]
    pub replot: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.replot {
        return crate::run::replot(&RunDir(dir.clone()));
    }
    if let Some(dir) = &args.resume {
        let dir = RunDir(dir.clone());
        if !dir.config().exists() {
            bail!(
                "{} has no config.toml: it is not a stepcoder run directory",
                dir.0.display()
            );
        }
        let mut cfg = TrainConfig::from_file(&dir.config())?;
        if let Some(steps) = args.steps {
            cfg.run.steps = steps;
        }
        return train(cfg, dir, true).map(|_| ());
    }
    let mut cfg = TrainConfig::resolve(&args.preset, args.config.as_deref())?;
    if let Some(d) = args.output_dir {
        cfg.run.output_dir = d;
    }
    if let Some(steps) = args.steps {
        cfg.run.steps = steps;
    }
    if args.print_config {
        print!("{}", cfg.to_commented_toml()?);
        return Ok(());
    }
    let dir = RunDir(cfg.run.output_dir.clone());
    dir.prepare_fresh(args.overwrite)?;
    std::fs::write(dir.config(), cfg.to_commented_toml()?)
        .with_context(|| format!("writing {}", dir.config().display()))?;
    train(cfg, dir, false).map(|_| ())
}
