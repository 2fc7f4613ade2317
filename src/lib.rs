//! # stepcoder
//!
//! Facade over the stepcoder crates: reinforcement learning that teaches code LLMs from
//! compiler and unit-test feedback (StepCoder, ACL 2024), in Rust.
//!
//! Depend on a single crate (`stepcoder-core`, `stepcoder-data`, ...) when you need only one
//! piece; depend on this one to get them under one name. `core`, `curriculum` and `data` are
//! always here; the crates with heavy dependencies come with features of the same name
//! (`sandbox` brings wasmtime, `model`, `kernels`, `ppo` and `eval` bring candle), or all
//! of them with `full`.
//!
//! ```
//! use stepcoder::core::{OutcomeClass, StepCoderReward};
//! let reward = StepCoderReward::default();
//! assert_eq!(reward.class_reward(OutcomeClass::Passed), 1.0);
//! ```

pub use stepcoder_core as core;
pub use stepcoder_curriculum as curriculum;
pub use stepcoder_data as data;
#[cfg(feature = "eval")]
pub use stepcoder_eval as eval;
#[cfg(feature = "fgo")]
pub use stepcoder_fgo as fgo;
#[cfg(feature = "kernels")]
pub use stepcoder_kernels as kernels;
#[cfg(feature = "model")]
pub use stepcoder_model as model;
#[cfg(feature = "ppo")]
pub use stepcoder_ppo as ppo;
#[cfg(feature = "sandbox")]
pub use stepcoder_sandbox as sandbox;
