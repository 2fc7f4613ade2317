//! The `stepcoder` command line. Each subcommand lives in its own module under `cmd/`.

use clap::{Parser, Subcommand};

mod cmd;

/// StepCoder: reinforcement learning for code LLMs from unit-test feedback.
#[derive(Debug, Parser)]
#[command(name = "stepcoder", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect problem files: counts, tests, and every bad record.
    #[command(subcommand)]
    Data(cmd::data::DataCommand),
    /// CCCS curriculum: cut points and stages of problems, and a simulated training run.
    #[command(subcommand)]
    Curriculum(cmd::curriculum::CurriculumCommand),
    /// FGO token masks: run a program and show which tokens stay in the policy loss.
    #[command(subcommand)]
    Fgo(cmd::fgo::FgoCommand),
    /// Run a program in the sandbox, or every canonical solution of a problem set.
    Exec(cmd::exec::ExecArgs),
    /// Answer one prompt with a model (chat template applied).
    Generate(cmd::generate::GenerateArgs),
    /// Performance measurements (`bench sandbox`: the sandbox against native python3;
    /// `bench model`: model train/sampling throughput against PyTorch).
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(c) => cmd::data::run(c),
        Command::Curriculum(c) => cmd::curriculum::run(c),
        Command::Fgo(c) => cmd::fgo::run(c),
        Command::Exec(a) => cmd::exec::run(a),
        Command::Generate(a) => cmd::generate::run(a),
        Command::Bench(c) => cmd::bench::run(c),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
