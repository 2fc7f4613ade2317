//! Assert-based problems (HumanEval, MBPP): a failed `assert` of the test's own code is a wrong
//! answer; anything raised inside the program, its own asserts included, is a runtime error.

use stepcoder_core::{Executor, Outcome, OutcomeClass, Problem, ProblemKind, TestCase};

use crate::{problem, sandbox};

/// HumanEval style: one test, a `check(candidate)` function called on the entry point.
fn humaneval_add() -> Problem {
    problem(
        ProblemKind::Assert {
            entry_point: Some("add".into()),
        },
        vec![TestCase::Assert {
            code: "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(1, 2) == 3\n\n\ncheck(add)\n".into(),
        }],
    )
}

/// MBPP style: one assert per test, setup code first.
fn mbpp_add() -> Problem {
    let mut p = problem(
        ProblemKind::Assert {
            entry_point: Some("add".into()),
        },
        vec![
            TestCase::Assert {
                code: "assert add(1, 2) == 3".into(),
            },
            TestCase::Assert {
                code: "assert add(BASE, 2) == 12, 'with the base'".into(),
            },
        ],
    );
    p.setup_code = "BASE = 10".into();
    p
}

fn runtime_error_type(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::RuntimeError { error_type, .. } => Some(error_type),
        _ => None,
    }
}

#[test]
fn a_wrong_value_fails_the_tests_assert_as_a_wrong_answer() {
    let wrong = "def add(a, b):\n    return a - b\n";
    let r = sandbox().execute(wrong, &humaneval_add()).unwrap();
    assert_eq!(
        r.tests[0].outcome,
        Outcome::WrongAnswer {
            expected: "assert candidate(2, 3) == 5".into(),
            got: "AssertionError at line 2 of the test".into(),
        }
    );
    assert_eq!(r.class(), OutcomeClass::WrongAnswer);

    let r = sandbox().execute(wrong, &mbpp_add()).unwrap();
    assert_eq!(
        r.tests[0].outcome,
        Outcome::WrongAnswer {
            expected: "assert add(1, 2) == 3".into(),
            got: "AssertionError at line 1 of the test".into(),
        }
    );
    // The assert's own message is kept.
    assert!(
        matches!(&r.tests[1].outcome, Outcome::WrongAnswer { got, .. } if got.ends_with(": with the base")),
        "{:?}",
        r.tests[1].outcome
    );

    let right = "def add(a, b):\n    return a + b\n";
    assert!(sandbox().execute(right, &humaneval_add()).unwrap().passed());
    assert!(sandbox().execute(right, &mbpp_add()).unwrap().passed());
}

#[test]
fn an_exception_inside_the_function_stays_a_runtime_error() {
    let crash = "def add(a, b):\n    return a + b + None\n";
    for p in [humaneval_add(), mbpp_add()] {
        let r = sandbox().execute(crash, &p).unwrap();
        assert_eq!(
            r.tests[0].outcome,
            Outcome::RuntimeError {
                error_type: "TypeError".into(),
                message: "unsupported operand type(s) for +: 'int' and 'NoneType'".into(),
                line: Some(2),
            }
        );
    }
}

#[test]
fn the_programs_own_failing_assert_stays_a_runtime_error() {
    // Raised by an `assert` written inside the candidate's function (innermost frame: the
    // program), even though the test's assert is on the stack below it.
    let own = "def add(a, b):\n    assert a > 5, 'too small'\n    return a + b\n";
    for p in [humaneval_add(), mbpp_add()] {
        let r = sandbox().execute(own, &p).unwrap();
        assert_eq!(
            r.tests[0].outcome,
            Outcome::RuntimeError {
                error_type: "AssertionError".into(),
                message: "too small".into(),
                line: Some(2),
            }
        );
    }
    // An AssertionError raised explicitly by the program, and one at the program's top level.
    let raised = "def add(a, b):\n    raise AssertionError('no')\n";
    let r = sandbox().execute(raised, &mbpp_add()).unwrap();
    assert_eq!(
        runtime_error_type(&r.tests[0].outcome),
        Some("AssertionError")
    );
    let top = "assert False, 'at import'\ndef add(a, b):\n    return a + b\n";
    let r = sandbox().execute(top, &humaneval_add()).unwrap();
    assert_eq!(
        runtime_error_type(&r.tests[0].outcome),
        Some("AssertionError")
    );
}
