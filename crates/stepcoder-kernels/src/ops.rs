//! The custom ops and the functions that apply them.

use candle_core::{
    CpuStorage, CustomOp2, CustomOp3, DType, Layout, Result as CResult, Shape, Tensor, WithDType,
};

use crate::{cpu, KernelError};

fn invalid(op: &'static str, message: impl Into<String>) -> KernelError {
    KernelError::Invalid {
        op,
        message: message.into(),
    }
}

/// A contiguous slice of a CPU storage (the layout may start at an offset).
fn slice<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout, op: &str) -> CResult<&'a [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&s.as_slice::<T>()?[a..b]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

fn last_dim(l: &Layout, op: &str) -> CResult<usize> {
    match l.shape().dims().last() {
        Some(&v) if v > 0 => Ok(v),
        _ => candle_core::bail!("{op}: logits need a non-empty last (vocabulary) dimension"),
    }
}

// ---------------------------------------------------------------------------------------------
// (a) log-softmax + gather

/// Forward: `(logits [.., V], ids [..] u32) -> logp [..] f32`.
pub(crate) struct LogProbGather;

/// Backward of [`LogProbGather`]: `(logits, ids, grad [..] f32) -> grad_logits [.., V]`.
pub(crate) struct LogProbGatherBwd;

impl CustomOp2 for LogProbGather {
    fn name(&self) -> &'static str {
        "logprob-gather"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let vocab = last_dim(l1, self.name())?;
        let ids = slice::<u32>(s2, l2, self.name())?;
        let out = match s1 {
            CpuStorage::F32(_) => cpu::logprob_fwd(slice::<f32>(s1, l1, self.name())?, ids, vocab),
            CpuStorage::F64(_) => cpu::logprob_fwd(slice::<f64>(s1, l1, self.name())?, ids, vocab),
            CpuStorage::BF16(_) => {
                cpu::logprob_fwd(slice::<half::bf16>(s1, l1, self.name())?, ids, vocab)
            }
            CpuStorage::F16(_) => {
                cpu::logprob_fwd(slice::<half::f16>(s1, l1, self.name())?, ids, vocab)
            }
            other => candle_core::bail!(
                "{}: logits must be a float tensor, got {:?}",
                self.name(),
                candle_core::backend::BackendStorage::dtype(other)
            ),
        }
        .map_err(|e| candle_core::Error::Msg(format!("{}: {e}", self.name())))?;
        Ok((CpuStorage::F32(out), l2.shape().clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        s1: &candle_core::CudaStorage,
        l1: &Layout,
        s2: &candle_core::CudaStorage,
        l2: &Layout,
    ) -> CResult<(candle_core::CudaStorage, Shape)> {
        crate::cuda::logprob_fwd(s1, l1, s2, l2)
    }

    fn bwd(
        &self,
        logits: &Tensor,
        ids: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> CResult<(Option<Tensor>, Option<Tensor>)> {
        let g = grad_res.to_dtype(DType::F32)?.contiguous()?;
        let grad = logits.apply_op3_no_bwd(ids, &g, &LogProbGatherBwd)?;
        Ok((Some(grad), None))
    }
}

impl CustomOp3 for LogProbGatherBwd {
    fn name(&self) -> &'static str {
        "logprob-gather-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let name = self.name();
        let vocab = last_dim(l1, name)?;
        let ids = slice::<u32>(s2, l2, name)?;
        let g = slice::<f32>(s3, l3, name)?;
        let err = |e: String| candle_core::Error::Msg(format!("{name}: {e}"));
        let out = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(
                cpu::logprob_bwd(slice::<f32>(s1, l1, name)?, ids, g, vocab).map_err(err)?,
            ),
            CpuStorage::F64(_) => CpuStorage::F64(
                cpu::logprob_bwd(slice::<f64>(s1, l1, name)?, ids, g, vocab).map_err(err)?,
            ),
            CpuStorage::BF16(_) => CpuStorage::BF16(
                cpu::logprob_bwd(slice::<half::bf16>(s1, l1, name)?, ids, g, vocab).map_err(err)?,
            ),
            CpuStorage::F16(_) => CpuStorage::F16(
                cpu::logprob_bwd(slice::<half::f16>(s1, l1, name)?, ids, g, vocab).map_err(err)?,
            ),
            other => candle_core::bail!(
                "{name}: logits must be a float tensor, got {:?}",
                candle_core::backend::BackendStorage::dtype(other)
            ),
        };
        Ok((out, l1.shape().clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        s1: &candle_core::CudaStorage,
        l1: &Layout,
        s2: &candle_core::CudaStorage,
        l2: &Layout,
        s3: &candle_core::CudaStorage,
        l3: &Layout,
    ) -> CResult<(candle_core::CudaStorage, Shape)> {
        crate::cuda::logprob_bwd(s1, l1, s2, l2, s3, l3)
    }
}

/// Log-probabilities of the sampled tokens: `logp[..] = log_softmax(logits)[.., ids[..]]`.
///
/// `logits` has shape `[.., V]` (any float dtype), `ids` the leading shape (`u32`, or any
/// integer dtype, converted). The result is `f32` and carries a gradient to `logits`
/// (`grad * (onehot - softmax)`). The forward never builds the `[.., V]` log-softmax.
pub fn token_log_probs(logits: &Tensor, ids: &Tensor) -> Result<Tensor, KernelError> {
    const OP: &str = "token_log_probs";
    let ld = logits.dims();
    if ld.is_empty() || &ld[..ld.len() - 1] != ids.dims() {
        return Err(invalid(
            OP,
            format!(
                "logits {:?} must be ids {:?} plus a vocabulary dimension",
                ld,
                ids.dims()
            ),
        ));
    }
    if !logits.dtype().is_float() {
        return Err(invalid(
            OP,
            format!("logits must be float, got {:?}", logits.dtype()),
        ));
    }
    let ids = ids.detach().to_dtype(DType::U32)?.contiguous()?;
    let logits = logits.contiguous()?;
    Ok(logits.apply_op2(&ids, LogProbGather)?)
}

// ---------------------------------------------------------------------------------------------
// (b) masked clipped PPO policy loss

/// Settings of the clipped surrogate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PpoLossConfig {
    /// The ratio is clipped to `[1 - clip_eps, 1 + clip_eps]` (0.2 in PPO and StepCoder's relatives).
    pub clip_eps: f32,
}

impl Default for PpoLossConfig {
    fn default() -> Self {
        PpoLossConfig { clip_eps: 0.2 }
    }
}

/// `(logp [..], aux [3, ..] = (old_logp, adv, mask)) -> scalar loss`.
pub(crate) struct PpoPolicyLoss {
    pub eps: f32,
}

/// `(logp, aux, grad scalar) -> grad_logp [..]`.
pub(crate) struct PpoPolicyLossBwd {
    pub eps: f32,
}

/// Splits the `[3, n]` auxiliary slice into old log-probs, advantages, mask.
fn split_aux(aux: &[f32], n: usize) -> CResult<(&[f32], &[f32], &[f32])> {
    if aux.len() != 3 * n {
        candle_core::bail!(
            "ppo-policy-loss: aux has {} values, expected 3 x {n}",
            aux.len()
        );
    }
    Ok((&aux[..n], &aux[n..2 * n], &aux[2 * n..]))
}

impl CustomOp2 for PpoPolicyLoss {
    fn name(&self) -> &'static str {
        "ppo-policy-loss"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let logp = slice::<f32>(s1, l1, self.name())?;
        let aux = slice::<f32>(s2, l2, self.name())?;
        let (old, adv, mask) = split_aux(aux, logp.len())?;
        let loss = cpu::ppo_loss_fwd(logp, old, adv, mask, self.eps);
        Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        s1: &candle_core::CudaStorage,
        l1: &Layout,
        s2: &candle_core::CudaStorage,
        l2: &Layout,
    ) -> CResult<(candle_core::CudaStorage, Shape)> {
        crate::cuda::ppo_loss_fwd(self.eps, s1, l1, s2, l2)
    }

