"""Read an annex file with its mapping into register rows, structure rows and problems.

:func:`read_annex` is what ``validate`` and ``clean`` call for a file that has a
``FILE.mapping.yml`` (or for which ``map`` has just proposed one). Every data row becomes a record
in register terms (money in million VND); every row that is not data is a structure row; every
check that fails is a :class:`Issue`. A data row with an error is *rejected*; the accounting is
``read = kept + rejected + structure`` for every file.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from khuyencong.core import provinces
from khuyencong.core.datasets import UNCLASSIFIED
from khuyencong.core.vnnumber import format_vn
from khuyencong.ingest import annex, vocab
from khuyencong.ingest.annex_checks import PARTS, Issue, TableRead, YearBlock, check, reconcile, year_blocks
from khuyencong.ingest.formats import NeedsOcrError, UnreadableFileError, cell_text, read_document
from khuyencong.ingest.mapping import Mapping, propose_mapping, role_clashes
from khuyencong.ingest.row_kinds import amount_with_unit, number, parts_below
from khuyencong.ingest.annex_funding import programme, row_funding, title_funding
from khuyencong.ingest.doc_facts import YEAR_WORD
from khuyencong.ingest.headers import fold

#: Amounts printed with a qualifier ("trên 910", "gần 1.600", "khoảng 700") are not figures to add up.
_APPROXIMATE = re.compile(r"^(?:tren|gan|khoang|hon|duoi|xap xi|uoc|toi da|it nhat)\s+\d")
#: A title cell's second paragraph saying where: not part of the title.
_PLACE_LINE = re.compile(r"\s+(?:Địa điểm|Địa chỉ|Địa bàn)\s*:", re.IGNORECASE)
_NOT_TITLE = ("stt", "beneficiary", "implementer", "district", "province", "year", "status", "note", "ignore",
              *annex.MONEY_ROLES, *annex.TEXT_ROLES, *annex.COUNT_ROLES)


@dataclass
class AnnexResult:
    """One file read through its mapping."""

    source: str
    mapping: Mapping | None
    records: list[dict] = field(default_factory=list)
    structure: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rows_read: int = 0

    @property
    def rejected_rows(self) -> set[tuple[int | None, int]]:
        return {(i.table, i.row) for i in self.issues if i.severity == "error" and i.row is not None
                and any(r["row"] == i.row and r.get("table") == i.table for r in self.records)}

    @property
    def accounting(self) -> dict[str, int]:
        rejected = len(self.rejected_rows)
        rows = len({(r.get("table"), r["row"]) for r in self.records})  # a split project is one printed row
        return {"rows_read": self.rows_read, "rows_kept": rows - rejected,
                "rows_rejected": rejected, "rows_structure": len(self.structure)}


def layouts_of(path: Path | str) -> tuple[list[annex.Layout], AnnexResult]:
    """The tables of ``path`` and a result holding what was read/skipped (and why)."""
    path = Path(path)
    result = AnnexResult(path.name, None)
    try:
        doc = read_document(path)
    except NeedsOcrError as exc:
        result.issues.append(Issue(None, "no_text_layer", str(exc)))
        return [], result
    except UnreadableFileError as exc:
        result.issues.append(Issue(None, "unreadable_file", str(exc)))
        return [], result
    result.sheets_skipped, result.notices = list(doc.skipped), list(doc.notices)
    layouts = []
    carried: list[str] = []  # text of tables without a header (a decision's heading table) reaches the next
    for grid in doc.grids:
        grid.above = carried + grid.above
        lay = annex.layout(grid, path.name)
        if lay is None and layouts and _continues(layouts[-1].grid, grid):  # Word split the table at a page break
            last = layouts[-1].grid
            last.rows, carried = last.rows + grid.rows, []
            layouts[-1] = annex.layout(last, path.name)
            result.notices.append(f"{grid.name}: no header of its own, same columns: read as the rest of {last.name}")
            continue
        if lay is None:
            result.sheets_skipped.append((grid.name, "no table header found (cover text)"))
            carried = grid.above + [annex.joined(cells) for cells in grid.rows if annex.joined(cells)]
            continue
        carried = []
        layouts.append(lay)
        result.sheets_read.append(grid.name)
    if len(layouts) > 1:  # several sheets: number them as Word/PDF tables are, so rows of equal number stay apart
        for n, lay in enumerate(layouts, 1):
            lay.grid.table = lay.grid.table or n
    if not layouts and not result.issues:
        result.issues.append(Issue(None, "no_table", f"{path.name}: no table with a known header was found"))
    return layouts, result


def _continues(previous, grid) -> bool:
    """A table without a header right after one with the same number of columns, starting with a row that is
    not text between tables: the rest of it."""
    return (grid.name.startswith("table ") and bool(grid.rows) and len(grid.rows[0]) == len(previous.rows[0])
            and not grid.above)  # Word and PDF tables only: a workbook's next sheet is its own table


def read_annex(path: Path | str, mapping: Mapping | None = None, province: str | None = None,
               year: int | None = None) -> AnnexResult:
    """Read ``path``; without ``mapping`` only confident (exact) proposals are applied."""
    layouts, result = layouts_of(path)
    if not layouts:
        return result
    if mapping is not None and (wrong := _reviewed_for_another(Path(path), mapping, layouts)):
        result.issues.append(Issue(None, "mapping_mismatch", wrong))
        return result
    mapping = mapping or confident(propose_mapping(path, layouts))
    if twice := _one_role_twice(layouts, mapping):
        result.issues.append(Issue(None, "one_role_twice", f"{Path(path).name}: {twice}"))
        return result
    if province:
        mapping.province = provinces.normalize_province(province).name
    mapping.year = year or mapping.year
    result.mapping = mapping
    for lay in layouts:
        _read_layout(lay, mapping, result)
    if mapping.province is None and layouts[0].facts.province_unknown is not None:
        fact = layouts[0].facts.province_unknown
        result.issues.append(Issue(fact.row, "unknown_province", f"{fact.source}: {fact.value!r} is not one of "
                                   "our provinces; set the province in the mapping or with --file-province", "(title)"))
    return result


def _reviewed_for_another(path: Path, mapping: Mapping, layouts: list[annex.Layout]) -> str:
    """Why ``mapping`` was not reviewed for this file ('' when it was): another file name, headers it never
    saw, or a province or year the document's own title contradicts."""
    fix = f"run `khuyencong map {path.name}` and review the new mapping"
    if mapping.file and mapping.file != path.name:
        return f"{path.name}: its mapping was reviewed for {mapping.file!r}, another file: {fix}"
    unseen = [c.header for lay in layouts for c in lay.columns if c.header and c.header not in mapping.columns]
    if unseen:
        return f"{path.name}: header {unseen[0]!r} is not in the mapping (reviewed for other headers): {fix}"
    facts = layouts[0].facts
    for key in ("province", "year"):
        fact, given = getattr(facts, key), getattr(mapping, key)
        if fact is not None and given is not None and fact.value != given and \
                mapping.evidence.get(key, "").startswith(("title", "file name")):
            return (f"{path.name}: {fact.source} says {key} {fact.value!r} but the mapping's file_values.{key} is "
                    f"{given!r}, read from {mapping.evidence[key]!r}: {fix}")
    return ""


