//! Fused CPU ops with backward passes: RMSNorm, softmax, log-softmax and entropy over the last
//! dimension, and rope.
//!
//! candle-nn's fused versions of these ops have no backward (gradients stop silently), and the
//! composed versions allocate one tensor per elementary op. These are written as candle
//! `CustomOp`s: one pass over memory, parallel over rows with rayon, and a `bwd` that is itself
//! a fused op. f32 runs in place; bf16/f16 inputs are widened to f32 for the arithmetic.
//! Non-CPU devices fall back to the composed (differentiable) stock ops.

use candle_core::{
    backend::BackendStorage, CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Result,
    Shape, Tensor, WithDType, D,
};
use rayon::prelude::*;
use std::borrow::Cow;

/// Rows handed to one rayon task: enough work to amortize scheduling.
fn rows_per_task(row_len: usize, rows: usize) -> usize {
    let target = 16 * 1024 / row_len.max(1);
    target.clamp(1, rows.max(1))
}

fn slice_f32<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<Cow<'a, [f32]>> {
    let (o1, o2) = l
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg(format!("{op}: input must be contiguous")))?;
    Ok(match s {
        CpuStorage::F32(v) => Cow::Borrowed(&v[o1..o2]),
        CpuStorage::BF16(v) => Cow::Owned(v[o1..o2].iter().map(|x| x.to_f64() as f32).collect()),
        CpuStorage::F16(v) => Cow::Owned(v[o1..o2].iter().map(|x| x.to_f64() as f32).collect()),
        CpuStorage::F64(v) => Cow::Owned(v[o1..o2].iter().map(|x| *x as f32).collect()),
        _ => candle_core::bail!("{op}: unsupported dtype {:?}", s.dtype()),
    })
}

fn storage_from_f32(v: Vec<f32>, dtype: DType) -> Result<CpuStorage> {
    Ok(match dtype {
        DType::F32 => CpuStorage::F32(v),
        DType::BF16 => CpuStorage::BF16(
            v.into_iter()
                .map(|x| WithDType::from_f64(x as f64))
                .collect(),
        ),
        DType::F16 => CpuStorage::F16(
            v.into_iter()
                .map(|x| WithDType::from_f64(x as f64))
                .collect(),
        ),
        DType::F64 => CpuStorage::F64(v.into_iter().map(|x| x as f64).collect()),
        d => candle_core::bail!("unsupported dtype {d:?}"),
    })
}

// ---------------------------------------------------------------- RMSNorm

struct RmsNorm {
    eps: f32,
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "stepcoder-rms-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s1, l1, self.name())?;
        let w = slice_f32(s2, l2, self.name())?;
        let n = w.len();
        let rows = x.len() / n.max(1);
        let mut out = vec![0f32; x.len()];
        let chunk = rows_per_task(n, rows) * n;
        let eps = self.eps;
        out.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk))
            .for_each(|(o, x)| {
                for (o, x) in o.chunks_mut(n).zip(x.chunks(n)) {
                    let ss: f32 = x.iter().map(|v| v * v).sum::<f32>() / n as f32;
                    let r = 1.0 / (ss + eps).sqrt();
                    for ((o, x), w) in o.iter_mut().zip(x).zip(w.iter()) {
                        *o = x * r * w;
                    }
                }
            });
        Ok((storage_from_f32(out, s1.dtype())?, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let n = w.dim(0)?;
        let rows = x.elem_count() / n;
        let both = x.apply_op3_no_bwd(w, &grad.contiguous()?, &RmsNormBwd { eps: self.eps })?;
        let dx = both.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = both.narrow(0, rows, 1)?.reshape(n)?;
        Ok((Some(dx), Some(dw)))
    }
}

/// Output rows `0..rows` hold dx, row `rows` holds dw.
struct RmsNormBwd {
    eps: f32,
}

