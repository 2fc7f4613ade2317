//! `stepcoder bench ppo-step`: one PPO step (batched sampling, then the training pass) of a
//! random Qwen2.5-0.5B-shaped model, against the same step in PyTorch eager measured in the
//! same run (benches/torch_ppo_step.py); and `stepcoder bench logprob`: the fused log-prob
//! kernel against the unfused candle ops. Both run where `--device` says (a GPU with
//! `--device cuda`), in the dtype `--precision` says (bf16 on a GPU by default).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor, Var, D};
use clap::Args;
use serde_json::{json, Value};
use stepcoder_model::bench::{ppo_step, PpoStepShape};

use crate::device::Selected;

#[derive(Debug, Args)]
pub struct PpoStepArgs {
    /// Model shape: qwen2_5_0_5b (16 rows x (256 prompt + 128 new) tokens), smollm2_135m
    /// (8 x (256 + 128)), tiny (4 x (32 + 16); a smoke test).
    #[arg(long, default_value = "qwen2_5_0_5b")]
    pub shape: String,
    /// Override the shape's rows (rollouts per step).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Override the shape's prompt length.
    #[arg(long)]
    pub prompt_len: Option<usize>,
    /// Override the shape's completion length.
    #[arg(long)]
    pub new_tokens: Option<usize>,
    /// Timed steps (after one warm-up step), on both sides.
    #[arg(long, default_value_t = 2)]
    pub steps: usize,
    /// Skip the PyTorch side.
    #[arg(long)]
    pub no_torch: bool,
    /// The Python with PyTorch (default: $STEPCODER_TORCH_PYTHON, else `python3` when it
    /// imports torch, else the venv of benches/setup_torch_venv.sh).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// The repository's benches/ folder (torch_ppo_step.py).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches"))]
    pub benches_dir: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The dtype flag of the PyTorch scripts for a selected device and precision.
pub fn torch_dtype(place: &Selected) -> &'static str {
    if place.compute == DType::BF16 {
        "bf16"
    } else {
        "f32"
    }
}

fn torch_ppo_step(
    a: &PpoStepArgs,
    shape: &PpoStepShape,
    place: &Selected,
) -> anyhow::Result<Value> {
    let python = super::bench_model::torch_python(&a.benches_dir, a.python.as_deref())?;
    let script = a.benches_dir.join("torch_ppo_step.py");
    let args = [
        "--shape".to_string(),
        shape.name.clone(),
        "--rows".into(),
        shape.rows.to_string(),
        "--prompt-len".into(),
        shape.prompt_len.to_string(),
        "--new-tokens".into(),
        shape.new_tokens.to_string(),
        "--steps".into(),
        a.steps.to_string(),
    ];
    super::bench_model::run_torch_script(
        &python,
        &script,
        &args,
        place,
        " (use --no-torch to skip it)",
        "the PyTorch PPO step output",
    )
}

