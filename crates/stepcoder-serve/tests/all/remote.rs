//! `RemoteExecutor` against real servers: spreading, retries, a server killed mid-run, and
//! every endpoint down.

use std::time::{Duration, Instant};

use stepcoder_core::{Executor, Problem};
use stepcoder_sandbox::{Sandbox, SandboxConfig};
use stepcoder_serve::{Limits, RemoteConfig, RemoteExecutor};

use crate::*;

fn remote(endpoints: Vec<String>, f: impl FnOnce(&mut RemoteConfig)) -> RemoteExecutor {
    let mut cfg = RemoteConfig {
        endpoints,
        ..RemoteConfig::default()
    };
    f(&mut cfg);
    RemoteExecutor::new(cfg).expect("remote executor")
}

/// A free loopback port with nothing listening on it.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

#[test]
fn remote_reports_equal_in_process_ones_and_use_both_servers() {
    let (a, b) = (server(|_| {}), server(|_| {}));
    let config = SandboxConfig {
        timeout: std::time::Duration::from_secs(5),
        memory_limit: 256 << 20,
        ..SandboxConfig::default()
    };
    let exec = remote(vec![a.url(), format!("{}/", b.url())], |c| {
        c.limits = Some(Limits::from_sandbox_config(&config));
        c.concurrency = 4;
    });
    let local = Sandbox::new(config).unwrap();
    let problem = double();
    let programs = [
        "print(2 * int(input()))\n",
        "print(int(input()))\n",
        "print(\n",
        "raise KeyError('k')\n",
    ];
    let jobs: Vec<(&str, &Problem)> = programs
        .iter()
        .cycle()
        .take(12)
        .map(|p| (*p, &problem))
        .collect();
    let got = exec.execute_batch(&jobs);
    let want = local.execute_batch(&jobs);
    assert_eq!(got.len(), 12);
    for ((g, w), (program, _)) in got.into_iter().zip(want).zip(&jobs) {
        assert_eq!(
            timeless(g.expect("remote run")),
            timeless(w.unwrap()),
            "{program}"
        );
    }
    assert!(
        a.answered() > 0 && b.answered() > 0,
        "round-robin uses both: {} {}",
        a.answered(),
        b.answered()
    );
    assert_eq!(a.answered() + b.answered(), 12);
}

#[test]
fn a_server_killed_mid_run_loses_no_reward() {
    let a = server(|c| c.workers = 1);
    let b = server(|c| c.workers = 1);
    let exec = remote(vec![a.url(), b.url()], |c| {
        c.concurrency = 4;
        c.backoff_ms = 10;
    });
    let problem = double();
    let program = slow_double(300_000);
    let n = 40;
    let t0 = Instant::now();
    let (reports, killed_with_work_left) = std::thread::scope(|s| {
        let run = s.spawn(|| {
            let jobs: Vec<(&str, &Problem)> =
                (0..n).map(|_| (program.as_str(), &problem)).collect();
            exec.execute_batch(&jobs)
        });
        assert!(
            wait_until(Duration::from_secs(60), || a.answered() >= 3),
            "server A answered nothing"
        );
        let left = !run.is_finished();
        a.abort();
        (run.join().unwrap(), left)
    });
    assert!(
        killed_with_work_left,
        "the batch ended before the kill; make the jobs longer"
    );
    assert_eq!(reports.len(), n);
    for r in &reports {
        let r = r.as_ref().expect("every program got its report");
        assert!(r.passed(), "{r:?}");
    }
    assert!(b.answered() > 0);
    assert!(t0.elapsed() < Duration::from_secs(120));
}

#[test]
fn all_endpoints_down_is_a_clear_error() {
    let (x, y) = (closed_port(), closed_port());
    let exec = remote(vec![x.clone(), y.clone()], |c| {
        c.max_attempts = 4;
        c.backoff_ms = 5;
    });
    let t0 = Instant::now();
    let err = exec.execute("print(1)", &double()).unwrap_err().to_string();
    assert!(
        err.contains("all 2 executor endpoint(s) failed after 4 attempts"),
        "{err}"
    );
    assert!(err.contains(&x) && err.contains(&y), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(10));
    // A batch reports the error per program, never panics.
    let p = double();
    let results = exec.execute_batch(&[("print(1)", &p), ("print(2)", &p)]);
    assert!(results.iter().all(|r| r.is_err()));
}

#[test]
fn overload_503_is_retried_with_backoff_until_served() {
    let s = server(|c| {
        c.workers = 1;
        c.max_queue = 0;
    });
    let exec = remote(vec![s.url()], |c| {
        c.concurrency = 6;
        c.max_attempts = 200;
        c.backoff_ms = 5;
        c.max_backoff_ms = 50;
        c.cooldown_ms = 5;
    });
    let problem = double();
    let program = slow_double(100_000);
    let jobs: Vec<(&str, &Problem)> = (0..12).map(|_| (program.as_str(), &problem)).collect();
    let reports = exec.execute_batch(&jobs);
    assert!(
        reports.iter().all(|r| r.as_ref().is_ok_and(|r| r.passed())),
        "{reports:?}"
    );
    let m = s.metrics_text();
    assert!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"overloaded\"}"
        ) > 0.0,
        "no request was refused: the test did not overload"
    );
    assert_eq!(s.answered(), 12);
}

#[test]
fn a_rejected_request_is_not_retried() {
    let s = server(|_| {});
    let exec = remote(vec![s.url()], |c| {
        c.limits = Some(Limits {
            timeout_ms: Some(10_000_000),
            ..Limits::default()
        });
    });
    let err = exec.execute("print(1)", &double()).unwrap_err().to_string();
    assert!(
        err.contains("400") && err.contains("limits.timeout_ms"),
        "{err}"
    );
    let m = s.metrics_text();
    assert_eq!(
        metric(
            &m,
            "stepcoder_requests_total{endpoint=\"execute\",outcome=\"bad_request\"}"
        ),
        1.0
    );
}

#[test]
fn configuration_errors_are_named() {
    assert!(RemoteExecutor::new(RemoteConfig::default()).is_err());
    let err = RemoteExecutor::new(RemoteConfig {
        endpoints: vec!["localhost:8080".into()],
        ..RemoteConfig::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("localhost:8080") && err.contains("http://"),
        "{err}"
    );
    // More workers than the sandbox has instance slots would turn overload into wrong
    // outcomes: refused at start.
    let err = stepcoder_serve::Server::start(stepcoder_serve::ServeConfig {
        bind: "127.0.0.1:0".into(),
        workers: 100_000,
        ..stepcoder_serve::ServeConfig::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("workers = 100000"), "{err}");
}
