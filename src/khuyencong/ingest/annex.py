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
from khuyencong.core.vnnumber import parse_number
from khuyencong.ingest import vocab
from khuyencong.ingest.formats import Grid, cell_text
from khuyencong.ingest.headers import fold

HEADER_SCAN_ROWS = 25
MIN_HEADER_ROLES = 3
#: Money units as printed → factor to million VND (longest first: "đồng" ends the others).
UNITS = {"triệu đồng": 1.0, "nghìn đồng": 0.001, "ngàn đồng": 0.001, "tỷ đồng": 1000.0, "tỉ đồng": 1000.0,
         "đồng": 1e-6}
MONEY_ROLES = ("state_national", "state_local", "state_total", "beneficiary_contribution", "total")
#: Roles whose cells are kept as printed text; the count roles are whole numbers of outputs.
TEXT_ROLES = ("project_id", "establishment_id", "industry")
COUNT_ROLES = ("trainees", "machines")
ROLES = ("stt", "title", "category", "beneficiary", "implementer", "district", "province", "year", "time",
         *MONEY_ROLES, "funding_source", *TEXT_ROLES, *COUNT_ROLES, "status", "note", "ignore")
_FUNDING_ROLE = {"beneficiary": "beneficiary_contribution"}
_UNITS_FOLDED = r"(trieu dong|tr d|trd|nghin dong|ngan dong|ty dong|ti dong|1 000 000 dong|1000000 dong|1 000 dong|1000 dong|dong)"
_UNIT_RE = re.compile(r"(?:don vi tinh|dvt|don vi)\s*:?\s*" + _UNITS_FOLDED + r"\b")
_UNIT_PAREN = re.compile(r"[\(\[]\s*(?:(?:don vi tinh|dvt)\s*:?\s*)?" + _UNITS_FOLDED + r"\s*[\)\]]")
_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d\d)\b")
_DECISION = re.compile(r"\bS[ốô]\s*(?:hiệu)?\s*:?\s*(\d+[^\s,;:]*/[^\s,;:]+)", re.IGNORECASE)
_CITES = re.compile(r"^(?:can cu|theo de nghi|xet de nghi|thuc hien)\b")
_YEAR_RE = re.compile(r"\bnam\s+((?:19|20)\d\d)\b")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBERED = re.compile(r"^([IVX]+|[A-HĐ])[.)]\s+(?=\S)")
_ROMAN = re.compile(r"^[IVXLC]+\.?$")
_LETTER = re.compile(r"^[A-HĐ]\.?$")
_SUBTOTAL = re.compile(r"^cong\b(?!\s+(?:ty|nghe|hoa)\b)")
_TOTAL = re.compile(r"^tong(?:\s+cong|\s+so)?\b(?!\s+(?:hop|ket)\b)|^luy ke\b")
_NOTE = re.compile(r"^(?:ghi chu|nguoi lap|noi nhan|luu y|nguon|luu vt|luu)\b|^\*")
#: Sign-off rows under a table: after one, every row without a project number is part of the signature.
_SIGNATURE = re.compile(r"^(?:kt|tm|tl|q|ktl)\s+(?:giam doc|chu tich|uy ban|truong|pho|ubnd|so)|^(?:pho )?giam doc\b|"
                        r"^(?:pho )?chu tich\b|^nguoi lap|^thu truong|^ke toan|^xac nhan|^(?:da )?ky\b|"
                        r"^(?:\S+ )+ngay \S+ thang \S+ nam \d{4}$")
#: A column-number row under the header: "(1) (2) (3) (4)=(5)+(6)", "1 2 3", "A B 1 2".
_COLUMN_NUMBER = re.compile(r"^\(?(?:\d{1,2}|[A-Ha-h])\)?(?:\s*[=+\-x*/]\s*\(?\d{1,2}\)?)*$")
#: Rows that split the project above into its funding parts ("Trong đó:", "- KCQG: 200").
_BREAKDOWN_LEAD = re.compile(r"^(?:trong do|bao gom|chia ra|gom)\b")
_BULLET = re.compile(r"^[-+•*–]\s*")
_AUTHORITY = (("ubnd",), ("uy", "ban", "nhan", "dan"), ("so", "cong", "thuong"))
_PROVINCE_WORD = (("tinh",), ("thanh", "pho"), ("tp",))


