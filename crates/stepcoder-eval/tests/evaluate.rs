//! Evaluation end to end with a tiny random model and the real sandbox: every sample is
//! generated, executed and counted, and the run is reproducible.

use stepcoder_core::ProblemKind;
use stepcoder_eval::{evaluate, EvalConfig};
use stepcoder_model::testing::{tiny_config, tiny_tokenizer};
use stepcoder_model::CausalLm;
use stepcoder_sandbox::{Sandbox, SandboxConfig};

#[test]
fn every_sample_is_executed_and_counted() {
    let cfg = tiny_config();
    let model = CausalLm::random(
        cfg.clone(),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
        3,
    )
    .unwrap();
    let tokenizer = tiny_tokenizer(&cfg).unwrap();
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let data = stepcoder_data::builtin();
    let problems: Vec<_> = data
        .problems
        .iter()
        .filter(|p| matches!(p.kind, ProblemKind::Stdio { .. }))
        .take(2)
        .chain(
            data.problems
                .iter()
                .filter(|p| matches!(p.kind, ProblemKind::Function { .. }))
                .take(1),
        )
        .cloned()
        .collect();
    let eval = EvalConfig {
        samples: 3,
        ks: vec![1, 3],
        temperature: 1.0,
        top_p: 1.0,
        max_new_tokens: 12,
        batch_size: 4,
        seed: 11,
    };
    let mut last = None;
    let report = evaluate(&model, &tokenizer, &sandbox, &problems, &eval, |p| {
        last = Some(p)
    })
    .unwrap();
    let last = last.unwrap();
    assert_eq!((last.sampled, last.executed, last.total), (9, 9, 9));
    assert_eq!(report.problems, 3);
    assert_eq!(report.samples_per_problem, 3);
    assert_eq!(report.outcomes.values().sum::<usize>(), 9);
    // Random bytes are not a solution.
    assert_eq!(report.pass_at_k["pass@1"], 0.0);
    assert!(report.per_problem.iter().all(|r| r.outcomes.len() == 3));
    let again = evaluate(&model, &tokenizer, &sandbox, &problems, &eval, |_| {}).unwrap();
    assert_eq!(again, report, "same seed, same model: same report");
}

#[test]
fn k_above_samples_is_refused() {
    let eval = EvalConfig {
        samples: 2,
        ks: vec![1, 5],
        ..EvalConfig::default()
    };
    let err = eval.validate().unwrap_err().to_string();
    assert!(err.contains("pass@5"), "{err}");
}

/// The sandbox, but problem `always` fails on every call and problem `once` on every other
/// one of its calls (with one sample per batch: each sample's first try, not its re-run).
struct Faulty {
    sandbox: Sandbox,
    always: String,
    once: String,
    once_calls: std::sync::atomic::AtomicUsize,
}

impl stepcoder_core::Executor for Faulty {
    fn execute(
        &self,
        program: &str,
        problem: &stepcoder_core::Problem,
    ) -> Result<stepcoder_core::ExecReport, stepcoder_core::CoreError> {
        let fault = problem.id == self.always
            || (problem.id == self.once
                && self
                    .once_calls
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    .is_multiple_of(2));
        if fault {
            return Err(stepcoder_core::CoreError::Executor(format!(
                "injected fault on {}",
                problem.id
            )));
        }
        stepcoder_core::Executor::execute(&self.sandbox, program, problem)
    }
}

/// An executor error is re-executed once, and a sample it fails twice is left out of the
/// report (counted, its program and error kept), never scored as a failure; the other
/// samples are scored exactly as without faults.
#[test]
fn executor_errors_are_retried_then_dropped_not_failed() {
    let cfg = tiny_config();
    let model = CausalLm::random(
        cfg.clone(),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
        3,
    )
    .unwrap();
    let tokenizer = tiny_tokenizer(&cfg).unwrap();
    let problems: Vec<_> = stepcoder_data::builtin()
        .problems
        .iter()
        .filter(|p| matches!(p.kind, ProblemKind::Stdio { .. }))
        .take(3)
        .cloned()
        .collect();
    let eval = EvalConfig {
        samples: 2,
        ks: vec![1],
        temperature: 1.0,
        top_p: 1.0,
        max_new_tokens: 8,
        batch_size: 1,
        seed: 5,
    };
    let sandbox = || Sandbox::new(SandboxConfig::deterministic()).unwrap();
    let clean = evaluate(&model, &tokenizer, &sandbox(), &problems, &eval, |_| {}).unwrap();
    let faulty = Faulty {
        sandbox: sandbox(),
        always: problems[0].id.clone(),
        once: problems[1].id.clone(),
        once_calls: Default::default(),
    };
    let report = evaluate(&model, &tokenizer, &faulty, &problems, &eval, |_| {}).unwrap();
    assert_eq!(report.samples_dropped, 2);
    assert_eq!(
        report.executor_errors,
        2 * 2 + 2,
        "a's two tries, b's first tries"
    );
    assert_eq!(
        report.outcomes.values().sum::<usize>(),
        4,
        "b's and c's samples"
    );
    let (a, b, c) = (
        &report.per_problem[0],
        &report.per_problem[1],
        &report.per_problem[2],
    );
    assert!(a.outcomes.is_empty() && !a.scored());
    assert_eq!(a.dropped.len(), 2);
    assert_eq!(
        a.dropped.iter().map(|d| d.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(
        a.dropped[0].program,
        clean.per_problem[0].samples[0].program
    );
    assert!(a.dropped[0].error.contains("injected fault"), "{a:?}");
    assert_eq!(
        b, &clean.per_problem[1],
        "re-executed samples score as without faults"
    );
    assert_eq!(c, &clean.per_problem[2]);
    // pass@1 is over the problems with executed samples.
    let want = (stepcoder_data::pass_at_k(2, b.correct(), 1)
        + stepcoder_data::pass_at_k(2, c.correct(), 1))
        / 2.0;
    assert_eq!(report.pass_at_k["pass@1"], want);
    assert!(
        report.table().contains("2 sample(s) left out"),
        "{}",
        report.table()
    );
    let pairs = stepcoder_eval::paired_difference(&clean, &report).unwrap();
    assert_eq!(
        pairs.problems, 2,
        "a has no pass@1 after the faults: not paired"
    );
}
