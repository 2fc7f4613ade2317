use serde::{Deserialize, Serialize};

/// Difficulty levels of APPS / APPS+.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Introductory,
    Interview,
    Competition,
    /// Data sets without levels (HumanEval, MBPP).
    Unknown,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Introductory => "introductory",
            Difficulty::Interview => "interview",
            Difficulty::Competition => "competition",
            Difficulty::Unknown => "unknown",
        }
    }

    /// Parses the spellings found in APPS-family data (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "introductory" | "intro" | "easy" => Some(Difficulty::Introductory),
            "interview" | "medium" => Some(Difficulty::Interview),
            "competition" | "hard" => Some(Difficulty::Competition),
            "" | "unknown" => Some(Difficulty::Unknown),
            _ => None,
        }
    }
}

impl std::fmt::Display for Difficulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a program is run against its tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProblemKind {
    /// Read stdin, write stdout. APPS+ wraps such programs in a zero-argument function
    /// (`entry`) that must be called after the module runs.
    Stdio { entry: Option<String> },
    /// Call a top-level function (Codewars style).
    Function { name: String },
    /// Call `Class().method(*args)` (LeetCode style, `class Solution`).
    Method { class: String, name: String },
    /// Run assert-based test code against the program (HumanEval `check(candidate)`,
    /// MBPP assert lists). `entry_point` is the function handed to `check`, when there is one.
    Assert { entry_point: Option<String> },
}

impl ProblemKind {
    /// Short label used in statistics: `stdio`, `function`, `method`, `assert`.
    pub fn label(&self) -> &'static str {
        match self {
            ProblemKind::Stdio { .. } => "stdio",
            ProblemKind::Function { .. } => "function",
            ProblemKind::Method { .. } => "method",
            ProblemKind::Assert { .. } => "assert",
        }
    }
}

/// One unit test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TestCase {
    /// Whole stdin in, whole expected stdout out.
    Stdio { input: String, expected: String },
    /// Arguments in, return value out, both already decoded from APPS' JSON-in-strings.
    Call {
        args: Vec<serde_json::Value>,
        expected: serde_json::Value,
    },
    /// Python test code that raises (usually `AssertionError`) on failure.
    Assert { code: String },
}

/// A block statement of the canonical solution: a CCCS cut point (APPS+ `scope`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Block kind as APPS+ names it (`Function Body`, `For Loop Body`, ...).
    pub kind: String,
    /// 1-based first line of the block in the canonical solution.
    pub start_line: u32,
    /// 1-based last line, inclusive.
    pub end_line: u32,
}

/// A programming problem with its unit tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable identifier, unique within a data set.
    pub id: String,
    /// Which data set it came from (`apps_plus`, `apps`, `humaneval`, `mbpp`, `evalplus`, `builtin`).
    pub source: String,
    pub difficulty: Difficulty,
    /// Task description shown to the policy.
    pub statement: String,
    /// Code the answer must start from (function header, class skeleton); may be empty.
    #[serde(default)]
    pub starter_code: String,
    /// A correct solution: what CCCS gives prefixes of, and what SFT trains on.
    #[serde(default)]
    pub canonical_solution: String,
    pub kind: ProblemKind,
    pub tests: Vec<TestCase>,
    /// Code run before the tests (MBPP `test_setup_code`); empty when none.
    #[serde(default)]
    pub setup_code: String,
    /// Absolute float tolerance for comparing results (evalplus `atol`); `None` = default.
    #[serde(default)]
    pub atol: Option<f64>,
    /// Block statements of the canonical solution (APPS+ `scope`), when the data has them.
    #[serde(default)]
    pub scope: Option<Vec<Scope>>,
}
