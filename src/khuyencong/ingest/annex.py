"""The structure of a real annex table: title rows, header rows, sections, subtotals, totals.

:func:`layout` reads one :class:`~khuyencong.ingest.formats.Grid` into a :class:`Layout`:

- the header (one row, or two when a merged parent such as "Kinh phí (triệu đồng)" sits over
  "Tổng / KCĐP / Đối ứng") → one printed name per column ("Kinh phí (triệu đồng) / KCĐP"), its
  unit and the role the vocabulary proposes for it;
- the title rows above it (and, in Word/PDF files, the paragraphs above the table) → file-level
  facts: province, year, unit and funding programme (:class:`Facts`);
- every row below it, classified as ``data``, ``section`` (I, II, A., "1" over "1.1" rows,
  "KHUYẾN CÔNG QUỐC GIA", "Tỉnh X", a category heading), ``subtotal`` ("Cộng", "Cộng I"),
  ``total`` ("Tổng cộng", "Tổng số"), ``blank`` or ``note``, with the context (category, funding
  source, province) the sections above set and the data rows each subtotal/total closes.

Rows are numbered as people see them: 1-based sheet row (title rows count) or, in Word/PDF,
1-based row of the table. Nothing here maps values to codes: see :mod:`khuyencong.ingest.mapping`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from khuyencong.core import provinces
from khuyencong.ingest import vocab
from khuyencong.ingest.formats import Grid, cell_text
from khuyencong.ingest.headers import fold

HEADER_SCAN_ROWS = 25
MIN_HEADER_ROLES = 3
#: Money units as printed → factor to million VND (longest first: "đồng" ends the others).
UNITS = {"triệu đồng": 1.0, "nghìn đồng": 0.001, "ngàn đồng": 0.001, "tỷ đồng": 1000.0, "tỉ đồng": 1000.0,
         "đồng": 1e-6}
MONEY_ROLES = ("state_national", "state_local", "state_total", "beneficiary_contribution", "total")
ROLES = ("stt", "title", "category", "beneficiary", "implementer", "district", "province", "year", "time",
         *MONEY_ROLES, "status", "note", "ignore")
_FUNDING_ROLE = {"beneficiary": "beneficiary_contribution"}
_UNIT_RE = re.compile(r"(?:don vi tinh|dvt|don vi)\s*:?\s*(trieu dong|nghin dong|ngan dong|ty dong|ti dong|dong)\b")
_UNIT_PAREN = re.compile(r"[\(\[]\s*(?:(?:don vi tinh|dvt)\s*:?\s*)?(trieu dong|nghin dong|ngan dong|ty dong|ti dong|dong)\s*[\)\]]")
_YEAR_RE = re.compile(r"\bnam\s+((?:19|20)\d\d)\b")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_ROMAN = re.compile(r"^[IVXLC]+\.?$")
_LETTER = re.compile(r"^[A-HĐ]\.?$")
_SUBTOTAL = re.compile(r"^cong\b(?!\s+(?:ty|nghe|hoa)\b)")
_TOTAL = re.compile(r"^tong(?:\s+cong|\s+so)?\b(?!\s+(?:hop|ket)\b)")
_NOTE = re.compile(r"^(?:ghi chu|nguoi lap|noi nhan|luu y|nguon)\b|^\*")
_AUTHORITY = (("ubnd",), ("uy", "ban", "nhan", "dan"), ("so", "cong", "thuong"))
_PROVINCE_WORD = (("tinh",), ("thanh", "pho"), ("tp",))


@dataclass
class Column:
    index: int
    header: str  # printed, "Parent / Child" under a merged parent
    role: str | None  # proposed role (None: the vocabulary did not know the header)
    match: vocab.Match
    unit: str | None = None  # unit printed in the header, e.g. "tỷ đồng"


@dataclass
class Fact:
    value: object
    source: str  # where it was read, for the mapping's evidence
    row: int | None = None


@dataclass
class Facts:
    """File-level values read from title rows, paragraphs or the file name."""

    province: Fact | None = None
    province_unknown: Fact | None = None  # printed province that is not one of ours
    year: Fact | None = None
    unit: Fact | None = None
    funding_source: Fact | None = None


@dataclass
class Row:
    row: int  # as people number it (see the module docstring)
    kind: str  # data, title, header, section, subtotal, total, blank, note
    cells: list[object]
    text: str = ""
    level: int = 0
    sets: dict[str, str] = field(default_factory=dict)  # section: what it sets
    context: dict[str, str] = field(default_factory=dict)  # data: what the sections above set
    covers: list[int] = field(default_factory=list)  # section/subtotal/total: data rows it closes


@dataclass
class Layout:
    grid: Grid
    columns: list[Column]
    rows: list[Row]
    facts: Facts
    header_rows: list[int]

    def role_column(self, role: str) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


# ---------------------------------------------------------------- header

def header_role(text: str) -> vocab.Match:
    """The vocabulary's proposal for a printed header (its unit in brackets ignored)."""
    bare = re.sub(r"\([^()]*\)", " ", text).strip()
    best = vocab.Match(text, "unknown")
    for kind in ("column", "funding"):
        m = vocab.match(bare, kind)
        if m.how == "exact":
            return _as_role(m, kind)
        if m.how != "unknown" and (best.how == "unknown" or (m.score or 0) > (best.score or 0)):
            best = _as_role(m, kind)
    return best


