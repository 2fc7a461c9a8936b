"""``khuyencong extract FILE…``: propose published-figures rows from a report or saved article, for review.

A page (:mod:`khuyencong.ingest.page_text`) is split into sentences; every figure of a sentence is found
by :func:`khuyencong.ingest.extract_rules.find_figures` (exactly as printed, checked by ``core/vnformat``)
and kept when the page is about khuyến công, or when the figure is an indicator we use outside it
(industrial growth, IIP). Each kept figure becomes one candidate row: indicator (our vocabulary, labels
from ``published_figures.csv``), area (``core/provinces``; the nearest province named before the figure,
else the page's main one), period, kind, funding tier and a confidence, read from the clause before the
figure, then the sentence, the sentences before it and the title.

:func:`write_review` writes ``FILE.figures.yml``: the page's provenance (empty where the page does not
say: fill it in), then every candidate with its evidence sentence (kept only in this review file) and
``accept: null``. ``khuyencong published add`` (:mod:`khuyencong.ingest.published_add`) takes it from there.
"""
from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from khuyencong.core import provinces
from khuyencong.files import atomic_write_text
from khuyencong.ingest import extract_rules as rules
from khuyencong.ingest.page_text import Page, read_page

__all__ = ["Candidate", "extract_page", "extract_file", "extract_to_reviews", "write_review", "review_path",
           "sentences"]

log = logging.getLogger(__name__)

REVIEW_SUFFIX = ".figures.yml"
#: Labels of indicators the rules may propose that the record does not use yet.
NEW_INDICATOR_LABELS = {"support_rate": ("Mức hỗ trợ (tỷ lệ)", "Support rate")}
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+(?=[\"“(]?[^\W\d_])")
_CONTINUES = re.compile(r"\W*(?:trong đó|cụ thể|theo đó|gồm)\b", re.IGNORECASE)  # a sentence detailing the last
_CLAUSE_START = re.compile(r"[;:(]|\btrong đó\b|\bgồm\b", re.IGNORECASE)
_YEAR = r"((?:19|20)\d\d)"
_DASH = r"\s*[-–—]\s*"
PERIOD_PATTERNS: tuple[tuple[str, str], ...] = (
    (rf"từ (?:năm )?{_YEAR} (?:đến|tới) nay", "since"),
    (rf"(?:giai đoạn|thời kỳ|từ năm|từ)?\s*{_YEAR}{_DASH}{_YEAR}", "span"),
    (rf"từ (?:năm )?{_YEAR} (?:đến|tới) (?:năm )?{_YEAR}", "span"),
    (rf"\d+ tháng (?:đầu |cuối )?năm {_YEAR}", "part"),
    (rf"(?:đến|tới) năm {_YEAR}", "until"),
    (rf"năm {_YEAR}", "year"),
)


@dataclass
class Candidate:
    """One proposed row of ``published_figures.csv`` and why (see the module docstring)."""

    figure: str
    indicator: str
    indicator_vi: str
    indicator_en: str
    area: str
    area_type: str
    period_start: int | None
    period_end: int | None
    period_text: str
    kind: str
    cumulative: bool
    funding_source: str
    confidence: float
    figure_id: str
    note: str
    evidence: str
    accept: bool | None = None
    start: int = field(default=0, repr=False)  # offset in the page text (not written)


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) of every sentence: lines, then sentence ends (``.``, ``!``, ``?``, ``…``, ``;``)."""
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        pos = 0
        for m in _SENTENCE_END.finditer(line):
            if line[pos:m.start()].strip():
                out.append((offset + pos, line[pos:m.start()]))
            pos = m.end()
        if line[pos:].strip():
            out.append((offset + pos, line[pos:]))
        offset += len(line) + 1
    return out


# --- vocabularies ----------------------------------------------------------------------------


def _record_path() -> tuple[str, float]:
    from khuyencong.ingest.published import published_csv_path

    path = published_csv_path()
    return str(path), path.stat().st_mtime if path.exists() else 0.0


@functools.lru_cache(maxsize=4)
def _record_vocab(path: str, mtime: float) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(indicator → its shortest (indicator_vi, indicator_en) in the record, area → its figure_id prefix)."""
    labels, prefixes = dict(NEW_INDICATOR_LABELS), {}
    if mtime:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        for code, g in df.groupby("indicator"):  # the shortest label is the least specific to one row
            first = g.loc[g["indicator_vi"].str.len().idxmin()]
            labels[code] = (first["indicator_vi"], first["indicator_en"])
        for area, g in df.groupby("area"):
            prefixes[area] = g["figure_id"].str.split("-").str[0].mode().iat[0]
    return labels, prefixes


