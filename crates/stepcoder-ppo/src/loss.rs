//! The PPO losses: masked clipped policy loss (fused kernel), clipped value loss, entropy
//! bonus, and the no-gradient statistics logged per step.

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

use crate::Result;

/// Loss settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LossConfig {
    /// Policy ratio clip (PPO epsilon).
    pub clip_eps: f32,
    /// Value clip around the sampling-time values (0 disables it).
    pub value_clip: f32,
    pub value_coef: f64,
    /// Entropy bonus coefficient (0 skips computing the entropy with a gradient).
    pub entropy_coef: f64,
}

impl Default for LossConfig {
    fn default() -> Self {
        LossConfig {
            clip_eps: 0.2,
            value_clip: 0.2,
            value_coef: 0.5,
            entropy_coef: 0.0,
        }
    }
}

/// `sum(x * mask) / sum(mask)` (0 when the mask is empty).
pub fn masked_mean(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let n = mask.sum_all()?.to_scalar::<f32>()?;
    let s = (x * mask)?.sum_all()?;
    Ok((s / (n.max(1e-8) as f64))?)
}

/// The masked clipped policy loss on the fused kernel; `mask` = response mask x FGO mask.
pub fn policy_loss(
    logp: &Tensor,
    old_logp: &Tensor,
    advantages: &Tensor,
    mask: &Tensor,
    clip_eps: f32,
) -> Result<Tensor> {
    Ok(stepcoder_kernels::ppo_policy_loss(
        logp,
        old_logp,
        advantages,
        mask,
        &stepcoder_kernels::PpoLossConfig { clip_eps },
    )?)
}

/// Clipped value loss `0.5 * mean(max((v - R)^2, (v_old + clip(v - v_old, -c, c) - R)^2))`
/// over the response tokens (the FGO mask is for the policy only: every response token
/// has a well-defined return).
pub fn value_loss(
    values: &Tensor,
    old_values: &Tensor,
    returns: &Tensor,
    mask: &Tensor,
    clip: f32,
) -> Result<Tensor> {
    let returns = returns.detach();
    let old = old_values.detach();
    let l1 = (values - &returns)?.sqr()?;
    let l = if clip > 0.0 {
        let c = clip as f64;
        let clipped = (&old + (values - &old)?.clamp(-c, c)?)?;
        let l2 = (clipped - &returns)?.sqr()?;
        l1.maximum(&l2)?
    } else {
        l1
    };
    Ok((masked_mean(&l, mask)? * 0.5)?)
}

/// Mean entropy of the token distributions over the masked positions (`logits` `[B, T, V]`).
/// Differentiable; it builds `[B, T, V]` softmax tensors, so it is computed only when asked.
pub fn masked_entropy(logits: &Tensor, mask: &Tensor) -> Result<Tensor> {
    masked_mean(&token_entropy(logits)?, mask)
}

/// The entropy of each position's token distribution: `[.., V]` logits to `[..]`, f32,
/// differentiable.
pub fn token_entropy(logits: &Tensor) -> Result<Tensor> {
    Ok(stepcoder_model::ops::entropy_last_dim(logits)?)
}

/// Statistics of one minibatch (no gradient): how many tokens were clipped and how far
/// the policy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyStats {
    /// Fraction of masked-in tokens whose ratio left `[1 - eps, 1 + eps]`.
    pub clip_fraction: f64,
    /// Mean of `(r - 1) - log r` over masked-in tokens (the k3 estimator of KL(old || new)).
    pub approx_kl: f64,
}

pub fn policy_stats(
    logp: &Tensor,
    old_logp: &Tensor,
    mask: &Tensor,
    clip_eps: f32,
) -> Result<PolicyStats> {
    let lr = (logp.detach() - old_logp)?;
    let lr: Vec<f32> = lr.flatten_all()?.to_vec1()?;
    let m: Vec<f32> = mask.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?;
    let (mut n, mut clipped, mut kl) = (0f64, 0f64, 0f64);
    for (l, w) in lr.iter().zip(&m) {
        if *w <= 0.0 {
            continue;
        }
        let r = (*l as f64).exp();
        n += *w as f64;
        if (r - 1.0).abs() > clip_eps as f64 {
            clipped += *w as f64;
        }
        kl += *w as f64 * ((r - 1.0) - *l as f64);
    }
    let n = n.max(1e-12);
    Ok(PolicyStats {
        clip_fraction: clipped / n,
        approx_kl: kl / n,
    })
}
