#!/usr/bin/env python3
"""Build datasets/builtin.json, the project's own problem set, in APPS+ format.

The problems themselves live as readable Python data in `problems_stdio.py` (standard-input
programs) and `problems_call.py` (call-based: plain functions and `class Solution` methods),
next to this file. They come in batches: the JSON lists batch 1 (stdin, then call-based), then
batch 2, ..., so that a new batch is appended and no existing problem changes its index. This
script turns them into APPS+ records with exactly the conventions of the published APPS+ data
(see ../../../shared/data/README.md):

- stdin problems: the program is wrapped in a zero-argument function with a random-looking
  (but stable, seeded by the problem id) 5-letter name; `starter_code` is `"\\ndef NAME():\\n"`;
  inputs and outputs are the whole stdin / expected stdout as strings.
- plain functions (Codewars style): `starter_code` is `"\\n" + def line + "\\n"`.
- `class Solution` (LeetCode style): `starter_code` is `"\\nclass Solution:\\n" + def line + "\\n"`.
- call-based inputs are lists of arguments, outputs one-element lists; string values are stored
  as strings that hold JSON (`"\\"abc\\""`), everything else as plain JSON.
- `prompt` is the statement wrapped as the docstring of the starter code, with the same
  indentation quirks as the published data.
- `scope` is computed from the canonical solution with `ast` (see `scope()`), reproducing the
  published `scope` lists; `--validate FILE` measures the agreement on published data.

Usage:
    python3 datasets/tools/build_builtin.py                 # writes datasets/builtin.json
    python3 datasets/tools/build_builtin.py --check         # fails if builtin.json is stale
    python3 datasets/tools/build_builtin.py --validate ../shared/data/apps_plus/valid_350.json
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import string
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep the checkout free of __pycache__

import problems_call  # noqa: E402
import problems_stdio  # noqa: E402

OUT = HERE.parent / "builtin.json"

# ---------------------------------------------------------------------------------------------
# scope: the block statements of a solution, as APPS+ publishes them
# ---------------------------------------------------------------------------------------------

#: ast node type -> APPS+ scope kind. Nodes not listed (with, match, ...) never occur as scope
#: kinds in the published data, so they are not cut points here either.
SCOPE_KINDS = {
    ast.FunctionDef: "Function Body",
    ast.AsyncFunctionDef: "Function Body",
    ast.ClassDef: "Class Body",
    ast.For: "For Loop Body",
    ast.AsyncFor: "For Loop Body",
    ast.While: "While Loop Body",
    ast.If: "If Statement Body",
    ast.Try: "Try Block",
    ast.ExceptHandler: "Except Block",
    ast.ListComp: "List Comprehension",
    ast.GeneratorExp: "Generator Expression",
    ast.Lambda: "Lambda Expression",
    ast.DictComp: "Dict Comprehension",
    ast.SetComp: "Set Comprehension",
}


def scope(source: str) -> list[list]:
    """The `scope` list of a Python source, in the APPS+ conventions.

    Observed in the published data and reproduced here:
    - each block spans from the line of its header (`def`, `class`, `for`, `while`, `if`, `try`,
      `except`; for an expression such as a comprehension or lambda, its first line) to the last
      line of its last statement (`ast` end_lineno: trailing blank or comment lines excluded);
    - an `if` includes its `elif`/`else` branches, and each `elif` is its own, nested
      'If Statement Body' starting at the `elif` line; `for`/`while` include their `else`;
    - 'Try Block' spans the whole try statement; each handler is an 'Except Block';
    - order: pre-order walk of the syntax tree, except that a try statement lists its handlers
      before the statements of its body.
    """
    tree = ast.parse(source)
    out: list[list] = []

    def visit(node: ast.AST) -> None:
        kind = SCOPE_KINDS.get(type(node))
        if kind is not None:
            out.append([kind, node.lineno, node.end_lineno])
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.Try):
            handlers = [c for c in children if isinstance(c, ast.ExceptHandler)]
            others = [c for c in children if not isinstance(c, ast.ExceptHandler)]
            children = handlers + others
        for child in children:
            visit(child)

    visit(tree)
    return out


def validate(paths: list[str]) -> int:
    """Compare `scope()` with the published scope of APPS+ files; print the agreement rate."""
    total = agree = 0
    for path in paths:
        records = json.loads(Path(path).read_text())
        for index, record in enumerate(records):
            total += 1
            try:
                ours = scope(record["canonical_solution"])
            except SyntaxError as err:
                print(f"{path}[{index}]: canonical_solution does not parse: {err}")
                continue
            if ours == record["scope"]:
                agree += 1
            else:
                print(f"{path}[{index}]: scope differs\n  ours:      {ours}\n  published: {record['scope']}")
    rate = 100.0 * agree / total if total else 0.0
    print(f"scope agreement: {agree}/{total} records identical ({rate:.1f}%)")
    return 0 if agree == total else 1


# ---------------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------------

DIFFICULTIES = ("introductory", "interview", "competition")


def wrapper_name(problem_id: str) -> str:
    """A 5-letter name like the published ones (`FsxrN`), stable for a given id."""
    rng = random.Random("stepcoder-builtin:" + problem_id)
    return "".join(rng.choice(string.ascii_letters) for _ in range(5))


def py_literal(value) -> str:
    """A value as it would be written in Python source, for the examples in statements."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def encode(value):
    """A call argument or result as APPS+ stores it: strings as JSON text, tuples as lists."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.loads(json.dumps(value))


def check_statement(pid: str, text: str) -> None:
    if '"""' in text or "\\" in text:
        raise ValueError(f"{pid}: statement must not contain triple quotes or backslashes")


