"""Every row under a table's header, by kind: a project, or one of the rows that are not projects.

Kinds: ``data`` (a project), ``section`` (I, II, A., "1" over "1.1" rows, "KHUYẾN CÔNG QUỐC GIA",
"Tỉnh X", a category heading, a line in capitals carrying its sums), ``subtotal`` ("Cộng I"),
``total`` ("Tổng cộng", "Lũy kế"), ``breakdown`` ("Trong đó:" and "- KCQG: 200" rows under a project
or a total, which split its money and are not added again; "- Vốn đối ứng của cơ sở: 235", a part of its
money), ``continuation`` (the beneficiary's own line under its project), ``header`` (the header repeated at the
top of a PDF page), ``column_numbers`` ("(1) (2) (3) (4)=(5)+(6)"), ``note``, ``signature`` (sign-off
rows: "Người lập biểu", "KT. GIÁM ĐỐC" and the names under them) and ``blank``. Data rows get the
context (category, funding source, province) the sections above them set; sections, subtotals and
totals the data rows they close.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from khuyencong.core.vnformat import parse_amount
from khuyencong.core.vnnumber import parse_number
from khuyencong.ingest import vocab
from khuyencong.ingest.columns import MONEY_ROLES, Column
from khuyencong.ingest.doc_facts import funding_in, resolve_words
from khuyencong.ingest.formats import Grid, cell_text
from khuyencong.ingest.headers import fold

_NUMBERED = re.compile(r"^([IVX]+|[A-HĐ])[.)]\s+(?=\S)")
_ROMAN = re.compile(r"^[IVXLC]+\.?$")
_LETTER = re.compile(r"^[A-HĐ]\.?$")
_SUB_LETTER = re.compile(r"^[a-hđ][.)]?$")
_SUBTOTAL = re.compile(r"^cong\b(?!\s+(?:ty|nghe|hoa)\b)|^(?:chuyen trang|chuyen sang|mang sang|so mang sang)\b")
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
_STT_TOKEN = re.compile(r"^(?:\d+(?:\.\d+)*|[IVXLC]+|[A-Za-zĐđ])[.)]?$")
_SPACED_THOUSANDS = re.compile(r"^\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?$")
_MULTIPLIER = re.compile(r"\b(?:trieu|ty|nghin|ngan)\b")


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
    who: str = ""  # data: the beneficiary line printed under it ("HTX X - xã Y"), when there is one


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
    if stt.rstrip(".").isdigit() and _SUB_LETTER.match(next_stt) and not _money_cells(cells, columns):
        return "section", label, 2  # "1 Hỗ trợ máy móc" over "a) …", "b) …" without money of its own: a group
    if not stt and bare and label and not _money_cells(cells, columns):
        return "section", label, 1
    if not stt and bare and _heading_words(label):
        return "section", label, 1
    if len(stt) > 12 and not _STT_TOKEN.match(stt) and sum(1 for v in cells if cell_text(v)) == 1:
        return "note", stt, 0  # a sentence merged across the table from its first column: "NSNN: kinh phí …"
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
    if code := funding_in(fold(re.sub(r"\([^()]*\)", " ", label))):  # "KHUYẾN CÔNG ĐỊA PHƯƠNG (QĐ số …)"
        return {"funding_source": code}
    words = label.split()
    if words and fold(words[0]) in ("tinh", "thanh", "tp"):
        found = resolve_words(words[2:] if fold(" ".join(words[:2])) == "thanh pho" else words[1:])
        if found:
            return {"province": found[0].name}
    return {"category": label}


def body(grid: Grid, start: int, columns: list[Column], offset: int, header: list[list[object]],
         money_part=lambda label: None) -> list[Row]:
    """The rows under the header; ``money_part(label)``: the money role a row's label names ("- Vốn đối ứng
    của cơ sở:" → beneficiary_contribution), for rows that split a project's money by part."""
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
    _breakdowns(rows, columns, money_part)
    _programme_parts(rows, columns, money_part)
    _beneficiary_lines(rows)
    _link(rows)
    return rows


def _row_key(cells: list[object]) -> tuple[str, ...]:
    return tuple(fold(cell_text(v)) for v in cells if cell_text(v))


def part_label(text: str) -> str:
    """"- Kinh phí khuyến công hỗ trợ:" → "Kinh phí khuyến công hỗ trợ"."""
    return _BULLET.sub("", text).rstrip(" :：").strip()


