use serde::{Deserialize, Serialize};

use crate::{CoreError, ExecReport, OutcomeClass, Problem};

/// Runs untrusted programs against a problem's unit tests.
///
/// `Send + Sync` so one executor serves every rollout thread.
pub trait Executor: Send + Sync {
    /// Runs `program` (the full program text) against every test of `problem`.
    ///
    /// Failures of the program (syntax errors, exceptions, timeouts) are outcomes in the
    /// report; `Err` is reserved for failures of the executor itself.
    fn execute(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError>;

    /// Runs many programs; results come back in input order. The default runs them one
    /// after another; implementations parallelize.
    fn execute_batch(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        jobs.iter()
            .map(|(program, problem)| self.execute(program, problem))
            .collect()
    }
}

/// Runs `jobs` through `executor`, and each job whose execution failed (an `Err`: the
/// executor's fault, never the program's) once more. Returns every job's result in input
/// order and the number of failed executions, first tries and re-executions together.
///
/// A job still `Err` after its re-execution is for the caller to drop: an infrastructure
/// fault (a full instance pool, an engine failure, a remote endpoint gone, a wall-clock
/// safety net, a panic) must never become an outcome, a reward or a pass@k sample.
pub fn execute_with_retry(
    executor: &dyn Executor,
    jobs: &[(&str, &Problem)],
) -> (Vec<Result<ExecReport, CoreError>>, usize) {
    let mut results = executor.execute_batch(jobs);
    let failed: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].is_err())
        .collect();
    if failed.is_empty() {
        return (results, 0);
    }
    for &i in &failed {
        if let Err(e) = &results[i] {
            tracing::warn!(problem = %jobs[i].1.id, error = %e, "executor error: running the program once more");
        }
    }
    let again: Vec<(&str, &Problem)> = failed.iter().map(|&i| jobs[i]).collect();
    let mut errors = failed.len();
    for (&i, result) in failed.iter().zip(executor.execute_batch(&again)) {
        if let Err(e) = &result {
            errors += 1;
            tracing::warn!(problem = %jobs[i].1.id, error = %e, "executor error again: the program is dropped");
        }
        results[i] = result;
    }
    (results, errors)
}

/// Turns an execution report into a scalar reward.
pub trait RewardFn: Send + Sync {
    fn reward(&self, report: &ExecReport) -> f32;

    /// The reward of a rollout in which the policy wrote no code ([`crate::has_code`] is
    /// false for its part of the program): it never attempted the task, whatever its
    /// program (nothing, or the curriculum prefix alone) ran to. The default scores it by
    /// its report like any other rollout.
    fn no_code_reward(&self, report: &ExecReport) -> f32 {
        self.reward(report)
    }
}

/// The reward levels of StepCoder (paper Eq. 3, the same as CodeRL and PPOCoder):
/// +1 all tests pass, -0.3 a wrong answer, -0.6 a runtime error (exception, timeout,
/// memory or output limit), -1 a compile error. No partial credit.
///
/// The paper does not say how a rollout that writes no code is scored; run as a program, an
/// empty one is a wrong answer (it prints nothing), which ranks "write nothing" above every
/// attempt that fails to compile or raises, and a policy can settle there (the toy RL task
/// did). Here it gets `no_code`, by default the lowest level, the compile error's: writing
/// nothing is as far from a solution as code that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepCoderReward {
    pub passed: f32,
    pub wrong_answer: f32,
    pub runtime_error: f32,
    pub compile_error: f32,
    /// A rollout whose own code is empty, whitespace or comments ([`RewardFn::no_code_reward`]).
    pub no_code: f32,
}

impl Default for StepCoderReward {
    fn default() -> Self {
        StepCoderReward {
            passed: 1.0,
            wrong_answer: -0.3,
            runtime_error: -0.6,
            compile_error: -1.0,
            no_code: -1.0,
        }
    }
}

impl StepCoderReward {
    /// The reward of one outcome level.
    pub fn class_reward(&self, class: OutcomeClass) -> f32 {
        match class {
            OutcomeClass::Passed => self.passed,
            OutcomeClass::WrongAnswer => self.wrong_answer,
            OutcomeClass::RuntimeError => self.runtime_error,
            OutcomeClass::CompileError => self.compile_error,
        }
    }
}

impl RewardFn for StepCoderReward {
    /// The worst outcome over all tests decides (a single failing test fails the program).
    fn reward(&self, report: &ExecReport) -> f32 {
        self.class_reward(report.class())
    }

    fn no_code_reward(&self, _report: &ExecReport) -> f32 {
        self.no_code
    }
}

/// What a curriculum gives the policy for one rollout of one problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptPlan {
    /// Curriculum stage (0 = no help: plain RL from the statement alone).
    pub stage: usize,
    /// The start of the canonical solution given as the start of the answer; the policy
    /// writes the rest and `prefix + completion` is what runs. Empty at stage 0.
    pub prefix: String,
}

impl PromptPlan {
    /// The plan without curriculum: stage 0, no prefix.
    pub fn unassisted() -> Self {
        PromptPlan {
            stage: 0,
            prefix: String::new(),
        }
    }
}

/// A curriculum over problems (CCCS and its alternatives).
pub trait CurriculumSchedule: Send {
    /// What to give the policy for the next rollout of `problem`.
    fn plan(&self, problem: &Problem) -> PromptPlan;
    /// Feeds back whether a rollout of `problem` passed all tests.
    fn record(&mut self, problem: &Problem, passed: bool);
    /// Serializable state, so a resumed run continues exactly.
    fn save_state(&self) -> serde_json::Value;
    /// Restores state written by [`CurriculumSchedule::save_state`].
    ///
    /// Returns the ids of problems that have saved state but are unknown to this schedule
    /// (not in its data set): their state is kept, and saved again, but the caller should
    /// report them rather than let them pass silently. Empty when every id is known.
    fn load_state(&mut self, state: &serde_json::Value) -> Result<Vec<String>, CoreError>;
}

/// A completion as the masker sees it: the generated text and where each token sits in it.
#[derive(Debug, Clone, Copy)]
pub struct CompletionSpan<'a> {
    /// The generated text (what the policy wrote, possibly with prose or code fences).
    pub text: &'a str,
    /// Byte range of each generated token in `text` (one entry per token, in order).
    pub token_offsets: &'a [(usize, usize)],
    /// The curriculum prefix that precedes the completion in the executed program.
    pub prefix: &'a str,
    /// Strings that end the code besides the fence (the problem kind's
    /// [`crate::prompt::stop_sequences`]); the masker cuts the program where the trainer
    /// and evaluator did.
    pub stops: &'a [&'a str],
}

/// Decides which completion tokens receive policy gradient (FGO and the full mask).
pub trait TokenMasker: Send + Sync {
    /// One weight per token of `span` (1 = in the loss, 0 = masked out).
    fn mask(&self, span: &CompletionSpan<'_>, report: &ExecReport) -> Vec<f32>;
}
