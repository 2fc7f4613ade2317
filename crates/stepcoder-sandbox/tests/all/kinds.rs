use serde_json::json;
use stepcoder_core::{Executor, Outcome, OutcomeClass, ProblemKind, TestCase};
use stepcoder_sandbox::{RunStatus, Sandbox, SandboxConfig, TimeBudget};

use crate::{problem, sandbox, stdio, strict};

#[test]
fn stdio_wrapper_function_with_header_and_tolerant_comparison() {
    // APPS+ style: a zero-argument wrapper called after the module runs, `deque` from the header.
    let program = "def solve():\n    n = int(input())\n    d = deque(range(n))\n    print(len(d), n / 3, '  ')\n    print()\n";
    let mut p = stdio(&[("3\n", "3 1.0\n"), ("2\n", "2 0.6666667"), ("4\n", "4 1.4")]);
    p.kind = ProblemKind::Stdio {
        entry: Some("solve".into()),
    };
    let r = sandbox().execute(program, &p).unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Passed);
    assert_eq!(r.tests[1].outcome, Outcome::Passed);
    assert!(matches!(r.tests[2].outcome, Outcome::WrongAnswer { .. }));
    assert_eq!(r.tests[0].stdout, "3 1.0   \n\n");
}

#[test]
fn stdio_wrapper_already_called_by_the_program_runs_once() {
    // Models often end with `solve()` or a `__main__` guard: the program ran its entry, so the
    // harness must not call it again (a second call would find stdin empty).
    let mut p = stdio(&[("3\n", "6\n"), ("5\n", "10\n")]);
    p.kind = ProblemKind::Stdio {
        entry: Some("solve".into()),
    };
    for program in [
        "def solve():\n    print(2 * int(input()))\n\nsolve()\n",
        "def solve():\n    print(2 * int(input()))\n\nif __name__ == '__main__':\n    solve()\n",
        // Called from another top-level function.
        "def solve():\n    print(2 * int(input()))\n\ndef main():\n    solve()\n\nmain()\n",
    ] {
        let r = sandbox().execute(program, &p).unwrap();
        assert!(r.passed(), "{program}: {:?}", r.outcomes());
    }
    // A nested function of the same name is not the entry: the entry is still called.
    let nested = "def outer():\n    def solve():\n        pass\n    solve()\n\nouter()\n\ndef solve():\n    print(2 * int(input()))\n";
    assert!(sandbox().execute(nested, &p).unwrap().passed());
    // Reading stdin at top level and then defining the entry still calls the entry.
    let top = "n = int(input())\ndef solve():\n    print(2 * n)\n";
    assert!(sandbox().execute(top, &p).unwrap().passed());
}

#[test]
fn function_and_method_calls_compare_json_values() {
    let f = problem(
        ProblemKind::Function {
            name: "pair".into(),
        },
        vec![
            TestCase::Call {
                args: vec![json!(2), json!("ab")],
                expected: json!([2.0, "ab"]),
            },
            TestCase::Call {
                args: vec![json!(1), json!("x")],
                expected: json!([2, "x"]),
            },
        ],
    );
    let r = sandbox()
        .execute("def pair(n, s):\n    return (n, s)\n", &f)
        .unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Passed);
    assert!(matches!(r.tests[1].outcome, Outcome::WrongAnswer { .. }));

    // LeetCode style: `List` comes from the header.
    let m = problem(
        ProblemKind::Method {
            class: "Solution".into(),
            name: "twoSum".into(),
        },
        vec![TestCase::Call {
            args: vec![json!([2, 7, 11]), json!(9)],
            expected: json!([0, 1]),
        }],
    );
    let code = "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n";
    assert!(sandbox().execute(code, &m).unwrap().passed());
}

#[test]
fn assert_tests_with_setup_code() {
    let mut p = problem(
        ProblemKind::Assert {
            entry_point: Some("add".into()),
        },
        vec![
            TestCase::Assert {
                code: "assert add(1, 2) == OFFSET + 3".into(),
            },
            TestCase::Assert {
                code: "assert add(1, 1) == 3".into(),
            },
        ],
    );
    p.setup_code = "OFFSET = 0".into();
    let r = sandbox()
        .execute("def add(a, b):\n    return a + b\n", &p)
        .unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Passed);
    // The test's own assert failed: a wrong answer (see `asserts.rs`).
    assert!(matches!(
        &r.tests[1].outcome,
        Outcome::WrongAnswer { expected, .. } if expected == "assert add(1, 1) == 3"
    ));
}

