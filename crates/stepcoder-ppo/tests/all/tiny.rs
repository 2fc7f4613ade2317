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

/// The shared tiny tokenizer of `stepcoder_model::testing` (byte-level BPE, ChatML).
pub fn tokenizer(cfg: &Config) -> ModelTokenizer {
    stepcoder_model::testing::tiny_tokenizer(cfg).unwrap()
}

pub fn config() -> Config {
    stepcoder_model::testing::tiny_config()
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
        let outcome = if program.len().is_multiple_of(3) {
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
