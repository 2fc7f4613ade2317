//! Infrastructure faults are never rewards: a program whose execution fails (an `Err` from
//! the executor) is run once more, and a rollout whose program fails twice is dropped from
//! the step, counted apart from the policy's failures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use stepcoder_core::{CoreError, ExecReport, Executor, Problem};
use stepcoder_ppo::{AdvantageKind, GroupBaseline, SampleLog, StepMetrics, Trainer};

use crate::{tiny, trainer::config};

/// The rule executor, failing the jobs `fail(call, problem id)` picks, `call` counting the
/// `execute_batch` calls (a step without overlap makes one call, then one for re-executions).
struct Faulty {
    calls: AtomicUsize,
    fail: fn(usize, &str) -> bool,
}

impl Executor for Faulty {
    fn execute(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError> {
        tiny::RuleExecutor.execute(program, problem)
    }

    fn execute_batch(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        jobs.iter()
            .map(|(program, problem)| {
                if (self.fail)(call, &problem.id) {
                    Err(CoreError::Executor(format!(
                        "injected fault (call {call}, {})",
                        problem.id
                    )))
                } else {
                    self.execute(program, problem)
                }
            })
            .collect()
    }
}

/// A group-baseline trainer over problems a (rows 0-1) and b (rows 2-3) on `executor`,
/// logging rollouts to `samples`; metrics of `steps` steps, wall times zeroed.
fn run(
    executor: Arc<dyn Executor>,
    overlap: bool,
    samples: &std::path::Path,
    steps: usize,
) -> Vec<StepMetrics> {
    let (model, tok) = tiny::model(1);
    let problems = tiny::problems();
    let mut parts = tiny::components(&problems);
    parts.executor = executor;
    let cfg = config(AdvantageKind::Group(GroupBaseline::default()));
    let mut t = Trainer::new(cfg, model, tok, problems, parts).unwrap();
    t.set_overlap_execution(overlap);
    t.log_samples_to(samples).unwrap();
    (0..steps)
        .map(|_| {
            let mut m = t.step().unwrap();
            (m.time, m.tokens_per_s) = (Default::default(), 0.0);
            m
        })
        .collect()
}

/// Step 0: problem a's programs fail on both tries (dropped), problem b's fail on the first
/// try only (re-executed, kept). b's rollouts keep their completions and rewards, a's are
/// in no outcome count and no sample line, and both kinds of error are counted.
#[test]
fn executor_errors_are_re_executed_once_then_dropped_never_scored() {
    let dir = tempfile::tempdir().unwrap();
    let clean_path = dir.path().join("clean.jsonl");
    let clean = run(Arc::new(tiny::RuleExecutor), false, &clean_path, 2);
    let faulty_path = dir.path().join("faulty.jsonl");
    let faulty = run(
        Arc::new(Faulty {
            calls: AtomicUsize::new(0),
            fail: |call, id| (call == 0) || (call == 1 && id == "a"),
        }),
        false,
        &faulty_path,
        2,
    );
    let (m, c) = (&faulty[0], &clean[0]);
    assert_eq!(
        m.executor_errors,
        4 + 2,
        "4 first tries, a's 2 re-executions"
    );
    assert_eq!(m.rollouts_dropped, 2);
    assert_eq!(m.outcomes.total(), 2, "only b's rollouts have outcomes");
    assert_eq!(m.stage_histogram.values().sum::<usize>(), 2);
    assert_eq!((c.executor_errors, c.rollouts_dropped), (0, 0));

    let clean_samples = SampleLog::read(&clean_path).unwrap();
    let faulty_samples = SampleLog::read(&faulty_path).unwrap();
    let step0: Vec<_> = faulty_samples.iter().filter(|s| s.step == 0).collect();
    assert_eq!(
        step0.iter().map(|s| s.row).collect::<Vec<_>>(),
        vec![2, 3],
        "the dropped rows have no sample line; the others keep their row numbers"
    );
    for s in step0 {
        let want = &clean_samples[s.row];
        assert_eq!((want.step, want.row, &want.problem), (0, s.row, &s.problem));
        assert_eq!(s.completion, want.completion);
        assert_eq!(s.outcome, want.outcome);
        assert_eq!(
            s.reward, want.reward,
            "a re-executed rollout keeps its reward"
        );
        assert_eq!(s.fgo_kept, want.fgo_kept);
    }
    // The policy failed nowhere that the metrics would show: the rewards are b's alone.
    let b_mean = clean_samples[2..4]
        .iter()
        .map(|s| s.reward as f64)
        .sum::<f64>()
        / 2.0;
    assert!((m.reward_mean - b_mean).abs() < 1e-9, "{m:?}");
    assert!(
        m.policy_loss.is_finite() && m.grad_norm.is_finite(),
        "{m:?}"
    );
    // The next step runs on a healthy executor again: all four rows.
    assert_eq!(faulty[1].outcomes.total(), 4);
    assert_eq!(
        (faulty[1].executor_errors, faulty[1].rollouts_dropped),
        (0, 0)
    );
}

/// The same through the overlapped execution thread (the default): problem a always fails.
#[test]
fn overlapped_execution_drops_what_fails_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("samples.jsonl");
    let m = run(
        Arc::new(Faulty {
            calls: AtomicUsize::new(0),
            fail: |_, id| id == "a",
        }),
        true,
        &path,
        1,
    );
    assert_eq!((m[0].executor_errors, m[0].rollouts_dropped), (4, 2));
    assert_eq!(m[0].outcomes.total(), 2);
    let rows: Vec<usize> = SampleLog::read(&path)
        .unwrap()
        .iter()
        .map(|s| s.row)
        .collect();
    assert_eq!(rows, vec![2, 3]);
}

/// When every program fails twice the executor is broken: the step is an error naming it,
/// not a panic and not a step of made-up rewards; the trainer can step again afterwards.
#[test]
fn a_step_whose_every_rollout_fails_is_an_error() {
    let (model, tok) = tiny::model(1);
    let problems = tiny::problems();
    let mut parts = tiny::components(&problems);
    parts.executor = Arc::new(Faulty {
        calls: AtomicUsize::new(0),
        fail: |call, _| call < 2,
    });
    let cfg = config(AdvantageKind::Group(GroupBaseline::default()));
    let mut t = Trainer::new(cfg, model, tok, problems, parts).unwrap();
    t.set_overlap_execution(false);
    let err = t.step().unwrap_err().to_string();
    assert!(
        err.contains("every rollout") && err.contains("injected fault"),
        "{err}"
    );
    assert_eq!(t.step_count(), 0);
    let m = t.step().unwrap();
    assert_eq!((m.step, m.outcomes.total(), m.rollouts_dropped), (0, 4, 0));
}
