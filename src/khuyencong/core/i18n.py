"""Bilingual labels (Vietnamese by default, English on request) and numbers formatted per language.

Labels live as data. ``data/labels.csv`` (key, vi, en) holds indicators, axes, titles, captions
and notes. Names that already have a home elsewhere are read from there, never copied, under a
namespaced key:

* ``category.<code>``        ``data/categories.csv`` (name_vi / name_en)
* ``region.<code>``          ``data/regions.csv`` (name / name_en)
* ``plan_indicator.<code>``, ``status.<code>``, ``funding_source.<code>``
                             the choices in :mod:`khuyencong.core.datasets`

Numbers: Vietnamese writes ``29.229,2`` and English ``29,229.2``. Both come from
:func:`khuyencong.core.vnnumber.format_vn`, so rounding is identical in the two languages.
"""
from __future__ import annotations

import csv
import difflib
import math
import string
from decimal import Decimal
from functools import lru_cache
from numbers import Integral, Real

from khuyencong.paths import PACKAGE_DATA
from khuyencong.core.vnnumber import MONEY_UNITS, format_money_vn, format_vn

__all__ = ["LANGS", "check_lang", "fmt_money", "fmt_number", "fmt_pct", "keys", "labels", "t"]

LANGS = ("vi", "en")

#: Vietnamese money words (as written by ``format_money_vn``) → label key of the unit.
_UNIT_KEYS = {
    "nghìn tỷ đồng": "unit_trillion_vnd",
    "tỷ đồng": "unit_billion_vnd",
    "triệu đồng": "unit_million_vnd",
    "đồng": "unit_vnd",
}
#: Fixed units accepted by :func:`fmt_money`: power of ten relative to million VND.
_FIXED_UNITS = {"million": (0, "unit_million_vnd"), "billion": (3, "unit_billion_vnd"),
                "trillion": (6, "unit_trillion_vnd")}


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is ``"vi"`` or ``"en"``; raise ValueError otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'vi' (Vietnamese) or 'en' (English), not {lang!r}")
    return lang


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(PACKAGE_DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _derived_labels() -> dict[str, tuple[str, str]]:
    from khuyencong.core.datasets import FUNDING_SOURCES, PLAN_INDICATORS, PROJECT_STATUSES

    out = {f"category.{r['code']}": (r["name_vi"], r["name_en"]) for r in _read_csv("categories.csv")}
    out.update({f"region.{r['code']}": (r["name"], r["name_en"]) for r in _read_csv("regions.csv")})
    for prefix, choices in (("plan_indicator", PLAN_INDICATORS), ("status", PROJECT_STATUSES),
                            ("funding_source", FUNDING_SOURCES)):
        out.update({f"{prefix}.{code}": (vi, en) for code, vi, en in choices})
    return out


@lru_cache(maxsize=1)
def labels() -> dict[str, tuple[str, str]]:
    """Every label: key → (vi, en). Raises ValueError on a duplicate key or an empty text."""
    out: dict[str, tuple[str, str]] = {}
    raw = _read_csv("labels.csv")
    shifted = [r["key"] for r in raw if None in r]
    if shifted:
        raise ValueError(f"labels.csv rows {shifted} have more than 3 fields: quote texts that contain a comma")
    rows = [(r["key"], (r["vi"], r["en"])) for r in raw]
    for key, pair in rows + list(_derived_labels().items()):
        if key in out:
            raise ValueError(f"label key {key!r} is defined twice; keep one (labels.csv or its source file)")
        if not all(text and text.strip() for text in pair):
            raise ValueError(f"label {key!r} needs both a Vietnamese and an English text, got {pair!r}")
        out[key] = pair
    return out


def keys() -> list[str]:
    """All label keys, sorted."""
    return sorted(labels())


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def t(key: str, lang: str = "vi", **fmt) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``fmt``.

    Raises KeyError naming the closest keys when ``key`` is unknown, ValueError for a bad
    ``lang``, and TypeError when ``fmt`` misses or adds a placeholder.
    """
    check_lang(lang)
    table = labels()
    if key not in table:
        close = difflib.get_close_matches(key, table, n=5, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise KeyError(f"no label {key!r}{hint}. Add it to src/khuyencong/data/labels.csv (key,vi,en)")
    template = table[key][LANGS.index(lang)]
    needed = _fields(template)
    if needed != set(fmt):
        raise TypeError(f"label {key!r} takes placeholders {sorted(needed)}, got {sorted(fmt)}")
    return template.format(**fmt) if needed else template


# --- numbers -----------------------------------------------------------------------------

_VI_TO_EN = str.maketrans(".,", ",.")


def _check_number(x) -> None:
    if isinstance(x, bool) or not isinstance(x, (Real, Decimal)):
        raise TypeError(f"expected a number, got {type(x).__name__}: {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"cannot format non-finite value {x!r}; handle missing values first")


def _to_decimal(x) -> Decimal:
    """Exact for ints and Decimals; floats via their shortest repr (0.1 → 0.1, not 0.1000…0555)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, Integral):
        return Decimal(int(x))
    return Decimal(repr(float(x)))


