#!/usr/bin/env python
"""``make bench``: how close report regeneration, incremental runs and cleaning come to their floors.

Read top to bottom (:func:`main`): copy the project into a scratch folder → build its processed
data → 1 the floor (an empty notebook through papermill) → calibrate each notebook's own compute
→ 2 full regeneration with 1 and 2 workers → 3 no-op runs (the benchmarked matrix, the full
matrix, 10× the full matrix) → 4 one province changed → 5 cleaning at 100k and 1M rows →
5b the XLSX readers (cells/s, in ``xlsx.py``) → 5c what PDF + DOCX add per province brief (in
``formats.py``) → 6 ``make test`` → ``benchmarks/results.json`` and the table in
``benchmarks/README.md``. ``--only xlsx`` / ``--only formats`` runs section 5b / 5c alone and merges
it into both.

Every project step runs in a child process on the scratch copy (``KHUYENCONG_ROOT`` and
``PYTHONPATH`` point there), so the real ``reports/`` and ``data/processed/`` stay untouched and
edits made to ``src/`` while the bench runs do not leak in. Children are this script run with
``--child KIND`` (``executors.py``, ``xlsx.py`` and ``formats.py`` add theirs); each prints one
JSON line with what it measured.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
EMPTY_NOTEBOOK = "benchmarks/empty.ipynb"          # relative to the project root
RESULTS = HERE / "results.json"
README = HERE / "README.md"
MARK_START, MARK_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
SUBSET_CONFIG, FULL_CONFIG, TENFOLD_CONFIG = "reports.bench.yml", "reports.full.yml", "reports.bench10.yml"
NATIONAL = "all"
CHANGED_TABLE, CHANGED_COLUMN = "register", "state_support"
COPY_SUFFIX = "__x"                                 # notebook copies for the 10× matrix
RUN_EXTRA_S = 1.0                                   # estimate only: HTML export and publishing per run
PACKAGES = ("pandas", "numpy", "pyarrow", "pandera", "papermill", "nbclient", "nbconvert",
            "ipykernel", "jupyter_client", "dask", "pyyaml")

# name → (comparison, threshold, unit); a measurement with a target gets pass/miss
TARGETS = {
    "parallel_efficiency": (">=", 0.85, "ratio"),
    "overhead_per_run_over_floor": ("<=", 1.3, "× floor"),
    "noop_full_matrix": ("<=", 2.0, "s"),
    "noop_growth_vs_runs": ("<=", 1.0, "ratio"),
    "clean_register_rows_per_s": (">=", 200_000, "rows/s"),
    "clean_peak_rss_1m": ("<=", 2.0, "GB"),
    "clean_time_per_row_1m_vs_100k": ("<=", 1.2, "ratio"),
    "pdf_docx_added_s_per_brief": ("<=", 0.3, "s"),
    "worker_seconds_per_run": ("<=", 2.0, "s"),     # issue 13: the matrix, 2 workers, warm kernels
    "overhead_per_run_s": ("<=", 0.5, "s"),
}


def say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- the scratch project

def scratch_project(dest: Path) -> Path:
    """Copy the repository's files (tracked and new, not ignored) into ``dest``."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in sorted(set(filter(None, listed.decode().split("\0")))):
        source = REPO / rel
        if source.is_file():  # a tracked file deleted in the work tree is left out
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def child_env(root: Path) -> dict[str, str]:
    env = {**os.environ, "KHUYENCONG_ROOT": str(root), "PYTHONPATH": str(root / "src"), "MPLBACKEND": "Agg"}
    shared = REPO.parent / "shared"  # what the real checkout sees beside it
    if "KHUYENCONG_SHARED" not in env and shared.is_dir():
        env["KHUYENCONG_SHARED"] = str(shared)
    return env


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # includes workers and kernels once reaped
    return usage.ru_utime + usage.ru_stime


def khuyencong(root: Path, *args: str) -> tuple[float, str, float]:
    """Run the ``khuyencong`` CLI on the scratch project: (wall s, stdout, CPU s of it and its children)."""
    t0, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, "-m", "khuyencong.cli", *args], cwd=root, env=child_env(root),
                          capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"`khuyencong {' '.join(args)}` exited {proc.returncode}:\n"
                           f"{_tail(proc.stdout)}\n{_tail(proc.stderr)}")
    return wall, proc.stdout, cpu


