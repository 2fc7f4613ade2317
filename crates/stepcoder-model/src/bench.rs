//! Throughput measurements shared by `stepcoder bench model`, `stepcoder bench ppo-step` and
//! the criterion bench: train tokens/s (forward + backward + AdamW step), sampling tokens/s
//! (KV cache), and one PPO step (batched sampling, then the training pass) on any device.

use crate::config::Config;
use crate::generate::{generate, SamplingConfig};
use crate::model::CausalLm;
use crate::optim::{AdamW, AdamWConfig, Gradients, ParamGroup};
use crate::Result;
use candle_core::{DType, Device, Tensor};
use serde::Serialize;
use std::time::Instant;

/// A model shape and batch to measure.
#[derive(Debug, Clone)]
pub struct BenchShape {
    pub name: String,
    pub config: Config,
    pub batch: usize,
    pub seq: usize,
}

impl BenchShape {
    /// The 7M-parameter Llama shape: hidden 256, 4 layers, 8 heads, vocab 8192, batch 8 x 256.
    pub fn llama_7m() -> Self {
        let mut c = Config::tiny_llama(8192, 256, 4, 8, 8);
        c.intermediate_size = 688;
        BenchShape {
            name: "llama_7m".into(),
            config: c,
            batch: 8,
            seq: 256,
        }
    }

    /// SmolLM2-135M, batch 4 x 256.
    pub fn smollm2_135m() -> Self {
        BenchShape {
            name: "smollm2_135m".into(),
            config: Config::smollm2_135m(),
            batch: 4,
            seq: 256,
        }
    }
}

/// Measured figures for one shape.
#[derive(Debug, Clone, Serialize)]
pub struct BenchFigures {
    pub params: usize,
    pub batch: usize,
    pub seq: usize,
    pub train_tokens_per_s: f64,
    pub sample_tokens_per_s: f64,
    pub train_step_s: f64,
    pub sample_new_tokens: usize,
}

fn token_batch(b: usize, t: usize, vocab: usize, salt: usize, dev: &Device) -> Result<Tensor> {
    let ids: Vec<u32> = (0..b * t)
        .map(|i| ((i * 2_654_435_761 + salt * 97 + 7) % vocab) as u32)
        .collect();
    Ok(Tensor::from_vec(ids, (b, t), dev)?)
}

pub use crate::model::composed_decode_attention;

/// One next-token cross-entropy loss on `(b, t)` ids.
pub fn lm_loss(model: &CausalLm, ids: &Tensor) -> Result<Tensor> {
    let t = ids.dim(1)?;
    // Project only the positions that predict something.
    let hidden = model.forward_hidden(ids, None, None)?.narrow(1, 0, t - 1)?;
    let logits = model.logits(&hidden)?;
    let lp = CausalLm::token_log_probs(&logits, &ids.narrow(1, 1, t - 1)?)?;
    Ok(lp.mean_all()?.neg()?)
}

/// The learning rate of the benchmark's AdamW steps (PyTorch side: the same; speed does not
/// depend on it).
pub const BENCH_LR: f64 = 1e-4;

/// The trainer's optimizer ([`AdamW`], the one `stepcoder train` and `stepcoder sft` step)
/// over every weight of `model`, with PyTorch's AdamW defaults (betas 0.9 / 0.999, eps 1e-8,
/// weight decay 0.01) as the PyTorch side of `stepcoder bench model` uses them.
pub fn bench_optimizer(model: &CausalLm) -> Result<AdamW> {
    let cfg = AdamWConfig {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
    };
    AdamW::new(vec![ParamGroup::from_varmap("model", model.varmap())?], cfg)
}

/// One train step as the trainer takes it: backward from [`lm_loss`], the gradients picked
/// per parameter ([`Gradients::from_store`]), one fused AdamW update at [`BENCH_LR`].
pub fn train_step(model: &CausalLm, opt: &mut AdamW, ids: &Tensor) -> Result<()> {
    let store = lm_loss(model, ids)?.backward()?;
    let grads = Gradients::from_store(&store, opt.groups())?;
    opt.step(&grads, &[BENCH_LR])
}

