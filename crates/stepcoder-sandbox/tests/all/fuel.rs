//! Deterministic limits: fuel budgets (fixed, or derived from the canonical solution's fuel)
//! decide the same outcome on every run and under any load; the wall clock is only a safety
//! net whose stop is the sandbox's error, never the program's timeout.

use std::time::Duration;

use stepcoder_core::{CoreError, ExecReport, Executor, Outcome, Problem};
use stepcoder_sandbox::{Sandbox, SandboxConfig, SandboxError, TestLimit, TimeBudget};

use crate::stdio;

/// `n` threads call `f(i)` at once; results in thread order.
fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn fuel_sandbox(budget: TimeBudget, timeout: Duration) -> Sandbox {
    Sandbox::new(SandboxConfig {
        timeout,
        budget,
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

/// A program that counts to the number it reads, then prints it.
const COUNT: &str = "n = int(input())\ni = 0\nwhile i < n:\n    i += 1\nprint(i)\n";

fn count_problem(inputs: &[u64]) -> Problem {
    let tests: Vec<(String, String)> = inputs
        .iter()
        .map(|n| (format!("{n}\n"), format!("{n}\n")))
        .collect();
    let refs: Vec<(&str, &str)> = tests
        .iter()
        .map(|(i, e)| (i.as_str(), e.as_str()))
        .collect();
    let mut p = stdio(&refs);
    p.canonical_solution = COUNT.into();
    p
}

#[test]
fn a_fixed_fuel_budget_stops_loops_and_lets_programs_finish() {
    let s = fuel_sandbox(
        TimeBudget::Fuel { fuel: 200_000_000 },
        Duration::from_secs(60),
    );
    assert!(s.config().is_deterministic());
    let p = stdio(&[("", "done\n")]);
    assert!(s.execute("print('done')\n", &p).unwrap().passed());
    let r = s.execute("while True:\n    pass\n", &p).unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Timeout);
    assert_eq!(s.safety_net_stops(), 0);
}

#[test]
fn derived_fuel_budgets_follow_the_canonical_solutions_fuel_and_repeat_exactly() {
    let budget = TimeBudget::DerivedFuel {
        factor: 3.0,
        floor: 5_000_000,
        fuel: 20_000_000_000,
    };
    let p = count_problem(&[1, 30_000, 300_000]);
    let a = fuel_sandbox(budget, Duration::from_secs(120));
    let b = fuel_sandbox(budget, Duration::from_secs(120));
    let la = a.budgets(&p).unwrap();
    // Another sandbox, measured while the machine is busy with other tests: the same fuel.
    let lb = b.budgets(&p).unwrap();
    assert_eq!(la, lb);
    let fuel: Vec<u64> = la.iter().map(|l| l.fuel.expect("fuel budget")).collect();
    // The trivial test gets the floor; the others grow with the work, about 10x apart.
    assert_eq!(fuel[0], 5_000_000, "{fuel:?}");
    assert!(fuel[1] > 5_000_000, "{fuel:?}");
    let ratio = fuel[2] as f64 / fuel[1] as f64;
    assert!((8.0..12.0).contains(&ratio), "{fuel:?}");
    assert!(la.iter().all(|l| l.wall == Duration::from_secs(120)));

    // 2x the canonical work passes a 3x budget, 6x does not, on every test but the floor's.
    let twice = COUNT
        .replace("while i < n:", "while i < 2 * n:")
        .replace("print(i)", "print(i // 2)");
    assert!(a.execute(&twice, &p).unwrap().passed());
    let six = COUNT
        .replace("while i < n:", "while i < 6 * n:")
        .replace("print(i)", "print(i // 6)");
    let r = a.execute(&six, &p).unwrap();
    assert_eq!(r.tests[0].outcome, Outcome::Passed);
    assert_eq!(r.tests[1].outcome, Outcome::Timeout);
    assert_eq!(r.tests[2].outcome, Outcome::Timeout);

    // No canonical solution: the budget's full fuel.
    let mut bare = p.clone();
    bare.id = "bare".into();
    bare.canonical_solution.clear();
    let full = TestLimit {
        wall: Duration::from_secs(120),
        fuel: Some(20_000_000_000),
    };
    assert!(a.budgets(&bare).unwrap().iter().all(|l| *l == full));
}

#[test]
fn a_program_at_its_exact_fuel_limit_gets_the_same_outcome_under_any_load() {
    // factor 1: each test's budget is exactly the fuel the canonical solution used on it.
    let s = Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs(120),
        coverage: false,
        budget: TimeBudget::DerivedFuel {
            factor: 1.0,
            floor: 1,
            fuel: 20_000_000_000,
        },
        ..SandboxConfig::default()
    })
    .unwrap();
    let mut p = count_problem(&[100_000, 100_000]);
    p.id = "exact".into();
    // The canonical solution itself fits exactly; a few more iterations do not.
    let more = COUNT
        .replace("while i < n:", "while i < n + 50:")
        .replace("print(i)", "print(i - 50)");
    let runs = at_once(12, |i| {
        let program = if i % 2 == 0 { COUNT } else { more.as_str() };
        s.execute(program, &p)
            .unwrap()
            .tests
            .into_iter()
            .map(|t| t.outcome)
            .collect::<Vec<_>>()
    });
    for (i, outcomes) in runs.iter().enumerate() {
        let want = if i % 2 == 0 {
            Outcome::Passed
        } else {
            Outcome::Timeout
        };
        assert!(
            outcomes.iter().all(|o| *o == want),
            "caller {i}: {outcomes:?}"
        );
    }
    assert_eq!(s.safety_net_stops(), 0);
}

