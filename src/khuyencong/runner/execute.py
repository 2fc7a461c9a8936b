"""One report run, executed where a worker runs it (a local process or a Dask worker).

:func:`execute_run` takes and returns plain dicts, so the same function goes to a process pool
or a Dask cluster. It writes only into its staging folder; the coordinator publishes it.
The notebook is stored by :func:`khuyencong.runner.notebooks.execute` with the staging and
project paths replaced, so the same run gives the same bytes wherever it ran.
"""
from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to execute one run: ``source`` into ``staging`` with ``parameters``;
    ``final_ref`` is the output folder the stored notebook shows; ``log`` None keeps output on screen."""

    run_id: str
    root: str
    source: str
    staging: str
    final_ref: str
    name: str
    parameters: dict
    kernel: str
    timeout: int | None
    formats: tuple[str, ...] = ()
    title: str = ""
    log: str | None = None
    kernels: str | None = None  # "warm" or "fresh" (see :mod:`khuyencong.runner.kernels`); None: the default
    data_status: str = "REAL"   # of the tables the notebook reads (its PDF banner), decided by the coordinator


@dataclass(frozen=True)
class RunResult:
    """How one run ended: ``status`` "ok" or "failed" with the ``error`` line, its timing and host."""

    run_id: str
    status: str
    error: str | None = None
    started: str | None = None
    finished: str | None = None
    duration_s: float | None = None
    cells_s: float | None = None
    host: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def failed(self, error: str) -> "RunResult":
        return replace(self, status="failed", error=error)

    @classmethod
    def lost(cls, run_id: str, error: str) -> "RunResult":
        """A run whose worker died (not its kernel)."""
        return cls(run_id, "failed", error, finished=now_iso())


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def first_line(exc: BaseException) -> str:
    """The error as one line: ``ZeroDivisionError: division by zero (cell In [3])`` for notebook errors."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        where = f" (cell In [{exc.exec_count}])" if exc.exec_count is not None else ""
        evalue = (str(exc.evalue).strip().splitlines() or [""])[0]
        return f"{exc.ename}: {evalue}{where}"
    lines = [s for s in str(exc).strip().splitlines() if s.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


@contextmanager
def _output_to(log: str | None) -> Iterator[None]:
    """Send this process's stdout/stderr (and so the kernel's) to ``log`` while running."""
    if not log:
        yield
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    saved = [os.dup(1), os.dup(2)]
    with open(log, "wb") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


@lru_cache(maxsize=1)
def _exporter():
    """One exporter per worker: building it (templates, filters) costs more than most exports."""
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def to_html(nb_path: Path, html_path: Path) -> None:
    """HTML of a stored notebook without code cells or prompts, written atomically."""
    import nbformat

    from khuyencong.files import atomic_write_text

    body, _ = _exporter().from_notebook_node(nbformat.read(nb_path, as_version=4))
    atomic_write_text(html_path, body)


def execute_run(spec: RunSpec) -> RunResult:
    """Execute ``spec.source`` into ``spec.staging``; never raises for notebook problems."""
    from khuyencong.runner import exports
    from khuyencong.runner.notebooks import execute

    started, t0 = now_iso(), time.perf_counter()
    with _project_root(spec.root):
        error, cells_s = _execute_and_store(spec, execute, exports)
    return RunResult(spec.run_id, "failed" if error else "ok", error, started, now_iso(),
                     round(time.perf_counter() - t0, 2), cells_s, os.uname().nodename)


@contextmanager
def _project_root(root: str):
    """``KHUYENCONG_ROOT`` = ``root`` for the kernel this run starts, restored afterwards (a run
    executed in the caller's process must not move the caller's project)."""
    before = os.environ.get("KHUYENCONG_ROOT")
    os.environ["KHUYENCONG_ROOT"] = root
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KHUYENCONG_ROOT", None)
        else:
            os.environ["KHUYENCONG_ROOT"] = before


def _execute_and_store(spec: RunSpec, execute, exports) -> tuple[str | None, float | None]:
    """Run the notebook into the staging folder, then its HTML and other formats; the error line or
    None, and the cells' compute time (None when the notebook failed)."""
    staging = Path(spec.staging)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    target = staging / f"{spec.name}.ipynb"
    error = cells_s = None
    try:
        with _output_to(spec.log):
            cells_s = execute(Path(spec.source), target, {**spec.parameters, "output_dir": str(staging)},
                              spec.timeout, spec.kernel, {str(staging): spec.final_ref, spec.root: "."},
                              spec.kernels).cells_s
    except Exception as exc:  # the stored notebook marks the failing cell; report the first line
        error = first_line(exc)
    try:
        if target.exists():
            exports.tidy(target, spec.log)
            to_html(target, target.with_suffix(".html"))
            if error is None:
                exports.export(target, spec)
    except Exception as exc:  # a notebook that cannot be stored is a failed run, not a crash
        error = error or f"storing the output failed: {first_line(exc)}"
    return error, cells_s
