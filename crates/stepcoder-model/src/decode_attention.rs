//! Attention of one new token per row over its cached keys and values, fused into one pass,
//! on the CPU in f32.
//!
//! A decoding step attends each row's new token over the positions before it: its own cached
//! ones and, when k samples of a prompt share it, the prompt's keys and values kept once
//! ([`crate::KvCache::share_prefix`]). As tensor operations that is about 25 small
//! operations and 6 small matrix products per layer (scores over the prompt per run of rows,
//! scores over the own positions, a concatenation, a softmax, and the two weighted sums),
//! each with its own allocation and hand-off to the thread pool, for a few megaflops. A
//! profile of sampling 8 rows on 2 prompts of 400 tokens (the default model's shape, 2
//! cores) spent about a fifth of a decoding step there, growing with the prompt; the
//! criterion bench `decode_attention` has one layer at 444 us as tensor operations and
//! 198 us here. Here each (row, key-value head) is one task: for each of its query heads,
//! the scores over the prompt's and the row's own keys (eight keys at a time, reduced
//! together), one softmax over both, and the weighted sum of the values (up to 64 lanes in
//! registers), with no intermediate tensor.
//!
//! Forward only: it serves sampling, whose cache holds keys and values detached from the
//! graph ([`applies`] checks that); a backward through it is an error, not a silent zero.

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Result, Shape, Storage, Tensor};
use rayon::prelude::*;

/// Keys and values of prompts that several rows continue (a shared prefix).
pub struct SharedKeys<'a> {
    /// `[prompts, kv_heads, len, head_dim]`.
    pub keys: &'a Tensor,
    /// `[prompts, kv_heads, len, head_dim]`.
    pub values: &'a Tensor,
    /// Additive `[prompts, 1, 1, len]` (`-inf` over a prompt's left padding).
    pub bias: &'a Tensor,
    /// The prompt each row continues.
    pub prompt_of_row: &'a [usize],
}

/// Whether [`attend`] applies: the CPU, f32, one query position per row (`q` is
/// `[b, heads, 1, head_dim]`), and keys and values that carry no gradient (a sampling cache).
pub fn applies(q: &Tensor, k: &Tensor, v: &Tensor) -> bool {
    matches!(q.device(), Device::Cpu)
        && [q, k, v]
            .iter()
            .all(|t| t.dtype() == DType::F32 && t.rank() == 4)
        && q.dims()[2] == 1
        && !k.track_op()
        && !v.track_op()
}

/// Softmax attention of `q` (`[b, heads, 1, head_dim]`, already scaled) over `k`, `v`
/// (`[b, kv_heads, s, head_dim]`, any strides between rows and heads) with the additive
/// `bias` (`[1 or b, 1, 1, s]`), and jointly (one softmax) over `shared`'s keys when given.
/// Query head `h` reads key-value head `h / (heads / kv_heads)`. Returns `[b, 1, heads,
/// head_dim]`.
pub fn attend(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    shared: Option<SharedKeys<'_>>,
) -> Result<Tensor> {
    attend_with(q, k, v, bias, shared, vector_units())
}

