"""A file read through its reviewed mapping, as a register :class:`RawTable` the usual checks run on.

``validate`` and ``clean`` call :func:`read_mapped` for every file with a ``FILE.mapping.yml``
beside it. :func:`khuyencong.ingest.annex_rows.read_annex` reads the annex (title rows, sections,
subtotals, totals); its data rows become register rows (money already in million VND, codes from
the mapping), and what it found is kept on the table:

- a problem on a data row rejects that row (the register checks add nothing more to it);
- a problem on a section, subtotal or total row (e.g. a total that does not reconcile) is reported
  without rejecting a data row;
- a problem of the whole file (a scan without text, an unknown province in the title) means no
  row can be read: the file is reported as unreadable.

IDs the file does not carry are derived and stable: ``project_id`` is ``<file stem>:<row>``
(``<file stem>:<table>.<row>`` in a Word/PDF file with several tables, ``<file stem>:<sheet>!<row>`` in a
workbook with several annex sheets), ``establishment_id``
comes from the beneficiary name + province + district (``D-`` + a hash).
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.errors import ConfigurationError
from khuyencong.ingest.annex_rows import AnnexResult, Issue, read_annex
from khuyencong.ingest.mapping import Mapping
from khuyencong.ingest.problems import ISSUE_COLUMNS, Problem
from khuyencong.ingest.rawtable import RawTable
from khuyencong.paths import relative_to_root

log = logging.getLogger(__name__)

#: Register column ← record field of :func:`~khuyencong.ingest.annex_rows.read_annex`.
FIELDS = {"year": "year", "province": "province", "title": "title", "category": "category_code",
          "funding_source": "funding_source", "establishment_id": "establishment_id",
          "establishment_name": "beneficiary", "district": "district", "industry": "industry",
          "state_support": "state_total", "trainees": "trainees", "machines": "machines",
          "beneficiary_contribution": "beneficiary_contribution", "total_cost": "total", "status": "status_code"}
#: A label the mapping gives no code stays as printed, so the register check names it.
_LABEL_FALLBACK = {"category_code": "category_label", "status_code": "status_label"}
#: Mapping role → register column (for the headers shown in problems).
_ROLE_COLUMN = {"title": "title", "category": "category", "beneficiary": "establishment_name",
                "district": "district", "province": "province", "year": "year", "state_total": "state_support",
                "state_national": "state_support", "state_local": "state_support",
                "beneficiary_contribution": "beneficiary_contribution", "total": "total_cost", "status": "status",
                "funding_source": "funding_source", "project_id": "project_id", "establishment_id": "establishment_id",
                "industry": "industry", "trainees": "trainees", "machines": "machines"}
_CLOSING = ("section", "subtotal", "total")
FIXES = {
    "unparseable_amount": "enter the amount as a number",
    "negative_amount": "amounts cannot be negative; check the sign",
    "amount_unit_suspect": "check the unit (the ĐVT line, or file_values.unit in the mapping)",
    "row_total_mismatch": "correct the total or its parts",
    "total_mismatch": "correct the subtotal/total row or the rows it closes",
    "missing_beneficiary": "fill in the beneficiary",
    "duplicate_row": "delete the repeated row, or correct it if it is a different project",
    "year_out_of_range": "write the four-digit year of implementation",
    "unknown_province": "write a province name, or set file_values.province in the mapping (or --file-province)",
    "both_funding_sources": "confirm the funding source (file_values.funding_source in the mapping)",
    "no_text_layer": "run OCR on the scan, or ask the province for the Word or Excel file",
    "unreadable_file": "save the file as .xlsx or .csv",
    "no_table": "check that the file holds the annex table",
    "mapping_mismatch": "run `khuyencong map` on this file and review the new mapping",
    "one_role_twice": "give each role to one header in the mapping (the other `ignore` or its own role)",
}
DEFAULT_FIX = "correct the file or its mapping and run validate again"


def read_mapped(path: Path | str, mapping: Mapping, province: str | None = None,
                year: int | None = None) -> tuple[RawTable | None, list[Problem]]:
    """The register table of ``path`` read through ``mapping``, or None and the problems of the file.

    ``province``/``year`` (command line) fill in a file-level value the mapping leaves empty.
    """
    if mapping.dataset != "register":
        raise ConfigurationError(f"{Path(path).name}.mapping.yml: dataset {mapping.dataset!r}: only register "
                                 "files are read through a mapping")
    path = Path(path)
    where = relative_to_root(path)
    result = read_annex(path, mapping, None if mapping.province else province, None if mapping.year else year)
    _log_sheets(where, result)
    data: dict[tuple, list[int]] = {}  # (table, row) → its records: a row may hold two programmes or years
    for pos, r in enumerate(result.records):
        data.setdefault((r["table"], r["row"]), []).append(pos)
    closing = {(s["table"], s["row"]) for s in result.structure if s["kind"] in _CLOSING}
    whole_file = [i for i in result.issues if (i.table, i.row) not in data and (i.table, i.row) not in closing]
    if any(i.severity == "error" for i in whole_file):
        return None, [_problem(where, i, {}) for i in whole_file]
    names = _table_names(result)
    stem = path.stem
    frame = pd.DataFrame({column: [_value(r, f) for r in result.records] for column, f in FIELDS.items()},
                         dtype=object)
    frame.insert(2, "project_id", [_project_id(stem, r, names) for r in result.records])
    frame["source_row"] = [r["row"] for r in result.records]
    frame = frame[[c.name for c in ds.REGISTER.columns if c.name in frame] + ["source_row"]]
    found = pd.DataFrame([_found(i, pos, names, result.records) for i in result.issues
                          for pos in _positions(i, data)], columns=ISSUE_COLUMNS).astype({"pos": "int64"})
    extra = [_problem(where, i, names) for i in result.issues if (i.table, i.row) in closing or (i in whole_file)]
    raw = RawTable(frame=frame, dataset="register", source=where, sheet=", ".join(result.sheets_read) or None,
                   header_map=_headers(result.mapping), found=found, extra_problems=extra,
                   rows_structure=len(result.structure), structure=result.structure, from_document=True)
    return raw, []


def _log_sheets(where: str, result: AnnexResult) -> None:
    if result.sheets_read:
        log.info("%s: read %s", where, ", ".join(result.sheets_read))
    for name, why in result.sheets_skipped:
        log.info("%s: skipped %s (%s)", where, name, why)


def _value(record: dict, field: str) -> object:
    value = record.get(field)
    return record.get(_LABEL_FALLBACK[field]) if value is None and field in _LABEL_FALLBACK else value


def _positions(issue: Issue, data: dict[tuple, list[int]]) -> list[int]:
    """The records an issue lands on: an error rejects every part of its row; a warning is said once."""
    found = data.get((issue.table, issue.row), [])
    return found if issue.severity == "error" else found[:1]


def _table_names(result: AnnexResult) -> dict[int, str]:
    """Table number → its sheet name ("Quý I") or "table 2", when the file holds several tables; else {}."""
    tables = sorted({r["table"] for r in result.records if r["table"] is not None})
    return dict(zip(tables, result.sheets_read)) if len(tables) > 1 else {}


def _project_id(stem: str, record: dict, names: dict[int, str]) -> str:
    """The printed Mã đề án, else file, sheet or table, and row (with the programme part and plan year when a
    row holds several): ``đề_án:15``, ``đề_án:Quý II!15`` (a sheet), ``đề_án:2.15`` (a Word/PDF table)."""
    if record.get("project_id"):
        return record["project_id"] + (f"-{record['part']}" if record.get("part") else "")
    name = names.get(record["table"])
    where = f"{stem}:{record['row']}" if name is None else (
        f"{stem}:{record['table']}.{record['row']}" if name.startswith("table ") else f"{stem}:{name}!{record['row']}")
    return where + "".join(f"-{record[k]}" for k in ("part", "block") if record.get(k))


def _say(issue: Issue, names: dict[int, str]) -> str:
    name = names.get(issue.table)
    return f"{name if name.startswith('table ') else 'sheet ' + repr(name)}: {issue.say}" if name else issue.say


def _found(issue: Issue, pos: int, names: dict[int, str], records: list[dict]) -> dict:
    severity = issue.severity
    if issue.kind == "both_funding_sources" and records[pos]["funding_source"] is None:
        severity = "error"  # nothing else names the source: the row cannot be kept without guessing
    return {"pos": pos, "column": issue.column, "check": issue.kind, "problem": _say(issue, names),
            "fix": FIXES.get(issue.kind, DEFAULT_FIX), "severity": severity}


def _problem(where: str, issue: Issue, names: dict[int, str]) -> Problem:
    sheet = names.get(issue.table)
    return Problem(where, None if sheet is None or sheet.startswith("table ") else sheet, issue.row, issue.column,
                   "", _say(issue, names), FIXES.get(issue.kind, DEFAULT_FIX), issue.severity, issue.kind)


def _headers(mapping: Mapping | None) -> dict[str, str]:
    """Register column → the file's header(s) it comes from (IDs: derived)."""
    out: dict[str, list[str]] = {}
    for header, entry in (mapping.columns if mapping else {}).items():
        column = _ROLE_COLUMN.get(entry.get("role") or "")
        if column:
            out.setdefault(column, []).append(header)
    headers = {column: " + ".join(h) for column, h in out.items()}
    headers.update({"project_id": "(derived: file and row)", "establishment_id": "(derived: beneficiary name)"})
    for key in ("province", "year", "funding_source"):
        headers.setdefault(key, f"({key.replace('_', ' ')} of the file)")
    return headers
