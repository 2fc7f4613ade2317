#!/usr/bin/env python3
"""Run every canonical solution of an APPS+ file against its own unit tests with native python3.

    python3 datasets/tools/check_builtin.py [datasets/builtin.json] [--jobs N] [--timeout S]

How a record runs depends on its starter code, as in the published APPS+ data:
- `def NAME():` (no parameters): a standard-input program. The module is executed, then
  `NAME()` is called with the test input on stdin; what it prints is compared with the expected
  output, ignoring trailing whitespace at the end of lines and trailing empty lines.
- `class Solution:` with a method: `Solution().method(*args)`.
- `def name(a, b, ...):`: `name(*args)`.
Call arguments and results that are strings hold JSON and are decoded; expected results are
unwrapped from their one-element list; the returned value goes through JSON (tuples become lists)
before the comparison; floats are compared with a relative tolerance of 1e-6.

Each problem runs in its own python3 subprocess (this file in `--worker` mode) with a time limit,
so a solution that hangs or crashes the interpreter fails only its own problem. Solutions get no
import header: they must import what they use.

Exit status: 0 when every test of every problem passes, 1 otherwise (each failure is printed with
the problem id or index, the test number and the reason), 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "builtin.json"


def problem_kind(starter: str) -> tuple[str, str]:
    """('stdio' | 'method' | 'function', name) from the starter code."""
    header = starter.strip().splitlines()
    if header and header[0].startswith("class Solution"):
        for line in header[1:]:
            line = line.strip()
            if line.startswith("def "):
                return "method", line[4 : line.index("(")].strip()
        raise ValueError("class Solution without a method in starter_code")
    match = re.search(r"^\s*def\s+(\w+)\s*\((.*?)\)", starter, re.M)
    if match is None:
        raise ValueError("starter_code has neither `class Solution` nor a `def`")
    return ("stdio" if not match.group(2).strip() else "function"), match.group(1)


def decode(value):
    """A call argument or result as stored: a string holding JSON is decoded, if it is JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def same_value(got, want) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        if isinstance(got, bool) or isinstance(want, bool):
            return got == want
        if isinstance(got, (int, float)) and isinstance(want, (int, float)):
            return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)
        return False
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(same_value(g, w) for g, w in zip(got, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(same_value(got[k], want[k]) for k in want)
    return type(got) is type(want) and got == want


def normalize_stdout(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


# ---------------------------------------------------------------------------------------------
# worker: runs one problem's tests inside this process, reports JSON on stdout
# ---------------------------------------------------------------------------------------------


def run_tests(job: dict) -> list[dict]:
    kind, name = problem_kind(job["starter_code"])
    code = compile(job["canonical_solution"], "<canonical_solution>", "exec")
    results = []
    for index, (inp, out) in enumerate(zip(job["inputs"], job["outputs"])):
        namespace = {"__name__": "__main__"}
        stdin = io.TextIOWrapper(io.BytesIO(inp.encode() if isinstance(inp, str) else b""))
        stdout_bytes = io.BytesIO()
        stdout = io.TextIOWrapper(stdout_bytes, write_through=True)
        old_stdin = sys.stdin
        sys.stdin = stdin
        try:
            with contextlib.redirect_stdout(stdout):
                exec(code, namespace)
                if kind == "stdio":
                    try:
                        namespace[name]()
                    except SystemExit:
                        pass
                    got = None
                else:
                    target = namespace["Solution"]() if kind == "method" else None
                    fn = getattr(target, name) if kind == "method" else namespace[name]
                    got = fn(*[decode(a) for a in inp])
        except BaseException as err:  # noqa: BLE001 - a failing solution is a result, not a crash
            results.append({"test": index, "ok": False, "reason": f"{type(err).__name__}: {err}"})
            continue
        finally:
            sys.stdin = old_stdin
        stdout.flush()
        if kind == "stdio":
            printed = stdout_bytes.getvalue().decode(errors="replace")
            ok = normalize_stdout(printed) == normalize_stdout(out)
            reason = "" if ok else f"expected stdout {out!r}, got {printed!r}"
        else:
            if not isinstance(out, list) or len(out) != 1:
                results.append({"test": index, "ok": False, "reason": f"output {out!r} is not a one-element list"})
                continue
            want = decode(out[0])
            try:
                got = json.loads(json.dumps(got))
            except (TypeError, ValueError) as err:
                results.append({"test": index, "ok": False, "reason": f"result is not JSON: {err}"})
                continue
            ok = same_value(got, want)
            reason = "" if ok else f"expected {want!r}, got {got!r}"
        results.append({"test": index, "ok": ok, "reason": reason})
    return results


def worker() -> int:
    job = json.loads(sys.stdin.read())
    results = run_tests(job)
    sys.__stdout__.write(json.dumps(results) + "\n")
    return 0


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------


def check_record(index: int, record: dict, timeout: float) -> list[str]:
    label = f"problem {index}" + (f" ({record['id']})" if "id" in record else "")
    for field in ("canonical_solution", "starter_code", "inputs", "outputs"):
        if field not in record:
            return [f"{label}: missing field {field}"]
    if len(record["inputs"]) != len(record["outputs"]):
        return [f"{label}: {len(record['inputs'])} inputs but {len(record['outputs'])} outputs"]
    if not record["inputs"]:
        return [f"{label}: no tests"]
    job = {k: record[k] for k in ("canonical_solution", "starter_code", "inputs", "outputs")}
    try:
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [f"{label}: timed out after {timeout} s"]
    try:
        results = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [f"{label}: worker failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"]
    return [f"{label}, test {r['test']}: {r['reason']}" for r in results if not r["ok"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default=str(DEFAULT), help="APPS+ JSON file (default: datasets/builtin.json)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="problems checked in parallel")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per problem")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    try:
        records = json.loads(Path(args.path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        print(f"cannot read {args.path}: {err}", file=sys.stderr)
        return 2
    if not isinstance(records, list) or not records:
        print(f"{args.path}: expected a non-empty JSON list of problems", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        failures = pool.map(lambda item: check_record(item[0], item[1], args.timeout), enumerate(records))
        failures = [f for fs in failures for f in fs]
    tests = sum(len(r.get("inputs", [])) for r in records)
    for failure in failures:
        print(f"FAIL {failure}")
    status = "ok" if not failures else f"{len(failures)} failing tests"
    print(f"{args.path}: {len(records)} problems, {tests} tests: {status}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
