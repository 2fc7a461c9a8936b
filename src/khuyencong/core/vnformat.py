"""Parse Vietnamese figures with words and units (``29.229,2 triệu đồng``, ``gần 6,7 tỷ đồng``, ``15 - 40%``).

Numbers follow the convention of :mod:`khuyencong.core.vnnumber` (``.`` thousands, ``,`` decimals);
:func:`parse_amount` defaults to ``decimal=None``: a token that does not fit Vietnamese raises
:class:`~khuyencong.core.vnnumber.AmbiguousNumberError` asking for ``decimal="."`` or ``","``.
Nothing is ever guessed: text that does not fit the grammar raises ``ValueError`` naming it.
Units
-----
Money in đồng is normalised to million VND (``unit="million VND"``); USD is kept in USD,
never converted (``unit="USD"``; ``5 triệu USD`` is 5e6 USD). ``%`` gives ``"percent"``; durations (``năm``, ``tháng``,
``ngày``) give ``"year"``/``"month"``/``"day"``; any other trailing words are a counted noun
(``unit="count"``, ``noun`` lower-cased; two nouns may be joined by a comma: ``20 chương trình, đề án``;
a count of a whole, ``7/9 nội dung``, gives ``value=7`` and ``of=9``). Rates such as ``/người/tháng`` are appended in
English: ``"million VND/person/month"``, ``"percent/year"``.

Qualifiers come from :data:`QUALIFIER_WORDS` (``gần``, ``khoảng`` → "approx"; ``trên``,
``hơn`` → "over"; ``dưới``, ``chưa đến`` → "under") and ``trở lên``/``trở xuống`` after the
figure. ``tăng``/``đạt`` before a figure are ignored; ``giảm`` is refused (no sign guessing).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

from khuyencong.core.vnnumber import MINUS_SIGN, MISSING_MARKERS, check_decimal, to_decimal
from khuyencong.errors import InputError

__all__ = ["QUALIFIERS", "Amount", "parse_amount"]


# --- module-level grammar data -------------------------------------------------------

#: Words before a figure and the qualifier they express (matched longest first).
QUALIFIER_WORDS: dict[str, str] = {
    "gần": "approx",
    "khoảng": "approx",
    "ước": "approx",
    "ước tính": "approx",
    "ước đạt": "approx",
    "hơn kém": "approx",
    "xấp xỉ": "approx",
    "trên dưới": "approx",
    "trên": "over",
    "hơn": "over",
    "ngoài": "over",
    "dưới": "under",
    "chưa đến": "under",
    "chưa tới": "under",
    "không quá": "under",
}

#: Words after a figure that bound it ("10 tỷ đồng trở lên").
SUFFIX_QUALIFIER_WORDS: dict[str, str] = {"trở lên": "over", "trở xuống": "under"}

#: Verbs that may precede a figure without changing it ("tăng 25,2%/năm", "đạt 82,49%").
NEUTRAL_LEAD_WORDS: tuple[str, ...] = ("tăng", "đạt")

#: Lead words we refuse: the direction would be lost or the sign guessed.
REFUSED_LEAD_WORDS: tuple[str, ...] = ("giảm",)

#: Multiplier words and their power of ten.
MULTIPLIER_EXPONENTS: dict[str, int] = {
    "nghìn tỷ": 12,
    "ngàn tỷ": 12,
    "nghìn tỉ": 12,
    "ngàn tỉ": 12,
    "tỷ": 9,
    "tỉ": 9,
    "triệu": 6,
    "nghìn": 3,
    "ngàn": 3,
}

#: Currency words and the currency they denote.
CURRENCY_WORDS: dict[str, str] = {"đồng": "VND", "vnđ": "VND", "vnd": "VND", "đ": "VND", "usd": "USD"}

#: Abbreviations that carry both multiplier and currency.
COMBINED_MONEY_WORDS: dict[str, tuple[int, str]] = {"trđ": (6, "VND"), "tr.đ": (6, "VND")}

PERCENT_WORDS: tuple[str, ...] = ("%", "phần trăm")

#: Duration nouns that are units rather than counted nouns.
DURATION_WORDS: dict[str, str] = {"năm": "year", "tháng": "month", "ngày": "day", "giờ": "hour"}

#: Denominators after "/" and their English unit.
PER_WORDS: dict[str, str] = {
    "người": "person",
    "lao động": "worker",
    "hộ": "household",
    "cơ sở": "establishment",
    "học viên": "trainee",
    "năm": "year",
    "tháng": "month",
    "ngày": "day",
    "giờ": "hour",
}

RANGE_SEPARATORS: tuple[str, ...] = ("-", "–", "—", "đến", "tới")

QUALIFIERS: frozenset[str] = frozenset({"exact", "approx", "over", "under", "missing"})


def _alternation(words) -> str:
    """Regex alternation of literal words, longest first so "trên dưới" beats "trên"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_END_OF_WORD = r"(?![^\W_])"
