//! `StepSchedule`: the per-sample curriculum of the paper's Algorithm 1.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use stepcoder_core::{CoreError, CurriculumSchedule, Problem, PromptPlan};

use crate::{CurriculumError, ProblemCurriculum};

/// Settings of Algorithm 1. The paper gives neither value; see the crate docs for how the
/// defaults were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepConfig {
    /// Weight of the newest rollout in the moving pass average: `rho <- alpha * passed +
    /// (1 - alpha) * rho`. Default 0.1 (memory of about 1 / alpha = 10 rollouts).
    pub alpha: f64,
    /// A problem moves one stage harder when its moving average exceeds this (strictly).
    /// Default 0.8.
    pub rho_t: f64,
}

impl Default for StepConfig {
    fn default() -> Self {
        StepConfig {
            alpha: 0.1,
            rho_t: 0.8,
        }
    }
}

impl StepConfig {
    /// Checks `0 < alpha <= 1` and `0 <= rho_t < 1` (with `rho_t >= 1` no problem could
    /// ever advance, since the average never exceeds 1).
    pub fn validate(&self) -> Result<(), CurriculumError> {
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(CurriculumError::Config(format!(
                "alpha must be in (0, 1], got {}",
                self.alpha
            )));
        }
        if !(self.rho_t >= 0.0 && self.rho_t < 1.0) {
            return Err(CurriculumError::Config(format!(
                "rho_t must be in [0, 1), got {}",
                self.rho_t
            )));
        }
        Ok(())
    }
}

/// Per-problem state of Algorithm 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepState {
    /// Current stage `c_i`.
    pub stage: usize,
    /// Moving pass average `rho_i`.
    pub rho: f64,
    /// Rollouts recorded so far (for reports; Algorithm 1 does not use it).
    pub rollouts: u64,
}

/// One step of Algorithm 1 for one sample: updates the moving average with the outcome of a
/// rollout and, when it exceeds `rho_t`, resets it and moves one stage harder (never below 0).
/// Returns true when the stage changed or the average was reset.
pub fn algorithm1_update(state: &mut StepState, passed: bool, config: &StepConfig) -> bool {
    let a = config.alpha;
    state.rho = if passed {
        a + (1.0 - a) * state.rho
    } else {
        (1.0 - a) * state.rho
    };
    state.rollouts += 1;
    if state.rho > config.rho_t {
        state.rho = 0.0;
        // The paper prints `min(c - 1, 0)`; `max` is meant (stages never go below 0).
        state.stage = state.stage.saturating_sub(1);
        return true;
    }
    false
}

/// The saved form of a [`StepSchedule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedStep {
    schedule: String,
    version: u32,
    config: StepConfig,
    problems: BTreeMap<String, StepState>,
}

const STEP_TAG: &str = "step";
const STATE_VERSION: u32 = 1;

/// StepCoder's CCCS (paper Algorithm 1), per problem: start at the easiest stage (longest
/// prefix), keep a moving average of passes, move one stage harder when it exceeds `rho_t`.
///
/// Problems are registered up front ([`StepSchedule::new`]), so their cut points are
/// computed once and saved state can be matched against them. A problem that was not
/// registered is handled too (its cut points are computed at each call), but register it
/// for speed.
#[derive(Debug, Clone)]
pub struct StepSchedule {
    config: StepConfig,
    problems: HashMap<String, ProblemCurriculum>,
    /// State of every problem seen so far, including state loaded for problems this
    /// schedule does not know (kept so that saving again loses nothing).
    state: BTreeMap<String, StepState>,
}

impl StepSchedule {
    /// A schedule over `problems`; fails on a problem whose cut points cannot be found
    /// (syntax error in its canonical solution, published scope outside it).
    pub fn new(config: StepConfig, problems: &[Problem]) -> Result<Self, CurriculumError> {
        config.validate()?;
        let mut s = StepSchedule {
            config,
            problems: HashMap::with_capacity(problems.len()),
            state: BTreeMap::new(),
        };
        for p in problems {
            s.register(p)?;
        }
        Ok(s)
    }

    /// Adds one problem (replacing an earlier one with the same id).
    pub fn register(&mut self, problem: &Problem) -> Result<(), CurriculumError> {
        let c = ProblemCurriculum::new(problem)?;
        self.insert(c)
    }

    /// Adds a prepared curriculum; state already loaded for its id must fit its stages.
    pub fn insert(&mut self, c: ProblemCurriculum) -> Result<(), CurriculumError> {
        if let Some(st) = self.state.get(c.id()) {
            check_state(c.id(), st, &c)?;
        }
        self.problems.insert(c.id().to_string(), c);
        Ok(())
    }

    pub fn config(&self) -> &StepConfig {
        &self.config
    }

    /// The registered curriculum of a problem id.
    pub fn curriculum(&self, id: &str) -> Option<&ProblemCurriculum> {
        self.problems.get(id)
    }