def run_child(root: Path, kind: str, **kwargs) -> dict:
    """Run ``child_<kind>(**kwargs)`` of this script in a fresh process; its JSON plus ``process_s``."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(kwargs)],
                          cwd=root, env=child_env(root), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {kind!r} failed ({proc.returncode}):\n{_tail(proc.stderr, 25)}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "process_s": wall}


# ---------------------------------------------------------------- reading the engine's output

_SUMMARY = re.compile(r"(\d+) ok, (\d+) failed, (\d+) skipped of (\d+) runs")


def run_summary(output: str) -> dict[str, int]:
    """``{"ok", "failed", "skipped", "runs"}`` from the last summary line of ``khuyencong run``."""
    found = _SUMMARY.findall(output)
    if not found:
        raise RuntimeError(f"no summary line in the output of `khuyencong run`:\n{_tail(output)}")
    return dict(zip(("ok", "failed", "skipped", "runs"), map(int, found[-1])))


def planned_labels(output: str) -> list[str]:
    """Labels of the runs that ``khuyencong run`` said it would execute (``run: reason — label``)."""
    return sorted(line.rsplit(" — ", 1)[1].strip() for line in output.splitlines()
                  if line.startswith("run: ") and " — " in line)


def median(samples: list[float]) -> float:
    return statistics.median(samples)


# ---------------------------------------------------------------- bench configs

def read_config(root: Path, name: str = "reports.yml") -> dict:
    import yaml

    return yaml.safe_load((root / name).read_text(encoding="utf-8")) or {}


def write_config(root: Path, name: str, config: dict) -> str:
    import yaml

    (root / name).write_text("# written by benchmarks/bench.py\n" + yaml.safe_dump(config, allow_unicode=True,
                                                                               sort_keys=False), encoding="utf-8")
    return name


def subset_config(config: dict, codes: list[str] | None) -> dict:
    """The config on 2025 boundaries only, for the given province codes (None = all provinces)."""
    return {**config, "boundaries": ["2025"], "provinces": "all" if codes is None else list(codes)}


def tenfold_config(config: dict, copies: int = 10) -> dict:
    """Every notebook block repeated ``copies`` times under other names (``<name>__x1`` …)."""
    blocks = []
    for block in config["notebooks"]:
        blocks.append(block)
        blocks += [{**block, "name": f"{block['name']}{COPY_SUFFIX}{k}"} for k in range(1, copies)]
    return {**config, "notebooks": blocks}


def copy_notebooks(root: Path, config: dict) -> None:
    for block in config["notebooks"]:
        name = block["name"]
        if COPY_SUFFIX in name:
            base = name.split(COPY_SUFFIX)[0]
            shutil.copy2(root / "notebooks" / f"{base}.ipynb", root / "notebooks" / f"{name}.ipynb")


def expected_reruns(config: dict, slugs: list[str], changed_slug: str, table: str = CHANGED_TABLE) -> list[str]:
    """Labels that must re-run when one province's rows of ``table`` change (2025 boundaries).

    ``slugs``: the national overview and the configured provinces. A run re-runs when it reads
    the whole table (``whole_inputs``, or a national run) or the changed province's rows.
    """
    out = []
    for block in config["notebooks"]:
        inputs, whole = block.get("inputs") or [], block.get("whole_inputs") or []
        if table not in inputs and table not in whole:
            continue
        places = [NATIONAL] if block.get("scope", "provinces") == "national" else slugs
        hit = places if table in whole else [s for s in places if s in (NATIONAL, changed_slug)]
        out += [f"{lang}/{slug}/{block['name']}" for lang in config.get("languages", ["vi", "en"]) for slug in hit]
    return sorted(out)


def pick_spread(items: list, k: int) -> list:
    """``k`` items evenly spread over ``items`` (first always included), in order."""
    if k >= len(items):
        return list(items)
    if k <= 1:
        return items[:1]
    step = (len(items) - 1) / (k - 1)
    return [items[round(i * step)] for i in range(k)]


# ---------------------------------------------------------------- 1 floor and compute

def measure_floor(root: Path, repeats: int) -> dict:
    """Median wall time of a fresh process executing the empty notebook (+ the papermill part alone)."""
    samples = [run_child(root, "floor", source=EMPTY_NOTEBOOK) for _ in range(repeats)]
    return {"process_s": median([s["process_s"] for s in samples]),
            "papermill_s": median([s["execute_s"] for s in samples]),
            "samples_s": [round(s["process_s"], 3) for s in samples]}


def calibrate(root: Path, config: dict, province_slug: str) -> dict[str, dict]:
    """Own compute of each notebook (sum of its cells' durations), national and for one province (vi)."""
    wanted = []
    for block in config["notebooks"]:
        scopes = [NATIONAL] if block.get("scope", "provinces") == "national" else [NATIONAL, province_slug]
        wanted += [[block["name"], slug] for slug in scopes]
    timed = run_child(root, "compute", config=SUBSET_CONFIG, runs=wanted, lang="vi")["runs"]
    return {f"{name}@{'national' if slug == NATIONAL else 'province'}": t for (name, slug), t in zip(wanted, timed)}


def compute_key(notebook: str, province_code) -> str:
    return f"{notebook.split(COPY_SUFFIX)[0]}@{'national' if province_code is None else 'province'}"


def estimate_seconds(config: dict, calib: dict, n_provinces: int) -> float:
    """Rough one-worker wall time of the matrix with ``n_provinces`` provinces (from the calibration)."""
    total = 0.0
    for block in config["notebooks"]:
        per_lang = calib[f"{block['name']}@national"]["execute_s"] + RUN_EXTRA_S
        if block.get("scope", "provinces") != "national":
            per_lang += n_provinces * (calib[f"{block['name']}@province"]["execute_s"] + RUN_EXTRA_S)
        total += per_lang * len(config.get("languages", ["vi", "en"]))
    return total


def choose_matrix(config: dict, calib: dict, provinces: list[dict], budget: float) -> tuple[list[dict], dict]:
    """The provinces to benchmark: all, or as many (spread, first included) as fit ``budget`` seconds."""
    k = len(provinces)
    while k > 1 and estimate_seconds(config, calib, k) > budget:
        k -= 1
    chosen = pick_spread(provinces, k)
    full_estimate = estimate_seconds(config, calib, len(provinces))
    description = ("full matrix" if k == len(provinces) else
                   f"subset: national + {k} of {len(provinces)} provinces "
                   f"({', '.join(p['slug'] for p in chosen)}); the full matrix was estimated at "
                   f"{full_estimate / 60:.0f} min with 1 worker, over the {budget:.0f} s budget")
    return chosen, {"description": description, "provinces": [p["slug"] for p in chosen],
                    "estimated_full_1_worker_s": full_estimate}


# ---------------------------------------------------------------- 2 regeneration

def machine_parallel_efficiency(root: Path) -> dict:
    """Two fixed CPU-bound processes one after the other vs together: what 2 workers can gain here now."""
    def spin(n: int) -> float:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", "spin", "{}"],
                                  cwd=root, env=child_env(root), stdout=subprocess.DEVNULL) for _ in range(n)]
        if any(p.wait() for p in procs):
            raise RuntimeError("the CPU-bound bench child failed")
        return time.perf_counter() - t0

    sequential = spin(1) + spin(1)
    together = spin(2)
    return {"sequential_s": sequential, "together_s": together, "efficiency": sequential / (2 * together)}