pub fn run_ppo_step(a: PpoStepArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; use `cargo run --release` for real figures");
    }
    let place = crate::device::select_from_flags()?;
    let Some(mut shape) = PpoStepShape::by_name(&a.shape) else {
        bail!(
            "unknown shape `{}` (qwen2_5_0_5b, smollm2_135m, tiny)",
            a.shape
        );
    };
    shape.rows = a.rows.unwrap_or(shape.rows).max(1);
    shape.prompt_len = a.prompt_len.unwrap_or(shape.prompt_len).max(1);
    shape.new_tokens = a.new_tokens.unwrap_or(shape.new_tokens).max(1);
    eprintln!(
        "stepcoder: PPO step of {} ({} rows x ({} + {}) tokens) on {} ...",
        shape.name,
        shape.rows,
        shape.prompt_len,
        shape.new_tokens,
        place.describe()
    );
    let ours = ppo_step(&shape, a.steps, &place.device, place.compute)?;
    let torch = if a.no_torch {
        None
    } else {
        eprintln!("PyTorch eager: the same step ...");
        Some(torch_ppo_step(&a, &shape, &place)?)
    };
    let mut report = json!({
        "device": place.describe(),
        "stepcoder": ours,
        "torch": torch,
    });
    if let Some(t) = &torch {
        let f = |k: &str| t.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        // > 1: we are faster (PyTorch's time over ours).
        let step = f("step_s") / ours.step_s;
        report["speedup_vs_torch"] = json!({
            "step": step,
            "generation": f("generation_s") / ours.generation_s,
            "train": f("train_s") / ours.train_s,
            "forward": f("forward_s") / ours.forward_s,
            "backward": f("backward_s") / ours.backward_s,
            "optimizer": f("optimizer_s") / ours.optimizer_s,
        });
        report["goal"] = json!("step at least PyTorch eager speed (speedup_vs_torch.step >= 1)");
        report["goal_met"] = json!(step >= 1.0);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "step s", "sample s", "forward s", "backward s", "AdamW s", "sample t/s"
    );
    let row = |name: &str, v: &Value| {
        let g = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        println!(
            "{:<10} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>10.0}",
            name,
            g("step_s"),
            g("generation_s"),
            g("forward_s"),
            g("backward_s"),
            g("optimizer_s"),
            g("sample_tokens_per_s")
        );
    };
    row("stepcoder", &report["stepcoder"]);
    if let Some(t) = &torch {
        row("pytorch", t);
        let s = &report["speedup_vs_torch"];
        println!(
            "speedup vs PyTorch eager: step {:.2}x (sampling {:.2}x, training {:.2}x)",
            s["step"].as_f64().unwrap_or(f64::NAN),
            s["generation"].as_f64().unwrap_or(f64::NAN),
            s["train"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct LogprobArgs {
    /// Rows of the logits (rollouts in a minibatch).
    #[arg(long, default_value_t = 16)]
    pub rows: usize,
    /// Positions per row (the completion window).
    #[arg(long, default_value_t = 128)]
    pub seq: usize,
    /// Vocabulary (Qwen2.5: 151936; SmolLM2: 49152).
    #[arg(long, default_value_t = 151_936)]
    pub vocab: usize,
    /// Timed forward + backward passes per side (after one warm-up pass).
    #[arg(long, default_value_t = 10)]
    pub iters: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Mean seconds of `f` over `iters` runs after one warm-up run, the device synchronized.
fn time_it(
    dev: &Device,
    iters: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<f64> {
    f()?;
    dev.synchronize()?;
    let t0 = Instant::now();
    for _ in 0..iters.max(1) {
        f()?;
    }
    dev.synchronize()?;
    Ok(t0.elapsed().as_secs_f64() / iters.max(1) as f64)
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> anyhow::Result<f64> {
    let d = (a.to_dtype(DType::F32)? - b.to_dtype(DType::F32)?)?
        .abs()?
        .flatten_all()?
        .max(0)?
        .to_scalar::<f32>()?;
    Ok(d as f64)
}

/// The fused op ([`stepcoder_kernels::token_log_probs`]) and the unfused candle ops
/// (`candle_nn::ops::log_softmax` + `gather`) on the same logits: their values, gradients
/// and times (forward alone, forward + backward).
pub fn logprob_comparison(
    rows: usize,
    seq: usize,
    vocab: usize,
    dtype: DType,
    dev: &Device,
    iters: usize,
) -> anyhow::Result<Value> {
    let n = rows * seq;
    // Deterministic logits in [-8, 8) and targets, built on the host once.
    let vals: Vec<f32> = (0..n * vocab)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 7) % 16_000) as f32 / 1000.0 - 8.0)
        .collect();
    let logits = Tensor::from_vec(vals, (rows, seq, vocab), dev)?.to_dtype(dtype)?;
    let x = Var::from_tensor(&logits)?;
    let ids: Vec<u32> = (0..n).map(|i| ((i * 7919 + 13) % vocab) as u32).collect();
    let ids = Tensor::from_vec(ids, (rows, seq), dev)?;
    let w: Vec<f32> = (0..n).map(|i| ((i % 7) as f32 - 3.0) / 3.0).collect();
    let w = Tensor::from_vec(w, (rows, seq), dev)?;
    let fused = || -> anyhow::Result<Tensor> { Ok(stepcoder_kernels::token_log_probs(&x, &ids)?) };
    let unfused = || -> anyhow::Result<Tensor> {
        Ok(stepcoder_model::candle_nn::ops::log_softmax(&x, D::Minus1)?
            .gather(&ids.unsqueeze(2)?, 2)?
            .squeeze(2)?)
    };
    let (lf, lu) = (fused()?, unfused()?);
    let gf = (&lf * &w)?.sum_all()?.backward()?;
    let gu = (lu.to_dtype(DType::F32)? * &w)?.sum_all()?.backward()?;
    let (gf, gu) = (
        gf.get(&x).context("fused: no gradient")?,
        gu.get(&x).context("unfused: no gradient")?,
    );
    let value_diff = max_abs_diff(&lf, &lu)?;
    let grad_diff = max_abs_diff(gf, gu)?;
    let fwd_fused = time_it(dev, iters, || {
        fused()?;
        Ok(())
    })?;
    let fwd_unfused = time_it(dev, iters, || {
        unfused()?;
        Ok(())
    })?;
    let both_fused = time_it(dev, iters, || {
        let g = (fused()? * &w)?.sum_all()?.backward()?;
        drop(g);
        Ok(())
    })?;
    let both_unfused = time_it(dev, iters, || {
        let g = (unfused()?.to_dtype(DType::F32)? * &w)?
            .sum_all()?
            .backward()?;
        drop(g);
        Ok(())
    })?;
    let speedup = both_unfused / both_fused;
    Ok(json!({
        "rows": rows,
        "seq": seq,
        "vocab": vocab,
        "dtype": dtype.as_str(),
        "device": if dev.is_cpu() { "cpu" } else { "cuda" },
        "iters": iters.max(1),
        "fused_forward_s": fwd_fused,
        "unfused_forward_s": fwd_unfused,
        "fused_forward_backward_s": both_fused,
        "unfused_forward_backward_s": both_unfused,
        "speedup_forward": fwd_unfused / fwd_fused,
        "speedup_forward_backward": speedup,
        "max_value_diff": value_diff,
        "max_grad_diff": grad_diff,
        "goal": "fused forward + backward at least 3x the unfused ops",
        "goal_met": speedup >= 3.0,
    }))
}

pub fn run_logprob(a: LogprobArgs) -> anyhow::Result<()> {
    let place = crate::device::select_from_flags()?;
    let r = logprob_comparison(
        a.rows.max(1),
        a.seq.max(1),
        a.vocab.max(2),
        place.compute,
        &place.device,
        a.iters,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let g = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "logits {} x {} x {} {} on {}",
        a.rows,
        a.seq,
        a.vocab,
        place.compute.as_str(),
        place.describe()
    );
    println!(
        "forward:            fused {:.3} ms, unfused {:.3} ms ({:.2}x)",
        1e3 * g("fused_forward_s"),
        1e3 * g("unfused_forward_s"),
        g("speedup_forward")
    );
    println!(
        "forward + backward: fused {:.3} ms, unfused {:.3} ms ({:.2}x)",
        1e3 * g("fused_forward_backward_s"),
        1e3 * g("unfused_forward_backward_s"),
        g("speedup_forward_backward")
    );
    println!(
        "max |difference|: values {:.2e}, gradients {:.2e}",
        g("max_value_diff"),
        g("max_grad_diff")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison runs on the CPU and the two paths agree.
    #[test]
    fn fused_and_unfused_log_probs_agree_on_the_cpu() {
        let r = logprob_comparison(2, 3, 50, DType::F32, &Device::Cpu, 1).unwrap();
        assert!(r["max_value_diff"].as_f64().unwrap() < 1e-4, "{r}");
        assert!(r["max_grad_diff"].as_f64().unwrap() < 1e-5, "{r}");
        assert!(r["speedup_forward_backward"].as_f64().unwrap() > 0.0);
    }
}