impl CustomOp3 for RmsNormBwd {
    fn name(&self) -> &'static str {
        "stepcoder-rms-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s1, l1, self.name())?;
        let w = slice_f32(s2, l2, self.name())?;
        let g = slice_f32(s3, l3, self.name())?;
        let n = w.len();
        let rows = x.len() / n.max(1);
        let mut out = vec![0f32; x.len() + n];
        let (dx, dw_out) = out.split_at_mut(x.len());
        let chunk = rows_per_task(n, rows) * n;
        let eps = self.eps;
        let dw = dx
            .par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk))
            .zip(g.par_chunks(chunk))
            .map(|((dx, x), g)| {
                let mut dw = vec![0f32; n];
                for ((dx, x), g) in dx.chunks_mut(n).zip(x.chunks(n)).zip(g.chunks(n)) {
                    let ss: f32 = x.iter().map(|v| v * v).sum::<f32>() / n as f32;
                    let r = 1.0 / (ss + eps).sqrt();
                    let mut dot = 0f32;
                    for i in 0..n {
                        dot += g[i] * w[i] * x[i];
                        dw[i] += g[i] * x[i] * r;
                    }
                    let c = r * r * r * dot / n as f32;
                    for i in 0..n {
                        dx[i] = r * g[i] * w[i] - x[i] * c;
                    }
                }
                dw
            })
            .reduce(
                || vec![0f32; n],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                    a
                },
            );
        dw_out.copy_from_slice(&dw);
        Ok((
            storage_from_f32(out, s1.dtype())?,
            Shape::from((rows + 1, n)),
        ))
    }
}

/// RMSNorm over the last dimension, `x * rsqrt(mean(x^2) + eps) * w`, differentiable in x and w.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return candle_nn::ops::rms_norm_slow(x, w, eps as f32);
    }
    let n = w.dims1()?;
    if x.dim(D::Minus1)? != n {
        candle_core::bail!("rms_norm: x {:?} vs weight {:?}", x.shape(), w.shape());
    }
    x.contiguous()?
        .apply_op2(&w.contiguous()?, RmsNorm { eps: eps as f32 })
}

// ---------------------------------------------------------------- softmax

struct Softmax;

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "stepcoder-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s, l, self.name())?;
        let n = l.dims().last().copied().unwrap_or(1).max(1);
        let rows = x.len() / n;
        let mut out = vec![0f32; x.len()];
        let chunk = rows_per_task(n, rows) * n;
        out.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk))
            .for_each(|(o, x)| {
                for (o, x) in o.chunks_mut(n).zip(x.chunks(n)) {
                    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0f32;
                    for (o, x) in o.iter_mut().zip(x) {
                        *o = (x - m).exp();
                        sum += *o;
                    }
                    let inv = 1.0 / sum;
                    o.iter_mut().for_each(|o| *o *= inv);
                }
            });
        Ok((storage_from_f32(out, s.dtype())?, l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            res.apply_op2_no_bwd(&grad.contiguous()?, &SoftmaxBwd)?,
        ))
    }
}

/// dx = y * (g - sum(g * y)) per row.
struct SoftmaxBwd;

impl CustomOp2 for SoftmaxBwd {
    fn name(&self) -> &'static str {
        "stepcoder-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = slice_f32(s1, l1, self.name())?;
        let g = slice_f32(s2, l2, self.name())?;
        let n = l1.dims().last().copied().unwrap_or(1).max(1);
        let rows = y.len() / n;
        let mut out = vec![0f32; y.len()];
        let chunk = rows_per_task(n, rows) * n;
        out.par_chunks_mut(chunk)
            .zip(y.par_chunks(chunk))
            .zip(g.par_chunks(chunk))
            .for_each(|((o, y), g)| {
                for ((o, y), g) in o.chunks_mut(n).zip(y.chunks(n)).zip(g.chunks(n)) {
                    let dot: f32 = y.iter().zip(g).map(|(a, b)| a * b).sum();
                    for i in 0..n {
                        o[i] = y[i] * (g[i] - dot);
                    }
                }
            });
        Ok((storage_from_f32(out, s1.dtype())?, l1.shape().clone()))
    }
}

