//! Many callers at once: a full instance pool is waited for and, failing that, an executor
//! error, never an outcome; time limits are wall-clock seconds however many callers there are.

use std::time::{Duration, Instant};

use stepcoder_core::{CoreError, Executor, Outcome};
use stepcoder_sandbox::{RunStatus, Sandbox, SandboxConfig, SandboxError};

use crate::stdio;

fn small_pool(instances: u32, wait: Duration) -> Sandbox {
    Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs(20),
        max_instances: Some(instances),
        instance_wait: wait,
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

/// `n` threads call `f(i)` at once; results in thread order.
fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

const SLOW_ECHO: &str = "import time\ntime.sleep(0.05)\nprint(input())\n";

#[test]
fn more_callers_than_the_pool_holds_wait_for_a_slot() {
    let sb = small_pool(2, Duration::from_secs(60));
    let runs = at_once(12, |i| sb.run(SLOW_ECHO, &format!("{i}\n")));
    for (i, r) in runs.into_iter().enumerate() {
        let r = r.expect("a slot comes free within the wait");
        assert_eq!(r.status, RunStatus::Ok, "{r:?}");
        assert_eq!(r.stdout, format!("{i}\n"));
    }
    let p = stdio(&[
        ("1\n", "1\n"),
        ("2\n", "2\n"),
        ("3\n", "3\n"),
        ("4\n", "4\n"),
    ]);
    let reports = at_once(12, |_| sb.execute(SLOW_ECHO, &p));
    for r in reports {
        let r = r.expect("a slot comes free within the wait");
        assert!(r.passed(), "{:?}", r.outcomes());
    }
}

#[test]
fn a_pool_that_stays_full_is_an_executor_error_never_an_outcome() {
    // One slot, a 1 ms wait, programs holding it for 300 ms: most callers cannot get in.
    let sb = small_pool(1, Duration::from_millis(1));
    let hold = "import time\ntime.sleep(0.3)\nprint(input())\n";
    let runs = at_once(6, |i| sb.run(hold, &format!("{i}\n")));
    let (mut ran, mut refused) = (0, 0);
    for (i, r) in runs.into_iter().enumerate() {
        match r {
            Ok(r) => {
                assert_eq!(r.status, RunStatus::Ok, "{r:?}");
                assert_eq!(r.stdout, format!("{i}\n"));
                ran += 1;
            }
            Err(SandboxError::PoolExhausted { .. }) => refused += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(ran >= 1 && refused >= 1, "ran {ran}, refused {refused}");

    let p = stdio(&[("1\n", "1\n"), ("2\n", "2\n"), ("3\n", "3\n")]);
    let reports = at_once(6, |_| sb.execute(hold, &p));
    for r in reports {
        match r {
            Ok(r) => assert!(r.passed(), "{:?}", r.outcomes()),
            Err(CoreError::Executor(m)) => assert!(m.contains("instance"), "{m}"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

#[test]
fn time_limits_are_wall_clock_however_many_callers_share_the_machine() {
    let limit = Duration::from_millis(500);
    let sb = Sandbox::new(SandboxConfig {
        timeout: limit,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let spin = "while True:\n    pass\n";
    // A bound, not a benchmark: each loop is stopped well within 5x its limit.
    let bound = limit * 5;
    let p = stdio(&[("", "")]);
    let reports = at_once(16, |_| sb.execute(spin, &p));
    for r in reports {
        let t = &r.unwrap().tests[0];
        assert_eq!(t.outcome, Outcome::Timeout);
        assert!(
            Duration::from_micros(t.duration_us) < bound,
            "{} us for a {limit:?} limit",
            t.duration_us
        );
    }
    // `run` calls are not queued behind rayon's workers: 16 loops on the CPUs at once.
    let runs = at_once(16, |_| {
        let t0 = Instant::now();
        let r = sb.run(spin, "").unwrap();
        (r.status, t0.elapsed())
    });
    for (status, took) in runs {
        assert_eq!(status, RunStatus::Timeout);
        assert!(took < bound, "{took:?} for a {limit:?} limit");
    }
}
