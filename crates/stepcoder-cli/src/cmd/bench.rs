//! `stepcoder bench ...`: performance measurements.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The sandbox against native python3 (subprocess per test, and in-process exec) on the
    /// canonical solutions of a problem set.
    Sandbox(super::bench_sandbox::SandboxBenchArgs),
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Sandbox(a) => super::bench_sandbox::run(a),
    }
}
