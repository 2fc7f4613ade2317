//! Every canonical solution of the built-in problem set (`datasets/builtin.json`) passes its own
//! unit tests when run with native `python3` (through `datasets/tools/check_builtin.py`).
//!
//! Native execution stands in for the sandbox until the sandbox crate can run the same check.
//! The test fails when the file is missing, when `python3` cannot be started, or when any
//! solution fails any of its tests; the checker's report (problem id, test number, reason) is
//! printed on failure. A second check makes sure the JSON is what `build_builtin.py` generates
//! from the Python source of truth, so nobody edits the JSON by hand.

use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn builtin_canonical_solutions_pass_their_tests() {
    let root = repo_root();
    let data = root.join("datasets/builtin.json");
    let checker = root.join("datasets/tools/check_builtin.py");
    assert!(
        data.is_file(),
        "built-in problem set missing: {}",
        data.display()
    );
    assert!(checker.is_file(), "checker missing: {}", checker.display());

    let output = Command::new("python3")
        .arg(&checker)
        .arg(&data)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", checker.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "check_builtin.py failed ({}):\n{stdout}{stderr}",
        output.status
    );
    assert!(
        stdout.contains(": ok"),
        "check_builtin.py did not report success:\n{stdout}"
    );
}

#[test]
fn builtin_file_is_a_nonempty_apps_plus_list() {
    let path = repo_root().join("datasets/builtin.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let records: Vec<serde_json::Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON list: {e}", path.display()));
    assert!(records.len() >= 60, "only {} problems", records.len());
    for (i, record) in records.iter().enumerate() {
        for field in [
            "prompt",
            "canonical_solution",
            "starter_code",
            "inputs",
            "outputs",
            "scope",
            "difficulty",
            "id",
        ] {
            assert!(record.get(field).is_some(), "record {i} lacks `{field}`");
        }
        let tests = record["inputs"].as_array().map_or(0, Vec::len);
        assert!(tests >= 3, "record {i} has {tests} tests");
        assert_eq!(
            record["outputs"].as_array().map_or(0, Vec::len),
            tests,
            "record {i}: inputs and outputs differ in length"
        );
    }
}

#[test]
fn builtin_json_matches_its_python_source() {
    let root = repo_root();
    let builder = root.join("datasets/tools/build_builtin.py");
    let output = Command::new("python3")
        .arg(&builder)
        .arg("--check")
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", builder.display()));
    assert!(
        output.status.success(),
        "datasets/builtin.json is not what build_builtin.py generates (edit the problems in \
         datasets/tools/, then rerun the builder):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
