//! Running a training job: output directory, data split, components, the loop with
//! progress, metrics, plot and checkpoints, and evaluation before and after.

pub mod config;
pub mod sft;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use stepcoder_core::{CurriculumSchedule, Problem, StepCoderReward, TokenMasker};
use stepcoder_curriculum::{NoCurriculum, StagedConfig, StagedSchedule, StepConfig, StepSchedule};
use stepcoder_eval::{evaluate, EvalReport};
use stepcoder_fgo::{CoverageMask, FullMask};
use stepcoder_model::{CausalLm, LoadOptions, ModelTokenizer};
use stepcoder_ppo::{Components, Trainer};
use stepcoder_sandbox::Sandbox;

use crate::cmd::common::load_problems;
use config::{CurriculumSection, MaskSection, TrainConfig};

/// The files of a run's output directory.
#[derive(Debug, Clone)]
pub struct RunDir(pub PathBuf);

impl RunDir {
    pub fn config(&self) -> PathBuf {
        self.0.join("config.toml")
    }
    pub fn metrics(&self) -> PathBuf {
        self.0.join("metrics.jsonl")
    }
    pub fn samples(&self) -> PathBuf {
        self.0.join("samples.jsonl")
    }
    pub fn plot(&self) -> PathBuf {
        self.0.join("plot.png")
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.0.join("checkpoints")
    }
    pub fn eval(&self, when: &str) -> PathBuf {
        self.0.join(format!("eval_{when}.json"))
    }

    /// Refuses a directory that holds another run unless `overwrite`; creates it.
    pub fn prepare_fresh(&self, overwrite: bool) -> anyhow::Result<()> {
        let holds_run =
            self.config().exists() || self.metrics().exists() || self.checkpoints().exists();
        if holds_run {
            if !overwrite {
                bail!(
                    "{} already holds a run; pass --resume {} to continue it, --overwrite to replace it, \
                     or set run.output_dir to another directory",
                    self.0.display(),
                    self.0.display()
                );
            }
            std::fs::remove_dir_all(&self.0)
                .with_context(|| format!("removing {}", self.0.display()))?;
        }
        std::fs::create_dir_all(&self.0).with_context(|| format!("creating {}", self.0.display()))
    }

    /// The newest checkpoint (`checkpoints/step-NNNNNN`), if any.
    pub fn latest_checkpoint(&self) -> Option<PathBuf> {
        let mut steps: Vec<(u64, PathBuf)> = std::fs::read_dir(self.checkpoints())
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let step = name.strip_prefix("step-")?.parse().ok()?;
                e.path()
                    .join("trainer.json")
                    .exists()
                    .then(|| (step, e.path()))
            })
            .collect();
        steps.sort();
        steps.pop().map(|(_, p)| p)
    }

    fn checkpoint_for(&self, step: u64) -> PathBuf {
        self.checkpoints().join(format!("step-{step:06}"))
    }

    /// Deletes all but the newest `keep` checkpoints.
    fn prune(&self, keep: usize) {
        let Ok(entries) = std::fs::read_dir(self.checkpoints()) else {
            return;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
            })
            .collect();
        dirs.sort();
        let excess = dirs.len().saturating_sub(keep);
        for d in dirs.into_iter().take(excess) {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Training and evaluation problems, as the config says.
pub fn split_problems(cfg: &TrainConfig) -> anyhow::Result<(Vec<Problem>, Vec<Problem>)> {
    let data = load_problems(&cfg.data.train, cfg.data.format)?;
    let mut train = data.problems;
    let eval = if cfg.data.eval == "holdout" {
        let every = cfg.data.holdout_every;
        let (held, kept): (Vec<_>, Vec<_>) = train
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % every == every - 1);
        train = kept.into_iter().map(|(_, p)| p).collect();
        held.into_iter().map(|(_, p)| p).collect()
    } else {
        load_problems(&cfg.data.eval, cfg.data.format)?.problems
    };
    if cfg.data.limit > 0 {
        train.truncate(cfg.data.limit);
    }
    if train.is_empty() {
        bail!("no training problems left after the hold-out split");
    }
    Ok((train, eval))
}

/// The curriculum, mask, executor and reward the config asks for.
pub fn components(
    cfg: &TrainConfig,
    sandbox: Arc<Sandbox>,
    train: &[Problem],
) -> anyhow::Result<Components> {
    let curriculum: Box<dyn CurriculumSchedule> = match cfg.curriculum {
        CurriculumSection::Step { alpha, rho_t } => {
            Box::new(StepSchedule::new(StepConfig { alpha, rho_t }, train)?)
        }
        CurriculumSection::Staged { threshold, window } => Box::new(StagedSchedule::new(
            StagedConfig { threshold, window },
            train,
        )?),
        CurriculumSection::None => Box::new(NoCurriculum),
    };
    let masker: Box<dyn TokenMasker> = match cfg.mask {
        MaskSection::Coverage {
            no_coverage,
            outside,
        } => Box::new(CoverageMask {
            fence: cfg.ppo.fence,
            no_coverage,
            outside,
        }),
        MaskSection::Full => Box::new(FullMask),
    };
    Ok(Components {
        executor: sandbox,
        reward: Box::new(StepCoderReward::default()),
        curriculum,
        masker,
    })
}

