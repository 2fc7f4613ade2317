"""A single-threaded `threading` for the sandbox guest (installed as `sys.modules["threading"]`).

WebAssembly (WASI preview 2) has no threads, so CPython's `Thread.start()` fails with "can't
start new thread". Contest programs mostly start one thread only to get a deeper stack:

    threading.stack_size(2**27); sys.setrecursionlimit(10**6)
    threading.Thread(target=main).start()

The rule here: a thread runs its target to completion inside `start()`, on the caller's stack
(args and kwargs honoured; a thread started by a running thread runs inside that one's start).
So `join()` has nothing to wait for, and the locks, events and conditions below never have another
thread to wait on: a wait that only another thread could end (a held lock acquired again without
a timeout, `Event.wait()` on an unset event, `Condition.wait()`, a semaphore at zero, a barrier of
more than one party) raises `RuntimeError` naming it instead of waiting forever. A wait with a
timeout returns at once with the value it would time out with. Unlike CPython, an exception in a
thread's target (other than `SystemExit`, which ends only that thread) propagates out of
`start()`, so the program fails with it.
"""

import sys as _sys

TIMEOUT_MAX = float(2**31)
ThreadError = RuntimeError
_CONCURRENCY = ("needs a second thread running at the same time; the sandbox has no threads "
                "(WebAssembly): each Thread runs to completion inside start()")


def _needs_concurrency(what):
    return RuntimeError("threading: %s %s" % (what, _CONCURRENCY))


class _State:
    stack_size = 0
    next_ident = 1
    running = []  # threads whose target is running, innermost last


def _reset():
    """Called by the harness before each test: no thread state carries over between tests."""
    _State.stack_size = 0
    _State.next_ident = 1
    _State.running = []


class Thread:
    def __init__(self, group=None, target=None, name=None, args=(), kwargs=None, *, daemon=None):
        _State.next_ident += 1
        self._ident = _State.next_ident
        self._target = target
        self._args = tuple(args)
        self._kwargs = dict(kwargs or {})
        self._name = str(name) if name is not None else "Thread-%d" % (self._ident - 1)
        self._daemon = bool(daemon) if daemon is not None else current_thread().daemon
        self._started = False
        self._alive = False

    def start(self):
        if self._started:
            raise RuntimeError("threads can only be started once")
        self._started = True
        self._alive = True
        _State.running.append(self)
        try:
            self.run()
        except SystemExit:
            pass  # as in CPython: ends this thread only
        finally:
            _State.running.pop()
            self._alive = False

    def run(self):
        try:
            if self._target is not None:
                self._target(*self._args, **self._kwargs)
        finally:
            del self._target, self._args, self._kwargs

    def join(self, timeout=None):
        if not self._started:
            raise RuntimeError("cannot join thread before it is started")
        if self is current_thread():
            raise RuntimeError("cannot join current thread")

    def is_alive(self):
        return self._alive

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = str(value)

    @property
    def ident(self):
        return self._ident if self._started else None

    native_id = ident

    @property
    def daemon(self):
        return self._daemon

    @daemon.setter
    def daemon(self, value):
        if self._started:
            raise RuntimeError("cannot set daemon status of active thread")
        self._daemon = bool(value)

    def isDaemon(self):
        return self.daemon

    def setDaemon(self, value):
        self.daemon = value

    def getName(self):
        return self.name

    def setName(self, value):
        self.name = value

    def __repr__(self):
        state = "started" if self._alive else ("stopped" if self._started else "initial")
        return "<%s(%s, %s)>" % (type(self).__name__, self._name, state)


class _MainThread(Thread):
    def __init__(self):
        self._ident = 1
        self._name = "MainThread"
        self._daemon = False
        self._started = True
        self._alive = True


_MAIN = _MainThread()


class Timer(Thread):
    """Calls `function` after `interval` seconds, inside `start()`, unless cancelled."""

    def __init__(self, interval, function, args=None, kwargs=None):
        super().__init__()
        self.interval = interval
        self.function = function
        self.args = args if args is not None else []
        self.kwargs = kwargs if kwargs is not None else {}
        self.finished = Event()

    def cancel(self):
        self.finished.set()

    def run(self):
        import time
        if not self.finished.is_set():
            time.sleep(self.interval)
            self.function(*self.args, **self.kwargs)
        self.finished.set()


def current_thread():
    return _State.running[-1] if _State.running else _MAIN


currentThread = current_thread


