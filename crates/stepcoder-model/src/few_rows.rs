//! `x @ w^T` for the few rows of a decoding step, on the CPU in f32.
//!
//! A decoding step multiplies every weight matrix by one token per sampled row (8 rows at
//! the quick preset), so it streams all the weights from memory for a few multiply-adds
//! each. gemm, built for large products, packs its operands and read the default model's
//! weights at 11-15 GB/s at 4 and at 8 rows (probe on a 2-core machine, weights streamed
//! from memory). This product takes one weight row at a time against up to 8
//! input rows held in cache, keeps the 8 dot products in registers, and streams the
//! weights once, in order: 16-21 GB/s at 8 rows, 24-26 GB/s at 2 to 4. At one row gemm is
//! as fast, and past 8 this product would pass over the weights twice. The criterion bench
//! `product_order` compares them. It has a backward pass (plain products), since the
//! policy samples with its trainable weights.

use candle_core::{backend::BackendStorage, CpuStorage, CustomOp2, DType, Layout, Result, Shape};
use candle_core::{Device, Tensor};
use rayon::prelude::*;

/// The row counts [`applies`] accepts: 2 to [`BLOCK`], one pass over the weights.
pub const ROWS: std::ops::RangeInclusive<usize> = 2..=8;

/// Weight rows handed to one rayon task.
const WEIGHT_ROWS_PER_TASK: usize = 48;

/// Whether [`matmul_t`] applies to `x` (`[m, k]`) and `w` (`[n, k]`): the CPU, f32, and a
/// row count in [`ROWS`].
pub fn applies(x: &Tensor, w: &Tensor) -> bool {
    matches!(x.device(), Device::Cpu)
        && x.dtype() == DType::F32
        && w.dtype() == DType::F32
        && x.rank() == 2
        && w.rank() == 2
        && ROWS.contains(&x.dims()[0])
}

/// `x @ w^T` for `x` `[m, k]` and `w` `[n, k]` (a linear layer's weight), differentiable.
/// Meant for `m` in [`ROWS`]; correct for any `m`.
pub fn matmul_t(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&w.contiguous()?, FewRowsMatmul)
}

struct FewRowsMatmul;

impl CustomOp2 for FewRowsMatmul {
    fn name(&self) -> &'static str {
        "stepcoder-few-rows-matmul"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w) = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => (x, w),
            _ => candle_core::bail!(
                "{}: f32 only, got {:?} and {:?}",
                self.name(),
                s1.dtype(),
                s2.dtype()
            ),
        };
        let (&[m, k], &[n, k2]) = (l1.dims(), l2.dims()) else {
            candle_core::bail!("{}: x and w must be matrices", self.name());
        };
        if k != k2 {
            candle_core::bail!("{}: x is [{m}, {k}] but w is [{n}, {k2}]", self.name());
        }
        let (Some((x0, x1)), Some((w0, w1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("{}: inputs must be contiguous", self.name());
        };
        let out = product(&x[x0..x1], &w[w0..w1], m, k, n);
        Ok((CpuStorage::F32(out), Shape::from((m, n))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(grad.matmul(w)?), Some(grad.t()?.matmul(x)?)))
    }
}

/// `[m, n]` = `x [m, k] @ w [n, k]^T`, parallel over blocks of weight rows.
fn product(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    // Each task writes its weight rows' outputs, transposed (`[n, m]`), contiguous.
    let mut out_t = vec![0f32; n * m];
    if m > 0 && n > 0 {
        out_t
            .par_chunks_mut(WEIGHT_ROWS_PER_TASK * m)
            .enumerate()
            .for_each(|(task, out)| {
                let first = task * WEIGHT_ROWS_PER_TASK;
                let rows = out.len() / m;
                let w = &w[first * k..(first + rows) * k];
                block_rows(x, w, m, k, out);
            });
    }
    let mut out = vec![0f32; m * n];
    for (j, col) in out_t.chunks(m.max(1)).enumerate() {
        for (r, v) in col.iter().enumerate() {
            out[r * n + j] = *v;
        }
    }
    out
}