def indicator_labels() -> dict[str, tuple[str, str]]:
    """indicator → (indicator_vi, indicator_en): the record's shortest labels for it."""
    return _record_vocab(*_record_path())[0]


@functools.cache
def _area_names() -> tuple[re.Pattern, dict[str, tuple[str, str]]]:
    """A regex of every province and region name, and name (casefolded) → (area, area_type)."""
    names: dict[str, tuple[str, str]] = {}
    for boundaries in provinces.BOUNDARIES:
        for p in provinces.records(boundaries):
            for spelling in (p.name, *p.aliases):
                if any(ch.isalpha() and ord(ch) > 127 for ch in spelling) or spelling == p.name:
                    names.setdefault(spelling.casefold(), (p.name, "province"))
    for _, r in provinces.regions().iterrows():
        for spelling in (r["name"], *str(r["aliases"] or "").split(";")):
            if spelling.strip() and not spelling.isupper():
                names.setdefault(spelling.strip().casefold(), (r["name"], "region"))
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternation})(?![^\W_])", re.IGNORECASE), names


def _areas_in(text: str) -> list[tuple[int, str, str]]:
    """(offset, area, area_type) of every area named; a one-word name ("Huế") after a capitalised word
    is part of a person's or a body's name ("Phạm Thị Huế"), not the area."""
    pattern, names = _area_names()
    out = []
    for m in pattern.finditer(text):
        before = text[:m.start()].split()
        if " " not in m.group() and before and before[-1][:1].isupper():
            continue
        out.append((m.start(), *names[m.group().casefold()]))
    return out


def _main_area(page: Page) -> tuple[str, str]:
    """The province a page is about: the one it names most, else the one its outlet is named after."""
    found = _areas_in(page.title + "\n" + page.text) or _areas_in(page.outlet.replace("Báo ", "báo "))
    provinces_found = [a for a in found if a[2] == "province"] or found
    if not provinces_found:
        return "", ""
    counts = pd.Series([a[1] for a in provinces_found]).value_counts(sort=False)
    best = counts.idxmax()
    return best, next(t for _, n, t in provinces_found if n == best)


# --- reading one figure's context ------------------------------------------------------------


def _nearest(patterns, text: str) -> tuple[str, re.Match] | None:
    """The (value, match) of the pattern matched closest to the end of ``text``."""
    best = None
    for pattern, value in patterns:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            if best is None or m.end() > best[1].end():
                best = (value, m)
    return best


def _period(texts: list[str], published: str) -> tuple[int | None, int | None, str, str]:
    """(start, end, printed words, how) from the first text naming a period (nearest the figure)."""
    pub_year = int(published[:4]) if published[:4].isdigit() else None
    for text in texts:
        found = _nearest(PERIOD_PATTERNS, text)
        if not found:
            continue
        how, m = found
        years = [int(y) for y in m.groups() if y]
        if how == "since":
            return years[0], pub_year or years[0], m.group().strip(), how
        if how == "span":
            if years[0] <= years[1]:
                return years[0], years[1], m.group().strip(), how
            continue
        return years[0], years[0], m.group().strip(), how
    if pub_year:
        return pub_year, pub_year, "", "published"
    return None, None, "", ""


def _rule_key(amount) -> str:
    if amount.unit == "million VND" and (amount.high or 0) < 0.001:
        return "leverage"  # "1 đồng vốn khuyến công thu hút gần 20 đồng": đồng per đồng
    if amount.unit == "count":
        return (amount.noun or "").split(",")[0].strip()
    return amount.unit.split("/")[0]


