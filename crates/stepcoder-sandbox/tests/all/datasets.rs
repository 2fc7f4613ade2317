//! Real data: the canonical solutions of APPS+ and HumanEval pass, broken ones fail.
use std::time::Instant;

use stepcoder_core::{Executor, OutcomeClass, Problem};
use stepcoder_data::{load, Format};

use crate::{lenient, sandbox, shared_data};

fn run_canonical(problems: &[Problem]) -> Vec<(String, String)> {
    let jobs: Vec<(&str, &Problem)> = problems
        .iter()
        .map(|p| (p.canonical_solution.as_str(), p))
        .collect();
    let t = Instant::now();
    let reports = lenient().execute_batch(&jobs);
    println!("{} problems in {:.1?}", problems.len(), t.elapsed());
    let mut failed = Vec::new();
    for (p, r) in problems.iter().zip(reports) {
        let r = r.unwrap();
        if !r.passed() {
            let first = r.outcomes().into_iter().find(|o| !o.is_passed()).cloned();
            failed.push((p.id.clone(), format!("{first:?}")));
        }
    }
    failed
}

fn apps_plus() -> Option<Vec<Problem>> {
    let path = shared_data("apps_plus/valid_350.json")?;
    let ds = load(&path, Format::AppsPlus).expect("APPS+ loads");
    assert_eq!(ds.problems.len(), 350);
    Some(ds.problems)
}

/// The only canonical solutions allowed to fail need numpy/scipy, absent from the guest (and
/// they fail the same way under a python3 without them).
fn explained(detail: &str) -> bool {
    detail.contains("ModuleNotFoundError") && (detail.contains("numpy") || detail.contains("scipy"))
}

#[test]
fn apps_plus_all_350_canonical_solutions_pass() {
    let Some(problems) = apps_plus() else { return };
    let failed = run_canonical(&problems);
    for f in &failed {
        println!("failed: {f:?}");
    }
    // Measured: 348 of 350 pass (as under native CPython with the contest header); the two
    // failures import numpy and scipy. About 35 s of wall time on 2 cores.
    assert!(failed.len() <= 3, "{} failures: {failed:?}", failed.len());
    assert!(failed.iter().all(|(_, d)| explained(d)), "{failed:?}");
}

#[test]
fn humaneval_canonical_pass_and_return_none_fails() {
    let Some(path) = shared_data("humaneval/HumanEval.jsonl.gz") else {
        return;
    };
    let ds = load(&path, Format::HumanEval).expect("HumanEval loads");
    assert_eq!(ds.problems.len(), 164);
    let failed = run_canonical(&ds.problems);
    assert!(failed.is_empty(), "{failed:?}");

    let broken: Vec<String> = ds
        .problems
        .iter()
        .map(|p| format!("{}    return None\n", p.starter_code))
        .collect();
    let jobs: Vec<(&str, &Problem)> = broken
        .iter()
        .map(String::as_str)
        .zip(ds.problems.iter())
        .collect();
    for (r, p) in sandbox().execute_batch(&jobs).into_iter().zip(&ds.problems) {
        let class = r.unwrap().class();
        assert!(
            matches!(
                class,
                OutcomeClass::WrongAnswer | OutcomeClass::RuntimeError
            ),
            "{}: {class:?}",
            p.id
        );
    }
}