    fn bwd(
        &self,
        logp: &Tensor,
        aux: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> CResult<(Option<Tensor>, Option<Tensor>)> {
        let g = grad_res.to_dtype(DType::F32)?.contiguous()?;
        let grad = logp.apply_op3_no_bwd(aux, &g, &PpoPolicyLossBwd { eps: self.eps })?;
        Ok((Some(grad), None))
    }
}

impl CustomOp3 for PpoPolicyLossBwd {
    fn name(&self) -> &'static str {
        "ppo-policy-loss-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let logp = slice::<f32>(s1, l1, self.name())?;
        let aux = slice::<f32>(s2, l2, self.name())?;
        let g = slice::<f32>(s3, l3, self.name())?;
        let (old, adv, mask) = split_aux(aux, logp.len())?;
        let g = match g {
            [g] => *g,
            _ => candle_core::bail!("{}: upstream gradient must be a scalar", self.name()),
        };
        let out = cpu::ppo_loss_bwd(logp, old, adv, mask, self.eps, g);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        s1: &candle_core::CudaStorage,
        l1: &Layout,
        s2: &candle_core::CudaStorage,
        l2: &Layout,
        s3: &candle_core::CudaStorage,
        l3: &Layout,
    ) -> CResult<(candle_core::CudaStorage, Shape)> {
        crate::cuda::ppo_loss_bwd(self.eps, s1, l1, s2, l2, s3, l3)
    }
}

fn same_shape(op: &'static str, what: &str, a: &Tensor, b: &Tensor) -> Result<(), KernelError> {
    if a.dims() != b.dims() {
        return Err(invalid(
            op,
            format!("{what} has shape {:?}, expected {:?}", b.dims(), a.dims()),
        ));
    }
    Ok(())
}

