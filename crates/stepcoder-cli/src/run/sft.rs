//! `stepcoder sft`: supervised warm start on canonical solutions (the paper's SFT baseline).
//!
//! Each example is the task prompt of the trainer and evaluator (chat template, assistant
//! turn opened with the python fence) followed by the canonical solution, the closing fence
//! and EOS. The loss is the mean token cross-entropy over the answer only.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Context};
use candle_core::{DType, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use stepcoder_core::prompt::{code_prompt, CODE_FENCE_CLOSE};
use stepcoder_core::Problem;
use stepcoder_eval::encode_code_prompt;
use stepcoder_model::{CausalLm, ModelTokenizer};
use stepcoder_ppo::{
    clip_grad_norm, AdamW, AdamWConfig, Decay, GradAccumulator, Gradients, LrSchedule, ParamGroup,
};

/// SFT settings; the defaults are the paper's (lr 2e-5, 3 epochs, warm-up 0.3 epoch,
/// linear decay) with a batch that fits a CPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SftSection {
    /// `stepcoder train` runs SFT on the training split before PPO (the paper's pipeline):
    /// the initial policy and the KL reference are then the SFT model, saved to
    /// `OUTPUT_DIR/sft_model` and evaluated on the held-out problems as `eval_sft.json`.
    pub warm_start: bool,
    pub epochs: usize,
    pub lr: f64,
    /// Warm-up length as a fraction of one epoch.
    pub warmup_epochs: f64,
    /// Examples per optimizer update.
    pub batch_size: usize,
    /// Examples per forward and backward pass; the gradients of an update's micro-batches are
    /// summed, so the update is the same as one pass over `batch_size` examples. Activations
    /// scale with it: 8 examples of ~600 tokens in one pass peaked near 20 GB on the default
    /// model.
    pub micro_batch: usize,
    /// Longer examples (prompt + answer tokens) are skipped, with a warning.
    pub max_tokens: usize,
    pub max_grad_norm: f64,
    pub weight_decay: f64,
    pub seed: u64,
}

impl Default for SftSection {
    fn default() -> Self {
        SftSection {
            warm_start: false,
            epochs: 3,
            lr: 2e-5,
            warmup_epochs: 0.3,
            batch_size: 8,
            micro_batch: 2,
            max_tokens: 1024,
            max_grad_norm: 1.0,
            weight_decay: 0.0,
            seed: 0,
        }
    }
}

/// One line of `sft_metrics.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SftMetrics {
    pub update: u64,
    pub epoch: usize,
    pub loss: f64,
    pub lr: f64,
    pub grad_norm: f64,
    pub tokens: usize,
    pub tokens_per_s: f64,
}

/// Prompt ids and answer ids of one problem.
fn example(tokenizer: &ModelTokenizer, problem: &Problem) -> anyhow::Result<(Vec<u32>, Vec<u32>)> {
    let prompt = encode_code_prompt(tokenizer, &code_prompt(problem, ""))?;
    let mut answer_text = problem.canonical_solution.clone();
    if !answer_text.ends_with('\n') {
        answer_text.push('\n');
    }
    answer_text.push_str(CODE_FENCE_CLOSE);
    let mut answer = tokenizer.encode(&answer_text, false)?;
    if let Some(eos) = tokenizer.eos_ids.first() {
        answer.push(*eos);
    }
    Ok((prompt, answer))
}

/// Answer tokens of `batch` (the tokens the loss is over).
fn answer_tokens(batch: &[&(Vec<u32>, Vec<u32>)]) -> usize {
    batch.iter().map(|(_, a)| a.len()).sum()
}

/// The summed negative log-likelihood of the answer tokens of a right-padded batch, divided by
/// `denominator` (the answer tokens of the whole update, so micro-batch losses add up to the
/// update's mean). The LM head runs only from the first answer position of the batch on:
/// the prompt's ~400 positions need hidden states for attention, but no logits.
fn batch_loss(
    model: &CausalLm,
    batch: &[&(Vec<u32>, Vec<u32>)],
    denominator: usize,
) -> anyhow::Result<Tensor> {
    let dev = model.device();
    let len = batch
        .iter()
        .map(|(p, a)| p.len() + a.len())
        .max()
        .unwrap_or(0);
    // Position t predicts token t + 1: answer tokens are predicted from p.len() - 1 on.
    let first = batch
        .iter()
        .map(|(p, _)| p.len().saturating_sub(1))
        .min()
        .unwrap_or(0);
    let window = len - 1 - first;
    let mut ids = Vec::with_capacity(batch.len() * len);
    let mut mask = Vec::with_capacity(batch.len() * window);
    for (p, a) in batch {
        let n = p.len() + a.len();
        ids.extend(p.iter().chain(a.iter()).copied());
        ids.extend(std::iter::repeat_n(0u32, len - n));
        for t in first..len - 1 {
            mask.push(if t + 1 >= p.len() && t + 1 < n {
                1f32
            } else {
                0f32
            });
        }
    }
    let b = batch.len();
    let input = Tensor::from_vec(ids, (b, len), dev)?;
    let mask = Tensor::from_vec(mask, (b, window), dev)?;
    let hidden = model.forward_hidden(&input.narrow(1, 0, len - 1)?, None, None)?;
    let logits = model.logits(&hidden.narrow(1, first, window)?)?;
    let logp = stepcoder_kernels::token_log_probs(&logits, &input.narrow(1, first + 1, window)?)?;
    Ok(((logp * &mask)?.sum_all()? / (-(denominator.max(1) as f64)))?)
}

