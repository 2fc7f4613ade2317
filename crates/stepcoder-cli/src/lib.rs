//! # stepcoder-cli
//!
//! The `stepcoder` command line: `train` (PPO + CCCS + FGO with progress, metrics, plot,
//! checkpoints and resume), `eval`, `sft`, `ablate`, and the tools around them (`data stats`,
//! `exec`, `curriculum`, `fgo show`, `generate`, `bench`). Run `stepcoder --help`.
//!
//! The library half exists so the run configuration can be built and checked from Rust too:
//!
//! ```
//! use stepcoder_cli::run::config::{CurriculumSection, MaskSection, TrainConfig};
//!
//! // Defaults, then a preset, then (optionally) a TOML file, key by key.
//! let cfg = TrainConfig::resolve("quick", None).unwrap();
//! assert!(matches!(cfg.curriculum, CurriculumSection::Step { .. })); // CCCS on
//! assert!(matches!(cfg.mask, MaskSection::Coverage { .. }));        // FGO on
//! assert!(cfg.to_commented_toml().unwrap().contains("[ppo]"));
//! ```

use clap::{Parser, Subcommand};

pub mod cmd;
pub mod device;
pub mod plot;
pub mod run;

/// StepCoder: reinforcement learning for code LLMs from unit-test feedback.
#[derive(Debug, Parser)]
#[command(name = "stepcoder", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Where the model runs: cpu, cuda or cuda:N (for train, sft, eval, ablate, generate and
    /// bench; overrides `[run] device`). CUDA needs a build with `--features cuda`; a CUDA
    /// build without a usable GPU falls back to the CPU with a warning.
    #[arg(long, global = true, value_name = "cpu|cuda[:N]")]
    device: Option<device::DeviceSpec>,
    /// The forward's dtype (overrides `[run] precision`): auto = bf16 on a GPU (f32 master
    /// weights and optimizer state), f32 on the CPU; f32 = everything f32; bf16.
    #[arg(long, global = true, value_enum)]
    precision: Option<device::Precision>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect problem files: counts, tests, and every bad record.
    #[command(subcommand)]
    Data(cmd::data::DataCommand),
    /// CCCS curriculum: cut points and stages of problems, and a simulated training run.
    #[command(subcommand)]
    Curriculum(cmd::curriculum::CurriculumCommand),
    /// FGO token masks: run a program and show which tokens stay in the policy loss.
    #[command(subcommand)]
    Fgo(cmd::fgo::FgoCommand),
    /// Train with StepCoder (PPO + CCCS + FGO): progress, metrics, plot, checkpoints, resume.
    Train(cmd::train::TrainArgs),
    /// SFT alone, vanilla PPO, PPO + CCCS, PPO + FGO and StepCoder from one SFT model, on one
    /// budget and N seeds each: the paper's Table 1 with a mean and an interval per arm.
    Ablate(cmd::ablate::AblateArgs),
    /// Supervised warm start on canonical solutions (the paper's SFT baseline).
    Sft(cmd::sft::SftArgs),
    /// pass@k of a model on a problem set, by difficulty, with the outcome mix.
    Eval(cmd::eval::EvalArgs),
    /// Run a program in the sandbox, or every canonical solution of a problem set.
    Exec(cmd::exec::ExecArgs),
    /// Answer one prompt with a model (chat template applied).
    Generate(cmd::generate::GenerateArgs),
    /// The sandbox as an HTTP service: SandboxFusion's `POST /run_code` and `POST /v1/execute`.
    Serve(cmd::serve::ServeArgs),
    /// Performance measurements (`bench sandbox`: the sandbox against native python3;
    /// `bench model`: model train/sampling throughput against PyTorch).
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
}

/// Warnings and errors from the libraries (skipped updates, plot failures) go to stderr;
/// `RUST_LOG=info` (or debug) shows more.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses the command line, runs the command, and prints any error with its causes.
pub fn main_entry() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Thread counts, before any thread starts: candle and rayon size their pools from
    // RAYON_NUM_THREADS. `bench model --threads N` sets it for both; otherwise candle's own
    // count is fixed there (`pin_cpu_threads`: candle would look it up at every product).
    if let Command::Bench(cmd::bench::BenchCommand::Model(a)) = &cli.command {
        if let Some(n) = a.threads {
            std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
        }
    }
    stepcoder_model::runtime::pin_cpu_threads();
    init_logging();
    if cli.device.is_some() || cli.precision.is_some() {
        let uses_model = matches!(
            cli.command,
            Command::Train(_)
                | Command::Ablate(_)
                | Command::Sft(_)
                | Command::Eval(_)
                | Command::Generate(_)
                | Command::Bench(_)
        );
        if !uses_model {
            eprintln!(
                "error: --device and --precision apply to train, sft, eval, ablate, generate \
                 and bench (this command runs no model)"
            );
            return std::process::ExitCode::FAILURE;
        }
        device::set_overrides(device::Overrides {
            device: cli.device,
            precision: cli.precision,
        });
    }
    let result = match cli.command {
        Command::Data(c) => cmd::data::run(c),
        Command::Curriculum(c) => cmd::curriculum::run(c),
        Command::Fgo(c) => cmd::fgo::run(c),
        Command::Train(a) => cmd::train::run(a),
        Command::Ablate(a) => cmd::ablate::run(a),
        Command::Sft(a) => cmd::sft::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Exec(a) => cmd::exec::run(a),
        Command::Generate(a) => cmd::generate::run(a),
        Command::Serve(a) => cmd::serve::run(a),
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

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// clap checks argument types only when they are read: parse each command's typical line.
    #[test]
    fn typical_lines_parse() {
        for line in [
            "stepcoder eval --data builtin --k 1,5,10 --samples 10",
            "stepcoder train --preset quick",
            "stepcoder ablate",
            "stepcoder sft",
            "stepcoder exec --code p.py --json",
            "stepcoder data stats builtin",
            "stepcoder serve --bind 127.0.0.1:0 --workers 2 --max-queue 8 --max-body-mb 4",
            "stepcoder train --device cuda:1 --precision f32 --preset quick",
            "stepcoder --device cpu eval --data builtin",
            "stepcoder generate --prompt hi --device cuda",
            "stepcoder bench model --device cpu",
        ] {
            if let Err(e) = Cli::try_parse_from(line.split(' ')) {
                panic!("`{line}`: {e}");
            }
        }
        let Command::Eval(args) =
            Cli::parse_from(["stepcoder", "eval", "--data", "x", "--k", "1,5"]).command
        else {
            panic!("not eval");
        };
        assert_eq!(args.k, vec![1, 5]);
        assert!(Cli::try_parse_from(["stepcoder", "eval", "--data", "x", "--k", "0"]).is_err());
        let cli = Cli::parse_from(["stepcoder", "ablate", "--device", "cuda:2"]);
        assert_eq!(cli.device, Some(device::DeviceSpec::Cuda(2)));
        let e = Cli::try_parse_from(["stepcoder", "train", "--device", "gpu"]).unwrap_err();
        assert!(e.to_string().contains("cpu, cuda or cuda:N"), "{e}");
    }
}