def _one_role_twice(layouts: list[annex.Layout], mapping: Mapping) -> str:
    """Two headers given one role (outside year blocks), which would drop one column without a word; '' if none."""
    for lay in layouts:
        for role, headers in role_clashes(lay, mapping.role_of):
            return (f"the headers {headers[0]!r} and {headers[1]!r} are both mapped to {role!r}, so one would be "
                    "dropped: give one of them another role (or `ignore`) in the mapping")
    return ""


def confident(m: Mapping) -> Mapping:
    """``m`` with only what the vocabulary matched exactly applied (fuzzy and review entries left empty)."""
    for entry in m.columns.values():
        if entry.get("how") != "exact":
            entry["role"] = None
    for table in m.values.values():
        for entry in table.values():
            if entry.get("how") not in ("exact", "alias", "former", "title"):
                entry["code"] = None
    return m


# ---------------------------------------------------------------- one table

def _read_layout(lay: annex.Layout, mapping: Mapping, result: AnnexResult) -> None:
    roles: dict[str, annex.Column] = {}
    for col in lay.columns:
        role = mapping.role_of(col)
        if role and role != "ignore":
            roles.setdefault(role, col)
    unit = mapping.unit or (lay.facts.unit.value if lay.facts.unit else "triệu đồng")
    factor = {c.index: annex.UNITS[c.unit or unit] for c in lay.columns}
    t = TableRead(lay, mapping, roles, factor, result.issues, year_blocks(lay, mapping))
    result.rows_read += len(lay.rows)
    for notice in lay.notices:
        result.issues.append(Issue(None, "number_convention", notice, "(money columns)", "warning", lay.grid.table))
    records: list[dict] = []
    for i, row in enumerate(lay.rows):
        if row.kind != "data":
            result.structure.append({"row": row.row, "table": lay.grid.table, "kind": row.kind, "text": row.text,
                                     "level": row.level, "sets": row.sets, "covers_rows": row.covers})
            continue
        priced = [b for b in t.blocks if not b.columns or any(cell_text(row.cells[c.index])
                                                              for c in b.columns.values())]
        # a row with money in no year's block is still a project: once, of the document's year, money missing
        for block in priced or [YearBlock(None, None, t.blocks[0].columns)]:
            rec = _record(t, row, records, block)
            if len(t.blocks) == 1:
                _money_parts(t, parts_below(lay.rows, i, annex.money_part), rec)
            records.extend(_split(t, row, rec))
    reconcile(t, records, result.structure)
    result.records.extend(records)


