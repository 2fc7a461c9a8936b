"""``khuyencong run``: regenerate the report matrix of ``reports.yml`` — incremental, parallel, safe.

Read top to bottom: build the matrix → fingerprint each run (notebook code, parameters, the
input rows it reads, package code, locked environment) → say for each run why it runs or is
skipped → take ``reports/.lock`` → execute the changed runs in worker processes (or on a Dask
cluster), each into a staging folder → publish each finished folder with a rename → write
its state record → rebuild ``manifest.json`` and the index pages.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.runner import config as runconfig
from khuyencong.runner import pool as runpool
from khuyencong.files import atomic_write_text
from khuyencong.runner.config import ConfigError, Run
from khuyencong.runner.lock import LockHeld, RunLock

STATE = ".state"
STAGING = ".staging"
TRASH = ".trash"


@dataclass
class Options:
    provinces: list[str] | None = None
    notebooks: list[str] | None = None
    langs: list[str] | None = None
    force: bool = False
    dry_run: bool = False
    workers: int | None = None
    scheduler: str | None = None
    timeout: int | None = None
    quiet: bool = False
    config: Path | None = None


@dataclass
class Planned:
    run: Run
    fingerprint: dict
    inputs: dict
    reason: str | None  # None = skip
    previous: dict | None = None


def _say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- locations

def state_dir() -> Path:
    return paths.reports_dir() / STATE


def _state_file(run: Run) -> Path:
    return state_dir() / "runs" / f"{run.run_id}.json"


def _final_dir(run: Run) -> Path:
    return runconfig.inside_reports(run.rel_dir)


def _load_state(run: Run) -> dict | None:
    try:
        return json.loads(_state_file(run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _outputs_exist(run: Run) -> bool:
    final = _final_dir(run)
    return all((final / f"{run.notebook.name}{ext}").exists() for ext in (".ipynb", ".html"))


# ---------------------------------------------------------------- fingerprints and reasons

def _input_tables(runs: list[Run], cache: fp.HashCache) -> dict[str, dict]:
    needed: dict[str, list[str]] = {}
    for r in runs:
        for name in (*r.notebook.inputs, *r.notebook.whole_inputs):
            needed.setdefault(name, []).append(r.notebook.name)
    out = {}
    for name, users in sorted(needed.items()):
        path = paths.processed_dir() / f"{name}.parquet"
        if not path.exists():
            from khuyencong.analysis.tables import BUILD_HINT

            raise ConfigError(f"{paths.relative_to_root(path)} is missing (read by {sorted(set(users))}): "
                              f"run `{BUILD_HINT[name]}` (or `make report`) first")
        out[name] = {"path": path, **cache.table(path)}
    return out


def _output_ref(run: Run) -> str:
    """``output_dir`` as the stored notebook shows it: relative to notebooks/, where it runs."""
    return os.path.relpath(paths.reports_dir() / run.rel_dir, paths.notebooks_dir()).replace(os.sep, "/")


def _fingerprint(run: Run, tables: dict, common: dict, cache: fp.HashCache) -> tuple[dict, dict]:
    code_col = "province_code_2025" if run.boundaries == "2025" else "province_code"
    inputs, detail = {}, {}
    for name in (*run.notebook.inputs, *run.notebook.whole_inputs):
        entry = tables[name]
        code = None if name in run.notebook.whole_inputs else run.code
        inputs[name] = fp.rows_hash(entry, code_col, code)
        rows = "all" if code is None or code_col not in entry else f"{code_col}={code}"
        detail[name] = {"file": paths.relative_to_root(entry["path"]), "sha256": entry["sha256"],
                        "rows": rows, "content_sha256": inputs[name]}
    params = {**run.parameters(), "output_dir": _output_ref(run)}
    return {"notebook": cache.file(run.notebook.path, "notebook"), "parameters": params,
            "inputs": inputs, **common}, detail


_LABELS = {"notebook": "notebook changed", "parameters": "parameters changed", "code": "code changed",
           "environment": "environment changed (requirements.lock)", "kernel": "kernel changed"}


def reason(fingerprint: dict, previous: dict | None, outputs_exist: bool, force: bool) -> str | None:
    """Why a run must run, or None when it can be skipped."""
    if force:
        return "forced"
    if previous is None:
        return "new"
    if previous.get("status") != "ok":
        return "previous failure"
    if not outputs_exist:
        return "outputs missing"
    old = previous.get("fingerprint", {})
    why = [label for key, label in _LABELS.items() if old.get(key) != fingerprint.get(key)]
    old_inputs, new_inputs = old.get("inputs", {}), fingerprint["inputs"]
    changed = sorted(k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k))
    if changed:
        why.append("inputs changed: " + ", ".join(changed))
    return "; ".join(why) or None


def plan(runs: list[Run], cache: fp.HashCache, force: bool = False,
         kernel: str = "khuyencong") -> tuple[list[Planned], dict]:
    """Fingerprint every run and decide; also returns the input table entries."""
    tables = _input_tables(runs, cache)
    common = {"code": fp.package_hash(cache), "environment": fp.lock_hash(cache), "kernel": kernel}
    planned = []
    for r in runs:
        finger, detail = _fingerprint(r, tables, common, cache)
        previous = _load_state(r)
        planned.append(Planned(r, finger, detail, reason(finger, previous, _outputs_exist(r), force), previous))
    return planned, tables


def data_version(tables: dict) -> str:
    """Short hash of the content of the processed tables the matrix reads."""
    return fp.sha256_json({name: entry["all"] for name, entry in sorted(tables.items())})[:12]


# ---------------------------------------------------------------- staging and publishing

def recover() -> list[str]:
    """Undo what a killed run left: restore reports moved aside, drop half-written staging folders."""
    notes = []
    trash = paths.reports_dir() / TRASH
    if trash.is_dir():
        for entry in sorted(trash.iterdir()):
            final = runconfig.inside_reports(unquote(entry.name))
            if final.exists():
                shutil.rmtree(entry)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(entry, final)
                notes.append(f"restored {paths.relative_to_root(final)} left aside by an interrupted run")
        _rmdir_empty(trash)
    staging = paths.reports_dir() / STAGING
    if staging.is_dir():
        if any(staging.iterdir()):
            notes.append("removed unfinished outputs of an interrupted run")
        shutil.rmtree(staging)
    return notes


def _rmdir_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def publish(staging: Path, run: Run) -> list[str]:
    """Replace the run's folder by ``staging`` in two renames; return its files relative to reports/."""
    final = _final_dir(run)
    final.parent.mkdir(parents=True, exist_ok=True)
    aside = paths.reports_dir() / TRASH / quote(run.rel_dir, safe="")
    aside.parent.mkdir(parents=True, exist_ok=True)
    if aside.exists():
        shutil.rmtree(aside)
    if final.exists():
        os.rename(final, aside)
    os.rename(staging, final)
    shutil.rmtree(aside, ignore_errors=True)
    base = paths.reports_dir()
    return sorted(p.relative_to(base).as_posix() for p in final.rglob("*") if p.is_file())


