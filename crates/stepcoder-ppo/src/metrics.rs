//! Per-step metrics, written as one JSON object per line.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    pub outcomes: OutcomeCounts,
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

/// Appends [`StepMetrics`] as JSON lines to a file.
#[derive(Debug)]
pub struct MetricsLog {
    path: PathBuf,
    file: std::fs::File,
}

impl MetricsLog {
    /// Opens `path` for appending (created if missing).
    pub fn append(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PpoError::io(path, e))?;
        Ok(MetricsLog {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn write(&mut self, m: &StepMetrics) -> Result<()> {
        let mut line = serde_json::to_string(m).map_err(|e| PpoError::Json {
            path: self.path.display().to_string(),
            source: e,
        })?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.flush())
            .map_err(|e| PpoError::io(&self.path, e))
    }

    /// Reads a metrics file back (for resume, plots and reports); a bad line is an error
    /// naming the file and the line.
    pub fn read(path: &Path) -> Result<Vec<StepMetrics>> {
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
