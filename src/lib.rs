//! # stepcoder
//!
//! Facade over the stepcoder crates: reinforcement learning that teaches code LLMs from
//! compiler and unit-test feedback (StepCoder, ACL 2024), in Rust.
//!
//! Depend on a single crate (`stepcoder-core`, `stepcoder-data`, ...) when you need only one
//! piece; depend on this one to get them all under one name.
//!
//! ```
//! use stepcoder::core::{OutcomeClass, StepCoderReward};
//! let reward = StepCoderReward::default();
//! assert_eq!(reward.class_reward(OutcomeClass::Passed), 1.0);
//! ```

pub use stepcoder_core as core;
pub use stepcoder_curriculum as curriculum;
pub use stepcoder_data as data;
