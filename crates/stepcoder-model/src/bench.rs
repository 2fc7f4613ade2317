//! Throughput measurements shared by `stepcoder bench model` and the criterion bench:
//! train tokens/s (forward + backward + AdamW step) and sampling tokens/s (KV cache).

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

fn token_batch(b: usize, t: usize, vocab: usize, salt: usize) -> Result<Tensor> {
    let ids: Vec<u32> = (0..b * t)
        .map(|i| ((i * 2_654_435_761 + salt * 97 + 7) % vocab) as u32)
        .collect();
    Ok(Tensor::from_vec(ids, (b, t), &Device::Cpu)?)
}

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

/// Train tokens/s: `steps` timed steps after one warm-up step. Returns (tokens/s, s per step).
pub fn train_throughput(shape: &BenchShape, steps: usize) -> Result<(f64, f64)> {
    let model = CausalLm::random(shape.config.clone(), DType::F32, &Device::Cpu, 1)?;
    let mut opt = bench_optimizer(&model)?;
    let ids = token_batch(shape.batch, shape.seq, shape.config.vocab_size, 0)?;
    train_step(&model, &mut opt, &ids)?;
    let t0 = Instant::now();
    for _ in 0..steps.max(1) {
        train_step(&model, &mut opt, &ids)?;
    }
    let per_step = t0.elapsed().as_secs_f64() / steps.max(1) as f64;
    Ok(((shape.batch * shape.seq) as f64 / per_step, per_step))
}

/// Sampling tokens/s: batch rows, a prompt of `seq - new_tokens` tokens, `new_tokens` sampled
/// (temperature 1, no early stop); counts new tokens only.
pub fn sample_throughput(shape: &BenchShape, new_tokens: usize) -> Result<f64> {
    let model =
        CausalLm::random(shape.config.clone(), DType::F32, &Device::Cpu, 2)?.frozen_copy()?;
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

/// Measure both figures for a shape.
pub fn measure(shape: &BenchShape, train_steps: usize, new_tokens: usize) -> Result<BenchFigures> {
    crate::optim::tune_allocator();
    let (train, step) = train_throughput(shape, train_steps)?;
    let sample = sample_throughput(shape, new_tokens)?;
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
