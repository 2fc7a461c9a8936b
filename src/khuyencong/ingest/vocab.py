"""The Vietnamese vocabularies of real files: labels → our codes, matched without guessing.

Four tables in ``data/``: ``category_labels.csv`` (extension contents → the 14 category codes),
``status_labels.csv`` (project statuses), ``funding_labels.csv`` (funding sources and the money
column roles) and ``column_labels.csv`` (the other column headers → roles). A label is compared
on its folded form (NFC, lower case, no diacritics, so old/new tone-mark placement "hoà/hòa" and
text typed without accents compare equal). A :class:`Match` is

- ``exact``: the folded label is in the table → confident;
- ``proposed``: the best fuzzy match (``rapidfuzz``) scores at least :data:`THRESHOLD` and no
  other code comes close → a proposal with its score, for the user to confirm;
- ``review``: the table marks the label ``REVIEW`` (it fits several codes) or two codes match
  about equally → left for the user, with the candidates;
- ``unknown``: nothing close enough → left for the user.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from khuyencong.ingest.headers import fold
from khuyencong.paths import PACKAGE_DATA

THRESHOLD = 88.0  # lowest fuzzy score proposed (0-100, rapidfuzz token_sort_ratio on folded text)
MARGIN = 5.0  # a second code within this many points of the best makes the match ambiguous
REVIEW = "REVIEW"
MIXED_CONTENTS = 3  # a title whose words name this many categories lists several contents: unclassified
FILES = {"category": "category_labels.csv", "status": "status_labels.csv",
         "funding": "funding_labels.csv", "column": "column_labels.csv"}
_CANDIDATES = re.compile(r"candidates:\s*([a-z_|A-Z]+)")


@dataclass(frozen=True)
class Entry:
    label: str
    code: str  # our code, "" when the label says nothing (funding headers), or REVIEW
    role: str = ""  # column role (funding and column tables)
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """How one printed label maps to a code, with the evidence."""

    text: str
    how: str  # exact, proposed, review, unknown
    code: str | None = None
    alias: str | None = None  # the vocabulary label that matched
    score: float | None = None
    candidates: tuple[str, ...] = ()
    role: str = ""

    @property
    def confident(self) -> bool:
        return self.how == "exact"


def _entry(row: dict[str, str], kind: str) -> Entry:
    code = row.get("code", "") or ""
    role = row.get("role", "") or ""
    found = _CANDIDATES.search(row.get("note", "") or "")
    candidates = tuple(found.group(1).split("|")) if found and REVIEW in (code, role) else ()
    if kind == "column":
        code, role = role, role
    return Entry(row["label"], code, role, candidates)


@lru_cache(maxsize=None)
def entries(kind: str) -> dict[str, Entry]:
    """Folded label → entry for one vocabulary (``category``, ``status``, ``funding``, ``column``)."""
    with (PACKAGE_DATA / FILES[kind]).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    table: dict[str, Entry] = {}
    for row in rows:
        entry = _entry(row, kind)
        previous = table.setdefault(fold(entry.label), entry)
        if (previous.code, previous.role) != (entry.code, entry.role):
            raise ValueError(f"{FILES[kind]}: {entry.label!r} and {previous.label!r} fold alike but differ")
    return table


def match(text: object, kind: str, threshold: float = THRESHOLD) -> Match:
    """Map one printed label of vocabulary ``kind`` (see the module docstring)."""
    printed = " ".join(str(text).split())
    key = fold(printed)
    table = entries(kind)
    if key in table:
        e = table[key]
        how = "review" if REVIEW in (e.code, e.role) else "exact"
        return Match(printed, how, None if how == "review" else e.code, e.label, 100.0, e.candidates, e.role)
    return _fuzzy(printed, key, table, threshold)


def _fuzzy(printed: str, key: str, table: dict[str, Entry], threshold: float) -> Match:
    if not key:
        return Match(printed, "unknown")
    found = process.extract(key, list(table), scorer=fuzz.token_sort_ratio, limit=8)
    found = [(k, s) for k, s, _ in found if s >= threshold]
    if not found:
        return Match(printed, "unknown")
    best_key, best = found[0]
    e = table[best_key]
    rivals = {table[k].code for k, s in found if s >= best - MARGIN} - {e.code}
    if REVIEW in (e.code, e.role) or rivals:
        candidates = e.candidates or tuple(sorted({e.code, *rivals} - {REVIEW}))
        return Match(printed, "review", None, e.label, round(best, 1), candidates, e.role)
    return Match(printed, "proposed", e.code, e.label, round(best, 1), (), e.role)


def codes(kind: str) -> frozenset[str]:
    """Every code a vocabulary can give (REVIEW and empty excluded)."""
    return frozenset(e.code for e in entries(kind).values() if e.code and e.code != REVIEW)


@lru_cache(maxsize=None)
def _title_keywords() -> tuple[tuple[str, str, str], ...]:
    with (PACKAGE_DATA / "category_keywords.csv").open(encoding="utf-8", newline="") as fh:
        return tuple((fold(r["keyword"]), r["code"], r["keyword"]) for r in csv.DictReader(fh))


def _named(text: object) -> list[tuple[str, str]]:
    """(code, keyword as printed) of every keyword of ``category_keywords.csv`` in ``text``, in file order."""
    key = f" {fold(text)} "
    return [(code, printed) for keyword, code, printed in _title_keywords() if f" {keyword} " in key]


def categories_named(text: object) -> list[str]:
    """The distinct categories whose keywords ``text`` holds, in file order ("Mô hình trình diễn; ứng dụng
    máy móc" → demonstration, technology)."""
    return list(dict.fromkeys(code for code, _ in _named(text)))


def category_from_title(title: object) -> Match | None:
    """The category a project title names ("Hỗ trợ ứng dụng máy sấy …" → technology), or None.

    The keywords of ``category_keywords.csv`` are tried in file order (specific wordings first), as
    whole words of the folded title; a title naming :data:`MIXED_CONTENTS` categories lists several
    contents and gets none. The match carries the keyword as its evidence (``alias``).
    """
    found = _named(title)
    if not found or len({code for code, _ in found}) >= MIXED_CONTENTS:
        return None  # nothing named, or a title listing several contents at once: no one category
    return Match(str(title), "title", found[0][0], found[0][1])
