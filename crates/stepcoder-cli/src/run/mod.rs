//! Running a training job: output directory, data split, components, the loop with
//! progress, metrics, plot and checkpoints, and evaluation before and after.

pub mod config;
pub mod sft;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use stepcoder_core::{CurriculumSchedule, Executor, Problem, TokenMasker};
use stepcoder_curriculum::{NoCurriculum, StagedConfig, StagedSchedule, StepConfig, StepSchedule};
use stepcoder_eval::{evaluate, EvalReport, Interval, PairedDifference};
use stepcoder_fgo::{CoverageMask, FullMask};
use stepcoder_model::{CausalLm, ModelTokenizer};
use stepcoder_ppo::{Components, JsonLines, Trainer};

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
    /// The learning curve: one [`CurvePoint`] per held-out evaluation during PPO.
    pub fn curve(&self) -> PathBuf {
        self.0.join("curve.jsonl")
    }
    /// The learning curve's points so far (none when the run has no curve).
    pub fn read_curve(&self) -> anyhow::Result<Vec<CurvePoint>> {
        if !self.curve().exists() {
            return Ok(Vec::new());
        }
        Ok(JsonLines::<CurvePoint>::read(&self.curve())?)
    }
    pub fn curve_plot(&self) -> PathBuf {
        self.0.join("curve.png")
    }
    /// The SFT model of a warm-started run (Hugging Face layout).
    pub fn sft_model(&self) -> PathBuf {
        self.0.join("sft_model")
    }
    /// Pass@1 of base, SFT and final models with their paired differences ([`Summary`]).
    pub fn summary(&self) -> PathBuf {
        self.0.join("summary.json")
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
    executor: Arc<dyn Executor>,
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
        executor,
        reward: Box::new(cfg.reward),
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
    executor: &dyn Executor,
    problems: &[Problem],
    out: &Path,
) -> anyhow::Result<EvalReport> {
    // A mixed-precision policy (f32 weights, bf16 forward) samples from a bf16 copy: one
    // cast, not one per weight per token.
    let sampling_copy = if model.compute_dtype() != model.dtype() {
        Some(model.copy_with(false, model.compute_dtype())?)
    } else {
        None
    };
    let model = sampling_copy.as_ref().unwrap_or(model);
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
    let started = std::time::Instant::now();
    let report = evaluate(model, tokenizer, executor, &problems[..n], &sampling, |p| {
        bar.set_position(p.executed as u64)
    })?;
    bar.finish_and_clear();
    eprintln!(
        "eval {label}: {n} problems x {} samples in {:.0} s",
        sampling.samples,
        started.elapsed().as_secs_f64()
    );
    std::fs::write(out, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(report)
}

/// Drops the lines of a JSON-lines log whose `key` is `step` or more (they are redone after a
/// resume), and a line cut short by a crash.
fn keep_lines_before(path: &Path, key: &str, step: u64) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let mut kept = String::new();
    for line in text.lines() {
        let step_of = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get(key)?.as_u64());
        if step_of.is_some_and(|s| s < step) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    std::fs::write(path, kept).with_context(|| format!("rewriting {}", path.display()))
}