/// Train tokens/s on the CPU in f32: `steps` timed steps after one warm-up step. Returns
/// (tokens/s, s per step).
pub fn train_throughput(shape: &BenchShape, steps: usize) -> Result<(f64, f64)> {
    train_throughput_on(shape, steps, &Device::Cpu, DType::F32)
}

/// [`train_throughput`] on `dev`, the forward in `compute` over f32 master weights.
pub fn train_throughput_on(
    shape: &BenchShape,
    steps: usize,
    dev: &Device,
    compute: DType,
) -> Result<(f64, f64)> {
    let mut model = CausalLm::random(shape.config.clone(), DType::F32, dev, 1)?;
    model.set_compute_dtype(compute)?;
    let mut opt = bench_optimizer(&model)?;
    let ids = token_batch(shape.batch, shape.seq, shape.config.vocab_size, 0, dev)?;
    train_step(&model, &mut opt, &ids)?;
    dev.synchronize()?;
    let t0 = Instant::now();
    for _ in 0..steps.max(1) {
        train_step(&model, &mut opt, &ids)?;
    }
    dev.synchronize()?;
    let per_step = t0.elapsed().as_secs_f64() / steps.max(1) as f64;
    Ok(((shape.batch * shape.seq) as f64 / per_step, per_step))
}

/// Sampling tokens/s on the CPU in f32: batch rows, a prompt of `seq - new_tokens` tokens,
/// `new_tokens` sampled (temperature 1, no early stop); counts new tokens only.
pub fn sample_throughput(shape: &BenchShape, new_tokens: usize) -> Result<f64> {
    sample_throughput_on(shape, new_tokens, &Device::Cpu, DType::F32)
}

/// [`sample_throughput`] on `dev`, weights stored and computing in `compute`.
pub fn sample_throughput_on(
    shape: &BenchShape,
    new_tokens: usize,
    dev: &Device,
    compute: DType,
) -> Result<f64> {
    let model =
        CausalLm::random(shape.config.clone(), DType::F32, dev, 2)?.copy_with(false, compute)?;
    let prompt_len = shape.seq.saturating_sub(new_tokens).max(1);
    let prompts: Vec<Vec<u32>> = (0..shape.batch)
        .map(|r| {
            (0..prompt_len)
                .map(|i| ((i * 31 + r * 17 + 3) % shape.config.vocab_size) as u32)
                .collect()
        })
        .collect();
    let cfg = SamplingConfig {
        max_new_tokens: new_tokens,
        temperature: 1.0,
        seed: 7,
        eos_ids: vec![u32::MAX],
        ..Default::default()
    };
    let t0 = Instant::now();
    let out = generate(&model, None, &prompts, &cfg)?;
    let n: usize = out.iter().map(|c| c.token_ids.len()).sum();
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

/// Measure both figures for a shape (CPU, f32).
pub fn measure(shape: &BenchShape, train_steps: usize, new_tokens: usize) -> Result<BenchFigures> {
    measure_on(shape, train_steps, new_tokens, &Device::Cpu, DType::F32)
}

/// [`measure`] on `dev`, the forward in `compute` (f32 master weights for training).
pub fn measure_on(
    shape: &BenchShape,
    train_steps: usize,
    new_tokens: usize,
    dev: &Device,
    compute: DType,
) -> Result<BenchFigures> {
    crate::optim::tune_allocator();
    let (train, step) = train_throughput_on(shape, train_steps, dev, compute)?;
    let sample = sample_throughput_on(shape, new_tokens, dev, compute)?;
    Ok(BenchFigures {
        params: shape.config.num_parameters(),
        batch: shape.batch,
        seq: shape.seq,
        train_tokens_per_s: train,
        sample_tokens_per_s: sample,
        train_step_s: step,
        sample_new_tokens: new_tokens,
    })
}

/// The shape of one PPO step: a model, `rows` rollouts of `new_tokens` tokens after a prompt
/// of `prompt_len` tokens.
#[derive(Debug, Clone)]
pub struct PpoStepShape {
    pub name: String,
    pub config: Config,
    pub rows: usize,
    pub prompt_len: usize,
    pub new_tokens: usize,
}

impl PpoStepShape {
    /// Qwen2.5-0.5B (494M parameters, vocabulary 151936), 16 rows of 128 tokens after
    /// 256-token prompts: a GPU-sized step.
    pub fn qwen2_5_0_5b() -> Self {
        PpoStepShape {
            name: "qwen2_5_0_5b".into(),
            config: Config::qwen2_5_0_5b(),
            rows: 16,
            prompt_len: 256,
            new_tokens: 128,
        }
    }

    /// SmolLM2-135M (the default model's shape), 8 rows of 128 tokens after 256.
    pub fn smollm2_135m() -> Self {
        PpoStepShape {
            name: "smollm2_135m".into(),
            config: Config::smollm2_135m(),
            rows: 8,
            prompt_len: 256,
            new_tokens: 128,
        }
    }

    /// A tiny Llama (tests and CPU dry runs): 4 rows of 16 tokens after 32.
    pub fn tiny() -> Self {
        PpoStepShape {
            name: "tiny".into(),
            config: Config::tiny_llama(512, 64, 2, 4, 2),
            rows: 4,
            prompt_len: 32,
            new_tokens: 16,
        }
    }

    /// A shape by name: `qwen2_5_0_5b`, `smollm2_135m`, `tiny`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "qwen2_5_0_5b" => Some(Self::qwen2_5_0_5b()),
            "smollm2_135m" => Some(Self::smollm2_135m()),
            "tiny" => Some(Self::tiny()),
            _ => None,
        }
    }
}

