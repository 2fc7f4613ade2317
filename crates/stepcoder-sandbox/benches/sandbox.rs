//! Criterion benches: one small stdin program in the sandbox (fresh instance, all tests of a
//! program in one instance) against the usual native harness (python3 started per test).
//! `stepcoder bench sandbox` runs the full APPS+ comparison. The `budget` group times a
//! program that computes for a while under a wall-clock limit and under fuel budgets: the
//! price of deterministic outcomes (`cargo bench -p stepcoder-sandbox -- budget`).

use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion};
use stepcoder_core::{Difficulty, Executor, Problem, ProblemKind, TestCase};
use stepcoder_sandbox::{Sandbox, SandboxConfig, TimeBudget};

const PROGRAM: &str =
    "def main():\n    n = int(input())\n    print(sum(i * i for i in range(n)))\nmain()\n";

fn problem(tests: usize) -> Problem {
    Problem {
        id: "bench".into(),
        source: "bench".into(),
        difficulty: Difficulty::Unknown,
        statement: String::new(),
        starter_code: String::new(),
        canonical_solution: PROGRAM.into(),
        kind: ProblemKind::Stdio { entry: None },
        tests: (0..tests)
            .map(|i| TestCase::Stdio {
                input: format!("{}\n", 100 + i),
                expected: format!("{}\n", (0..100 + i).map(|k| k * k).sum::<usize>()),
            })
            .collect(),
        setup_code: String::new(),
        atol: None,
        scope: None,
    }
}

fn bench(c: &mut Criterion) {
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
    let one = problem(1);
    let ten = problem(10);
    assert!(sandbox.execute(PROGRAM, &ten).unwrap().passed());
    let mut g = c.benchmark_group("per_program");
    g.bench_function("sandbox_fresh_instance_1_test", |b| {
        b.iter(|| sandbox.execute(PROGRAM, &one).unwrap())
    });
    g.bench_function("sandbox_one_instance_10_tests", |b| {
        b.iter(|| sandbox.execute(PROGRAM, &ten).unwrap())
    });
    let python_ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success());
    if python_ok {
        g.bench_function("native_python3_subprocess_1_test", |b| {
            b.iter(|| {
                let mut child = Command::new("python3")
                    .arg("-c")
                    .arg(PROGRAM)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                child.stdin.take().unwrap().write_all(b"100\n").unwrap();
                child.wait_with_output().unwrap()
            })
        });
    }
    g.finish();
}

/// The same heavy program (about 0.1-0.3 s of interpreter work) under each kind of limit.
fn budget(c: &mut Criterion) {
    let mut heavy = problem(1);
    heavy.tests = vec![TestCase::Stdio {
        input: "300000\n".into(),
        expected: format!("{}\n", (0..300_000u64).map(|k| k * k).sum::<u64>()),
    }];
    let mut g = c.benchmark_group("budget");
    g.sample_size(10);
    for (name, budget) in [
        ("wall_clock", TimeBudget::Fixed),
        (
            "fuel",
            TimeBudget::Fuel {
                fuel: 20_000_000_000,
            },
        ),
        ("derived_fuel", TimeBudget::deterministic()),
    ] {
        let sandbox = Sandbox::new(SandboxConfig {
            budget,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        assert!(sandbox.execute(PROGRAM, &heavy).unwrap().passed(), "{name}");
        g.bench_function(name, |b| {
            b.iter(|| sandbox.execute(PROGRAM, &heavy).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench, budget
}
criterion_main!(benches);