/// Evaluates `model` on `problems` with a progress bar; writes the report to `out`.
pub fn evaluate_to(
    label: &str,
    cfg: &TrainConfig,
    model: &CausalLm,
    tokenizer: &ModelTokenizer,
    sandbox: &Sandbox,
    problems: &[Problem],
    out: &Path,
) -> anyhow::Result<EvalReport> {
    let sampling = cfg.eval.sampling();
    let n = if cfg.eval.limit > 0 {
        cfg.eval.limit.min(problems.len())
    } else {
        problems.len()
    };
    let bar = ProgressBar::new((n * sampling.samples) as u64).with_style(
        ProgressStyle::with_template(
            "{msg:>22} [{bar:30}] {pos}/{len} samples ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("eval {label}"));
    let report = evaluate(model, tokenizer, sandbox, &problems[..n], &sampling, |p| {
        bar.set_position(p.executed as u64)
    })?;
    bar.finish_and_clear();
    std::fs::write(out, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(report)
}

/// Drops the samples of steps from `step` on (they are redone after a resume), and a line
/// cut short by a crash.
fn keep_samples_before(path: &Path, step: u64) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let mut kept = String::new();
    for line in text.lines() {
        let step_of = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("step")?.as_u64());
        if step_of.is_some_and(|s| s < step) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    std::fs::write(path, kept).with_context(|| format!("rewriting {}", path.display()))
}

/// `stepcoder train`: a whole run, fresh or resumed.
/// Returns the evaluation after training (when `eval.after` is set).
pub fn train(cfg: TrainConfig, dir: RunDir, resume: bool) -> anyhow::Result<Option<EvalReport>> {
    let (train_set, eval_set) = split_problems(&cfg)?;
    eprintln!(
        "training on {} problems, evaluating on {} held-out problems; output in {}",
        train_set.len(),
        eval_set.len(),
        dir.0.display()
    );
    let sandbox = Arc::new(Sandbox::new(cfg.sandbox.build()).context("starting the sandbox")?);
    let parts = components(&cfg, sandbox.clone(), &train_set)?;
    let mut before: Option<EvalReport> = None;
    let mut trainer = match resume.then(|| dir.latest_checkpoint()).flatten() {
        Some(ckpt) => {
            eprintln!("resuming from {}", ckpt.display());
            let t = Trainer::resume(&ckpt, &candle_core::Device::Cpu, train_set, parts)
                .with_context(|| format!("resuming from {}", ckpt.display()))?;
            // Steps after the checkpoint are redone: keep the log consistent with them.
            let mut text = String::new();
            for m in t.history() {
                text.push_str(&serde_json::to_string(m)?);
                text.push('\n');
            }
            std::fs::write(dir.metrics(), text)?;
            keep_samples_before(&dir.samples(), t.step_count())?;
            t
        }
        None => {
            if resume {
                eprintln!(
                    "no checkpoint in {}: starting from step 0",
                    dir.checkpoints().display()
                );
            }
            let loaded = stepcoder_model::load(Some(&cfg.model.path), &LoadOptions::default())
                .with_context(|| format!("loading model `{}`", cfg.model.path))?;
            eprintln!("model: {}", loaded.source.display());
            if cfg.eval.before && !eval_set.is_empty() {
                let report = evaluate_to(
                    "before",
                    &cfg,
                    &loaded.model,
                    &loaded.tokenizer,
                    &sandbox,
                    &eval_set,
                    &dir.eval("before"),
                )?;
                eprintln!("before training:\n{}", report.table());
                before = Some(report);
            }
            let _ = std::fs::remove_file(dir.metrics());
            let _ = std::fs::remove_file(dir.samples());
            Trainer::new(
                cfg.ppo.clone(),
                loaded.model,
                loaded.tokenizer,
                train_set,
                parts,
            )?
        }
    };
    trainer.log_metrics_to(&dir.metrics())?;
    if cfg.run.log_samples {
        trainer.log_samples_to(&dir.samples())?;
    }
    let bar = ProgressBar::new(cfg.run.steps).with_style(
        ProgressStyle::with_template(
            "{msg:>40} [{bar:30}] step {pos}/{len} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(trainer.step_count());
    bar.set_message("rollouts");
    while trainer.step_count() < cfg.run.steps {
        let m = trainer.step()?;
        // `m.step` is the 0-based index of the step just taken; checkpoints are named by
        // the number of steps completed.
        let done = trainer.step_count();
        bar.set_position(done);
        bar.set_message(format!(
            "reward {:+.2} pass {:>3.0}% kl {:.3}",
            m.reward_mean,
            100.0 * m.pass_rate,
            m.kl
        ));
        if let Err(e) = crate::plot::plot_metrics(trainer.history(), &dir.plot()) {
            tracing::warn!("plot not updated: {e:#}");
        }
        let every = cfg.run.checkpoint_every;
        if (every > 0 && done % every == 0) || done == cfg.run.steps {
            let ckpt = dir.checkpoint_for(done);
            trainer
                .save_checkpoint(&ckpt)
                .with_context(|| format!("writing checkpoint {}", ckpt.display()))?;
            dir.prune(cfg.run.keep_checkpoints);
        }
    }
    bar.finish();
    let mut after_report = None;
    if cfg.eval.after && !eval_set.is_empty() {
        let after = evaluate_to(
            "after",
            &cfg,
            trainer.policy(),
            trainer.tokenizer(),
            &sandbox,
            &eval_set,
            &dir.eval("after"),
        )?;
        eprintln!("after training:\n{}", after.table());
        if let Some(before) = before.or_else(|| read_report(&dir.eval("before")).ok()) {
            for (k, v) in &after.pass_at_k {
                let b = before.pass_at_k.get(k).copied().unwrap_or(0.0);
                eprintln!("{k}: {:.1}% -> {:.1}%", 100.0 * b, 100.0 * v);
            }
        }
        after_report = Some(after);
    }
    eprintln!(
        "done: metrics {}, plot {}, checkpoints {}",
        dir.metrics().display(),
        dir.plot().display(),
        dir.checkpoints().display()
    );
    Ok(after_report)
}

/// An evaluation report written by [`evaluate_to`].
pub fn read_report(path: &Path) -> anyhow::Result<EvalReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not an evaluation report", path.display()))
}
