//! Hostile programs: each gets the right outcome, the host is untouched, and the executor
//! keeps working afterwards.
use stepcoder_core::{Executor, Outcome, OutcomeClass};

use crate::{stdio, strict};

fn outcome(code: &str, input: &str, expected: &str) -> Outcome {
    let p = stdio(&[(input, expected)]);
    let r = strict().execute(code, &p).unwrap();
    assert!(r.compile_error.is_none(), "{code}: {r:?}");
    r.tests[0].outcome.clone()
}

fn error_type(o: &Outcome) -> &str {
    match o {
        Outcome::RuntimeError { error_type, .. } => error_type,
        _ => "",
    }
}

#[derive(Clone, Copy)]
enum Want {
    Passed,
    Error(&'static [&'static str]),
    Timeout,
    Memory,
    Output,
    /// Any runtime-error class outcome (error, timeout or a limit).
    Fails,
}

const HOSTILE: &[(&str, &str, &str, &str, Want)] = &[
    (
        "read /etc/passwd",
        "print(open('/etc/passwd').read())",
        "",
        "",
        Want::Error(&["FileNotFoundError", "PermissionError"]),
    ),
    (
        "list /",
        "import os\nprint(os.listdir('/'))",
        "",
        "",
        Want::Error(&["FileNotFoundError", "PermissionError"]),
    ),
    (
        "env vars are empty",
        "import os\nprint(dict(os.environ))",
        "",
        "{}",
        Want::Passed,
    ),
    (
        "write a host file",
        "open('/tmp/stepcoder_sandbox_pwned', 'w').write('x')",
        "",
        "",
        Want::Error(&["FileNotFoundError", "PermissionError", "OSError"]),
    ),
    (
        "sockets",
        "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 22))",
        "",
        "",
        Want::Error(&["ModuleNotFoundError", "OSError", "PermissionError"]),
    ),
    (
        "subprocess",
        "import subprocess\nsubprocess.run(['ls'])",
        "",
        "",
        Want::Error(&["ModuleNotFoundError", "OSError"]),
    ),
    (
        "os.system",
        "import os\nos.system('touch /tmp/stepcoder_sandbox_pwned')",
        "",
        "",
        Want::Error(&["AttributeError"]),
    ),
    (
        "fork",
        "import os\nos.fork()",
        "",
        "",
        Want::Error(&["AttributeError"]),
    ),
    (
        "ctypes",
        "import ctypes\nctypes.CDLL(None)",
        "",
        "",
        Want::Error(&["ModuleNotFoundError"]),
    ),
    (
        "infinite loop",
        "while True:\n    pass",
        "",
        "",
        Want::Timeout,
    ),
    (
        "long sleep",
        "import time\ntime.sleep(1000)",
        "",
        "",
        Want::Timeout,
    ),
    (
        "deep recursion",
        "def f(n):\n    return f(n + 1)\nf(0)",
        "",
        "",
        Want::Error(&["RecursionError"]),
    ),
    (
        "deep recursion with a raised limit",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
        "",
        "",
        Want::Fails,
    ),
    (
        "deep C recursion",
        "x = []\nfor i in range(10**6):\n    x = [x]\nprint(repr(x))",
        "",
        "",
        Want::Fails,
    ),
    (
        "one huge allocation",
        "a = [0] * (3 * 10 ** 8)",
        "",
        "",
        Want::Memory,
    ),
    (
        "growing memory bomb",
        "l = []\nwhile True:\n    l.append(' ' * 10 ** 6)",
        "",
        "",
        Want::Memory,
    ),
    (
        "bytearray bomb",
        "b = bytearray(200 * 1024 * 1024)",
        "",
        "",
        Want::Memory,
    ),
    (
        "huge int to str",
        "print(10 ** 100000)",
        "",
        "",
        Want::Error(&["ValueError"]),
    ),
    ("huge int power", "x = 7 ** (10 ** 9)", "", "", Want::Fails),
    (
        "stdout flood",
        "while True:\n    print('x' * 1000)",
        "",
        "",
        Want::Output,
    ),
    (
        "stderr flood",
        "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)",
        "",
        "",
        Want::Output,
    ),
    (
        "one giant print",
        "print('y' * (10 ** 7))",
        "",
        "",
        Want::Output,
    ),
    (
        "os._exit(0) after output",
        "import os\nprint('bye')\nos._exit(0)",
        "",
        "bye",
        Want::Passed,
    ),
    (
        "os._exit(3)",
        "import os\nos._exit(3)",
        "",
        "",
        Want::Error(&["SystemExit"]),
    ),
    (
        "sys.exit(0) after output",
        "import sys\nprint('ok')\nsys.exit(0)",
        "",
        "ok",
        Want::Passed,
    ),
    ("exit(2)", "exit(2)", "", "", Want::Error(&["SystemExit"])),
    (
        "raw write to fd 1",
        "import os\nprint('a')\nos.write(1, b'b\\n')\nprint('c')",
        "",
        "a\nb\nc",
        Want::Passed,
    ),
    (
        "raw read of fd 0",
        "import os\nprint(os.read(0, 100).decode().upper())",
        "hi\n",
        "HI",
        Want::Passed,
    ),
    (
        "open(0)",
        "print(sum(map(int, open(0).read().split())))",
        "1 2 3\n",
        "6",
        Want::Passed,
    ),
    (
        "stdin.buffer",
        "import sys\nprint(sys.stdin.buffer.readline().strip()[::-1].decode())",
        "abc\n",
        "cba",
        Want::Passed,
    ),
    (
        "signals",
        "import signal\nsignal.alarm(1)",
        "",
        "",
        Want::Error(&["ModuleNotFoundError", "AttributeError"]),
    ),
    (
        "kill",
        "import os\nos.kill(os.getpid(), 9)",
        "",
        "",
        Want::Error(&["AttributeError"]),
    ),
    (
        // The guest's threads run one at a time (see threads.rs): a thread that waits for
        // another one that cannot run is a RuntimeError, not a hang.
        "threads",
        "import threading\ne = threading.Event()\nt = threading.Thread(target=e.wait)\nt.start()",
        "",
        "",
        Want::Error(&["RuntimeError"]),
    ),
    (
        "swallowed BaseException",
        "while True:\n    try:\n        pass\n    except BaseException:\n        pass",
        "",
        "",
        Want::Timeout,
    ),
    (
        "exceptions with a broken __str__",
        "class E(Exception):\n    def __str__(self):\n        raise ValueError\nraise E()",
        "",
        "",
        Want::Error(&["E"]),
    ),
];