/// Softmax over the last dimension, differentiable.
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return candle_nn::ops::softmax(x, D::Minus1);
    }
    x.contiguous()?.apply_op1(Softmax)
}

// ---------------------------------------------------------------- log-softmax

struct LogSoftmax;

impl CustomOp1 for LogSoftmax {
    fn name(&self) -> &'static str {
        "stepcoder-log-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s, l, self.name())?;
        let n = l.dims().last().copied().unwrap_or(1).max(1);
        let rows = x.len() / n;
        let mut out = vec![0f32; x.len()];
        let chunk = rows_per_task(n, rows) * n;
        out.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk))
            .for_each(|(o, x)| {
                for (o, x) in o.chunks_mut(n).zip(x.chunks(n)) {
                    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f32 = x.iter().map(|v| (v - m).exp()).sum();
                    let lse = m + sum.ln();
                    for (o, x) in o.iter_mut().zip(x) {
                        *o = x - lse;
                    }
                }
            });
        Ok((storage_from_f32(out, s.dtype())?, l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            res.apply_op2_no_bwd(&grad.contiguous()?, &LogSoftmaxBwd)?,
        ))
    }
}

/// dx = g - exp(y) * sum(g) per row.
struct LogSoftmaxBwd;

impl CustomOp2 for LogSoftmaxBwd {
    fn name(&self) -> &'static str {
        "stepcoder-log-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = slice_f32(s1, l1, self.name())?;
        let g = slice_f32(s2, l2, self.name())?;
        let n = l1.dims().last().copied().unwrap_or(1).max(1);
        let rows = y.len() / n;
        let mut out = vec![0f32; y.len()];
        let chunk = rows_per_task(n, rows) * n;
        out.par_chunks_mut(chunk)
            .zip(y.par_chunks(chunk))
            .zip(g.par_chunks(chunk))
            .for_each(|((o, y), g)| {
                for ((o, y), g) in o.chunks_mut(n).zip(y.chunks(n)).zip(g.chunks(n)) {
                    let sum: f32 = g.iter().sum();
                    for i in 0..n {
                        o[i] = g[i] - y[i].exp() * sum;
                    }
                }
            });
        Ok((storage_from_f32(out, s1.dtype())?, l1.shape().clone()))
    }
}

/// Log-softmax over the last dimension, differentiable (two passes forward, one backward,
/// instead of the six-op composition).
pub fn log_softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return candle_nn::ops::log_softmax(x, D::Minus1);
    }
    x.contiguous()?.apply_op1(LogSoftmax)
}

/// Entropy of the distribution each row of logits defines: one pass over the row for its
/// maximum, one for its normalizer and expectation (`H = lse - sum(p * x)`).
struct Entropy;

impl CustomOp1 for Entropy {
    fn name(&self) -> &'static str {
        "stepcoder-entropy"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s, l, self.name())?;
        let n = l.dims().last().copied().unwrap_or(1).max(1);
        let rows = x.len() / n;
        let mut out = vec![0f32; rows];
        let per_task = rows_per_task(n, rows);
        out.par_chunks_mut(per_task)
            .zip(x.par_chunks(per_task * n))
            .for_each(|(o, x)| {
                for (o, x) in o.iter_mut().zip(x.chunks(n)) {
                    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let (mut z, mut zx) = (0f32, 0f32);
                    for &v in x {
                        let e = (v - m).exp();
                        z += e;
                        zx += e * (v - m);
                    }
                    *o = z.ln() - zx / z;
                }
            });
        let mut shape = l.dims().to_vec();
        shape.pop();
        Ok((CpuStorage::F32(out), Shape::from(shape)))
    }

    /// `dH/dx_i = -p_i (log p_i + H)`.
    fn bwd(&self, arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let lsm = log_softmax_last_dim(&arg.to_dtype(DType::F32)?)?;
        let h = res.unsqueeze(D::Minus1)?;
        let g = grad.unsqueeze(D::Minus1)?;
        let dx = lsm
            .exp()?
            .mul(&lsm.broadcast_add(&h)?)?
            .broadcast_mul(&g)?
            .neg()?;
        Ok(Some(dx.to_dtype(arg.dtype())?))
    }
}