/// [`attend`], with the AVX2 kernels where `vector` (and the head size allows).
fn attend_with(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    shared: Option<SharedKeys<'_>>,
    vector: bool,
) -> Result<Tensor> {
    let (b, heads, t, hd) = q.dims4()?;
    let (kb, kv_heads, s, khd) = k.dims4()?;
    if t != 1 || kb != b || khd != hd || v.dims() != k.dims() || kv_heads == 0 {
        candle_core::bail!(
            "decode attention: q {:?}, k {:?}, v {:?} (one query position per row, keys and values alike)",
            q.dims(),
            k.dims(),
            v.dims()
        );
    }
    if heads % kv_heads != 0 {
        candle_core::bail!("decode attention: {heads} heads over {kv_heads} key-value heads");
    }
    let bias_rows = bias.dim(0)?;
    if bias.dims() != [bias_rows, 1, 1, s] || (bias_rows != 1 && bias_rows != b) {
        candle_core::bail!(
            "decode attention: bias {:?}, expected [1 or {b}, 1, 1, {s}]",
            bias.dims()
        );
    }
    let shared = match shared {
        None => None,
        Some(p) => {
            let (prompts, pkv, plen, phd) = p.keys.dims4()?;
            if p.values.dims() != p.keys.dims()
                || pkv != kv_heads
                || phd != hd
                || p.bias.dims() != [prompts, 1, 1, plen]
                || p.prompt_of_row.len() != b
                || p.prompt_of_row.iter().any(|&x| x >= prompts)
            {
                candle_core::bail!(
                    "decode attention: shared keys {:?}, bias {:?}, prompts of rows {:?} do not fit {b} rows of {kv_heads} key-value heads",
                    p.keys.dims(),
                    p.bias.dims(),
                    p.prompt_of_row
                );
            }
            Some(SharedTensors {
                keys: heads_view(p.keys)?,
                values: heads_view(p.values)?,
                bias: p.bias.detach().contiguous()?,
                prompt_of_row: p.prompt_of_row.to_vec(),
            })
        }
    };
    q.contiguous()?.apply_op1(DecodeAttention {
        keys: heads_view(k)?,
        values: heads_view(v)?,
        bias: bias.detach().contiguous()?,
        shared,
        vector,
    })
}

/// `t` detached, with each `[len, head_dim]` block of a (row, head) contiguous.
fn heads_view(t: &Tensor) -> Result<Tensor> {
    let t = t.detach();
    let (_, _, _, hd) = t.dims4()?;
    let st = t.stride();
    Ok(if st[3] == 1 && st[2] == hd {
        t
    } else {
        t.contiguous()?
    })
}

struct SharedTensors {
    keys: Tensor,
    values: Tensor,
    bias: Tensor,
    prompt_of_row: Vec<usize>,
}

struct DecodeAttention {
    keys: Tensor,
    values: Tensor,
    bias: Tensor,
    shared: Option<SharedTensors>,
    vector: bool,
}

/// A `[n0, n1, len, head_dim]` tensor's storage, read as one contiguous block per `(i0, i1)`.
struct Blocks<'a> {
    data: &'a [f32],
    offset: usize,
    strides: [usize; 2],
    block: usize,
}

impl<'a> Blocks<'a> {
    fn of(data: &'a [f32], layout: &Layout) -> Self {
        let (dims, st) = (layout.dims(), layout.stride());
        Blocks {
            data,
            offset: layout.start_offset(),
            strides: [st[0], st[1]],
            block: dims[2] * dims[3],
        }
    }

    fn get(&self, i0: usize, i1: usize) -> &'a [f32] {
        let start = self.offset + i0 * self.strides[0] + i1 * self.strides[1];
        &self.data[start..start + self.block]
    }
}

fn f32_data<'a>(s: &'a Storage, what: &str) -> Result<&'a [f32]> {
    match s {
        Storage::Cpu(CpuStorage::F32(d)) => Ok(d),
        _ => candle_core::bail!("decode attention: {what} must be f32 on the CPU"),
    }
}