def _spec(p: Planned, staging_root: Path, timeout: int, log: bool) -> dict:
    r = p.run
    return {"run_id": r.run_id, "root": str(paths.project_root()), "source": str(r.notebook.path),
            "cwd": str(paths.notebooks_dir()), "staging": str(staging_root / r.run_id),
            "final_ref": p.fingerprint["parameters"]["output_dir"], "name": r.notebook.name,
            "parameters": {k: v for k, v in p.fingerprint["parameters"].items() if k != "output_dir"},
            "kernel": p.fingerprint["kernel"], "timeout": timeout,
            "log": str(state_dir() / "logs" / f"{r.run_id}.log") if log else None}


# ---------------------------------------------------------------- executing

def _record(p: Planned, result: dict, outputs: list[str]) -> dict:
    from khuyencong.runner.manifest import environment, git_state, reproduce_command

    r = p.run
    params = p.fingerprint["parameters"]
    return {"run_id": r.run_id, "label": r.label, "notebook": f"notebooks/{r.notebook.name}.ipynb",
            "province_code": r.code, "parameters": params, "fingerprint": p.fingerprint,
            "inputs": p.inputs, **{k: result.get(k) for k in ("status", "error", "started", "finished",
                                                              "duration_s", "host")},
            "git": git_state(), "environment": environment(), "outputs": outputs,
            "reproduce": "cd notebooks && " + reproduce_command(r.notebook.name, params, p.fingerprint["kernel"])}


def execute(todo: list[Planned], workers: int, scheduler: str | None, timeout: int) -> list[dict]:
    """Run ``todo``, publishing and recording each run as soon as it finishes."""
    staging_root = paths.reports_dir() / STAGING / f"{os.getpid()}"
    by_id = {p.run.run_id: p for p in todo}
    specs = [_spec(p, staging_root, timeout, log=scheduler is None) for p in todo]
    results = (runpool.on_dask(specs, scheduler) if scheduler
               else runpool.in_processes(specs, max(1, min(workers, len(specs)))))
    progress, records = runpool.Progress(len(specs)), []
    try:
        for result in results:
            p = by_id[result["run_id"]]
            staging = staging_root / p.run.run_id
            outputs = publish(staging, p.run) if (staging / f"{p.run.notebook.name}.ipynb").exists() else []
            if not outputs and result["status"] == "ok":
                result.update(status="failed", error="no output was produced")
            record = _record(p, result, outputs)
            atomic_write_text(_state_file(p.run), json.dumps(record, indent=1, ensure_ascii=False) + "\n")
            records.append(record)
            progress.update(p.run.label, result)
    finally:
        progress.close()
        shutil.rmtree(staging_root, ignore_errors=True)
        for leftover in (staging_root.parent, paths.reports_dir() / TRASH):
            _rmdir_empty(leftover)
    return records


