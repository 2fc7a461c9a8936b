"""One downloadable workbook per province and language: every table its reports saved, one sheet
per table, and a first sheet saying where the numbers come from and whether they are SYNTHETIC.

The tables are the CSV files of the report folders (what the notebooks saved with
:func:`khuyencong.views.results.save`), each sheet exactly its CSV, stamp columns included
(``data_status``, ``data_source``, ``lang``: :class:`khuyencong.ingest.export.Stamp`), so
``pd.read_excel(path, sheet_name=...)`` reads a sheet as ``pd.read_csv`` reads the CSV. The
workbook is written with fixed dates so the same tables give the same bytes.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Sequence

import openpyxl
import pandas as pd

from khuyencong.core import i18n
from khuyencong.files import atomic_write_bytes, stable_xlsx
from khuyencong.ingest.export import STAMP_COLUMNS, Stamp, stamp_of

log = logging.getLogger(__name__)
UNKNOWN = "–"                       # status of a table that carries none

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


def _status(stamps: Sequence[Stamp | None], given: str | None) -> str:
    """SYNTHETIC if any table (or ``given``) is; else ``given``, or REAL when every table says so;
    "–" when tables carry no status and none is given."""
    known = [s.status for s in stamps if s is not None] + ([given] if given else [])
    if any(str(s).startswith("SYNTHETIC") for s in known):
        return "SYNTHETIC"
    if given:
        return given
    return "REAL" if known and None not in stamps else UNKNOWN


def _about(area: str, status: str, lang: str, sources: Sequence[str], listed: list[tuple]) -> list:
    rows = [[i18n.t("bd_title", lang, area=area)],
            [i18n.t("bd_status", lang), status], [i18n.t("bd_language", lang), lang]]
    if status.startswith("SYNTHETIC"):
        rows.append([i18n.t("synthetic_note", lang)])
    rows += [[i18n.t("bd_source", lang), s] for s in sources]
    rows += [[], [i18n.t(k, lang) for k in ("bd_sheet", "bd_report", "bd_file", "bd_status", "bd_source")]]
    return rows + [list(item) for item in listed]


def build(area: str, folders: Sequence[Path], status: str | None, lang: str, sources: Sequence[str] = (),
          base: Path | None = None) -> openpyxl.Workbook:
    """The workbook: an "about" sheet (area, data status, language, sources, the sheet list with each
    table's status and source), then one sheet per CSV table of ``folders``, as the CSV is (its
    ``data_status``/``data_source``/``lang`` columns included: the first row is the header).

    The status and sources come from the tables' own stamps; ``status`` and ``sources`` add to them
    (SYNTHETIC wins). ``base`` makes the listed file names relative. A table in another language
    than ``lang`` is an error; a table without a stamp is listed with status "–" and a warning.
    """
    i18n.check_lang(lang)
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = i18n.t("bd_about_sheet", lang)[:SHEET_MAX]
    taken = {about.title.lower()}
    listed, stamps = [], []
    for report, path in tables_of(folders):
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        shown = path.relative_to(base).as_posix() if base else path.name
        tag = stamp_of(frame)
        if tag is not None and tag.lang != lang:
            raise ValueError(f"{shown}: a {tag.lang} table cannot go into the {lang} bundle of {area}")
        if tag is None:
            log.warning("%s carries no data status (data_status, data_source, lang columns)", shown)
        stamps.append(tag)
        name = sheet_name(path.stem, taken)
        listed.append((name, report, shown, tag.status if tag else UNKNOWN, tag.source if tag else ""))
        sheet = wb.create_sheet(name)
        sheet.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            sheet.append([v if c.endswith("code") or c in STAMP_COLUMNS else _number(v)
                          for c, v in zip(frame.columns, values)])
    overall = _status(stamps, status)
    found = [s.source for s in stamps if s is not None and s.source]
    for row in _about(area, overall, lang, list(dict.fromkeys([*sources, *found])), listed):
        about.append(row)
    props = wb.properties
    props.title, props.subject, props.language = i18n.t("bd_title", lang, area=area), overall, lang
    return wb


def _number(text: str):
    """A CSV cell back as a number when it is a plain machine number; codes such as "01" stay text."""
    return float(text) if _NUMBER.fullmatch(text) else text


def write(path: Path, area: str, folders: Sequence[Path], status: str | None, lang: str,
          sources: Sequence[str] = (), base: Path | None = None) -> Path:
    """Build (:func:`build`) and write the bundle atomically, byte-stable."""
    return atomic_write_bytes(path, stable_xlsx(build(area, folders, status, lang, sources, base)))


def bundle_name(slug: str) -> str:
    """The bundle's file name in a province's report folder."""
    return f"{slug}_tables.xlsx"

