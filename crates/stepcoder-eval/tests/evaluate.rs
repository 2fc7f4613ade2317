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
