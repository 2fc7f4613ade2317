//! One StepCoder step without the model, composed only through the core traits, as the
//! trainer composes it: the curriculum gives a prefix of the canonical solution, a "policy"
//! (here: the rest of that solution plus a branch no test takes) completes it, the sandbox
//! runs the program, the reward scores it, FGO masks the tokens no test executed, and the
//! curriculum hands the problem a shorter prefix once its rollouts pass.

use std::sync::Arc;

use stepcoder::core::{
    CompletionSpan, CurriculumSchedule, Executor, ProblemKind, RewardFn, StepCoderReward,
    TokenMasker,
};
use stepcoder::curriculum::{ProblemCurriculum, StepConfig, StepSchedule};
use stepcoder_fgo::{CoverageMask, FullMask};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

const UNTAKEN: &str = "\nif len('abc') == 7:\n    print('never')\n";

#[test]
fn curriculum_sandbox_reward_and_fgo_compose_through_the_traits() {
    let problems = stepcoder::data::builtin().problems;
    let problem = problems
        .iter()
        .find(|p| {
            matches!(p.kind, ProblemKind::Stdio { .. })
                && ProblemCurriculum::new(p).is_ok_and(|c| c.num_stages() >= 2)
        })
        .expect("a built-in stdin problem with at least two curriculum stages");

    let mut curriculum: Box<dyn CurriculumSchedule> = Box::new(
        StepSchedule::new(
            StepConfig {
                alpha: 0.5,
                rho_t: 0.6,
            },
            std::slice::from_ref(problem),
        )
        .unwrap(),
    );
    let executor: Arc<dyn Executor> = Arc::new(Sandbox::new(SandboxConfig::default()).unwrap());
    let reward: Box<dyn RewardFn> = Box::new(StepCoderReward::default());
    let fgo: Box<dyn TokenMasker> = Box::new(CoverageMask::default());

    let plan = curriculum.plan(problem);
    assert!(plan.stage >= 1, "starts at the easiest stage: {plan:?}");
    let rest = problem
        .canonical_solution
        .strip_prefix(plan.prefix.as_str())
        .expect("the prefix is the start of the canonical solution");
    assert!(!rest.trim().is_empty(), "the policy has something to write");

    // The completion as the policy would write it, one token per byte.
    let completion = format!("{rest}{UNTAKEN}");
    let offsets: Vec<(usize, usize)> = (0..completion.len()).map(|i| (i, i + 1)).collect();
    let program = format!("{}{completion}", plan.prefix);
    let report = executor.execute(&program, problem).unwrap();
    assert!(report.passed(), "{report:?}");
    assert_eq!(reward.reward(&report), 1.0);

    let span = CompletionSpan {
        text: &completion,
        token_offsets: &offsets,
        prefix: &plan.prefix,
        stops: &[],
    };
    let mask = fgo.mask(&span, &report);
    assert_eq!(mask.len(), offsets.len());
    let weight_of_line = |needle: &str| -> Vec<f32> {
        let at = completion.find(needle).unwrap();
        mask[at..at + needle.len()].to_vec()
    };
    assert!(weight_of_line("print('never')").iter().all(|&w| w == 0.0));
    assert!(weight_of_line("if len('abc') == 7:")
        .iter()
        .all(|&w| w == 1.0));
    let rest_code = rest.trim_end();
    let rest_start = completion.find(rest_code).unwrap();
    assert!(
        mask[rest_start..rest_start + rest_code.len()]
            .iter()
            .zip(rest_code.bytes())
            .filter(|(_, b)| !b.is_ascii_whitespace())
            .all(|(&w, _)| w == 1.0),
        "the canonical rest ran, so all of it is in the loss"
    );
    // Vanilla PPO keeps every token.
    assert!(FullMask.mask(&span, &report).iter().all(|&w| w == 1.0));

    // Algorithm 1: passes raise rho above rho_t, and the problem moves one stage down.
    curriculum.record(problem, true);
    assert_eq!(curriculum.plan(problem).stage, plan.stage);
    curriculum.record(problem, true);
    let next = curriculum.plan(problem);
    assert_eq!(next.stage, plan.stage - 1);
    assert!(next.prefix.len() < plan.prefix.len());

    // The schedule's state survives a save and load.
    let saved = curriculum.save_state();
    let mut fresh = StepSchedule::new(
        StepConfig {
            alpha: 0.5,
            rho_t: 0.6,
        },
        std::slice::from_ref(problem),
    )
    .unwrap();
    assert!(fresh.load_state(&saved).unwrap().is_empty());
    assert_eq!(fresh.plan(problem), next);
}