def _money_parts(t: TableRead, parts: list[tuple[str, annex.Row]], rec: dict) -> None:
    """The parts the rows under a project name are its money. Its own amount, printed in the one money
    column a table has, is then the sum of its state parts when it equals them (a programme line over
    "Ngân sách trung ương" and "Ngân sách tỉnh"), else its total (435 over "- hỗ trợ: 200", "- đối ứng: 235")."""
    if not parts or {r for r in t.roles if r in (*PARTS, "total")} != {"state_total"}:
        return
    own = rec["state_total"]
    rec["state_total"] = None
    for role, row in parts:
        value = _money(t, row, "state_total")[0]
        if value is None:
            continue
        if role in ("beneficiary_contribution", "total"):
            rec[role] = value
            continue
        rec["state_total"] = (rec["state_total"] or 0.0) + value
        if role in ("state_national", "state_local"):
            rec[role] = (rec[role] or 0.0) + value
    if own is not None and rec["total"] is None and (rec["state_total"] is None or abs(own - rec["state_total"]) > 0.01):
        rec["total"] = own
    national, local = rec["state_national"] or 0, rec["state_local"] or 0
    if national > 0 and local > 0:
        rec["_both"] = True
    elif national or local:
        rec["funding_source"] = rec["funding_source"] or ("KCQG" if national else "KCDP")


def _split(t: TableRead, row: annex.Row, rec: dict) -> list[dict]:
    """A project funded by both programmes → its KCQG part and its KCĐP part.

    The co-funding and the total are shared in proportion to each programme's money (the document does
    not say whose they are); the notice says so.
    """
    if not rec.pop("_both", False):
        return [rec]
    national, local = rec["state_national"], rec["state_local"]
    t.issue(row.row, "both_funding_sources", f"national ({format_vn(national)}) and local ({format_vn(local)}) "
            "money on one project: kept as two parts, KCQG and KCĐP, the co-funding and total shared in proportion",
            " / ".join(t.roles[r].header if r in t.roles else "(rows below)" for r in ("state_national", "state_local")),
            "warning")
    parts = []
    for source, own in (("KCQG", national), ("KCDP", local)):
        share = own / (national + local)
        part = {**rec, "part": source, "funding_source": source, "state_total": own,
                "state_national": own if source == "KCQG" else 0.0, "state_local": own if source == "KCDP" else 0.0}
        for role in ("beneficiary_contribution", "total"):
            part[role] = None if rec[role] is None else rec[role] * share
        parts.append(part)
    return parts