def regenerate(root: Path, config_name: str, workers: int) -> dict:
    load = os.getloadavg()[0]
    wall, out, cpu = khuyencong(root, "run", "--config", config_name, "--force", "--workers", str(workers))
    summary = run_summary(out)
    if summary["failed"] or summary["ok"] != summary["runs"]:
        raise RuntimeError(f"forced regeneration did not run everything cleanly: {summary}\n{_tail(out)}")
    manifest = json.loads((root / "reports" / "manifest.json").read_text(encoding="utf-8"))
    runs = [{"notebook": Path(r["notebook"]).stem, "province_code": r["province_code"],
             "duration_s": r["duration_s"]} for r in manifest["runs"]]
    return {"wall_s": wall, "runs": summary["runs"], "cpu_s": cpu, "cpu_per_wall": cpu / wall,
            "load_average_before": load, "load_average_after": os.getloadavg()[0], "durations": runs}


def efficiency_bound(regen: dict) -> float:
    """Best parallel efficiency two workers could reach with these run lengths (longest first, greedy)."""
    loads = [0.0, 0.0]
    for d in sorted((r["duration_s"] for r in regen["durations"]), reverse=True):
        loads[loads.index(min(loads))] += d
    return sum(loads) / (2 * max(loads))


def overheads(regen: dict, calib: dict, floor_s: float) -> dict:
    """Per-run engine time minus own compute, over the floor; overall and per notebook."""
    n = regen["runs"]
    compute = [calib[compute_key(r["notebook"], r["province_code"])]["compute_s"] for r in regen["durations"]]
    per_run = regen["wall_s"] / n
    per_notebook = {}
    for r, c in zip(regen["durations"], compute):
        key = compute_key(r["notebook"], r["province_code"])
        per_notebook.setdefault(key, {"runs": 0, "duration_s": 0.0, "compute_s": c})
        per_notebook[key]["runs"] += 1
        per_notebook[key]["duration_s"] += r["duration_s"]
    for entry in per_notebook.values():
        entry["duration_s"] /= entry["runs"]
        entry["worker_overhead_s"] = entry["duration_s"] - entry["compute_s"]
    return {"engine_per_run_s": per_run, "compute_per_run_s": sum(compute) / n,
            "overhead_per_run_s": per_run - sum(compute) / n,
            "overhead_over_floor": (per_run - sum(compute) / n) / floor_s,
            "coordinator_per_run_s": (regen["wall_s"] - sum(r["duration_s"] for r in regen["durations"])) / n,
            "per_notebook": per_notebook}


# ---------------------------------------------------------------- 3 no-op

def noop(root: Path, config_name: str, repeats: int) -> dict:
    """Median wall time of ``khuyencong run`` when nothing changed; fails if anything executed."""
    samples, runs = [], 0
    for _ in range(repeats):
        wall, out, _ = khuyencong(root, "run", "--config", config_name)
        s = run_summary(out)
        if s["ok"] or s["failed"]:
            raise RuntimeError(f"a no-op run executed something: {s}\n{_tail(out)}")
        samples.append(wall)
        runs = s["runs"]
    return {"wall_s": median(samples), "runs": runs, "samples_s": [round(x, 3) for x in samples]}


def synthesised_noop(root: Path, config_name: str, repeats: int) -> dict:
    """State records for every run of ``config_name`` (copied from real ones), then no-op runs."""
    made = run_child(root, "synthesise", config=config_name)["synthesised"]
    _, out, _ = khuyencong(root, "run", "--config", config_name, "--dry-run")
    if planned_labels(out):
        raise RuntimeError(f"synthesised state is not accepted as up to date:\n{_tail(out)}")
    settle, _, _ = khuyencong(root, "run", "--config", config_name)  # first run rebuilds the index pages
    return {**noop(root, config_name, repeats), "synthesised": made, "first_run_s": round(settle, 3)}


