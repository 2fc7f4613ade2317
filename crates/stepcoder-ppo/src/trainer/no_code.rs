//! Rollouts that write no code, through the judge phase.

use super::*;
use stepcoder_core::{Difficulty, ProblemKind, StepCoderReward, TestCase};
use stepcoder_model::testing::{tiny_config, tiny_tokenizer};

/// Runs nothing: every program prints nothing, a wrong answer.
struct PrintsNothing;

impl Executor for PrintsNothing {
    fn execute(
        &self,
        _: &str,
        _: &Problem,
    ) -> std::result::Result<ExecReport, stepcoder_core::CoreError> {
        Ok(ExecReport::from_tests(vec![
            stepcoder_core::TestReport::new(stepcoder_core::Outcome::WrongAnswer {
                expected: "1\n".into(),
                got: String::new(),
            }),
        ]))
    }
}

/// A completion that stopped at once, one that closed the fence, one of blank lines and a
/// comment, and one with code: the first three are scored with the reward's `no_code`
/// level (not as the wrong answers their empty programs ran to) and counted apart.
#[test]
fn rollouts_that_write_no_code_get_the_no_code_reward() {
    let dev = Device::Cpu;
    let cfg = tiny_config();
    let policy = CausalLm::random(cfg.clone(), DType::F32, &dev, 1)
        .unwrap()
        .trainable_copy()
        .unwrap();
    let problem = Problem {
        id: "p".into(),
        source: "test".into(),
        difficulty: Difficulty::Introductory,
        statement: "Print 1.".into(),
        starter_code: String::new(),
        canonical_solution: "print(1)\n".into(),
        kind: ProblemKind::Stdio { entry: None },
        tests: vec![TestCase::Stdio {
            input: String::new(),
            expected: "1\n".into(),
        }],
        setup_code: String::new(),
        atol: None,
        scope: None,
    };
    let reward = StepCoderReward {
        no_code: -0.9,
        ..StepCoderReward::default()
    };
    let mut trainer = Trainer::new(
        PpoConfig::default(),
        policy,
        tiny_tokenizer(&cfg).unwrap(),
        vec![problem],
        Components {
            executor: Arc::new(PrintsNothing),
            reward: Box::new(reward),
            curriculum: Box::new(stepcoder_curriculum::NoCurriculum),
            masker: Box::new(stepcoder_fgo::FullMask),
        },
    )
    .unwrap();
    let texts = ["", "```", "\n  \n# later\n", "print(2)\n"];
    let completions: Vec<Completion> = texts
        .iter()
        .map(|t| Completion {
            prompt_ids: vec![1, 2],
            token_ids: vec![3],
            logprobs: vec![-1.0],
            text: t.to_string(),
            token_offsets: vec![(0, t.len())],
            finish: stepcoder_model::FinishReason::Length,
            stop_at: None,
        })
        .collect();
    let batch = Batch {
        plans: vec![stepcoder_core::PromptPlan::unassisted()],
        prompts: vec![vec![1, 2]; 4],
        groups: vec![0; 4],
        plan_index: vec![0; 4],
        rows: (0..4).collect(),
    };
    let programs: Vec<Program> = texts
        .iter()
        .map(|t| extract_program(&trainer.problems[0], "", t, FenceMode::Continuation))
        .collect();
    let reports: Vec<_> = programs
        .iter()
        .map(|p| {
            PrintsNothing
                .execute(p.text(), &trainer.problems[0])
                .unwrap()
        })
        .collect();
    let rollouts = Rollouts {
        wrote_code: programs.iter().map(Program::wrote_code).collect(),
        results: Vec::new(),
        executor_errors: 0,
        completions,
        sampled_states: None,
        generation_s: 0.0,
        execution_s: 0.0,
        execution_busy_s: 0.0,
    };
    assert_eq!(rollouts.wrote_code, vec![false, false, false, true]);
    let judged = trainer.judge(&batch, &rollouts, &reports).unwrap();
    assert_eq!(judged.raw_rewards, vec![-0.9, -0.9, -0.9, -0.3]);
    assert_eq!(judged.no_code, 3);
    assert_eq!(
        judged.outcomes.wrong_answer, 4,
        "outcomes are what the programs ran to"
    );
}
