//! Both endpoints, their answers and every error path.

use std::time::{Duration, Instant};

use serde_json::json;
use stepcoder_core::{ExecReport, Outcome};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

use crate::*;

fn run_code(base: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, _, bytes) = post(&agent(), base, "/run_code", body.to_string().as_bytes());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    json(&bytes)
}

/// A 400 answer's `field` (or `null`) and message.
fn bad_request(base: &str, path: &str, body: &[u8]) -> (serde_json::Value, String) {
    let (status, _, bytes) = post(&agent(), base, path, body);
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&bytes));
    let v = json(&bytes);
    let error = v["error"].as_str().expect("error message").to_string();
    (v["field"].clone(), error)
}

#[test]
fn run_code_answers_as_sandbox_fusion_does() {
    let s = server(|_| {});
    let base = s.url();

    let ok = run_code(
        &base,
        json!({"code": "a, b = map(int, input().split())\nprint(a + b)", "language": "python", "stdin": "2 40\n"}),
    );
    assert_eq!(ok["status"], "Success", "{ok}");
    assert_eq!(ok["compile_result"], serde_json::Value::Null);
    assert_eq!(ok["run_result"]["status"], "Finished");
    assert_eq!(ok["run_result"]["return_code"], 0);
    assert_eq!(ok["run_result"]["stdout"], "42\n");
    assert_eq!(ok["run_result"]["stderr"], "");
    assert!(ok["run_result"]["execution_time"]
        .as_f64()
        .is_some_and(|t| t > 0.0));
    assert_eq!(ok["message"], "");
    assert_eq!(ok["files"], json!({}));

    // A syntax error is a finished run with return code 1 and no compile result.
    let syntax = run_code(&base, json!({"code": "print(", "language": "python"}));
    assert_eq!(syntax["status"], "Failed", "{syntax}");
    assert_eq!(syntax["compile_result"], serde_json::Value::Null);
    assert_eq!(syntax["run_result"]["status"], "Finished");
    assert_eq!(syntax["run_result"]["return_code"], 1);
    let stderr = syntax["run_result"]["stderr"].as_str().unwrap();
    assert!(stderr.contains("SyntaxError"), "{stderr}");

    let raised = run_code(
        &base,
        json!({"code": "print('x')\nraise ValueError('bad value')", "language": "python"}),
    );
    assert_eq!(raised["status"], "Failed");
    assert_eq!(raised["run_result"]["status"], "Finished");
    assert_eq!(raised["run_result"]["return_code"], 1);
    assert_eq!(raised["run_result"]["stdout"], "x\n");
    let stderr = raised["run_result"]["stderr"].as_str().unwrap();
    assert!(
        stderr.contains("Traceback")
            && stderr.contains("ValueError: bad value")
            && stderr.contains("line 2"),
        "{stderr}"
    );

    let exit = run_code(
        &base,
        json!({"code": "import sys\nsys.exit(3)", "language": "python"}),
    );
    assert_eq!(exit["status"], "Failed");
    assert_eq!(exit["run_result"]["return_code"], 3);
    let exit0 = run_code(
        &base,
        json!({"code": "import sys\nprint(1)\nsys.exit(0)", "language": "python"}),
    );
    assert_eq!(exit0["status"], "Success", "{exit0}");

    let t0 = Instant::now();
    let tle = run_code(
        &base,
        json!({"code": "while True:\n    pass", "language": "python", "run_timeout": 0.3, "memory_limit_MB": 256}),
    );
    assert_eq!(tle["status"], "Failed");
    assert_eq!(tle["run_result"]["status"], "TimeLimitExceeded");
    assert_eq!(tle["run_result"]["return_code"], serde_json::Value::Null);
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn run_code_refuses_what_it_cannot_run_with_a_sandbox_error() {
    let s = server(|_| {});
    let base = s.url();
    for (body, needle) in [
        (json!({"code": "int main(){}", "language": "cpp"}), "cpp"),
        (
            json!({"code": "print(open('a.txt').read())", "language": "python", "files": {"a.txt": "aGk="}}),
            "files",
        ),
        (
            json!({"code": "print(1)", "language": "python", "fetch_files": ["out.txt"]}),
            "fetch_files",
        ),
    ] {
        let v = run_code(&base, body);
        assert_eq!(v["status"], "SandboxError", "{v}");
        assert_eq!(v["run_result"], serde_json::Value::Null);
        assert!(v["message"].as_str().unwrap().contains(needle), "{v}");
    }
    // Empty `files` is what clients send by default: served.
    let v = run_code(
        &base,
        json!({"code": "print(1)", "language": "python", "files": {}, "fetch_files": []}),
    );
    assert_eq!(v["status"], "Success");
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"unsupported\"}"
        ),
        3.0
    );
}

