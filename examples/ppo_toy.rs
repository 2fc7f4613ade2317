//! PPO + CCCS + FGO on a toy task, end to end on 2 CPU cores in minutes.
//!
//! A tiny random Llama (2 layers, hidden 64) with an 11-token code vocabulary learns to answer
//! "print the number 7" problems. Programs run in the real wasm Python sandbox; rewards are
//! StepCoder's outcome levels; the curriculum (CCCS, Algorithm 1) starts each problem with
//! most of the canonical solution `print(\n7\n)\n` given (cut points at its lines give three
//! stages), and removes the help as the pass rate of each problem rises; FGO masks the tokens
//! of lines no test executed.
//!
//! The pass rate is measured without any curriculum help (stage 0: the whole program),
//! sampling 8 completions per problem at temperature 1, before and after training.
//!
//! ```text
//! cargo run --release --example ppo_toy -- [--steps N] [--seed S] [--json]
//! ```
//! With `--json` it prints `{"initial_pass_rate": x, "final_pass_rate": y, "steps": n}`.
//!
//! Measured (seed 0, dev profile, 2 shared cores, about 8.5 minutes): pass rate without help
//! 0.000 -> 0.688 after 60 steps; CCCS moved every problem from stage 2 to stage 0 on the way.

use std::sync::Arc;

use stepcoder_core::{
    Difficulty, Executor, Problem, ProblemKind, Scope, StepCoderReward, TestCase,
};
use stepcoder_curriculum::{StepConfig, StepSchedule};
use stepcoder_fgo::{CoverageMask, FenceMode, Program};
use stepcoder_model::candle::{DType, Device};
use stepcoder_model::{generate, CausalLm, Config, ModelTokenizer, SamplingConfig};
use stepcoder_ppo::{
    AdvantageKind, Components, GroupBaseline, KlController, LossConfig, LrSchedule, PpoConfig,
    Trainer,
};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

const SPECIALS: [&str; 4] = ["<unk>", "<s>", "<|im_end|>", "<|im_start|>"];
const PIECES: [&str; 7] = ["print(", ")", "\n", "```", "7", "1", " "];
const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/// A word-level tokenizer over code pieces: `print(`, fences, digits and single characters;
/// anything else in a prompt becomes `<unk>`.
fn tokenizer(cfg: &Config) -> anyhow::Result<ModelTokenizer> {
    let mut vocab = serde_json::Map::new();
    let mut added = Vec::new();
    for (i, s) in SPECIALS.iter().enumerate() {
        vocab.insert(s.to_string(), serde_json::json!(i));
        added.push(
            serde_json::json!({"id": i, "content": s, "single_word": false,
            "lstrip": false, "rstrip": false, "normalized": false, "special": true}),
        );
    }
    for (i, s) in PIECES.iter().enumerate() {
        vocab.insert(s.to_string(), serde_json::json!(SPECIALS.len() + i));
    }
    let json = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "print\\(|```|[\\s\\S]"},
            "behavior": "Isolated", "invert": false},
        "post_processor": null,
        "decoder": {"type": "Fuse"},
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    });
    let inner = stepcoder_model::tokenizers::Tokenizer::from_bytes(json.to_string().as_bytes())
        .map_err(|e| anyhow::anyhow!("toy tokenizer: {e}"))?;
    Ok(ModelTokenizer::new(
        inner,
        Some(TEMPLATE.into()),
        Some("<s>".into()),
        Some("<|im_end|>".into()),
        cfg.eos_ids(),
        None,
    ))
}

fn problems() -> Vec<Problem> {
    let statements = [
        "Print the number 7.",
        "Output 7 on one line.",
        "Write 7 to standard output.",
        "Print seven as a digit: 7.",
    ];
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| Problem {
            id: format!("toy-{i}"),
            source: "toy".into(),
            difficulty: Difficulty::Introductory,
            statement: s.to_string(),
            starter_code: String::new(),
            canonical_solution: "print(\n7\n)\n".into(),
            kind: ProblemKind::Stdio { entry: None },
            tests: vec![TestCase::Stdio {
                input: String::new(),
                expected: "7\n".into(),
            }],
            setup_code: String::new(),
            atol: None,
            // Cut points at the starts of the three lines, three deep each (as nested blocks
            // that start on one line): 9 cut points give CCCS 3 stages with stride 3. Stage 2
            // gives `print(\n7\n` (write `)`), stage 1 gives `print(\n` (write `7` and `)`),
            // stage 0 gives nothing.
            scope: Some(
                [1u32, 1, 1, 2, 2, 2, 3, 3, 3]
                    .iter()
                    .map(|&l| Scope {
                        kind: "Line".into(),
                        start_line: l,
                        end_line: 3,
                    })
                    .collect(),
            ),
        })
        .collect()
}

