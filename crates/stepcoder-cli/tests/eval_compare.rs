//! `stepcoder eval --baseline` and `--compare` as a user runs them: a tiny random model
//! against itself (same seeds, so the very same samples), and saved reports compared
//! without a model.

use std::path::Path;
use std::process::{Command, Output};

use stepcoder_core::{Difficulty, OutcomeClass};
use stepcoder_eval::{EvalReport, ProblemResult};

fn stepcoder() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepcoder"));
    c.env_remove("STEPCODER_MODEL");
    c
}

fn ok(out: Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "command failed:\n{stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Problem `i` passed `correct[i]` of 2 samples.
fn write_report(path: &Path, correct: &[usize]) {
    let results = correct
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let mut outcomes = vec![OutcomeClass::Passed; c];
            outcomes.resize(2, OutcomeClass::CompileError);
            ProblemResult::new(format!("p{i}"), Difficulty::Interview, outcomes)
        })
        .collect();
    let report = EvalReport::from_results(results, &[1]);
    std::fs::write(path, serde_json::to_string(&report).unwrap()).unwrap();
}

#[test]
fn baseline_uses_the_same_seeds_and_compare_reproduces_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    stepcoder_model::testing::write_tiny_checkpoint(&model, 5).unwrap();
    let saved = dir.path().join("eval.json");
    let stdout = ok(stepcoder()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--baseline")
        .arg(&model)
        .args(["--data", "builtin", "--limit", "2", "--max-new-tokens", "6"])
        .args([
            "--batch-size",
            "2",
            "--temperature",
            "1",
            "--json",
            "--output",
        ])
        .arg(&saved)
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["problems"], 2, "{v}");
    assert!(v["pass1_ci"]["lo"].is_number(), "{v}");
    assert_eq!(v["baseline"]["problems"], 2, "{v}");
    let d = &v["paired_difference"];
    assert_eq!(d["problems"], 2, "{d}");
    assert_eq!(d["diff"]["estimate"], 0.0, "{d}");
    assert_eq!(d["p_value"], 1.0, "{d}");
    assert_eq!(d["significant"], false, "{d}");

    // Same model, same seeds: sample for sample the same programs.
    let baseline_file = dir.path().join("eval.baseline.json");
    let read = |p: &Path| -> EvalReport {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (b, m) = (read(&baseline_file), read(&saved));
    assert!(!m.per_problem[0].samples.is_empty());
    assert_eq!(b.per_problem, m.per_problem);

    let cmp: serde_json::Value = serde_json::from_str(&ok(stepcoder()
        .args(["eval", "--compare"])
        .arg(&baseline_file)
        .arg(&saved)
        .arg("--json")
        .output()
        .unwrap()))
    .unwrap();
    assert_eq!(&cmp["paired_difference"], d, "{cmp}");
}

#[test]
fn compare_prints_the_paired_difference_of_saved_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("b.json"), dir.path().join("a.json"));
    // Five problems go from 0 of 2 to 2 of 2; three stay.
    write_report(&before, &[0, 0, 0, 0, 0, 2, 2, 0]);
    write_report(&after, &[2, 2, 2, 2, 2, 2, 2, 0]);
    let text = ok(stepcoder()
        .args(["eval", "--compare"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap());
    assert!(
        text.contains("pass@1 25.0% -> 87.5%: +62.5 points, 95% CI [+"),
        "{text}"
    );
    // Exact sign-flip test: 2 of the 32 patterns of the five +1 differences.
    assert!(text.contains("p = 0.06"), "{text}");
    assert!(text.contains("(8 problems, paired)"), "{text}");

    // A report written before intervals existed still compares.
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&before).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("pass1_ci");
    std::fs::write(&before, old.to_string()).unwrap();
    let again = ok(stepcoder()
        .args(["eval", "--compare"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap());
    assert_eq!(again, text);
}

#[test]
fn compare_refuses_reports_of_different_problems() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("b.json"), dir.path().join("a.json"));
    write_report(&before, &[0, 1, 2]);
    write_report(&after, &[0, 1]);
    let out = stepcoder()
        .args(["eval", "--compare"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`p2`"), "{stderr}");
}

#[test]
fn eval_without_data_or_compare_is_a_usage_error() {
    let out = stepcoder().args(["eval", "--model", "x"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--data"), "{stderr}");
}
