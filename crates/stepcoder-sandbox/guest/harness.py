"""The Python side of the stepcoder sandbox.

componentize-py imports this module at build time and snapshots the interpreter, so every
module imported here is bundled and already initialized when an instance starts. The host
(Rust) calls `prepare` once per program and `run_test` once per test; it compares outputs
itself, so nothing the program does in here can mark a test as passed.
"""

import builtins
import dis
import io
import json
import os
import sys
import time

import sandbox_threading

# WASI has no threads: `threading` is the harness's single-threaded stand-in (see
# `sandbox_threading.py`), installed before any other module imports the real one.
sys.modules["threading"] = sandbox_threading
_reset_threading = sandbox_threading._reset

# Standard-library modules that contest programs import. Only modules imported during the
# build end up in the component, so this list decides what programs can use.
import abc  # noqa: F401
import array  # noqa: F401
import base64  # noqa: F401
import binascii  # noqa: F401
import bisect  # noqa: F401
import calendar  # noqa: F401
import cmath  # noqa: F401
import collections  # noqa: F401
import collections.abc  # noqa: F401
import contextlib  # noqa: F401
import copy  # noqa: F401
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import difflib  # noqa: F401
import enum  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import graphlib  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import numbers  # noqa: F401
import operator  # noqa: F401
import pprint  # noqa: F401
import queue  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import statistics  # noqa: F401
import string  # noqa: F401
import struct  # noqa: F401
import textwrap  # noqa: F401
import traceback  # noqa: F401  (importing it later on a full heap is slow)
import types  # noqa: F401
import typing  # noqa: F401
import unicodedata  # noqa: F401
import weakref  # noqa: F401

for _name in ("secrets", "fnmatch", "ast", "keyword", "locale", "uuid", "unittest",
              "pickle", "csv", "argparse", "shlex", "codecs"):
    try:
        __import__(_name)
    except Exception:  # noqa: BLE001  (optional in this build)
        pass

import wit_world
from wit_world import Prepared, TestResult

PROGRAM = "<program>"

# The contest import header (as the APPS+ README describes it), without `from math import *`,
# which would shadow the builtin three-argument `pow`. Run once here; each test copies it.
_HEADER_SRC = """\
import sys, time, itertools, collections, math, heapq, bisect, functools, random, string, re
import operator, copy, array, fractions, decimal, statistics, datetime
from itertools import *
from collections import *
from heapq import *
from bisect import *
from functools import *
from typing import *
from math import sqrt, ceil, floor, gcd, log, log2, log10, factorial, comb, perm, isqrt, inf, pi, hypot, exp
"""
_HEADER = {"__builtins__": builtins}
exec(compile(_HEADER_SRC, "<header>", "exec"), _HEADER)
_PLAIN = {"__builtins__": builtins}


class _OutputLimit(BaseException):
    """Raised when the program writes more than allowed (BaseException: hard to swallow)."""