# ---------------------------------------------------------------- 4 one province changed

def one_province_changed(root: Path, config_name: str, config: dict, places: list[dict], code: str) -> dict:
    slug = next(p["slug"] for p in places if p["code"] == code)
    changed = run_child(root, "modify", table=CHANGED_TABLE, column=CHANGED_COLUMN, code=code)
    wall, out, _ = khuyencong(root, "run", "--config", config_name, "--workers", "2")
    ran = planned_labels(out)
    expected = expected_reruns(config, [p["slug"] for p in places], slug)
    if ran != expected:
        raise AssertionError(f"after changing {slug}'s {CHANGED_TABLE} rows, the runs re-executed were\n"
                             f"  {ran}\nbut exactly these were expected\n  {expected}")
    return {"wall_s": wall, "province": slug, "rows_of_province": changed["rows"], "reran": len(ran),
            "runs": run_summary(out)["runs"], "labels": ran}


# ---------------------------------------------------------------- 5 cleaning at scale

def measure_cleaning(root: Path, workdir: Path, sizes: list[int], profile: bool = False) -> list[dict]:
    """Generate, validate and clean a register of each size, each step in its own process."""
    out = []
    for n in sizes:
        reg = workdir / f"SYNTHETIC_register_{n}.csv"
        gen = run_child(root, "generate", path=str(reg), rows=n)
        val = run_child(root, "validate", paths=[gen["register"], gen["survey"]])
        cln = run_child(root, "clean", register=gen["register"], survey=gen["survey"],
                        out_dir=str(workdir / f"processed_{n}"), profile=False)
        entry = {"rows": n, "survey_rows": gen["survey_rows"], "generate_s": gen["seconds"],
                 "validate_s": val["seconds"], "validate_rss_mb": val["maxrss_mb"],
                 "clean_s": cln["seconds"], "clean_rss_mb": cln["maxrss_mb"],
                 "clean_register_rows_per_s": n / cln["seconds"],
                 "clean_all_rows_per_s": (n + gen["survey_rows"]) / cln["seconds"],
                 "validate_register_rows_per_s": n / val["seconds"]}
        if profile:
            entry["profile"] = run_child(root, "clean", register=gen["register"], survey=gen["survey"],
                                         out_dir=str(workdir / f"processed_{n}_p"), profile=True)["profile"]
        out.append(entry)
        reg.unlink(missing_ok=True)
        Path(gen["survey"]).unlink(missing_ok=True)
    return out


# ---------------------------------------------------------------- 6 the test suite

def make_test() -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    last = [line for line in proc.stdout.splitlines() if re.search(r"passed|failed|error", line)]
    return {"wall_s": wall, "exit_status": proc.returncode, "summary": last[-1].strip("= ") if last else ""}


# ---------------------------------------------------------------- results

def machine_info() -> dict:
    from importlib import metadata

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 ** 2, 1), "python": platform.python_version(),
            "platform": platform.platform(), "packages": {p: version(p) for p in PACKAGES},
            "git": {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}}


def measurement(name: str, value: float, unit: str, note: str = "") -> dict:
    """One row of results: value, unit, and target with pass/miss when ``name`` has one."""
    row = {"name": name, "value": round(value, 4), "unit": unit, "target": None, "pass": None, "note": note}
    if name in TARGETS:
        op, threshold, _ = TARGETS[name]
        row["target"] = f"{op} {threshold:g}"
        row["pass"] = bool(value >= threshold if op == ">=" else value <= threshold)
    return row


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def render_table(rows: list[dict]) -> str:
    lines = ["| Measurement | Value | Target | Result | Note |", "|---|---:|---|---|---|"]
    for r in rows:
        result = "" if r["pass"] is None else ("pass" if r["pass"] else "**miss**")
        lines.append(f"| {r['name']} | {_fmt(r['value'])} {r['unit']} | {r['target'] or ''} | {result} | {r['note']} |")
    return "\n".join(lines)


