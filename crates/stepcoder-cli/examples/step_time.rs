//! How much faster is a PPO step when the k samples of a problem share their prompt?
//!
//! Each measured step is a set of three: three trainers start from the same default model
//! with the `quick` preset's PPO settings, the same seed and the same problems, and take one
//! step each, in three ways:
//! - `packed` (the default): each prompt is computed once per problem (one prefill in
//!   sampling, the prompt's keys and values once in scoring and in the training forward), and
//!   the completions on it run packed into sequences (`ppo.pack_tokens`), without padding;
//! - `shared`: the prompt once as well, the completions as rows padded to the batch's longest
//!   (`ppo.pack_tokens = 0`);
//! - `per-row`: every rollout carries its own copy of the prompt, padded
//!   (`ppo.share_prompt = false`, what the trainer did before).
//!
//! Same weights and seed mean the same sampled tokens, so the three do the same work; the
//! order rotates from set to set, and each set draws the next problems (its workload).
//! Prints each step's time split, the mean time per rollout of each way, and the ratios.
//!
//! `cargo run --release -p stepcoder-cli --example step_time -- [--steps N] [--samples K]
//! [--minibatch-rows M] [--problems P]` (defaults: 3 sets and the preset's 2 problems x 4
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
    /// Measured sets of steps (one step of each way).
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Sets before the measured ones, on the first measured set's workload, printed but
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
    stepcoder_model::runtime::pin_cpu_threads();
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
        "{} warm-up (w) and {} measured sets of steps, {rollouts} rollouts per step ({} problems x {} samples), minibatches of {} rows, up to {} new tokens",
        args.warmup,
        args.steps,
        cfg.ppo.problems_per_step,
        cfg.ppo.samples_per_problem,
        cfg.ppo.minibatch_rows,
        cfg.ppo.max_new_tokens
    );
    println!("way          work  total_s  generation_s  scoring_s  forward_s  backward_s  tokens");
    // (name, share_prompt, pack_tokens) of each way.
    let ways: [(&str, bool, usize); 3] = [
        ("packed", true, cfg.ppo.pack_tokens),
        ("shared", true, 0),
        ("per-row", false, 0),
    ];
    // Seconds of each way's measured steps.
    let mut times = [0.0f64; 3];
    for set in 0..args.warmup + args.steps {
        let warmup = set < args.warmup;
        // The workload: the warm-up repeats the first measured set's, so that no workload is
        // left out of the measurement. Its problems go first, so every way draws them.
        let work = set.saturating_sub(args.warmup);
        let skip = work * cfg.ppo.problems_per_step % train.len();
        let problems: Vec<_> = train[skip..]
            .iter()
            .chain(&train[..skip])
            .cloned()
            .collect();
        let mut tokens = [0usize; 3];
        let mut step_s = [0.0f64; 3];
        for i in 0..ways.len() {
            let way = (set + i) % ways.len();
            let (name, share, pack) = ways[way];
            let mut ppo = cfg.ppo.clone();
            ppo.share_prompt = share;
            ppo.pack_tokens = pack;
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
            step_s[way] = total;
            if !warmup {
                times[way] += total;
            }
            tokens[way] = m.generated_tokens;
            let name = if warmup {
                format!("{name} (w)")
            } else {
                name.to_string()
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
        if tokens.iter().any(|&t| t != tokens[0]) {
            println!("  (the ways sampled different tokens in this set: float rounding)");
        }
        println!(
            "  per-row / packed {:.2}x, per-row / shared {:.2}x",
            step_s[2] / step_s[0],
            step_s[2] / step_s[1]
        );
    }
    let per_rollout = |s: f64| s / (args.steps * rollouts) as f64;
    let [packed, shared, own] = times.map(per_rollout);
    println!(
        "seconds per rollout: packed {packed:.2}, shared {shared:.2}, per-row {own:.2}; \
         per-row / packed {:.2}x, per-row / shared {:.2}x, shared / packed {:.2}x",
        own / packed,
        own / shared,
        shared / packed
    );
    Ok(())
}