@dataclass
class Column:
    index: int
    header: str  # printed, "Parent / Child" under a merged parent
    role: str | None  # proposed role (None: the vocabulary did not know the header)
    match: vocab.Match
    unit: str | None = None  # unit printed in the header, e.g. "tỷ đồng"
    year: int | None = None  # a year block's year ("Kế hoạch năm 2024 / KCĐP"): rows are unpivoted by it
    block: str = ""  # the parent header of a year or period block ("Đã thực hiện giai đoạn 2016 - 2018")


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
    decision: Fact | None = None  # "123/QĐ-UBND" as printed after "Số:"
    dated: Fact | None = None  # the document's date ("…, ngày 5 tháng 3 năm 2021") as an ISO string


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


def _money_role(folded: str) -> str | None:
    if not re.search(r"\b(?:kinh phi|kp|ngan sach|nsnn|von|dong|ho tro)\b|^(?:kc|khuyen cong)", folded) or \
            re.match(r"^(?:so|ten|noi dung|nguoi|ngay|ma|nguon (?:kinh phi|von|ngan sach))\b", folded):
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
        unit = _unit_in(header)
        year = int(m.group(1)) if two and child and (m := _ANY_YEAR.search(parent)) else None
        role = match.role or None if match.how not in ("unknown", "review") else None
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


def _unit_in(text: str) -> str | None:
    found = _UNIT_PAREN.search(_fold_brackets(text)) or _UNIT_RE.search(fold(text))
    return _unit_name(found.group(1)) if found else None


def _fold_brackets(text: str) -> str:
    parts = re.split(r"([()\[\]])", text)
    return " ".join(p if p in "()[]" else fold(p) for p in parts if p.strip())


def _unit_name(folded: str) -> str:
    return {"trieu dong": "triệu đồng", "nghin dong": "nghìn đồng", "ngan dong": "nghìn đồng",
            "ty dong": "tỷ đồng", "ti dong": "tỷ đồng", "dong": "đồng", "1 000 dong": "nghìn đồng",
            "1000 dong": "nghìn đồng", "1 000 000 dong": "triệu đồng", "1000000 dong": "triệu đồng", "tr d": "triệu đồng", "trd": "triệu đồng"}[folded]


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
    if " ".join(folded[:3]) == "trung tam khuyen" or " ".join(folded[:3]) == "so cong thuong":
        return _name_at_end(words)  # "TRUNG TÂM KHUYẾN CÔNG … BẾN TRE"
    return None


def _name_at_end(words: list[str]) -> tuple[object, str] | None:
    """A province named by the last two to four words of a line or a file name."""
    for n in (4, 3, 2):
        if len(words) > n and (found := _resolve_words(words[-n:])) and len(found[1].split()) == n:
            return found
    return None


def province_in_file_name(stem: str) -> tuple[object, str] | None:
    """A province spelt in a file name ("vinh_long_2022_register" → Vĩnh Long), two words or more."""
    words = [w for w in re.split(r"[_\-\s.]+", stem) if w]
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            if not any(w.isdigit() for w in words[i:i + n]) and (found := _resolve_words(words[i:i + n])) \
                    and len(found[1].split()) == n:
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
    """Facts from title lines ``(text, row)``; the year falls back to the date, then the file name.

    Lines citing other documents ("Căn cứ …", "Theo đề nghị …") are skipped, and a year inside a date
    ("ngày 5 tháng 3 năm 2021") is the document's date, not the year its table is about.
    """
    facts = Facts()
    for text, row in lines:
        folded = fold(text)
        source = f"{where} {'row ' + str(row) if row else 'text'}: {text!r}"
        if _CITES.match(folded):
            continue
        if facts.decision is None and (m := _DECISION.search(text)):
            facts.decision = Fact(m.group(1), source, row)
        if facts.dated is None and (d := _DATE.search(folded)):
            facts.dated = Fact(f"{d.group(3)}-{int(d.group(2)):02d}-{int(d.group(1)):02d}", source, row)
        if facts.province is None and facts.province_unknown is None:
            found = _province_in(text)
            if found and found[0] is not None:
                facts.province = Fact(found[0].name, source, row)
            elif found:
                facts.province_unknown = Fact(found[1], source, row)
        if facts.year is None and (m := _YEAR_RE.search(_DATE.sub(" ", folded))):
            facts.year = Fact(int(m.group(1)), source, row)
        if facts.unit is None and (unit := _unit_in(text)):
            facts.unit = Fact(unit, source, row)
        if facts.funding_source is None and (fs := _funding_in(folded)):
            facts.funding_source = Fact(fs, source, row)
    if facts.province is None and facts.province_unknown is None and \
            (found := province_in_file_name(Path(file_name).stem)):
        facts.province = Fact(found[0].name, f"file name {file_name!r}")
    if facts.year is None and (m := _ANY_YEAR.search(Path(file_name).stem)):
        facts.year = Fact(int(m.group(1)), f"file name {file_name!r}")
    if facts.year is None and facts.dated is not None:
        facts.year = Fact(int(facts.dated.value[:4]), facts.dated.source, facts.dated.row)
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


