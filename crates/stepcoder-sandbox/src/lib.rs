//! # stepcoder-sandbox
//!
//! Runs untrusted Python programs against unit tests inside WebAssembly and reports, per
//! test, the outcome (passed, wrong answer, runtime error, timeout, memory or output limit;
//! compile errors once per program) and the program lines that ran.
//!
//! The guest is a WASI preview-2 component holding a pre-initialized CPython and the
//! project's harness (`guest/harness.py`, `guest/wit/harness.wit`), built by
//! `guest/build.sh` with a pinned componentize-py and shipped zstd-compressed in `assets/`.
//! Cranelift compiles it once per machine and the result is cached in a user cache
//! directory.
//!
//! Limits are wall-clock by default ([`TimeBudget::Fixed`], [`TimeBudget::Derived`]): not
//! deterministic, a program near its limit may pass on one run and time out on the next.
//! [`TimeBudget::Fuel`] and [`TimeBudget::DerivedFuel`] count wasm fuel instead, so outcomes
//! depend on the program only (about 10-25% slower); [`SandboxConfig::deterministic`] is
//! the setting for training and evaluation. Under them the wall clock is only a safety net
//! whose stop is [`SandboxError::SafetyNet`], never an outcome.
//!
//! Each program gets a fresh instance (reused only across that program's tests,
//! replaced after any trap or limit); the guest has no files, no environment, no network.
//!
//! ```
//! use stepcoder_core::{Executor, Problem, ProblemKind, TestCase, Difficulty};
//! use stepcoder_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let problem = Problem {
//!     id: "double".into(),
//!     source: "example".into(),
//!     difficulty: Difficulty::Unknown,
//!     statement: "Print twice the number read.".into(),
//!     starter_code: String::new(),
//!     canonical_solution: String::new(),
//!     kind: ProblemKind::Stdio { entry: None },
//!     tests: vec![TestCase::Stdio { input: "21\n".into(), expected: "42\n".into() }],
//!     setup_code: String::new(),
//!     atol: None,
//!     scope: None,
//! };
//! let report = sandbox.execute("n = int(input())\nif n > 0:\n    print(2 * n)\nelse:\n    print(0)\n", &problem)?;
//! assert!(report.passed());
//! assert_eq!(report.executed_lines, vec![1, 2, 3]);
//! assert_eq!(report.executable_lines, vec![1, 2, 3, 5]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bench;
mod cache;
pub mod compare;
mod error;
pub mod guest;
mod sandbox;

pub use error::SandboxError;
pub use sandbox::{
    ProgramError, RunReport, RunStatus, Sandbox, SandboxConfig, TestLimit, TimeBudget,
    DEFAULT_FUEL, DEFAULT_FUEL_FLOOR,
};