def _localise(vi_text: str, lang: str) -> str:
    return vi_text if check_lang(lang) == "vi" else vi_text.translate(_VI_TO_EN)


def fmt_number(x, lang: str = "vi", decimals: int | None = None) -> str:
    """``29229.2`` → ``"29.229,2"`` (vi) or ``"29,229.2"`` (en).

    ``decimals=None`` prints the shortest exact form; an int rounds (half-even) and pads.
    """
    check_lang(lang)
    return _localise(format_vn(x, decimals), lang)


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


def fmt_date(iso: str, lang: str = "vi") -> str:
    """``"2019-05-12"`` → ``"12/5/2019"`` (vi) or ``"12 May 2019"`` (en); a year or year-month alone
    keeps what it says; other text is returned as given."""
    check_lang(lang)
    parts = str(iso).strip().split("-")
    if not all(p.isdigit() for p in parts) or len(parts) > 3 or len(parts[0]) != 4:
        return str(iso)
    numbers = [int(p) for p in parts]
    if len(numbers) == 1:
        return parts[0]
    if not 1 <= numbers[1] <= 12:
        return str(iso)
    if lang == "vi":
        return "/".join(str(n) for n in reversed(numbers))
    day = f"{numbers[2]} " if len(numbers) == 3 else ""
    return f"{day}{_MONTHS_EN[numbers[1] - 1]} {parts[0]}"


def fmt_pct(fraction, lang: str = "vi", decimals: int | None = 1) -> str:
    """A fraction as a percentage: ``0.153`` → ``"15,3%"`` (vi) / ``"15.3%"`` (en)."""
    check_lang(lang)
    _check_number(fraction)
    # scale in decimal so 0.15 gives 15, not 15.000000000000002
    pct = (_to_decimal(fraction) * 100).normalize()
    return fmt_number(pct, lang, decimals) + "%"


def _split_money(vi_text: str) -> tuple[str, str]:
    for words, _ in MONEY_UNITS:  # longest first: "nghìn tỷ đồng" before "đồng"
        if vi_text.endswith(" " + words):
            return vi_text[: -len(words) - 1], words
    raise ValueError(f"unexpected money text from format_money_vn: {vi_text!r}")


def fmt_money(million_vnd, lang: str = "vi", decimals: int | None = None, unit: str = "auto") -> str:
    """An amount in million VND as text: ``29229.2`` → ``"29.229,2 triệu đồng"`` / ``"29,229.2 million VND"``.

    Unit rule. ``unit="auto"`` follows :func:`khuyencong.core.vnnumber.format_money_vn` (lossless):
    after rounding to ``decimals`` in million VND, the largest unit (nghìn tỷ/trillion, tỷ/billion,
    triệu/million, đồng/VND) in which the amount is at least 1 and exact with at most 3
    decimals — so ``6700`` → ``"6,7 tỷ đồng"`` but ``29229.2`` stays in triệu đồng. For tables
    and axes where figures must share a unit, pass ``unit="million"``, ``"billion"`` or
    ``"trillion"``: the amount is converted, then rounded to ``decimals``.
    """
    check_lang(lang)
    _check_number(million_vnd)
    if unit == "auto":
        number, words = _split_money(format_money_vn(million_vnd, decimals))
        return f"{_localise(number, lang)} {t(_UNIT_KEYS[words], lang)}"
    if unit not in _FIXED_UNITS:
        raise ValueError(f"unit must be 'auto', 'million', 'billion' or 'trillion', not {unit!r}")
    exp, key = _FIXED_UNITS[unit]
    scaled = _to_decimal(million_vnd).scaleb(-exp)
    return f"{fmt_number(scaled.normalize() if decimals is None else scaled, lang, decimals)} {t(key, lang)}"