def _indicator(amount, contexts: list[tuple[str, bool]]) -> tuple[str, float]:
    """The indicator rule matched nearest the figure in the first context that matches one.

    ``contexts`` are (text, after): text after the figure is searched from its start, text before
    it from its end. The catch-all rule of a unit (empty pattern) applies last.
    """
    key = _rule_key(amount)
    specific = [r for r in rules.INDICATOR_RULES if key in r[0] and r[1]]
    for text, after in contexts:
        best = None
        for keys, pattern, code, confidence in specific:
            for m in re.finditer(pattern, text, re.IGNORECASE):
                score = -m.start() if after else m.end()
                if best is None or score > best[0]:
                    best = (score, code, confidence)
                if after:
                    break
        if best:
            return best[1], best[2]
    generic = next((r for r in rules.INDICATOR_RULES if key in r[0] and not r[1]), None)
    return (generic[2], generic[3]) if generic else ("", 0.2)


def _money_by_tier(funding: str) -> str:
    """A money figure without a more specific indicator: the funding of its tier."""
    return {"national": "national_funding", "local": "local_funding",
            "beneficiary": "beneficiary_contribution"}.get(funding, "total_funding")


def _prefix(area: str) -> str:
    """Area part of a figure_id: the prefix the record already uses for that area, else initials."""
    known = _record_vocab(*_record_path())[1]
    if area in known:
        return known[area]
    return "".join(w[0] for w in provinces.strip_diacritics(area).upper().split()) or "XX"


def _figure_id(area: str, start, end, indicator: str, how: str) -> str:
    period = "" if start is None else (str(start) if start == end else f"{start}-{end}")
    period += "H1" if how == "part" else ""
    return "-".join(p for p in (_prefix(area) if area else "XX", period, indicator or "unknown") if p)


def _candidate(page: Page, sents, i: int, found, main_area, prev_end: int = 0) -> Candidate | None:
    offset, sentence = sents[i]
    left_all = sentence[:found.start]
    clause_starts = [m.end() for m in _CLAUSE_START.finditer(left_all)]
    left = left_all[max([prev_end, *clause_starts]):]
    if left_all.rstrip().endswith("(") and not left.strip(" ("):  # "7 đề án máy móc (2,7 tỷ đồng)"
        left = left_all.rstrip()[:-1]
    window = left_all + " " + sentence[found.end:found.end + 40]
    right = re.split(r"[,;(\d]", sentence[found.end:], maxsplit=1)[0][:80]
    amount = found.amount
    if amount.unit.startswith("million VND"):
        contexts = [(left, False), (right, True)]
    elif amount.unit.startswith("percent"):  # a share or growth rate: only the words next to it
        contexts = [(right, True), (re.split(r"[\d,;:(]", left)[-1], False)]
    else:
        contexts = [(right, True), (left, False), (left_all, False)]
    code, confidence = _indicator(amount, contexts)
    if not code and amount.unit == "count":
        return None
    funding = _nearest(rules.FUNDING_WORDS, left) or _nearest(rules.FUNDING_WORDS, left_all)
    funding_source = funding[0] if funding else ""
    if amount.unit.startswith("million VND") and not code:
        code, confidence = _money_by_tier(funding_source), 0.6 if funding_source else 0.4
    topical = any(w in (page.title + " " + page.text).lower() for w in rules.TOPIC_WORDS)
    if not topical and code not in rules.GROWTH_INDICATORS:
        return None
    if amount.unit == "percent" and not code:
        return None
    previous = [s for _, s in reversed(sents[max(0, i - 3):i])]
    start, end, period_text, how = _period([left_all, sentence, *previous, page.title], page.published)
    kind = (_nearest(rules.KIND_WORDS, left) or _nearest(rules.KIND_WORDS, window)
            or (_nearest(rules.KIND_WORDS, previous[0]) if previous and _CONTINUES.match(sentence) else None)
            or _nearest(rules.KIND_WORDS, page.title))
    kind = "target" if how == "until" else (kind[0] if kind else "actual")
    areas = [a for a in _areas_in(left_all) if a[2] == "province"] or _areas_in(left_all)
    area, area_type = (areas[-1][1], areas[-1][2]) if areas else main_area
    vi, en = indicator_labels().get(code, ("", ""))
    if not (area and start and period_text):
        confidence *= 0.8
    return Candidate(
        figure=found.text, indicator=code, indicator_vi=vi, indicator_en=en, area=area,
        area_type=area_type or "province", period_start=start, period_end=end, period_text=period_text,
        kind=kind, cumulative=how == "since", funding_source=funding_source, confidence=round(confidence, 2),
        figure_id=_figure_id(area, start, end, code, how),
        note="cumulative since " + str(start) if how == "since" else ("part of the year" if how == "part" else ""),
        evidence=" ".join(sentence.split()), start=offset + found.start,
    )


