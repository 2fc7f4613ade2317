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

/// Cuts `s` to at most `max` characters, marking the cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_string(),
    }
}

/// One line a person can read in a log or a report, e.g.
/// `runtime error: ValueError: invalid literal (line 3)`.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |line: &Option<u32>| line.map(|l| format!(" (line {l})")).unwrap_or_default();
        match self {
            Outcome::Passed => write!(f, "passed"),
            Outcome::WrongAnswer { expected, got } => write!(
                f,
                "wrong answer: expected {:?}, got {:?}",
                clip(expected, 80),
                clip(got, 80)
            ),
            Outcome::RuntimeError {
                error_type,
                message,
                line,
            } => write!(
                f,
                "runtime error: {error_type}: {}{}",
                clip(message, 200),
                at(line)
            ),
            Outcome::Timeout => write!(f, "timeout"),
            Outcome::MemoryLimit => write!(f, "memory limit"),
            Outcome::OutputLimit => write!(f, "output limit"),
            Outcome::CompileError {
                error_type,
                message,
                line,
            } => write!(
                f,
                "compile error: {error_type}: {}{}",
                clip(message, 200),
                at(line)
            ),
        }
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

    /// The compile error, or the first test that did not pass: what to show a person
    /// who asks why a program failed. `None` when every test passed.
    pub fn first_failure(&self) -> Option<&Outcome> {
        self.outcomes().into_iter().find(|o| !o.is_passed())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lines_name_the_error_and_clip_long_output() {
        let runtime = Outcome::RuntimeError {
            error_type: "ValueError".into(),
            message: "bad".into(),
            line: Some(3),
        };
        assert_eq!(
            runtime.to_string(),
            "runtime error: ValueError: bad (line 3)"
        );
        let wrong = Outcome::WrongAnswer {
            expected: "1\n".into(),
            got: "x".repeat(100),
        };
        let line = wrong.to_string();
        assert!(line.starts_with("wrong answer: expected \"1\\n\", got \"xxx"));
        assert!(line.ends_with("...\""), "{line}");
    }

    #[test]
    fn first_failure_is_the_compile_error_or_the_first_failing_test() {
        let ce = Outcome::CompileError {
            error_type: "SyntaxError".into(),
            message: "invalid syntax".into(),
            line: None,
        };
        assert_eq!(
            ExecReport::compile_failure(ce.clone()).first_failure(),
            Some(&ce)
        );
        let report = ExecReport::from_tests(vec![
            TestReport::new(Outcome::Passed),
            TestReport::new(Outcome::Timeout),
            TestReport::new(Outcome::OutputLimit),
        ]);
        assert_eq!(report.first_failure(), Some(&Outcome::Timeout));
        let ok = ExecReport::from_tests(vec![TestReport::new(Outcome::Passed)]);
        assert_eq!(ok.first_failure(), None);
    }
}