/// Trains `model` in place; writes one metrics line per update to `log`.
pub fn train_sft(
    cfg: &SftSection,
    model: &CausalLm,
    tokenizer: &ModelTokenizer,
    problems: &[Problem],
    log: &mut impl Write,
) -> anyhow::Result<Vec<SftMetrics>> {
    if cfg.batch_size == 0 || cfg.epochs == 0 || cfg.micro_batch == 0 {
        bail!("sft.batch_size, sft.micro_batch and sft.epochs must be at least 1");
    }
    let mut examples = Vec::new();
    for p in problems
        .iter()
        .filter(|p| !p.canonical_solution.trim().is_empty())
    {
        let ex = example(tokenizer, p)?;
        if ex.0.len() + ex.1.len() > cfg.max_tokens {
            tracing::warn!(problem = %p.id, tokens = ex.0.len() + ex.1.len(), "skipping: longer than sft.max_tokens");
            continue;
        }
        examples.push(ex);
    }
    if examples.is_empty() {
        bail!("no problem with a canonical solution fits sft.max_tokens");
    }
    let per_epoch = examples.len().div_ceil(cfg.batch_size) as u64;
    let total = per_epoch * cfg.epochs as u64;
    let schedule = LrSchedule {
        peak_lr: cfg.lr,
        warmup_steps: (cfg.warmup_epochs * per_epoch as f64).round() as u64,
        total_steps: total,
        decay: Decay::Linear,
        min_lr_ratio: 0.0,
    };
    let mut optimizer = AdamW::new(
        vec![ParamGroup::from_varmap("policy", model.varmap())?],
        AdamWConfig {
            weight_decay: cfg.weight_decay,
            ..AdamWConfig::default()
        },
    )?;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{msg:>24} [{bar:30}] update {pos}/{len} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let mut history = Vec::new();
    let mut update = 0u64;
    for epoch in 0..cfg.epochs {
        let mut order: Vec<usize> = (0..examples.len()).collect();
        order.shuffle(&mut rng);
        for chunk in order.chunks(cfg.batch_size) {
            let start = Instant::now();
            let batch: Vec<_> = chunk.iter().map(|&i| &examples[i]).collect();
            let tokens = answer_tokens(&batch);
            let mut acc = GradAccumulator::new();
            let mut loss_value = 0f64;
            for micro in batch.chunks(cfg.micro_batch) {
                let loss = batch_loss(model, micro, tokens)?;
                loss_value += loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
                let store = loss.backward()?;
                acc.add(Gradients::from_store(&store, optimizer.groups())?)?;
            }
            if !loss_value.is_finite() {
                tracing::error!(update, "non-finite SFT loss: update skipped");
                update += 1;
                continue;
            }
            let mut grads = acc.sum();
            let grad_norm = if cfg.max_grad_norm > 0.0 {
                clip_grad_norm(&mut grads, cfg.max_grad_norm)?
            } else {
                grads.global_norm()?
            };
            let lr = schedule.lr(update);
            optimizer.step(&grads, &[lr])?;
            let m = SftMetrics {
                update: update + 1,
                epoch,
                loss: loss_value,
                lr,
                grad_norm,
                tokens,
                tokens_per_s: tokens as f64 / start.elapsed().as_secs_f64().max(1e-9),
            };
            writeln!(log, "{}", serde_json::to_string(&m)?).context("writing SFT metrics")?;
            bar.set_position(update + 1);
            bar.set_message(format!("epoch {} loss {:.3}", epoch + 1, m.loss));
            history.push(m);
            update += 1;
        }
    }
    bar.finish();
    Ok(history)
}