/// The entropy of each row's softmax: `[.., V]` logits to `[..]` f32, differentiable. One
/// pass instead of the five full-size tensors of `-(exp(lsm) * lsm).sum()`.
pub fn entropy_last_dim(logits: &Tensor) -> Result<Tensor> {
    if !logits.device().is_cpu() {
        let lsm = candle_nn::ops::log_softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
        return (lsm.exp()? * &lsm)?.sum(D::Minus1)?.neg();
    }
    logits.contiguous()?.apply_op1(Entropy)
}

// ---------------------------------------------------------------- rope

/// Non-interleaved (HF `rotate_half`) rope on x `(b, h, t, d)` with cos/sin `(b, t, d/2)`.
struct Rope;

impl CustomOp3 for Rope {
    fn name(&self) -> &'static str {
        "stepcoder-rope"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = slice_f32(s1, l1, self.name())?;
        let cos = slice_f32(s2, l2, self.name())?;
        let sin = slice_f32(s3, l3, self.name())?;
        let (b, h, t, d) = l1.shape().dims4()?;
        let half = d / 2;
        let mut out = vec![0f32; x.len()];
        // One task per (batch, head) plane of t*d values.
        out.par_chunks_mut(t * d)
            .zip(x.par_chunks(t * d))
            .enumerate()
            .for_each(|(bh, (o, x))| {
                let bi = bh / h;
                let cs = &cos[bi * t * half..(bi + 1) * t * half];
                let sn = &sin[bi * t * half..(bi + 1) * t * half];
                for ti in 0..t {
                    let xr = &x[ti * d..(ti + 1) * d];
                    let or = &mut o[ti * d..(ti + 1) * d];
                    let c = &cs[ti * half..(ti + 1) * half];
                    let s = &sn[ti * half..(ti + 1) * half];
                    for i in 0..half {
                        let (x1, x2) = (xr[i], xr[i + half]);
                        or[i] = x1 * c[i] - x2 * s[i];
                        or[i + half] = x2 * c[i] + x1 * s[i];
                    }
                }
            });
        let _ = b;
        Ok((storage_from_f32(out, s1.dtype())?, l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // The rotation's transpose is the rotation by the opposite angle.
        let dx = grad
            .contiguous()?
            .apply_op3_no_bwd(cos, &sin.neg()?, &Rope)?;
        Ok((Some(dx), None, None))
    }
}

/// Rope with per-row positions: x `(b, h, t, d)`, cos/sin `(b, t, d/2)` (no gradient to cos/sin).
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let (b, _h, t, d) = x.dims4()?;
    if cos.dims() != [b, t, d / 2] || sin.dims() != [b, t, d / 2] {
        candle_core::bail!(
            "rope: x {:?} needs cos/sin of shape ({b}, {t}, {}), got {:?} / {:?}",
            x.shape(),
            d / 2,
            cos.shape(),
            sin.shape()
        );
    }
    if !x.device().is_cpu() {
        return rope_slow(x, cos, sin);
    }
    x.contiguous()?.apply_op3(
        &cos.to_dtype(x.dtype())?.contiguous()?,
        &sin.to_dtype(x.dtype())?.contiguous()?,
        Rope,
    )
}

