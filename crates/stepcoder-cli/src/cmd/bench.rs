//! `stepcoder bench ...`: performance measurements.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The sandbox against native python3 (subprocess per test, and in-process exec) on the
    /// canonical solutions of a problem set.
    Sandbox(super::bench_sandbox::SandboxBenchArgs),
    /// Model throughput: train tokens/s (forward + backward + AdamW) and sampling tokens/s of
    /// the 7M Llama shape (8 x 256) and SmolLM2-135M (4 x 256) against PyTorch (CPU, or the
    /// GPU with --device cuda).
    Model(super::bench_model::ModelBenchArgs),
    /// One PPO step (batched sampling, then forward + backward + AdamW) of a random
    /// Qwen2.5-0.5B-shaped model against the same step in PyTorch eager, in the same run.
    PpoStep(super::bench_ppo::PpoStepArgs),
    /// The fused log-prob kernel (log-softmax + gather, forward and backward) against the
    /// unfused candle ops on the trainer's logits shape.
    Logprob(super::bench_ppo::LogprobArgs),
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Sandbox(a) => super::bench_sandbox::run(a),
        BenchCommand::Model(a) => super::bench_model::run(a),
        BenchCommand::PpoStep(a) => super::bench_ppo::run_ppo_step(a),
        BenchCommand::Logprob(a) => super::bench_ppo::run_logprob(a),
    }
}
