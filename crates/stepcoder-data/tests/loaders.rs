//! Loader tests on the real published files (skipped with a message when ../shared is absent)
//! and on small files written here for the other layouts.

use std::path::{Path, PathBuf};

use serde_json::json;
use stepcoder_core::{Difficulty, ProblemKind, TestCase};
use stepcoder_data::{load, DataError, Format};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

#[test]
fn apps_plus_valid_350_loads_completely() {
    let Some(path) = shared("apps_plus/valid_350.json") else {
        return;
    };
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.format, Format::AppsPlus);
    assert!(data.errors.is_empty(), "{:?}", data.errors);
    assert_eq!(data.problems.len(), 350);
    let by = data.by_difficulty();
    assert_eq!(by["introductory"], 140);
    assert_eq!(by["interview"], 140);
    assert_eq!(by["competition"], 70);
    let kinds = data.by_kind();
    assert_eq!(kinds["stdio"], 224);
    assert_eq!(kinds["method"], 25);
    assert_eq!(kinds["function"], 101);
    // JSON held in strings is decoded, and results are unwrapped from their list.
    let p = data
        .problems
        .iter()
        .find(|p| p.starter_code.contains("def highest_age("))
        .unwrap();
    let TestCase::Call { args, expected } = &p.tests[0] else {
        panic!("call test expected")
    };
    assert_eq!(args.len(), 2);
    assert_eq!(expected, &json!("alice"));
    assert!(p.scope.as_ref().is_some_and(|s| !s.is_empty()));
}

#[test]
fn apps_plus_train_16_keeps_its_ids() {
    let Some(path) = shared("apps_plus/train_16.json") else {
        return;
    };
    let data = load(&path, Format::AppsPlus).unwrap();
    assert_eq!(data.problems.len(), 16);
    assert_eq!(data.problems[0].id, "0");
    assert!(data
        .problems
        .iter()
        .all(|p| p.difficulty == Difficulty::Competition));
}

#[test]
fn one_bad_record_is_reported_and_the_rest_load() {
    let Some(path) = shared("apps_plus/valid_350.json") else {
        return;
    };
    let mut records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    records[17]["inputs"] = json!("not a list");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("broken.json");
    std::fs::write(&copy, serde_json::to_string(&records).unwrap()).unwrap();
    let data = load(&copy, Format::Auto).unwrap();
    assert_eq!(data.problems.len(), 349);
    assert_eq!(data.errors.len(), 1);
    let e = &data.errors[0];
    assert_eq!((e.record, e.field.as_str()), (17, "inputs"));
    assert!(e.file.ends_with("broken.json"));
    assert!(e.to_string().contains("record 17"), "{e}");
}

#[test]
fn humaneval_gz_loads_164_assert_problems() {
    let Some(path) = shared("humaneval/HumanEval.jsonl.gz") else {
        return;
    };
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.format, Format::HumanEval);
    assert!(data.errors.is_empty(), "{:?}", data.errors);
    assert_eq!(data.problems.len(), 164);
    let p = &data.problems[0];
    assert_eq!(p.id, "HumanEval/0");
    assert_eq!(
        p.kind,
        ProblemKind::Assert {
            entry_point: Some("has_close_elements".into())
        }
    );
    assert!(p.canonical_solution.starts_with(&p.statement));
    let TestCase::Assert { code } = &p.tests[0] else {
        panic!()
    };
    assert!(code.trim_end().ends_with("check(has_close_elements)"));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn mbpp_jsonl_with_a_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = json!({"task_id": 11, "text": "Remove first and last occurrence of a char.",
        "code": "def remove_Occ(s,ch):\r\n    return s.replace(ch, '')",
        "test_list": ["assert remove_Occ(\"hello\",\"l\") == \"heo\"", "assert remove_Occ(\"abcda\",\"a\") == \"bcd\""],
        "test_setup_code": "", "challenge_test_list": []});
    let text = format!(
        "{good}\n{{not json\n{}\n",
        json!({"task_id": 12, "text": "x", "code": "y", "test_list": "assert f()"})
    );
    let path = write(dir.path(), "mbpp.jsonl", &text);
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.format, Format::Mbpp);
    assert_eq!(data.problems.len(), 1);
    let p = &data.problems[0];
    assert_eq!(p.id, "mbpp/11");
    assert_eq!(p.tests.len(), 2);
    assert!(!p.canonical_solution.contains('\r'));
    assert_eq!(
        p.kind,
        ProblemKind::Assert {
            entry_point: Some("remove_Occ".into())
        }
    );
    let fields: Vec<_> = data
        .errors
        .iter()
        .map(|e| (e.record, e.field.as_str()))
        .collect();
    assert_eq!(fields, vec![(1, "<record>"), (2, "test_list")]);
}

