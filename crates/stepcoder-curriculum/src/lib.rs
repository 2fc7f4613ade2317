//! # stepcoder-curriculum
//!
//! CCCS (Curriculum of Code Completion Subtasks), the curriculum half of StepCoder.
//!
//! DOCS_PLACEHOLDER

mod cuts;
mod error;
mod simulate;
pub mod split;
mod staged;
mod stages;
mod step;

pub use cuts::{cut_points, extract_scopes};
pub use error::CurriculumError;
pub use simulate::{simulate, simulated_pass_probability, Snapshot, SplitMix64};
pub use staged::{NoCurriculum, StagedConfig, StagedSchedule};
pub use stages::{ceil_sqrt, stride, ProblemCurriculum, StageInfo};
pub use step::{algorithm1_update, StepConfig, StepSchedule, StepState};
