//! The single-threaded `threading` of the guest: the deeper-stack idiom of contest programs runs;
//! a program that needs two threads at once fails with a message that says so.

use stepcoder_core::{Executor, Outcome};

use crate::{sandbox, stdio};

#[test]
fn the_deeper_stack_idiom_passes_a_stdin_problem() {
    let program = "\
import sys, threading

def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)

def main(scale, offset=0):
    n = int(sys.stdin.readline())
    print(depth(n) * scale + offset)
    print(threading.current_thread().name, threading.active_count())

previous = threading.stack_size(2**27)
assert previous == 0 and threading.stack_size(2**27) == 2**27
sys.setrecursionlimit(10**6)
t = threading.Thread(target=main, args=(2,), kwargs={'offset': 1})
t.start()
t.join()
print(t.is_alive(), threading.current_thread() is threading.main_thread())
";
    let p = stdio(&[
        ("3000\n", "6001\nThread-1 2\nFalse True\n"),
        ("10\n", "21\nThread-1 2\nFalse True\n"),
    ]);
    let r = sandbox().execute(program, &p).unwrap();
    assert!(r.passed(), "{:?}", r.outcomes());

    // Locks, events and a queue work as long as nothing must wait for another thread.
    let sync = "\
import threading, queue
lock, ev, q = threading.Lock(), threading.Event(), queue.Queue()
def worker(k):
    with lock:
        q.put(k * int(input()))
    ev.set()
for k in (1,):
    threading.Thread(target=worker, args=(k,), daemon=True).start()
ev.wait()
print(q.get())
";
    let r = sandbox().execute(sync, &stdio(&[("7\n", "7\n")])).unwrap();
    assert!(r.passed(), "{:?}", r.outcomes());
}

#[test]
fn a_program_that_needs_concurrency_gets_a_clear_runtime_error() {
    // The consumer waits for an event that only the producer, started later, would set.
    let program = "\
import threading
ready = threading.Event()
def consumer():
    ready.wait()
    print('go')
threading.Thread(target=consumer).start()
ready.set()
";
    let r = sandbox().execute(program, &stdio(&[("", "go\n")])).unwrap();
    match &r.tests[0].outcome {
        Outcome::RuntimeError {
            error_type,
            message,
            line,
        } => {
            assert_eq!(error_type, "RuntimeError");
            assert!(message.contains("Event.wait()"), "{message}");
            assert!(message.contains("no threads"), "{message}");
            assert_eq!(*line, Some(4));
        }
        other => panic!("{other:?}"),
    }
    // A lock held by the starting thread and wanted by the started one.
    let lock = "\
import threading
lock = threading.Lock()
lock.acquire()
threading.Thread(target=lambda: lock.acquire()).start()
";
    let r = sandbox().execute(lock, &stdio(&[("", "")])).unwrap();
    assert!(
        matches!(&r.tests[0].outcome, Outcome::RuntimeError { message, .. } if message.contains("Lock")),
        "{:?}",
        r.tests[0].outcome
    );
}
