"""Execute notebooks with papermill and store them without machine-specific traces.

Stored notebooks are compared by nbval, so what they keep must not vary between machines or
runs: execution timestamps, papermill's own metadata and absolute paths are removed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat

from khuyencong import paths
from khuyencong.files import atomic_write_text

KERNEL_NAME = "khuyencong"
_VOLATILE_CELL_METADATA = ("execution", "papermill")


def scrub(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop timestamps and papermill bookkeeping; keep sources and outputs."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return nb


def execute(source: Path, target: Path, parameters: dict[str, Any] | None = None,
            timeout: int | None = 600) -> nbformat.NotebookNode:
    """Run ``source`` with ``parameters`` and write the scrubbed result to ``target`` atomically.

    On failure the partially executed notebook is still written (papermill marks the failing
    cell) and the exception is re-raised.
    """
    import papermill as pm

    os.environ.setdefault("MPLBACKEND", "Agg")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.running.ipynb")
    error: Exception | None = None
    try:
        pm.execute_notebook(
            str(source), str(partial), parameters=parameters or {}, kernel_name=KERNEL_NAME,
            cwd=str(Path(source).parent), progress_bar=False, execution_timeout=timeout,
        )
    except Exception as exc:  # papermill already stored the partial notebook with the error
        error = exc
    nb = nbformat.read(partial, as_version=4)
    partial.unlink()
    atomic_write_text(target, nbformat.writes(scrub(nb)) + "\n")
    if error is not None:
        raise error
    return nb


def store_all(names: list[str] | None = None) -> list[Path]:
    """Re-execute notebooks in ``notebooks/`` in place (default parameters) so nbval has fresh outputs."""
    done = []
    for nb_path in sorted(paths.notebooks_dir().glob("*.ipynb")):
        if names and nb_path.stem not in names and nb_path.name not in names:
            continue
        print(f"executing {paths.relative_to_root(nb_path)}", flush=True)
        execute(nb_path, nb_path)
        done.append(nb_path)
    return done
