"""Which runs must run, and why: fingerprints of what each run depends on, compared with its last record.

A run's fingerprint holds its notebook code, its parameters, the content of the input rows it
reads (only its province's rows of a per-province input), the package code, the locked
environment and the kernel name.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.runner import publish
from khuyencong.runner.config import ConfigError, Run


@dataclass(frozen=True)
class Fingerprint:
    """What a run depends on: notebook code, parameters, the content hash of each input's rows it
    reads, package code, locked environment, kernel and formats. :meth:`record` is what the run's
    record keeps and the next plan compares."""

    notebook: str
    parameters: dict
    inputs: dict
    code: str
    environment: str
    kernel: str
    formats: list

    def record(self) -> dict:
        return asdict(self)


@dataclass
class Planned:
    run: Run
    fingerprint: Fingerprint
    inputs: dict
    reason: str | None  # None = skip
    previous: dict | None = None


_LABELS = {"notebook": "notebook changed", "parameters": "parameters changed", "code": "code changed",
           "environment": "environment changed (requirements.lock)", "kernel": "kernel changed",
           "formats": "formats changed"}


def input_tables(runs: list[Run], cache: fp.HashCache) -> dict[str, dict]:
    """Hash entries of every processed table ``runs`` read; ConfigError names a missing one."""
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


def _fingerprint(run: Run, tables: dict, common: dict, cache: fp.HashCache) -> tuple[Fingerprint, dict]:
    inputs, detail = {}, {}
    for name in (*run.notebook.inputs, *run.notebook.whole_inputs):
        entry = tables[name]
        code = None if name in run.notebook.whole_inputs else run.code
        inputs[name] = fp.rows_hash(entry, run.code_column, code)
        rows = "all" if code is None or run.code_column not in entry else f"{run.code_column}={code}"
        detail[name] = {"file": paths.relative_to_root(entry["path"]), "sha256": entry["sha256"],
                        "rows": rows, "content_sha256": inputs[name]}
    params = {**run.parameters(), "output_dir": _output_ref(run)}
    return Fingerprint(notebook=cache.file(run.notebook.path, "notebook"), parameters=params, inputs=inputs,
                       **common), detail


def reason(fingerprint: Fingerprint, previous: dict | None, outputs_exist: bool, force: bool) -> str | None:
    """Why a run must run, or None when it can be skipped (``previous``: its last record)."""
    if force:
        return "forced"
    if previous is None:
        return "new"
    if previous.get("status") != "ok":
        return "previous failure"
    if not outputs_exist:
        return "outputs missing"
    old, new = previous.get("fingerprint", {}), fingerprint.record()
    why = [label for key, label in _LABELS.items() if old.get(key) != new.get(key)]
    old_inputs, new_inputs = old.get("inputs", {}), fingerprint.inputs
    changed = sorted(k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k))
    if changed:
        why.append("inputs changed: " + ", ".join(changed))
    return "; ".join(why) or None


def plan(runs: list[Run], cache: fp.HashCache, force: bool = False, kernel: str = "khuyencong",
         formats: tuple[str, ...] | None = None) -> tuple[list[Planned], dict]:
    """Fingerprint every run and decide; also returns the input table entries. ``formats``
    (``--formats``) replaces each notebook's formats from reports.yml."""
    tables = input_tables(runs, cache)
    common = {"code": fp.package_hash(cache), "environment": fp.lock_hash(cache), "kernel": kernel}
    planned = []
    for r in runs:
        finger, detail = _fingerprint(r, tables, {**common, "formats": list(r.formats(formats))}, cache)
        previous = publish.load_state(r)
        why = reason(finger, previous, publish.outputs_exist(r), force)
        planned.append(Planned(r, finger, detail, why, previous))
    return planned, tables


def data_version(tables: dict) -> str:
    """Short hash of the content of the processed tables the matrix reads."""
    return fp.sha256_json({name: entry["all"] for name, entry in sorted(tables.items())})[:12]
