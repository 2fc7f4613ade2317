"""The Python side of the stepcoder sandbox.

componentize-py imports this module at build time and snapshots the interpreter, so every
module imported here is bundled and already initialized when an instance starts. The host
(Rust) calls `prepare` once per program and `run_test` once per test; it compares outputs
itself, so nothing the program does in here can mark a test as passed.
"""

import builtins
import io
import json
import os
import sys

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
import time  # noqa: F401
import traceback  # noqa: F401  (importing it later on a full heap is slow)
import types  # noqa: F401
import typing  # noqa: F401
import unicodedata  # noqa: F401
import weakref  # noqa: F401

for _name in ("threading", "secrets", "fnmatch", "ast", "keyword", "locale", "uuid", "unittest",
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
        if tb.tb_frame.f_code.co_filename == PROGRAM:
            line = tb.tb_lineno or 0
        tb = tb.tb_next
    return line


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
        codes = _code_objects(code)
        lines = set()
        for co in codes:
            for _start, _end, line in co.co_lines():
                if line is not None and line > 0:
                    lines.add(line)
        _program = _Program(code, codes, header, stdout_cap, stderr_cap)
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
            status = "exception"
            error_type = type(e).__name__
            message = _safe_str(e)
            line = _program_line(e.__traceback__)
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
