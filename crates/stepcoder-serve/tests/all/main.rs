//! Integration tests of stepcoder-serve, in one binary: servers on loopback (port 0), real
//! HTTP, the real sandbox. Every test bounds its own request count and time.

mod flood;
mod protocol;
mod remote;

use std::time::{Duration, Instant};

use stepcoder_core::{Difficulty, ExecReport, Problem, ProblemKind, TestCase};
use stepcoder_serve::{ServeConfig, Server};

/// A server on a free loopback port with small, test-sized settings changed by `f`.
pub fn server(f: impl FnOnce(&mut ServeConfig)) -> Server {
    let mut cfg = ServeConfig {
        bind: "127.0.0.1:0".into(),
        workers: 2,
        max_queue: 16,
        deadline: Duration::from_secs(30),
        ..ServeConfig::default()
    };
    f(&mut cfg);
    Server::start(cfg).expect("server starts")
}

/// A blocking HTTP client that returns every status as a value.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// `POST base+path` with `body`: status, the `Retry-After` header, and the body.
pub fn post(
    agent: &ureq::Agent,
    base: &str,
    path: &str,
    body: &[u8],
) -> (u16, Option<String>, Vec<u8>) {
    let mut r = agent
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .send(body)
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .expect("answer body");
    (r.status().as_u16(), retry, bytes)
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// `GET base+path`: status and body text.
pub fn get(agent: &ureq::Agent, base: &str, path: &str) -> (u16, String) {
    let mut r = agent
        .get(format!("{base}{path}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let text = r.body_mut().read_to_string().expect("body");
    (r.status().as_u16(), text)
}

/// The value of one Prometheus sample (`name{labels}`), exactly as written.
pub fn metric(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample `{sample}` in\n{text}"))
}

/// Polls `cond` every 5 ms until it holds, for at most `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Read `n`, print `2n`: two stdin tests.
pub fn double() -> Problem {
    Problem {
        id: "double".into(),
        source: "test".into(),
        difficulty: Difficulty::Unknown,
        statement: "Print twice the number read.".into(),
        starter_code: String::new(),
        canonical_solution: "print(2 * int(input()))\n".into(),
        kind: ProblemKind::Stdio { entry: None },
        tests: vec![
            TestCase::Stdio {
                input: "21\n".into(),
                expected: "42\n".into(),
            },
            TestCase::Stdio {
                input: "5\n".into(),
                expected: "10\n".into(),
            },
        ],
        setup_code: String::new(),
        atol: None,
        scope: None,
    }
}

/// A correct answer to [`double`] that spins about `loops` iterations first (a few ms per
/// 100k in the guest), so a test can keep workers busy for a known while.
pub fn slow_double(loops: u64) -> String {
    format!(
        "n = int(input())\ns = 0\nfor i in range({loops}):\n    s += i\nif s >= 0:\n    print(2 * n)\nelse:\n    print(0)\n"
    )
}

/// `report` without wall times, for comparing runs.
pub fn timeless(mut report: ExecReport) -> ExecReport {
    for t in &mut report.tests {
        t.duration_us = 0;
    }
    report
}

/// Resident memory of this process in KiB (Linux), `None` elsewhere.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