def _as_role(m: vocab.Match, kind: str) -> vocab.Match:
    role = _FUNDING_ROLE.get(m.role, m.role) if kind == "funding" else m.role
    return vocab.Match(m.text, m.how, m.code, m.alias, m.score, m.candidates, role)


def _role_count(cells: list[object]) -> int:
    return sum(1 for v in cells if isinstance(v, str) and v and header_role(v).how == "exact")


def find_header(grid: Grid) -> int | None:
    """0-based index of the first row that reads as a header, or None when the grid has none."""
    for i, cells in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        if _role_count(cells) >= MIN_HEADER_ROLES:
            return i
    return None


def _is_subheader(top: list[object], below: list[object]) -> bool:
    texts = [(c, v) for c, v in enumerate(below) if cell_text(v)]
    if not texts or cell_text(below[0]) or any(not isinstance(v, str) for _, v in texts):
        return False
    under_parent = all(not cell_text(top[c]) or (c + 1 < len(top) and not cell_text(top[c + 1])) for c, _ in texts)
    return under_parent and _role_count(below) >= 1


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
        unit = _unit_in(header)
        columns.append(Column(c, header, match.role or None if match.how != "unknown" else None, match, unit))
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


def _unit_in(text: str) -> str | None:
    found = _UNIT_PAREN.search(_fold_brackets(text)) or _UNIT_RE.search(fold(text))
    return _unit_name(found.group(1)) if found else None


def _fold_brackets(text: str) -> str:
    parts = re.split(r"([()\[\]])", text)
    return " ".join(p if p in "()[]" else fold(p) for p in parts if p.strip())


def _unit_name(folded: str) -> str:
    return {"trieu dong": "triệu đồng", "nghin dong": "nghìn đồng", "ngan dong": "nghìn đồng",
            "ty dong": "tỷ đồng", "ti dong": "tỷ đồng", "dong": "đồng"}[folded]


# ---------------------------------------------------------------- title facts

