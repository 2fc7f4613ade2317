//! # stepcoder-core
//!
//! The shared vocabulary of stepcoder. Every other crate speaks these types, and the plug
//! points of one RL step are the traits here:
//!
//! ```text
//! Problem -> CurriculumSchedule (prefix) -> policy samples -> Executor (ExecReport)
//!         -> RewardFn (reward) -> TokenMasker (FGO mask) -> PPO update -> CurriculumSchedule::record
//! ```
//!
//! Each trait is small so that a piece can be swapped (a native executor, no curriculum,
//! no mask) and each crate can be used alone.
//!
//! ```
//! use stepcoder_core::{ExecReport, Outcome, RewardFn, StepCoderReward, TestReport};
//!
//! let report = ExecReport::from_tests(vec![
//!     TestReport::new(Outcome::Passed),
//!     TestReport::new(Outcome::WrongAnswer { expected: "3".into(), got: "4".into() }),
//! ]);
//! assert!(!report.passed());
//! assert_eq!(StepCoderReward::default().reward(&report), -0.3);
//! ```

mod code;
mod error;
mod exec;
mod problem;
pub mod prompt;
mod traits;

pub use code::has_code;
pub use error::{CoreError, RecordError};
pub use exec::{ExecReport, Outcome, OutcomeClass, TestReport};
pub use problem::{Difficulty, Problem, ProblemKind, Scope, TestCase};
pub use traits::{
    execute_with_retry, CompletionSpan, CurriculumSchedule, Executor, PromptPlan, RewardFn,
    StepCoderReward, TokenMasker,
};
