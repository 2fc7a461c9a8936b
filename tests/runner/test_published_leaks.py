"""Nothing a machine should keep to itself reaches a published report: a small real report build in a
scratch project (the real notebooks and processed tables, one province, one language), then every
file under reports/ is scanned for absolute machine paths, Python warnings and tracebacks
(:func:`khuyencong.runner.exports.leaks`) and for tables without their data status
(:func:`khuyencong.ingest.export.read_stamp`). A planted leak of each kind proves the scan can fail.
"""
from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from khuyencong import paths
from khuyencong.core import i18n
from khuyencong.ingest.export import export_table, read_stamp, stamp_of
from khuyencong.runner import pdf
from khuyencong.runner.exports import leaks
from run_project import real_notebooks_project
from test_run import run

NOTEBOOKS = {"05_real_record": {}, "90_province_report": {"n_boot": 49}}  # one REAL, one SYNTHETIC report
TEXT = {".html", ".ipynb", ".csv", ".svg", ".md", ".json", ".txt", ".log", ".yml", ".css", ".js"}
OFFICE = {".xlsx", ".docx"}
BINARY = {".png", ".pdf"}  # PDF text is checked by the PDF tests; PNG holds no text
ABOUT_SHEETS = {i18n.t("bd_about_sheet", lang) for lang in i18n.LANGS}


def _text(path: Path) -> str:
    if path.suffix.lower() in OFFICE:
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return path.read_text(encoding="utf-8-sig")


def _unstamped(path: Path) -> bool:
    """A CSV, or a sheet of an XLSX other than an "about" sheet, without data status/source/language."""
    if path.suffix.lower() == ".csv":
        return read_stamp(path) is None
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl")
    return any(stamp_of(df) is None for name, df in sheets.items() if name not in ABOUT_SHEETS)


def scan(reports: Path) -> dict[str, list[str]]:
    """{file (relative to ``reports``): what leaks from it} for every published file."""
    found = {}
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        rel = path.relative_to(reports).as_posix()
        suffix = path.suffix.lower()
        if rel.startswith(".") or suffix in BINARY:  # .state/ and .lock are the runner's, never published
            continue
        if suffix not in TEXT | OFFICE:
            found[rel] = [f"unexpected file type {suffix!r}: add it to the scan"]
            continue
        text = _text(path)
        problems = leaks(text)
        if suffix in (".csv", ".xlsx") and _unstamped(path):
            problems.append("table without data status (data_status, data_source, lang columns)")
        if problems:
            found[rel] = problems
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A scratch project with the real notebooks and data, run for Hà Nội in Vietnamese."""
    root = real_notebooks_project(tmp_path_factory.mktemp("leaks") / "p", NOTEBOOKS, "Hà Nội")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["khuyencong", "run"])  # the manifest records the command, not pytest's
        formats = None if any(shutil.which(b) for b in pdf.BROWSERS) else ["html", "docx"]  # every format we can make
        assert run(root, workers=1, provinces=["Hà Nội"], formats=formats) == 0  # the province runs only: national ones are slow
    return root / "reports"


@pytest.mark.slow
def test_no_published_file_leaks(built):
    tables = sorted(built.rglob("*.csv"))
    assert len(tables) >= 5 and any(built.rglob("*.xlsx")), "the build must publish tables to scan"
    found = scan(built)
    assert not found, "\n".join(f"{rel}: {', '.join(what[:3])}" for rel, what in found.items())


@pytest.mark.slow
def test_each_kind_of_planted_leak_is_found(built, tmp_path):
    reports = Path(shutil.copytree(built, tmp_path / "reports"))
    html = next(reports.rglob("90_province_report.html"))
    html.write_text(html.read_text(encoding="utf-8").replace(
        "</body>", f"<pre>{paths.project_root()}/src/x.py:3: UserWarning: boom</pre></body>"), encoding="utf-8")
    svg = next(reports.rglob("*.svg"))
    svg.write_text(svg.read_text(encoding="utf-8") + "<!-- Traceback (most recent call last) -->", encoding="utf-8")
    stamped = next(reports.rglob("*.csv"))
    pd.read_csv(stamped, encoding="utf-8-sig").drop(columns="data_status").to_csv(stamped, index=False)
    export_table(pd.DataFrame({"file": ["/home/someone/data.xlsx"]}), html.with_name("extra.xlsx"))
    found = scan(reports)
    rel = lambda p: p.relative_to(reports).as_posix()  # noqa: E731
    assert set(found) == {rel(html), rel(svg), rel(stamped), rel(html.with_name("extra.xlsx"))}
    assert any("UserWarning: " in x for x in found[rel(html)]) and any(str(paths.project_root()) in x
                                                                       for x in found[rel(html)])
    assert found[rel(stamped)] == ["table without data status (data_status, data_source, lang columns)"]
    assert "/home/someone/data.xlsx" in found[rel(html.with_name("extra.xlsx"))]
