//! Integration tests of stepcoder-sandbox, in one binary so the guest is compiled (or loaded
//! from the cache) once and one executor is shared.

mod adversarial;
mod asserts;
mod coverage;
mod datasets;
mod fuel;
mod guest_asset;
mod kinds;
mod load;
mod threads;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use stepcoder_core::{Difficulty, Problem, ProblemKind, TestCase};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

/// The default sandbox, shared by all tests.
pub fn sandbox() -> &'static Sandbox {
    static S: OnceLock<Sandbox> = OnceLock::new();
    S.get_or_init(|| Sandbox::new(SandboxConfig::default()).expect("sandbox"))
}

/// A generous per-test timeout for whole data sets: the heaviest APPS+ tests take about 2 s
/// natively and about 2.4x that in wasm, more on a loaded machine.
pub fn lenient() -> &'static Sandbox {
    static S: OnceLock<Sandbox> = OnceLock::new();
    S.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            timeout: Duration::from_secs(120),
            ..SandboxConfig::default()
        })
        .expect("lenient sandbox")
    })
}

/// Tight limits for hostile programs (same engine settings: the compiled guest is reused).
pub fn strict() -> &'static Sandbox {
    static S: OnceLock<Sandbox> = OnceLock::new();
    S.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            timeout: Duration::from_millis(700),
            memory_limit: 128 << 20,
            output_limit: 64 << 10,
            ..SandboxConfig::default()
        })
        .expect("strict sandbox")
    })
}

/// A file under the shared data folder, or `None` (with a message) when it is absent.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    if p.is_file() {
        Some(p)
    } else {
        println!("skipped: {} not found", p.display());
        None
    }
}

pub fn problem(kind: ProblemKind, tests: Vec<TestCase>) -> Problem {
    Problem {
        id: "test".into(),
        source: "test".into(),
        difficulty: Difficulty::Unknown,
        statement: String::new(),
        starter_code: String::new(),
        canonical_solution: String::new(),
        kind,
        tests,
        setup_code: String::new(),
        atol: None,
        scope: None,
    }
}

/// A stdin/stdout problem with `(input, expected)` tests and no wrapper function.
pub fn stdio(tests: &[(&str, &str)]) -> Problem {
    problem(
        ProblemKind::Stdio { entry: None },
        tests
            .iter()
            .map(|(i, e)| TestCase::Stdio {
                input: i.to_string(),
                expected: e.to_string(),
            })
            .collect(),
    )
}