#[test]
fn evalplus_record_keeps_atol_and_checker() {
    let dir = tempfile::tempdir().unwrap();
    let rec = json!({"task_id": "HumanEval/2", "prompt": "def truncate_number(number: float) -> float:\n    \"\"\"x\"\"\"\n",
        "canonical_solution": "    return number % 1.0\n", "entry_point": "truncate_number",
        "base_input": [[3.5]], "plus_input": [[1.25]], "atol": 1e-6,
        "test": "def check(candidate):\n    assert abs(candidate(3.5) - 0.5) < 1e-6\n"});
    let no_test = json!({"task_id": "HumanEval/3", "prompt": "p", "canonical_solution": "c", "entry_point": "f", "base_input": [], "plus_input": []});
    let path = write(dir.path(), "plus.jsonl", &format!("{rec}\n{no_test}\n"));
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.format, Format::EvalPlus);
    assert_eq!(data.problems.len(), 1);
    assert_eq!(data.problems[0].atol, Some(1e-6));
    assert_eq!(data.errors[0].field, "test");
}

#[test]
fn apps_folder_and_jsonl_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("test");
    for (name, io, starter, meta) in [
        (
            "0000",
            json!({"inputs": ["1 2\n"], "outputs": ["3\n"]}),
            None,
            r#"{"difficulty": "interview"}"#,
        ),
        (
            "0001",
            json!({"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]}),
            Some("class Solution:\n    def add(self, a, b):\n"),
            r#"{"difficulty": "introductory"}"#,
        ),
        (
            "0002",
            json!({"inputs": ["1"], "outputs": ["1"]}),
            None,
            "{broken",
        ),
    ] {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        write(&d, "question.txt", "Add two numbers.");
        write(&d, "input_output.json", &io.to_string());
        write(
            &d,
            "solutions.json",
            &json!(["print(sum(map(int, input().split())))"]).to_string(),
        );
        write(&d, "metadata.json", meta);
        if let Some(s) = starter {
            write(&d, "starter_code.py", s);
        }
    }
    let data = load(&root, Format::Auto).unwrap();
    assert_eq!(data.format, Format::Apps);
    assert_eq!(data.problems.len(), 2);
    assert_eq!(data.problems[0].kind, ProblemKind::Stdio { entry: None });
    assert_eq!(
        data.problems[1].kind,
        ProblemKind::Method {
            class: "Solution".into(),
            name: "add".into()
        }
    );
    assert_eq!(
        data.problems[1].tests[0],
        TestCase::Call {
            args: vec![json!(1), json!(2)],
            expected: json!(3)
        }
    );
    assert_eq!(
        (data.errors[0].record, data.errors[0].field.as_str()),
        (2, "metadata.json")
    );

    let line = json!({"problem_id": 7, "question": "Q", "solutions": "[\"print(1)\"]",
        "input_output": "{\"inputs\": [\"\"], \"outputs\": [[\"1\"]]}", "difficulty": "competition", "starter_code": ""});
    let bad = json!({"problem_id": 8, "question": "Q", "solutions": "[]", "input_output": "{oops", "difficulty": "interview"});
    let path = write(dir.path(), "apps.jsonl", &format!("{line}\n{bad}\n"));
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.problems.len(), 1);
    assert_eq!(data.problems[0].id, "7");
    assert_eq!(data.problems[0].canonical_solution, "print(1)");
    assert_eq!(data.errors[0].field, "input_output");
}

#[test]
fn unreadable_inputs_fail_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let err = load(&missing, Format::Auto).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().contains("nope.json"));
    let odd = write(dir.path(), "odd.json", r#"[{"foo": 1}]"#);
    let err = load(&odd, Format::Auto).unwrap_err();
    assert!(err.to_string().contains("--format"), "{err}");
    let garbage = write(dir.path(), "garbage.json", "[1, 2");
    assert!(matches!(
        load(&garbage, Format::Auto),
        Err(DataError::Parse { .. })
    ));
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>().unwrap(), f);
    }
    assert!("csv".parse::<Format>().unwrap_err().contains("apps-plus"));
}