/// Pass rate of the policy with no curriculum help: `n` samples per problem at T = 1.
fn pass_rate(
    trainer: &Trainer,
    sandbox: &dyn Executor,
    problems: &[Problem],
    n: usize,
    seed: u64,
) -> anyhow::Result<f64> {
    let mut prompts = Vec::new();
    let mut owners = Vec::new();
    for p in problems {
        let ids = trainer.prompt_ids(p, "")?;
        for _ in 0..n {
            prompts.push(ids.clone());
            owners.push(p);
        }
    }
    let cfg = SamplingConfig {
        max_new_tokens: trainer.config().max_new_tokens,
        temperature: 1.0,
        seed,
        stop_strings: vec![stepcoder_core::prompt::CODE_FENCE_CLOSE.into()],
        ..SamplingConfig::default()
    };
    let outs = generate(trainer.policy(), Some(trainer.tokenizer()), &prompts, &cfg)?;
    let programs: Vec<String> = outs
        .iter()
        .map(|c| {
            Program::extract("", &c.text, FenceMode::Continuation)
                .text()
                .to_string()
        })
        .collect();
    let jobs: Vec<(&str, &Problem)> = programs
        .iter()
        .zip(&owners)
        .map(|(p, o)| (p.as_str(), *o))
        .collect();
    let mut passed = 0usize;
    for r in sandbox.execute_batch(&jobs) {
        if r?.passed() {
            passed += 1;
        }
    }
    Ok(passed as f64 / jobs.len() as f64)
}

fn main() -> anyhow::Result<()> {
    stepcoder_model::runtime::pin_cpu_threads();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name);
    let value = |name: &str, default: u64| -> anyhow::Result<u64> {
        match flag(name) {
            Some(i) => Ok(args
                .get(i + 1)
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?
                .parse()?),
            None => Ok(default),
        }
    };
    let json = flag("--json").is_some();
    let steps = value("--steps", 60)?;
    let seed = value("--seed", 0)?;

    let mut cfg = Config::tiny_llama(SPECIALS.len() + PIECES.len(), 64, 2, 4, 2);
    cfg.bos_token_id = Some(1);
    cfg.eos_token_id = Some(stepcoder_model::TokenIds::One(2));
    let tok = tokenizer(&cfg)?;
    let model = CausalLm::random(cfg, DType::F32, &Device::Cpu, seed)?;
    let problems = problems();
    let sandbox: Arc<Sandbox> = Arc::new(Sandbox::new(SandboxConfig::default())?);
    let parts = Components {
        executor: sandbox.clone(),
        reward: Box::new(StepCoderReward::default()),
        // Advance at a 0.5 pass average (default 0.8): a stage mastered for too long leaves
        // the policy too sure of its last tokens to find the next stage's.
        curriculum: Box::new(StepSchedule::new(
            StepConfig {
                alpha: 0.1,
                rho_t: 0.5,
            },
            &problems,
        )?),
        masker: Box::new(CoverageMask::new()),
    };
    let ppo = PpoConfig {
        problems_per_step: 4,
        samples_per_problem: 16,
        max_new_tokens: 6,
        temperature: 1.0,
        top_p: 1.0,
        ppo_epochs: 2,
        minibatch_rows: 32,
        grad_accum: 1,
        max_grad_norm: 1.0,
        policy_lr: LrSchedule::constant(3e-3),
        critic_lr: LrSchedule::constant(3e-3),
        loss: LossConfig {
            // Keeps exploring once a stage is solved: the next stage needs new programs.
            entropy_coef: 0.05,
            ..LossConfig::default()
        },
        kl: KlController::Fixed { beta: 0.05 },
        advantage: AdvantageKind::Group(GroupBaseline::default()),
        seed,
        ..PpoConfig::default()
    };
    let mut trainer = Trainer::new(ppo, model, tok, problems.clone(), parts)?;

    let initial = pass_rate(&trainer, sandbox.as_ref(), &problems, 8, seed ^ 0xE1)?;
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
                "step {:3}  reward {:+.3}  pass {:.2}  stages {:?}  kl {:.4}  fgo-masked {:.2}  gen/exec/train {:.2}/{:.2}/{:.2} s",
                m.step, m.reward_mean, m.pass_rate, m.stage_histogram, m.kl, m.fgo_masked_fraction,
                t.generation_s, t.execution_s, t.training_s
            );
        }
    }
    let final_rate = pass_rate(&trainer, sandbox.as_ref(), &problems, 8, seed ^ 0xE1)?;
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
