//! How much faster is a PPO step when the k samples of a problem share their prompt?
//!
//! Each measured step is a pair: two trainers start from the same default model with the
//! `quick` preset's PPO settings, the same seed and the same problems, and take one step, one
//! computing each prompt once per problem (prefill in sampling, the prompt's keys and values
//! in scoring and in the training forward; `ppo.share_prompt = true`, the default), the other
//! giving every rollout its own copy of the prompt (`false`, what the trainer did before).
//! Same weights and seed mean the same sampled tokens, so both ways do the same work; the
//! pair's order alternates, and each pair draws the next problems (its workload). Prints
//! each step's time split, the mean time per rollout of each way and the ratio.
//!
//! `cargo run --release -p stepcoder-cli --example step_time -- [--steps N] [--samples K]
//! [--minibatch-rows M] [--problems P]` (defaults: 3 pairs and the preset's 2 problems x 4
//! samples in 4-row minibatches). The paper's 16 rollouts per problem, in minibatches of 8
//! (16-row minibatches of the per-row way do not fit in 24 GiB):
//! `-- --problems 1 --samples 16 --minibatch-rows 8`.
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use stepcoder_cli::run::config::TrainConfig;
use stepcoder_cli::run::{components, split_problems};
use stepcoder_model::LoadOptions;
use stepcoder_ppo::Trainer;
use stepcoder_sandbox::Sandbox;

/// The `quick` preset's PPO settings, with these overrides.
#[derive(Parser)]
struct Args {
    /// Measured pairs of steps.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Pairs before the measured ones, on the first measured pair's workload, printed but
    /// not counted. A process's first step runs 8-14 s slower than the same step later
    /// (measured at the quick preset), and would be charged to whichever way goes first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Samples per problem (`ppo.samples_per_problem`).
    #[arg(long)]
    samples: Option<usize>,
    /// Rows per minibatch (`ppo.minibatch_rows`); scoring shares a prompt over at most this many.
    #[arg(long)]
    minibatch_rows: Option<usize>,
    /// Problems per step (`ppo.problems_per_step`).
    #[arg(long)]
    problems: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut cfg = TrainConfig::resolve("quick", None)?;
    let ppo = &mut cfg.ppo;
    ppo.samples_per_problem = args.samples.unwrap_or(ppo.samples_per_problem);
    ppo.minibatch_rows = args.minibatch_rows.unwrap_or(ppo.minibatch_rows);
    ppo.problems_per_step = args.problems.unwrap_or(ppo.problems_per_step);
    let (train, _) = split_problems(&cfg)?;
    let sandbox = Arc::new(Sandbox::new(cfg.sandbox.build())?);
    let loaded = stepcoder_model::load(Some(&cfg.model.path), &LoadOptions::default())?;
    let rollouts = cfg.ppo.problems_per_step * cfg.ppo.samples_per_problem;
    println!(
        "{} warm-up (w) and {} measured pairs of steps, {rollouts} rollouts per step ({} problems x {} samples), minibatches of {} rows, up to {} new tokens",
        args.warmup,
        args.steps,
        cfg.ppo.problems_per_step,
        cfg.ppo.samples_per_problem,
        cfg.ppo.minibatch_rows,
        cfg.ppo.max_new_tokens
    );
    println!("way          work  total_s  generation_s  scoring_s  forward_s  backward_s  tokens");
    // Seconds of each way's measured steps: [shared, per-row].
    let mut times = [0.0f64; 2];
    for pair in 0..args.warmup + args.steps {
        let warmup = pair < args.warmup;
        // The workload: the warm-up repeats the first measured pair's, so that no workload is
        // left out of the measurement. Its problems go first, so both ways draw them.
        let work = pair.saturating_sub(args.warmup);
        let skip = work * cfg.ppo.problems_per_step % train.len();
        let problems: Vec<_> = train[skip..]
            .iter()
            .chain(&train[..skip])
            .cloned()
            .collect();
        let mut tokens = [0usize; 2];
        for way in [pair % 2, 1 - pair % 2] {
            let share = way == 0;
            let mut ppo = cfg.ppo.clone();
            ppo.share_prompt = share;
            ppo.seed = cfg.ppo.seed.wrapping_add(work as u64);
            let policy = loaded.model.trainable_copy()?;
            let parts = components(&cfg, sandbox.clone(), &problems)?;
            let mut trainer = Trainer::new(
                ppo,
                policy,
                loaded.tokenizer.clone(),
                problems.clone(),
                parts,
            )?;
            let t = Instant::now();
            let m = trainer.step()?;
            let total = t.elapsed().as_secs_f64();
            if !warmup {
                times[way] += total;
            }
            tokens[way] = m.generated_tokens;
            let name = match (share, warmup) {
                (true, false) => "shared",
                (false, false) => "per-row",
                (true, true) => "shared (w)",
                (false, true) => "per-row (w)",
            };
            println!(
                "{name:<12} {work:>4} {total:>8.1} {:>13.1} {:>10.1} {:>10.1} {:>11.1} {:>7}",
                m.time.generation_s,
                m.time.scoring_s,
                m.time.forward_s,
                m.time.backward_s,
                m.generated_tokens
            );
        }
        if tokens[0] != tokens[1] {
            println!("  (the two ways sampled different tokens in this pair: float rounding)");
        }
    }
    let per_rollout = |s: f64| s / (args.steps * rollouts) as f64;
    let (shared, own) = (per_rollout(times[0]), per_rollout(times[1]));
    println!(
        "seconds per rollout: shared prompt {shared:.2}, per-row prompt {own:.2}; speedup {:.2}x",
        own / shared
    );
    Ok(())
}
