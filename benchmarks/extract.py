"""Evaluate ``khuyencong extract`` against the hand-transcribed record (a benchmark, not a timed test).

``../shared/articles/dev/`` (beside the project) holds the stored text of the pages the record cites
(a header with url, outlet, title, published and coverage, then the text; ``INDEX.csv`` lists them).
Those texts never enter the project; this script reads them when they are there and says so and exits 0
when they are not. Gold = the rows of ``data/raw/published_figures.csv`` citing each page's url; on a page
whose stored text is partial only the gold figures present in the text are counted.

Pages are split by outlet before any tuning: outlets (their name before any parenthesis) sorted,
alternately development (even positions) and held-out (odd). Rules are tuned on the development half
only; the held-out numbers are the ones reported.

A found figure is *correct* when it matches an unmatched gold figure of its page: the same text (NFC,
case-folded, spaces collapsed), or the same parsed value and unit with the gold text inside the found
one or the same counted noun (the record shortened "20 chương trình, đề án" to "20 chương trình").
*Altered* = found figure texts that are not substrings of their page's text after NFC normalisation.

    .venv/bin/python benchmarks/extract.py                 # held-out table
    .venv/bin/python benchmarks/extract.py --half dev -v   # development half, every miss and false figure
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "articles" / "dev"
sys.path.insert(0, str(ROOT / "src"))

from khuyencong.ingest import extract_rules  # noqa: E402
from khuyencong.ingest.extract import extract_page  # noqa: E402
from khuyencong.ingest.page_text import page_from_text  # noqa: E402

TARGETS = {"recall": 0.85, "precision": 0.80, "altered": 0}


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def outlet_key(outlet: str) -> str:
    return re.split(r"\s*\(", outlet)[0].strip()


def split(index: list[dict]) -> dict[str, list[dict]]:
    outlets = sorted({outlet_key(r["outlet"]) for r in index})
    dev = {o for i, o in enumerate(outlets) if i % 2 == 0}
    return {"dev": [r for r in index if outlet_key(r["outlet"]) in dev],
            "heldout": [r for r in index if outlet_key(r["outlet"]) not in dev]}


def _parsed(text: str):
    return extract_rules._parse(text)


def matches(found: str, gold: str) -> bool:
    if norm(found) == norm(gold):
        return True
    a, b = _parsed(found), _parsed(gold)
    if a is None or b is None or (a.low, a.high, a.qualifier) != (b.low, b.high, b.qualifier):
        return False
    if norm(found).startswith(norm(gold)):  # "khoảng 3,5 tỷ/năm" recorded as "khoảng 3,5 tỷ"
        return a.unit.split("/")[0] == b.unit
    return a.unit == b.unit and (a.noun or "").split(",")[0] == (b.noun or "")


def evaluate(row: dict, gold_rows: list[dict]) -> dict:
    page = page_from_text((ARTICLES / row["file"]).read_text(encoding="utf-8"))
    text = norm(page.text + "\n" + page.title)
    complete = row["coverage"].startswith("full")
    gold = [g for g in gold_rows if complete or norm(g["figure"]) in text or _present(g["figure"], text)]
    cands = extract_page(page)
    left = list(gold)
    correct, false, agree = [], [], {"indicator": 0, "period": 0, "area": 0, "kind": 0}
    for c in cands:
        hit = next((g for g in left if matches(c.figure, g["figure"]) and g["indicator"] == c.indicator), None)
        hit = hit or next((g for g in left if matches(c.figure, g["figure"])), None)
        if hit is None:
            false.append(c)
            continue
        left.remove(hit)
        correct.append((c, hit))
        agree["indicator"] += c.indicator == hit["indicator"]
        agree["period"] += (c.period_start, c.period_end) == (int(hit["period_start"]), int(hit["period_end"]))
        agree["area"] += c.area == hit["area"]
        agree["kind"] += c.kind == hit["kind"]
    source = unicodedata.normalize("NFC", page.text + "\n" + page.title)
    altered = [c.figure for c in cands if unicodedata.normalize("NFC", c.figure) not in source]
    return {"file": row["file"], "gold": len(gold), "found": len(cands), "correct": len(correct),
            "missed": left, "false": false, "altered": altered, "agree": agree}


def _present(figure: str, text: str) -> bool:
    """A shortened gold figure ("7 nội dung") present in the text in its printed form ("7/9 nội dung")."""
    b = _parsed(figure)
    return bool(b and b.noun) and re.search(rf"\b{int(b.value)}/\d+ {re.escape(b.noun)}", text) is not None


def run(half: str, verbose: bool) -> dict:
    index = list(csv.DictReader((ARTICLES / "INDEX.csv").open(encoding="utf-8")))
    gold_csv = list(csv.DictReader((ROOT / "data/raw/published_figures.csv").open(encoding="utf-8")))
    results = [evaluate(r, [g for g in gold_csv if g["url"] == r["url"]]) for r in split(index)[half]]
    tot = {k: sum(r[k] for r in results) for k in ("gold", "found", "correct")}
    tot["altered"] = sum(len(r["altered"]) for r in results)
    tot["precision"] = tot["correct"] / tot["found"] if tot["found"] else 0.0
    tot["recall"] = tot["correct"] / tot["gold"] if tot["gold"] else 0.0
    agree = {k: sum(r["agree"][k] for r in results) for k in results[0]["agree"]}
    print(f"## {half}: {len(results)} pages\n")
    print("| source | gold | found | correct | missed | false |\n|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['file']} | {r['gold']} | {r['found']} | {r['correct']} | {len(r['missed'])} | {len(r['false'])} |")
    print(f"| **total** | {tot['gold']} | {tot['found']} | {tot['correct']} | {tot['gold'] - tot['correct']} | "
          f"{tot['found'] - tot['correct']} |\n")
    print(f"precision {tot['precision']:.3f} (target ≥ {TARGETS['precision']}), recall {tot['recall']:.3f} "
          f"(target ≥ {TARGETS['recall']}), figures altered {tot['altered']} (target {TARGETS['altered']})")
    print("of the correct figures, fields agreeing with the record: "
          + ", ".join(f"{k} {v}/{tot['correct']}" for k, v in agree.items()) + "\n")
    for r in results:
        for g in r["missed"]:
            print(f"MISS  {r['file']}: {g['figure']!r} ({g['indicator']})")
        for c in r["false"]:
            print(f"FALSE {r['file']}: {c.figure!r} ({c.indicator})" + (f"  ← {c.evidence[:160]}" if verbose else ""))
        for a in r["altered"]:
            print(f"ALTERED {r['file']}: {a!r}")
    return tot


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("dev", "heldout"), default="heldout")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the evidence of false figures")
    args = parser.parse_args(argv)
    if not (ARTICLES / "INDEX.csv").exists():
        print(f"skipped: {ARTICLES} is absent (the stored article texts live outside the project)")
        return 0
    run(args.half, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
