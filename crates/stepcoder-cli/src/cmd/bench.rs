//! `stepcoder bench ...`: performance measurements.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The sandbox against native python3 (subprocess per test, and in-process exec) on the
    /// canonical solutions of a problem set.
    Sandbox(super::bench_sandbox::SandboxBenchArgs),
    /// Model throughput: train tokens/s (forward + backward + AdamW) and sampling tokens/s of
    /// the 7M Llama shape (8 x 256) and SmolLM2-135M (4 x 256) against PyTorch CPU.
    Model(super::bench_model::ModelBenchArgs),
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Sandbox(a) => super::bench_sandbox::run(a),
        BenchCommand::Model(a) => super::bench_model::run(a),
    }
}