impl CustomOp1 for DecodeAttention {
    fn name(&self) -> &'static str {
        "stepcoder-decode-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(q) = storage else {
            candle_core::bail!("decode attention: q must be f32");
        };
        let Some((q0, q1)) = layout.contiguous_offsets() else {
            candle_core::bail!("decode attention: q must be contiguous");
        };
        let (b, heads, _, hd) = layout.shape().dims4()?;
        let (ks, kl) = self.keys.storage_and_layout();
        let (vs, vl) = self.values.storage_and_layout();
        let (bs, bl) = self.bias.storage_and_layout();
        let kv_heads = kl.dims()[1];
        let own = Keys {
            keys: Blocks::of(f32_data(&ks, "the keys")?, kl),
            values: Blocks::of(f32_data(&vs, "the values")?, vl),
            bias: contiguous(f32_data(&bs, "the bias")?, bl)?,
            len: kl.dims()[2],
        };
        let guards = self.shared.as_ref().map(|p| {
            (
                p.keys.storage_and_layout(),
                p.values.storage_and_layout(),
                p.bias.storage_and_layout(),
            )
        });
        let prefix = match (&self.shared, &guards) {
            (Some(p), Some(((ks, kl), (vs, vl), (bs, bl)))) => Some((
                Keys {
                    keys: Blocks::of(f32_data(ks, "the shared keys")?, kl),
                    values: Blocks::of(f32_data(vs, "the shared values")?, vl),
                    bias: contiguous(f32_data(bs, "the shared bias")?, bl)?,
                    len: kl.dims()[2],
                },
                p.prompt_of_row.as_slice(),
            )),
            _ => None,
        };
        let job = Job {
            q: &q[q0..q1],
            heads,
            kv_heads,
            hd,
            own,
            prefix,
        };
        let mut out = vec![0f32; b * heads * hd];
        job.run(&mut out, self.vector);
        Ok((CpuStorage::F32(out), Shape::from((b, 1, heads, hd))))
    }
}

fn contiguous<'a>(data: &'a [f32], layout: &Layout) -> Result<&'a [f32]> {
    match layout.contiguous_offsets() {
        Some((a, z)) => Ok(&data[a..z]),
        None => candle_core::bail!("decode attention: the bias must be contiguous"),
    }
}

/// Whether this CPU runs the AVX2 + FMA build of a task.
fn vector_units() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Keys and values of one kind (a row's own, or the prompts'), with their additive bias.
struct Keys<'a> {
    keys: Blocks<'a>,
    values: Blocks<'a>,
    /// `[1 or rows, len]` for the own keys, `[prompts, len]` for the prompts'.
    bias: &'a [f32],
    len: usize,
}

impl Keys<'_> {
    fn bias_of(&self, i: usize) -> &[f32] {
        let rows = self.bias.len() / self.len.max(1);
        let i = if rows == 1 { 0 } else { i };
        &self.bias[i * self.len..(i + 1) * self.len]
    }
}

struct Job<'a> {
    /// `[b, heads, head_dim]`.
    q: &'a [f32],
    heads: usize,
    kv_heads: usize,
    hd: usize,
    own: Keys<'a>,
    /// The prompts' keys and the prompt of each row.
    prefix: Option<(Keys<'a>, &'a [usize])>,
}

impl Job<'_> {
    /// Fills `out` (`[b, heads, head_dim]`), one task per (row, key-value head).
    fn run(&self, out: &mut [f32], vector: bool) {
        let rep = self.heads / self.kv_heads;
        let vector = vector && self.hd.is_multiple_of(8);
        out.par_chunks_mut(rep * self.hd)
            .enumerate()
            .for_each(|(task, out)| {
                let (row, g) = (task / self.kv_heads, task % self.kv_heads);
                self.task(row, g, out, vector);
            });
    }

    /// The `rep` query heads of row `row` that read key-value head `g`, into `out`
    /// (`[rep, head_dim]`).
    fn task(&self, row: usize, g: usize, out: &mut [f32], vector: bool) {
        let (hd, rep) = (self.hd, self.heads / self.kv_heads);
        let first = (row * self.heads + g * rep) * hd;
        let queries = &self.q[first..first + rep * hd];
        // The (keys, values, bias) this row attends to: its prompt's first, then its own.
        let prefix = self.prefix.as_ref().map(|(keys, prompt_of_row)| {
            let p = prompt_of_row[row];
            (keys.keys.get(p, g), keys.values.get(p, g), keys.bias_of(p))
        });
        let own = (
            self.own.keys.get(row, g),
            self.own.values.get(row, g),
            self.own.bias_of(row),
        );
        let parts = prefix.into_iter().chain(std::iter::once(own));
        let n: usize = parts.clone().map(|(_, _, bias)| bias.len()).sum();
        // One query's scores over all the keys, then its softmax weights.
        let mut weights = vec![0f32; n];
        for (query, out) in queries.chunks_exact(hd).zip(out.chunks_exact_mut(hd)) {
            let mut at = 0;
            for (keys, _, bias) in parts.clone() {
                scores(query, keys, bias, &mut weights[at..at + bias.len()], vector);
                at += bias.len();
            }
            let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for w in weights.iter_mut() {
                *w = (*w - max).exp();
                sum += *w;
            }
            let inv = 1.0 / sum;
            weights.iter_mut().for_each(|w| *w *= inv);
            out.fill(0.0);
            let mut at = 0;
            for (_, values, bias) in parts.clone() {
                weighted_sum(&weights[at..at + bias.len()], values, out, vector);
                at += bias.len();
            }
        }
    }
}