/// The masked clipped PPO policy loss (a scalar `f32` tensor):
/// `L = -(1/sum m) * sum_t m_t * min(r_t A_t, clip(r_t, 1-eps, 1+eps) A_t)`,
/// `r_t = exp(logp_t - old_logp_t)`.
///
/// Only `logp` receives a gradient; `old_logp`, `adv` and `mask` are detached. `mask` holds
/// per-token weights (the FGO mask times the response mask); a token with weight 0
/// contributes exactly nothing, to the loss or to the gradient. With an all-zero mask the
/// loss is 0.
pub fn ppo_policy_loss(
    logp: &Tensor,
    old_logp: &Tensor,
    adv: &Tensor,
    mask: &Tensor,
    cfg: &PpoLossConfig,
) -> Result<Tensor, KernelError> {
    const OP: &str = "ppo_policy_loss";
    same_shape(OP, "old_logp", logp, old_logp)?;
    same_shape(OP, "advantages", logp, adv)?;
    same_shape(OP, "mask", logp, mask)?;
    if !(cfg.clip_eps >= 0.0 && cfg.clip_eps.is_finite()) {
        return Err(invalid(
            OP,
            format!("clip_eps must be >= 0, got {}", cfg.clip_eps),
        ));
    }
    let f = |t: &Tensor| -> Result<Tensor, KernelError> { Ok(t.detach().to_dtype(DType::F32)?) };
    let aux = Tensor::stack(&[f(old_logp)?, f(adv)?, f(mask)?], 0)?.contiguous()?;
    let logp = logp.to_dtype(DType::F32)?.contiguous()?;
    Ok(logp.apply_op2(&aux, PpoPolicyLoss { eps: cfg.clip_eps })?)
}

// ---------------------------------------------------------------------------------------------
// (c) GAE

/// `(rewards [B, T], values [B, T], mask [B, T]) -> advantages [B, T]`.
pub(crate) struct Gae {
    pub gamma: f32,
    pub lambda: f32,
}

impl CustomOp3 for Gae {
    fn name(&self) -> &'static str {
        "gae"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let r = slice::<f32>(s1, l1, self.name())?;
        let v = slice::<f32>(s2, l2, self.name())?;
        let m = slice::<f32>(s3, l3, self.name())?;
        let t = last_dim(l1, self.name())?;
        let out = cpu::gae_fwd(r, v, m, t, self.gamma, self.lambda);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        s1: &candle_core::CudaStorage,
        l1: &Layout,
        s2: &candle_core::CudaStorage,
        l2: &Layout,
        s3: &candle_core::CudaStorage,
        l3: &Layout,
    ) -> CResult<(candle_core::CudaStorage, Shape)> {
        crate::cuda::gae_fwd(self.gamma, self.lambda, s1, l1, s2, l2, s3, l3)
    }
}

/// Generalized advantage estimation over a padded batch `[B, T]` (no gradient).
///
/// `mask` is 1 on each row's response tokens and 0 on padding; a row's episode ends at its
/// last response token (no bootstrap value after it). Padding positions get advantage 0.
/// `delta_t = r_t + gamma * V_{t+1} - V_t`, `A_t = delta_t + gamma * lambda * A_{t+1}`.
pub fn gae(
    rewards: &Tensor,
    values: &Tensor,
    mask: &Tensor,
    gamma: f32,
    lambda: f32,
) -> Result<Tensor, KernelError> {
    const OP: &str = "gae";
    if rewards.rank() != 2 {
        return Err(invalid(
            OP,
            format!("rewards must be [B, T], got {:?}", rewards.dims()),
        ));
    }
    same_shape(OP, "values", rewards, values)?;
    same_shape(OP, "mask", rewards, mask)?;
    if !(0.0..=1.0).contains(&gamma) || !(0.0..=1.0).contains(&lambda) {
        return Err(invalid(
            OP,
            format!("gamma {gamma} and lambda {lambda} must be in [0, 1]"),
        ));
    }
    if rewards.dim(1)? == 0 {
        return Ok(rewards.detach().to_dtype(DType::F32)?);
    }
    let f = |t: &Tensor| -> Result<Tensor, KernelError> {
        Ok(t.detach().to_dtype(DType::F32)?.contiguous()?)
    };
    Ok(f(rewards)?.apply_op3_no_bwd(&f(values)?, &f(mask)?, &Gae { gamma, lambda })?)
}

/// GAE advantages and the value targets `returns = advantages + values` (0 on padding).
pub fn gae_returns(
    rewards: &Tensor,
    values: &Tensor,
    mask: &Tensor,
    gamma: f32,
    lambda: f32,
) -> Result<(Tensor, Tensor), KernelError> {
    let adv = gae(rewards, values, mask, gamma, lambda)?;
    let m = mask
        .detach()
        .to_dtype(DType::F32)?
        .gt(0f64)?
        .to_dtype(DType::F32)?;
    let ret = ((&adv + values.detach().to_dtype(DType::F32)?)? * m)?;
    Ok((adv, ret))
}
