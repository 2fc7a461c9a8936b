"""Recognise a raw table's header row and map its printed headers to a dataset's columns.

Headers are matched against :mod:`khuyencong.core.datasets` (Vietnamese with or without diacritics,
English, column names, synonyms) on their folded form (:func:`fold`). Title rows above the header,
two-row headers under merged cells and money units in headers (``(nghìn đồng)``) are recognised.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from khuyencong.core import datasets as ds
from khuyencong.errors import InputError

HEADER_SCAN_ROWS = 15

#: Money units as they appear in headers (normalised text) → factor to million VND.
MONEY_UNITS: dict[str, float] = {
    "trieu dong": 1.0, "trd": 1.0, "tr d": 1.0, "trieu": 1.0, "trieu vnd": 1.0,
    "million vnd": 1.0, "million dong": 1.0, "mil vnd": 1.0, "vnd million": 1.0,
    "nghin dong": 0.001, "ngan dong": 0.001, "1000 dong": 0.001, "1 000 dong": 0.001,
    "1000 vnd": 0.001, "thousand vnd": 0.001, "thousand dong": 0.001,
    "dong": 1e-6, "vnd": 1e-6,
    "ty dong": 1000.0, "ti dong": 1000.0, "ty": 1000.0, "billion vnd": 1000.0, "billion dong": 1000.0,
}
_UNIT_PREFIX = re.compile(r"^(don vi tinh|don vi|dvt|unit|units)\s+")
_PAREN = re.compile(r"\(([^()]*)\)")


class RawFormatError(InputError):
    """The file cannot be read as a dataset: the message says what is wrong and how to fix it."""


# ---------------------------------------------------------------- header text

def fold(text: object) -> str:
    """Comparison form: NFC, lower case, no diacritics (đ → d), punctuation → single spaces."""
    s = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", s).strip()


def split_header(text: object) -> tuple[str, str | None]:
    """``"Kinh phí hỗ trợ (nghìn đồng)"`` → ``("kinh phi ho tro", "nghin dong")``."""
    raw = unicodedata.normalize("NFC", str(text))
    units = _PAREN.findall(raw)
    key = fold(_PAREN.sub(" ", raw))
    unit = _UNIT_PREFIX.sub("", fold(units[-1])) if units else None
    return key, unit or None


@lru_cache(maxsize=None)
def header_index(dataset: str) -> dict[str, str]:
    """Folded header spelling → canonical column, for one dataset."""
    index: dict[str, str] = {}
    for col in ds.DATASETS[dataset].columns:
        for spelling in (col.vi, col.en, col.name, *col.synonyms):
            key = split_header(spelling)[0]
            if index.setdefault(key, col.name) != col.name:
                raise ValueError(f"datasets.py: header {spelling!r} names both {index[key]} and {col.name}")
    return index


@lru_cache(maxsize=None)
def all_keys() -> frozenset[str]:
    return frozenset(k for name in ds.DATASETS for k in header_index(name))


def money_factor(unit: str | None, header: str) -> float:
    """Factor that turns a money column with this header unit into million VND."""
    if unit is None:
        return 1.0
    if unit in MONEY_UNITS:
        return MONEY_UNITS[unit]
    raise RawFormatError(
        f"header {header!r}: unit '({unit})' is not a money unit this reader knows; write the amount in "
        "(triệu đồng), (nghìn đồng), (đồng) or (tỷ đồng) / (million VND), (VND) or (billion VND)")


# ---------------------------------------------------------------- header rows

@dataclass(frozen=True)
class HeaderCell:
    printed: str  # header as shown to people
    candidates: tuple[tuple[str, str | None], ...]  # (folded key, unit) in order of preference


def plain_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _single_cells(row: list[str]) -> list[HeaderCell]:
    return [HeaderCell(t, (split_header(t),) if t else ()) for t in row]


def _pair_cells(top: list[str], bottom: list[str]) -> list[HeaderCell]:
    """Combine a merged parent row with its child row (merged cells are empty right of the anchor)."""
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    cells, parent = [], ""
    for t, b in zip(top, bottom):
        if t:
            parent = t
        elif not b:
            parent = ""
        p = t or (parent if b else "")
        if p and b:
            pk, pu = split_header(p)
            bk, bu = split_header(b)
            unit = bu or pu
            options = ((f"{pk} {bk}".strip(), unit), (f"{bk} {pk}".strip(), unit), (bk, bu))
            cells.append(HeaderCell(f"{p}: {b}", options))
        else:
            text = p or b
            cells.append(HeaderCell(text, (split_header(text),) if text else ()))
    return cells


def _match(cell: HeaderCell, index: dict[str, str] | frozenset[str]) -> tuple[str, str | None] | None:
    for key, unit in cell.candidates:
        if key in index:
            return key, unit
    return None


def score(cells: list[HeaderCell], keys) -> int:
    return sum(_match(c, keys) is not None for c in cells)


def _is_header(row: list[str], keys) -> bool:
    filled = [t for t in row if t]
    hits = sum(split_header(t)[0] in keys for t in filled)
    return hits >= 2 and 2 * hits >= len(filled)


def find_header(rows: list[list[str]], keys) -> tuple[int, int, list[HeaderCell]] | None:
    """(first header row index, number of header rows, cells) or None when no row looks like a header."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if not _is_header(row, keys):
            continue
        options = [(score(_single_cells(row), keys), i, 1, _single_cells(row))]
        if i + 1 < len(rows):
            cells = _pair_cells(row, rows[i + 1])
            options.append((score(cells, keys), i, 2, cells))
        if i > 0:
            cells = _pair_cells(rows[i - 1], row)
            options.append((score(cells, keys), i - 1, 2, cells))
        best = max(options, key=lambda o: o[0])  # ties keep the single row (listed first)
        return best[1], best[2], best[3]
    return None


