"""``khuyencong validate`` on a GSO PX-Web export: an official-statistics table, not a khuyến công table.

Any province-level export GSO publishes (retail sales, schools, forest area, ...) is read by
:func:`khuyencong.ingest.gso.read_pxweb` exactly as :mod:`khuyencong.ingest.official` reads it into
the long table ``official_stats``, and validate says what it found: series and unit, measures,
years with the preliminary ones, provinces matched, aggregate rows set aside, values kept. Only a
row name that is neither a province nor a region/country total is a problem (an error: building
``official_stats`` refuses the file until it is fixed), reported with the registry's suggestions.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from khuyencong.core import provinces
from khuyencong.ingest import gso, official
from khuyencong.ingest.csvfile import CSV_SUFFIXES, is_pxweb, is_pxweb_text
from khuyencong.ingest.mapping import mapping_path
from khuyencong.ingest.problems import Problem, ValidationReport

log = logging.getLogger(__name__)

KIND = "official statistics (GSO PX-Web export)"
_AGGREGATE_WORDS = {"country": "whole country", "region": "region", "unallocated": "not allocated to provinces"}


@dataclass
class OfficialCheck:
    """What validate found in one export: the lines to show, the problems, the row counts."""

    source: str
    found: list[str]
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    rows_with_errors: int = 0


def is_official_export(path: Path) -> bool:
    """A GSO PX-Web export read as it is (a file with a reviewed mapping goes through its mapping).

    A stray Latin-1 byte in the first lines does not hide the export: the GSO reader copes with it.
    """
    if not path.is_file() or path.suffix.lower() not in CSV_SUFFIXES or mapping_path(path).exists():
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("utf-8", errors="replace")
    return is_pxweb(path) or is_pxweb_text(head)


def _years(table: gso.GsoTable) -> str:
    years = sorted({c.year for c in table.columns if c.year is not None})
    if not years:
        return "years: none (a single column with no year in its label or the title)"
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    prel = sorted({c.label for c in table.columns if c.status == "prel"})
    return (f"years: {span} ({len(years)})"
            + (f"; preliminary: {', '.join(prel)}" if prel else "; no preliminary columns"))


def _provinces(table: gso.GsoTable) -> str:
    codes = set(table.data["province_code"].dropna())
    legacy = provinces.records(provinces.LEGACY)
    absent = [p.name for p in legacy if p.code not in codes]
    extra = len(codes - {p.code for p in legacy})  # Hà Tây, before 2008
    line = f"provinces matched: {len({p.code for p in legacy} & codes)} of {len(legacy)} ({table.boundaries} boundaries)"
    line += f" + {extra} former" if extra else ""
    if absent:
        line += f"; not in the file: {len(absent)}" + (f" ({', '.join(absent)})" if len(absent) <= 10 else "")
    return line


def _aggregates(table: gso.GsoTable) -> str:
    rows = table.aggregates.drop_duplicates("source_row")
    if rows.empty:
        return "aggregate rows skipped: 0"
    parts = [f"{_AGGREGATE_WORDS[k]} {n}" for k, n in rows["area_type"].value_counts(sort=False).items()]
    names = ", ".join(repr(" ".join(str(n).split())) for n in rows["name_as_printed"])
    return f"aggregate rows skipped: {len(rows)} ({', '.join(parts)}): {names}"


def _unmatched(table: gso.GsoTable) -> list[Problem]:
    return [Problem(table.source, None, int(r.line), "(row name)", r.name_as_printed,
                    "not a known province, region or country",
                    (f"did you mean: {r.suggestions}? " if r.suggestions else "")
                    + "correct the name, or add the spelling as an alias in the province registry",
                    "error", "unknown province")
            for r in table.rejected.itertuples()]


def _recoded(table: gso.GsoTable) -> list[Problem]:
    if not table.recoded_lines:
        return []
    return [Problem(table.source, None, None, "", "", f"{table.recoded_lines} line(s) not UTF-8, read as Latin-1 "
                    "(cp1252)", "check that the names on those lines read correctly", "warning", "mixed encoding")]


def check_export(path: Path) -> OfficialCheck:
    """Read one export as ``official_stats`` would and describe it (format errors raise, as the reader does)."""
    table = gso.read_pxweb(path, strict=False)
    rows = official.gso_rows(table)
    measures = table.measures
    acc = table.accounting
    found = [
        f"{table.source}: {KIND}, read into the long table {official.OUTPUT_STEM}",
        f"  series: {official.series_title(table.title)} (unit: {official.gso_unit(table.title)})",
        "  measures: " + (", ".join(measures) if measures != [""] else "one (a value per year)"),
        "  " + _years(table),
        "  " + _provinces(table),
        f"  unmatched names: {acc.rejected_rows}",
        "  " + _aggregates(table),
        f"  values: {len(rows)} kept, {acc.missing_cells} cell(s) printed '{gso.MISSING}' (no observation)",
    ]
    return OfficialCheck(table.source, found, _unmatched(table) + _recoded(table), acc.rows_read, acc.rejected_rows)


def with_official(report: ValidationReport, checks: list[OfficialCheck]) -> ValidationReport:
    """``report`` with the exports' problems and rows added; what each export holds is logged."""
    for c in checks:
        log.info("%s", "\n".join(c.found))
    return ValidationReport(report.problems + [p for c in checks for p in c.problems],
                            report.rows_read + sum(c.rows_read for c in checks),
                            report.rows_with_errors + sum(c.rows_with_errors for c in checks), report.files)
