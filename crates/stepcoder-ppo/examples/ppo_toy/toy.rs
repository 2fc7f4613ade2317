//! The toy RL task: "print the number 7", learnt by PPO + CCCS + FGO from a random tiny model
//! in the real sandbox. Shared by the `ppo_toy` example and the learning test.
//!
//! The vocabulary is five code pieces (`print(`, `7)`, `1)`, a line break, a space), the
//! fence and four specials. Every program other than `print(7)` and `print(1)` (with line
//! breaks and spaces between pieces) fails to compile or writes no code, so reward rises
//! step by step with the right first token: -1 for anything else, -0.3 for `print(1)`, +1 for
//! `print(7)`. The canonical solution `print(\n7)\n` has two lines; its cut points give CCCS
//! two stages: stage 1 gives `print(` (the policy writes `7)`), stage 0 gives nothing.
//!
//! An earlier version (`print(\n7\n)`, digits as tokens of their own) learnt on a knife
//! edge: a bare `7` or `1` is a valid program that prints nothing, a wrong answer worth more
//! than every failed attempt at `print(`, and at stage 0 most seeds settled there.

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
use stepcoder_sandbox::{Sandbox, SandboxConfig, TimeBudget};

const SPECIALS: [&str; 4] = ["<unk>", "<s>", "<|im_end|>", "<|im_start|>"];
const PIECES: [&str; 6] = ["print(", "7)", "1)", "\n", "```", " "];
const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/// A word-level tokenizer over the code pieces; any other word of a prompt becomes one
/// `<unk>` (a word, not a character: the prompts stay short, so a step costs little).
pub fn tokenizer(cfg: &Config) -> anyhow::Result<ModelTokenizer> {
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
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "print\\(|```|[0-9]\\)|\\n| |[^\\n ]+"},
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

/// Four wordings of the task, one canonical solution and one test each.
pub fn problems() -> Vec<Problem> {
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
            canonical_solution: "print(\n7)\n".into(),
            kind: ProblemKind::Stdio { entry: None },
            tests: vec![TestCase::Stdio {
                input: String::new(),
                expected: "7\n".into(),
            }],
            setup_code: String::new(),
            atol: None,
            // Cut points at the starts of the two lines, two deep each (as nested blocks
            // that start on one line): 4 cut points give CCCS 2 stages with stride 2.
            scope: Some(
                [1u32, 1, 2, 2]
                    .iter()
                    .map(|&l| Scope {
                        kind: "Line".into(),
                        start_line: l,
                        end_line: 2,
                    })
                    .collect(),
            ),
        })
        .collect()
}

/// The sandbox of the toy: a deterministic fuel budget per test, the wall clock only a
/// safety net, so a loaded machine never decides an outcome (the toy's programs cannot loop
/// and use a small part of the budget).
pub fn sandbox() -> anyhow::Result<Arc<Sandbox>> {
    Ok(Arc::new(Sandbox::new(SandboxConfig {
        budget: TimeBudget::Fuel { fuel: 500_000_000 },
        ..SandboxConfig::default()
    })?))
}

/// A random 2-layer Llama (hidden 64) over the toy vocabulary, in a trainer for the toy's
/// problems: 4 problems x 16 rollouts of up to 6 tokens per step, group baseline, CCCS
/// advancing at a 0.5 pass average, FGO, lr 3e-3, entropy bonus 0.05.
pub fn trainer(seed: u64, sandbox: Arc<Sandbox>) -> anyhow::Result<Trainer> {
    let mut cfg = Config::tiny_llama(SPECIALS.len() + PIECES.len(), 64, 2, 4, 2);
    cfg.bos_token_id = Some(1);
    cfg.eos_token_id = Some(stepcoder_model::TokenIds::One(2));
    let tok = tokenizer(&cfg)?;
    let model = CausalLm::random(cfg, DType::F32, &Device::Cpu, seed)?;
    let problems = problems();
    let parts = Components {
        executor: sandbox,
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
    Ok(Trainer::new(ppo, model, tok, problems, parts)?)
}

/// Pass rate of the policy with no curriculum help: `n` samples per problem at T = 1.
pub fn pass_rate(
    trainer: &Trainer,
    sandbox: &dyn Executor,
    n: usize,
    seed: u64,
) -> anyhow::Result<f64> {
    let problems = problems();
    let mut prompts = Vec::new();
    let mut owners = Vec::new();
    for p in &problems {
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
