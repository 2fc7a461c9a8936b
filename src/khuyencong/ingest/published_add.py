"""``khuyencong published add FILE.figures.yml``: append the reviewed rows of an extraction to the record.

Reads the review file :mod:`khuyencong.ingest.extract` wrote, after a person set ``accept: true`` or
``false`` on each candidate and filled the source (url or outlet; published or retrieved date). Only
accepted rows are added, in the columns of ``data/raw/published_figures.csv`` (no evidence sentence,
no confidence). Before anything is written:

* every accepted figure must still be a substring of its evidence sentence (it is the printed text);
* a row already in the record with the same figure, area, period and source (url, else outlet and
  title) is a duplicate: the whole add is refused, naming it;
* a row describing the same figure (:data:`~khuyencong.ingest.published.SAME_FIGURE`: area, period,
  indicator, kind, funding) printed by *another* source gets ``same_as`` = that row's id (its
  ``same_as`` when it has one), so duplicates and conflicts show up as they do today;
* figure ids are made unique (``…_2``) and the whole new file is checked by
  :func:`~khuyencong.ingest.published.load_published` before it replaces the old one in one step.

Rows are appended as text with the file's own quoting (minimal) and line ends, so every existing
line stays byte for byte as it was.
"""
from __future__ import annotations

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from khuyencong.files import atomic_path, load_yaml
from khuyencong.errors import InputError
from khuyencong import paths
from khuyencong.ingest import published

__all__ = ["AddResult", "ReviewFileError", "add_reviewed", "add_files"]

log = logging.getLogger(__name__)

SOURCE_KEYS = ("url", "outlet", "title", "published", "retrieved")
EXTRACTED = "extracted by khuyencong extract, reviewed"  # how the record tells extracted rows from transcribed ones


class ReviewFileError(InputError):
    """A review file cannot be added as it is; the message says which candidate and what to fix."""


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)  # figure_ids appended
    rejected: int = 0  # accept: false
    undecided: int = 0  # accept: null (left for later)
    linked: dict[str, str] = field(default_factory=dict)  # figure_id → same_as


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def _source_key(row: dict) -> tuple[str, ...]:
    return (row["url"],) if row["url"] else (_norm(row["outlet"]), _norm(row["title"]))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _read_review(path: Path) -> tuple[dict, list[dict]]:
    doc = load_yaml(path, error=ReviewFileError)
    if not isinstance(doc, dict) or not isinstance(doc.get("candidates"), list):
        raise ReviewFileError(f"{path.name}: not a review file from `khuyencong extract` (no candidates list)")
    source = doc.get("source") or {}
    if not isinstance(source, dict):
        raise ReviewFileError(f"{path.name}: 'source' must be a mapping of url, outlet, title, published, retrieved")
    return {k: _text(source.get(k)) for k in SOURCE_KEYS}, doc["candidates"]


def _row(cand: dict, source: dict, where: str) -> dict:
    figure, evidence = _text(cand.get("figure")), _text(cand.get("evidence"))
    if evidence and unicodedata.normalize("NFC", figure) not in unicodedata.normalize("NFC", evidence):
        raise ReviewFileError(f"{where}: figure {figure!r} is not in its evidence sentence; copy the figure "
                              "exactly as printed")
    row = {c: _text(cand.get(c)) for c in published.REQUIRED_COLUMNS}
    row.update(source)
    row["figure"], row["same_as"] = figure, ""
    row["note"] = "; ".join(p for p in (EXTRACTED, row["note"]) if p)  # extracted, then reviewed: said per row
    for col in ("period_start", "period_end"):
        if not row[col].isdigit():
            raise ReviewFileError(f"{where}: {col} is {row[col] or 'empty'}; give the year (e.g. 2019)")
    return row


