//! # stepcoder-eval
//!
//! pass@k of a code model on a problem set, the way the paper evaluates (pass@1 at T=0.2,
//! top-p 0.95), with the outcome mix that explains it:
//!
//! 1. every problem gets the task prompt of [`stepcoder_core::prompt::code_prompt`] (the same
//!    text the trainer uses), rendered with the model's chat template;
//! 2. the model samples `n` completions per problem in batches ([`stepcoder_model::generate`]);
//! 3. the program is extracted from each completion ([`stepcoder_fgo::Program`], the same
//!    extraction the trainer uses) and run by any [`stepcoder_core::Executor`];
//! 4. [`EvalReport`] holds the unbiased pass@k overall and by difficulty, the counts of
//!    each outcome over all samples, and pass@1 with its 95% interval over problems.
//!
//! Two evaluations of the same problems are compared with [`paired_difference`]: the change
//! of pass@1 with a paired bootstrap interval and a permutation p-value ([`stats`] says how
//! and why), so that "training helped" can be told from sampling noise.
//!
//! The scoring half is independent of the model, so it can score any completions:
//!
//! ```
//! use stepcoder_core::{Difficulty, OutcomeClass};
//! use stepcoder_eval::{EvalReport, ProblemResult};
//!
//! let results = vec![
//!     ProblemResult::new("a", Difficulty::Introductory, vec![OutcomeClass::Passed, OutcomeClass::WrongAnswer]),
//!     ProblemResult::new("b", Difficulty::Interview, vec![OutcomeClass::CompileError, OutcomeClass::RuntimeError]),
//! ];
//! let report = EvalReport::from_results(results, &[1, 2]);
//! assert_eq!(report.pass_at_k["pass@1"], 0.25);
//! assert_eq!(report.pass_at_k["pass@2"], 0.5);
//! assert_eq!(report.by_difficulty["introductory"].pass_at_k["pass@1"], 0.5);
//! assert_eq!(report.outcomes["compile_error"], 1);
//! ```

mod generate;
mod report;
pub mod stats;

pub use generate::{
    encode_code_prompt, evaluate, program_of, sample_programs, EvalConfig, EvalError, EvalProgress,
    SampledProgram,
};
pub use report::{DifficultyReport, DroppedSample, EvalReport, ProblemResult, SampleRecord};
pub use stats::{paired_difference, Interval, PairedDifference};