#[test]
fn bad_requests_get_400_naming_the_field() {
    let s = server(|_| {});
    let base = s.url();
    let (field, error) = bad_request(&base, "/run_code", b"{\"code\": \"print(1)\", ");
    assert_eq!(field, serde_json::Value::Null);
    assert!(error.contains("malformed JSON"), "{error}");
    let (field, _) = bad_request(&base, "/run_code", br#"{"language": "python"}"#);
    assert_eq!(field, "code");
    let (field, error) = bad_request(
        &base,
        "/run_code",
        br#"{"code": "print(1)", "language": "python", "run_timeout": "ten"}"#,
    );
    assert_eq!(field, "run_timeout", "{error}");
    let (field, _) = bad_request(
        &base,
        "/run_code",
        br#"{"code": "print(1)", "language": "python", "run_timeout": -1}"#,
    );
    assert_eq!(field, "run_timeout");
    let (field, _) = bad_request(&base, "/run_code", b"[1, 2]");
    assert_eq!(field, serde_json::Value::Null);
    let (field, error) = bad_request(
        &base,
        "/run_code",
        b"{\"code\": \"x\", \"language\": \"python\"} trailing",
    );
    assert_eq!(field, serde_json::Value::Null);
    assert!(error.contains("malformed JSON"), "{error}");

    let mut req = json!({"program": "print(1)", "problem": double()});
    req["problem"]["tests"][1]["input"] = json!(5);
    let (field, error) = bad_request(&base, "/v1/execute", req.to_string().as_bytes());
    // `TestCase` is an internally tagged enum, which serde reads whole: the path ends at
    // the test, and the message says what was wrong in it.
    assert_eq!(field, "problem.tests[1]", "{error}");
    assert!(
        error.contains("invalid type: integer `5`, expected a string"),
        "{error}"
    );
    let req = json!({"program": "print(1)", "problem": double(), "limits": {"timeout_ms": 0}});
    let (field, _) = bad_request(&base, "/v1/execute", req.to_string().as_bytes());
    assert_eq!(field, "limits.timeout_ms");
    let req =
        json!({"program": "print(1)", "problem": double(), "limits": {"memory_mb": 1_000_000}});
    let (field, _) = bad_request(&base, "/v1/execute", req.to_string().as_bytes());
    assert_eq!(field, "limits.memory_mb");
    let req = json!({"program": "print(1)", "problem": double(), "limits": {"timeout": 5}});
    let (field, error) = bad_request(&base, "/v1/execute", req.to_string().as_bytes());
    assert_eq!(field, "limits.timeout", "{error}");
    let req = json!({"problem": double()});
    let (field, _) = bad_request(&base, "/v1/execute", req.to_string().as_bytes());
    assert_eq!(field, "program");
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"bad_request\"}"
        ),
        6.0
    );
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"bad_request\"}"
        ),
        5.0
    );
}

