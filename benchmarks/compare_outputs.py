"""Do two commits publish the same reports? Run one sample of the report matrix with each and compare.

For a refactor that must not change what a reader gets. Each commit is checked out in its own git
worktree, gets its own sandbox project (the committed demo inputs, as ``make test`` uses), builds its
processed data with its own code and runs the same sample of reports; then every published file is
compared byte for byte. Left out of the byte comparison, and compared as stated instead:

- ``reports/.state/`` (run records, hash caches, the kernel's history): their keys hold the code's hash, so
  they differ by design; the run records' JSON shape (keys and value types) must be equal;
- ``manifest.json``: times, the command line and code hashes differ; its JSON shape must be equal;
- ``*.ipynb``: the code cells may differ (that is the refactor); every cell's outputs and the notebook's
  metadata must be equal, cell for cell;
- ``data/processed/derived/``: stored under keys that hold the code's hash; the tables are compared by
  content, entry by entry of the same kind and parameters.

    .venv/bin/python benchmarks/compare_outputs.py BEFORE_COMMIT [AFTER_COMMIT]   # default sample: 22 runs
    .venv/bin/python benchmarks/compare_outputs.py HEAD~5 --run-args "--province all --notebook 90_province_report"

Exit 0 when every published file is equal, 1 otherwise (each difference listed). Takes ~2 min per
commit on 2 cores with the default sample. The Python of this checkout's venv runs both commits' code
(``PYTHONPATH``), so both must work with the installed packages.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = '--force --workers 2 --province all --province "Nghệ An" --province "Đắk Lắk"'


def prepare(commit: str, work: Path) -> tuple[Path, Path]:
    """A worktree of ``commit`` and a sandbox project beside it: (tree, project)."""
    tree, project = work / f"tree-{commit[:12]}", work / f"project-{commit[:12]}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), commit], check=True)
    sys.path.insert(0, str(tree / "tests"))
    import sandbox  # the commit's own sandbox: what make test builds from

    sandbox.prepare(tree, project)
    sys.path.pop(0)
    sys.modules.pop("sandbox")
    return tree, project


def run(tree: Path, project: Path, run_args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "KHUYENCONG_ROOT": str(project)}
    for step in ("published", "official", "clean"):
        subprocess.run([sys.executable, "-m", "khuyencong.cli", "-q", step], env=env, check=True)
    subprocess.run([sys.executable, "-m", "khuyencong.cli", "run", *shlex.split(run_args)], env=env, check=True)


def shape(value):
    """The JSON shape of ``value``: keys and value types, not values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def compare_notebook(a: Path, b: Path) -> tuple[list[str], int, int]:
    """(differences, cells compared, code cells whose source differs) of two executed notebooks."""
    na, nb = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
    if len(na["cells"]) != len(nb["cells"]):
        return [f"{a.name}: {len(na['cells'])} vs {len(nb['cells'])} cells"], 0, 0
    problems = [f"{a.name}: metadata differs"] if na["metadata"] != nb["metadata"] else []
    sources = 0
    for i, (x, y) in enumerate(zip(na["cells"], nb["cells"])):
        sources += x["source"] != y["source"]
        if x.get("outputs") != y.get("outputs"):
            problems.append(f"{a.name}: outputs of cell {i} differ")
    return problems, len(na["cells"]), sources


def compare_reports(a: Path, b: Path) -> tuple[list[str], dict]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and ".state" not in p.parts}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and ".state" not in p.parts}
    problems = [f"only in one: {p}" for p in sorted(files_a ^ files_b)]
    counts = {"files": 0, "bytes_equal": 0, "notebooks": 0, "cells": 0, "code_cells_changed": 0}
    for rel in sorted(files_a & files_b):
        counts["files"] += 1
        if rel.suffix == ".ipynb":
            found, cells, sources = compare_notebook(a / rel, b / rel)
            problems += [f"{rel.parent}/{f}" for f in found]
            counts["notebooks"] += 1
            counts["cells"] += cells
            counts["code_cells_changed"] += sources
        elif rel.name == "manifest.json":
            same = shape(json.loads((a / rel).read_text())) == shape(json.loads((b / rel).read_text()))
            problems += [] if same else [f"{rel}: JSON shape differs"]
        elif filecmp.cmp(a / rel, b / rel, shallow=False):
            counts["bytes_equal"] += 1
        else:
            problems.append(f"bytes differ: {rel}")
    for record in sorted((a / ".state" / "runs").glob("*.json")):
        other = b / ".state" / "runs" / record.name
        if not other.is_file() or shape(json.loads(record.read_text())) != shape(json.loads(other.read_text())):
            problems.append(f"run record {record.name}: missing or of another shape")
    return problems, counts


def compare_derived(a: Path, b: Path) -> list[str]:
    """The stored tables of both projects, matched by kind and parameters, equal by content."""
    def entries(folder: Path) -> dict:
        out = {}
        for record in folder.glob("*.json"):
            meta = json.loads(record.read_text(encoding="utf-8"))
            table = record.with_suffix(".parquet")
            if table.is_file():
                out[(meta.get("kind"), json.dumps(meta.get("parameters"), sort_keys=True))] = pd.read_parquet(table)
        return out

    ea, eb = entries(a), entries(b)
    problems = [f"stored table only in one: {k[0]}" for k in sorted(set(ea) ^ set(eb))]
    problems += [f"stored table differs: {k[0]}" for k in sorted(set(ea) & set(eb)) if not ea[k].equals(eb[k])]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default="HEAD")
    parser.add_argument("--run-args", default=SAMPLE, help=f"arguments of `khuyencong run` (default: {SAMPLE})")
    parser.add_argument("--keep", action="store_true", help="keep the worktrees and projects (printed)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="khuyencong-compare-"))
    trees = []
    try:
        projects = []
        for commit in (args.before, args.after):
            tree, project = prepare(commit, work)
            trees.append(tree)
            run(tree, project, args.run_args)
            projects.append(project)
        problems, counts = compare_reports(projects[0] / "reports", projects[1] / "reports")
        problems += compare_derived(*(p / "data" / "processed" / "derived" for p in projects))
        problems += [f"processed table differs: {p.name}" for p in sorted((projects[0] / "data" / "processed").glob("*"))
                     if p.is_file() and not filecmp.cmp(p, projects[1] / "data" / "processed" / p.name, shallow=False)]
    finally:
        if not args.keep:
            for tree in trees:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
            subprocess.run(["rm", "-rf", str(work)], check=False)
    print(json.dumps(counts))
    print("\n".join(problems) or "every published file equal")
    if args.keep:
        print(f"kept in {work}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