def _money(t: TableRead, row: annex.Row, role: str, block: dict[str, annex.Column] | None = None
           ) -> tuple[float | None, bool]:
    """(value in million VND, parsed): "-" is 0, an empty cell is missing (None), unparseable is None.

    In a year block only that block's columns count.
    """
    col = block.get(role) if block else t.roles.get(role)
    if col is None:
        return None, True
    raw = row.cells[col.index]
    text = cell_text(raw)
    if text in ("-", "–", "—"):
        return 0.0, True
    if text == "":
        return None, True
    value = number(raw)
    if value is None and (own_unit := amount_with_unit(text)) is not None:
        return own_unit, True  # the cell's own unit, not the column's
    if value is None and _APPROXIMATE.match(fold(text)):
        t.issue(row.row, "approximate_amount", f"{text!r} is not an exact amount: recorded as missing",
                col.header, "warning")
        return None, True
    if value is None:
        t.issue(row.row, "unparseable_amount", f"{text!r} is not a number; enter the amount in triệu đồng "
                "(e.g. 2000)", col.header)
        return None, False
    return value * t.factor[col.index], True


def _text(row: annex.Row, t: TableRead, role: str) -> str | None:
    col = t.roles.get(role)
    return (cell_text(row.cells[col.index]) or None) if col else None


def _record(t: TableRead, row: annex.Row, earlier: list[dict], block: YearBlock) -> dict:
    m, facts = t.mapping, t.lay.facts
    rec: dict = {"row": row.row, "table": t.lay.grid.table, "stt": _text(row, t, "stt"), "block": block.label}
    rec["year"] = block.year or _year(t, row)
    rec["province"] = _province(t, row)
    for role in ("title", "beneficiary", "district", "implementer", "time", "note", *annex.TEXT_ROLES):
        rec[role] = _text(row, t, role)
    if not rec["beneficiary"] and row.who:  # its own line under the project: "HTX X - xã Y, huyện Z"
        rec["beneficiary"] = re.split(r"\s+[-–]\s+", row.who, maxsplit=1)[0].strip()
    if "title" not in t.roles:  # no title column: the row's first text that is not a name, place or figure
        rec["title"] = next((cell_text(row.cells[c.index]) for c in t.lay.columns if cell_text(row.cells[c.index])
                             and c.role not in _NOT_TITLE), None)
    if rec["year"] is None and rec["title"] and (named := YEAR_WORD.search(fold(rec["title"]))):
        rec["year"] = int(named.group(1))  # no year column or document year: "… đợt 2 năm 2018"
    if rec["title"] and (place := _PLACE_LINE.search(rec["title"])):  # "… bánh chưng\nĐịa điểm: khối phố …"
        rec["title"] = rec["title"][:place.start()].rstrip(" ,;-")
    for role in annex.COUNT_ROLES:
        value = number(row.cells[t.roles[role].index]) if role in t.roles else None
        rec[role] = int(value) if value is not None and float(value).is_integer() and value >= 0 else None
    _category(t, row, rec)
    money = {role: _money(t, row, role, block.columns) for role in (*PARTS, "total")}
    rec.update({role: v for role, (v, _) in money.items()})
    _state(t, row, rec)
    title_source = (facts.funding_source.value if facts.funding_source else None) or m.funding_source
    rec["funding_source"] = (row_funding(t, row) or row.context.get("funding_source") or programme(rec["title"])
                             or title_source or rec.pop("_column_source", None) or title_funding(rec["title"]))
    rec.pop("_column_source", None)
    rec["status_label"] = _text(row, t, "status")
    rec["status_code"] = m.code("status", rec["status_label"]) if rec["status_label"] else (
        None if "status" in t.roles else m.status_when_absent)
    derived = not rec["establishment_id"]
    rec["establishment_id"] = rec["establishment_id"] or _establishment_id(rec)
    rec["establishment_id_derived"] = derived
    if rec["beneficiary_contribution"] is None and "beneficiary_contribution" in t.roles and money[
            "beneficiary_contribution"][1]:
        t.issue(row.row, "missing_contribution", "the co-funding cell is empty: recorded as missing (not 0) and "
                "left out of the co-funding ratio", t.roles["beneficiary_contribution"].header, "warning")
    check(t, row, rec, all(ok for _, ok in money.values()), earlier, block.columns)
    return rec