class _HardExit(BaseException):
    """`os._exit` inside the sandbox: ends the test with an exit code."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class _CappedBuffer(io.BytesIO):
    """Byte sink with a size cap; closing is ignored so the harness can still read it."""

    def __init__(self, cap):
        super().__init__()
        self.cap = cap

    def write(self, data):
        if self.tell() + len(data) > self.cap:
            raise _OutputLimit()
        return super().write(data)

    def close(self):
        pass


class _Input(io.BytesIO):
    def close(self):
        pass


def _hard_exit(code=0):
    raise _HardExit(code)


_real_os_write = os.write
_real_os_read = os.read
_real_open = builtins.open


def _os_write(fd, data):
    # Raw writes to fd 1 / 2 go where `print` goes, in order.
    if fd == 1 or fd == 2:
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
        return stream.buffer.write(bytes(data))
    return _real_os_write(fd, data)


def _os_read(fd, n):
    if fd == 0:
        return sys.stdin.buffer.read(n)
    return _real_os_read(fd, n)


def _open(file, mode="r", *args, **kwargs):
    # `open(0)` / `open(1)` are common contest idioms for stdin / stdout.
    if isinstance(file, int) and file in (0, 1, 2):
        stream = (sys.stdin, sys.stdout, sys.stderr)[file]
        return stream.buffer if "b" in mode else stream
    return _real_open(file, mode, *args, **kwargs)


_real_sleep = time.sleep


def _sleep(secs):
    # A host-side sleep is not interruptible by the epoch deadline: sleep in short slices
    # so that a timeout still stops the program.
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        _real_sleep(min(left, 0.002))


time.sleep = _sleep
os._exit = _hard_exit
os.write = _os_write
os.read = _os_read
builtins.open = _open
io.open = _open
try:
    import posix

    posix._exit = _hard_exit
    posix.write = _os_write
    posix.read = _os_read
except ImportError:
    pass

_MON = sys.monitoring
_TOOL = _MON.COVERAGE_ID
_LINE = _MON.events.LINE
_DISABLE = _MON.DISABLE
_lines = set()


def _on_line(code, line):
    _lines.add(line)
    return _DISABLE


_MON.use_tool_id(_TOOL, "stepcoder")
_MON.register_callback(_TOOL, _LINE, _on_line)

# Coverage at full speed. CPython puts a LINE probe on every jump target, and a probe only fires
# when control arrives from another line. The head of a one-line loop (`for j in r: a[j] += 1`,
# a comprehension, `while i: i -= 1`) or the join of `x if c else y` is reached only from its own
# line, so its probe never fires, is never disabled, and costs a slow path on every pass: 20% on
# heavy contest programs. Such a target's line was recorded when control first entered the line,
# so giving that one instruction no line number (which removes its probe) records the same lines.
# The instructions' original lines are kept for error reports.
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
_CACHE_UNITS = [0 if dis.opname[op].startswith("<") else dis._get_cache_size(dis.opname[op])
                for op in range(256)]
_JUMPS = frozenset(op for op in dis.hasjump if op < 256)
_NO_FALLTHROUGH = frozenset(dis.opmap[name] for name in (
    "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "RETURN_VALUE",
    "RETURN_CONST", "RAISE_VARARGS", "RERAISE") if name in dis.opmap)
_NO_POSITION = (None, None, None, None)
_unlined = {}  # code object -> {offset: line} of the instructions whose line was removed


def _silent_targets(co):
    """Offsets of jump targets reachable only from their own line: `{offset: line}`."""
    code = co.co_code
    line_at = [None] * (len(code) // 2)
    for start, end, line in co.co_lines():
        for unit in range(start // 2, end // 2):
            line_at[unit] = line
    sources = {}
    starts = []
    ext = 0
    i = 0
    n = len(code)
    while i < n:
        op = code[i]
        arg = code[i + 1] | ext
        starts.append(i)  # EXTENDED_ARG is an instruction of its own (jumps may land on it)
        if op == _EXTENDED_ARG:
            ext = arg << 8
            i += 2
            continue
        ext = 0
        if op in _JUMPS:
            target = dis._get_jump_target(op, arg, i)
            sources.setdefault(target, []).append(line_at[i // 2])
        i += 2 + 2 * _CACHE_UNITS[op]
    if not sources:
        return {}
    handlers = {entry.target for entry in dis._parse_exception_table(co)}
    silent = {}
    prev = None
    for off in starts:
        from_lines = sources.get(off)
        if from_lines is not None and prev is not None and off not in handlers:
            line = line_at[off // 2]
            if (line is not None
                    and (line_at[prev // 2] == line or code[prev] in _NO_FALLTHROUGH)
                    and all(src == line for src in from_lines)):
                silent[off] = line
        prev = off
    return silent


def _varint(out, value):
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _linetable(first_line, positions):
    """`co_linetable` bytes for one position per code unit (long and no-location entries)."""
    out = bytearray()
    line = first_line
    i = 0
    n = len(positions)
    while i < n:
        pos = positions[i]
        j = i + 1
        while j < n and j - i < 8 and positions[j] == pos:
            j += 1
        lineno, end_lineno, col, end_col = pos
        if lineno is None:
            out.append(0x80 | (15 << 3) | (j - i - 1))
        else:
            out.append(0x80 | (14 << 3) | (j - i - 1))
            delta = lineno - line
            _varint(out, ((-delta) << 1) | 1 if delta < 0 else delta << 1)
            line = lineno
            _varint(out, (lineno if end_lineno is None else end_lineno) - lineno)
            _varint(out, 0 if col is None else col + 1)
            _varint(out, 0 if end_col is None else end_col + 1)
        i = j
    return bytes(out)


def _unline_silent_targets(co):
    """`co` and its nested code objects with silent jump targets' lines removed."""
    consts = tuple(_unline_silent_targets(c) if isinstance(c, types.CodeType) else c
                   for c in co.co_consts)
    changes = {}
    if any(a is not b for a, b in zip(consts, co.co_consts)):
        changes["co_consts"] = consts
    silent = _silent_targets(co)
    if silent:
        positions = list(co.co_positions())
        for off in silent:
            positions[off // 2] = _NO_POSITION
        changes["co_linetable"] = _linetable(co.co_firstlineno, positions)
    if not changes:
        return co
    co = co.replace(**changes)
    if silent:
        _unlined[co] = silent
    return co

# A stdin program wrapped in an entry function is run, then its entry is called (APPS+).
# Programs that already call their entry at top level would run twice and the second run
# would find stdin empty: watch the entry's start while the module runs, and call it only
# when the program did not.
_ENTRY_TOOL = _MON.PROFILER_ID
_PY_START = _MON.events.PY_START
_entered = False


def _on_entry_start(code, offset):
    global _entered
    _entered = True
    return _DISABLE


_MON.use_tool_id(_ENTRY_TOOL, "stepcoder-entry")
_MON.register_callback(_ENTRY_TOOL, _PY_START, _on_entry_start)

# Snapshots restored after every test: a program may monkeypatch builtins or modules.
_REAL_STREAMS = (sys.stdin, sys.stdout, sys.stderr)
_RECURSION_LIMIT = sys.getrecursionlimit()
_BUILTINS = dict(builtins.__dict__)
_MODULE_SNAPSHOTS = {
    name: (mod, dict(mod.__dict__))
    for name, mod in list(sys.modules.items())
    # The harness's own state (current program, line set) is not a snapshot target.
    if mod is not None and hasattr(mod, "__dict__") and name not in (__name__, "__main__")
}
_MODULES_KEYS = dict(sys.modules)
# Names through which a program can reach any module: seeing one restores every module.
# (A module is otherwise reachable only by a name the program's code mentions.)
_WIDE_NAMES = {"modules", "__import__", "importlib", "__builtins__", "__globals__", "__dict__",
               "globals", "vars", "eval", "exec", "__loader__", "__spec__", "getattr", "setattr"}


class _Program:
    def __init__(self, code, codes, header, out_cap, err_cap):
        self.code = code
        self.codes = codes
        self.header = header
        self.out_cap = out_cap
        self.err_cap = err_cap
        self.tracing = False
        self.watched_entry = None
        names = set()
        for co in codes:
            names.update(co.co_names)
        if names & _WIDE_NAMES:
            self.restore = list(_MODULE_SNAPSHOTS.values())
            self.restore_all = True
        else:
            self.restore = [_MODULE_SNAPSHOTS[n] for n in names
                            if n in _MODULE_SNAPSHOTS and n != "builtins"]
            self.restore_all = False

    def set_tracing(self, on):
        if on != self.tracing:
            events = _LINE if on else 0
            for co in self.codes:
                _MON.set_local_events(_TOOL, co, events)
            self.tracing = on

    def watch_entry(self, name):
        """Arms the PY_START watch on the top-level function `name` (no-op when absent)."""
        if name == self.watched_entry:
            return
        for co in self.codes:
            if co.co_qualname == name and co.co_name == name:
                _MON.set_local_events(_ENTRY_TOOL, co, _PY_START)
        self.watched_entry = name


_program = None


def _code_objects(code):
    out = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out.extend(_code_objects(const))
    return out


def _safe_str(exc, limit=2000):
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<unprintable %s>" % type(exc).__name__
    return text[:limit]


def _program_line(tb):
    line = 0
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == PROGRAM:
            line = tb.tb_lineno or _unlined.get(code, {}).get(tb.tb_lasti, 0)
        tb = tb.tb_next
    return line


# Files whose code is the test's, not the program's (assert mode): an `AssertionError` raised
# there is the test's verdict on the program's answer.
_TEST_FILES = ("<test>", "<setup>")


def _test_assert(exc, spec):
    """The failed test assert, `{"assert": source line, "line": n, "message": text}`, when
    `exc` is an AssertionError whose innermost frame is the test's code; else `None`."""
    if not isinstance(exc, AssertionError):
        return None
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    if filename not in _TEST_FILES:
        return None
    line = tb.tb_lineno or 0
    source = spec.code if filename == "<test>" else spec.setup
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return {"assert": text[:1000], "line": line, "message": _safe_str(exc, 1000)}


def _restore(prog):
    sys.stdin, sys.stdout, sys.stderr = _REAL_STREAMS
    sys.setrecursionlimit(_RECURSION_LIMIT)
    sys.settrace(None)
    sys.setprofile(None)
    bd = builtins.__dict__
    bd.clear()
    bd.update(_BUILTINS)
    for mod, snap in prog.restore:
        d = mod.__dict__
        if d != snap:
            d.clear()
            d.update(snap)
    if prog.restore_all or len(sys.modules) != len(_MODULES_KEYS):
        mods = sys.modules
        for key in [k for k in mods if k not in _MODULES_KEYS]:
            del mods[key]
        mods.update(_MODULES_KEYS)


def _to_json(value):
    def default(obj):
        if isinstance(obj, (set, frozenset)):
            try:
                return sorted(obj)
            except TypeError:
                return list(obj)
        if isinstance(obj, (bytes, bytearray)):
            return obj.decode("utf-8", "replace")
        if hasattr(obj, "__iter__"):
            return list(obj)
        return repr(obj)

    return json.dumps(value, default=default)


class WitWorld(wit_world.WitWorld):
    def prepare(self, source, header, stdout_cap, stderr_cap):
        global _program
        _program = None
        try:
            code = compile(source, PROGRAM, "exec", dont_inherit=True)
        except MemoryError:
            return Prepared("MemoryError", "out of memory while compiling", 0, [])
        except BaseException as e:  # noqa: BLE001  SyntaxError, IndentationError, ValueError
            line = getattr(e, "lineno", None) or 0
            msg = getattr(e, "msg", None) or _safe_str(e)
            return Prepared(type(e).__name__, str(msg)[:2000], int(line), [])
        lines = set()
        for co in _code_objects(code):
            for _start, _end, line in co.co_lines():
                if line is not None and line > 0:
                    lines.add(line)
        _unlined.clear()
        try:
            code = _unline_silent_targets(code)
        except Exception:  # noqa: BLE001  slower coverage, same lines
            _unlined.clear()
        _program = _Program(code, _code_objects(code), header, stdout_cap, stderr_cap)
        return Prepared("", "", 0, sorted(lines))

    def run_test(self, spec):
        global _lines, _entered
        prog = _program
        if prog is None:
            return TestResult("exception", "", "", "HarnessError", "no program prepared", 0, 0, "", [])
        prog.set_tracing(spec.trace)
        _lines = lines = set()
        stdin = io.TextIOWrapper(_Input(spec.stdin.encode("utf-8", "surrogatepass")), encoding="utf-8")
        out_buf = _CappedBuffer(prog.out_cap)
        err_buf = _CappedBuffer(prog.err_cap)
        out = io.TextIOWrapper(out_buf, encoding="utf-8", errors="backslashreplace", newline="\n")
        err = io.TextIOWrapper(err_buf, encoding="utf-8", errors="backslashreplace", newline="\n")
        g = dict(_HEADER if prog.header else _PLAIN)
        g["__name__"] = "__main__"
        status = "ok"
        error_type = message = result_json = ""
        line = 0
        exit_code = 0
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err
        mode = spec.mode
        watch = mode == 0 and bool(spec.entry)
        if watch:
            prog.watch_entry(spec.entry)
        _entered = False
        _reset_threading()
        try:
            try:
                if spec.trace or watch:
                    _MON.restart_events()
                exec(prog.code, g)
                if watch and not _entered:
                    fn = g.get(spec.entry)
                    if fn is None:
                        raise NameError("name '%s' is not defined" % spec.entry)
                    fn()
                elif mode == 1 or mode == 2:
                    args = json.loads(spec.args_json) if spec.args_json else []
                    if mode == 1:
                        fn = g.get(spec.entry)
                        if fn is None:
                            raise NameError("name '%s' is not defined" % spec.entry)
                    else:
                        cls = g.get(spec.class_name)
                        if cls is None:
                            raise NameError("name '%s' is not defined" % spec.class_name)
                        fn = getattr(cls(), spec.entry)
                    result = fn(*args)
                    result_json = _to_json(result)
                elif mode == 3:
                    if spec.setup:
                        exec(compile(spec.setup, "<setup>", "exec"), g)
                    exec(compile(spec.code, "<test>", "exec"), g)
            except SystemExit as e:
                code = e.code
                if code is None:
                    exit_code = 0
                elif isinstance(code, int):
                    exit_code = code
                else:
                    sys.stderr.write(str(code) + "\n")
                    exit_code = 1
                if exit_code != 0:
                    status = "exit"
            except _HardExit as e:
                exit_code = e.code if isinstance(e.code, int) else 1
                if exit_code != 0:
                    status = "exit"
            finally:
                out.flush()
                err.flush()
        except _OutputLimit:
            status = "output-limit"
        except MemoryError:
            status = "memory"
        except BaseException as e:  # noqa: BLE001  everything the program raised
            failed = _test_assert(e, spec) if mode == 3 else None
            if failed is not None:
                # The test's own assert failed: a wrong answer, not a crash of the program.
                status = "assert-failed"
                result_json = json.dumps(failed)
            else:
                status = "exception"
                line = _program_line(e.__traceback__)
            error_type = type(e).__name__
            message = _safe_str(e)
            e = None
        finally:
            _lines = set()
            _restore(prog)
        if status == "memory":
            return TestResult(status, "", "", "MemoryError", "", 0, 0, "", sorted(lines))
        stdout = out_buf.getvalue().decode("utf-8", "replace")
        stderr = err_buf.getvalue().decode("utf-8", "replace")
        if status == "output-limit":
            stdout = stdout[:4096]
            stderr = stderr[:4096]
        return TestResult(status, stdout, stderr, error_type, message, line, exit_code,
                          result_json, sorted(lines))