#[test]
fn the_wall_clock_safety_net_is_an_executor_error_never_a_timeout() {
    let s = fuel_sandbox(
        TimeBudget::Fuel { fuel: u64::MAX / 2 },
        Duration::from_millis(300),
    );
    let p = stdio(&[("", ""), ("", "")]);
    for program in ["while True:\n    pass\n", "import time\ntime.sleep(5)\n"] {
        match s.execute_program(program, &p) {
            Err(SandboxError::SafetyNet { test, wall, .. }) => {
                assert_eq!(test, Some(0));
                assert_eq!(wall, Duration::from_millis(300));
            }
            other => panic!("{program:?}: {other:?}"),
        }
        assert!(
            matches!(s.execute(program, &p), Err(CoreError::Executor(m)) if m.contains("safety net"))
        );
    }
    assert_eq!(s.safety_net_stops(), 4);
    // A plain run keeps the wall clock as its limit (SandboxFusion's `run_timeout`).
    let r = s.run("while True:\n    pass\n", "").unwrap();
    assert_eq!(r.status, stepcoder_sandbox::RunStatus::Timeout);
    assert_eq!(s.safety_net_stops(), 4);
}

#[test]
fn contradictory_budgets_are_refused() {
    let bad = |config: SandboxConfig| match Sandbox::new(config) {
        Err(SandboxError::Config(m)) => m,
        other => panic!("{other:?}"),
    };
    let m = bad(SandboxConfig {
        fuel: Some(1000),
        budget: TimeBudget::Fuel { fuel: 1000 },
        ..SandboxConfig::default()
    });
    assert!(m.contains("fuel"), "{m}");
    bad(SandboxConfig {
        budget: TimeBudget::DerivedFuel {
            factor: f64::NAN,
            floor: 1,
            fuel: 10,
        },
        ..SandboxConfig::default()
    });
    bad(SandboxConfig {
        budget: TimeBudget::DerivedFuel {
            factor: 2.0,
            floor: 100,
            fuel: 10,
        },
        ..SandboxConfig::default()
    });
    assert!(SandboxConfig::deterministic().is_deterministic());
    assert!(!SandboxConfig::default().is_deterministic());
}

#[test]
fn a_batch_runs_a_repeated_program_once_per_problem_under_fuel_budgets() {
    let p = count_problem(&[3, 5]);
    let q = count_problem(&[4]);
    let wrong = "print(1)\n";
    let jobs = [
        (COUNT, &p),
        (wrong, &p),
        (COUNT, &p),
        (COUNT, &q),
        (wrong, &p),
        (COUNT, &p),
    ];
    let fuel = fuel_sandbox(
        TimeBudget::Fuel { fuel: 200_000_000 },
        Duration::from_secs(60),
    );
    // Reports less their wall times, which differ from run to run.
    let timeless = |mut r: ExecReport| {
        r.tests.iter_mut().for_each(|t| t.duration_us = 0);
        r
    };
    let reports: Vec<_> = fuel
        .execute_batch(&jobs)
        .into_iter()
        .map(|r| timeless(r.unwrap()))
        .collect();
    // Three copies of COUNT on `p` and two of `wrong` share the first one's report.
    assert_eq!(fuel.shared_reports(), 3);
    let alone: Vec<_> = jobs
        .iter()
        .map(|(program, problem)| timeless(fuel.execute(program, problem).unwrap()))
        .collect();
    assert_eq!(reports, alone, "a shared report is the program's own");
    assert!(reports[0].passed() && reports[3].passed() && !reports[1].passed());

    // Under the wall clock every job runs: its outcome may depend on the machine.
    let wall = Sandbox::new(SandboxConfig::default()).unwrap();
    for r in wall.execute_batch(&jobs) {
        r.unwrap();
    }
    assert_eq!(wall.shared_reports(), 0);
}

#[test]
fn programs_draw_the_same_random_numbers_in_every_run_under_fuel_budgets() {
    let program = "import random\nprint(random.random(), random.randrange(10**9))\n";
    let outputs: Vec<String> = (0..2)
        .map(|_| {
            let s = fuel_sandbox(
                TimeBudget::Fuel { fuel: 500_000_000 },
                Duration::from_secs(60),
            );
            s.run(program, "").unwrap().stdout
        })
        .collect();
    assert!(
        !outputs[0].trim().is_empty(),
        "the program printed: {outputs:?}"
    );
    assert_eq!(outputs[0], outputs[1], "two sandboxes, two draws");
    // So a test whose expected output is that draw passes in every run.
    let p = stdio(&[("", outputs[0].as_str())]);
    let s = fuel_sandbox(
        TimeBudget::Fuel { fuel: 500_000_000 },
        Duration::from_secs(60),
    );
    for _ in 0..2 {
        assert!(s.execute(program, &p).unwrap().passed());
    }
}
