"""The structure of a real annex table: its header, the document's facts, and its rows by kind.

:func:`layout` reads one :class:`~khuyencong.ingest.formats.Grid` into a :class:`Layout`:

- the header (one row, or two when a merged parent such as "Kinh phí (triệu đồng)" or "Kế hoạch năm
  2024" sits over "Tổng / KCĐP / Đối ụng") → one printed name per column ("Kinh phí (triệu đồng) /
  KCĐP"), its unit, its year block and the role the vocabulary (else its money words) proposes;
- the title rows above it (and, in Word/PDF files, the paragraphs and heading tables above it) →
  the document's facts (:mod:`khuyencong.ingest.doc_facts`);
- every row below it, by kind (:mod:`khuyencong.ingest.row_kinds`).

Rows are numbered as people see them: 1-based sheet row (title rows count) or, in Word/PDF,
1-based row of the table. Nothing here maps values to codes: see :mod:`khuyencong.ingest.mapping`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from khuyencong.ingest import vocab
from khuyencong.ingest.columns import COUNT_ROLES, MONEY_ROLES, ROLES, TEXT_ROLES, Column
from khuyencong.ingest.doc_facts import ANY_YEAR, UNITS, Fact, Facts, title_facts, unit_in
from khuyencong.ingest.formats import Grid, cell_text
from khuyencong.ingest.headers import fold
from khuyencong.ingest.row_kinds import Row, body, joined, section_sets

__all__ = ["COUNT_ROLES", "MONEY_ROLES", "ROLES", "TEXT_ROLES", "UNITS", "Column", "Fact", "Facts", "Layout", "Row",
           "find_header", "header_role", "joined", "layout", "section_sets"]

HEADER_SCAN_ROWS = 25
MIN_HEADER_ROLES = 3
_FUNDING_ROLE = {"beneficiary": "beneficiary_contribution"}
_UNITS_ONLY = re.compile(r"^\([^()]{1,30}\)$")
#: A cumulative block ("Lũy kế 2016 - 2021 / Kinh phí") repeats earlier years' money: never the row's own.
_CUMULATIVE = re.compile(r"\b(luy ke|cong don|tich luy)\b")
_CUMULATIVE_WORDS = {"luy ke": "lũy kế", "cong don": "cộng dồn", "tich luy": "tích lũy"}


@dataclass
class Layout:
    grid: Grid
    columns: list[Column]
    rows: list[Row]
    facts: Facts
    header_rows: list[int]
    notices: list[str] = field(default_factory=list)  # how the table was read where it could be read two ways

    def role_column(self, role: str) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


# ---------------------------------------------------------------- header

@lru_cache(maxsize=4096)  # the header scan asks about the same cells several times
def header_role(text: str) -> vocab.Match:
    """The vocabulary's proposal for a printed header (its unit in brackets ignored), else its money words."""
    bare = re.sub(r"\([^()]*\)", " ", text).strip()
    best = vocab.Match(text, "unknown")
    for kind in ("column", "funding"):
        m = vocab.match(bare, kind)
        if m.how == "exact":
            return _as_role(m, kind)
        if m.how != "unknown" and (best.how == "unknown" or (m.score or 0) > (best.score or 0)):
            best = _as_role(m, kind)
    if best.how == "unknown" and (role := _money_role(fold(bare))):
        return vocab.Match(text, "words", role=role, alias=role)
    return best


#: Words of a money header → its role, first match wins ("Vốn đối ứng của các cơ sở CNNT", "Ngân sách cho
#: hoạt động khuyến công địa phương", "Tổng nguồn vốn").
_MONEY_WORDS = ((r"\bdoi ung\b|\bvon (?:tu co|cua co so|cua doanh nghiep)\b", "beneficiary_contribution"),
                (r"^tong\b", "total"),
                (r"\b(?:quoc gia|kcqg|trung uong|nstw)\b", "state_national"),
                (r"\b(?:dia phuong|kcdp|tinh|nsdp)\b", "state_local"),
                (r"\b(?:kinh phi|kp|ngan sach|nsnn|von|ho tro)\b", "state_total"))


def money_part(label: str) -> str | None:
    """The money role a breakdown row's label names exactly ("Vốn đối ứng của cơ sở" → beneficiary_contribution)."""
    match = header_role(label) if label else None
    return match.role if match and match.how == "exact" and match.role in MONEY_ROLES else None


