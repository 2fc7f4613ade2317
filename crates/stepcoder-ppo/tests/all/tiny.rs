//! A tiny setup for trainer tests: a random 2-layer Llama, a byte-level BPE tokenizer, two
//! problems, the real CCCS schedule and FGO masker, and a deterministic rule executor.

use std::sync::Arc;

use candle_core::{DType, Device};
use stepcoder_core::{
    CoreError, Difficulty, ExecReport, Executor, Outcome, Problem, ProblemKind, StepCoderReward,
    TestCase, TestReport,
};
use stepcoder_model::{CausalLm, Config, ModelTokenizer};
use stepcoder_ppo::Components;

fn byte_chars() -> Vec<char> {
    let mut bs: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    let mut out = vec![' '; 256];
    for (b, c) in bs.iter().zip(cs) {
        out[*b as usize] = char::from_u32(c).unwrap();
    }
    out
}

const SPECIALS: [&str; 4] = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"];
const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
pub const VOCAB: usize = 260;

pub fn tokenizer(cfg: &Config) -> ModelTokenizer {
    let mut vocab = serde_json::Map::new();
    for (i, c) in byte_chars().iter().enumerate() {
        vocab.insert(c.to_string(), serde_json::json!(i));
    }
    let mut added = Vec::new();
    for (i, s) in SPECIALS.iter().enumerate() {
        vocab.insert(s.to_string(), serde_json::json!(256 + i));
        added.push(
            serde_json::json!({"id": 256 + i, "content": s, "single_word": false,
            "lstrip": false, "rstrip": false, "normalized": false, "special": true}),
        );
    }
    let json = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": []}
    });
    let inner =
        stepcoder_model::tokenizers::Tokenizer::from_bytes(json.to_string().as_bytes()).unwrap();
    ModelTokenizer::new(
        inner,
        Some(TEMPLATE.into()),
        Some("<s>".into()),
        Some("<|im_end|>".into()),
        cfg.eos_ids(),
        None,
    )
}

pub fn config() -> Config {
    let mut c = Config::tiny_llama(VOCAB, 32, 2, 4, 2);
    c.bos_token_id = Some(256);
    c.eos_token_id = Some(stepcoder_model::TokenIds::One(259));
    c
}

pub fn model(seed: u64) -> (CausalLm, ModelTokenizer) {
    let cfg = config();
    let m = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, seed).unwrap();
    (m, tokenizer(&cfg))
}

pub fn problems() -> Vec<Problem> {
    let p = |id: &str, sol: &str| Problem {
        id: id.into(),
        source: "test".into(),
        difficulty: Difficulty::Introductory,
        statement: format!("Task {id}."),
        starter_code: String::new(),
        canonical_solution: sol.into(),
        kind: ProblemKind::Stdio { entry: None },
        tests: vec![TestCase::Stdio {
            input: String::new(),
            expected: "3\n".into(),
        }],
        setup_code: String::new(),
        atol: None,
        scope: None,
    };
    vec![
        p("a", "x = 0\nfor i in range(3):\n    x += 1\nprint(x)\n"),
        p(
            "b",
            "def f():\n    if True:\n        return 3\n    return 0\nprint(f())\n",
        ),
    ]
}

/// Test-only executor with a deterministic pure-Rust rule (the point of these tests is the
/// trainer's mechanics, not Python): an empty program is a compile error, one whose byte
/// count is divisible by 3 passes, one with an odd count is a wrong answer, the rest raise.
/// The first half of the lines (rounded up) count as executed, so FGO masks the rest.
pub struct RuleExecutor;

impl Executor for RuleExecutor {
    fn execute(&self, program: &str, _problem: &Problem) -> Result<ExecReport, CoreError> {
        if program.trim().is_empty() {
            return Ok(ExecReport::compile_failure(Outcome::CompileError {
                error_type: "SyntaxError".into(),
                message: "empty".into(),
                line: None,
            }));
        }
        let lines = program.lines().count().max(1) as u32;
        let outcome = if program.len() % 3 == 0 {
            Outcome::Passed
        } else if program.len() % 2 == 1 {
            Outcome::WrongAnswer {
                expected: "3".into(),
                got: "?".into(),
            }
        } else {
            Outcome::RuntimeError {
                error_type: "ValueError".into(),
                message: String::new(),
                line: Some(1),
            }
        };
        let mut t = TestReport::new(outcome);
        t.executed_lines = (1..=lines.div_ceil(2)).collect();
        let mut r = ExecReport::from_tests(vec![t]);
        r.executable_lines = (1..=lines).collect();
        Ok(r)
    }
}

pub fn components(problems: &[Problem]) -> Components {
    Components {
        executor: Arc::new(RuleExecutor),
        reward: Box::new(StepCoderReward::default()),
        curriculum: Box::new(
            stepcoder_curriculum::StepSchedule::new(
                stepcoder_curriculum::StepConfig::default(),
                problems,
            )
            .unwrap(),
        ),
        masker: Box::new(stepcoder_fgo::CoverageMask::new()),
    }
}
