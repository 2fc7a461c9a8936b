"""Which programme a row's money is from, when a cell or a title names it in words.

"Khuyến công quốc gia", "Đề án khuyến công địa phương", "Chương trình khuyến công quốc gia năm 2022",
"Ngân sách huyện (khuyến công huyện)": exact vocabulary names first, then the programme's words
(:func:`khuyencong.ingest.doc_facts.funding_in`). Used by :mod:`khuyencong.ingest.annex_rows`.
"""
from __future__ import annotations

import re

from khuyencong.ingest import vocab
from khuyencong.ingest.annex_checks import TableRead
from khuyencong.ingest.doc_facts import funding_in, programmes_in
from khuyencong.ingest.formats import cell_text
from khuyencong.ingest.headers import fold
from khuyencong.ingest.row_kinds import Row


def programme(title: str | None) -> str | None:
    """A row whose title is a programme ("Khuyến công quốc gia", "Chương trình khuyến công địa phương"): its own
    name says whose money it is, whatever the document's title says."""
    if not title:
        return None
    found = vocab.match(re.sub(r"^(?:de an|kinh phi|chuong trinh)\s+", "", fold(title)), "funding")
    return found.code if found.how == "exact" and found.code in ("KCQG", "KCDP") else None


def title_funding(title: str | None) -> str | None:
    """A programme named in a title's words ("Chương trình khuyến công quốc gia năm 2022")."""
    return (programme(title) or funding_in(fold(title))) if title else None


def row_funding(t: TableRead, row: Row) -> str | None:
    """A per-row funding-source cell (KCQG, KCĐP, "Khuyến công quốc gia") as a code."""
    col = t.roles.get("funding_source")
    printed = cell_text(row.cells[col.index]) if col else ""
    if not printed:
        return None
    found = vocab.match(re.sub(r"\([^()]*\)", " ", printed).strip() or printed, "funding")  # "(khuyến công huyện)"
    if code := found.code if found.how == "exact" and found.code in ("KCQG", "KCDP") else title_funding(printed):
        return code
    if programmes_in(fold(printed)) == {"KCQG", "KCDP"}:
        t.issue(row.row, "both_programmes_unsplit", f"{printed!r}: both programmes, one amount; the funding source "
                "is left empty (give each programme's money in its own column or row to split it)",
                t.roles["funding_source"].header, "warning")
        return None
    t.issue(row.row, "unknown_funding_source", f"{printed!r} is not a funding source we know (KCQG or KCĐP)",
            t.roles["funding_source"].header)
    return None