def write_readme_table(readme: Path, table: str, header: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if MARK_START not in text or MARK_END not in text:
        raise RuntimeError(f"{readme} needs the markers {MARK_START} and {MARK_END} around the results table")
    before, rest = text.split(MARK_START, 1)
    after = rest.split(MARK_END, 1)[1]
    readme.write_text(f"{before}{MARK_START}\n{header}\n\n{table}\n{MARK_END}{after}", encoding="utf-8")


def rows_from(r: dict) -> list[dict]:
    """The results table rows, in the order of the issue."""
    if "floor" not in r:  # only sections run alone so far (--only)
        return section_rows(r)
    floor = r["floor"]["process_s"]
    rows = [measurement("floor (empty notebook, fresh process)", floor, "s",
                        f"median of {len(r['floor']['samples_s'])}; papermill part {r['floor']['papermill_s']:.2f} s")]
    scope = r["matrix"]["description"]
    w1, w2 = r["regeneration"]["workers_1"], r["regeneration"]["workers_2"]
    busy = "{:.2f} cores busy (CPU s / wall s), load average {:.1f} before"
    rows += [measurement("full regeneration, 1 worker", w1["wall_s"], "s",
                         f"{w1['runs']} runs; {busy.format(w1['cpu_per_wall'], w1['load_average_before'])}; {scope}"),
             measurement("full regeneration, 2 workers", w2["wall_s"], "s",
                         f"{w2['runs']} runs; {busy.format(w2['cpu_per_wall'], w2['load_average_before'])}"),
             measurement("parallel_efficiency", w1["wall_s"] / (2 * w2["wall_s"]), "ratio",
                         f"time(1) / (2 × time(2)); at most {efficiency_bound(w1):.2f} with these run lengths")]
    mp = r["machine_parallel"]
    rows.append(measurement("machine parallel efficiency", mp["efficiency"], "ratio",
                            f"two fixed CPU-bound processes, {mp['sequential_s']:.1f} s one after the other, "
                            f"{mp['together_s']:.1f} s together, just before the regeneration"))
    ov = r["regeneration"]["overhead_workers_1"]
    rows.append(measurement("overhead_per_run_over_floor", ov["overhead_over_floor"], "× floor",
                            f"(wall/run {ov['engine_per_run_s']:.2f} s − own compute {ov['compute_per_run_s']:.2f} s)"
                            f" / floor, 1 worker"))
    n1, nf, n10 = r["noop"]["benchmarked"], r["noop"]["full"], r["noop"]["tenfold"]
    rows += [measurement("no-op, benchmarked matrix", n1["wall_s"], "s", f"{n1['runs']} runs, median of 3"),
             measurement("noop_full_matrix", nf["wall_s"], "s", f"{nf['runs']} runs"
                         + (f" ({nf['synthesised']} with synthesised state)" if nf.get("synthesised") else "")),
             measurement("no-op, 10× matrix", n10["wall_s"], "s", f"{n10['runs']} runs (synthesised state)"),
             measurement("noop_growth_vs_runs", (n10["wall_s"] / nf["wall_s"]) / (n10["runs"] / nf["runs"]), "ratio",
                         f"time ratio {n10['wall_s'] / nf['wall_s']:.2f} for {n10['runs'] / nf['runs']:.0f}× runs; "
                         f"{1000 * (n10['wall_s'] - nf['wall_s']) / (n10['runs'] - nf['runs']):.1f} ms per extra run")]
    one = r["one_province"]
    rows.append(measurement("one province changed", one["wall_s"], "s",
                            f"{one['province']}: {one['reran']} of {one['runs']} runs re-ran, as expected; 2 workers"))
    for c in r["cleaning"]:
        size = f"{c['rows']:,}"
        largest = c["rows"] == max(x["rows"] for x in r["cleaning"])
        name = "clean_register_rows_per_s" if largest else f"clean rows/s at {size}"
        rows.append(measurement(name, c["clean_register_rows_per_s"], "rows/s",
                                f"{size} register + {c['survey_rows']:,} survey rows: clean_all {c['clean_s']:.1f} s, "
                                f"validate_paths {c['validate_s']:.1f} s"))
        rss = max(c["clean_rss_mb"], c["validate_rss_mb"]) / 1024
        rows.append(measurement("clean_peak_rss_1m" if c["rows"] == 1_000_000 else f"peak RSS at {size}", rss, "GB",
                                "max of the validate and clean processes"))
    if r.get("linearity") is not None:
        rows.append(measurement("clean_time_per_row_1m_vs_100k", r["linearity"], "ratio",
                                "below 1: fixed costs amortise; above 1 would be super-linear"))
    if r.get("executors"):
        import executors

        rows += executors.rows(r["executors"])
    rows += section_rows(r)
    if r.get("make_test"):
        t = r["make_test"]
        rows.append(measurement("make test", t["wall_s"], "s", f"exit {t['exit_status']}: {t['summary']}"))
    return rows


def section_rows(r: dict) -> list[dict]:
    """Rows of the sections that can also run alone (``--only``): the XLSX readers, PDF and DOCX."""
    import formats
    import xlsx

    return ((xlsx.xlsx_rows(r["xlsx_reader"]) if r.get("xlsx_reader") else [])
            + (formats.formats_rows(r["formats"]) if r.get("formats") else []))


# ---------------------------------------------------------------- the whole flow

def main(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine_info(), "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="khuyencong-bench-") as tmp:
        root = scratch_project(Path(tmp) / "project")
        say(f"== scratch copy of the project in {root}; building its processed data")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "src")], check=True)  # as installed
        results["data_build_s"] = sum(khuyencong(root, step)[0] for step in ("published", "official", "clean"))

        say(f"== 1 floor: {args.floor_repeats} fresh processes executing {EMPTY_NOTEBOOK}")
        results["floor"] = measure_floor(root, args.floor_repeats)
        floor = results["floor"]["process_s"]
        say(f"   floor {floor:.2f} s (papermill part {results['floor']['papermill_s']:.2f} s)")

        config = read_config(root)
        all_places = write_config(root, SUBSET_CONFIG, subset_config(config, None))
        places = run_child(root, "places", config=all_places)["places"]
        provinces = [p for p in places if p["code"] is not None]
        say("== calibrating each notebook's own compute (one run each, national and one province)")
        calib = calibrate(root, config, provinces[0]["slug"])
        results["compute"] = calib

        chosen, results["matrix"] = choose_matrix(config, calib, provinces, args.budget)
        full = len(chosen) == len(provinces)
        bench = subset_config(config, None if full else [p["code"] for p in chosen])
        write_config(root, SUBSET_CONFIG, bench)
        say(f"== 2 full regeneration ({results['matrix']['description']})")
        results["machine_parallel"] = machine_parallel_efficiency(root)
        say(f"   the machine's own parallel efficiency now: {results['machine_parallel']['efficiency']:.2f}")
        w1 = regenerate(root, SUBSET_CONFIG, 1)
        say(f"   1 worker: {w1['wall_s']:.1f} s for {w1['runs']} runs")
        w2 = regenerate(root, SUBSET_CONFIG, 2)
        say(f"   2 workers: {w2['wall_s']:.1f} s; efficiency {w1['wall_s'] / (2 * w2['wall_s']):.2f}")
        results["regeneration"] = {"workers_1": w1, "workers_2": w2,
                                   "overhead_workers_1": overheads(w1, calib, floor),
                                   "overhead_workers_2": overheads(w2, calib, floor)}

        if not args.skip_executors:
            import executors

            say("== 2b executors on the full matrix: papermill loop, ploomber-engine, ours fresh and warm")
            full = executors.html_only(subset_config(config, None))
            results["executors"] = executors.compare(root, write_config(root, FULL_CONFIG, full), say)
        say("== 3 no-op runs")
        results["noop"] = {"benchmarked": noop(root, SUBSET_CONFIG, args.noop_repeats)}
        say("== 4 one province changed")
        code = chosen[0]["code"]
        benchmarked_places = [p for p in places if p["code"] is None or p in chosen]
        results["one_province"] = one_province_changed(root, SUBSET_CONFIG, bench, benchmarked_places, code)
        say(f"   {results['one_province']['reran']} runs re-ran in {results['one_province']['wall_s']:.1f} s")
        if full:
            results["noop"]["full"] = noop(root, SUBSET_CONFIG, args.noop_repeats)
        else:
            full_config = write_config(root, FULL_CONFIG, subset_config(config, None))
            results["noop"]["full"] = synthesised_noop(root, full_config, args.noop_repeats)
        tenfold = tenfold_config(subset_config(config, None))
        copy_notebooks(root, tenfold)
        results["noop"]["tenfold"] = synthesised_noop(root, write_config(root, TENFOLD_CONFIG, tenfold),
                                                      args.noop_repeats)
        say("   " + ", ".join(f"{name}: {v['wall_s']:.2f} s ({v['runs']} runs)" for name, v in results["noop"].items()))

        say(f"== 5 cleaning at scale: {', '.join(f'{n:,}' for n in args.sizes)} register rows")
        workdir = root / "bench_data"
        workdir.mkdir()
        results["cleaning"] = measure_cleaning(root, workdir, args.sizes, args.profile)
        by_size = {c["rows"]: c for c in results["cleaning"]}
        if 100_000 in by_size and 1_000_000 in by_size:
            results["linearity"] = (by_size[1_000_000]["clean_s"] / 1e6) / (by_size[100_000]["clean_s"] / 1e5)
        for c in results["cleaning"]:
            say(f"   {c['rows']:,}: clean {c['clean_s']:.1f} s ({c['clean_register_rows_per_s']:,.0f} rows/s), "
                f"peak {max(c['clean_rss_mb'], c['validate_rss_mb']):.0f} MB")
        import xlsx

        say(f"== 5b the XLSX readers: a generated {args.xlsx_rows:,} × 10 sheet and the demo's XLSX registers")
        results["xlsx_reader"] = xlsx.measure_xlsx(root, workdir, args.xlsx_rows, args.xlsx_repeats)
        xlsx.say_xlsx(results["xlsx_reader"])
        if not args.skip_formats:
            import formats

            formats.say_section(args.formats_provinces)
            results["formats"] = formats.measure_formats(root, args.formats_provinces)
            formats.say_formats(results["formats"])
        if args.keep_scratch:
            kept = Path(tempfile.mkdtemp(prefix="khuyencong-bench-kept-"))
            shutil.copytree(root, kept / "project", symlinks=True)
            say(f"   scratch project kept in {kept / 'project'}")

    if not args.skip_test_suite:
        say("== 6 make test (in the real checkout)")
        results["make_test"] = make_test()
    results["load_average_end"] = os.getloadavg()
    results["bench_wall_s"] = time.perf_counter() - t_start
    return publish(results)


