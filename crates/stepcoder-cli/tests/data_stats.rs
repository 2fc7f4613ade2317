//! `stepcoder data stats` end to end, as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn stepcoder() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stepcoder"))
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    p.exists().then_some(p).or_else(|| {
        eprintln!("skipping: ../shared/data/{rel} not found");
        None
    })
}

fn stats_json(path: &Path) -> serde_json::Value {
    let out = stepcoder()
        .args(["data", "stats"])
        .arg(path)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stats_of_apps_plus_valid_350() {
    let Some(path) = shared("apps_plus/valid_350.json") else {
        return;
    };
    let v = stats_json(&path);
    assert_eq!(v["problems"], 350);
    assert_eq!(v["by_difficulty"]["introductory"], 140);
    assert_eq!(v["by_difficulty"]["interview"], 140);
    assert_eq!(v["by_difficulty"]["competition"], 70);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["tests"], 871);
}

#[test]
fn stats_of_humaneval_gz() {
    let Some(path) = shared("humaneval/HumanEval.jsonl.gz") else {
        return;
    };
    assert_eq!(stats_json(&path)["problems"], 164);
}

#[test]
fn bad_record_is_listed_and_exit_is_zero() {
    let Some(path) = shared("apps_plus/valid_350.json") else {
        return;
    };
    let mut records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    records[3]["inputs"] = serde_json::json!("oops");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.json");
    std::fs::write(&copy, serde_json::to_string(&records).unwrap()).unwrap();
    let v = stats_json(&copy);
    assert_eq!(v["problems"], 349);
    assert_eq!(v["errors"][0]["record"], 3);
    assert_eq!(v["errors"][0]["field"], "inputs");
}

#[test]
fn unreadable_file_fails_with_a_clear_message() {
    let out = stepcoder()
        .args(["data", "stats", "/nonexistent/problems.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/problems.json"), "{err}");
}