# ---------------------------------------------------------------- manifest and index

def _refresh_site(all_runs: list[Run], config, tables: dict, cache: fp.HashCache, ran: bool) -> list[str]:
    """Rewrite manifest.json and the index pages when something changed; return error lines."""
    from khuyencong.runner.site import INDEX_FILES

    states = {r.run_id: _load_state(r) for r in all_runs}
    statuses = {k: v["status"] for k, v in states.items() if v}
    version = data_version(tables)
    key = fp.sha256_json({"data": version, "code": fp.package_hash(cache), "statuses": statuses,
                          "config": cache.file(config.path or runconfig.config_path())})
    marker = state_dir() / "site.json"
    base = paths.reports_dir()
    present = all((base / f).exists() for f in (*INDEX_FILES.values(), "manifest.json"))
    try:
        unchanged = json.loads(marker.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError):
        unchanged = False
    if unchanged and present and not ran:
        return []
    from khuyencong.runner.manifest import write_manifest
    from khuyencong.runner.site import build_site

    write_manifest([s for s in states.values() if s], version, config.source)
    try:
        places = {b: runconfig.places(config, b) for b in config.boundaries}
        build_site(places, all_runs, statuses, version, datetime.now(timezone.utc).date().isoformat(),
                   (config.start_year, config.end_year))
    except Exception as exc:  # the runs are published; say what broke the index
        from khuyencong.runner.execute import first_line

        return [f"index page: {first_line(exc)}"]
    atomic_write_text(marker, json.dumps({"key": key}) + "\n")
    _say(f"index: {paths.relative_to_root(base / INDEX_FILES['vi'])}, {INDEX_FILES['en']}, manifest.json")
    return []


# ---------------------------------------------------------------- entry point

def _print_plan(planned: list[Planned], quiet: bool) -> None:
    skipped = 0
    for p in planned:
        if p.reason is None:
            skipped += 1
            if not quiet:
                _say(f"skip: unchanged — {p.run.label}")
        else:
            _say(f"run: {p.reason} — {p.run.label}")
    if quiet and skipped:
        _say(f"skip: unchanged — {skipped} runs")


def run_reports(options: Options | None = None, prepare=None) -> int:
    """Regenerate what changed; 0 when every executed run succeeded, 1 when one failed, 3 when locked.

    ``prepare`` (optional) is called under the lock before planning (``make report`` rebuilds
    the processed data there).
    """
    options = options or Options()
    t0 = time.perf_counter()
    config = runconfig.load_config(options.config)
    all_runs = runconfig.build_matrix(config)
    runs, notes = runconfig.select(all_runs, options.provinces, options.notebooks, options.langs)
    for note in notes:
        _say(f"note: {note}")
    if not runs:
        raise ConfigError("the filters select no run; check --province/--notebook/--lang against reports.yml")
    if options.dry_run:
        cache = fp.HashCache(state_dir())
        planned, _ = plan(runs, cache, options.force, config.kernel)
        _print_plan(planned, options.quiet)
        todo = sum(p.reason is not None for p in planned)
        _say(f"dry run: {todo} of {len(planned)} runs would run; nothing was executed")
        return 0
    try:
        with RunLock(paths.reports_dir() / ".lock") as lock:
            for message in lock.messages + recover():
                _say(f"note: {message}")
            if prepare is not None:
                prepare()
            return _locked_run(options, config, all_runs, runs, t0)
    except LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


def _locked_run(options: Options, config, all_runs: list[Run], runs: list[Run], t0: float) -> int:
    cache = fp.HashCache(state_dir())
    all_tables = _input_tables(all_runs, cache)  # every input of the matrix must exist, not just the selected
    planned, _ = plan(runs, cache, options.force, config.kernel)
    _print_plan(planned, options.quiet)
    todo = [p for p in planned if p.reason is not None]
    timeout = options.timeout or config.timeout
    records = execute(todo, options.workers or os.cpu_count() or 1, options.scheduler, timeout) if todo else []
    errors = _refresh_site(all_runs, config, all_tables, cache, bool(records))
    cache.save(keep_tables={e["sha256"] for e in all_tables.values()})
    failures = [r for r in records if r["status"] != "ok"]
    _say(f"{len(records) - len(failures)} ok, {len(failures)} failed, {len(planned) - len(todo)} skipped "
         f"of {len(planned)} runs in {time.perf_counter() - t0:.1f} s → {paths.relative_to_root(paths.reports_dir())}/")
    for r in failures:
        _say(f"  FAILED {r['label']}: {r['error']} (partial notebook: reports/{r['label']}/)")
    for e in errors:
        _say(f"  FAILED {e}")
    return 1 if failures or errors else 0
