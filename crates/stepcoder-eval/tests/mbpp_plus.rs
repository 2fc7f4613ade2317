//! An MBPP+ problem loaded from an evalplus release file really runs in the sandbox: its
//! canonical solution passes its `assertion` checks, a wrong one fails them one by one.

use serde_json::json;
use stepcoder_core::{Executor, OutcomeClass, Problem};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

#[test]
fn mbpp_plus_assertions_run_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let similar = json!({"task_id": "Mbpp/2",
        "prompt": "\"\"\"\nWrite a function to find the shared elements from the given two lists.\n\"\"\"\n",
        "canonical_solution": "\ndef similar_elements(test_tup1, test_tup2):\n  return tuple(set(test_tup1) & set(test_tup2))\n",
        "entry_point": "similar_elements",
        "assertion": "\nassert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\nassert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))\n",
        "base_input": [], "plus_input": [[[], []]], "atol": 0});
    let area = json!({"task_id": "Mbpp/17",
        "prompt": "\"\"\"\nWrite a function to find the area of a circle.\n\"\"\"\n",
        "canonical_solution": "import math\ndef circle_area(r):\n  return math.pi * r * r\n",
        "entry_point": "circle_area",
        // `math` comes from the assertion's own setup line, not from the program.
        "assertion": "import math\nassert math.isclose(circle_area(1.0), 3.1415, rel_tol=0.001)\n",
        "base_input": [], "plus_input": [], "atol": 0});
    let path = dir.path().join("MbppPlus.jsonl");
    std::fs::write(&path, format!("{similar}\n{area}\n")).unwrap();
    let data = stepcoder_data::load(&path, stepcoder_data::Format::Auto).unwrap();
    assert!(data.errors.is_empty(), "{:?}", data.errors);
    let [similar, area]: [&Problem; 2] = [&data.problems[0], &data.problems[1]];

    // The first test passes, the second does not: 1 of 2 asserts.
    let half = "def similar_elements(a, b):\n  return (4, 5)\n";
    let area_no_import = "def circle_area(r):\n  return math.pi * r * r\n";
    let jobs: Vec<(&str, &Problem)> = vec![
        (similar.canonical_solution.as_str(), similar),
        (area.canonical_solution.as_str(), area),
        (half, similar),
        (area_no_import, area),
    ];
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let reports: Vec<_> = sandbox
        .execute_batch(&jobs)
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(reports[0].passed(), "{:?}", reports[0]);
    assert!(reports[1].passed(), "{:?}", reports[1]);
    // A failed `assert` is an AssertionError, as in HumanEval's checker.
    assert_ne!(reports[2].class(), OutcomeClass::Passed);
    let passed: Vec<bool> = reports[2]
        .outcomes()
        .iter()
        .map(|o| o.is_passed())
        .collect();
    assert_eq!(passed, vec![true, false]);
    assert!(reports[3].passed(), "setup imports math: {:?}", reports[3]);
}
