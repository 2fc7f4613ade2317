//! `StagedSchedule` (a global level for all problems) and `NoCurriculum`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use stepcoder_core::{CoreError, CurriculumSchedule, Problem, PromptPlan};

use crate::{split, CurriculumError, ProblemCurriculum};

/// Settings of [`StagedSchedule`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StagedConfig {
    /// Pass rate (over one window of rollouts, or as given to
    /// [`StagedSchedule::observe_pass_rate`]) above which the level drops by one. Default 0.5.
    pub threshold: f64,
    /// Rollouts per evaluation window. Default 256 (16 rollouts of 16 problems: one of the
    /// paper's PPO batches is enough to judge a level).
    pub window: u64,
}

impl Default for StagedConfig {
    fn default() -> Self {
        StagedConfig {
            threshold: 0.5,
            window: 256,
        }
    }
}

/// The saved form of a [`StagedSchedule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedStaged {
    schedule: String,
    version: u32,
    config: StagedConfig,
    level: usize,
    window_passes: u64,
    window_rollouts: u64,
}

const STAGED_TAG: &str = "staged";

/// The simpler global curriculum seen in the authors' other public code: every problem
/// gets the canonical solution up to its cut point number `n / 2` (level 2), then `n / 4`
/// (level 1), then no prefix (level 0), where `n` is the problem's number of cut points.
/// The level drops by one when the pass rate of a window of rollouts exceeds the
/// threshold (or when a validation pass rate is given to
/// [`StagedSchedule::observe_pass_rate`]).
///
/// The plan's stage is the level, and 0 whenever no prefix is given (a problem without cut
/// points).
#[derive(Debug, Clone)]
pub struct StagedSchedule {
    config: StagedConfig,
    problems: HashMap<String, ProblemCurriculum>,
    level: usize,
    window_passes: u64,
    window_rollouts: u64,
}

impl StagedSchedule {
    /// The first level: cut at `n / 2`.
    pub const START_LEVEL: usize = 2;

    pub fn new(config: StagedConfig, problems: &[Problem]) -> Result<Self, CurriculumError> {
        if !(0.0..1.0).contains(&config.threshold) || config.window == 0 {
            return Err(CurriculumError::Config(format!(
                "staged schedule needs 0 <= threshold < 1 and window > 0, got threshold {} and \
                 window {}",
                config.threshold, config.window
            )));
        }
        let mut map = HashMap::with_capacity(problems.len());
        for p in problems {
            map.insert(p.id.clone(), ProblemCurriculum::new(p)?);
        }
        Ok(StagedSchedule {
            config,
            problems: map,
            level: Self::START_LEVEL,
            window_passes: 0,
            window_rollouts: 0,
        })
    }

    /// Current global level (2: cut at n/2, 1: cut at n/4, 0: no prefix).
    pub fn level(&self) -> usize {
        self.level
    }

    /// Feeds an externally measured pass rate (e.g. on a validation set); drops the level by
    /// one when it exceeds the threshold. Returns true when the level changed.
    pub fn observe_pass_rate(&mut self, rate: f64) -> bool {
        if rate > self.config.threshold && self.level > 0 {
            self.level -= 1;
            self.window_passes = 0;
            self.window_rollouts = 0;
            return true;
        }
        false
    }

    /// Index of the cut point used at `level` for a problem with `n` cut points.
    pub fn cut_index(n: usize, level: usize) -> Option<usize> {
        match (n, level) {
            (0, _) | (_, 0) => None,
            (n, 1) => Some(n / 4),
            (n, _) => Some(n / 2),
        }
    }

    fn prefix_of(&self, c: &ProblemCurriculum) -> Option<String> {
        let i = Self::cut_index(c.num_cuts(), self.level)?;
        let cut = c.cuts().get(i)?;
        split::split_at_line(c.canonical(), cut.start_line)
            .ok()
            .map(|(p, _)| p.to_string())
    }
}

impl CurriculumSchedule for StagedSchedule {
    fn plan(&self, problem: &Problem) -> PromptPlan {
        let owned;
        let c = match self.problems.get(&problem.id) {
            Some(c) => c,
            None => match ProblemCurriculum::new(problem) {
                Ok(c) => {
                    owned = c;
                    &owned
                }
                Err(_) => return PromptPlan::unassisted(),
            },
        };
        match self.prefix_of(c) {
            Some(prefix) => PromptPlan {
                stage: self.level,
                prefix,
            },
            None => PromptPlan::unassisted(),
        }
    }

    fn record(&mut self, _problem: &Problem, passed: bool) {
        self.window_rollouts += 1;
        self.window_passes += u64::from(passed);
        if self.window_rollouts >= self.config.window {
            let rate = self.window_passes as f64 / self.window_rollouts as f64;
            self.window_passes = 0;
            self.window_rollouts = 0;
            self.observe_pass_rate(rate);
        }
    }

    fn save_state(&self) -> serde_json::Value {
        serde_json::to_value(SavedStaged {
            schedule: STAGED_TAG.into(),
            version: 1,
            config: self.config,
            level: self.level,
            window_passes: self.window_passes,
            window_rollouts: self.window_rollouts,
        })
        .expect("the staged state is plain data")
    }

    /// The staged schedule keeps no per-problem state, so no id is ever unknown.
    fn load_state(&mut self, state: &serde_json::Value) -> Result<Vec<String>, CoreError> {
        let s: SavedStaged = serde_json::from_value(state.clone())
            .map_err(|e| CurriculumError::State(format!("not a staged schedule state: {e}")))?;
        if s.schedule != STAGED_TAG || s.version != 1 {
            return Err(CurriculumError::State(format!(
                "state is for schedule `{}` version {}, not `{STAGED_TAG}` version 1",
                s.schedule, s.version
            ))
            .into());
        }
        if s.level > Self::START_LEVEL || s.window_passes > s.window_rollouts {
            return Err(CurriculumError::State(format!(
                "level {} / window {} of {} is impossible",
                s.level, s.window_passes, s.window_rollouts
            ))
            .into());
        }
        self.config = s.config;
        self.level = s.level;
        self.window_passes = s.window_passes;
        self.window_rollouts = s.window_rollouts;
        Ok(Vec::new())
    }
}

/// No curriculum: every rollout is plain RL from the statement (stage 0, no prefix).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoCurriculum;

impl CurriculumSchedule for NoCurriculum {
    fn plan(&self, _problem: &Problem) -> PromptPlan {
        PromptPlan::unassisted()
    }

    fn record(&mut self, _problem: &Problem, _passed: bool) {}

    fn save_state(&self) -> serde_json::Value {
        serde_json::json!({ "schedule": "none", "version": 1 })
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<Vec<String>, CoreError> {
        if state.get("schedule").and_then(|v| v.as_str()) == Some("none") {
            Ok(Vec::new())
        } else {
            Err(CoreError::State(
                "state is not a `none` curriculum state".to_string(),
            ))
        }
    }
}