def publish(results: dict) -> int:
    """``results.json`` and the README table from ``results``."""
    rows = rows_from(results)
    results["measurements"] = rows
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    header = readme_header(results)
    table = render_table(rows)
    write_readme_table(README, table, header)
    say(f"\n{header}\n\n{table}\n\nresults: {RESULTS.relative_to(REPO)}, table: {README.relative_to(REPO)}")
    return 0


def run_alone(key: str, announce, measure, build_data: bool = False) -> int:
    """One section (``--only``) on a fresh scratch project, merged into the last ``results.json`` under
    ``key``: ``announce()`` says what runs, ``measure(root, workdir)`` returns the section's results."""
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    alone = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine_info(),
             "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="khuyencong-bench-") as tmp:
        root = scratch_project(Path(tmp) / "project")
        if build_data:
            say(f"== scratch copy of the project in {root}; building its processed data")
            for step in ("published", "official", "clean"):  # what `make data` runs
                khuyencong(root, step)
        announce()
        t0 = time.perf_counter()
        section = measure(root, Path(tmp))
        alone["section_s"] = time.perf_counter() - t0
    results[key] = {**section, "alone": {**alone, "load_average_end": os.getloadavg()}}
    return publish(results)


def readme_header(results: dict) -> str:
    """Machine, commit and load of the run; a section run alone since says so."""
    def described(run: dict, what: str) -> str:
        m = run["machine"]
        return (f"{what} {run['started']} on {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
                f"commit {str(m['git']['commit'])[:10]}{' (dirty)' if m['git']['dirty'] else ''}; load average "
                f"{run['load_average_start'][0]:.1f} at start, {run['load_average_end'][0]:.1f} at end")

    parts = [f"{described(results, 'Run')}; the bench took {results['bench_wall_s'] / 60:.1f} min."] \
        if "floor" in results else []
    for key, what in (("xlsx_reader", "The XLSX reader rows: run alone (`--only xlsx`)"),
                      ("formats", "The PDF/DOCX rows: run alone (`--only formats`)")):
        alone = (results.get(key) or {}).get("alone")
        if alone:
            parts.append(f"{described(alone, what)}; the section took {alone['section_s']:.0f} s.")
    return " ".join(parts)


