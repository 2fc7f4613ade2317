//! How much faster is a PPO step when the k samples of a problem share their prompt?
//!
//! Two trainers start from the same default model with the `quick` preset's PPO settings and
//! the same seeds: one computes each prompt once per problem (prefill in sampling, the
//! prompt's keys and values in scoring and in the training forward; `ppo.share_prompt =
//! true`, the default), the other gives every rollout its own copy of the prompt (`false`,
//! what the trainer did before). They take steps in turns, so both see the same machine
//! load; prints each step's time split, the mean time per rollout of each way and the ratio.
//!
//! `cargo run --release -p stepcoder-cli --example step_time -- [STEPS] [SAMPLES_PER_PROBLEM]`
//! (defaults: 3 steps, the preset's 4 samples per problem).
use std::sync::Arc;
use std::time::Instant;

use stepcoder_cli::run::config::TrainConfig;
use stepcoder_cli::run::{components, split_problems};
use stepcoder_model::LoadOptions;
use stepcoder_ppo::Trainer;
use stepcoder_sandbox::Sandbox;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let mut cfg = TrainConfig::resolve("quick", None)?;
    if let Some(k) = args.next() {
        cfg.ppo.samples_per_problem = k.parse()?;
    }
    let (train, _) = split_problems(&cfg)?;
    let sandbox = Arc::new(Sandbox::new(cfg.sandbox.build())?);
    let loaded = stepcoder_model::load(Some(&cfg.model.path), &LoadOptions::default())?;
    let mut trainers = Vec::new();
    for share in [true, false] {
        let mut ppo = cfg.ppo.clone();
        ppo.share_prompt = share;
        let policy = loaded.model.trainable_copy()?;
        let parts = components(&cfg, sandbox.clone(), &train)?;
        trainers.push((
            share,
            Trainer::new(ppo, policy, loaded.tokenizer.clone(), train.clone(), parts)?,
            Vec::new(),
        ));
    }
    let rollouts = cfg.ppo.problems_per_step * cfg.ppo.samples_per_problem;
    println!(
        "{steps} steps each way, {rollouts} rollouts per step ({} problems x {} samples), up to {} new tokens",
        cfg.ppo.problems_per_step, cfg.ppo.samples_per_problem, cfg.ppo.max_new_tokens
    );
    println!("way          step  total_s  generation_s  scoring_s  forward_s  backward_s  tokens");
    for step in 0..steps {
        for (share, trainer, times) in trainers.iter_mut() {
            let t = Instant::now();
            let m = trainer.step()?;
            let total = t.elapsed().as_secs_f64();
            times.push(total);
            println!(
                "{:<12} {step:>4} {total:>8.1} {:>13.1} {:>10.1} {:>10.1} {:>11.1} {:>7}",
                if *share { "shared" } else { "per-row" },
                m.time.generation_s,
                m.time.scoring_s,
                m.time.forward_s,
                m.time.backward_s,
                m.generated_tokens
            );
        }
    }
    let per_rollout = |times: &[f64]| times.iter().sum::<f64>() / (times.len() * rollouts) as f64;
    let shared = per_rollout(&trainers[0].2);
    let own = per_rollout(&trainers[1].2);
    println!(
        "seconds per rollout: shared prompt {shared:.2}, per-row prompt {own:.2}; speedup {:.2}x",
        own / shared
    );
    Ok(())
}
