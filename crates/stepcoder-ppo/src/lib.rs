//! # stepcoder-ppo
//!
//! PPO for code LLMs from unit-test feedback, as StepCoder trains: rewards from program
//! outcomes, a per-token KL penalty to a frozen reference, GAE or a critic-free group
//! baseline, the masked clipped policy loss weighted by the FGO mask, a clipped value loss,
//! AdamW with saved state, warmup + decay schedules, global-norm clipping, gradient
//! accumulation, atomic checkpoints, and JSON-lines metrics and rollout samples ([`JsonLines`]).
//!
//! [`Trainer::step`] runs the phases of the data path in order: plan (the curriculum's
//! prefixes), sample and execute, judge (rewards, curriculum record, FGO masks), score,
//! advantages, update. The `samples_per_problem` rollouts of a problem share its prompt:
//! sampling prefills it once, scoring computes it once per problem and the training forward
//! once per minibatch ([`PpoConfig::share_prompt`]), and the completions on it run packed
//! into sequences without padding ([`PpoConfig::pack_tokens`]); both exact up to float
//! rounding. Scoring runs only the reference: the policy's old log-probs and values come from
//! the hidden states that sampling already computed ([`PpoConfig::score_from_sampling`]).
//!
//! `examples/ppo_toy` runs the whole loop on a toy task in about half a minute (a random
//! tiny model learns to print 7 in the real sandbox): `cargo run --release -p stepcoder-ppo
//! --example ppo_toy`. The crate's tests run it for three seeds and fail when PPO stops
//! learning it (`tests/all/learning.rs`).
//!
//! The building blocks stand alone:
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use stepcoder_ppo::{AdvantageEstimator, AdvantageInput, GroupBaseline, LrSchedule, Decay};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Two problems, two samples each; the outcome reward sits on each row's last token.
//! let dev = Device::Cpu;
//! let rewards = Tensor::new(&[[0f32, 1.], [0., -1.], [0., 1.], [0., 1.]], &dev)?;
//! let mask = Tensor::ones((4, 2), candle_core::DType::F32, &dev)?;
//! let adv = GroupBaseline { scale_by_std: false, eps: 1e-4 }.estimate(&AdvantageInput {
//!     token_rewards: &rewards, outcome_rewards: &[1., -1., 1., 1.], values: None, mask: &mask,
//!     groups: &[0, 0, 1, 1],
//! })?;
//! let a: Vec<Vec<f32>> = adv.advantages.to_vec2()?;
//! assert_eq!(a[0], vec![1.0, 1.0]); // 1 - mean(1, -1)
//! assert_eq!(a[2], vec![0.0, 0.0]); // both samples of problem 1 passed: no signal
//!
//! let s = LrSchedule { peak_lr: 1e-4, warmup_steps: 10, total_steps: 110, decay: Decay::Cosine, min_lr_ratio: 0.0 };
//! assert!((s.lr(9) - 1e-4).abs() < 1e-12 && s.lr(110) < 1e-12);
//! # Ok(())
//! # }
//! ```

mod advantage;
pub mod atomic;
mod error;
mod kl;
mod loss;
mod metrics;
mod normalize;
mod schedule;
mod trainer;

pub use advantage::{whiten, AdvantageEstimator, AdvantageInput, Advantages, Gae, GroupBaseline};
pub use error::{PpoError, Result};
pub use kl::KlController;
pub use loss::{
    masked_entropy, masked_mean, policy_loss, policy_stats, token_entropy, value_loss, LossConfig,
    PolicyStats,
};
pub use metrics::{
    JsonLines, MetricsLog, OutcomeCounts, RolloutSample, SampleLog, StepMetrics, TimeSplit,
};
pub use normalize::{RewardNormalizer, RunningMoments};
pub use schedule::{Decay, LrSchedule};
/// The optimizer lives in `stepcoder-model` (the model benchmark steps the same one); its
/// errors convert into [`PpoError`] with `?` (non-finite values, state and setting errors map
/// to [`PpoError::NonFinite`], [`PpoError::State`] and [`PpoError::Config`]).
pub use stepcoder_model::optim::{
    clip_grad_norm, AdamW, AdamWConfig, GradAccumulator, Gradients, ParamGroup,
};
pub use trainer::{rollout_program, AdvantageKind, Components, PpoConfig, Trainer};
