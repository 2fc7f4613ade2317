//! PPO + CCCS + FGO on a toy task, end to end on 2 CPU cores in about fifteen seconds.
//!
//! A tiny random Llama (2 layers, hidden 64) with a 10-token code vocabulary learns to answer
//! "print the number 7" problems (see `toy.rs` for the task and why it is built so). Programs
//! run in the real wasm Python sandbox; rewards are StepCoder's outcome levels; the
//! curriculum (CCCS, Algorithm 1) starts each problem with the first line of the canonical
//! solution given and removes it once the problem's pass average rises; FGO masks the tokens
//! of lines no test executed.
//!
//! The pass rate is measured without any curriculum help (stage 0: the whole program),
//! sampling 8 completions per problem at temperature 1, before and after training.
//!
//! ```text
//! cargo run --release -p stepcoder-ppo --example ppo_toy -- [--steps N] [--seed S] [--json] [--samples FILE]
//! ```
//! With `--json` it prints `{"initial_pass_rate": x, "final_pass_rate": y, "steps": n}`;
//! `--samples` writes every rollout to FILE as JSON lines (`stepcoder_ppo::RolloutSample`).
//! The learning test (`tests/all/learning.rs`) runs the same task for a few seeds; the seeds
//! that learn, and by when, are in docs/results.md ("The toy RL task").

mod toy;

fn main() -> anyhow::Result<()> {
    stepcoder_model::runtime::pin_cpu_threads();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name);
    let arg = |name: &str| -> anyhow::Result<Option<&String>> {
        match flag(name) {
            Some(i) => Ok(Some(
                args.get(i + 1)
                    .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?,
            )),
            None => Ok(None),
        }
    };
    let number = |name: &str, default: u64| -> anyhow::Result<u64> {
        arg(name)?.map_or(Ok(default), |v| {
            v.parse()
                .map_err(|e| anyhow::anyhow!("{name} {v}: not a whole number ({e})"))
        })
    };
    let json = flag("--json").is_some();
    let steps = number("--steps", 40)?;
    let seed = number("--seed", 0)?;

    let sandbox = toy::sandbox()?;
    let mut trainer = toy::trainer(seed, sandbox.clone())?;
    if let Some(path) = arg("--samples")? {
        trainer.log_samples_to(std::path::Path::new(path))?;
    }
    let initial = toy::pass_rate(&trainer, sandbox.as_ref(), 8, seed ^ 0xE1)?;
    let mut mean = stepcoder_ppo::TimeSplit::default();
    for _ in 0..steps {
        let m = trainer.step()?;
        let t = m.time;
        for (sum, x) in [
            (&mut mean.generation_s, t.generation_s),
            (&mut mean.execution_s, t.execution_s),
            (&mut mean.training_s, t.training_s),
            (&mut mean.execution_busy_s, t.execution_busy_s),
            (&mut mean.scoring_s, t.scoring_s),
            (&mut mean.forward_s, t.forward_s),
            (&mut mean.backward_s, t.backward_s),
            (&mut mean.optimizer_s, t.optimizer_s),
        ] {
            *sum += x / steps.max(1) as f64;
        }
        if !json {
            println!(
                "step {:3}  reward {:+.3}  pass {:.2}  no code {:2}  stages {:?}  kl {:.4}  fgo-masked {:.2}  gen/exec/train {:.2}/{:.2}/{:.2} s",
                m.step, m.reward_mean, m.pass_rate, m.no_code, m.stage_histogram, m.kl,
                m.fgo_masked_fraction, t.generation_s, t.execution_s, t.training_s
            );
        }
    }
    let final_rate = toy::pass_rate(&trainer, sandbox.as_ref(), 8, seed ^ 0xE1)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"initial_pass_rate": initial, "final_pass_rate": final_rate, "steps": steps})
        );
    } else {
        println!("pass rate without help: {initial:.3} -> {final_rate:.3} after {steps} steps");
        // Execution overlaps generation: `execution after` is only what ran past its end.
        let t = mean;
        println!(
            "mean per step: generation {:.2} s (execution busy {:.2} s alongside), execution \
             after it {:.2} s, training {:.2} s (scoring {:.2}, forward {:.2}, backward {:.2}, \
             optimizer {:.2})",
            t.generation_s,
            t.execution_busy_s,
            t.execution_s,
            t.training_s,
            t.scoring_s,
            t.forward_s,
            t.backward_s,
            t.optimizer_s
        );
    }
    Ok(())
}
