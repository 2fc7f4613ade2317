//! Coverage must be exact: the lines that ran, per test and in union, and the lines that
//! could run, numbered as in the program text given.
use serde_json::json;
use stepcoder_core::{Executor, ProblemKind, TestCase};

use crate::{problem, sandbox, stdio};

fn lines(s: &[u32]) -> Vec<u32> {
    s.to_vec()
}

#[test]
fn branches_loops_and_uncalled_functions() {
    let program = "\
import sys
# a comment

def unused(x):
    return x * 2

n = int(input())
total = 0
for i in range(n):
    if i % 2 == 0:
        total += i
    else:
        total -= 1
if total > 100:
    print('big')
print(total)
";
    let p = stdio(&[("1\n", "0\n"), ("3\n", "1\n")]);
    let r = sandbox().execute(program, &p).unwrap();
    assert!(r.passed(), "{r:?}");
    // n = 1: the loop runs once, only the even branch; `print('big')` never.
    assert_eq!(
        r.tests[0].executed_lines,
        lines(&[1, 4, 7, 8, 9, 10, 11, 14, 16])
    );
    assert_eq!(
        r.tests[1].executed_lines,
        lines(&[1, 4, 7, 8, 9, 10, 11, 13, 14, 16])
    );
    assert_eq!(
        r.executed_lines,
        lines(&[1, 4, 7, 8, 9, 10, 11, 13, 14, 16])
    );
    // `else:` (12), the comment, blank lines never execute; the body of `unused` (5) could.
    assert_eq!(
        r.executable_lines,
        lines(&[1, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16])
    );
}

#[test]
fn try_except_finally_multiline_and_decorators() {
    let program = "\
def deco(f):
    return f

@deco
def g(a,
      b):
    try:
        r = a // b
    except ZeroDivisionError:
        r = -1
    finally:
        a = 0
    return (r +
            1)

print(g(4, 2), g(1, 0))
";
    let p = stdio(&[("", "3 0\n")]);
    let r = sandbox().execute(program, &p).unwrap();
    assert!(r.passed(), "{r:?}");
    assert_eq!(
        r.tests[0].executed_lines,
        lines(&[1, 2, 4, 5, 7, 8, 9, 10, 12, 13, 14, 16])
    );
    // Every line that can run did run here; `finally:` and `try:` headers never fire.
    assert_eq!(r.executable_lines, r.executed_lines);
}

#[test]
fn call_based_wrapper_counts_only_program_lines() {
    let program = "\
class Solution:
    def f(self, x):
        if x > 0:
            return x
        return -x
";
    let p = problem(
        ProblemKind::Method {
            class: "Solution".into(),
            name: "f".into(),
        },
        vec![
            TestCase::Call {
                args: vec![json!(3)],
                expected: json!(3),
            },
            TestCase::Call {
                args: vec![json!(-2)],
                expected: json!(2),
            },
        ],
    );
    let r = sandbox().execute(program, &p).unwrap();
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.tests[0].executed_lines, lines(&[1, 2, 3, 4]));
    assert_eq!(r.tests[1].executed_lines, lines(&[1, 2, 3, 5]));
    assert_eq!(r.executable_lines, lines(&[1, 2, 3, 4, 5]));
}

/// One-line loops, comprehensions and conditional expressions: the harness removes the line
/// of jump targets reachable only from their own line (their LINE probe can never fire, and
/// costs a slow path on every pass). The lines recorded and the lines of errors must not change.
#[test]
fn one_line_loops_and_branches_are_exact_and_carry_no_dead_probe() {
    let program = "\
n = int(input())
a = [0] * n
for j in range(n): a[j] += j
b = [x * 2 for x in a if x % 2 == 0]
i = n
while i > 0: i -= 1
s = 'odd' if n % 2 else 'even'
t = n > 5 and missing_name
if t or n > 100: print('never')
def f(m):
    for k in range(m): pass
src = 'def f(m):\\n    for k in range(m): pass\\n'
pristine = [c for c in compile(src, 'p', 'exec').co_consts if hasattr(c, 'co_lines')][0]
unlined = sum(p[0] is None for p in f.__code__.co_positions())
print(len(b), s, unlined > sum(p[0] is None for p in pristine.co_positions()))
";
    let p = stdio(&[("1\n", "1 odd True\n"), ("4\n", "2 even True\n")]);
    let r = sandbox().execute(program, &p).unwrap();
    assert!(r.passed(), "{r:?}");
    // Every line runs but the body of `f`, which is never called.
    let ran: Vec<u32> = (1..=15).filter(|&l| l != 11).collect();
    assert_eq!(r.tests[0].executed_lines, ran);
    assert_eq!(r.tests[1].executed_lines, ran);
    assert_eq!(r.executable_lines, (1..=15).collect::<Vec<_>>());

    // An error raised by the loop head itself (whose line was removed) keeps its line.
    let program = "\
d = {1: 2}
for k in d: d[k + 1] = 0
";
    let r = sandbox().run(program, "").unwrap();
    let error = r.error.expect("a runtime error");
    assert_eq!(error.error_type, "RuntimeError");
    assert_eq!(error.line, Some(2), "{error:?}");
    assert_eq!(r.executed_lines, vec![1, 2]);
}