#[test]
fn compile_errors_are_found_once_before_any_test() {
    let p = stdio(&[("", ""), ("", "")]);
    let r = sandbox()
        .execute("x = 1\nif x\n    print(x)\n", &p)
        .unwrap();
    assert!(r.tests.is_empty());
    assert_eq!(
        r.compile_error,
        Some(Outcome::CompileError {
            error_type: "SyntaxError".into(),
            message: "expected ':'".into(),
            line: Some(2)
        })
    );
    let r = sandbox().execute("def f():\nreturn 1\n", &p).unwrap();
    assert!(matches!(
        r.compile_error,
        Some(Outcome::CompileError { ref error_type, line: Some(2), .. }) if error_type == "IndentationError"
    ));
    assert_eq!(r.class(), OutcomeClass::CompileError);
}

#[test]
fn runtime_errors_carry_type_message_and_program_line() {
    let p = stdio(&[("", "")]);
    let r = sandbox()
        .execute("def f(d):\n    return d['k']\n\nprint(f({}))\n", &p)
        .unwrap();
    assert_eq!(
        r.tests[0].outcome,
        Outcome::RuntimeError {
            error_type: "KeyError".into(),
            message: "'k'".into(),
            line: Some(2)
        }
    );
}

#[test]
fn plain_run_reports_status_and_exit_code() {
    let r = sandbox()
        .run("import sys\nprint(input()[::-1])\nsys.exit(3)\n", "abc\n")
        .unwrap();
    assert_eq!(r.status, RunStatus::RuntimeError);
    assert_eq!(r.exit_code, 3);
    assert_eq!(r.stdout, "cba\n");
    let r = sandbox().run("print(1/0)\n", "").unwrap();
    assert_eq!(
        r.error.as_ref().map(|e| e.error_type.as_str()),
        Some("ZeroDivisionError")
    );
    assert_eq!(r.error.as_ref().and_then(|e| e.line), Some(1));
    let r = strict().run("while True:\n    pass\n", "").unwrap();
    assert_eq!(r.status, RunStatus::Timeout);
    let r = sandbox().run("print(\n", "").unwrap();
    assert_eq!(r.status, RunStatus::CompileError);
}

#[test]
fn batch_keeps_order_and_isolates_bad_programs() {
    let p = stdio(&[("5\n", "25\n")]);
    let programs = [
        "print(int(input()) ** 2)\n",
        "while True:\n    pass\n",
        "print(int(input()) * 5)\n",
        "x = [0] * (3 * 10 ** 8)\n",
        "print(int(input()) + 20)\n",
        "raise SystemExit(4)\n",
    ];
    let jobs: Vec<(&str, &stepcoder_core::Problem)> = programs.iter().map(|c| (*c, &p)).collect();
    let out = strict().execute_batch(&jobs);
    let classes: Vec<OutcomeClass> = out.iter().map(|r| r.as_ref().unwrap().class()).collect();
    use OutcomeClass::*;
    assert_eq!(
        classes,
        vec![
            Passed,
            RuntimeError,
            Passed,
            RuntimeError,
            Passed,
            RuntimeError
        ]
    );
    assert_eq!(out[1].as_ref().unwrap().tests[0].outcome, Outcome::Timeout);
    assert_eq!(
        out[3].as_ref().unwrap().tests[0].outcome,
        Outcome::MemoryLimit
    );
}

#[test]
fn fuel_budget_stops_loops_deterministically() {
    let s = Sandbox::new(SandboxConfig {
        fuel: Some(200_000_000),
        ..SandboxConfig::default()
    })
    .unwrap();
    let p = stdio(&[("", "done\n")]);
    assert!(s.execute("print('done')\n", &p).unwrap().passed());
    let r = s.execute("while True:\n    pass\n", &p).unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Timeout);
}

#[test]
fn derived_time_budget_follows_the_canonical_cost() {
    let s = Sandbox::new(SandboxConfig {
        budget: TimeBudget::Derived {
            factor: 5.0,
            floor_ms: 50,
        },
        ..SandboxConfig::default()
    })
    .unwrap();
    let mut p = stdio(&[("1\n", "1\n"), ("2\n", "2\n")]);
    p.id = "budget".into();
    p.canonical_solution = "print(input())\n".into();
    let budgets = s.budgets(&p).unwrap();
    assert_eq!(budgets.len(), 2);
    // A trivial canonical solution gets the floor, far below the 10 s fixed timeout.
    assert!(
        budgets
            .iter()
            .all(|b| b.wall.as_millis() >= 50 && b.wall.as_secs() < 2 && b.fuel.is_none()),
        "{budgets:?}"
    );
    let r = s.execute("while True:\n    pass\n", &p).unwrap();
    assert!(r.tests.iter().all(|t| t.outcome == Outcome::Timeout));
    assert!(s.execute("print(input())\n", &p).unwrap().passed());
}
