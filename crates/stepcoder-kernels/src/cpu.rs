//! CPU reference implementations on plain slices. Accumulation is in f64 (sums over a
//! vocabulary or a batch) so the reference is at least as accurate as any kernel.

use candle_core::WithDType;
use rayon::prelude::*;

/// Log-sum-exp of one row in a single pass (running max, rescaled running sum).
#[inline]
pub(crate) fn row_logsumexp<T: WithDType>(row: &[T]) -> f64 {
    let mut max = f64::NEG_INFINITY;
    let mut sum = 0f64;
    for &x in row {
        let x = x.to_f64();
        if x > max {
            // rescale what we summed so far to the new maximum
            sum = sum * (max - x).exp() + 1.0;
            max = x;
        } else {
            sum += (x - max).exp();
        }
    }
    max + sum.ln()
}

/// The error of a token id outside the vocabulary.
fn check_id(row: usize, id: u32, vocab: usize) -> Result<usize, String> {
    let id = id as usize;
    if id >= vocab {
        return Err(format!(
            "token id {id} at row {row} is outside the vocabulary of {vocab}"
        ));
    }
    Ok(id)
}

/// `out[i] = logits[i, ids[i]] - logsumexp(logits[i, :])` for each of the `ids.len()` rows.
///
/// Rows run in parallel (rayon): this is the log-prob of every training and SFT forward
/// (`B x T` rows of a 49k vocabulary for SmolLM2), not only a test reference.
pub(crate) fn logprob_fwd<T: WithDType>(
    logits: &[T],
    ids: &[u32],
    vocab: usize,
) -> Result<Vec<f32>, String> {
    logits
        .par_chunks(vocab)
        .zip(ids.par_iter())
        .enumerate()
        .map(|(i, (row, &id))| {
            let id = check_id(i, id, vocab)?;
            Ok((row[id].to_f64() - row_logsumexp(row)) as f32)
        })
        .collect()
}

/// Gradient of `logp[i]` w.r.t. the logits of row `i`, scaled by the upstream `grad[i]`:
/// `grad[i] * (onehot(ids[i]) - softmax(logits[i, :]))`. Rows run in parallel.
pub(crate) fn logprob_bwd<T: WithDType>(
    logits: &[T],
    ids: &[u32],
    grad: &[f32],
    vocab: usize,
) -> Result<Vec<T>, String> {
    let rows = ids.len().min(grad.len());
    let mut out = vec![T::zero(); rows * vocab];
    out.par_chunks_mut(vocab)
        .zip(logits.par_chunks(vocab))
        .zip(ids.par_iter().zip(grad.par_iter()))
        .enumerate()
        .try_for_each(|(i, ((out, row), (&id, &g)))| {
            let id = check_id(i, id, vocab)?;
            let lse = row_logsumexp(row);
            let g = g as f64;
            for (j, (o, &x)) in out.iter_mut().zip(row).enumerate() {
                let p = (x.to_f64() - lse).exp();
                let onehot = if j == id { 1.0 } else { 0.0 };
                *o = T::from_f64(g * (onehot - p));
            }
            Ok::<(), String>(())
        })?;
    Ok(out)
}

/// The per-token surrogate `min(r A, clip(r) A)` and whether the clipped branch is the
/// smaller one (then the token gets no gradient).
#[inline]
fn surrogate(logp: f32, old: f32, adv: f32, eps: f32) -> (f64, f64, bool) {
    let r = ((logp - old) as f64).exp();
    let adv = adv as f64;
    let eps = eps as f64;
    let unclipped = r * adv;
    let clipped = r.clamp(1.0 - eps, 1.0 + eps) * adv;
    if unclipped <= clipped {
        (unclipped, r, false)
    } else {
        (clipped, r, true)
    }
}

/// `1/sum m`, or 1 when no token is in the loss (then the loss and its gradient are 0).
fn inv_mask_sum(mask: &[f32]) -> f64 {
    let m: f64 = mask.iter().map(|&m| m as f64).sum();
    if m > 0.0 {
        1.0 / m
    } else {
        1.0
    }
}

/// `-(1/sum m) * sum m * min(r A, clip(r, 1-eps, 1+eps) A)`.
pub(crate) fn ppo_loss_fwd(logp: &[f32], old: &[f32], adv: &[f32], mask: &[f32], eps: f32) -> f32 {
    let inv = inv_mask_sum(mask);
    let mut acc = 0f64;
    for i in 0..logp.len() {
        let (s, _, _) = surrogate(logp[i], old[i], adv[i], eps);
        acc += mask[i] as f64 * s;
    }
    (-acc * inv) as f32
}

/// `dL/dlogp_t = -(m_t / sum m) * r_t A_t` where the unclipped branch is the minimum, else 0;
/// times the upstream scalar gradient `g`.
pub(crate) fn ppo_loss_bwd(
    logp: &[f32],
    old: &[f32],
    adv: &[f32],
    mask: &[f32],
    eps: f32,
    g: f32,
) -> Vec<f32> {
    let inv = inv_mask_sum(mask);
    (0..logp.len())
        .map(|i| {
            let (_, r, clipped) = surrogate(logp[i], old[i], adv[i], eps);
            if clipped {
                0.0
            } else {
                (-(g as f64) * mask[i] as f64 * inv * r * adv[i] as f64) as f32
            }
        })
        .collect()
}

/// GAE over rows of length `t`. `mask` marks the response tokens of each row (1) and
/// padding (0); the episode of a row ends at its last response token, so the value after
/// a token counts only when the next position is in the mask (`> 0`). Padding gets advantage 0.
pub(crate) fn gae_fwd(
    rewards: &[f32],
    values: &[f32],
    mask: &[f32],
    t: usize,
    gamma: f32,
    lambda: f32,
) -> Vec<f32> {
    let mut out = vec![0f32; rewards.len()];
    let (gamma, lambda) = (gamma as f64, lambda as f64);
    for row in 0..rewards.len().checked_div(t).unwrap_or(0) {
        let base = row * t;
        let mut next_adv = 0f64;
        let mut next_value = 0f64;
        let mut next_mask = 0f64;
        for k in (0..t).rev() {
            let i = base + k;
            if mask[i] <= 0.0 {
                out[i] = 0.0;
                next_adv = 0.0;
                next_value = 0.0;
                next_mask = 0.0;
                continue;
            }
            let delta = rewards[i] as f64 + gamma * next_value * next_mask - values[i] as f64;
            let adv = delta + gamma * lambda * next_mask * next_adv;
            out[i] = adv as f32;
            next_adv = adv;
            next_value = values[i] as f64;
            next_mask = 1.0;
        }
    }
    out
}