def _money_role(folded: str) -> str | None:
    if not re.search(r"\b(?:kinh phi|kp|ngan sach|nsnn|von|dong|ho tro)\b|^(?:kc|khuyen cong)|^tong gia tri\b", folded) or \
            re.match(r"^(?:so|ten|noi dung|nguoi|ngay|ma|muc|dinh muc|hinh thuc|ty le|quyet dinh|qd|"
                     r"nguon (?:kinh phi|von|ngan sach))\b",
                     folded):
        return None
    return next((role for pattern, role in _MONEY_WORDS if re.search(pattern, folded)), None)


def _as_role(m: vocab.Match, kind: str) -> vocab.Match:
    role = _FUNDING_ROLE.get(m.role, m.role) if kind == "funding" else m.role
    return vocab.Match(m.text, m.how, m.code, m.alias, m.score, m.candidates, role)


def _role_count(cells: list[object], how: tuple[str, ...] = ("exact",)) -> int:
    return sum(1 for v in cells if isinstance(v, str) and v and header_role(v).how in how)


def find_header(grid: Grid) -> int | None:
    """0-based index of the first row that reads as a header, or None when the grid has none.

    Three headers the vocabulary knows make a header row; so do two known ones with a money header
    beside them (in that row or the sub-header row under it), as in "STT | Nội dung | Ngân sách …".
    """
    for i, cells in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        if _role_count(cells) >= MIN_HEADER_ROLES:
            above = grid.rows[i - 1] if i else []
            return i - 1 if above and _role_count(above) >= 1 and _is_subheader(above, cells) else i
    for i, cells in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        below = grid.rows[i + 1] if i + 1 < len(grid.rows) else []
        known = _role_count(cells)
        money = _role_count(cells, ("words",)) + _role_count(below, ("exact", "words"))
        if known >= 2 and money >= 1 and not any(isinstance(v, (int, float)) for v in cells):
            return i
    return None


def _is_subheader(top: list[object], below: list[object]) -> bool:
    texts = [(c, v) for c, v in enumerate(below) if cell_text(v)]
    if not texts or cell_text(below[0]) or any(not isinstance(v, str) for _, v in texts):
        return False
    if all(_UNITS_ONLY.match(cell_text(v)) for _, v in texts):
        return True  # "(triệu đồng)", "(%)" under the headers: the units of the columns above
    if _role_count(below, ("exact", "words")) >= 2:
        return True  # "Kinh phí (tỷ đồng)" under "Kế hoạch năm 2016" and under "Thực hiện 2016": one column each
    under_parent = all(not cell_text(top[c]) or (c + 1 < len(top) and not cell_text(top[c + 1])) for c, _ in texts)
    return under_parent and _role_count(below, ("exact", "words")) >= 1


def _parents(top: list[object], merged, r: int) -> list[str]:
    """The top header text over each column (a merged or blank-extended parent spreads right)."""
    out, current = [], ""
    spans = {(r0, c): c1 for r0, c, r1, c1 in merged if r0 == r}
    limit = -1
    for c, v in enumerate(top):
        text = cell_text(v)
        if text:
            current, limit = text, spans.get((r, c), c)
        out.append(text or (current if c <= limit or not spans else current))
    return out


def _columns(grid: Grid, h: int, two: bool) -> list[Column]:
    top = grid.rows[h]
    parents = _parents(top, grid.merged, h) if two else [cell_text(v) for v in top]
    columns = []
    for c, parent in enumerate(parents):
        child = cell_text(grid.rows[h + 1][c]) if two else ""
        own = cell_text(top[c])
        header = f"{parent} / {child}" if child and parent and not own == child else (child or own)
        match = header_role(child) if child else header_role(own)
        if child and match.how == "unknown":
            match = header_role(parent)
        unit = unit_in(header)
        year = int(m.group(1)) if two and child and (m := ANY_YEAR.search(parent)) else None
        role = match.role or None if match.how not in ("unknown", "review") else None
        if (cumulative := _CUMULATIVE.search(fold(header))) and (role in (*MONEY_ROLES, *COUNT_ROLES)
                                                                 or match.how in ("unknown", "review")):
            role, year = "ignore", None
            match = vocab.Match(header, "exact", alias=_CUMULATIVE_WORDS[cumulative.group(1)], role="ignore")
        columns.append(Column(c, header, role, match, unit, year,
                              parent if year is not None else ""))
    return _settle_roles(columns)


def _settle_roles(columns: list[Column]) -> list[Column]:
    """A "Nội dung" column is the title when no title column exists; same for implementer."""
    roles = {c.role for c in columns}
    for c in columns:
        if c.role == "category" and "title" not in roles:
            c.role, roles = "title", roles | {"title"}
        elif c.role == "implementer" and "beneficiary" not in roles:
            c.role, roles = "beneficiary", roles | {"beneficiary"}
    return columns


