"""``make report``: processed data first, then every notebook executed into ``reports/``.

Read top to bottom: published figures → cleaned datasets → notebooks (executed copy + HTML
without code). A failed notebook keeps its partial output and the others still run.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import paths
from .files import atomic_write_text
from .notebooks import execute


def to_html(nb_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
    atomic_write_text(html_path, body)


def run_notebook(source: Path, out_dir: Path) -> str | None:
    """Execute one notebook into ``out_dir``; return the first line of the error, or None."""
    target = out_dir / source.name
    try:
        execute(source, target)
    except Exception as exc:  # reported in the summary; the partial notebook is kept
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    finally:
        if target.exists():
            to_html(target, target.with_suffix(".html"))
    return None


def build_reports() -> int:
    from .clean import clean_all
    from .published import build_published

    start = time.perf_counter()
    published = build_published()
    print(f"published figures: {len(published)} rows → {paths.relative_to_root(paths.processed_dir())}/")
    print(clean_all().format())

    out_dir = paths.reports_dir()
    failures = {}
    for source in sorted(paths.notebooks_dir().glob("*.ipynb")):
        print(f"running {source.name} …", flush=True)
        error = run_notebook(source, out_dir)
        if error:
            failures[source.name] = error
            print(f"  FAILED: {error}")
    elapsed = time.perf_counter() - start
    print(f"reports in {paths.relative_to_root(out_dir)}/ — {elapsed:.1f} s, {len(failures)} failed")
    for name, error in failures.items():
        print(f"  {name}: {error}")
    return 1 if failures else 0