# ---------------------------------------------------------------- children (run on the scratch project)

def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def child_floor(source: str) -> dict:
    """Execute the empty notebook like the engine's workers do (papermill in-process)."""
    import papermill as pm

    from khuyencong import paths

    src = paths.project_root() / source
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        pm.execute_notebook(str(src), str(Path(tmp) / "out.ipynb"), kernel_name="khuyencong",
                            parameters={"lang": "en", "output_dir": tmp}, cwd=str(src.parent),
                            progress_bar=False, start_timeout=120)
        return {"execute_s": time.perf_counter() - t0}


def child_spin() -> dict:
    """Fixed CPU work like a notebook's: a Python loop and numpy sorting (about 3 s)."""
    import numpy as np

    total = 0
    for i in range(15_000_000):
        total += i * i
    values = np.random.default_rng(0).random(4_000_000)
    for _ in range(8):
        total += int(np.sort(values)[0] * 0 + (values * 3.0 + 1).sum() > 0)
    return {"done": total > 0}


def child_places(config: str) -> dict:
    from khuyencong.runner import config as runconfig

    cfg = runconfig.load_config(Path(config))
    return {"places": [{"code": p.code, "name": p.name, "slug": p.slug} for p in runconfig.places(cfg, "2025")]}


def child_compute(config: str, runs: list[list[str]], lang: str) -> dict:
    """Execute runs ``[notebook, slug]`` of the matrix as the engine's workers do, one after the other.

    A run's own compute is the sum of its cells' durations (papermill records them).
    """
    import papermill as pm

    from khuyencong import paths
    from khuyencong.runner import config as runconfig

    cfg = runconfig.load_config(Path(config))
    matrix = {(r.notebook.name, r.slug, r.lang): r for r in runconfig.build_matrix(cfg)}
    out = []
    for notebook, slug in runs:
        run = matrix[(notebook, slug, lang)]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            nb = pm.execute_notebook(str(run.notebook.path), str(Path(tmp) / "out.ipynb"), kernel_name=cfg.kernel,
                                     parameters={**run.parameters(), "output_dir": tmp},
                                     cwd=str(paths.notebooks_dir()), progress_bar=False,
                                     execution_timeout=cfg.timeout, start_timeout=120)
            execute = time.perf_counter() - t0
        compute = sum(c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells)
        out.append({"execute_s": execute, "compute_s": compute})
    return {"runs": out}


def child_synthesise(config: str) -> dict:
    """State records and output files for every run lacking them, copied from a real run of the notebook."""
    from khuyencong import fingerprint as fp
    from khuyencong import paths
    from khuyencong.runner import config as runconfig
    from khuyencong.runner import plan as engine
    from khuyencong.runner import publish

    cfg = runconfig.load_config(Path(config))
    cache = fp.HashCache(paths.state_dir())
    planned, _ = engine.plan(runconfig.build_matrix(cfg), cache, False, cfg.kernel)
    templates = {}
    for p in planned:
        if p.reason is None and p.previous:
            templates.setdefault(p.run.notebook.name, p)
    made = 0
    for p in planned:
        if p.reason is None:
            continue
        base = p.run.notebook.name.split(COPY_SUFFIX)[0]
        if base not in templates:
            raise RuntimeError(f"no real run of {base} to copy state from; run the benchmarked matrix first")
        t = templates[base]
        final = publish.final_dir(p.run)
        final.mkdir(parents=True, exist_ok=True)
        for ext in (".ipynb", ".html"):
            target = final / f"{p.run.notebook.name}{ext}"
            if not target.exists():
                os.link(publish.final_dir(t.run) / f"{base}{ext}", target)  # hard link: no disk cost
        record = {**t.previous, "run_id": p.run.run_id, "label": p.run.label, "province_code": p.run.code,
                  "notebook": f"notebooks/{p.run.notebook.name}.ipynb", "parameters": p.fingerprint.parameters,
                  "fingerprint": p.fingerprint.record(), "inputs": p.inputs, "status": "ok", "error": None,
                  "outputs": [f"{p.run.rel_dir}/{p.run.notebook.name}{ext}" for ext in (".html", ".ipynb")]}
        publish.state_file(p.run).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        made += 1
    cache.save()
    return {"synthesised": made}


