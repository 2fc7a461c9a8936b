"""What a document says of itself: province, year, unit, programme, decision number and date.

Read from the title rows above a table, the paragraphs of a Word or PDF file, a decision's heading
table ("ỦY BAN NHÂN DÂN / TỈNH X", "Số: 12/QĐ-UBND", "X, ngày 5 tháng 3 năm 2021") and, last, the
file name. Lines citing other documents ("Căn cứ …") are skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from khuyencong.core import provinces
from khuyencong.ingest.headers import fold

#: Money units as printed → factor to million VND (longest first: "đồng" ends the others).
UNITS = {"triệu đồng": 1.0, "nghìn đồng": 0.001, "ngàn đồng": 0.001, "tỷ đồng": 1000.0, "tỉ đồng": 1000.0,
         "đồng": 1e-6}
_UNITS_FOLDED = r"(trieu dong|tr d|trd|nghin dong|ngan dong|ty dong|ti dong|1 000 000 dong|1000000 dong|1 000 dong|1000 dong|dong)"
_UNIT_RE = re.compile(r"(?:don vi tinh|dvt|don vi)\s*:?\s*" + _UNITS_FOLDED + r"\b")
_UNIT_PAREN = re.compile(r"[\(\[]\s*(?:(?:don vi tinh|dvt)\s*:?\s*)?" + _UNITS_FOLDED + r"\s*[\)\]]")
_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d\d)\b")
_DECISION = re.compile(r"\bS[ốô]\s*(?:hiệu)?\s*:?\s*(\d+[^\s,;:]*/[^\s,;:]+)", re.IGNORECASE)
#: Lines citing other documents: "Căn cứ …", "Theo đề nghị …", "Thực hiện Quyết định số …" (not "Thực hiện các
#: đề án khuyến công năm 2019", the title of a plan).
_CITES = re.compile(r"^(?:can cu|theo de nghi|xet de nghi|thuc hien\s+(?:quyet dinh|cong van|van ban|chi thi|"
                    r"nghi quyet|nghi dinh|thong tu|thong bao|ke hoach so|y kien|chi dao))\b")
#: A date line whose day and month are left blank until signing: "An Giang, ngày    tháng    năm 2019".
_BLANK_DATE = re.compile(r"\bngay\b[\s.…_/-]*\bthang\b[\s.…_/-]*\bnam\s+((?:19|20)\d\d)\b")
YEAR_WORD = re.compile(r"\bnam\s+((?:19|20)\d\d)\b")  # "năm 2018" in folded text
#: A title naming a period ("GIAI ĐOẠN 2012 - 2022"): the document is about those years, not the one it was signed in.
_PERIOD = re.compile(r"(?<!\d)(?:19|20)\d\d[\s\-–]+(?:19|20)\d\d(?!\d)")  # folded text keeps no dash
ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")  # a year anywhere in a text
_AUTHORITY = (("ubnd",), ("uy", "ban", "nhan", "dan"), ("so", "cong", "thuong"))
_PROVINCE_WORD = (("tinh",), ("thanh", "pho"), ("tp",))


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
    dated: Fact | None = None  # the document's date ("…, ngày 5 tháng 3 năm 2021") as an ISO string; its year alone
    #                            ("2019") when the day and month were left blank for the signature


def unit_in(text: str) -> str | None:
    found = _UNIT_PAREN.search(_fold_brackets(text)) or _UNIT_RE.search(fold(text))
    return _unit_name(found.group(1)) if found else None


def _fold_brackets(text: str) -> str:
    parts = re.split(r"([()\[\]])", text)
    return " ".join(p if p in "()[]" else fold(p) for p in parts if p.strip())


def _unit_name(folded: str) -> str:
    return {"trieu dong": "triệu đồng", "nghin dong": "nghìn đồng", "ngan dong": "nghìn đồng",
            "ty dong": "tỷ đồng", "ti dong": "tỷ đồng", "dong": "đồng", "1 000 dong": "nghìn đồng",
            "1000 dong": "nghìn đồng", "1 000 000 dong": "triệu đồng", "1000000 dong": "triệu đồng", "tr d": "triệu đồng", "trd": "triệu đồng"}[folded]


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
            found = resolve_words(words[j:j + 5])
            if found:
                return found
            if said_province and words[j:]:
                return None, " ".join(words[j:j + 3])
    for i in range(len(words)):  # "... NĂM 2021 TỈNH HÀ TĨNH": only a name we know counts here
        if folded[i] == "tinh" and (found := resolve_words(words[i + 1:i + 5])):
            return found
    if " ".join(folded[:3]) == "trung tam khuyen" or " ".join(folded[:3]) == "so cong thuong":
        return _name_at_end(words)  # "TRUNG TÂM KHUYẾN CÔNG … BẾN TRE"
    return None


def _name_at_end(words: list[str]) -> tuple[object, str] | None:
    """A province named by the last two to four words of a line or a file name."""
    for n in (4, 3, 2):
        if len(words) > n and (found := resolve_words(words[-n:])) and len(found[1].split()) == n:
            return found
    return None


def province_in_file_name(stem: str) -> tuple[object, str] | None:
    """A province spelt in a file name ("vinh_long_2022_register" → Vĩnh Long), two words or more."""
    words = [w for w in re.split(r"[_\-\s.]+", stem) if w]
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            if not any(w.isdigit() for w in words[i:i + n]) and (found := resolve_words(words[i:i + n])) \
                    and len(found[1].split()) == n:
                return found
    return None


def resolve_words(words: list[str]) -> tuple[object, str] | None:
    for n in range(len(words), 0, -1):
        text = " ".join(words[:n])
        try:
            return provinces.normalize_province(text), text
        except provinces.ProvinceError:
            continue
    return None


def programmes_in(folded: str) -> set[str]:
    """The programmes a folded text names: KCQG, KCĐP, both or none."""
    national = "khuyen cong quoc gia" in folded
    # "quỹ khuyến công" is a province's own fund; "khuyến công tỉnh" alone also names the provincial centre
    local = any(words in folded for words in ("khuyen cong dia phuong", "khuyen cong cap tinh", "khuyen cong cap huyen",
                                              "quy khuyen cong", "kinh phi khuyen cong tinh"))
    return {code for code, named in (("KCQG", national), ("KCDP", local)) if named}


def funding_in(folded: str) -> str | None:
    """The one programme a folded text names; None for neither or both."""
    named = programmes_in(folded)
    return named.pop() if len(named) == 1 else None


def title_facts(lines: list[tuple[str, int | None]], where: str, file_name: str) -> Facts:
    """Facts from title lines ``(text, row)``; the year falls back to the date, then the file name.

    Lines citing other documents ("Căn cứ …", "Theo đề nghị …") are skipped, and a year inside a date
    ("ngày 5 tháng 3 năm 2021") is the document's date, not the year its table is about.
    """
    facts = Facts()
    period = False
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
        period = period or bool(_PERIOD.search(folded))
        if facts.year is None and (m := YEAR_WORD.search(_BLANK_DATE.sub(" ", _DATE.sub(" ", folded)))):
            facts.year = Fact(int(m.group(1)), source, row)
        if facts.dated is None and (d := _BLANK_DATE.search(folded)):
            facts.dated = Fact(d.group(1), source, row)  # the year it was signed, when nothing else says one
        if facts.unit is None and (unit := unit_in(text)):
            facts.unit = Fact(unit, source, row)
        if facts.funding_source is None and (fs := funding_in(folded)):
            facts.funding_source = Fact(fs, source, row)
    if facts.province is None and facts.province_unknown is None and \
            (found := province_in_file_name(Path(file_name).stem)):
        facts.province = Fact(found[0].name, f"file name {file_name!r}")
    named = {int(y) for y in ANY_YEAR.findall(Path(file_name).stem)}
    if period and facts.year is None:
        return facts  # a period's report: no year of its own (each row's year column, else --file-year)
    if facts.year is None and len(named) == 1:  # "…_2018_2024_…" names a period, not the year of the list
        facts.year = Fact(named.pop(), f"file name {file_name!r}")
    if facts.year is None and facts.dated is not None:
        facts.year = Fact(int(facts.dated.value[:4]), facts.dated.source, facts.dated.row)
    return facts