def _decisions(candidates: list, source: dict, name: str, result: AddResult) -> list[dict]:
    rows = []
    for n, cand in enumerate(candidates, start=1):
        where = f"{name}, candidate {n}"
        if not isinstance(cand, dict):
            raise ReviewFileError(f"{where}: not a mapping")
        accept = cand.get("accept")
        if accept is None:
            result.undecided += 1
        elif accept is False:
            result.rejected += 1
        elif accept is True:
            rows.append(_row(cand, source, f"{where} ({cand.get('figure')!r})"))
        else:
            raise ReviewFileError(f"{where}: accept is {accept!r}; write true, false or leave it null")
    return rows


def _link_and_check(rows: list[dict], existing: list[dict], name: str, result: AddResult) -> None:
    ids = {r["figure_id"] for r in existing}
    for row in rows:
        for old in existing:
            same = [old[c] == row[c] for c in published.SAME_FIGURE]
            if _source_key(old) == _source_key(row):
                if _norm(old["figure"]) == _norm(row["figure"]) and all(
                        old[c] == row[c] for c in ("area", "period_start", "period_end")):
                    raise ReviewFileError(
                        f"{name}: {row['figure']!r} ({row['area']}, {row['period_start']}–{row['period_end']}) "
                        f"from this source is already in the record as {old['figure_id']}; set accept: false")
            elif all(same) and not row["same_as"]:
                row["same_as"] = old["same_as"] or old["figure_id"]
        base, k = row["figure_id"], 2
        while row["figure_id"] in ids:
            row["figure_id"], k = f"{base}_{k}", k + 1
        ids.add(row["figure_id"])
        if row["same_as"]:
            result.linked[row["figure_id"]] = row["same_as"]
        existing.append(row)


def _append_text(original: bytes, rows: list[dict]) -> bytes:
    newline = "\r\n" if b"\r\n" in original[:4096] else "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(published.REQUIRED_COLUMNS), lineterminator=newline,
                            quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    head = original if original.endswith(b"\n") or not original else original + newline.encode()
    return head + buf.getvalue().encode("utf-8")


def add_reviewed(review: Path | str, csv_path: Path | str | None = None) -> AddResult:
    """Append the accepted rows of ``review`` to the published-figures CSV (see module docstring)."""
    review = Path(review)
    target = Path(csv_path) if csv_path is not None else published.published_csv_path()
    source, candidates = _read_review(review)
    result = AddResult()
    rows = _decisions(candidates, source, review.name, result)
    if not rows:
        return result
    if not (source["url"] or source["outlet"]) or not (source["published"] or source["retrieved"]):
        raise ReviewFileError(f"{review.name}: fill the source: a url or an outlet, and a published or retrieved date")
    original = target.read_bytes()
    existing = [dict(r) for r in csv.DictReader(io.StringIO(original.decode("utf-8")))]
    _link_and_check(rows, existing, review.name, result)
    with atomic_path(target) as tmp:
        tmp.write_bytes(_append_text(original, rows))
        published.load_published(tmp)  # the whole record still reads; raises naming the row otherwise
    _record_checksum(target)
    result.added = [r["figure_id"] for r in rows]
    return result


def _record_checksum(target: Path) -> None:
    """The record's provenance entry follows its new content (when it has one in data/raw/provenance.yml)."""
    from khuyencong.ingest import provenance

    raw = paths.raw_dir().resolve()
    rel = target.resolve().relative_to(raw).as_posix() if raw in target.resolve().parents else None
    if rel is not None and rel in provenance.load_records(raw):
        provenance.record_file(target.resolve(), raw_dir=raw)


def add_files(reviews: list[str]) -> int:
    """``khuyencong published add``: add each review file in turn, logging what happened; exit code 0."""
    if not reviews:
        raise ReviewFileError("published add: name the review file(s) `khuyencong extract` wrote (FILE.figures.yml)")
    for review in reviews:
        result = add_reviewed(review)
        added = f" ({', '.join(result.added)})" if result.added else ""
        log.info("%s: %d row(s) added%s; %d rejected, %d left undecided (accept: null)", review,
                 len(result.added), added, result.rejected, result.undecided)
        for fid, target in result.linked.items():
            log.info("  %s: the same figure as %s (another source): same_as set", fid, target)
    return 0
