//! Per-step metrics, written as one JSON object per line.

use std::collections::BTreeMap;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stepcoder_core::OutcomeClass;

use crate::{PpoError, Result};

/// Program outcomes of one step's rollouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub compile_error: usize,
    pub runtime_error: usize,
    pub wrong_answer: usize,
    pub passed: usize,
}

impl OutcomeCounts {
    pub fn add(&mut self, class: OutcomeClass) {
        match class {
            OutcomeClass::CompileError => self.compile_error += 1,
            OutcomeClass::RuntimeError => self.runtime_error += 1,
            OutcomeClass::WrongAnswer => self.wrong_answer += 1,
            OutcomeClass::Passed => self.passed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.compile_error + self.runtime_error + self.wrong_answer + self.passed
    }
}

/// Wall time of one step's phases, in seconds. `generation_s + execution_s + training_s` is
/// the step's wall time (up to building prompts and metrics).
///
/// Programs run on a second thread while the batch is still being sampled (see
/// `Trainer::set_overlap_execution`), so `execution_s` is only the execution time that ran
/// past the end of generation; `execution_busy_s` is the executor's whole busy time. The
/// other fields split `training_s` (the rest of it is rewards, masks and advantages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSplit {
    /// Sampling the completions (with execution of finished rows going on meanwhile).
    pub generation_s: f64,
    /// Execution still running after generation ended (the part not hidden behind it).
    pub execution_s: f64,
    /// Everything after the rollouts: rewards, FGO masks, scoring, the PPO epochs.
    pub training_s: f64,
    /// Time the executor was busy in all, overlapped with generation or not.
    #[serde(default)]
    pub execution_busy_s: f64,
    /// Part of `training_s`: the no-gradient pass for old log-probs, values and the
    /// reference's log-probs.
    #[serde(default)]
    pub scoring_s: f64,
    /// Part of `training_s`: forward passes and losses of the PPO minibatches.
    #[serde(default)]
    pub forward_s: f64,
    /// Part of `training_s`: backward passes (and gradient accumulation).
    #[serde(default)]
    pub backward_s: f64,
    /// Part of `training_s`: gradient clipping and AdamW updates.
    #[serde(default)]
    pub optimizer_s: f64,
}

/// Everything logged for one RL step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    pub step: u64,
    pub reward_mean: f64,
    pub pass_rate: f64,
    /// Outcomes of the rollouts' programs as they ran (an empty program is a wrong answer).
    pub outcomes: OutcomeCounts,
    /// Rollouts in which the policy wrote no code (nothing, whitespace or comments after the
    /// curriculum prefix), rewarded by `RewardFn::no_code_reward` whatever their outcome.
    #[serde(default)]
    pub no_code: usize,
    /// Program executions that failed in the executor (a full instance pool, the engine, a
    /// remote endpoint, the wall-clock safety net of a fuel budget, a panic): first tries and
    /// re-executions together. Never the policy's failure and never a reward: each failed
    /// program is run once more, and dropped when it fails again.
    #[serde(default)]
    pub executor_errors: usize,
    /// Rollouts left out of the step because their program failed to execute twice: no
    /// reward, advantage or gradient, no curriculum record, not in `outcomes`, `reward_mean`
    /// or `pass_rate` (which are over the other rollouts).
    #[serde(default)]
    pub rollouts_dropped: usize,
    /// Mean per-token KL(policy || reference) of the sampled tokens at rollout time.
    pub kl: f64,
    pub kl_beta: f64,
    pub entropy: f64,
    pub clip_fraction: f64,
    pub approx_kl: f64,
    pub value_loss: f64,
    pub policy_loss: f64,
    /// Fraction of generated tokens the FGO mask took out of the policy loss.
    pub fgo_masked_fraction: f64,
    /// Curriculum stage -> number of rollouts at that stage.
    pub stage_histogram: BTreeMap<usize, usize>,
    pub generated_tokens: usize,
    pub tokens_per_s: f64,
    pub time: TimeSplit,
    pub lr_policy: f64,
    pub lr_critic: f64,
    pub grad_norm: f64,
    /// Optimizer updates skipped in this step because of NaN/inf.
    pub skipped_updates: usize,
}

/// One rollout of a step, as `samples.jsonl` keeps it: what the policy was given and wrote,
/// and what came of it. For reading generations while a run goes (like TRL's completion
/// tables), and for finding why rewards move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSample {
    pub step: u64,
    /// Row in the step's batch (`samples_per_problem` consecutive rows share a problem). A
    /// row dropped after an executor error (see `StepMetrics::rollouts_dropped`) has no line.
    pub row: usize,
    pub problem: String,
    /// Curriculum stage of the row (see `stepcoder_curriculum`).
    pub stage: usize,
    /// The start of the canonical solution the prompt gave, up to the curriculum's cut and
    /// without its last line break (empty when the policy wrote it all).
    pub prefix: String,
    /// The text the policy generated.
    pub completion: String,
    /// True when the completion holds no code (see `StepMetrics::no_code`).
    #[serde(default)]
    pub no_code: bool,
    pub outcome: OutcomeClass,
    /// The compile error or the first failing test, as a person reads it; `None` when passed.
    pub failure: Option<String>,
    pub tests_passed: usize,
    pub tests_total: usize,
    /// Reward before normalization.
    pub reward: f32,
    /// Fraction of the completion's tokens left in the policy loss by the FGO mask.
    pub fgo_kept: f64,
}

/// Appends records to a file as JSON lines, and reads them back.
#[derive(Debug)]
pub struct JsonLines<T> {
    path: PathBuf,
    file: std::fs::File,
    _record: PhantomData<fn(&T)>,
}

/// The per-step metrics file (`metrics.jsonl`).
pub type MetricsLog = JsonLines<StepMetrics>;
/// The rollout samples file (`samples.jsonl`).
pub type SampleLog = JsonLines<RolloutSample>;

impl<T: Serialize + DeserializeOwned> JsonLines<T> {
    /// Opens `path` for appending (created if missing).
    pub fn append(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PpoError::io(path, e))?;
        Ok(JsonLines {
            path: path.to_path_buf(),
            file,
            _record: PhantomData,
        })
    }

    /// Appends one record and flushes.
    pub fn write(&mut self, record: &T) -> Result<()> {
        self.write_all(std::slice::from_ref(record))
    }

    /// Appends records with a single write and flush.
    pub fn write_all(&mut self, records: &[T]) -> Result<()> {
        let mut text = String::new();
        for r in records {
            text.push_str(&serde_json::to_string(r).map_err(|e| PpoError::Json {
                path: self.path.display().to_string(),
                source: e,
            })?);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|_| self.file.flush())
            .map_err(|e| PpoError::io(&self.path, e))
    }

    /// Reads a file back (for resume, plots and reports); a bad line is an error naming the
    /// file and the line.
    pub fn read(path: &Path) -> Result<Vec<T>> {
        let text = std::fs::read_to_string(path).map_err(|e| PpoError::io(path, e))?;
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| PpoError::Json {
                    path: format!("{} line {}", path.display(), i + 1),
                    source: e,
                })
            })
            .collect()
    }
}