/// `out [rows, m]` = `w [rows, k] @ x [m, k]^T`: one weight row at a time against up to 8
/// input rows, so the weights stream from memory once, in order.
fn block_rows(x: &[f32], w: &[f32], m: usize, k: usize, out: &mut [f32]) {
    for (wr, out) in w.chunks(k).zip(out.chunks_mut(m)) {
        for (xs, out) in x.chunks(BLOCK * k).zip(out.chunks_mut(BLOCK)) {
            dots(xs, wr, k, out);
        }
    }
}

/// Input rows per pass over a weight row: their 8 accumulators, the weight's vector and an
/// input's fit in AVX2's 16 registers.
const BLOCK: usize = 8;

/// `out[b]` = `w · x_b` for up to [`BLOCK`] rows of `x`, each `k` long.
fn dots(x: &[f32], w: &[f32], k: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the features the function is compiled for were just detected.
        unsafe { dots_avx2(x, w, k, out) };
        return;
    }
    dots_portable(x, w, k, out, 0);
}

/// The scalar tail (or the whole product without AVX2) from position `from` on, added to `out`.
fn dots_portable(x: &[f32], w: &[f32], k: usize, out: &mut [f32], from: usize) {
    for (o, xr) in out.iter_mut().zip(x.chunks(k)) {
        *o += w[from..]
            .iter()
            .zip(&xr[from..])
            .map(|(p, q)| p * q)
            .sum::<f32>();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2(x: &[f32], w: &[f32], k: usize, out: &mut [f32]) {
    // SAFETY: every load reads 8 floats at `row * k + i` of `w`'s one row or of one of
    // `x`'s `nx` rows, with `i + 8 <= body <= k`.
    unsafe {
        use std::arch::x86_64::*;
        let nx = (x.len() / k).min(BLOCK);
        let mut acc = [_mm256_setzero_ps(); BLOCK];
        let body = k - k % 8;
        let mut i = 0;
        while i < body {
            let wv = _mm256_loadu_ps(w.as_ptr().add(i));
            for (b, acc) in acc.iter_mut().enumerate().take(nx) {
                *acc = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x.as_ptr().add(b * k + i)), *acc);
            }
            i += 8;
        }
        for (o, v) in out.iter_mut().zip(acc).take(nx) {
            let s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
            let s = _mm_hadd_ps(s, s);
            *o = _mm_cvtss_f32(_mm_hadd_ps(s, s));
        }
        if body < k {
            dots_portable(x, w, k, out, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// The fallback without AVX2 gives the vector path's dot products.
    #[test]
    fn the_portable_dots_match_the_vector_ones() {
        let k = 21;
        let x: Vec<f32> = (0..5 * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let w: Vec<f32> = (0..k).map(|i| (i as f32 * 0.11).cos()).collect();
        let (mut fast, mut plain) = ([0f32; 5], [0f32; 5]);
        dots(&x, &w, k, &mut fast);
        dots_portable(&x, &w, k, &mut plain, 0);
        for (a, b) in fast.iter().zip(plain) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    /// Every row count (including ones outside [`ROWS`], and past [`BLOCK`]) and inner
    /// lengths with and without a tail past the last 8-wide block give the plain product
    /// and its gradients.
    #[test]
    fn matches_the_plain_product_and_its_gradients() {
        let dev = Device::Cpu;
        for (m, k, n) in [
            (1, 8, 5),
            (2, 16, 3),
            (4, 13, 7),
            (5, 64, 100),
            (8, 37, 50),
            (11, 24, 4),
            (17, 19, 9),
        ] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap()).unwrap();
            let w = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap()).unwrap();
            let fast = matmul_t(&x, &w).unwrap();
            let plain = x.matmul(&w.t().unwrap()).unwrap();
            assert_eq!(fast.dims(), &[m, n]);
            let d = crate::testing::max_abs(&(&fast - &plain).unwrap()).unwrap();
            assert!(d < 1e-4, "[{m}, {k}] x [{n}, {k}]^T differs by {d}");
            let probe = Tensor::randn(0f32, 1.0, (m, n), &dev).unwrap();
            let gf = crate::testing::projected_grads(&fast, &probe).unwrap();
            let gp = crate::testing::projected_grads(&plain, &probe).unwrap();
            for v in [&x, &w] {
                let (a, b) = (gf.get(v).unwrap(), gp.get(v).unwrap());
                let d = crate::testing::max_abs(&(a - b).unwrap()).unwrap();
                assert!(d < 1e-4, "[{m}, {k}]: gradient differs by {d}");
            }
        }
    }
}