def main_thread():
    return _MAIN


def get_ident():
    return current_thread()._ident


get_native_id = get_ident


def active_count():
    return 1 + len(_State.running)


activeCount = active_count


def enumerate():  # noqa: A001  (the threading API)
    return [_MAIN] + list(_State.running)


def stack_size(size=0):
    """Accepted and remembered (the sandbox's stack is fixed); returns the previous value."""
    size = int(size)
    if size != 0 and size < 32768:
        raise ValueError("size not valid: %d bytes" % size)
    old = _State.stack_size
    _State.stack_size = size
    return old


def settrace(func):
    pass


def setprofile(func):
    pass


def settrace_all_threads(func):
    _sys.settrace(func)


def setprofile_all_threads(func):
    _sys.setprofile(func)


def gettrace():
    return None


def getprofile():
    return None


def excepthook(args):
    pass


__excepthook__ = excepthook


class Lock:
    def __init__(self):
        self._locked = False

    def acquire(self, blocking=True, timeout=-1):
        if not self._locked:
            self._locked = True
            return True
        if blocking and timeout is not None and timeout < 0:
            raise _needs_concurrency("acquiring a Lock that is already held")
        return False

    def release(self):
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        self._locked = False

    def locked(self):
        return self._locked

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def _at_fork_reinit(self):
        self._locked = False


def allocate_lock():
    return Lock()


class RLock:
    def __init__(self):
        self._owner = None
        self._count = 0

    def acquire(self, blocking=True, timeout=-1):
        me = current_thread()
        if self._count == 0 or self._owner is me:
            self._owner = me
            self._count += 1
            return True
        if blocking and timeout is not None and timeout < 0:
            raise _needs_concurrency("acquiring an RLock held by another thread")
        return False

    def release(self):
        if self._count == 0 or self._owner is not current_thread():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = None

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def _is_owned(self):
        return self._count > 0 and self._owner is current_thread()


class Condition:
    def __init__(self, lock=None):
        self._lock = lock if lock is not None else RLock()
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *exc):
        return self._lock.__exit__(*exc)

    def wait(self, timeout=None):
        if timeout is None:
            raise _needs_concurrency("Condition.wait() without a timeout")
        return False

    def wait_for(self, predicate, timeout=None):
        result = predicate()
        if result:
            return result
        if timeout is None:
            raise _needs_concurrency("Condition.wait_for() on a false predicate without a timeout")
        return result

    def notify(self, n=1):
        pass

    def notify_all(self):
        pass

    notifyAll = notify_all


class Semaphore:
    def __init__(self, value=1):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._value = value

    def acquire(self, blocking=True, timeout=None):
        if self._value > 0:
            self._value -= 1
            return True
        if blocking and timeout is None:
            raise _needs_concurrency("acquiring a Semaphore at zero")
        return False

    __enter__ = acquire

    def release(self, n=1):
        if n < 1:
            raise ValueError("n must be one or more")
        self._value += n

    def __exit__(self, *exc):
        self.release()


class BoundedSemaphore(Semaphore):
    def __init__(self, value=1):
        super().__init__(value)
        self._initial_value = value

    def release(self, n=1):
        if n < 1:
            raise ValueError("n must be one or more")
        if self._value + n > self._initial_value:
            raise ValueError("Semaphore released too many times")
        self._value += n


class Event:
    def __init__(self):
        self._flag = False

    def is_set(self):
        return self._flag

    isSet = is_set

    def set(self):
        self._flag = True

    def clear(self):
        self._flag = False

    def wait(self, timeout=None):
        if self._flag:
            return True
        if timeout is None:
            raise _needs_concurrency("Event.wait() on an unset event without a timeout")
        return False


class BrokenBarrierError(RuntimeError):
    pass


class Barrier:
    def __init__(self, parties, action=None, timeout=None):
        if parties < 1:
            raise ValueError("parties must be >= 1")
        self.parties = parties
        self._action = action
        self.n_waiting = 0
        self.broken = False

    def wait(self, timeout=None):
        if self.parties > 1:
            raise _needs_concurrency("Barrier.wait() with %d parties" % self.parties)
        if self._action is not None:
            self._action()
        return 0

    def reset(self):
        self.broken = False

    def abort(self):
        self.broken = True


class local:
    """Thread-local data: with one thread at a time, plain attributes."""


def _register_atexit(func, *args, **kwargs):
    pass


def _shutdown():
    pass