def _has_person(cells: list[object], columns: list[Column], label: str = "") -> bool:
    """A beneficiary, implementer or district cell is filled (the cell holding the row's label aside)."""
    return any(cell_text(cells[c.index]) and cell_text(cells[c.index]) != label for c in columns
               if c.role in ("beneficiary", "implementer", "district"))


def _classify(cells: list[object], columns: list[Column], next_stt: str) -> tuple[str, str, int]:
    """(kind, label, section level) of one body row, before the rows around it are looked at."""
    if not any(cell_text(v) for v in cells):
        return "blank", "", 0
    if is_column_numbers(cells):
        return "column_numbers", joined(cells), 0
    stt, label = _lead(cells, columns)
    if not stt and (m := _NUMBERED.match(label)):  # "I. Hỗ trợ …" with its number inside the label
        stt, label = m.group(1), label[m.end():].strip()
    first = fold(stt if stt and not stt.replace(".", "").isdigit() else label)
    bare = not _has_person(cells, columns, label) and not stt.replace(".", "").isdigit()
    if bare and _TOTAL.match(first):
        return "total", label if not stt or first == fold(label) else stt, 0
    if bare and _SUBTOTAL.match(first):
        return "subtotal", label if not stt or first == fold(label) else stt, 0
    if _NOTE.match(fold(stt or label)) and not _has_person(cells, columns):
        return "note", stt or label, 0
    if bare and _SIGNATURE.match(fold(stt or label)) and not _money_cells(cells, columns):
        return "signature", stt or label, 0
    if _ROMAN.match(stt) or _LETTER.match(stt):
        return "section", label, 1
    if stt.isdigit() and next_stt.startswith(stt + "."):
        return "section", label, 2
    if not stt and bare and label and not _money_cells(cells, columns):
        return "section", label, 1
    if not stt and bare and _heading_words(label):
        return "section", label, 1
    return "data", label, 0


def is_column_numbers(cells: list[object]) -> bool:
    """A row numbering the columns: "(1) (2) (3) (4)=(5)+(6)" or "1 2 3 4" (3 cells or more)."""
    texts = [cell_text(v) for v in cells if cell_text(v)]
    if len(texts) < 3 or not all(_COLUMN_NUMBER.match(t) for t in texts):
        return False
    numbers = [int(m.group()) for t in texts if (m := re.search(r"\d+", t))]
    return len(numbers) >= 2 and numbers == sorted(numbers)


def _heading_words(label: str) -> bool:
    """A section heading carrying its sums: a funding programme, or a line in capitals."""
    letters = [ch for ch in label if ch.isalpha()]
    if len(letters) >= 6 and label == label.upper():
        return True
    return vocab.match(label, "funding").how == "exact"


def _money_cells(cells: list[object], columns: list[Column]) -> bool:
    return any(cell_text(cells[c.index]) for c in columns if c.role in MONEY_ROLES)


def section_sets(label: str) -> dict[str, str]:
    """What a section heading sets: a funding source, a province ("Tỉnh X") or else a category."""
    funding = vocab.match(label, "funding")
    if funding.how == "exact" and funding.code:
        return {"funding_source": funding.code}
    if code := _funding_in(fold(re.sub(r"\([^()]*\)", " ", label))):  # "KHUYẾN CÔNG ĐỊA PHƯƠNG (QĐ số …)"
        return {"funding_source": code}
    words = label.split()
    if words and fold(words[0]) in ("tinh", "thanh", "tp"):
        found = _resolve_words(words[2:] if fold(" ".join(words[:2])) == "thanh pho" else words[1:])
        if found:
            return {"province": found[0].name}
    return {"category": label}