/// The SFT stage of `stepcoder sft` and of `stepcoder train` with `sft.warm_start`: trains
/// `loaded.model` in place on `problems`, logs each update to `metrics`, saves the model
/// (Hugging Face layout, f32) to `out`, and prints the loss change and the time taken.
pub fn run_sft_stage(
    cfg: &SftSection,
    loaded: &stepcoder_model::LoadedModel,
    problems: &[Problem],
    metrics: &std::path::Path,
    out: &std::path::Path,
) -> anyhow::Result<Vec<SftMetrics>> {
    let mut log = std::fs::File::create(metrics)
        .with_context(|| format!("creating {}", metrics.display()))?;
    eprintln!("SFT on {} training problems", problems.len());
    let started = Instant::now();
    let history = train_sft(cfg, &loaded.model, &loaded.tokenizer, problems, &mut log)?;
    stepcoder_model::save_hf_dir(
        out,
        &loaded.model,
        Some(&loaded.tokenizer),
        Some(&loaded.generation),
        DType::F32,
    )
    .with_context(|| format!("saving the SFT model to {}", out.display()))?;
    if let (Some(first), Some(last)) = (history.first(), history.last()) {
        eprintln!(
            "SFT loss {:.3} -> {:.3} over {} updates in {:.0} s; model saved to {}",
            first.loss,
            last.loss,
            history.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use stepcoder_model::testing::tiny_config;

    /// Examples with prompts and answers of different lengths (so the batch pads, and the
    /// LM head's window starts inside the longer prompts).
    fn examples() -> Vec<(Vec<u32>, Vec<u32>)> {
        (0..5u32)
            .map(|i| {
                let prompt = (0..6 + 3 * i).map(|t| (t * 7 + i) % 250).collect();
                let answer = (0..4 + (i * 5) % 7)
                    .map(|t| (t * 11 + 3 * i) % 250)
                    .collect();
                (prompt, answer)
            })
            .collect()
    }

    /// The reference: logits at every position of one right-padded batch, the mean NLL of
    /// the answer tokens.
    fn full_loss(model: &CausalLm, batch: &[&(Vec<u32>, Vec<u32>)]) -> Tensor {
        let len = batch.iter().map(|(p, a)| p.len() + a.len()).max().unwrap();
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for (p, a) in batch {
            ids.extend(p.iter().chain(a.iter()).copied());
            ids.extend(std::iter::repeat_n(0u32, len - p.len() - a.len()));
            for t in 0..len - 1 {
                let answer = t + 1 >= p.len() && t + 1 < p.len() + a.len();
                mask.push(if answer { 1f32 } else { 0. });
            }
        }
        let input = Tensor::from_vec(ids, (batch.len(), len), &Device::Cpu).unwrap();
        let mask = Tensor::from_vec(mask, (batch.len(), len - 1), &Device::Cpu).unwrap();
        let out = model
            .forward(&input.narrow(1, 0, len - 1).unwrap(), None, None)
            .unwrap();
        let logp =
            stepcoder_kernels::token_log_probs(&out.logits, &input.narrow(1, 1, len - 1).unwrap())
                .unwrap();
        let n = mask.sum_all().unwrap().to_scalar::<f32>().unwrap() as f64;
        ((logp * &mask).unwrap().sum_all().unwrap() / -n).unwrap()
    }

    fn max_abs(t: &Tensor) -> f32 {
        stepcoder_model::testing::max_abs(t).unwrap()
    }

    fn grads(model: &CausalLm, loss: &Tensor) -> Gradients {
        let group = ParamGroup::from_varmap("policy", model.varmap()).unwrap();
        Gradients::from_store(&loss.backward().unwrap(), &[group]).unwrap()
    }

    /// The windowed LM head and the micro-batches change neither the loss nor its gradient.
    #[test]
    fn micro_batches_and_the_answer_window_give_the_full_batch_loss_and_gradient() {
        let model = CausalLm::random(tiny_config(), DType::F32, &Device::Cpu, 3).unwrap();
        let ex = examples();
        let batch: Vec<_> = ex.iter().collect();
        let tokens = answer_tokens(&batch);
        let reference = full_loss(&model, &batch);
        let expected = grads(&model, &reference);
        for micro in [1, 2, 5] {
            let mut acc = GradAccumulator::new();
            let mut loss = 0f64;
            for part in batch.chunks(micro) {
                let l = batch_loss(&model, part, tokens).unwrap();
                loss += l.to_scalar::<f32>().unwrap() as f64;
                acc.add(grads(&model, &l)).unwrap();
            }
            let want = reference.to_scalar::<f32>().unwrap() as f64;
            assert!(
                (loss - want).abs() < 1e-5,
                "micro {micro}: {loss} vs {want}"
            );
            let got = acc.sum();
            assert_eq!(got.grads.len(), expected.grads.len());
            for (k, g) in &expected.grads {
                let diff = max_abs(&(&got.grads[k] - g).unwrap());
                let scale = max_abs(g);
                assert!(
                    diff <= 1e-4 * scale.max(1e-3),
                    "micro {micro}, {k}: {diff} (max {scale})"
                );
            }
        }
    }
}