#[test]
fn execute_returns_the_in_process_report() {
    let s = server(|_| {});
    let base = s.url();
    let local = Sandbox::new(SandboxConfig::default()).expect("sandbox");
    let problem = double();
    for program in [
        "n = int(input())\nif n > 0:\n    print(2 * n)\nelse:\n    print(0)\n",
        "print(int(input()) + 1)\n",
        "print(int(input()) +\n",
        "x = int(input())\nprint(1 // (x - 5) * 2 * x)\n",
    ] {
        let body = json!({"program": program, "problem": problem});
        let (status, _, bytes) = post(&agent(), &base, "/v1/execute", body.to_string().as_bytes());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        let remote: ExecReport = serde_json::from_slice(&bytes).expect("an ExecReport");
        let here = local.execute_program(program, &problem).expect("runs");
        assert_eq!(timeless(remote), timeless(here), "{program}");
    }
    // Spot-check the content a trainer relies on.
    let body = json!({"program": "n = int(input())\nif n > 0:\n    print(2 * n)\nelse:\n    print(0)\n", "problem": problem});
    let (_, _, bytes) = post(&agent(), &base, "/v1/execute", body.to_string().as_bytes());
    let report: ExecReport = serde_json::from_slice(&bytes).unwrap();
    assert!(report.passed());
    assert_eq!(report.executed_lines, vec![1, 2, 3]);
    assert_eq!(report.executable_lines, vec![1, 2, 3, 5]);
    // Limits travel: with a 100 ms limit a long loop is a timeout on every test.
    let body = json!({
        "program": "while True:\n    pass\n",
        "problem": problem,
        "limits": {"timeout_ms": 100, "memory_mb": 128, "coverage": false},
    });
    let (_, _, bytes) = post(&agent(), &base, "/v1/execute", body.to_string().as_bytes());
    let report: ExecReport = serde_json::from_slice(&bytes).unwrap();
    assert!(
        report.tests.iter().all(|t| t.outcome == Outcome::Timeout),
        "{report:?}"
    );
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"ok\"}"
        ),
        6.0
    );
}

#[test]
fn bodies_over_the_limit_get_413() {
    let s = server(|c| c.max_body = 64 << 10);
    let base = s.url();
    let big = "#".repeat(100 << 10);
    for path in ["/run_code", "/v1/execute"] {
        let body = json!({"code": big, "program": big, "language": "python"}).to_string();
        let (status, _, bytes) = post(&agent(), &base, path, body.as_bytes());
        assert_eq!(status, 413, "{path}: {}", String::from_utf8_lossy(&bytes));
        assert!(json(&bytes)["error"].as_str().unwrap().contains("limit"));
    }
    // Just under the limit is served.
    let code = format!("{}\nprint(7)", "#".repeat(60 << 10));
    let v = json(
        &post(
            &agent(),
            &base,
            "/run_code",
            json!({"code": code, "language": "python"})
                .to_string()
                .as_bytes(),
        )
        .2,
    );
    assert_eq!(v["run_result"]["stdout"], "7\n");
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"too_large\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"too_large\"}"
        ),
        1.0
    );
}

#[test]
fn health_metrics_and_unknown_paths() {
    let s = server(|c| c.workers = 3);
    let base = s.url();
    let a = agent();
    let (status, text) = get(&a, &base, "/health");
    assert_eq!(status, 200);
    let h: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["workers"], 3);
    run_code(&base, json!({"code": "print(1)", "language": "python"}));
    let (status, text) = get(&a, &base, "/metrics");
    assert_eq!(status, 200);
    assert_eq!(
        metric(
            &text,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "stepcoder_request_duration_seconds_count{endpoint=\"run_code\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "stepcoder_request_duration_seconds_bucket{endpoint=\"run_code\",le=\"+Inf\"}"
        ),
        1.0
    );
    assert_eq!(metric(&text, "stepcoder_workers"), 3.0);
    // The worker marks itself idle just after handing over the answer.
    assert!(wait_until(Duration::from_secs(5), || metric(
        &s.metrics_text(),
        "stepcoder_busy_workers"
    ) == 0.0));
    assert_eq!(metric(&text, "stepcoder_queue_depth"), 0.0);
    assert_eq!(metric(&text, "stepcoder_in_flight_capacity"), 3.0 + 16.0);
    assert!(text.contains("# TYPE stepcoder_request_duration_seconds histogram"));
    assert_eq!(get(&a, &base, "/nope").0, 404);
    assert_eq!(post(&a, &base, "/health", b"{}").0, 405);
}