def _body(grid: Grid, start: int, columns: list[Column], offset: int, header: list[list[object]]) -> list[Row]:
    rows: list[Row] = []
    stt_col = next((c.index for c in columns if c.role == "stt"), 0)
    stts = [cell_text(r[stt_col]) for r in grid.rows]
    header_keys = {_row_key(cells) for cells in header}
    signed: str | bool = False  # after a note or sign-off row, rows without a project number belong to it
    for i in range(start, len(grid.rows)):
        nxt = next((s for s in stts[i + 1:] if s), "")
        cells = grid.rows[i]
        kind, label, level = _classify(cells, columns, nxt)
        if _row_key(cells) in header_keys and kind != "blank":
            kind, label = "header", joined(cells)
        elif signed and kind not in ("blank", "note", "signature") and not stts[i].replace(".", "").isdigit():
            kind = "signature" if signed == "signature" else "note"
        signed = kind if kind in ("note", "signature") else signed
        row = Row(i + offset, kind, cells, label, level)
        if kind == "section":
            row.sets = section_sets(label)
        rows.append(row)
    _breakdowns(rows, columns)
    _link(rows)
    return rows


def _row_key(cells: list[object]) -> tuple[str, ...]:
    return tuple(fold(cell_text(v)) for v in cells if cell_text(v))


def _breakdowns(rows: list[Row], columns: list[Column]) -> None:
    """Rows under a project that split its money ("Trong đó:", "- KCQG: 200") are not projects.

    A run of rows without a project number right under a data row is its breakdown when it opens with
    "Trong đó" or when its money adds up to the project's own; when the project row carries no money
    and the rows under it do, the project row is a group heading and the rows are the projects.
    """
    i = 0
    while i < len(rows):
        parent = rows[i]
        if parent.kind in ("total", "subtotal"):  # "Trong đó: - Ngân sách tỉnh …" under a total splits the total
            j = i + 1
            while j < len(rows) and rows[j].kind in ("data", "section") and _is_sub_item(rows[j], columns):
                rows[j].kind, rows[j].level, rows[j].sets = "breakdown", 0, {}
                j += 1
            i = j
            continue
        if parent.kind != "data":
            i += 1
            continue
        j = i + 1
        while j < len(rows) and rows[j].kind in ("data", "section") and _is_sub_item(rows[j], columns):
            j += 1
        children = rows[i + 1:j]
        if children:
            lead = _BREAKDOWN_LEAD.match(fold(children[0].text))
            if lead or _sums_to(parent, children, columns):
                for child in children:
                    child.kind, child.level, child.sets = "breakdown", 0, {}
            elif any(child.kind == "section" for child in children):
                pass  # headings under a project: leave them as they are
            elif not _money_cells(parent.cells, columns):
                parent.kind, parent.level = "section", 3
                parent.sets = {}
        i = max(j, i + 1)


def _is_sub_item(row: Row, columns: list[Column]) -> bool:
    stt, label = _lead(row.cells, columns)
    if stt.replace(".", "").isdigit() or _ROMAN.match(stt) or _LETTER.match(stt):
        return False
    return bool(_BREAKDOWN_LEAD.match(fold(label)) or _BULLET.match(label) or _BULLET.match(stt))


def _sums_to(parent: Row, children: list[Row], columns: list[Column]) -> bool:
    for c in columns:
        if c.role not in MONEY_ROLES:
            continue
        own = _amount(parent.cells[c.index])
        parts = [_amount(ch.cells[c.index]) for ch in children]
        if own and any(p is not None for p in parts) and abs(own - sum(p or 0.0 for p in parts)) <= 0.01:
            return True
    return False


def _amount(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    for decimal in (",", "."):
        try:
            return parse_number(cell_text(value), decimal)
        except ValueError:
            continue
    return None


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
    title_rows = [Row(i + offset, "title", grid.rows[i], joined(grid.rows[i])) for i in range(h)]
    header_rows = [Row(i + offset, "header", grid.rows[i], joined(grid.rows[i])) for i in range(h, h + 1 + two)]
    lines = [(t, None) for t in grid.above] + [(r.text, r.row) for r in title_rows if r.text]
    facts = title_facts(lines, "title", file_name)
    if facts.unit is None:
        unit_col = next((c for c in columns if c.unit and c.role in MONEY_ROLES), None)
        if unit_col:
            facts.unit = Fact(unit_col.unit, f"header {unit_col.header!r}")
    body = _body(grid, h + 1 + two, columns, offset, grid.rows[h:h + 1 + two])
    blank_titles = [Row(r.row, "blank", r.cells) if not r.text else r for r in title_rows]
    return Layout(grid, columns, blank_titles + header_rows + body, facts, [r.row for r in header_rows])


def joined(cells: list[object]) -> str:
    """The non-empty cells of a row as one line."""
    return " ".join(cell_text(v) for v in cells if cell_text(v))