/// `out[i]` = `query · keys[i] + bias[i]` for the `bias.len()` keys (`[n, head_dim]`).
fn scores(query: &[f32], keys: &[f32], bias: &[f32], out: &mut [f32], vector: bool) {
    #[cfg(target_arch = "x86_64")]
    if vector {
        // SAFETY: `vector` is set only where AVX2 and FMA were detected and `head_dim` is a
        // multiple of 8.
        unsafe { scores_avx2(query, keys, bias, out) };
        return;
    }
    let _ = vector;
    scores_portable(query, keys, bias, out, 0);
}

/// [`scores`] from key `from` on, without vector instructions.
fn scores_portable(query: &[f32], keys: &[f32], bias: &[f32], out: &mut [f32], from: usize) {
    let hd = query.len();
    for i in from..bias.len() {
        let key = &keys[i * hd..(i + 1) * hd];
        out[i] = query.iter().zip(key).map(|(a, b)| a * b).sum::<f32>() + bias[i];
    }
}

/// `out += sum_i weights[i] * values[i]` over the values (`[n, head_dim]`).
fn weighted_sum(weights: &[f32], values: &[f32], out: &mut [f32], vector: bool) {
    #[cfg(target_arch = "x86_64")]
    if vector {
        // SAFETY: as in `scores`.
        unsafe { weighted_sum_avx2(weights, values, out) };
        return;
    }
    let _ = vector;
    let hd = out.len();
    for (value, &w) in values.chunks_exact(hd).zip(weights) {
        for (o, x) in out.iter_mut().zip(value) {
            *o += w * x;
        }
    }
}

/// Eight keys at a time: eight accumulators, reduced together into one vector of scores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scores_avx2(query: &[f32], keys: &[f32], bias: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let (hd, n) = (query.len(), bias.len());
    assert!(hd % 8 == 0 && keys.len() >= n * hd && out.len() >= n);
    let body = n - n % 8;
    // SAFETY: the loads read `query[c..c + 8]` and `keys[(i + k) * hd + c..][..8]` with
    // `c + 8 <= hd` and `i + k < body <= n`, the bias load and the store `[i..i + 8]` with
    // `i + 8 <= body`; the lengths were asserted above.
    unsafe {
        let mut i = 0;
        while i < body {
            let mut acc = [_mm256_setzero_ps(); 8];
            let mut c = 0;
            while c < hd {
                let q = _mm256_loadu_ps(query.as_ptr().add(c));
                for (k, acc) in acc.iter_mut().enumerate() {
                    let key = _mm256_loadu_ps(keys.as_ptr().add((i + k) * hd + c));
                    *acc = _mm256_fmadd_ps(q, key, *acc);
                }
                c += 8;
            }
            // Lane k of the result is the sum of accumulator k's lanes.
            let t0 = _mm256_hadd_ps(acc[0], acc[1]);
            let t1 = _mm256_hadd_ps(acc[2], acc[3]);
            let t2 = _mm256_hadd_ps(acc[4], acc[5]);
            let t3 = _mm256_hadd_ps(acc[6], acc[7]);
            let (u0, u1) = (_mm256_hadd_ps(t0, t1), _mm256_hadd_ps(t2, t3));
            let sums = _mm256_add_ps(
                _mm256_permute2f128_ps(u0, u1, 0x20),
                _mm256_permute2f128_ps(u0, u1, 0x31),
            );
            let b = _mm256_loadu_ps(bias.as_ptr().add(i));
            _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_add_ps(sums, b));
            i += 8;
        }
    }
    scores_portable(query, keys, bias, out, body);
}