#[test]
fn a_full_queue_answers_503_at_once() {
    let s = server(|c| {
        c.workers = 1;
        c.max_queue = 0;
    });
    let base = s.url();
    let slow = {
        let base = base.clone();
        std::thread::spawn(move || {
            run_code(
                &base,
                json!({"code": "while True:\n    pass", "language": "python", "run_timeout": 1.5}),
            )
        })
    };
    assert!(wait_until(Duration::from_secs(10), || metric(
        &s.metrics_text(),
        "stepcoder_busy_workers"
    ) == 1.0));
    let t0 = Instant::now();
    let (status, retry, bytes) = post(
        &agent(),
        &base,
        "/run_code",
        json!({"code": "print(1)", "language": "python"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "503 must not wait: {:?}",
        t0.elapsed()
    );
    let (status, _, _) = post(
        &agent(),
        &base,
        "/v1/execute",
        json!({"program": "print(1)", "problem": double()})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 503);
    assert_eq!(
        slow.join().unwrap()["run_result"]["status"],
        "TimeLimitExceeded"
    );
    // The place is free again.
    assert_eq!(
        run_code(&base, json!({"code": "print(1)", "language": "python"}))["status"],
        "Success"
    );
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"overloaded\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"overloaded\"}"
        ),
        1.0
    );
}

#[test]
fn a_request_not_started_by_its_deadline_gets_504() {
    let s = server(|c| {
        c.workers = 1;
        c.max_queue = 4;
        c.deadline = Duration::from_millis(300);
    });
    let base = s.url();
    let slow = {
        let base = base.clone();
        std::thread::spawn(move || {
            run_code(
                &base,
                json!({"code": "while True:\n    pass", "language": "python", "run_timeout": 1.2}),
            )
        })
    };
    assert!(wait_until(Duration::from_secs(10), || metric(
        &s.metrics_text(),
        "stepcoder_busy_workers"
    ) == 1.0));
    let t0 = Instant::now();
    let (status, retry, bytes) = post(
        &agent(),
        &base,
        "/v1/execute",
        json!({"program": "print(1)", "problem": double()})
            .to_string()
            .as_bytes(),
    );
    let waited = t0.elapsed();
    assert_eq!(status, 504, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(1100),
        "{waited:?}"
    );
    // The running request is past its deadline too, but it had started: it is answered.
    assert_eq!(
        slow.join().unwrap()["run_result"]["status"],
        "TimeLimitExceeded"
    );
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"deadline\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"run_code\",outcome=\"ok\"}"
        ),
        1.0
    );
}

#[test]
fn shutdown_finishes_requests_in_flight_and_then_refuses() {
    let s = server(|c| c.workers = 1);
    let base = s.url();
    let in_flight = {
        let base = base.clone();
        std::thread::spawn(move || {
            let body = json!({"program": slow_double(2_000_000), "problem": double()});
            post(&agent(), &base, "/v1/execute", body.to_string().as_bytes())
        })
    };
    assert!(wait_until(Duration::from_secs(10), || metric(
        &s.metrics_text(),
        "stepcoder_busy_workers"
    ) == 1.0));
    s.shutdown().expect("graceful shutdown");
    let (status, _, bytes) = in_flight.join().unwrap();
    assert_eq!(status, 200);
    let report: ExecReport = serde_json::from_slice(&bytes).unwrap();
    assert!(report.passed(), "{report:?}");
    let refused = agent().get(format!("{base}/health")).call();
    assert!(refused.is_err(), "the listener is closed after shutdown");
}