def _province_in(line: str) -> tuple[object, str] | None:
    """(Province or printed unknown name, printed) after "UBND (TỈNH)", "Sở Công Thương (tỉnh)"."""
    words = re.sub(r"\([^()]*\)", " ", line).replace("-", " - ").split()
    folded = [fold(w) for w in words]
    for i in range(len(words)):
        for prefix in _AUTHORITY:
            if tuple(folded[i:i + len(prefix)]) != prefix:
                continue
            j, said_province = i + len(prefix), False
            for word in _PROVINCE_WORD:
                if tuple(folded[j:j + len(word)]) == word:
                    j, said_province = j + len(word), True
                    break
            found = _resolve_words(words[j:j + 5])
            if found:
                return found
            if said_province and words[j:]:
                return None, " ".join(words[j:j + 3])
    for i in range(len(words)):  # "... NĂM 2021 TỈNH HÀ TĨNH": only a name we know counts here
        if folded[i] == "tinh" and (found := _resolve_words(words[i + 1:i + 5])):
            return found
    return None


def _resolve_words(words: list[str]) -> tuple[object, str] | None:
    for n in range(len(words), 0, -1):
        text = " ".join(words[:n])
        try:
            return provinces.normalize_province(text), text
        except provinces.ProvinceError:
            continue
    return None


def _funding_in(folded: str) -> str | None:
    national, local = "khuyen cong quoc gia" in folded, "khuyen cong dia phuong" in folded
    return "KCQG" if national and not local else "KCDP" if local and not national else None


def title_facts(lines: list[tuple[str, int | None]], where: str, file_name: str) -> Facts:
    """Facts from title lines ``(text, row)``; the year falls back to the file name."""
    facts = Facts()
    for text, row in lines:
        folded = fold(text)
        source = f"{where} {'row ' + str(row) if row else 'text'}: {text!r}"
        if facts.province is None and facts.province_unknown is None:
            found = _province_in(text)
            if found and found[0] is not None:
                facts.province = Fact(found[0].name, source, row)
            elif found:
                facts.province_unknown = Fact(found[1], source, row)
        if facts.year is None and (m := _YEAR_RE.search(folded)):
            facts.year = Fact(int(m.group(1)), source, row)
        if facts.unit is None and (unit := _unit_in(text)):
            facts.unit = Fact(unit, source, row)
        if facts.funding_source is None and (fs := _funding_in(folded)):
            facts.funding_source = Fact(fs, source, row)
    if facts.year is None and (m := _ANY_YEAR.search(Path(file_name).stem)):
        facts.year = Fact(int(m.group(1)), f"file name {file_name!r}")
    return facts


# ---------------------------------------------------------------- body rows

def _lead(cells: list[object], columns: list[Column]) -> tuple[str, str]:
    """(STT text, the row's label: title cell, else the first text after the STT)."""
    stt_col = next((c.index for c in columns if c.role == "stt"), 0)
    title_col = next((c.index for c in columns if c.role == "title"), None)
    stt = cell_text(cells[stt_col])
    label = cell_text(cells[title_col]) if title_col is not None else ""
    if not label:
        label = next((cell_text(v) for i, v in enumerate(cells) if i != stt_col and cell_text(v)), "")
    return stt, label


def _has_person(cells: list[object], columns: list[Column]) -> bool:
    return any(cell_text(cells[c.index]) for c in columns if c.role in ("beneficiary", "implementer", "district"))


def _classify(cells: list[object], columns: list[Column], next_stt: str) -> tuple[str, str, int]:
    """(kind, label, section level) of one body row."""
    if not any(cell_text(v) for v in cells):
        return "blank", "", 0
    stt, label = _lead(cells, columns)
    first = fold(stt if stt and not stt.replace(".", "").isdigit() else label)
    bare = not _has_person(cells, columns) and not stt.replace(".", "").isdigit()
    if bare and _TOTAL.match(first):
        return "total", label if not stt or first == fold(label) else stt, 0
    if bare and _SUBTOTAL.match(first):
        return "subtotal", label if not stt or first == fold(label) else stt, 0
    if _NOTE.match(fold(stt or label)) and not _has_person(cells, columns):
        return "note", stt or label, 0
    if _ROMAN.match(stt) or _LETTER.match(stt):
        return "section", label, 1
    if stt.isdigit() and next_stt.startswith(stt + "."):
        return "section", label, 2
    if not stt and bare and label and not _money_cells(cells, columns):
        return "section", label, 1
    return "data", label, 0


