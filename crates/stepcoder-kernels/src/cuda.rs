//! CUDA launches of the kernels in `kernels/*.cu` (PTX checked in under `ptx/`).

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::driver::{CudaView, LaunchConfig, PushKernelArg};
use candle_core::cuda_backend::{CudaDType, WrapErr};
use candle_core::{CudaStorage, DType, Layout, Result, Shape};

use crate::{PTX_GAE, PTX_LOGPROB, PTX_PPO_LOSS};

/// The contiguous view of a storage described by `layout`.
fn view<'a, T: CudaDType>(s: &'a CudaStorage, l: &Layout, op: &str) -> Result<CudaView<'a, T>> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(s.as_cuda_slice::<T>()?.slice(a..b)),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

fn i32_arg(v: usize, what: &str) -> Result<i32> {
    i32::try_from(v).map_err(|_| candle_core::Error::Msg(format!("{what} = {v} exceeds i32")))
}

/// One block per row: 32..=1024 threads, a multiple of the warp size.
fn row_config(rows: usize, vocab: usize) -> Result<LaunchConfig> {
    let threads = vocab.next_multiple_of(32).clamp(32, 1024) as u32;
    let rows = u32::try_from(rows)
        .map_err(|_| candle_core::Error::Msg(format!("{rows} rows exceed the grid limit")))?;
    Ok(LaunchConfig {
        grid_dim: (rows.max(1), 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    })
}

fn dtype_suffix(dtype: DType, op: &str) -> Result<&'static str> {
    Ok(match dtype {
        DType::F32 => "f32",
        DType::BF16 => "bf16",
        DType::F16 => "f16",
        other => candle_core::bail!("{op}: no CUDA kernel for logits of dtype {other:?}"),
    })
}

pub(crate) fn logprob_fwd(
    s1: &CudaStorage,
    l1: &Layout,
    s2: &CudaStorage,
    l2: &Layout,
) -> Result<(CudaStorage, Shape)> {
    const OP: &str = "logprob-gather";
    let dev = s1.device().clone();
    let vocab = *l1.shape().dims().last().unwrap_or(&0);
    let rows = l2.shape().elem_count();
    if rows == 0 || vocab == 0 {
        let out = dev.alloc_zeros::<f32>(rows)?;
        return Ok((CudaStorage::wrap_cuda_slice(out, dev), l2.shape().clone()));
    }
    let ids = view::<u32>(s2, l2, OP)?;
    let name = format!("logprob_fwd_{}", dtype_suffix(s1.dtype(), OP)?);
    let f = dev.get_or_load_custom_func(&name, "stepcoder_logprob", PTX_LOGPROB)?;
    let out = dev.alloc_zeros::<f32>(rows)?;
    let vocab_i = i32_arg(vocab, "vocabulary size")?;
    let cfg = row_config(rows, vocab)?;
    macro_rules! launch {
        ($t:ty) => {{
            let logits = view::<$t>(s1, l1, OP)?;
            let mut b = f.builder();
            b.arg(&logits);
            b.arg(&ids);
            b.arg(&out);
            b.arg(&vocab_i);
            // SAFETY: the kernel reads rows * vocab logits and rows ids, writes rows floats.
            unsafe { b.launch(cfg) }.w()?;
        }};
    }
    match s1.dtype() {
        DType::F32 => launch!(f32),
        DType::BF16 => launch!(half::bf16),
        DType::F16 => launch!(half::f16),
        other => candle_core::bail!("{OP}: no CUDA kernel for {other:?}"),
    }
    Ok((CudaStorage::wrap_cuda_slice(out, dev), l2.shape().clone()))
}

pub(crate) fn logprob_bwd(
    s1: &CudaStorage,
    l1: &Layout,
    s2: &CudaStorage,
    l2: &Layout,
    s3: &CudaStorage,
    l3: &Layout,
) -> Result<(CudaStorage, Shape)> {
    const OP: &str = "logprob-gather-bwd";
    let dev = s1.device().clone();
    let vocab = *l1.shape().dims().last().unwrap_or(&0);
    let rows = l2.shape().elem_count();
    let ids = view::<u32>(s2, l2, OP)?;
    let grad = view::<f32>(s3, l3, OP)?;
    let name = format!("logprob_bwd_{}", dtype_suffix(s1.dtype(), OP)?);
    let f = dev.get_or_load_custom_func(&name, "stepcoder_logprob", PTX_LOGPROB)?;
    let vocab_i = i32_arg(vocab, "vocabulary size")?;
    let cfg = row_config(rows, vocab)?;
    macro_rules! launch {
        ($t:ty) => {{
            let logits = view::<$t>(s1, l1, OP)?;
            let out = dev.alloc_zeros::<$t>(rows * vocab)?;
            if rows > 0 && vocab > 0 {
                let mut b = f.builder();
                b.arg(&logits);
                b.arg(&ids);
                b.arg(&grad);
                b.arg(&out);
                b.arg(&vocab_i);
                // SAFETY: reads rows * vocab logits, rows ids and grads; writes rows * vocab.
                unsafe { b.launch(cfg) }.w()?;
            }
            CudaStorage::wrap_cuda_slice(out, dev.clone())
        }};
    }
    let out = match s1.dtype() {
        DType::F32 => launch!(f32),
        DType::BF16 => launch!(half::bf16),
        DType::F16 => launch!(half::f16),
        other => candle_core::bail!("{OP}: no CUDA kernel for {other:?}"),
    };
    Ok((out, l1.shape().clone()))
}