/// MBPP+ as evalplus releases it: `assertion` instead of `test`, bare `plus_input`s.
#[test]
fn mbpp_plus_runs_its_assertions_and_says_once_what_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let similar = json!({"task_id": "Mbpp/2",
        "prompt": "\"\"\"\nWrite a function to find the shared elements from the given two lists.\nassert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\n\"\"\"\n",
        "canonical_solution": "\ndef similar_elements(test_tup1, test_tup2):\n  return tuple(set(test_tup1) & set(test_tup2))\n",
        "entry_point": "similar_elements",
        "assertion": "\nassert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\nassert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))\n",
        "base_input": [[[3, 4, 5, 6], [5, 7, 4, 10]], [[1, 2, 3, 4], [5, 4, 3, 7]]],
        "plus_input": [[[], []], [[1], [1]]],
        "atol": 0, "contract": "\n    assert isinstance(test_tup1, tuple)\n"});
    let broken = json!({"task_id": "Mbpp/3", "prompt": "\"\"\"\nx\n\"\"\"\n",
        "canonical_solution": "def f():\n  return 1\n", "entry_point": "f",
        "assertion": 17, "base_input": [], "plus_input": [[1]], "atol": 0});
    let area = json!({"task_id": "Mbpp/17",
        "prompt": "\"\"\"\nWrite a function to find the area of a circle.\nassert math.isclose(circle_area(1.0), 3.1415, rel_tol=0.001)\n\"\"\"\n",
        "canonical_solution": "import math\ndef circle_area(r):\n  return math.pi * r * r\n",
        "entry_point": "circle_area",
        "assertion": "import math\nassert math.isclose(circle_area(1.0), 3.1415, rel_tol=0.001)\n",
        "base_input": [[1.0]], "plus_input": [[2.0], [0.5], [10.0]], "atol": 1e-6});
    let path = write(
        dir.path(),
        "MbppPlus.jsonl",
        &format!("{similar}\n{broken}\n{area}\n"),
    );
    let data = load(&path, Format::Auto).unwrap();
    assert_eq!(data.format, Format::EvalPlus);
    let fields: Vec<_> = data
        .errors
        .iter()
        .map(|e| (e.record, e.field.as_str()))
        .collect();
    assert_eq!(fields, vec![(1, "assertion")], "{:?}", data.errors);
    assert!(data.errors[0].file.ends_with("MbppPlus.jsonl"));

    assert_eq!(data.problems.len(), 2);
    let p = &data.problems[0];
    assert_eq!(p.id, "mbpp+/2");
    assert_eq!(p.source, "evalplus");
    assert!(
        p.statement
            .starts_with("Write a function to find the shared"),
        "{}",
        p.statement
    );
    assert!(!p.statement.contains("\"\"\""));
    assert!(p.starter_code.is_empty());
    assert!(p.canonical_solution.starts_with("def similar_elements"));
    assert_eq!(
        p.kind,
        ProblemKind::Assert {
            entry_point: Some("similar_elements".into())
        }
    );
    assert_eq!(
        p.tests,
        vec![
            TestCase::Assert {
                code: "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\n"
                    .into()
            },
            TestCase::Assert {
                code: "assert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))\n"
                    .into()
            },
        ]
    );
    assert_eq!(p.atol, None, "atol 0 is no tolerance");
    let q = &data.problems[1];
    assert_eq!(q.id, "mbpp+/17");
    assert_eq!(q.setup_code, "import math");
    assert_eq!(q.tests.len(), 1);
    assert_eq!(q.atol, Some(1e-6));

    // One warning for the file, counting the plus inputs of the problems that loaded.
    assert_eq!(data.warnings.len(), 1, "{:?}", data.warnings);
    let w = &data.warnings[0];
    assert!(w.contains("MbppPlus.jsonl"), "{w}");
    assert!(w.contains("5 plus inputs of 2 problems"), "{w}");

    // HumanEval+ (with `test`) uses every input: nothing to warn about.
    let he = json!({"task_id": "HumanEval/2", "prompt": "def f(x):\n", "canonical_solution": "    return x\n",
        "entry_point": "f", "base_input": [[1]], "plus_input": [[2]], "atol": 0,
        "test": "def check(candidate):\n    assert candidate(1) == 1\n"});
    let path = write(dir.path(), "HumanEvalPlus.jsonl", &format!("{he}\n"));
    let data = load(&path, Format::EvalPlus).unwrap();
    assert_eq!(data.problems.len(), 1);
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
}