def _money_cells(cells: list[object], columns: list[Column]) -> bool:
    return any(cell_text(cells[c.index]) for c in columns if c.role in MONEY_ROLES)


def section_sets(label: str) -> dict[str, str]:
    """What a section heading sets: a funding source, a province ("Tỉnh X") or else a category."""
    funding = vocab.match(label, "funding")
    if funding.how == "exact" and funding.code:
        return {"funding_source": funding.code}
    words = label.split()
    if words and fold(words[0]) in ("tinh", "thanh", "tp"):
        found = _resolve_words(words[2:] if fold(" ".join(words[:2])) == "thanh pho" else words[1:])
        if found:
            return {"province": found[0].name}
    return {"category": label}


def _body(grid: Grid, start: int, columns: list[Column], offset: int) -> list[Row]:
    rows: list[Row] = []
    stts = [cell_text(r[next((c.index for c in columns if c.role == "stt"), 0)]) for r in grid.rows]
    for i in range(start, len(grid.rows)):
        nxt = next((s for s in stts[i + 1:] if s), "")
        kind, label, level = _classify(grid.rows[i], columns, nxt)
        row = Row(i + offset, kind, grid.rows[i], label, level)
        if kind == "section":
            row.sets = section_sets(label)
        rows.append(row)
    _link(rows)
    return rows


def _link(rows: list[Row]) -> None:
    """Give data rows their section context; give sections, subtotals and totals the rows they close."""
    context: dict[int, dict[str, str]] = {}
    open_sections: list[Row] = []
    since_subtotal: list[int] = []
    every: list[int] = []
    for row in rows:
        if row.kind == "section":
            context = {lvl: s for lvl, s in context.items() if lvl < row.level}
            context[row.level] = row.sets
            open_sections = [s for s in open_sections if s.level < row.level] + [row]
            if row.level == 1:
                since_subtotal = []
        elif row.kind == "data":
            row.context = {k: v for lvl in sorted(context) for k, v in context[lvl].items()}
            for s in open_sections:
                s.covers.append(row.row)
            since_subtotal.append(row.row)
            every.append(row.row)
        elif row.kind == "subtotal":
            row.covers, since_subtotal = list(since_subtotal), []
        elif row.kind == "total":
            row.covers = list(every)


# ---------------------------------------------------------------- one grid

def layout(grid: Grid, file_name: str) -> Layout | None:
    """The structure of ``grid``, or None when it holds no table header (a cover sheet)."""
    h = find_header(grid)
    if h is None:
        return None
    two = h + 1 < len(grid.rows) and _is_subheader(grid.rows[h], grid.rows[h + 1])
    columns = _columns(grid, h, two)
    offset = 1  # sheet rows and table rows are both shown 1-based
    title_rows = [Row(i + offset, "title", grid.rows[i], _joined(grid.rows[i])) for i in range(h)]
    header_rows = [Row(i + offset, "header", grid.rows[i], _joined(grid.rows[i])) for i in range(h, h + 1 + two)]
    lines = [(t, None) for t in grid.above] + [(r.text, r.row) for r in title_rows if r.text]
    facts = title_facts(lines, "title", file_name)
    if facts.unit is None:
        unit_col = next((c for c in columns if c.unit and c.role in MONEY_ROLES), None)
        if unit_col:
            facts.unit = Fact(unit_col.unit, f"header {unit_col.header!r}")
    body = _body(grid, h + 1 + two, columns, offset)
    blank_titles = [Row(r.row, "blank", r.cells) if not r.text else r for r in title_rows]
    return Layout(grid, columns, blank_titles + header_rows + body, facts, [r.row for r in header_rows])


def _joined(cells: list[object]) -> str:
    return " ".join(cell_text(v) for v in cells if cell_text(v))
