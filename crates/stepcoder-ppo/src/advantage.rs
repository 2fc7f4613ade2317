//! Advantage estimators behind one trait: GAE with a critic (via the fused kernel) and the
//! critic-free group baseline (GRPO-style, over the n samples of one problem).

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

use crate::{PpoError, Result};

/// What an estimator sees for one batch of rollouts, all `[B, T]` over response tokens.
#[derive(Debug, Clone, Copy)]
pub struct AdvantageInput<'a> {
    /// Per-token rewards: the KL penalty on every token plus the outcome reward on the last.
    pub token_rewards: &'a Tensor,
    /// Each row's outcome reward (the part of `token_rewards` that sits on its last token
    /// besides the KL penalty), so that an estimator can treat the two apart.
    pub outcome_rewards: &'a [f32],
    /// The critic's values at sampling time (`None` for critic-free estimators).
    pub values: Option<&'a Tensor>,
    /// 1 on response tokens, 0 on padding.
    pub mask: &'a Tensor,
    /// Which group (problem) each row belongs to: rows with the same id are the n samples
    /// of one problem.
    pub groups: &'a [usize],
}

/// Advantages for the policy loss and, with a critic, the value targets.
#[derive(Debug, Clone)]
pub struct Advantages {
    pub advantages: Tensor,
    pub returns: Option<Tensor>,
}

/// Turns rewards (and values) into per-token advantages.
pub trait AdvantageEstimator: Send + Sync {
    /// Whether the estimator needs the critic's values (and trains a critic).
    fn needs_critic(&self) -> bool;
    fn estimate(&self, input: &AdvantageInput<'_>) -> Result<Advantages>;
}

/// Normalizes `x` over the tokens where `mask > 0` to mean 0 and standard deviation 1.
pub fn whiten(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let n = mask.sum_all()?.to_scalar::<f32>()? as f64;
    if n < 2.0 {
        return Ok((x * mask)?);
    }
    let mean = ((x * mask)?.sum_all()?.to_scalar::<f32>()? as f64) / n;
    let centered = ((x - mean)? * mask)?;
    let var = centered.sqr()?.sum_all()?.to_scalar::<f32>()? as f64 / n;
    Ok((centered / (var.sqrt() + 1e-8))?)
}

/// Generalized advantage estimation (Schulman et al. 2016) on the fused kernel.
///
/// Needs a critic that has learnt something. With a flat one (a fresh value head) and
/// terminal rewards, a token's advantage decays with its distance from the end, so whitening
/// a batch in which most rollouts failed gives their first tokens positive advantages and
/// their last tokens (where the program stops) the most negative ones: PPO learns to stop
/// later. On short runs from a fresh critic prefer [`GroupBaseline`] (the `laptop` preset does).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gae {
    pub gamma: f32,
    pub lambda: f32,
    /// Whiten the advantages over the batch's response tokens (returns are not whitened).
    pub whiten: bool,
}

impl Default for Gae {
    /// gamma 1.0, lambda 0.95: the settings of StepCoder's public relatives.
    fn default() -> Self {
        Gae {
            gamma: 1.0,
            lambda: 0.95,
            whiten: true,
        }
    }
}

impl AdvantageEstimator for Gae {
    fn needs_critic(&self) -> bool {
        true
    }

    fn estimate(&self, input: &AdvantageInput<'_>) -> Result<Advantages> {
        let values = input
            .values
            .ok_or_else(|| PpoError::Config("GAE needs the critic's values".into()))?;
        let (adv, ret) = stepcoder_kernels::gae_returns(
            input.token_rewards,
            values,
            input.mask,
            self.gamma,
            self.lambda,
        )?;
        let adv = if self.whiten {
            whiten(&adv, &input.mask.to_dtype(DType::F32)?)?
        } else {
            adv
        };
        Ok(Advantages {
            advantages: adv,
            returns: Some(ret),
        })
    }
}

/// Critic-free baseline over each group (the n samples of one problem), on every response
/// token of a row: its outcome reward against the group's mean outcome, divided by the
/// group's outcome standard deviation when `scale_by_std` (GRPO), plus its KL return (the sum
/// of its KL penalties) against the group's mean KL return, unscaled.
///
/// The KL part stays in the reward's own units. Scaled with the outcomes it would be divided
/// by the outcome spread, and in a group whose outcomes all agree (every sample failed the
/// same way) the tiny KL differences would become advantages of full size, with the
/// shortest completions (the least summed KL) reinforced most: a push towards writing
/// nothing that the toy RL task fell into.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupBaseline {
    pub scale_by_std: bool,
    pub eps: f32,
}

impl Default for GroupBaseline {
    fn default() -> Self {
        GroupBaseline {
            scale_by_std: true,
            eps: 1e-4,
        }
    }
}

impl AdvantageEstimator for GroupBaseline {
    fn needs_critic(&self) -> bool {
        false
    }

    fn estimate(&self, input: &AdvantageInput<'_>) -> Result<Advantages> {
        let mask = input.mask.to_dtype(DType::F32)?;
        let rows = mask.dim(0)?;
        if input.groups.len() != rows {
            return Err(PpoError::Config(format!(
                "{} group ids for {rows} rows",
                input.groups.len()
            )));
        }
        if input.outcome_rewards.len() != rows {
            return Err(PpoError::Config(format!(
                "{} outcome rewards for {rows} rows",
                input.outcome_rewards.len()
            )));
        }
        let returns: Vec<f32> = (input.token_rewards.to_dtype(DType::F32)? * &mask)?
            .sum(1)?
            .to_vec1()?;
        let tokens: Vec<f32> = mask.sum(1)?.to_vec1()?;
        let outcome = |i: usize| input.outcome_rewards[i] as f64;
        // The KL return: the row's return less its outcome reward (which a row without
        // tokens could not carry).
        let kl = |i: usize| {
            if tokens[i] > 0.0 {
                returns[i] as f64 - outcome(i)
            } else {
                0.0
            }
        };
        let mut per_row = vec![0f32; rows];
        let mut ids: Vec<usize> = input.groups.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for g in ids {
            let members: Vec<usize> = (0..rows).filter(|&i| input.groups[i] == g).collect();
            let n = members.len() as f64;
            let mean = |f: &dyn Fn(usize) -> f64| members.iter().map(|&i| f(i)).sum::<f64>() / n;
            let (mean_outcome, mean_kl) = (mean(&outcome), mean(&kl));
            let std = mean(&|i| (outcome(i) - mean_outcome).powi(2)).sqrt();
            for &i in &members {
                let a = outcome(i) - mean_outcome;
                // All-equal outcomes (every sample passed, or every one failed the same way)
                // give no outcome signal: 0, not 0/0.
                let a = if a == 0.0 {
                    0.0
                } else if self.scale_by_std {
                    a / (std + self.eps as f64)
                } else {
                    a
                };
                per_row[i] = (a + kl(i) - mean_kl) as f32;
            }
        }
        let col = Tensor::from_vec(per_row, (rows, 1), mask.device())?;
        Ok(Advantages {
            advantages: mask.broadcast_mul(&col)?,
            returns: None,
        })
    }
}