#[test]
fn hostile_programs_get_the_right_outcome() {
    let marker = std::path::Path::new("/tmp/stepcoder_sandbox_pwned");
    let _ = std::fs::remove_file(marker);
    let mut wrong = Vec::new();
    for (name, code, input, expected, want) in HOSTILE {
        let o = outcome(code, input, expected);
        let ok = match want {
            Want::Passed => o == Outcome::Passed,
            Want::Error(types) => types.contains(&error_type(&o)),
            Want::Timeout => o == Outcome::Timeout,
            Want::Memory => o == Outcome::MemoryLimit,
            Want::Output => o == Outcome::OutputLimit,
            Want::Fails => o.class() == OutcomeClass::RuntimeError,
        };
        if !ok {
            wrong.push(format!("{name}: {o:?}"));
        }
    }
    assert!(HOSTILE.len() >= 25);
    assert!(wrong.is_empty(), "wrong outcomes:\n{}", wrong.join("\n"));
    assert!(!marker.exists(), "a program touched the host file system");
    // The executor still works normally.
    assert_eq!(
        outcome("print(int(input()) + 1)", "41\n", "42"),
        Outcome::Passed
    );
}

#[test]
fn monkeypatching_does_not_leak_between_tests_of_one_program() {
    // The first test patches builtins and a module; the second must see neither.
    let code = "\
import builtins, math
if input() == 'patch':
    builtins.print = lambda *a, **k: None
    builtins.len = lambda x: -1
    math.sqrt = lambda x: 0
    import sys
    sys.modules['heapq'] = None
import heapq
print(len('abc'), math.sqrt(16), sqrt(9))
";
    let p = stdio(&[("patch\n", "3 4.0 3.0"), ("plain\n", "3 4.0 3.0")]);
    let r = strict().execute(code, &p).unwrap();
    assert!(
        matches!(
            r.tests[0].outcome,
            Outcome::WrongAnswer { .. } | Outcome::RuntimeError { .. }
        ),
        "{r:?}"
    );
    assert_eq!(r.tests[1].outcome, Outcome::Passed, "{r:?}");
}

