use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What happened to one unit test (or, for `CompileError`, to the whole program).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    WrongAnswer {
        expected: String,
        got: String,
    },
    RuntimeError {
        error_type: String,
        message: String,
        /// 1-based line of the program where it was raised, when inside the program.
        line: Option<u32>,
    },
    Timeout,
    MemoryLimit,
    OutputLimit,
    /// The program does not compile (`SyntaxError`, `IndentationError`); no test ran.
    CompileError {
        error_type: String,
        message: String,
        line: Option<u32>,
    },
}

/// The four reward levels of StepCoder (paper Eq. 3). Timeouts and limits count as runtime
/// errors, as in CodeRL/PPOCoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    CompileError,
    RuntimeError,
    WrongAnswer,
    Passed,
}

impl OutcomeClass {
    pub const ALL: [OutcomeClass; 4] = [
        OutcomeClass::Passed,
        OutcomeClass::WrongAnswer,
        OutcomeClass::RuntimeError,
        OutcomeClass::CompileError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::CompileError => "compile_error",
            OutcomeClass::RuntimeError => "runtime_error",
            OutcomeClass::WrongAnswer => "wrong_answer",
            OutcomeClass::Passed => "passed",
        }
    }
}

impl Outcome {
    pub fn class(&self) -> OutcomeClass {
        match self {
            Outcome::Passed => OutcomeClass::Passed,
            Outcome::WrongAnswer { .. } => OutcomeClass::WrongAnswer,
            Outcome::RuntimeError { .. }
            | Outcome::Timeout
            | Outcome::MemoryLimit
            | Outcome::OutputLimit => OutcomeClass::RuntimeError,
            Outcome::CompileError { .. } => OutcomeClass::CompileError,
        }
    }

    pub fn is_passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// The result of one unit test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub outcome: Outcome,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    /// 1-based lines of the program that ran during this test (sorted, unique).
    #[serde(default)]
    pub executed_lines: Vec<u32>,
    /// Wall time of the test inside the executor, in microseconds.
    #[serde(default)]
    pub duration_us: u64,
}

impl TestReport {
    /// A report with only an outcome (no output, no coverage).
    pub fn new(outcome: Outcome) -> Self {
        TestReport {
            outcome,
            stdout: String::new(),
            stderr: String::new(),
            executed_lines: Vec::new(),
            duration_us: 0,
        }
    }
}

/// Everything an executor learned from running one program against its tests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExecReport {
    /// Set when the program did not compile; then `tests` is empty.
    pub compile_error: Option<Outcome>,
    /// One report per unit test, in the problem's order.
    pub tests: Vec<TestReport>,
    /// Union of `executed_lines` over all tests, plus lines run at import time.
    pub executed_lines: Vec<u32>,
    /// Lines that could execute at all (from the code objects' line tables):
    /// blank lines, comments, `else:` headers and continuation lines are absent.
    pub executable_lines: Vec<u32>,
}

impl ExecReport {
    /// Builds a report from per-test results; the union of executed lines is derived.
    pub fn from_tests(tests: Vec<TestReport>) -> Self {
        let executed: BTreeSet<u32> = tests
            .iter()
            .flat_map(|t| t.executed_lines.iter().copied())
            .collect();
        ExecReport {
            compile_error: None,
            tests,
            executed_lines: executed.into_iter().collect(),
            executable_lines: Vec::new(),
        }
    }

    /// A report for a program that failed to compile.
    pub fn compile_failure(outcome: Outcome) -> Self {
        ExecReport {
            compile_error: Some(outcome),
            ..ExecReport::default()
        }
    }

    /// All outcomes: the compile error alone, or one per test.
    pub fn outcomes(&self) -> Vec<&Outcome> {
        match &self.compile_error {
            Some(o) => vec![o],
            None => self.tests.iter().map(|t| &t.outcome).collect(),
        }
    }

    /// True when it compiled, had at least one test, and passed every one.
    pub fn passed(&self) -> bool {
        self.compile_error.is_none()
            && !self.tests.is_empty()
            && self.tests.iter().all(|t| t.outcome.is_passed())
    }

    /// The worst outcome class over all tests (compile < runtime < wrong < passed).
    /// A program with no tests counts as a wrong answer: nothing showed it correct.
    pub fn class(&self) -> OutcomeClass {
        if let Some(o) = &self.compile_error {
            return o.class();
        }
        self.tests
            .iter()
            .map(|t| t.outcome.class())
            .min()
            .unwrap_or(OutcomeClass::WrongAnswer)
    }

    /// Fraction of tests passed (0 when it did not compile).
    pub fn pass_fraction(&self) -> f64 {
        if self.compile_error.is_some() || self.tests.is_empty() {
            return 0.0;
        }
        let n = self.tests.iter().filter(|t| t.outcome.is_passed()).count();
        n as f64 / self.tests.len() as f64
    }
}