def stdio_record(p: dict) -> dict:
    pid = p["id"]
    name = wrapper_name(pid)
    statement = textwrap.dedent(p["statement"]).strip("\n")
    check_statement(pid, statement)
    first_in, first_out = p["tests"][0]
    statement += (
        "\n\n-----Example-----\nInput\n" + first_in.rstrip("\n") + "\n\nOutput\n" + first_out.rstrip("\n")
    )
    if p.get("note"):
        statement += "\n\n-----Note-----\n\n" + textwrap.dedent(p["note"]).strip("\n")
    # Codeforces-style APPS statements put two blank lines before each section header.
    statement = statement.replace("\n\n-----", "\n\n\n-----")
    body = textwrap.dedent(p["solution"]).strip("\n")
    header = textwrap.dedent(p.get("header", "")).strip("\n")
    starter = f"\ndef {name}():\n"
    solution = (header + "\n" if header else "\n") + f"def {name}():\n" + textwrap.indent(body, "    ")
    for inp, out in p["tests"]:
        if not isinstance(inp, str) or not isinstance(out, str):
            raise ValueError(f"{pid}: stdin tests are (input, output) strings")
    return {
        "prompt": starter + '    """' + statement + '\n    """\n',
        "canonical_solution": solution,
        "inputs": [inp for inp, _ in p["tests"]],
        "outputs": [out for _, out in p["tests"]],
        "starter_code": starter,
        "difficulty": p["difficulty"],
        "id": pid,
    }


def call_record(p: dict) -> dict:
    pid = p["id"]
    solution = textwrap.dedent(p["solution"]).strip("\n")
    tree = ast.parse(solution)
    lines = solution.split("\n")
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    if classes:
        (cls,) = [c for c in classes if c.name == "Solution"]
        methods = [n for n in cls.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        fn = methods[0]
        starter = "\nclass Solution:\n" + lines[fn.lineno - 1] + "\n"
        doc_indent = "            "
        params = [a.arg for a in fn.args.args[1:]]
    else:
        fn = [n for n in tree.body if isinstance(n, ast.FunctionDef)][-1]
        if "entry" in p:
            fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == p["entry"])
        starter = "\n" + lines[fn.lineno - 1] + "\n"
        doc_indent = "\t    "
        params = [a.arg for a in fn.args.args]
    statement = textwrap.dedent(p["statement"]).strip("\n")
    check_statement(pid, statement)
    args, expected = p["tests"][0]
    if classes:
        shown = ", ".join(f"{n} = {py_literal(v)}" for n, v in zip(params, args))
        statement += f"\n\nExample:\nInput: {shown}\nOutput: {py_literal(expected)}"
    else:
        call = f"{fn.name}({', '.join(py_literal(v) for v in args)})"
        statement += f"\n\nExample:\n```\n{call} -> {py_literal(expected)}\n```"
    for args, _ in p["tests"]:
        if len(args) != len(params):
            raise ValueError(f"{pid}: a test passes {len(args)} arguments to {fn.name}({', '.join(params)})")
    return {
        "prompt": starter + doc_indent + '"""' + statement + '\n    """\n',
        "canonical_solution": solution,
        "inputs": [[encode(a) for a in args] for args, _ in p["tests"]],
        "outputs": [[encode(out)] for _, out in p["tests"]],
        "starter_code": starter,
        "difficulty": p["difficulty"],
        "id": pid,
    }


def build() -> list[dict]:
    records = []
    seen = set()
    tagged = [(p, stdio_record) for p in problems_stdio.PROBLEMS]
    tagged += [(p, call_record) for p in problems_call.PROBLEMS]
    # Batch by batch: all of batch 1 (stdin problems, then call-based ones) before batch 2, and so
    # on (a stable sort). Adding problems in a new batch appends them to the JSON, so every older
    # problem keeps its index and the held-out split (every 5th index) keeps its problems.
    tagged.sort(key=lambda item: item[0].get("batch", 1))
    for p, make in tagged:
        pid = p["id"]
        if pid in seen:
            raise ValueError(f"duplicate problem id {pid}")
        seen.add(pid)
        if p["difficulty"] not in DIFFICULTIES:
            raise ValueError(f"{pid}: unknown difficulty {p['difficulty']}")
        if len(p["tests"]) < 3:
            raise ValueError(f"{pid}: needs at least 3 tests, has {len(p['tests'])}")
        record = make(p)
        ast.parse(record["prompt"])  # the prompt is valid Python: starter code plus a docstring
        record["scope"] = scope(record["canonical_solution"])
        ordered = {
            k: record[k]
            for k in ("prompt", "canonical_solution", "inputs", "outputs", "starter_code", "scope", "difficulty", "id")
        }
        records.append(ordered)
    return records


def render(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(OUT), help="where to write the JSON (default: datasets/builtin.json)")
    parser.add_argument("--check", action="store_true", help="do not write; fail if the file is not up to date")
    parser.add_argument("--validate", nargs="+", metavar="APPS_PLUS_JSON", help="compare scope() with published data")
    args = parser.parse_args()
    if args.validate:
        return validate(args.validate)
    text = render(build())
    out = Path(args.out)
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: run python3 datasets/tools/build_builtin.py")
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text)
    records = json.loads(text)
    print(f"wrote {len(records)} problems to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
