"""The checks on a table read through its mapping: amounts, row totals, years, duplicates, stated sums.

Each failing check is an :class:`Issue` on the row (and table) where it was found; an error rejects
the row, a warning keeps it. :func:`reconcile` checks every section, subtotal and total row's stated
sums against the project rows it closes (per plan year when years stand side by side), and does not
check a sum a closed row has no figure for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from khuyencong.core import provinces
from khuyencong.core.datasets import YEAR_MAX, YEAR_MIN
from khuyencong.core.vnnumber import format_vn
from khuyencong.ingest import annex
from khuyencong.ingest.doc_facts import ANY_YEAR
from khuyencong.ingest.formats import cell_text
from khuyencong.ingest.headers import fold
from khuyencong.ingest.mapping import Mapping
from khuyencong.ingest.row_kinds import number

PLAUSIBLE_MAX = 100_000.0  # million VND (100 tỷ đồng): more for one project means a wrong unit
PROGRAMME_MAX = 10_000_000.0  # million VND: a row that is a whole programme over a period ("giai đoạn 2021-2025")
_PROGRAMME = re.compile(r"\bgiai doan \d{4}|\bchuong trinh khuyen cong\b")
TOLERANCE = 0.01  # million VND
_REALISED = re.compile(r"\b(?:thuc hien|ket qua|da thuc hien|uoc thuc hien|quyet toan)\b")
YEARS_BEFORE_DOCUMENT = 5  # a document of year Y may list projects from Y-5 (a multi-year report) to Y+1
PARTS = ("state_national", "state_local", "state_total", "beneficiary_contribution")


@dataclass
class Issue:
    row: int | None
    kind: str
    say: str
    column: str = ""
    severity: str = "error"
    table: int | None = None


@dataclass
class TableRead:
    """One table of a file being read: its layout, mapping, column roles and unit factors, and the issues found."""

    lay: annex.Layout
    mapping: Mapping
    roles: dict[str, annex.Column]
    factor: dict[int, float]
    issues: list[Issue]
    blocks: list[YearBlock] = field(default_factory=list)  # year blocks side by side (one unlabelled if none)
    last_province: str | None = None  # the province cell above, for cells merged down a national list

    def issue(self, row: int | None, kind: str, say: str, column: str = "", severity: str = "error") -> None:
        self.issues.append(Issue(row, kind, say, column, severity, self.lay.grid.table))


@dataclass(frozen=True)
class YearBlock:
    """The money columns of one plan year or period ("Kế hoạch năm 2024 / KCĐP, Đối ứng"): ``label`` is the
    year, or "year.n" when two blocks share a year; a table without blocks has one, unlabelled and empty."""

    label: str | None
    year: int | None
    columns: dict[str, annex.Column]


def year_blocks(lay: annex.Layout, mapping: Mapping) -> list[YearBlock]:
    """Money columns per plan year or period when they stand side by side ("Kế hoạch năm 2023 | … 2024");
    else one unlabelled block."""
    found: dict[tuple[int, str], dict[str, annex.Column]] = {}
    for col in lay.columns:
        role = mapping.role_of(col)
        if col.year is not None and role in annex.MONEY_ROLES:
            found.setdefault((col.year, col.block), {}).setdefault(role, col)
    for year in sorted({y for y, _ in found}):  # "Kế hoạch năm 2016 | Thực hiện 9 tháng năm 2016": what was done
        same = [b for y, b in found if y == year]
        done = [b for b in same if _REALISED.search(fold(b))]
        periods = any(len(ANY_YEAR.findall(b)) > 1 for b in same)  # "giai đoạn 2016-2020 | Đã thực hiện 2016-2018"
        if len(done) == 1 and len(same) == 2 and not periods:
            found = {k: v for k, v in found.items() if k[0] != year or k[1] == done[0]}
            if len(found) == 1:
                return [YearBlock(str(year), year, found[(year, done[0])])]
    if len(found) < 2:
        return [YearBlock(None, None, {})]
    years = [year for year, _ in found]
    return [YearBlock(str(year) if years.count(year) == 1 else f"{year}.{n}", year, columns)
            for n, ((year, _), columns) in enumerate(found.items(), 1)]


def check(t: TableRead, row: annex.Row, rec: dict, parsed: bool, earlier: list[dict],
           block: dict[str, annex.Column] | None = None) -> None:
    header = {role: col.header for role, col in t.roles.items()} | {r: c.header for r, c in (block or {}).items()}
    suspect = False
    for role in (*PARTS, "total"):
        value = rec[role]
        if value is None or role not in t.roles:
            continue
        if value < 0:
            t.issue(row.row, "negative_amount", f"negative amount {format_vn(value)} in a money column", header[role])
        elif value > (PROGRAMME_MAX if _PROGRAMME.search(fold(rec["title"] or "")) else PLAUSIBLE_MAX):
            suspect = True
            t.issue(row.row, "amount_unit_suspect", _unit_say(value, t), header[role])
    if parsed and not suspect:
        _row_total(t, row, rec, header, set(block) if block else set(t.roles))
    if "beneficiary" in t.roles and not rec["beneficiary"]:
        t.issue(row.row, "missing_beneficiary", "beneficiary name is empty: kept, but no establishment ID can be "
                "derived, so this row cannot be linked to the survey", header["beneficiary"], "warning")
    if "year" in t.roles and rec["year"] is not None:
        low, high, why = _year_range(t)
        if not low <= rec["year"] <= high:
            t.issue(row.row, "year_out_of_range", f"year {rec['year']} is outside {low}–{high}{why}", header["year"])
    if "province" in t.roles and rec["province"] and t.mapping.code("province", rec["province"]) is None \
            and rec["province"] not in _names():
        t.issue(row.row, "unknown_province", f"{rec['province']!r} is not one of the 63 provinces",
                header["province"])
    _duplicate(t, row, rec, earlier)


def _year_range(t: TableRead) -> tuple[int, int, str]:
    """Years a row of this document may have: around the document's own year when it states one.

    A list of year Y holds projects of Y, carried over from up to YEARS_BEFORE_DOCUMENT earlier
    years, or planned for the next; 2032 in a 2023 list is a typo.
    """
    facts = t.lay.facts
    year = t.mapping.year or (facts.year.value if facts.year else None)
    if year is None:
        return YEAR_MIN, YEAR_MAX, ""
    return (max(YEAR_MIN, year - YEARS_BEFORE_DOCUMENT), min(YEAR_MAX, year + 1),
            f" for a document of {year} ({facts.year.source if facts.year else 'its mapping'})")


def _names() -> frozenset[str]:
    return frozenset(p.name for p in provinces.records(provinces.LEGACY, include_ha_tay=True))


def _unit_say(value: float, t: TableRead) -> str:
    for unit, factor in (("nghìn đồng", 1e-3), ("đồng", 1e-6)):
        if value * factor <= PLAUSIBLE_MAX:
            return (f"{format_vn(value)} triệu đồng for one project is implausible: the amount looks typed in "
                    f"{unit} (= {format_vn(value * factor)} triệu đồng)")
    return f"{format_vn(value)} triệu đồng for one project is implausible: check the unit"


def _row_total(t: TableRead, row: annex.Row, rec: dict, header: dict[str, str], roles: set[str]) -> None:
    if rec["total"] is None or "total" not in roles or "beneficiary_contribution" not in roles:
        return
    parts = [r for r in ("state_total",) if r in roles] or [r for r in ("state_national", "state_local")
                                                            if r in roles]
    parts.append("beneficiary_contribution")
    if len(parts) == 1 or any(rec[p] is None for p in parts):
        return  # a part is missing (a blank cell): the total cannot be checked against it
    total = sum(rec[p] for p in parts)
    if abs(rec["total"] - total) > TOLERANCE:
        shown = " + ".join(f"{header[p]} {format_vn(rec[p])}" for p in parts)
        t.issue(row.row, "row_total_mismatch", f"{header['total']} {format_vn(rec['total'])} ≠ {shown} = "
                f"{format_vn(total)}", header["total"])


def _duplicate(t: TableRead, row: annex.Row, rec: dict, earlier: list[dict]) -> None:
    keys = ("title", "beneficiary", "district", "year", *PARTS, "total")
    for other in earlier:
        if rec["title"] and other["row"] != rec["row"] and all(other[k] == rec[k] for k in keys):
            t.issue(row.row, "duplicate_row", f"same title, beneficiary, district and amounts as row {other['row']} "
                    f"(STT {other['stt']}): probably typed twice", "(whole row)")
            return


def _closing_columns(t: TableRead) -> list[tuple[str, annex.Column, str | None]]:
    """(role, column, year block's label) of every money column a subtotal or total row states a sum in."""
    if t.blocks[0].label is not None:
        return [(role, col, b.label) for b in t.blocks for role, col in b.columns.items()]
    return [(role, t.roles[role], None) for role in (*PARTS, "total") if role in t.roles]


def reconcile(t: TableRead, records: list[dict], structure: list[dict]) -> None:
    """Check each section/subtotal/total row's figures against the data rows it closes."""
    by_row: dict[int, list[dict]] = {}
    for r in records:
        by_row.setdefault(r["row"], []).append(r)
    for row in t.lay.rows:
        if row.kind not in ("section", "subtotal", "total"):
            continue
        entry = next(s for s in structure if s["row"] == row.row and s["table"] == t.lay.grid.table)
        entry["figures"], entry["reconciles"] = {}, True
        if not row.covers:
            continue  # a summary with no project rows under it (a cumulative "Lũy kế" line) closes nothing
        for role, col, label in _closing_columns(t):
            raw = cell_text(row.cells[col.index])
            stated = number(row.cells[col.index]) if raw not in ("", "-") else None
            if stated is None:
                continue
            stated *= t.factor[col.index]
            entry["figures"][role] = stated
            parts = [part[role] for r in row.covers for part in by_row.get(r, []) if part["block"] == label]
            if None in parts:
                continue  # a row it closes has no figure here: nothing to check the stated sum against
            summed = sum(parts)
            if abs(stated - summed) > TOLERANCE:
                entry["reconciles"] = False
                t.issue(row.row, "total_mismatch", f"{row.text or row.kind!r} states {format_vn(stated)} but the "
                        f"{len(row.covers)} rows it closes ({', '.join(map(str, row.covers))}) sum to "
                        f"{format_vn(summed)} (difference {format_vn(stated - summed)})", col.header)