def parts_below(rows: list[Row], i: int, money_part) -> list[tuple[str, Row]]:
    """(money role, row) of the rows under project row ``i`` that each name one part of its money
    ("- Kinh phí khuyến công hỗ trợ:", "- Vốn đối ứng của cơ sở:", "Ngân sách tỉnh (KCĐP)")."""
    parts = []
    for row in rows[i + 1:]:
        if row.kind in ("note", "blank"):
            continue
        role = money_part(part_label(row.text)) if row.kind == "breakdown" else None
        if role is None:
            break
        parts.append((role, row))
    return parts


def _breakdowns(rows: list[Row], columns: list[Column], money_part=lambda label: None) -> None:
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
            parts = all(money_part(part_label(child.text)) for child in children)
            if lead or parts or _sums_to(parent, children, columns):
                for child in children:
                    child.kind, child.level, child.sets = "breakdown", 0, {}
            elif any(child.kind == "section" for child in children):
                pass  # headings under a project: leave them as they are
            elif not _money_cells(parent.cells, columns):
                parent.kind, parent.level = "section", 3
                parent.sets = {}
        i = max(j, i + 1)


def _programme_parts(rows: list[Row], columns: list[Column], money_part) -> None:
    """A heading carrying money whose rows all name a part of money ("I. Chương trình khuyến công tỉnh …
    24,235" over "1. Ngân sách trung ương (KCQG)", "2. Ngân sách tỉnh (KCĐP)", "3. Vốn đối ứng") is the one
    project, and those rows its money parts: a project is never called "Ngân sách tỉnh"."""
    for i, row in enumerate(rows):
        if row.kind != "section" or not _money_cells(row.cells, columns):
            continue
        under = []
        for below in rows[i + 1:]:
            if below.kind in ("note", "blank"):
                continue
            if below.kind != "data":
                break
            under.append(below)
        if under and all(money_part(part_label(r.text)) for r in under):
            row.kind, row.level, row.sets = "data", 0, {}
            for r in under:
                r.kind = "breakdown"


#: Who a project is for, on its own line under the project ("HTX Trầm hương Nông Sơn - xã Quế Lộc"): a Word row
#: holding only the title column's second line.
_WHO = re.compile(r"^(?:htx|hop tac xa|cong ty|cty|doanh nghiep|dntn|ho kinh doanh|hkd|co so|to hop tac)\b")


def _beneficiary_lines(rows: list[Row]) -> None:
    """A heading-like row right under a project holding one cell that names an establishment is the
    project's beneficiary line ("continuation"), not a heading: it sets nothing and ends no section."""
    previous = None
    for row in rows:
        if row.kind == "section" and previous is not None and previous.kind == "data" and \
                sum(1 for v in row.cells if cell_text(v)) == 1 and _WHO.match(fold(row.text)):
            row.kind, row.level, row.sets = "continuation", 0, {}
            previous.who = row.text
        if row.kind != "blank":
            previous = row


def _is_sub_item(row: Row, columns: list[Column]) -> bool:
    stt, label = _lead(row.cells, columns)
    if stt.replace(".", "").isdigit() or _ROMAN.match(stt) or _LETTER.match(stt):
        return False
    return bool(_BREAKDOWN_LEAD.match(fold(label)) or _BULLET.match(label) or _BULLET.match(stt))


def _sums_to(parent: Row, children: list[Row], columns: list[Column]) -> bool:
    for c in columns:
        if c.role not in MONEY_ROLES:
            continue
        own = number(parent.cells[c.index])
        parts = [number(ch.cells[c.index]) for ch in children]
        if own and any(p is not None for p in parts) and abs(own - sum(p or 0.0 for p in parts)) <= 0.01:
            return True
    return False


def number(value: object) -> float | None:
    """A money cell as a number: read as stored, else Vietnamese "1.250,5", else "1,250.5", else thousands
    set apart by spaces ("1 250"); None if none of these."""
    if isinstance(value, (int, float)):
        return float(value)
    text = cell_text(value)
    if _SPACED_THOUSANDS.match(text):
        text = text.replace(" ", "").replace("\u00a0", "")
    for decimal in (",", "."):
        try:
            return parse_number(text, decimal)
        except ValueError:
            continue
    return None


def amount_with_unit(text: str) -> float | None:
    """Million VND of a cell that prints its own unit ("601 triệu", "1,2 tỷ", "150 tr.đ"); None otherwise."""
    try:
        amount = parse_amount(text, ",")
    except ValueError:
        return None
    if amount.qualifier != "exact" or amount.value is None or amount.noun or amount.of is not None:
        return None
    if amount.unit == "million VND":
        return amount.value
    if amount.unit is None and _MULTIPLIER.search(fold(text)):  # "601 triệu": the word is the unit
        return amount.value / 1e6
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


def joined(cells: list[object]) -> str:
    """The non-empty cells of a row as one line."""
    return " ".join(cell_text(v) for v in cells if cell_text(v))