/// Rope composed from stock ops (the reference the fused op is tested against).
pub fn rope_slow(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let d = x.dim(D::Minus1)?;
    let cos = Tensor::cat(&[cos, cos], D::Minus1)?
        .unsqueeze(1)?
        .to_dtype(x.dtype())?;
    let sin = Tensor::cat(&[sin, sin], D::Minus1)?
        .unsqueeze(1)?
        .to_dtype(x.dtype())?;
    let x1 = x.narrow(D::Minus1, 0, d / 2)?;
    let x2 = x.narrow(D::Minus1, d / 2, d / 2)?;
    let rot = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
    x.broadcast_mul(&cos)? + rot.broadcast_mul(&sin)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn randn(shape: &[usize], seed: u64) -> Tensor {
        let n: usize = shape.iter().product();
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v: Vec<f32> = (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn rms_norm_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&randn(&[3, 5, 16], 1)).unwrap();
        let w = Var::from_tensor(&(randn(&[16], 2) + 1.0).unwrap()).unwrap();
        let proj = randn(&[3, 5, 16], 3);
        let fused = rms_norm(&x, &w, 1e-5).unwrap();
        let slow = candle_nn::ops::rms_norm_slow(&x, &w, 1e-5).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-5);
        let gf = crate::testing::projected_grads(&fused, &proj).unwrap();
        let gs = crate::testing::projected_grads(&slow, &proj).unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-4);
        assert!(max_diff(gf.get(&w).unwrap(), gs.get(&w).unwrap()) < 1e-4);
    }

    #[test]
    fn softmax_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&(randn(&[2, 3, 7, 9], 4) * 4.0).unwrap()).unwrap();
        let proj = randn(&[2, 3, 7, 9], 5);
        let fused = softmax_last_dim(&x).unwrap();
        let slow = candle_nn::ops::softmax(&x, D::Minus1).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-6);
        let gf = crate::testing::projected_grads(&fused, &proj).unwrap();
        let gs = crate::testing::projected_grads(&slow, &proj).unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-5);
    }

    #[test]
    fn log_softmax_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&(randn(&[4, 11], 12) * 5.0).unwrap()).unwrap();
        let proj = randn(&[4, 11], 13);
        let fused = log_softmax_last_dim(&x).unwrap();
        let slow = candle_nn::ops::log_softmax(&x, D::Minus1).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-5);
        let gf = crate::testing::projected_grads(&fused, &proj).unwrap();
        let gs = crate::testing::projected_grads(&slow, &proj).unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-5);
    }

    #[test]
    fn entropy_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&(randn(&[2, 3, 11], 14) * 5.0).unwrap()).unwrap();
        let proj = randn(&[2, 3], 15);
        let fused = entropy_last_dim(&x).unwrap();
        let lsm = candle_nn::ops::log_softmax(&x, D::Minus1).unwrap();
        let slow = (lsm.exp().unwrap() * &lsm)
            .unwrap()
            .sum(D::Minus1)
            .unwrap()
            .neg()
            .unwrap();
        assert_eq!(fused.dims(), &[2, 3]);
        assert!(max_diff(&fused, &slow) < 1e-5);
        let gf = crate::testing::projected_grads(&fused, &proj).unwrap();
        let gs = crate::testing::projected_grads(&slow, &proj).unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-5);
    }

    #[test]
    fn rope_matches_composed_forward_and_backward() {
        let x = Var::from_tensor(&randn(&[2, 3, 5, 8], 6)).unwrap();
        let cos = randn(&[2, 5, 4], 7);
        let sin = randn(&[2, 5, 4], 8);
        let proj = randn(&[2, 3, 5, 8], 9);
        let fused = rope(&x, &cos, &sin).unwrap();
        let slow = rope_slow(&x, &cos, &sin).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-6);
        let gf = crate::testing::projected_grads(&fused, &proj).unwrap();
        let gs = crate::testing::projected_grads(&slow, &proj).unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-5);
    }

    #[test]
    fn bf16_inputs_round_trip() {
        let x = randn(&[4, 16], 10).to_dtype(DType::BF16).unwrap();
        let w = Tensor::ones(16, DType::BF16, &Device::Cpu).unwrap();
        let y = rms_norm(&x, &w, 1e-5).unwrap();
        assert_eq!(y.dtype(), DType::BF16);
        let s = softmax_last_dim(&x).unwrap().to_dtype(DType::F32).unwrap();
        let total = s.sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!((total - 4.0).abs() < 0.05);
    }
}
