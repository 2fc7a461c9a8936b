"""The one notebook executor: papermill into a hidden partial file, then stored without machine traces.

``khuyencong run`` (through :mod:`khuyencong.runner.execute`) and ``khuyencong notebooks``
both execute here. Stored notebooks are compared by nbval and byte for byte between runs, so
what they keep must not vary between machines or runs: execution timestamps, papermill's own
metadata, random ids of the cells papermill adds, and the given absolute paths are removed.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, NamedTuple

import nbformat

from khuyencong import paths
from khuyencong.files import atomic_write_text

log = logging.getLogger(__name__)

KERNEL_NAME = "khuyencong"
_VOLATILE_CELL_METADATA = ("execution", "papermill")
_FIXED_IDS = {"injected-parameters": "injected-parameters", "papermill-error-cell-tag": "papermill-error"}


def _coalesce_streams(outputs: list) -> list:
    """One output per run of consecutive stdout (or stderr) chunks: how the kernel flushed is timing, not content."""
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and last is not None and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")):
            last["text"] = "".join(last["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def scrub(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop timestamps and papermill bookkeeping, give papermill's cells stable ids, merge stream chunks;
    keep sources and outputs."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if "outputs" in cell:
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        for tag, fixed in _FIXED_IDS.items():
            if tag in cell.metadata.get("tags", []):
                cell["id"] = f"{fixed}-{i}" if tag != "injected-parameters" else fixed
    return nb


class Executed(NamedTuple):
    notebook: nbformat.NotebookNode
    cells_s: float  # the notebook's own compute: its cells' durations as papermill measured them


def _store(partial: Path, target: Path, replacements: dict[str, str]) -> Executed:
    """Write the scrubbed ``partial`` to ``target`` atomically, each ``replacements`` key swapped for its value."""
    nb = nbformat.read(partial, as_version=4)
    cells_s = round(sum(c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells), 3)
    text = nbformat.writes(scrub(nb)) + "\n"
    for old, new in replacements.items():
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    atomic_write_text(target, text)
    partial.unlink()
    return Executed(nbformat.reads(text, as_version=4), cells_s)


def platform(kernels: str | None = None) -> tuple[type, str]:
    """(kernel manager class, papermill engine name) of a run: our warm kernels and sparse-saving
    engine, or, when a jupyter_client or papermill release no longer has what they override, plain
    nbclient with papermill's own kernel manager (slower, not broken), said once."""
    from khuyencong.runner import engine, kernels as warm

    why = _lacks("jupyter_client", warm.PRIVATE_API) or _lacks("papermill", engine.NEEDED)
    if why is None:
        return warm.manager_class(kernels), engine.NAME
    from jupyter_client.manager import AsyncKernelManager

    warm.mode(kernels)  # a bad mode is still an error
    if why not in _SAID:
        _SAID.add(why)
        log.warning("%s: notebooks run on plain nbclient kernels (slower, same outputs)", why)
    return AsyncKernelManager, "nbclient"


_SAID: set[str] = set()


def _lacks(package: str, needed) -> str | None:
    """"<package> lacks X.y, …" for the (class, attribute) pairs of ``needed`` it no longer has; else None."""
    missing = [f"{cls.__name__}.{name}" for cls, name in needed if not hasattr(cls, name)]
    return f"{package} lacks {', '.join(missing)}" if missing else None


def execute(source: Path, target: Path, parameters: dict[str, Any] | None = None, timeout: int | None = 600,
            kernel: str = KERNEL_NAME, replacements: dict[str, str] | None = None,
            kernels: str | None = None) -> Executed:
    """Run ``source`` with ``parameters`` (in its folder) and store the result at ``target``.

    ``kernels``: "warm" (a fresh kernel forked from a pre-imported parent) or "fresh" (see
    :mod:`khuyencong.runner.kernels`; default ``$KHUYENCONG_KERNELS`` or warm). On failure the
    partially executed notebook is still stored (papermill marks the failing cell) and the
    exception is re-raised. Returns the stored notebook and its cells' compute time.
    """
    import papermill as pm

    os.environ.setdefault("MPLBACKEND", "Agg")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.running.ipynb")
    error: Exception | None = None
    manager, engine_name = platform(kernels)
    try:
        pm.execute_notebook(str(source), str(partial), parameters=parameters or {}, kernel_name=kernel,
                            cwd=str(Path(source).parent), progress_bar=False, execution_timeout=timeout,
                            start_timeout=120, kernel_manager_class=manager, engine_name=engine_name,
                            shutdown_kernel="immediate")  # a run's kernel is thrown away: no 0.1 s goodbye
    except Exception as exc:  # papermill already stored the partial notebook with the error
        error = exc
    if not partial.exists():
        raise error or RuntimeError("papermill wrote no notebook")
    done = _store(partial, target, replacements or {})
    if error is not None:
        raise error
    return done


def store_all(names: list[str] | None = None) -> list[Path]:
    """Re-execute notebooks in ``notebooks/`` in place (default parameters) so nbval has fresh outputs."""
    done = []
    for nb_path in sorted(paths.notebooks_dir().glob("*.ipynb")):
        if names and nb_path.stem not in names and nb_path.name not in names:
            continue
        log.info("executing %s", paths.relative_to_root(nb_path))
        execute(nb_path, nb_path)
        done.append(nb_path)
    return done