#[test]
fn globals_do_not_leak_between_tests() {
    let code = "try:\n    counter += 1\nexcept NameError:\n    counter = 1\nprint(counter)\n";
    let p = stdio(&[("", "1"), ("", "1"), ("", "1")]);
    assert!(strict().execute(code, &p).unwrap().passed());
}

#[test]
fn a_fresh_instance_after_each_limit() {
    // Test 1 exhausts memory; test 2 must run in a clean instance and pass.
    let code = "if input() == 'bomb':\n    l = []\n    while True:\n        l.append(' ' * 10**6)\nprint('fine')\n";
    let p = stdio(&[
        ("bomb\n", "fine"),
        ("calm\n", "fine"),
        ("bomb\n", "fine"),
        ("calm\n", "fine"),
    ]);
    let r = strict().execute(code, &p).unwrap();
    let got: Vec<&Outcome> = r.tests.iter().map(|t| &t.outcome).collect();
    assert_eq!(
        got,
        vec![
            &Outcome::MemoryLimit,
            &Outcome::Passed,
            &Outcome::MemoryLimit,
            &Outcome::Passed
        ]
    );
}

#[test]
fn many_tests_of_one_program_keep_their_order_outcomes_and_lines() {
    // A program's tests may run on several instances at once: reports must still come back
    // in the problem's order, each with its own outcome and executed lines, and a limit hit
    // by one test must not disturb its neighbours.
    let code = "\
cmd = input()
if cmd == 'loop':
    while True:
        pass
elif cmd == 'raise':
    raise KeyError(cmd)
elif cmd == 'bomb':
    l = []
    while True:
        l.append(' ' * 10**6)
n = int(cmd)
print(n * n)
";
    let mut cases: Vec<(String, String)> = Vec::new();
    for i in 0..23 {
        let (input, expected) = match i % 6 {
            1 => ("loop".to_string(), String::new()),
            3 => ("raise".to_string(), String::new()),
            4 => ("bomb".to_string(), String::new()),
            5 => (i.to_string(), "wrong".to_string()),
            _ => (i.to_string(), (i * i).to_string()),
        };
        cases.push((format!("{input}\n"), expected));
    }
    let refs: Vec<(&str, &str)> = cases
        .iter()
        .map(|(i, e)| (i.as_str(), e.as_str()))
        .collect();
    let p = stdio(&refs);
    let r = strict().execute(code, &p).unwrap();
    assert!(r.compile_error.is_none(), "{r:?}");
    assert_eq!(r.tests.len(), cases.len());
    for (i, t) in r.tests.iter().enumerate() {
        let (ok, lines): (bool, &[u32]) = match i % 6 {
            // A test stopped at its time limit traps: its instance, and the lines it had
            // recorded, are gone.
            1 => (t.outcome == Outcome::Timeout, &[]),
            3 => (error_type(&t.outcome) == "KeyError", &[1, 2, 5, 6]),
            4 => (t.outcome == Outcome::MemoryLimit, &[1, 2, 5, 7, 8, 9, 10]),
            5 => (
                matches!(t.outcome, Outcome::WrongAnswer { .. }),
                &[1, 2, 5, 7, 11, 12],
            ),
            _ => (t.outcome == Outcome::Passed, &[1, 2, 5, 7, 11, 12]),
        };
        assert!(ok, "test {i}: {:?}", t.outcome);
        if i % 6 != 4 {
            // A MemoryError may leave the last line unrecorded; the others are exact.
            assert_eq!(t.executed_lines, lines, "test {i}");
        }
        if i % 6 == 0 || i % 6 == 2 {
            assert_eq!(t.stdout, format!("{}\n", i * i), "test {i}");
        }
    }
    // Every line but the loop that only timed-out tests ran.
    assert_eq!(r.executed_lines, [1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);
}