const REDUCE_THREADS: u32 = 1024;

pub(crate) fn ppo_loss_fwd(
    eps: f32,
    s1: &CudaStorage,
    l1: &Layout,
    s2: &CudaStorage,
    l2: &Layout,
) -> Result<(CudaStorage, Shape)> {
    const OP: &str = "ppo-policy-loss";
    let dev = s1.device().clone();
    let n = l1.shape().elem_count();
    if l2.shape().elem_count() != 3 * n {
        candle_core::bail!("{OP}: aux must hold 3 x {n} values");
    }
    let logp = view::<f32>(s1, l1, OP)?;
    let aux = view::<f32>(s2, l2, OP)?;
    let out = dev.alloc_zeros::<f32>(1)?;
    let f = dev.get_or_load_custom_func("ppo_loss_fwd_f32", "stepcoder_ppo_loss", PTX_PPO_LOSS)?;
    let n_i = i32_arg(n, "token count")?;
    let cfg = LaunchConfig {
        grid_dim: (1, 1, 1),
        block_dim: (REDUCE_THREADS, 1, 1),
        shared_mem_bytes: 0,
    };
    let mut b = f.builder();
    b.arg(&logp);
    b.arg(&aux);
    b.arg(&out);
    b.arg(&n_i);
    b.arg(&eps);
    // SAFETY: reads n logp and 3n aux floats, writes one float.
    unsafe { b.launch(cfg) }.w()?;
    Ok((CudaStorage::wrap_cuda_slice(out, dev), Shape::from(())))
}

pub(crate) fn ppo_loss_bwd(
    eps: f32,
    s1: &CudaStorage,
    l1: &Layout,
    s2: &CudaStorage,
    l2: &Layout,
    s3: &CudaStorage,
    l3: &Layout,
) -> Result<(CudaStorage, Shape)> {
    const OP: &str = "ppo-policy-loss-bwd";
    let dev = s1.device().clone();
    let n = l1.shape().elem_count();
    if l2.shape().elem_count() != 3 * n || l3.shape().elem_count() != 1 {
        candle_core::bail!("{OP}: aux must hold 3 x {n} values and the gradient one");
    }
    let logp = view::<f32>(s1, l1, OP)?;
    let aux = view::<f32>(s2, l2, OP)?;
    let g = view::<f32>(s3, l3, OP)?;
    let out = dev.alloc_zeros::<f32>(n)?;
    let f = dev.get_or_load_custom_func("ppo_loss_bwd_f32", "stepcoder_ppo_loss", PTX_PPO_LOSS)?;
    let n_i = i32_arg(n, "token count")?;
    let cfg = LaunchConfig {
        grid_dim: (1, 1, 1),
        block_dim: (REDUCE_THREADS, 1, 1),
        shared_mem_bytes: 0,
    };
    let mut b = f.builder();
    b.arg(&logp);
    b.arg(&aux);
    b.arg(&g);
    b.arg(&out);
    b.arg(&n_i);
    b.arg(&eps);
    // SAFETY: reads n logp, 3n aux floats and one gradient, writes n floats.
    unsafe { b.launch(cfg) }.w()?;
    Ok((CudaStorage::wrap_cuda_slice(out, dev), l1.shape().clone()))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn gae_fwd(
    gamma: f32,
    lambda: f32,
    s1: &CudaStorage,
    l1: &Layout,
    s2: &CudaStorage,
    l2: &Layout,
    s3: &CudaStorage,
    l3: &Layout,
) -> Result<(CudaStorage, Shape)> {
    const OP: &str = "gae";
    let dev = s1.device().clone();
    let (rows, t) = l1.shape().dims2()?;
    let r = view::<f32>(s1, l1, OP)?;
    let v = view::<f32>(s2, l2, OP)?;
    let m = view::<f32>(s3, l3, OP)?;
    let out = dev.alloc_zeros::<f32>(rows * t)?;
    if rows > 0 && t > 0 {
        let f = dev.get_or_load_custom_func("gae_f32", "stepcoder_gae", PTX_GAE)?;
        let rows_i = i32_arg(rows, "rows")?;
        let t_i = i32_arg(t, "sequence length")?;
        let threads = 128u32;
        let cfg = LaunchConfig {
            grid_dim: ((rows as u32).div_ceil(threads), 1, 1),
            block_dim: (threads, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = f.builder();
        b.arg(&r);
        b.arg(&v);
        b.arg(&m);
        b.arg(&out);
        b.arg(&rows_i);
        b.arg(&t_i);
        b.arg(&gamma);
        b.arg(&lambda);
        // SAFETY: reads and writes rows * t floats.
        unsafe { b.launch(cfg) }.w()?;
    }
    Ok((CudaStorage::wrap_cuda_slice(out, dev), l1.shape().clone()))
}