/// Seconds of each phase of a PPO step (means over the timed steps).
#[derive(Debug, Clone, Serialize)]
pub struct PpoStepFigures {
    pub shape: String,
    pub params: usize,
    pub rows: usize,
    pub prompt_len: usize,
    pub new_tokens: usize,
    pub device: String,
    pub compute_dtype: String,
    pub steps: usize,
    /// Casting the policy to the sampling dtype (mixed precision only), then sampling every
    /// row's `new_tokens` (KV cache, prompts prefilled together).
    pub generation_s: f64,
    /// Forward over prompt + completion, the completion's log-probs, the PPO loss.
    pub forward_s: f64,
    pub backward_s: f64,
    pub optimizer_s: f64,
    /// `forward_s + backward_s + optimizer_s`.
    pub train_s: f64,
    /// `generation_s + train_s`.
    pub step_s: f64,
    pub sample_tokens_per_s: f64,
    pub train_tokens_per_s: f64,
    /// The PPO loss of the last step (finite, a sanity check).
    pub loss: f64,
}

/// One PPO step as the trainer takes it, `steps` times after a warm-up step, on `dev` with the
/// forward in `compute` over f32 master weights (the trainer's AdamW): sample `rows`
/// completions (temperature 1, no early stop; from a `compute` copy of the policy, as the
/// trainer does under mixed precision), then the training pass: the forward over prompt and
/// completion, the completion tokens' log-probs (the fused kernel), the masked clipped PPO
/// loss (the fused kernel) against fixed advantages, the backward and the AdamW update.
/// The same step as `benches/torch_ppo_step.py`.
pub fn ppo_step(
    shape: &PpoStepShape,
    steps: usize,
    dev: &Device,
    compute: DType,
) -> Result<PpoStepFigures> {
    crate::optim::tune_allocator();
    let cfg = &shape.config;
    let mut model = CausalLm::random(cfg.clone(), DType::F32, dev, 3)?;
    model.set_compute_dtype(compute)?;
    let mut opt = bench_optimizer(&model)?;
    let (rows, p, n) = (shape.rows, shape.prompt_len.max(1), shape.new_tokens.max(1));
    let prompts: Vec<Vec<u32>> = (0..rows)
        .map(|r| {
            (0..p)
                .map(|i| ((i * 31 + r * 17 + 3) % cfg.vocab_size) as u32)
                .collect()
        })
        .collect();
    let adv: Vec<f32> = (0..rows * n)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect();
    let adv = Tensor::from_vec(adv, (rows, n), dev)?;
    let mask = Tensor::ones((rows, n), DType::F32, dev)?;
    let (mut gen, mut fwd, mut bwd, mut optim, mut loss_v) = (0f64, 0f64, 0f64, 0f64, 0f64);
    let timed = steps.max(1);
    for step in 0..=timed {
        dev.synchronize()?;
        let t0 = Instant::now();
        let sampler = if compute != model.dtype() {
            Some(model.copy_with(false, compute)?)
        } else {
            None
        };
        let sampling = SamplingConfig {
            max_new_tokens: n,
            temperature: 1.0,
            seed: 11 + step as u64,
            eos_ids: vec![u32::MAX],
            ..Default::default()
        };
        let out = generate(
            sampler.as_ref().unwrap_or(&model),
            None,
            &prompts,
            &sampling,
        )?;
        drop(sampler);
        dev.synchronize()?;
        let t1 = Instant::now();
        let mut ids = Vec::with_capacity(rows * (p + n));
        for (prompt, c) in prompts.iter().zip(&out) {
            ids.extend_from_slice(prompt);
            ids.extend(c.token_ids.iter().copied());
            // Rows shorter than `n` (none with no EOS, but keep the shape) are padded.
            ids.extend(std::iter::repeat_n(0u32, n - c.token_ids.len().min(n)));
        }
        let ids = Tensor::from_vec(ids, (rows, p + n), dev)?;
        // Position p - 1 + j predicts completion token j.
        let hidden = model
            .forward_hidden(&ids.narrow(1, 0, p + n - 1)?, None, None)?
            .narrow(1, p - 1, n)?;
        let logits = model.logits(&hidden)?;
        let logp = CausalLm::token_log_probs(&logits, &ids.narrow(1, p, n)?)?;
        let old = (logp.detach() - 0.05)?;
        let loss = stepcoder_kernels::ppo_policy_loss(
            &logp,
            &old,
            &adv,
            &mask,
            &stepcoder_kernels::PpoLossConfig::default(),
        )?;
        dev.synchronize()?;
        let t2 = Instant::now();
        let store = loss.backward()?;
        let grads = Gradients::from_store(&store, opt.groups())?;
        dev.synchronize()?;
        let t3 = Instant::now();
        opt.step(&grads, &[BENCH_LR])?;
        dev.synchronize()?;
        let t4 = Instant::now();
        loss_v = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if step > 0 {
            gen += (t1 - t0).as_secs_f64();
            fwd += (t2 - t1).as_secs_f64();
            bwd += (t3 - t2).as_secs_f64();
            optim += (t4 - t3).as_secs_f64();
        }
    }
    let k = timed as f64;
    let (gen, fwd, bwd, optim) = (gen / k, fwd / k, bwd / k, optim / k);
    let train = fwd + bwd + optim;
    Ok(PpoStepFigures {
        shape: shape.name.clone(),
        params: cfg.num_parameters(),
        rows,
        prompt_len: p,
        new_tokens: n,
        device: if dev.is_cpu() { "cpu" } else { "cuda" }.into(),
        compute_dtype: compute.as_str().into(),
        steps: timed,
        generation_s: gen,
        forward_s: fwd,
        backward_s: bwd,
        optimizer_s: optim,
        train_s: train,
        step_s: gen + train,
        sample_tokens_per_s: (rows * n) as f64 / gen.max(1e-12),
        train_tokens_per_s: (rows * (p + n)) as f64 / train.max(1e-12),
        loss: loss_v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppo_step_runs_on_the_cpu_in_f32_and_mixed_f16() {
        let mut shape = PpoStepShape::tiny();
        shape.rows = 2;
        shape.new_tokens = 4;
        for dt in [DType::F32, DType::F16] {
            let f = ppo_step(&shape, 1, &Device::Cpu, dt).unwrap();
            assert!(f.loss.is_finite(), "{f:?}");
            assert!(f.generation_s > 0.0 && f.train_s > 0.0, "{f:?}");
            assert_eq!(f.compute_dtype, dt.as_str());
        }
        assert!(PpoStepShape::by_name("qwen2_5_0_5b").is_some());
        assert_eq!(
            Config::qwen2_5_0_5b().num_parameters() / 1_000_000,
            494,
            "the Qwen2.5-0.5B shape"
        );
    }
}
