"""One downloadable workbook per province and language: every table its reports saved, one sheet
per table, and a first sheet saying where the numbers come from and whether they are SYNTHETIC.

The tables are the CSV files of the report folders (what the notebooks saved with
:func:`khuyencong.views.results.save`); the workbook is written with fixed dates so the same
tables give the same bytes.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import openpyxl
import pandas as pd

from khuyencong.core import i18n
from khuyencong.files import atomic_write_bytes, stable_xlsx

SHEET_MAX = 31                      # Excel's limit on sheet names
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def sheet_name(stem: str, taken: set[str]) -> str:
    """``stem`` as a valid, unused Excel sheet name (at most 31 characters)."""
    base = _BAD_SHEET_CHARS.sub("_", stem)[:SHEET_MAX]
    name, i = base, 2
    while name.lower() in taken:
        suffix = f"~{i}"
        name, i = base[:SHEET_MAX - len(suffix)] + suffix, i + 1
    taken.add(name.lower())
    return name


def tables_of(folders: Sequence[Path]) -> list[tuple[str, Path]]:
    """(report title or folder name, CSV path) of every table in ``folders``, in a stable order."""
    return [(folder.name, csv) for folder in folders for csv in sorted(Path(folder).glob("*.csv"))]


def _about(area: str, status: str, lang: str, sources: Sequence[str], listed: list[tuple[str, str, str]]) -> list:
    synthetic = str(status).upper().startswith("SYNTHETIC")
    rows = [[i18n.t("bd_title", lang, area=area)],
            [i18n.t("bd_status", lang), status], [i18n.t("bd_language", lang), lang]]
    if synthetic:
        rows.append([i18n.t("synthetic_note", lang)])
    rows += [[i18n.t("bd_source", lang), s] for s in sources]
    rows += [[], [i18n.t("bd_sheet", lang), i18n.t("bd_report", lang), i18n.t("bd_file", lang)]]
    return rows + [list(item) for item in listed]


def build(area: str, folders: Sequence[Path], status: str, lang: str, sources: Sequence[str] = (),
          base: Path | None = None) -> openpyxl.Workbook:
    """The workbook: an "about" sheet (area, data status, language, sources, the sheet list), then
    one sheet per CSV table of ``folders``; ``base`` makes the listed file names relative."""
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = i18n.t("bd_about_sheet", lang)[:SHEET_MAX]
    taken = {about.title.lower()}
    listed = []
    for report, path in tables_of(folders):
        name = sheet_name(path.stem, taken)
        shown = path.relative_to(base).as_posix() if base else path.name
        listed.append((name, report, shown))
        sheet = wb.create_sheet(name)
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        sheet.append([i18n.t("bd_status", lang), status, i18n.t("bd_language", lang), lang])
        sheet.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            sheet.append([v if c.endswith("code") else _number(v) for c, v in zip(frame.columns, values)])
    for row in _about(area, status, lang, sources, listed):
        about.append(row)
    return wb


def _number(text: str):
    """A CSV cell back as a number when it is a plain machine number; codes such as "01" stay text."""
    return float(text) if _NUMBER.fullmatch(text) else text


def write(path: Path, area: str, folders: Sequence[Path], status: str, lang: str,
          sources: Sequence[str] = (), base: Path | None = None) -> Path:
    """Build and write the bundle atomically, byte-stable."""
    return atomic_write_bytes(path, stable_xlsx(build(area, folders, status, lang, sources, base)))


def bundle_name(slug: str) -> str:
    """The bundle's file name in a province's report folder."""
    return f"{slug}_tables.xlsx"