# ---------------------------------------------------------------- dataset detection and mapping

def _matches(cells: list[HeaderCell], dataset: str) -> dict[str, list[tuple[int, str | None]]]:
    index = header_index(dataset)
    found: dict[str, list[tuple[int, str | None]]] = {}
    for pos, cell in enumerate(cells):
        hit = _match(cell, index)
        if hit:
            found.setdefault(index[hit[0]], []).append((pos, hit[1]))
    return found


def detect_dataset(cells: list[HeaderCell], where: str) -> str:
    """The dataset whose columns the headers match most; ambiguous or none → RawFormatError."""
    scores = {name: len(_matches(cells, name)) for name in ds.DATASETS}
    best = max(scores.values())
    winners = [n for n, s in scores.items() if s == best]
    headers = [c.printed for c in cells if c.printed]
    if best < 2 or len(winners) > 1:
        what = "no dataset" if best < 2 else f"several datasets equally ({', '.join(winners)})"
        raise RawFormatError(
            f"{where}: the headers match {what}; headers found: {headers}. Pass the dataset explicitly "
            f"(one of {', '.join(ds.DATASETS)}) or use the headers of a template in data/raw/templates/.")
    return winners[0]


def _suggest(missing: ds.Column, headers: list[str]) -> str:
    folded = {split_header(h)[0]: h for h in headers}
    targets = [split_header(s)[0] for s in (missing.vi, missing.en, *missing.synonyms)]
    close = {folded[m] for t in targets for m in difflib.get_close_matches(t, list(folded), n=2, cutoff=0.6)}
    return f" (closest header found: {', '.join(sorted(close))})" if close else ""


def map_columns(cells: list[HeaderCell], dataset: str, where: str):
    """{canonical: (position, printed, unit)} plus the ignored headers; raises on missing/duplicate."""
    found = _matches(cells, dataset)
    headers = [c.printed for c in cells if c.printed]
    dupes = {name: hits for name, hits in found.items() if len(hits) > 1}
    if dupes:
        name, hits = next(iter(dupes.items()))
        raise RawFormatError(
            f"{where}: headers {[cells[p].printed for p, _ in hits]} all mean column {name!r}; keep one of them.")
    missing = [c for c in ds.DATASETS[dataset].columns if c.required_in(False) and c.name not in found]
    if missing:
        lines = [f"  - {c.name}: add a column headed '{c.vi}' (or '{c.en}'){_suggest(c, headers)}" for c in missing]
        raise RawFormatError(
            f"{where}: required column(s) missing for dataset {dataset!r}:\n" + "\n".join(lines)
            + f"\nHeaders found: {headers}")
    mapping = {name: (hits[0][0], cells[hits[0][0]].printed, hits[0][1]) for name, hits in found.items()}
    used = {pos for pos, _, _ in mapping.values()}
    ignored = [c.printed for i, c in enumerate(cells) if c.printed and i not in used]
    return mapping, ignored


def unit_scale(mapping, dataset: str) -> dict[str, float]:
    return {name: money_factor(unit, printed) for name, (_, printed, unit) in mapping.items()
            if ds.DATASETS[dataset].column(name).kind == "money"}


def resolve_layout(rows: list[list[str]], dataset: str | None, where: str):
    keys = header_index(dataset) if dataset else all_keys()
    found = find_header(rows, keys)
    if found is None:
        preview = [[t for t in r if t] for r in rows[:5]]
        target = f"dataset {dataset!r}" if dataset else "any dataset"
        raise RawFormatError(
            f"{where}: no header row of {target} in the first {HEADER_SCAN_ROWS} rows (first rows: {preview}). "
            "The header row needs at least two recognised column names, e.g. 'Năm', 'Tỉnh/thành phố'.")
    start, n_rows, cells = found
    dataset = dataset or detect_dataset(cells, where)
    mapping, ignored = map_columns(cells, dataset, where)
    return start, n_rows, cells, dataset, mapping, ignored
