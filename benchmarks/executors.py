#!/usr/bin/env python
"""Executors side by side on one matrix of ``reports.yml`` (issue 13): what a user writes first, an
in-process executor, and our engine with fresh and with warm kernels.

1 a naive serial ``papermill`` loop (a fresh kernel per run, no HTML) — it also gives each run's own
compute (the sum of its cells' durations) · 2 ``ploomber-engine`` in-process, serial (no kernel, no
isolation; a bench-only dependency: skipped when not installed) · 3 ``khuyencong run --force`` with
fresh kernels, 2 workers · 4 the same with warm kernels, 2 workers · 5 warm with 1 worker, for the
per-run overhead and the parallel efficiency (beside the machine's own, measured just before).
Peak memory is the largest ``ru_maxrss`` of a process the engine started (worker, warm parent or
kernel; forked kernels share the parent's pages, so sums would over-count).

``bench.py`` calls :func:`compare` on its scratch project with the full matrix; run alone
(``python benchmarks/executors.py --provinces N``) it makes its own scratch copy and may use a
declared subset.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the scratch project, children and config helpers)

CONFIG = "reports.executors.yml"


def _maxrss_children_gb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2


def engine(root: Path, config: str, workers: int, kernels: str) -> dict:
    """``khuyencong run --force`` on ``config``: wall, runs, CPU and peak memory (in a child, for its rusage)."""
    return bench.run_child(root, "engine", config=config, workers=workers, kernels=kernels)


def child_engine(config: str, workers: int, kernels: str) -> dict:
    env = {**os.environ, "KHUYENCONG_KERNELS": kernels}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "khuyencong.cli", "run", "--config", config, "--force",
                           "--workers", str(workers)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    summary = bench.run_summary(proc.stdout)
    if summary["failed"] or summary["ok"] != summary["runs"]:
        raise RuntimeError(f"{kernels} run did not succeed: {summary}\n{bench._tail(proc.stdout)}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    records = json.loads(Path("reports/manifest.json").read_text(encoding="utf-8"))["runs"]
    return {"wall_s": wall, "runs": summary["runs"], "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_gb": _maxrss_children_gb(),
            "worker_s": [r["duration_s"] for r in records], "cells_s": [r["cells_s"] for r in records],
            "labels": [r["label"] for r in records]}


def _matrix(config: str) -> list:
    from khuyencong.runner import config as runconfig

    return runconfig.build_matrix(runconfig.load_config(Path(config)))


def child_papermill(config: str) -> dict:
    """What a user writes first: a loop of ``papermill.execute_notebook`` over the matrix."""
    import papermill as pm

    from khuyencong import paths

    t0, compute = time.perf_counter(), []
    for run in _matrix(config):
        with tempfile.TemporaryDirectory() as tmp:
            nb = pm.execute_notebook(str(run.notebook.path), f"{tmp}/out.ipynb", kernel_name="khuyencong",
                                     parameters={**run.parameters(), "output_dir": tmp}, progress_bar=False,
                                     cwd=str(paths.notebooks_dir()))
        compute.append(sum(c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells))
    return {"wall_s": time.perf_counter() - t0, "runs": len(compute), "compute_s": compute,
            "peak_rss_gb": _maxrss_children_gb()}


def child_ploomber(config: str) -> dict:
    """``ploomber-engine`` executing every run in this one process (no kernel, nothing isolated)."""
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")  # no telemetry from the bench
    try:
        from ploomber_engine import execute_notebook
    except ImportError:
        return {"skipped": "ploomber-engine is not installed (pip install ploomber-engine)"}
    from khuyencong import paths

    runs = _matrix(config)  # before the chdir: ``config`` is relative to the project
    os.chdir(paths.notebooks_dir())
    t0 = time.perf_counter()
    for run in runs:
        with tempfile.TemporaryDirectory() as tmp:
            execute_notebook(str(run.notebook.path), f"{tmp}/out.ipynb",
                             parameters={**run.parameters(), "output_dir": tmp}, log_output=False, progress_bar=False)
    return {"wall_s": time.perf_counter() - t0, "runs": len(runs),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2}


def html_only(config: dict) -> dict:
    """``config`` publishing HTML only: the naive loop and ploomber make no HTML, PDF or DOCX at all,
    so the engines are timed on their HTML path (PDF and DOCX cost are measured on their own)."""
    notebooks = [{k: v for k, v in nb.items() if k != "formats"} for nb in config["notebooks"]]
    return {**config, "formats": ["html"], "notebooks": notebooks}


def compare(root: Path, config: str, say=print) -> dict:
    """Every executor on ``config`` of the scratch project ``root``."""
    out = {"machine_parallel": bench.machine_parallel_efficiency(root)}
    say(f"   machine's own parallel efficiency: {out['machine_parallel']['efficiency']:.2f}")
    steps = [("papermill_serial", lambda: bench.run_child(root, "papermill", config=config)),
             ("ploomber_in_process", lambda: bench.run_child(root, "ploomber", config=config)),
             ("ours_fresh_2", lambda: engine(root, config, 2, "fresh")),
             ("ours_warm_2", lambda: engine(root, config, 2, "warm")),
             ("ours_warm_1", lambda: engine(root, config, 1, "warm"))]
    for name, step in steps:
        out[name] = step()
        say(f"   {name}: " + (out[name].get("skipped") or f"{out[name]['wall_s']:.1f} s, {out[name]['runs']} runs"))
    return out


def rows(r: dict) -> list[dict]:
    """Results table rows: each executor's wall time and ratio to ours (warm, 2 workers), then the targets."""
    warm2, warm1 = r["ours_warm_2"], r["ours_warm_1"]
    own = sum(warm1["cells_s"]) / warm1["runs"]
    worker_overhead = sum(w - c for w, c in zip(warm1["worker_s"], warm1["cells_s"])) / warm1["runs"]
    out = []
    for name, label, workers in (("papermill_serial", "naive serial papermill loop", 1),
                                 ("ploomber_in_process", "ploomber-engine, in-process (no isolation)", 1),
                                 ("ours_fresh_2", "our engine, fresh kernels, 2 workers", 2),
                                 ("ours_warm_2", "our engine, warm kernels, 2 workers", 2),
                                 ("ours_warm_1", "our engine, warm kernels, 1 worker", 1)):
        e = r[name]
        if "skipped" in e:
            out.append(bench.measurement(label, float("nan"), "s", f"skipped: {e['skipped']}"))
            continue
        per_run = e["wall_s"] * workers / e["runs"]
        out.append(bench.measurement(label, e["wall_s"], "s",
                                     f"{e['runs']} runs; {e['wall_s'] / warm2['wall_s']:.2f} × ours (warm, 2); "
                                     f"{per_run:.2f} worker-s/run; peak RSS {e['peak_rss_gb']:.2f} GB"))
    mp = r["machine_parallel"]["efficiency"]
    out += [bench.measurement("worker_seconds_per_run", warm2["wall_s"] * 2 / warm2["runs"], "s",
                              "wall × 2 workers / runs, warm kernels"),
            bench.measurement("overhead_per_run_s", worker_overhead, "s",
                              "1 worker, warm: each run's time in its worker (kernel, papermill, storing, HTML) "
                              "minus its cells' durations, averaged"),
            bench.measurement("overhead_all_in_per_run_s", warm1["wall_s"] / warm1["runs"] - own, "s",
                              f"1 worker, warm: wall/run {warm1['wall_s'] / warm1['runs']:.2f} s − own compute "
                              f"{own:.2f} s (also planning, shared tables, publishing, index)"),
            bench.measurement("parallel_efficiency_warm", warm1["wall_s"] / (2 * warm2["wall_s"]), "ratio",
                              f"time(1) / (2 × time(2)); the machine's own: {mp:.2f}"),
            bench.measurement("peak_rss_per_worker_gb", warm2["peak_rss_gb"], "GB",
                              "largest single process (worker, warm parent or kernel)")]
    return out


CHILDREN = {"engine": child_engine, "papermill": child_papermill, "ploomber": child_ploomber}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--provinces", type=int, default=None, metavar="N",
                   help="a declared subset: the national overview and N provinces (default: the full matrix)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="khuyencong-executors-") as tmp:
        root = bench.scratch_project(Path(tmp) / "project")
        for step in ("published", "official", "clean"):
            bench.khuyencong(root, step)
        config = bench.read_config(root)
        codes = None
        if args.provinces is not None:
            places = bench.run_child(root, "places", config="reports.yml")["places"]
            codes = [p["code"] for p in bench.pick_spread([p for p in places if p["code"]], args.provinces)]
        bench.write_config(root, CONFIG, html_only({**config, "provinces": "all" if codes is None else codes}))
        results = compare(root, CONFIG)
    results["subset"] = None if codes is None else f"national + {len(codes)} provinces"
    table = bench.render_table(rows(results))
    print(f"\n{results['subset'] or 'full matrix'}\n\n{table}")
    (bench.HERE / "executors.json").write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