/// Up to 64 output lanes at a time in eight registers, across all the values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weighted_sum_avx2(weights: &[f32], values: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let hd = out.len();
    assert!(hd.is_multiple_of(8) && values.len() >= weights.len() * hd);
    // SAFETY: every load and store covers `[start + 8 * c..][..8]` of `out` or of one value
    // row, with `start + 8 * c + 8 <= start + 8 * lanes <= hd`.
    unsafe {
        for start in (0..hd).step_by(64) {
            let lanes = (hd - start).min(64) / 8;
            let mut acc = [_mm256_setzero_ps(); 8];
            for (c, acc) in acc.iter_mut().enumerate().take(lanes) {
                *acc = _mm256_loadu_ps(out.as_ptr().add(start + 8 * c));
            }
            for (i, &w) in weights.iter().enumerate() {
                let w = _mm256_set1_ps(w);
                let row = values.as_ptr().add(i * hd + start);
                for (c, acc) in acc.iter_mut().enumerate().take(lanes) {
                    *acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(row.add(8 * c)), *acc);
                }
            }
            for (c, acc) in acc.iter().enumerate().take(lanes) {
                _mm256_storeu_ps(out.as_mut_ptr().add(start + 8 * c), *acc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// Attention written out per query head, in plain loops: the definition.
    fn reference(
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        bias: &Tensor,
        shared: Option<(&Tensor, &Tensor, &Tensor, &[usize])>,
    ) -> Vec<f32> {
        let (_, heads, _, hd) = q.dims4().unwrap();
        let kv_heads = k.dim(1).unwrap();
        let q = q.squeeze(2).unwrap().to_vec3::<f32>().unwrap();
        let (k, v) = (k.to_vec3_rows(), v.to_vec3_rows());
        let bias = bias.flatten_from(1).unwrap().to_vec2::<f32>().unwrap();
        let shared = shared.map(|(pk, pv, pb, rows)| {
            (
                pk.to_vec3_rows(),
                pv.to_vec3_rows(),
                pb.flatten_from(1).unwrap().to_vec2::<f32>().unwrap(),
                rows,
            )
        });
        let mut out = Vec::new();
        for (r, q) in q.iter().enumerate() {
            for (h, query) in q.iter().enumerate() {
                let g = h / (heads / kv_heads);
                let mut keys: Vec<(&[f32], &[f32], f32)> = Vec::new();
                if let Some((pk, pv, pb, rows)) = &shared {
                    let p = rows[r];
                    for i in 0..pb[p].len() {
                        keys.push((
                            &pk[p][g][i * hd..][..hd],
                            &pv[p][g][i * hd..][..hd],
                            pb[p][i],
                        ));
                    }
                }
                let br = if bias.len() == 1 { 0 } else { r };
                for i in 0..bias[br].len() {
                    keys.push((
                        &k[r][g][i * hd..][..hd],
                        &v[r][g][i * hd..][..hd],
                        bias[br][i],
                    ));
                }
                let s: Vec<f32> = keys
                    .iter()
                    .map(|(key, _, b)| query.iter().zip(*key).map(|(a, c)| a * c).sum::<f32>() + b)
                    .collect();
                let m = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = s.iter().map(|x| (x - m).exp()).collect();
                let z: f32 = e.iter().sum();
                for d in 0..hd {
                    out.push(
                        keys.iter()
                            .zip(&e)
                            .map(|((_, val, _), w)| w * val[d])
                            .sum::<f32>()
                            / z,
                    );
                }
            }
        }
        out
    }

    trait Rows {
        /// `[n0, n1, len, hd]` as `[n0][n1][len * hd]`.
        fn to_vec3_rows(&self) -> Vec<Vec<Vec<f32>>>;
    }

    impl Rows for Tensor {
        fn to_vec3_rows(&self) -> Vec<Vec<Vec<f32>>> {
            self.flatten_from(2).unwrap().to_vec3::<f32>().unwrap()
        }
    }

    /// Both kernels (and the tensor operations they replace) give the definition: grouped query heads, a shared prefix of two prompts
    /// with left padding, own keys read from a larger buffer (a sampling cache's spare
    /// capacity), one bias row per row or one for all, key counts that are not a multiple of
    /// 8, and head sizes with and without the vector path.
    #[test]
    fn matches_attention_written_out() {
        let dev = Device::Cpu;
        let randn = |shape: &[usize]| Tensor::randn(0f32, 1.0, shape, &dev).unwrap();
        for (hd, plen, s, per_row_bias) in [(64, 13, 5, false), (8, 0, 17, true), (12, 9, 3, true)]
        {
            let (b, heads, kv_heads) = (5, 6, 2);
            let q = randn(&[b, heads, 1, hd]);
            // A buffer with spare positions, of which the first `s` are filled.
            let k = randn(&[b, kv_heads, s + 7, hd]).narrow(2, 0, s).unwrap();
            let v = randn(&[b, kv_heads, s + 7, hd]).narrow(2, 0, s).unwrap();
            let bias_rows = if per_row_bias { b } else { 1 };
            let mut bias = vec![0f32; bias_rows * s];
            bias[0] = f32::NEG_INFINITY; // padding in row 0's first own position
            let bias = Tensor::from_vec(bias, (bias_rows, 1, 1, s), &dev).unwrap();
            let (pk, pv) = (
                randn(&[2, kv_heads, plen, hd]),
                randn(&[2, kv_heads, plen, hd]),
            );
            let mut pb = vec![0f32; 2 * plen];
            if plen > 2 {
                pb[plen] = f32::NEG_INFINITY; // prompt 1 is left-padded by two
                pb[plen + 1] = f32::NEG_INFINITY;
            }
            let pb = Tensor::from_vec(pb, (2, 1, 1, plen), &dev).unwrap();
            let rows = [0usize, 0, 0, 1, 1];
            let shared = (plen > 0).then_some((&pk, &pv, &pb, &rows[..]));
            let want = reference(&q, &k, &v, &bias, shared);
            let keys_of = || {
                shared.map(|(keys, values, bias, prompt_of_row)| SharedKeys {
                    keys,
                    values,
                    bias,
                    prompt_of_row,
                })
            };
            // The tensor operations sampling ran before this kernel agree with the definition.
            let composed = crate::model::composed_decode_attention(&q, &k, &v, &bias, keys_of())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let d = composed
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(
                d < 1e-5,
                "head size {hd}: the tensor operations differ by {d}"
            );
            for vector in [false, true] {
                let got = attend_with(&q, &k, &v, &bias, keys_of(), vector).unwrap();
                assert_eq!(got.dims(), &[b, 1, heads, hd]);
                let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let d = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(d < 1e-5, "head size {hd}, vector {vector}: differs by {d}");
            }
        }
    }

    /// A gradient asked through it is an error, not a silent zero.
    #[test]
    fn a_backward_through_it_is_an_error() {
        let dev = Device::Cpu;
        let q = Var::from_tensor(&Tensor::randn(0f32, 1.0, (1, 2, 1, 8), &dev).unwrap()).unwrap();
        let k = Tensor::randn(0f32, 1.0, (1, 1, 3, 8), &dev).unwrap();
        let bias = Tensor::zeros((1, 1, 1, 3), DType::F32, &dev).unwrap();
        assert!(applies(&q, &k, &k));
        let y = attend(&q, &k, &k, &bias, None).unwrap();
        assert!(y.sum_all().unwrap().backward().is_err());
    }
}