def child_modify(table: str, column: str, code: str) -> dict:
    """Change one value in one province's rows of a processed table (2025 code), written atomically."""
    import pandas as pd

    from khuyencong import paths
    from khuyencong.files import atomic_path

    path = paths.processed_dir() / f"{table}.parquet"
    df = pd.read_parquet(path)
    rows = (df["province_code_2025"] == code).to_numpy()
    if not rows.any():
        raise RuntimeError(f"{table} has no rows for province {code}")
    first = rows.nonzero()[0][0]
    df.loc[df.index[first], column] = df[column].iat[first] + 1.0
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="snappy")
    return {"rows": int(rows.sum())}


def child_generate(path: str, rows: int) -> dict:
    from khuyencong.synthetic import generate_register_csv

    t0 = time.perf_counter()
    made = generate_register_csv(path, rows)
    return {"seconds": time.perf_counter() - t0, "register": str(made["register"]),
            "survey": str(made["survey"]), "survey_rows": made["survey_rows"]}


def child_validate(paths: list[str]) -> dict:
    from khuyencong.ingest.validate import validate_paths

    t0 = time.perf_counter()
    report = validate_paths(paths)
    return {"seconds": time.perf_counter() - t0, "maxrss_mb": _maxrss_mb(), "rows_read": report.rows_read,
            "problems": len(report.problems)}


def child_clean(register: str, survey: str, out_dir: str, profile: bool) -> dict:
    from khuyencong.ingest.clean import clean_all

    inputs = {"register": [Path(register)], "survey": [Path(survey)]}
    if not profile:
        t0 = time.perf_counter()
        summary = clean_all(inputs, out_dir=out_dir)
        return {"seconds": time.perf_counter() - t0, "maxrss_mb": _maxrss_mb(), "tables": summary.tables}
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.runcall(clean_all, inputs, out_dir=out_dir)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(r"khuyencong|pandera|dask|pyarrow", 25)
    return {"profile": text.getvalue().split("\n", 4)[-1]}


CHILDREN = {"spin": child_spin, "floor": child_floor, "places": child_places, "compute": child_compute,
            "synthesise": child_synthesise,
            "modify": child_modify, "generate": child_generate, "validate": child_validate, "clean": child_clean}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=120.0, metavar="SECONDS",
                   help="largest estimated 1-worker regeneration; above it a declared subset of provinces is used")
    p.add_argument("--floor-repeats", type=int, default=5)
    p.add_argument("--noop-repeats", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="register rows to clean")
    p.add_argument("--skip-test-suite", action="store_true", help="do not time `make test`")
    p.add_argument("--skip-executors", action="store_true",
                   help="do not compare executors (papermill loop, ploomber-engine, ours fresh/warm) on the full matrix")
    p.add_argument("--profile", action="store_true", help="also cProfile clean_all at each size (adds its time)")
    p.add_argument("--only", choices=["xlsx", "formats"],
                   help="run one section alone (xlsx: the XLSX readers; formats: PDF + DOCX per province brief) "
                        "and merge it into results.json and the table")
    p.add_argument("--xlsx-rows", type=int, default=20_000, help="rows of the generated sheet the XLSX readers read")
    p.add_argument("--xlsx-repeats", type=int, default=3, help="runs of calamine and our reader (median)")
    p.add_argument("--skip-formats", action="store_true", help="do not time PDF + DOCX per province brief")
    p.add_argument("--formats-provinces", type=int, default=3, metavar="K",
                   help="province briefs (spread over the list) timed with and without PDF + DOCX")
    p.add_argument("--keep-scratch", action="store_true", help="keep a copy of the scratch project to inspect")
    p.add_argument("--child", nargs=2, metavar=("KIND", "JSON"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child:
        kind, kwargs = arguments.child
        if kind not in CHILDREN:
            from executors import CHILDREN as executor_children
            from formats import CHILDREN as formats_children
            from xlsx import CHILDREN as xlsx_children

            CHILDREN.update({**executor_children, **xlsx_children, **formats_children})
        print(json.dumps(CHILDREN[kind](**json.loads(kwargs)), default=str), flush=True)
        sys.exit(0)
    if arguments.only:
        import formats
        import xlsx

        sys.exit({"xlsx": xlsx.run_only, "formats": formats.run_only}[arguments.only](arguments))
    sys.exit(main(arguments))
