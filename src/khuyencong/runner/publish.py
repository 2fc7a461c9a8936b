"""Where a run's outputs and record live, and how they replace the old ones without a half-written state.

A run executes into ``reports/.staging/<pid>/<run id>/``; publishing notes that it is under way
(``reports/.state/publishing/<run id>``), moves the old folder aside into ``reports/.trash/``
and the staging folder into place (two renames), then writes the run's record to
``reports/.state/runs/<run id>.json`` and drops the note. :func:`recover` undoes what a killed
run left; a note still there means the outputs may be newer than the record, so the record is
dropped and the run runs again.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

from khuyencong import paths
from khuyencong.errors import EnvironmentProblem
from khuyencong.files import atomic_write_text
from khuyencong.runner.config import Run, inside_reports

STAGING = ".staging"
TRASH = ".trash"


def state_file(run: Run) -> Path:
    return paths.state_dir() / "runs" / f"{run.run_id}.json"


def final_dir(run: Run) -> Path:
    return inside_reports(run.rel_dir)


def _pending(run: Run) -> Path:
    """The note that ``run`` is being published (beside, not among, the records: they are watched)."""
    return paths.state_dir() / "publishing" / run.run_id


def _own_folder(name: str) -> Path:
    """``reports/<name>`` (.staging or .trash), refused when it is a symbolic link: the runner
    deletes inside these folders and must never follow a link out of ``reports/``."""
    folder = paths.reports_dir() / name
    if folder.is_symlink():
        shown = f"{paths.relative_to_root(paths.reports_dir())}/{name}"  # the link, not where it points
        raise EnvironmentProblem(f"{shown} is a symbolic link; the runner keeps its own temporary files "
                                 f"there and will not delete through a link: remove the link (rm {shown}) "
                                 "and run again")
    return folder


def staging_root() -> Path:
    """This process's staging folder (one per coordinator, so two never mix)."""
    return _own_folder(STAGING) / f"{os.getpid()}"


def load_state(run: Run) -> dict | None:
    """The run's last record, or None when it never ran (or the record is unreadable)."""
    try:
        record = json.loads(state_file(run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def outputs_exist(run: Run) -> bool:
    final = final_dir(run)
    return all((final / f"{run.notebook.name}{ext}").exists() for ext in (".ipynb", ".html"))


def recover(runs: list[Run] = ()) -> list[str]:
    """Undo what a killed run left: restore reports moved aside, drop half-written staging folders,
    and drop the record of any of ``runs`` whose publishing was cut before its record was written."""
    notes = []
    trash = _own_folder(TRASH)
    if trash.is_dir():
        for entry in sorted(trash.iterdir()):
            final = inside_reports(unquote(entry.name))
            if final.exists():
                shutil.rmtree(entry)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(entry, final)
                notes.append(f"restored {paths.relative_to_root(final)} left aside by an interrupted run")
        _rmdir_empty(trash)
    staging = _own_folder(STAGING)
    if staging.is_dir():
        if any(staging.iterdir()):
            notes.append("removed unfinished outputs of an interrupted run")
        shutil.rmtree(staging)
    for run in runs:
        if _pending(run).exists():
            state_file(run).unlink(missing_ok=True)
            _pending(run).unlink()
            notes.append(f"{run.label} was being published when a run was interrupted: it will run again")
    return notes


def publish(staging: Path, run: Run) -> list[str]:
    """Replace the run's folder by ``staging`` in two renames; return its files relative to reports/."""
    final = final_dir(run)
    final.parent.mkdir(parents=True, exist_ok=True)
    aside = _own_folder(TRASH) / quote(run.rel_dir, safe="")
    aside.parent.mkdir(parents=True, exist_ok=True)
    if aside.exists():
        shutil.rmtree(aside)
    atomic_write_text(_pending(run), run.run_id + "\n")
    if final.exists():
        _rename(final, aside)
    try:
        _rename(staging, final)
    except BaseException:
        if aside.exists() and not final.exists():
            os.rename(aside, final)  # they are on one file system: the first rename worked
        _pending(run).unlink(missing_ok=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    base = paths.reports_dir()
    return sorted(p.relative_to(base).as_posix() for p in final.rglob("*") if p.is_file())


def _rename(source: Path, target: Path) -> None:
    """``os.rename``; a rename across file systems (EXDEV) becomes a message saying what to do."""
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        raise EnvironmentProblem(
            f"cannot move {paths.relative_to_root(source)} to {paths.relative_to_root(target)}: they are on "
            "different file systems, and a report is only replaced in one step within one; keep reports/ "
            "with its .staging and .trash folders on one file system (mount or link the whole reports/ "
            "folder, not parts of it)") from None


def clean_up(staging: Path) -> None:
    """Remove this process's staging folder and the shared ones when they are empty."""
    shutil.rmtree(staging, ignore_errors=True)
    for leftover in (staging.parent, paths.reports_dir() / TRASH):
        _rmdir_empty(leftover)


def _rmdir_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def write_record(run: Run, fingerprint, inputs: dict, result, outputs: list[str]) -> dict:
    """Write and return the run's record (``fingerprint``: its :class:`~khuyencong.runner.plan.Fingerprint`;
    ``result``: its :class:`~khuyencong.runner.execute.RunResult`): parameters, fingerprint, inputs,
    timing, status, outputs."""
    from khuyencong.runner.manifest import environment, git_state, reproduce_command

    params = fingerprint.parameters
    record = {"run_id": run.run_id, "label": run.label, "notebook": f"notebooks/{run.notebook.name}.ipynb",
              "province_code": run.code, "parameters": params, "fingerprint": fingerprint.record(),
              "inputs": inputs, **{k: getattr(result, k) for k in ("status", "error", "started", "finished",
                                                                   "duration_s", "cells_s", "host")},
              "git": git_state(), "environment": environment(), "outputs": outputs,
              "reproduce": "cd notebooks && " + reproduce_command(run.notebook.name, params, fingerprint.kernel)}
    atomic_write_text(state_file(run), json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    _pending(run).unlink(missing_ok=True)
    return record