def _category(t: TableRead, row: annex.Row, rec: dict) -> None:
    """From the category column; else the section heading; else the title's words; else unclassified.

    Only a label printed in a category column can block a row (an unknown one goes to review).
    """
    m = t.mapping
    printed = _text(row, t, "category")
    if printed:
        rec["category_label"], rec["category_code"], rec["category_from"] = printed, m.code("category", printed), \
            "column"
        return
    section, title = row.context.get("category"), rec["title"]
    if section and (code := m.code("category", section) or _named_category(section)):
        # a heading naming several contents ("Mô hình trình diễn; ứng dụng máy móc") groups them: the row's
        # own title picks among them
        named = vocab.categories_named(section)
        own = _named_category(title) if title and len(named) > 1 else None
        if own in named and own != code:
            rec["category_label"], rec["category_code"], rec["category_from"] = None, own, "title"
            return
        rec["category_label"], rec["category_code"], rec["category_from"] = section, code, "section"
        return
    rec["category_label"], rec["category_from"] = None, "title"
    code = (m.code("category_from_title", title) or _named_category(title)) if title else None
    if code in (None, UNCLASSIFIED):
        code, rec["category_from"] = UNCLASSIFIED, "none"
        t.issue(row.row, "unclassified_category", "no category column, section heading or word of the title says "
                "what this project supports: kept as 'unclassified' (set it under values.category_from_title in "
                "the mapping)", "(title)", "warning")
    rec["category_code"] = code


def _named_category(text: str) -> str | None:
    """The category the words of a heading or title name (see :func:`vocab.category_from_title`)."""
    found = vocab.category_from_title(text)
    return found.code if found else None


def _year(t: TableRead, row: annex.Row) -> int | None:
    col = t.roles.get("year")
    if col is not None and (value := number(row.cells[col.index])) is not None:
        return int(value)
    facts = t.lay.facts
    return t.mapping.year or (facts.year.value if facts.year else None)


def _province(t: TableRead, row: annex.Row) -> str | None:
    """The row's province cell; an empty one under a filled one in a province column is the cell merged
    down a national list (its value sits in the first row only); else the section's, else the file's."""
    label = _text(row, t, "province")
    if label:
        t.last_province = t.mapping.code("province", label) or label
        return t.last_province
    if "province" in t.roles and t.last_province:
        return t.last_province
    return row.context.get("province") or t.mapping.province or (
        t.lay.facts.province.value if t.lay.facts.province else None)


def _state(t: TableRead, row: annex.Row, rec: dict) -> None:
    """state_total = national + local when split; the funding source from which is non-zero.

    Beside a filled cell of the other programme an empty national or local cell is 0; both empty is missing.
    """
    split = [role for role in ("state_national", "state_local") if role in t.roles]
    if any(rec[role] is not None for role in split):
        for role in split:
            rec[role] = rec[role] or 0.0
    if "state_total" not in t.roles and split:
        values = [rec[role] for role in split]
        rec["state_total"] = None if None in values else sum(values)
    national, local = rec["state_national"], rec["state_local"]
    has_national, has_local = (national or 0) > 0, (local or 0) > 0
    if has_national and has_local:
        rec["_both"] = True
    elif has_national or ("state_national" in t.roles and "state_local" not in t.roles):
        rec["_column_source"] = "KCQG"
    elif has_local or ("state_local" in t.roles and "state_national" not in t.roles):
        rec["_column_source"] = "KCDP"


#: Bodies that carry projects out rather than receive them: the extension centre, the Department, a
#: People's Committee. A row naming one in its beneficiary column has no establishment to survey.
_IMPLEMENTER = re.compile(r"^(?:trung tam khuyen cong|so cong thuong|ubnd|uy ban nhan dan|phong kinh te|"
                          r"phong cong thuong|cuc cong thuong|bo cong thuong)\b")


def _establishment_id(rec: dict) -> str | None:
    """A stable ID from the normalised beneficiary name + province (+ district); None without a name, or
    when the name is the implementing body's (a fair or a training run by the extension centre)."""
    if not rec.get("beneficiary") or _IMPLEMENTER.match(fold(rec["beneficiary"])):
        return None
    key = "|".join(fold(rec.get(k) or "") for k in ("beneficiary", "province", "district"))
    return "D-" + hashlib.sha256(key.encode()).hexdigest()[:12]


