//! How much faster is a PPO step when the k samples of a problem share their prompt?
//!
//! Each measured step is a set of four: four trainers start from the same default model
//! with the `quick` preset's PPO settings, the same seed and the same problems, and take one
//! step each, in four ways:
//! - `packed` (the default): each prompt is computed once per problem (one prefill in
//!   sampling, the prompt's keys and values once in the training forward), the completions
//!   on it run packed into sequences (`ppo.pack_tokens`), without padding, and the policy's
//!   old log-probs and values come from the hidden states sampling computed
//!   (`ppo.score_from_sampling`), so scoring runs only the reference;
//! - `rescored`: the same, but scoring runs the policy again (`ppo.score_from_sampling =
//!   false`), on each prompt's keys and values computed once;
//! - `shared`: the prompt once as well, the completions as rows padded to the batch's longest
//!   (`ppo.pack_tokens = 0`), the policy scored from sampling;
//! - `per-row`: what the trainer did before: every rollout carries its own copy of the prompt,
//!   padded, and scoring runs the policy again (`ppo.share_prompt = false`,
//!   `ppo.score_from_sampling = false`).
//!
//! Same weights and seed mean the same sampled tokens, so the four do the same work; the
//! order rotates from set to set, and each set draws the next problems (its workload).
//! Prints each step's time split, the mean time per rollout of each way, and the ratios of
//! the measured sets' totals with a 95% bootstrap interval over sets (the sets are the
//! workloads; each resample draws sets with replacement and keeps each set's ways paired).
//!
//! `cargo run --release -p stepcoder-cli --example step_time -- [--steps N] [--samples K]
//! [--minibatch-rows M] [--problems P]` (defaults: 4 sets and the preset's 2 problems x 4
//! samples in 4-row minibatches). The paper's 16 rollouts per problem, in minibatches of 8
//! (16-row minibatches of the per-row way do not fit in 24 GiB):
//! `-- --problems 1 --samples 16 --minibatch-rows 8`.
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stepcoder_cli::run::config::TrainConfig;
use stepcoder_cli::run::{components, split_problems};
use stepcoder_model::LoadOptions;
use stepcoder_ppo::Trainer;
use stepcoder_sandbox::Sandbox;

/// The `quick` preset's PPO settings, with these overrides.
#[derive(Parser)]
struct Args {
    /// Measured sets of steps (one step of each way). The order rotates by one way per set,
    /// so a multiple of 4 puts each way first equally often (a set's first step may run
    /// slower; docs/results.md, session 13).
    #[arg(long, default_value_t = 4)]
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
    let ways = [
        Way::new("packed", true, cfg.ppo.pack_tokens, true),
        Way::new("rescored", true, cfg.ppo.pack_tokens, false),
        Way::new("shared", true, 0, true),
        Way::new("per-row", false, 0, false),
    ];
    let n = ways.len();
    // Seconds of each measured set's steps, per way.
    let mut sets: Vec<Vec<f64>> = Vec::new();
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
        let mut tokens = vec![0usize; n];
        let mut step_s = vec![0.0f64; n];
        for i in 0..n {
            let w = (set + i) % n;
            let way = &ways[w];
            let mut ppo = cfg.ppo.clone();
            ppo.share_prompt = way.share_prompt;
            ppo.pack_tokens = way.pack_tokens;
            ppo.score_from_sampling = way.score_from_sampling;
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
            step_s[w] = total;
            tokens[w] = m.generated_tokens;
            let name = if warmup {
                format!("{} (w)", way.name)
            } else {
                way.name.to_string()
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
            "  per-row / packed {:.2}x, rescored / packed {:.2}x",
            step_s[3] / step_s[0],
            step_s[1] / step_s[0]
        );
        if !warmup {
            sets.push(step_s);
        }
    }
    let per_rollout =
        |w: usize| sets.iter().map(|s| s[w]).sum::<f64>() / (args.steps * rollouts) as f64;
    let line: Vec<String> = ways
        .iter()
        .enumerate()
        .map(|(w, way)| format!("{} {:.2}", way.name, per_rollout(w)))
        .collect();
    println!("seconds per rollout: {}", line.join(", "));
    for (slow, fast) in [(3, 0), (3, 2), (1, 0), (2, 0)] {
        let (ratio, lo, hi) = ratio_interval(&sets, slow, fast);
        println!(
            "{} / {}: {ratio:.2}x, 95% CI [{lo:.2}, {hi:.2}] over {} sets",
            ways[slow].name,
            ways[fast].name,
            sets.len()
        );
    }
    Ok(())
}

/// One way of taking a step (the PPO settings it changes).
struct Way {
    name: &'static str,
    share_prompt: bool,
    pack_tokens: usize,
    score_from_sampling: bool,
}

impl Way {
    fn new(name: &'static str, share: bool, pack: usize, from_sampling: bool) -> Self {
        Way {
            name,
            share_prompt: share,
            pack_tokens: pack,
            score_from_sampling: from_sampling,
        }
    }
}

/// The ratio of way `slow`'s total time to way `fast`'s over `sets`, and the 2.5% and 97.5%
/// quantiles of that ratio over 10,000 resamples of the sets (with replacement, each set's
/// ways kept together).
fn ratio_interval(sets: &[Vec<f64>], slow: usize, fast: usize) -> (f64, f64, f64) {
    let ratio = |pick: &mut dyn Iterator<Item = &Vec<f64>>| {
        let (a, b) = pick.fold((0.0, 0.0), |(a, b), s| (a + s[slow], b + s[fast]));
        a / b
    };
    let estimate = ratio(&mut sets.iter());
    let mut rng = StdRng::seed_from_u64(7);
    let mut draws: Vec<f64> = (0..10_000)
        .map(|_| ratio(&mut (0..sets.len()).map(|_| &sets[rng.random_range(0..sets.len())])))
        .collect();
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| draws[((draws.len() - 1) as f64 * q).round() as usize];
    (estimate, at(0.025), at(0.975))
}
