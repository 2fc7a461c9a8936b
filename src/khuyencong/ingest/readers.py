"""Read a raw province file, whatever its format, into a :class:`RawTable` with canonical column names.

The content type is sniffed by :mod:`khuyencong.ingest.formats` (a CSV saved as ``.xlsx`` is read
as CSV, an HTML table saved as ``.xls`` as HTML): CSV text goes through
:mod:`khuyencong.ingest.csvfile`, a GSO PX-Web export through :func:`read_pxweb_raw`, every other
``.xlsx`` workbook through python-calamine with its cells as stored (:func:`read_xlsx_raw`), every
other table format (``.xls``, ``.ods``, HTML, Word and PDF tables) through the grids of
:func:`khuyencong.ingest.formats.read_document`. Headers are matched by
:mod:`khuyencong.ingest.headers`. Cell values are kept as printed; parsing and checking happen in
:mod:`khuyencong.ingest.validate`. A file laid out as an annex (no recognised header row) is read
through its reviewed mapping instead: see ``khuyencong map``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.ingest.csvfile import is_pxweb, read_csv_raw
from khuyencong.ingest.formats import Document, Grid, read_document, read_workbook, sniff
from khuyencong.ingest.headers import HEADER_SCAN_ROWS, RawFormatError, all_keys, find_header, fold, \
    header_index, plain_text, resolve_layout, score, split_header
from khuyencong.ingest.problems import Problem
from khuyencong.ingest.rawtable import RawTable, finish
from khuyencong.paths import relative_to_root

#: Suffixes of the table files a folder given to ``validate``/``clean`` is searched for.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")


# ---------------------------------------------------------------- sheets and tables of every format

def _head(grid: Grid) -> list[list[str]]:
    return [[plain_text(v) for v in row] for row in grid.rows[:HEADER_SCAN_ROWS + 1]]


def _pick_grid(doc: Document, sheet: str | None, dataset: str | None, where: str) -> Grid:
    names = [g.name for g in doc.grids]
    if sheet is not None:
        if sheet in dict(doc.skipped):
            raise RawFormatError(f"{where}: sheet {sheet!r} is hidden; unhide it to read it")
        if sheet not in names:
            raise RawFormatError(f"{where}: no sheet {sheet!r}; sheets: {names}")
        return doc.grids[names.index(sheet)]
    keys = header_index(dataset) if dataset else all_keys()
    scored = []
    for grid in doc.grids:
        found = find_header(_head(grid), keys)
        if found:
            scored.append((score(found[2], keys), grid.name))
    if not scored:
        raise RawFormatError(f"{where}: no sheet or table has a recognisable header row (found: {names}); put the "
                             "data under a header row such as 'Năm', 'Tỉnh/thành phố', ..., or, for an annex laid "
                             f"out as the province published it, run `khuyencong map {where}` and review the mapping")
    top = max(s for s, _ in scored)
    best = [n for s, n in scored if s == top]
    if len(best) > 1:
        raise RawFormatError(f"{where}: sheets {best} look equally like data; pass the sheet to read.")
    return doc.grids[names.index(best[0])]


def read_grid_raw(path: Path, doc: Document, dataset: str | None = None, sheet: str | None = None) -> RawTable:
    """The data table among the grids of ``doc`` (any table format): the best-matching header.
    Grid text is NFC already (:mod:`khuyencong.ingest.formats`)."""
    where = relative_to_root(path)
    grid = _pick_grid(doc, sheet, dataset, where)
    where_sheet = f"{where} [sheet {grid.name}]"
    start, n_rows, cells, dataset, mapping, ignored = resolve_layout(_head(grid), dataset, where_sheet)
    skip, width = start + n_rows, len(cells)
    rows = [r[:width] + [None] * (width - len(r)) for r in grid.rows[skip:]]
    body = pd.DataFrame(rows, columns=range(width), dtype=object)
    if doc.stored:  # columns typed by their cells (ints with blanks → float) as before the switch to calamine
        body = body.infer_objects()
    raw = finish(body, skip + 1, mapping, dataset,
                 dict(source=where, sheet=grid.name, ignored_headers=ignored, encoding=doc.encoding,
                      header_rows=tuple(range(start + 1, skip + 1))))
    raw.extra_problems = _hidden_sheets(where, [name for name, _ in doc.skipped])
    return raw


# ---------------------------------------------------------------- XLSX

def _hidden_sheets(where: str, hidden: list[str]) -> list[Problem]:
    """A warning per hidden sheet: its rows are not read (a stale draft must not replace the data)."""
    return [Problem(where, name, None, "", "", f"hidden sheet {name!r} was not read",
                    "unhide the sheet if it holds the data", "warning", "hidden sheet")
            for name in hidden]


def read_xlsx_raw(path: Path, dataset: str | None = None, sheet: str | None = None) -> RawTable:
    """An .xlsx workbook through python-calamine, cells as the workbook stores them
    (:func:`khuyencong.ingest.formats.read_workbook`): ``4`` stays ``4`` and ``4.5`` stays ``4.5``,
    as the rejected-rows files print them. Hidden sheets are skipped with a warning; the rows are
    read to the sheet's last cell whatever its stored ``<dimension>`` says, the sheet's real extent
    checked against the limits before it is expanded."""
    return read_grid_raw(path, read_workbook(path), dataset, sheet)


# ---------------------------------------------------------------- PX-Web (GSO) → province_stats

def _pxweb_column(title: str, where: str) -> str:
    folded = f" {fold(title)} "
    hits = []
    for col in ds.PROVINCE_STATS.columns:
        if col.kind not in ("money", "float", "int") or col.name == "year":
            continue
        for spelling in (col.en, *col.synonyms):
            key = split_header(spelling)[0]
            if key and f" {key} " in folded:
                hits.append((len(key), col.name))
    if not hits:
        raise RawFormatError(f"{where}: GSO PX-Web table {title!r} does not correspond to a province_stats "
                             f"column ({', '.join(c.name for c in ds.PROVINCE_STATS.columns[2:])}).")
    return max(hits)[1]


def read_pxweb_raw(path: Path) -> RawTable:
    """A GSO PX-Web export as a long province_stats table (via :func:`khuyencong.ingest.gso.read_pxweb`).

    Region/country rows and unknown names are kept so that validation rejects them visibly;
    ``..`` cells (no observation) are not rows. With several measures the ``Total`` one is used.
    """
    from khuyencong.ingest.gso import read_pxweb

    where = relative_to_root(path)
    table = read_pxweb(path, strict=False)
    column = _pxweb_column(table.title, where)
    measures = table.measures
    measure = measures[0] if len(measures) == 1 else ("Total" if "Total" in measures else None)
    if measure is None:
        raise RawFormatError(f"{where}: several measures {measures} and none is 'Total'; convert it "
                             "with khuyencong.ingest.gso.to_province_stats(..., measure=...) first.")
    parts = []
    for part in (table.data, table.aggregates):
        rows = part[(part["measure"] == measure) & part["value"].notna()]
        parts.append(pd.DataFrame({"province": rows["name_as_printed"].astype(object),
                                   "year": rows["year"].astype(object), column: rows["value"].astype(object),
                                   "source_row": rows["source_row"].astype("int64")}))
    rej = table.rejected
    parts.append(pd.DataFrame({"province": rej["name_as_printed"].astype(object), "year": None,
                               column: None, "source_row": rej["line"].astype("int64")}))
    frame = pd.concat(parts, ignore_index=True)
    order = np.lexsort((pd.to_numeric(frame["year"]).fillna(-1).to_numpy(), frame["source_row"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    others = [c.label for c in table.columns if c.measure != measure]
    return RawTable(frame=frame, dataset="province_stats", source=where, sheet=None,
                    header_map={"province": "(row name)", "year": "(year in the column label)",
                                column: f"{table.title} [{measure}]"},
                    unit_scale={column: 1.0} if ds.PROVINCE_STATS.column(column).kind == "money" else {},
                    ignored_headers=others, encoding="utf-8-sig", decimal=".")


# ---------------------------------------------------------------- entry point

def content_kind(path: Path) -> str:
    """What the file holds, whatever its extension (see :func:`khuyencong.ingest.formats.sniff`)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return sniff(path.read_bytes() if head.startswith(b"PK\x03\x04") else head, path)


def read_raw(path: Path | str, dataset: str | None = None, sheet: str | None = None) -> RawTable:
    """Read one raw table file; ``dataset`` is recognised from the headers when None."""
    path = Path(path)
    if dataset is not None and dataset not in ds.DATASETS:
        raise RawFormatError(f"unknown dataset {dataset!r}; one of {', '.join(ds.DATASETS)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    kind = content_kind(path)
    if kind == "csv":
        if dataset in (None, "province_stats") and is_pxweb(path):
            return read_pxweb_raw(path)
        return read_csv_raw(path, dataset)
    if kind == "xlsx":
        return read_xlsx_raw(path, dataset, sheet)
    return read_grid_raw(path, read_document(path), dataset, sheet)