    /// Registered problem ids (unordered).
    pub fn problem_ids(&self) -> impl Iterator<Item = &str> {
        self.problems.keys().map(String::as_str)
    }

    /// The state of a problem: what was recorded, or the start of Algorithm 1.
    pub fn state_of(&self, id: &str) -> Option<StepState> {
        if let Some(s) = self.state.get(id) {
            return Some(*s);
        }
        self.problems.get(id).map(initial_state)
    }

    /// The current stage of a registered problem.
    pub fn stage_of(&self, id: &str) -> Option<usize> {
        self.state_of(id).map(|s| s.stage)
    }

    /// Ids whose state is held but that are not registered (from a loaded state file).
    pub fn unknown_state_ids(&self) -> Vec<String> {
        self.state
            .keys()
            .filter(|id| !self.problems.contains_key(*id))
            .cloned()
            .collect()
    }

    /// Number of registered problems at each stage (index = stage).
    pub fn stage_histogram(&self) -> Vec<usize> {
        let mut h = Vec::new();
        for id in self.problems.keys() {
            let stage = self.stage_of(id).unwrap_or(0);
            if h.len() <= stage {
                h.resize(stage + 1, 0);
            }
            h[stage] += 1;
        }
        h
    }

    /// Typed form of [`CurriculumSchedule::load_state`].
    pub fn load(&mut self, state: &serde_json::Value) -> Result<Vec<String>, CurriculumError> {
        let saved: SavedStep = serde_json::from_value(state.clone())
            .map_err(|e| CurriculumError::State(format!("not a step schedule state: {e}")))?;
        if saved.schedule != STEP_TAG {
            return Err(CurriculumError::State(format!(
                "state is for schedule `{}`, not `{STEP_TAG}`",
                saved.schedule
            )));
        }
        if saved.version != STATE_VERSION {
            return Err(CurriculumError::State(format!(
                "state version {} is not supported (expected {STATE_VERSION})",
                saved.version
            )));
        }
        saved.config.validate()?;
        for (id, st) in &saved.problems {
            if !(0.0..=1.0).contains(&st.rho) {
                return Err(CurriculumError::State(format!(
                    "problem `{id}`: rho {} is outside [0, 1]",
                    st.rho
                )));
            }
            if let Some(c) = self.problems.get(id) {
                check_state(id, st, c)?;
            }
        }
        // Only now, with everything checked, replace the current state.
        self.config = saved.config;
        self.state = saved.problems;
        Ok(self.unknown_state_ids())
    }

    fn curriculum_for(&self, problem: &Problem) -> Option<std::borrow::Cow<'_, ProblemCurriculum>> {
        match self.problems.get(&problem.id) {
            Some(c) => Some(std::borrow::Cow::Borrowed(c)),
            None => ProblemCurriculum::new(problem)
                .ok()
                .map(std::borrow::Cow::Owned),
        }
    }
}

fn initial_state(c: &ProblemCurriculum) -> StepState {
    StepState {
        stage: c.start_stage(),
        rho: 0.0,
        rollouts: 0,
    }
}

fn check_state(id: &str, st: &StepState, c: &ProblemCurriculum) -> Result<(), CurriculumError> {
    if st.stage >= c.num_stages() {
        return Err(CurriculumError::State(format!(
            "problem `{id}`: saved stage {} but the problem has {} stages (its data changed?)",
            st.stage,
            c.num_stages()
        )));
    }
    Ok(())
}

impl CurriculumSchedule for StepSchedule {
    /// The prefix of the problem's current stage. A problem whose cut points cannot be
    /// found (unregistered and unparsable) gets stage 0, no prefix.
    fn plan(&self, problem: &Problem) -> PromptPlan {
        let Some(c) = self.curriculum_for(problem) else {
            return PromptPlan::unassisted();
        };
        let stage = self
            .state
            .get(&problem.id)
            .map_or(c.start_stage(), |s| s.stage)
            .min(c.start_stage());
        match c.prefix(stage) {
            Ok(prefix) => PromptPlan {
                stage,
                prefix: prefix.to_string(),
            },
            Err(_) => PromptPlan::unassisted(),
        }
    }

    fn record(&mut self, problem: &Problem, passed: bool) {
        let start = match self.curriculum_for(problem) {
            Some(c) => initial_state(&c),
            None => StepState {
                stage: 0,
                rho: 0.0,
                rollouts: 0,
            },
        };
        let config = self.config;
        let st = self.state.entry(problem.id.clone()).or_insert(start);
        algorithm1_update(st, passed, &config);
    }

    fn save_state(&self) -> serde_json::Value {
        let saved = SavedStep {
            schedule: STEP_TAG.to_string(),
            version: STATE_VERSION,
            config: self.config,
            problems: self.state.clone(),
        };
        serde_json::to_value(saved).expect("the step state is plain data")
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<Vec<String>, CoreError> {
        Ok(self.load(state)?)
    }
}
