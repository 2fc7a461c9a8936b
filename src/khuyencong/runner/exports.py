"""What a run publishes besides its notebook: tidy outputs, then the PDF and Word formats.

:func:`tidy` cleans the stored notebook before its HTML is made: Python warnings and other
stderr output go to the run log instead of the report, and pandas' 0, 1, 2 … row numbers are
dropped from tables. :func:`export` then writes the formats asked for: a brief's PDF is typeset
from the document the brief saved (:mod:`khuyencong.views.typeset`, no browser) and its Word file
built from the same document (:mod:`khuyencong.views.docx_brief`); any other notebook's PDF is its
HTML printed by headless Chromium (:mod:`khuyencong.runner.pdf`), only when asked for.
:func:`leaks` finds what must never reach a published report (absolute paths, warnings).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

FORMATS = ("html", "pdf", "docx")
DEFAULT_FORMATS = ("html",)
BRIEF_NOTEBOOKS = ("90_province_report",)   # notebooks saving a brief document: typeset PDF and Word
_STDERR = "stderr"
_EMPTY_INDEX_HEAD = re.compile(r"(<thead>\s*<tr[^>]*>)\s*<th></th>")
_ROW_NUMBER = re.compile(r"(<tr>)\s*<th>(\d+)</th>")
_LEAKS = (re.compile(r"(?<![\w.:/])/(?:home|root|tmp|work|Users|usr|var|opt|mnt|srv)/[^\s\"'<>]*"),
          re.compile(r"[A-Za-z]:\\\\?(?:Users|Windows)\\[^\s\"'<>]*"),
          re.compile(r"\b\w*Warning: "),
          re.compile(r"Traceback \(most recent call last\)"))


def check_formats(formats: Iterable[str], error=ValueError) -> tuple[str, ...]:
    """``formats`` in :data:`FORMATS` order, HTML always included (PDF is printed from it)."""
    chosen = {str(f).strip().lower() for f in formats if str(f).strip()}
    unknown = sorted(chosen - set(FORMATS))
    if unknown:
        raise error(f"unknown format(s) {unknown}: choose among {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in chosen | {"html"})


def _drop_row_numbers(html: str) -> str:
    """A pandas table's HTML without its default 0, 1, 2 … row labels (other indexes are kept)."""
    if html.count('class="dataframe"') != 1 or not _EMPTY_INDEX_HEAD.search(html):
        return html
    numbers = [int(n) for _, n in _ROW_NUMBER.findall(html)]
    if numbers != list(range(len(numbers))) or "<th" in _ROW_NUMBER.sub("", html).split("<tbody>")[-1]:
        return html
    return _ROW_NUMBER.sub(r"\1", _EMPTY_INDEX_HEAD.sub(r"\1", html))


def tidy(nb_path: Path, log_path: str | None = None) -> None:
    """Move stderr outputs of the stored notebook to ``log_path`` and drop pandas row numbers."""
    import nbformat

    from khuyencong.files import atomic_write_text

    nb = nbformat.read(nb_path, as_version=4)
    moved = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == _STDERR:
                moved.append(out.get("text", ""))
                continue
            html = out.get("data", {}).get("text/html") if out.get("output_type") in ("display_data",
                                                                                        "execute_result") else None
            if isinstance(html, str):
                out["data"]["text/html"] = _drop_row_numbers(html)
            kept.append(out)
        cell["outputs"] = kept
    if moved and log_path:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write("".join(moved))
    atomic_write_text(nb_path, nbformat.writes(nb) + "\n")


def _this_machine() -> re.Pattern:
    """This machine's own folders (project, package, home), wherever they live: a checkout under
    ``/check`` or ``/srv/x`` leaks as much as one under ``/home``."""
    from khuyencong import paths

    roots = {str(p) for p in (paths.project_root(), paths.PACKAGE_DIR.parents[1], Path.home()) if len(p.parts) > 1}
    alternatives = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?<![\w.:/])(?:{alternatives})(?:/[^\s\"'<>]*)?(?![\w.-])")


def leaks(text: str) -> list[str]:
    """Absolute machine paths and Python warnings in a published report's text."""
    found = [m.group(0) for pattern in _LEAKS for m in pattern.finditer(text)]
    return found + [m.group(0) for m in _this_machine().finditer(text) if not any(m.group(0) in f for f in found)]


def needs_browser(name: str, formats: Iterable[str]) -> bool:
    """Whether notebook ``name``'s ``formats`` need Chromium (a PDF printed from HTML)."""
    return "pdf" in formats and name not in BRIEF_NOTEBOOKS


def export(nb_path: Path, spec) -> list[Path]:
    """Write the formats beyond HTML (``spec.formats``) of the run stored at ``nb_path``, its HTML and
    saved outputs beside it; ``spec`` is the run's :class:`khuyencong.runner.execute.RunSpec`."""
    from khuyencong.core import i18n

    formats, parameters, title, name = spec.formats, spec.parameters, spec.title, spec.name
    written = []
    if name in BRIEF_NOTEBOOKS:
        from khuyencong.views import brief_doc, docx_brief, typeset

        if not set(formats) & {"pdf", "docx"}:
            return written
        folder = nb_path.parent
        doc = brief_doc.load(folder)  # read once for both formats
        if "pdf" in formats:
            written.append(typeset.pdf(folder, nb_path.with_suffix(".pdf"), doc))
        if "docx" in formats:
            written.append(docx_brief.save(docx_brief.build(doc, folder), nb_path.with_suffix(".docx")))
        return written
    if "pdf" in formats:
        from khuyencong.runner import pdf

        lang, synthetic = parameters["lang"], spec.data_status == "SYNTHETIC"  # carried as data, not read from the page
        banner = i18n.t("synthetic_note" if synthetic else "pdf_real_note", lang)
        written.append(pdf.html_to_pdf(nb_path.with_suffix(".html"), nb_path.with_suffix(".pdf"), banner, title,
                                       synthetic))
    return written