def extract_page(page: Page) -> list[Candidate]:
    """Every candidate row of ``page``, in reading order (one per figure, repeats of a figure dropped)."""
    sents = sentences(page.text)
    main_area = _main_area(page)
    found: list[tuple[Candidate, bool, tuple]] = []
    seen: set[tuple] = set()
    seen_sentences: set[str] = set()
    for i, (_, sentence) in enumerate(sents):
        said = " ".join(sentence.split()).casefold()
        if said in seen_sentences:
            continue  # a headline repeated as a picture caption
        seen_sentences.add(said)
        headline = _is_headline(page, sents, i)
        prev_end = 0
        for fig in rules.find_figures(sentence):
            cand = _candidate(page, sents, i, fig, main_area, prev_end)
            prev_end = fig.end
            if cand is None:
                continue
            key = (unicodedata.normalize("NFC", cand.figure).casefold(), cand.indicator, cand.funding_source,
                   cand.period_start, cand.period_end)
            if key not in seen:
                seen.add(key)
                a = fig.amount
                found.append((cand, headline, (a.low, a.high, a.unit, _rule_key(a))))
    in_body = {value for _, headline, value in found if not headline}
    # a headline repeats a figure of the body (often rounded: "Hơn 10 tỷ" for "trên 10 tỷ"): keep the body's
    return [c for c, headline, value in found if not (headline and value in in_body)]


def _is_headline(page: Page, sents, i: int) -> bool:
    sentence = " ".join(sents[i][1].split())
    if page.title and sentence.casefold() == " ".join(page.title.split()).casefold():
        return True
    return i == 0 and not sentence.endswith((".", "!", "?", "…", ";"))


def extract_file(path: Path | str) -> tuple[Page, list[Candidate]]:
    page = read_page(path)
    return page, extract_page(page)


def review_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + REVIEW_SUFFIX)


def write_review(path: Path | str, page: Page, candidates: list[Candidate], out: Path | str | None = None) -> Path:
    """Write ``FILE.figures.yml`` (see the module docstring); returns its path."""
    import yaml

    target = Path(out) if out is not None else review_path(path)
    source = {**page.provenance(), "retrieved": date.today().isoformat(), "file": Path(path).name}
    rows = [{k: v for k, v in asdict(c).items() if k != "start"} for c in candidates]
    header = (
        "# Review file written by `khuyencong extract`. For each candidate set accept: true or false,\n"
        "# correct any field, fill the source's empty url/outlet/title/published, then run\n"
        "# `khuyencong published add` on this file. `evidence` stays here: it is never added to the record.\n"
    )
    body = yaml.safe_dump({"source": source, "candidates": rows}, allow_unicode=True, sort_keys=False, width=120)
    atomic_write_text(target, header + body)
    return target


def extract_to_reviews(paths: list[str | Path]) -> list[Path]:
    """``khuyencong extract``: write each file's review file, logging the count and what to fill in."""
    written = []
    for path in paths:
        page, candidates = extract_file(path)
        written.append(write_review(path, page, candidates))
        missing = [k for k, v in page.provenance().items() if not v]
        log.info("%s: %d candidate figure(s) → %s%s", path, len(candidates), written[-1],
                 f" (fill in: {', '.join(missing)})" if missing else "")
    return written
