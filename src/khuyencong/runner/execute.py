"""One report run, executed where a worker runs it (a local process or a Dask worker).

:func:`execute_run` takes and returns plain dicts, so the same function goes to a process pool
or a Dask cluster. It writes only into its staging folder; the coordinator publishes it.
The stored notebook is scrubbed (no timestamps, no random cell ids, no staging or absolute
paths), so the same run gives the same bytes wherever it ran.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

_FIXED_IDS = {"injected-parameters": "injected-parameters", "papermill-error-cell-tag": "papermill-error"}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def first_line(exc: BaseException) -> str:
    """The error as one line: ``ZeroDivisionError: division by zero (cell In [3])`` for notebook errors."""
    ename = getattr(exc, "ename", None)
    if ename:  # papermill's PapermillExecutionError
        count = getattr(exc, "exec_count", None)
        where = f" (cell In [{count}])" if count is not None else ""
        evalue = (str(getattr(exc, "evalue", "")).strip().splitlines() or [""])[0]
        return f"{ename}: {evalue}{where}"
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


def to_html(nb, html_path: Path) -> None:
    """HTML of a notebook (node or path) without code cells or prompts, written atomically."""
    import nbformat
    from nbconvert import HTMLExporter

    from khuyencong.files import atomic_write_text

    if not hasattr(nb, "cells"):
        nb = nbformat.read(nb, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(html_path, body)


def _finalise(partial: Path, target: Path, replacements: dict[str, str]):
    """Scrub the executed notebook, make cell ids stable and swap staging paths for final ones."""
    import nbformat

    from khuyencong.files import atomic_write_text
    from khuyencong.runner.notebooks import scrub

    nb = scrub(nbformat.read(partial, as_version=4))
    for i, cell in enumerate(nb.cells):
        for tag, fixed in _FIXED_IDS.items():
            if tag in cell.metadata.get("tags", []):
                cell["id"] = f"{fixed}-{i}" if tag != "injected-parameters" else fixed
    text = nbformat.writes(nb) + "\n"
    for old, new in replacements.items():
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    atomic_write_text(target, text)
    partial.unlink()
    return nbformat.reads(text, as_version=4)


def execute_run(spec: dict) -> dict:
    """Execute ``spec["source"]`` into ``spec["staging"]``; never raises for notebook problems.

    Keys of ``spec``: root, source, cwd, staging, final_ref (the output_dir text the stored
    notebook shows), name, parameters, kernel, timeout, log (or None), run_id.
    """
    started, t0 = now_iso(), time.perf_counter()
    os.environ["KHUYENCONG_ROOT"] = spec["root"]
    os.environ.setdefault("MPLBACKEND", "Agg")
    staging = Path(spec["staging"])
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    partial = staging / f".{spec['name']}.running.ipynb"
    target = staging / f"{spec['name']}.ipynb"
    error = None
    try:
        import papermill as pm

        with _output_to(spec.get("log")):
            pm.execute_notebook(spec["source"], str(partial), kernel_name=spec["kernel"],
                                parameters={**spec["parameters"], "output_dir": str(staging)},
                                cwd=spec["cwd"], progress_bar=False, execution_timeout=spec["timeout"],
                                start_timeout=120)
    except Exception as exc:  # the partial notebook marks the failing cell; report the first line
        error = first_line(exc)
    try:
        if partial.exists():
            replacements = {str(staging): spec["final_ref"], spec["root"]: "."}
            nb = _finalise(partial, target, replacements)
            to_html(nb, target.with_suffix(".html"))
        elif error is None:
            error = "papermill wrote no notebook"
    except Exception as exc:  # a notebook that cannot be stored is a failed run, not a crash
        error = error or f"storing the output failed: {first_line(exc)}"
    return {"run_id": spec["run_id"], "status": "failed" if error else "ok", "error": error,
            "started": started, "finished": now_iso(), "duration_s": round(time.perf_counter() - t0, 2),
            "host": os.uname().nodename}
