# Native baseline runner for `stepcoder bench sandbox` (no isolation: a benchmark only).
# `one`: run one job read from stdin (the per-test subprocess way);
# `many`: run a JSON list of jobs in this one process, timing each (the in-process way).
import io, json, sys, time

HEADER = """\
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
_H = {}
exec(compile(HEADER, "<header>", "exec"), _H)
_compiled = {}


def run_one(job):
    prog = job["program"]
    code = _compiled.get(prog)
    if code is None:
        code = _compiled[prog] = compile(prog, "<program>", "exec")
    g = dict(_H)
    g["__name__"] = "__main__"
    buf = io.BytesIO()
    out = io.TextIOWrapper(buf, encoding="utf-8", newline="\n")
    old = sys.stdin, sys.stdout
    sys.stdin = io.TextIOWrapper(io.BytesIO(job["stdin"].encode()), encoding="utf-8")
    sys.stdout = out
    result = None
    error = None
    try:
        exec(code, g)
        mode, entry = job["mode"], job["entry"]
        if mode == 0 and entry:
            g[entry]()
        elif mode == 1:
            result = json.dumps(g[entry](*job["args"]), default=list)
        elif mode == 2:
            result = json.dumps(getattr(g[job["class"]](), entry)(*job["args"]), default=list)
    except SystemExit:
        pass
    except BaseException as e:
        error = "%s: %s" % (type(e).__name__, str(e)[:200])
    finally:
        try:
            out.flush()
        except BaseException:
            pass
        sys.stdin, sys.stdout = old
    return {"stdout": buf.getvalue().decode("utf-8", "replace"), "result": result, "error": error}


if __name__ == "__main__":
    if sys.argv[1] == "one":
        print(json.dumps(run_one(json.loads(sys.stdin.read()))))
    else:
        jobs = json.loads(sys.stdin.read())
        results = []
        for job in jobs:
            t = time.perf_counter_ns()
            r = run_one(job)
            r["us"] = (time.perf_counter_ns() - t) / 1000.0
            results.append(r)
        print(json.dumps(results))