#: Columns whose cell, merged down over several body rows, describes each of them (one đề án's title over
#: its beneficiaries' rows). Money and counts merged down are the group's, not each row's: never copied.
_SHARED_DOWN = ("title", "category", "implementer", "district", "province", "year", "time", "funding_source")


def _fill_merged_down(grid: Grid, start: int, columns: list[Column]) -> None:
    """Copy the text of a describing cell merged down the body into the rows it covers."""
    shared = {c.index for c in columns if c.role in _SHARED_DOWN}
    for r0, c0, r1, c1 in sorted(grid.merged):  # top first: a Word merge is a chain of two-row pairs
        if r0 < start or r1 == r0 or c0 not in shared:
            continue
        for r in range(r0 + 1, min(r1, len(grid.rows) - 1) + 1):
            if not cell_text(grid.rows[r][c0]):
                grid.rows[r][c0] = grid.rows[r0][c0]


_EN_ONLY = re.compile(r"^\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?$|^\d{1,3}(?:,\d{3})+\.\d+$")    # 1,234,567 · 1,234.5
_VN_ONLY = re.compile(r"^\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?$|^\d{1,3}(?:\.\d{3})+,\d+$|^\d+,(?:\d{1,2}|\d{4,})$")
_COMMA_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")  # 8,850: 8850 in English, 8,85 in Vietnamese


def _english_thousands(grid: Grid, start: int, columns: list[Column], unit: Fact | None) -> str | None:
    """Read a table's money cells with ',' as the thousands separator when the table says so: a cell only the
    English convention reads (1,234,567), none only the Vietnamese one does (1.234,5 · 12,5), or — every
    comma cell fitting both (8,850) — an amount in triệu đồng or đồng, which annexes print whole. The cells
    are replaced by their numbers; the returned notice says what was decided."""
    money = [c.index for c in columns if c.role in MONEY_ROLES]
    cells = [(r, c, cell_text(grid.rows[r][c])) for r in range(start, len(grid.rows)) for c in money
             if isinstance(grid.rows[r][c], str)]
    english = [t for _, _, t in cells if _EN_ONLY.match(t)]
    commas = [t for _, _, t in cells if _COMMA_THOUSANDS.match(t)]
    if any(_VN_ONLY.match(t) for _, _, t in cells) or not commas:
        return None
    whole_unit = (unit.value if unit else "triệu đồng") in ("triệu đồng", "đồng", "nghìn đồng", "ngàn đồng")
    if not english and not whole_unit:
        return None
    for r, c, text in cells:
        if _COMMA_THOUSANDS.match(text) or _EN_ONLY.match(text):
            grid.rows[r][c] = float(text.replace(",", ""))
    why = "a cell only that convention reads" if english else "amounts in " + (unit.value if unit else "triệu đồng")
    return (f"{grid.name}: money such as {commas[0]!r} read with ',' as the thousands separator "
            f"({commas[0].replace(',', '')}), as {why} shows; check the amounts if the table meant decimals")


# ---------------------------------------------------------------- one grid

def layout(grid: Grid, file_name: str) -> Layout | None:
    """The structure of ``grid``, or None when it holds no table header (a cover sheet)."""
    h = find_header(grid)
    if h is None:
        return None
    two = h + 1 < len(grid.rows) and _is_subheader(grid.rows[h], grid.rows[h + 1])
    columns = _columns(grid, h, two)
    offset = 1  # sheet rows and table rows are both shown 1-based
    title_rows = [Row(i + offset, "title", grid.rows[i], joined(grid.rows[i])) for i in range(h)]
    header_rows = [Row(i + offset, "header", grid.rows[i], joined(grid.rows[i])) for i in range(h, h + 1 + two)]
    lines = [(t, None) for t in grid.above] + [(r.text, r.row) for r in title_rows if r.text]
    facts = title_facts(lines, "title", file_name)
    if facts.unit is None:
        unit_col = next((c for c in columns if c.unit and c.role in MONEY_ROLES), None)
        if unit_col:
            facts.unit = Fact(unit_col.unit, f"header {unit_col.header!r}")
    _fill_merged_down(grid, h + 1 + two, columns)
    notices = [n for n in [_english_thousands(grid, h + 1 + two, columns, facts.unit)] if n]
    rows = body(grid, h + 1 + two, columns, offset, grid.rows[h:h + 1 + two], money_part)
    blank_titles = [Row(r.row, "blank", r.cells) if not r.text else r for r in title_rows]
    return Layout(grid, columns, blank_titles + header_rows + rows, facts, [r.row for r in header_rows], notices)