_WORDS = r"[^\W\d_]+(?:\s+[^\W\d_]+)*"
_NOT_SUFFIX = rf"(?!(?:{_alternation(SUFFIX_QUALIFIER_WORDS)}){_END_OF_WORD})"

_NUM = r"[-+]?[0-9][0-9.,]*(?:[eE][-+]?[0-9]+)?"
_MULT = rf"(?:{_alternation(MULTIPLIER_EXPONENTS)}){_END_OF_WORD}"
_CUR = rf"(?:{_alternation(CURRENCY_WORDS)}){_END_OF_WORD}"
_COMBINED = rf"(?:{_alternation(COMBINED_MONEY_WORDS)}){_END_OF_WORD}"
_PCT = _alternation(PERCENT_WORDS)
# A counted noun never starts with a unit word: "5 tỷ đồng vốn" must fail, not count "đồng vốn".
_NOT_UNIT = rf"(?!(?:{_alternation([*CURRENCY_WORDS, *COMBINED_MONEY_WORDS, *MULTIPLIER_EXPONENTS])}){_END_OF_WORD})"
# Words of a counted noun are separated by spaces, or by a comma between two nouns ("20 chương trình, đề án").
_NOUN = rf"{_NOT_UNIT}{_NOT_SUFFIX}[^\W\d_]+(?:(?:\s*,\s*|\s+){_NOT_SUFFIX}[^\W\d_]+)*"
_SEP = "(?:" + "|".join(re.escape(w) + (_END_OF_WORD if w.isalpha() else "") for w in RANGE_SEPARATORS) + ")"

_QUALIFIER_RE = re.compile(rf"(?P<q>{_alternation(QUALIFIER_WORDS)}){_END_OF_WORD}\s*")
_LEAD_RE = re.compile(rf"(?P<w>{_alternation(NEUTRAL_LEAD_WORDS + REFUSED_LEAD_WORDS)}){_END_OF_WORD}\s*")
_FROM_RE = re.compile(rf"từ{_END_OF_WORD}\s*")
_NUM_RE = re.compile(_NUM)
# "7/9 nội dung": a count out of a total, printed before a counted noun.
_FRACTION_RE = re.compile(r"(?P<num>[0-9]+)/(?P<of>[0-9]+)(?=\s+[^\W\d_])")
# Unit written between the two numbers of a range: "15% - 40%", "3 triệu - 5 triệu đồng".
_RANGE_RE = re.compile(
    rf"\s*(?P<mult>{_MULT})?\s*(?P<kind>{_PCT}|{_CUR}|{_COMBINED})?\s*{_SEP}\s*(?P<num>{_NUM})"
)
_TAIL_RE = re.compile(
    rf"\s*(?P<mult>{_MULT})?\s*"
    rf"(?:(?P<combined>{_COMBINED})|(?P<pct>{_PCT})|(?P<cur>{_CUR})|(?<=\s)(?P<noun>{_NOUN}))?"
    rf"(?P<per>(?:\s*/\s*{_WORDS})*)"
    rf"\s*(?P<suffix>{_alternation(SUFFIX_QUALIFIER_WORDS)})?\s*"
)