/// `stepcoder train`: a whole run, fresh or resumed: evaluate the base model, SFT when
/// `sft.warm_start` (then evaluate the SFT model), PPO with a held-out evaluation every
/// `eval.every` steps, the final evaluation, and the paired comparisons of all of them.
/// Returns the evaluation after training (when `eval.after` is set).
pub fn train(cfg: TrainConfig, dir: RunDir, resume: bool) -> anyhow::Result<Option<EvalReport>> {
    let started = std::time::Instant::now();
    let (train_set, eval_set) = split_problems(&cfg)?;
    eprintln!(
        "training on {} problems, evaluating on {} held-out problems; output in {}",
        train_set.len(),
        eval_set.len(),
        dir.0.display()
    );
    // In this process, or on `stepcoder serve` endpoints (`[executor]`).
    let executor = cfg.executor.build(&cfg.sandbox)?;
    let parts = components(&cfg, executor.clone(), &train_set)?;
    let evaluating = !eval_set.is_empty();
    let eval = |label: &str, model: &CausalLm, tokenizer: &ModelTokenizer, path: &Path| {
        evaluate_to(
            label,
            &cfg,
            model,
            tokenizer,
            executor.as_ref(),
            &eval_set,
            path,
        )
    };
    // `[run] device` and `precision` (or --device / --precision): f32 master weights and
    // optimizer state; on a GPU the forward and sampling in bf16 unless precision = "f32".
    let place = crate::device::select(cfg.run.device, cfg.run.precision)?;
    eprintln!("device: {}", place.describe());
    let mut trainer = match resume.then(|| dir.latest_checkpoint()).flatten() {
        Some(ckpt) => {
            eprintln!("resuming from {}", ckpt.display());
            let mut t = Trainer::resume(&ckpt, &place.device, train_set, parts)
                .with_context(|| format!("resuming from {}", ckpt.display()))?;
            t.set_compute_dtype(place.compute)?;
            // Steps after the checkpoint are redone: keep the logs consistent with them.
            let mut text = String::new();
            for m in t.history() {
                text.push_str(&serde_json::to_string(m)?);
                text.push('\n');
            }
            std::fs::write(dir.metrics(), text)?;
            keep_lines_before(&dir.samples(), "step", t.step_count())?;
            keep_lines_before(&dir.curve(), "step", t.step_count() + 1)?;
            t
        }
        None => {
            if resume {
                eprintln!(
                    "no checkpoint in {}: starting from step 0",
                    dir.checkpoints().display()
                );
            }
            let loaded = place
                .load_model(&cfg.model.path, true)
                .with_context(|| format!("loading model `{}`", cfg.model.path))?;
            eprintln!("model: {}", loaded.source.display());
            let _ = std::fs::remove_file(dir.curve());
            let mut start = None;
            if cfg.eval.before && evaluating {
                let report = eval(
                    "base",
                    &loaded.model,
                    &loaded.tokenizer,
                    &dir.eval("before"),
                )?;
                eprintln!("base model:\n{}", report.table());
                start = Some(report);
            }
            if cfg.sft.warm_start {
                sft::run_sft_stage(
                    &cfg.sft,
                    &loaded,
                    &train_set,
                    &dir.0.join("sft_metrics.jsonl"),
                    &dir.sft_model(),
                )?;
                if evaluating {
                    let report = eval("sft", &loaded.model, &loaded.tokenizer, &dir.eval("sft"))?;
                    eprintln!("SFT model:\n{}", report.table());
                    start = Some(report);
                }
            }
            if let (Some(report), true) = (&start, cfg.eval.every > 0) {
                append_curve(&dir, 0, report)?;
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
        redraw_plot(&dir, trainer.history());
        let every = cfg.eval.every;
        if evaluating && every > 0 && done % every == 0 && done < cfg.run.steps {
            let path = dir.0.join(format!("eval_step_{done:06}.json"));
            let report = bar.suspend(|| {
                eval(
                    &format!("step {done}"),
                    trainer.policy(),
                    trainer.tokenizer(),
                    &path,
                )
            })?;
            append_curve(&dir, done, &report)?;
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
    if cfg.eval.after && evaluating {
        let after = eval(
            "after",
            trainer.policy(),
            trainer.tokenizer(),
            &dir.eval("after"),
        )?;
        eprintln!("after training:\n{}", after.table());
        if cfg.eval.every > 0 {
            append_curve(&dir, trainer.step_count(), &after)?;
            redraw_plot(&dir, trainer.history());
        }
        after_report = Some(after);
    }
    let summary = Summary::from_dir(&dir)?;
    if !summary.models.is_empty() {
        eprintln!("{}", summary.table());
        std::fs::write(dir.summary(), serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {}", dir.summary().display()))?;
    }
    eprintln!(
        "done in {:.1} min: metrics {}, plot {}, checkpoints {}",
        started.elapsed().as_secs_f64() / 60.0,
        dir.metrics().display(),
        dir.plot().display(),
        dir.checkpoints().display()
    );
    Ok(after_report)
}

/// Rewrites `plot.png` from the metrics so far and the learning curve; a failure only warns
/// (a plot must never stop training).
fn redraw_plot(dir: &RunDir, history: &[stepcoder_ppo::StepMetrics]) {
    let curve = dir.read_curve().unwrap_or_default();
    if let Err(e) = crate::plot::plot_metrics(history, &curve, &dir.plot()) {
        tracing::warn!("plot not updated: {e:#}");
    }
}

/// Redraws a run's `plot.png` and (when it has a learning curve) `curve.png` from its logs.
pub fn replot(dir: &RunDir) -> anyhow::Result<()> {
    let history = stepcoder_ppo::MetricsLog::read(&dir.metrics())?;
    let curve = dir.read_curve()?;
    crate::plot::plot_metrics(&history, &curve, &dir.plot())?;
    eprintln!("wrote {}", dir.plot().display());
    if !curve.is_empty() {
        crate::plot::plot_curve(&curve, &dir.curve_plot())?;
        eprintln!("wrote {}", dir.curve_plot().display());
    }
    Ok(())
}

/// One point of the learning curve: held-out pass@1 after `step` PPO steps (0: the model PPO
/// starts from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub step: u64,
    pub problems: usize,
    pub samples_per_problem: usize,
    pub pass1: Interval,
}

fn append_curve(dir: &RunDir, step: u64, report: &EvalReport) -> anyhow::Result<()> {
    let point = CurvePoint {
        step,
        problems: report.problems,
        samples_per_problem: report.samples_per_problem,
        pass1: report.pass1_interval(),
    };
    let mut log = JsonLines::<CurvePoint>::append(&dir.curve())?;
    log.write(&point)?;
    let points = dir.read_curve()?;
    if let Err(e) = crate::plot::plot_curve(&points, &dir.curve_plot()) {
        tracing::warn!("curve plot not updated: {e:#}");
    }
    Ok(())
}

/// Held-out pass@1 of each model of a run (base, SFT, final) and the paired changes between
/// them: what `stepcoder train` prints at the end and writes to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// `(label, pass@1 with interval)`, in pipeline order.
    pub models: Vec<(String, Interval)>,
    /// `(label, paired difference)`: "sft vs base", "final vs sft", "final vs base".
    pub changes: Vec<(String, PairedDifference)>,
}

impl Summary {
    /// Reads the run's `eval_before.json` (base), `eval_sft.json` and `eval_after.json`.
    pub fn from_dir(dir: &RunDir) -> anyhow::Result<Summary> {
        let mut reports = Vec::new();
        for (label, file) in [("base", "before"), ("sft", "sft"), ("final", "after")] {
            let path = dir.eval(file);
            if path.exists() {
                reports.push((label, read_report(&path)?));
            }
        }
        let models = reports
            .iter()
            .map(|(l, r)| (l.to_string(), r.pass1_interval()))
            .collect();
        let mut changes = Vec::new();
        for i in 0..reports.len() {
            for j in i + 1..reports.len() {
                let (from, to) = (&reports[i], &reports[j]);
                let d = stepcoder_eval::paired_difference(&from.1, &to.1)
                    .with_context(|| format!("comparing {} with {}", to.0, from.0))?;
                changes.push((format!("{} vs {}", to.0, from.0), d));
            }
        }
        Ok(Summary { models, changes })
    }

    /// The summary in words: one line per model and per change.
    pub fn table(&self) -> String {
        let mut out = String::from("held-out pass@1:\n");
        for (label, i) in &self.models {
            out.push_str(&format!("  {label:<6} {i}\n"));
        }
        for (label, d) in &self.changes {
            // The bootstrap interval's verdict; the permutation p on the same line can
            // disagree when the change rests on a few problems.
            let verdict = if d.diff.lo > 0.0 {
                "interval above 0"
            } else if d.diff.hi < 0.0 {
                "interval below 0"
            } else {
                "within the interval"
            };
            out.push_str(&format!("  {label:<14} {d} [{verdict}]\n"));
        }
        out
    }
}

/// An evaluation report written by [`evaluate_to`].
pub fn read_report(path: &Path) -> anyhow::Result<EvalReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not an evaluation report", path.display()))
}