# --- data model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A parsed figure.

    ``value`` is the single figure, or None for a range or a missing marker; ``low``/``high``
    bound a range and equal ``value`` otherwise. ``qualifier`` is one of "exact", "approx",
    "over" (the figure is a lower bound), "under" (an upper bound) or "missing".
    """

    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    noun: str | None
    qualifier: str
    text: str
    of: float | None = None  # the whole of a count printed as "7/9 nội dung" (None otherwise)

    @property
    def is_missing(self) -> bool:
        return self.qualifier == "missing"

    @property
    def is_range(self) -> bool:
        return self.value is None and self.low is not None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace(MINUS_SIGN, "-")
    return " ".join(text.split())



# --- amounts -------------------------------------------------------------------------


def _missing(text: str) -> Amount:
    return Amount(None, None, None, None, None, "missing", text)


def _strip_prefixes(s: str, text: str) -> tuple[str, str, bool]:
    """Remove lead verb, qualifier and "từ"; return (rest, qualifier, saw_tu)."""
    lead = _LEAD_RE.match(s)
    if lead:
        if lead["w"] in REFUSED_LEAD_WORDS:
            raise InputError(
                f"{text!r}: '{lead['w']}' (decrease) is not parsed because the sign would be "
                "guessed; parse the magnitude alone and record the direction separately"
            )
        s = s[lead.end():]
    qualifier = "exact"
    q = _QUALIFIER_RE.match(s)
    if q:
        qualifier, s = QUALIFIER_WORDS[q["q"]], s[q.end():]
    tu = _FROM_RE.match(s)
    if tu:
        s = s[tu.end():]
    return s, qualifier, bool(tu)


def _unit_parts(mult: str | None, kind: str | None) -> tuple[int, str | None]:
    """Map (multiplier word, percent/currency word) to (power of ten, kind)."""
    if kind in COMBINED_MONEY_WORDS:
        exp, currency = COMBINED_MONEY_WORDS[kind]
        return exp + MULTIPLIER_EXPONENTS.get(mult or "", 0), currency
    exp = MULTIPLIER_EXPONENTS[mult] if mult else 0
    if kind is None:
        return exp, None
    if kind in PERCENT_WORDS:
        return exp, "percent"
    return exp, CURRENCY_WORDS[kind]


def _per_suffix(per: str, text: str) -> str:
    parts = [" ".join(p.split()) for p in per.split("/") if p.strip()]
    unknown = [p for p in parts if p not in PER_WORDS]
    if unknown:
        raise InputError(
            f"{text!r}: unknown rate denominator '/{unknown[0]}'; known: {sorted(PER_WORDS)} "
            "(add it to vnformat.PER_WORDS if it is genuine)"
        )
    return "".join("/" + PER_WORDS[p] for p in parts)


def _scale(number: Decimal, exp: int, kind: str | None) -> Decimal:
    if kind == "VND":
        exp -= 6  # normalise đồng to million VND
    return number.scaleb(exp)


def parse_amount(text: str, decimal: str | None = None) -> Amount:
    """Parse a Vietnamese figure such as ``gần 6,7 tỷ đồng`` or ``3 - 5 triệu đồng/người/tháng``.

    Grammar: ``[tăng|đạt] [qualifier] [từ] NUMBER [unit] [(-|–|đến|tới) NUMBER] [unit] [/per...]
    [trở lên|trở xuống]``. ``decimal`` selects the number convention (see module docstring);
    the default None reads Vietnamese and raises :class:`AmbiguousNumberError` on tokens that
    do not fit it. Missing markers (``..``, ``…``, ``-``, empty) give ``qualifier="missing"``.
    Raises ValueError naming ``text`` for anything outside the grammar.
    """
    check_decimal(decimal)
    if not isinstance(text, str):
        raise TypeError(f"parse_amount expects a str, got {type(text).__name__}: {text!r}")
    s = _clean(text)
    if s in MISSING_MARKERS:
        return _missing(text)
    try:
        return _parse_clean(s.lower(), text, decimal)
    except ValueError as exc:
        if str(exc).startswith(repr(text)):
            raise
        raise type(exc)(f"{text!r}: {exc}") from None


def _parse_clean(s: str, text: str, decimal: str | None) -> Amount:
    s, qualifier, saw_tu = _strip_prefixes(s, text)
    fraction = _FRACTION_RE.match(s)
    first = fraction or _NUM_RE.match(s)
    if not first:
        raise InputError(f"{text!r}: no number found where one was expected (at {s!r})")
    pos, lo_unit, hi_token = first.end(), None, None
    rng = None if fraction else _RANGE_RE.match(s, pos)
    if rng:
        lo_unit, hi_token, pos = _unit_parts(rng["mult"], rng["kind"]), rng["num"], rng.end()
    tail = _TAIL_RE.fullmatch(s, pos)
    if not tail:
        raise InputError(
            f"{text!r}: cannot read {s[pos:].strip()!r} after the number; expected a unit "
            "(triệu/tỷ đồng, %, USD), a counted noun, or a rate such as '/người/tháng'"
        )
    if saw_tu and hi_token is None and not tail["suffix"]:
        raise InputError(f"{text!r}: 'từ' (from) needs a range ('từ 15 - 40%') or 'trở lên'")
    if tail["suffix"]:
        if qualifier != "exact":
            raise InputError(f"{text!r}: both a leading qualifier and '{tail['suffix']}'")
        qualifier = SUFFIX_QUALIFIER_WORDS[tail["suffix"]]
    if fraction:
        return _fraction(text, fraction, tail, qualifier, decimal)
    return _build(text, first.group(), hi_token, lo_unit, tail, qualifier, decimal)


def _fraction(text, fraction, tail, qualifier, decimal) -> Amount:
    """``7/9 nội dung``: the count 7 of a counted noun, out of ``of=9``."""
    amount = _build(text, fraction["num"], None, None, tail, qualifier, decimal)
    if amount.unit != "count" or tail["per"]:
        raise InputError(f"{text!r}: 'N/M' is read only before a counted noun ('7/9 nội dung')")
    of = _finite(to_decimal(fraction["of"], decimal), text)
    if of < (amount.value or 0):
        raise InputError(f"{text!r}: {fraction['num']} out of {fraction['of']} is more than the whole")
    return replace(amount, of=of)


def _build(text, lo_token, hi_token, lo_unit, tail, qualifier, decimal) -> Amount:
    noun = " ".join(tail["noun"].split()) if tail["noun"] else None
    kind_word = tail["combined"] or tail["pct"] or tail["cur"]
    hi_exp, kind = _unit_parts(tail["mult"], kind_word)
    unit, noun = _unit_name(kind, noun, hi_exp)
    if unit is None and tail["per"]:
        raise InputError(f"{text!r}: a rate '{tail['per'].strip()}' needs a unit before it")
    if tail["per"]:
        unit += _per_suffix(tail["per"], text)
    lo_exp = hi_exp
    if lo_unit is not None:  # a unit written on the low end must agree with the tail's
        lo_exp, lo_kind = lo_unit
        if lo_kind not in (None, kind):
            raise InputError(f"{text!r}: the two ends of the range have different units")
        if lo_kind is None and lo_exp == 0:
            lo_exp = hi_exp
        elif kind == "percent" and lo_exp:
            raise InputError(f"{text!r}: a multiplier word cannot precede '%'")
    low = _scale(to_decimal(lo_token, decimal), lo_exp, kind)
    if hi_token is None:
        v = _finite(low, text)
        return Amount(v, v, v, unit, noun, qualifier, text)
    high = _scale(to_decimal(hi_token, decimal), hi_exp, kind)
    if low > high:
        raise InputError(f"{text!r}: range low end {low} exceeds high end {high}")
    return Amount(None, _finite(low, text), _finite(high, text), unit, noun, qualifier, text)


def _finite(d: Decimal, text: str) -> float:
    value = float(d)
    if not math.isfinite(value):
        raise InputError(f"{text!r} overflows a float; check the figure")
    return value


def _unit_name(kind: str | None, noun: str | None, exp: int) -> tuple[str | None, str | None]:
    if kind == "VND":
        return "million VND", None
    if kind == "USD":
        return "USD", None
    if kind == "percent":
        if exp:
            raise InputError("a multiplier word cannot precede '%'")
        return "percent", None
    if noun in DURATION_WORDS:
        return DURATION_WORDS[noun], None
    if noun is not None:
        return "count", noun
    return None, None
