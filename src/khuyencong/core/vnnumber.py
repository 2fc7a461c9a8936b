"""Vietnamese numbers in table cells and in text: ``29.229,2`` ↔ 29229.2.

Number convention
-----------------
Vietnamese writes ``.`` for thousands and ``,`` for decimals: ``29.229,2`` is 29229.2.
The ``decimal`` argument selects the convention:

* ``decimal=None``: Vietnamese, but any token whose separators do not fit Vietnamese
  (``1,234.5``, ``1.23.4``, ``12.34``, ``105.8``) raises :class:`AmbiguousNumberError` asking the
  caller to pass ``decimal="."`` or ``decimal=","``. Note that ``1.234`` *does* fit Vietnamese and
  is read as 1234, so English-formatted sources (GSO/MOF CSVs) must always be read with
  ``decimal="."``.
* ``decimal=","`` (default of :func:`parse_number`): Vietnamese; tokens that do not fit raise
  :class:`ValueError`.
* ``decimal="."``: English (``,`` thousands, ``.`` decimals), e.g. GSO PX-Web CSVs.

Scientific notation (``3.00E+05``) is always English-formatted, whatever ``decimal`` is.
Figures with words and units (``gần 6,7 tỷ đồng``) are parsed by :mod:`khuyencong.core.vnformat`.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from khuyencong.errors import InputError

__all__ = [
    "MINUS_SIGN",
    "MISSING_MARKERS",
    "MONEY_UNITS",
    "AmbiguousNumberError",
    "format_money_vn",
    "format_vn",
    "parse_number",
    "parse_number_series",
    "to_decimal",
]


class AmbiguousNumberError(InputError):
    """A number whose separators do not fit the Vietnamese convention and no ``decimal`` was given."""


#: Cell contents that mean "no figure" in GSO/MOF tables and in the press.
MISSING_MARKERS: frozenset[str] = frozenset({"", "..", "...", "…", "-", "–", "—"})


_VN_RE = re.compile(r"[-+]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
_EN_RE = re.compile(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_SCI_RE = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+")
MINUS_SIGN = "\u2212"  # typographic minus sign, read as ASCII "-"


# --- number tokens -------------------------------------------------------------------


def check_decimal(decimal: str | None) -> None:
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be None, ',' or '.', got {decimal!r}")


def _normalise_token(token: str, decimal: str | None) -> str:
    """Return ``token`` as a plain English numeric string, or raise."""
    if _SCI_RE.fullmatch(token):
        return token
    if decimal == ".":
        if _EN_RE.fullmatch(token):
            return token.replace(",", "")
        raise InputError(
            f"{token!r} is not an English-format number (',' thousands, '.' decimal); "
            "pass decimal=',' if it is Vietnamese"
        )
    if _VN_RE.fullmatch(token):
        return token.replace(".", "").replace(",", ".")
    if decimal is None:
        raise AmbiguousNumberError(
            f"{token!r} is ambiguous: it does not fit the Vietnamese format ('.' thousands "
            "in groups of 3, ',' decimal); pass decimal='.' if it is English-formatted, or "
            "decimal=',' if it is Vietnamese (and correct its separators)"
        )
    raise InputError(
        f"{token!r} is not a Vietnamese-format number ('.' thousands in groups of 3, "
        "',' decimal); pass decimal='.' if it is English-formatted"
    )


def parse_number(text, decimal: str | None = ",") -> float | None:
    """Parse a bare table cell (no units) into a float; missing markers give None.

    Ints/floats pass through (NaN → None). ``decimal`` as in the module docstring.
    Raises ValueError (AmbiguousNumberError when ``decimal=None``) naming the text.
    """
    check_decimal(decimal)
    if isinstance(text, bool) or not isinstance(text, (str, int, float, np.number)):
        raise TypeError(f"parse_number expects str or a number, got {type(text).__name__}: {text!r}")
    if not isinstance(text, str):
        value = float(text)
        return None if math.isnan(value) else value
    token = text.strip().replace(MINUS_SIGN, "-")
    if token in MISSING_MARKERS:
        return None
    value = float(_normalise_token(token, decimal))
    if not math.isfinite(value):
        raise InputError(f"{text!r} overflows a float; check the cell")
    return value


def to_decimal(token: str, decimal: str | None) -> Decimal:
    """The exact value of a number token (see the module docstring for ``decimal``)."""
    return Decimal(_normalise_token(token, decimal))


# --- series --------------------------------------------------------------------------


def _arrow_patterns(decimal: str | None) -> str:
    body = _EN_RE.pattern if decimal == "." else _VN_RE.pattern
    return f"^(?:{body}|{_SCI_RE.pattern})$"


def _parse_arrow_strings(arr: pa.Array, decimal: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised core of :func:`parse_number_series` on an arrow string array."""
    arr = pc.replace_substring(pc.utf8_trim_whitespace(arr), MINUS_SIGN, "-")
    missing = pc.or_kleene(pc.is_null(arr), pc.is_in(arr, value_set=pa.array(sorted(MISSING_MARKERS))))
    missing = pc.fill_null(missing, True)
    valid = pc.fill_null(pc.match_substring_regex(arr, _arrow_patterns(decimal)), False)
    if decimal == ".":
        plain = pc.replace_substring(arr, ",", "")
    else:
        vn = pc.replace_substring(pc.replace_substring(arr, ".", ""), ",", ".")
        is_sci = pc.fill_null(pc.match_substring_regex(arr, "[eE]"), False)
        plain = pc.if_else(is_sci, arr, vn)
    values = pc.cast(pc.if_else(valid, plain, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    failed = pc.and_(pc.invert(valid), pc.invert(missing)).to_numpy(zero_copy_only=False)
    overflow = np.isinf(values)  # parse_number rejects these too
    if overflow.any():
        values, failed = np.where(overflow, np.nan, values), failed | overflow
    return values, failed


def parse_number_series(series: pd.Series, decimal: str | None = ",") -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`parse_number`: return (float64 values, boolean mask of failures).

    Numeric dtypes pass through. Missing markers become NaN with mask False; cells that
    :func:`parse_number` would reject become NaN with mask True. Python numbers inside an
    object column pass through like in :func:`parse_number`.
    """
    check_decimal(decimal)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise TypeError(f"parse_number_series does not accept a boolean series ({series.name!r})")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64"), pd.Series(False, index=series.index, name=series.name)
    if series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype):
        values, failed = _parse_object_array(series.to_numpy(dtype=object), decimal, series.name)
    elif pd.api.types.is_string_dtype(series.dtype):
        values, failed = _parse_arrow_strings(pa.array(series, from_pandas=True), decimal)
    else:
        raise TypeError(f"series {series.name!r} has dtype {series.dtype}; expected strings or numbers")
    return (
        pd.Series(values, index=series.index, name=series.name, dtype="float64"),
        pd.Series(failed, index=series.index, name=series.name, dtype=bool),
    )


def _parse_object_array(raw: np.ndarray, decimal: str | None, name) -> tuple[np.ndarray, np.ndarray]:
    """Object columns may mix str, Python numbers and NA; numbers pass through."""
    is_num = np.fromiter(
        (isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in raw), bool, len(raw)
    )
    strings = []
    for v, num in zip(raw, is_num):
        if num or (not isinstance(v, str) and _is_na(v)):
            strings.append(None)
        elif isinstance(v, str):
            strings.append(v)
        else:
            raise TypeError(f"series {name!r} holds a non-string cell {v!r} ({type(v).__name__})")
    values, failed = _parse_arrow_strings(pa.array(strings, type=pa.string()), decimal)
    if is_num.any():
        values = values.copy()
        values[is_num] = raw[is_num].astype("float64")
    return values, failed


def _is_na(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --- formatting ----------------------------------------------------------------------


def _as_decimal(x, decimals: int | None) -> Decimal:
    if isinstance(x, bool) or not isinstance(x, (int, float, Decimal, np.number)):
        raise TypeError(f"expected a number, got {type(x).__name__}: {x!r}")
    if isinstance(x, (float, np.floating)) and not math.isfinite(x):
        raise ValueError(f"cannot format non-finite value {x!r}; handle missing values first")
    if isinstance(x, np.integer):
        x = int(x)
    if decimals is None:
        # shortest repr round-trips the float exactly; Decimal(float) would print 17+ digits
        return Decimal(repr(float(x))).normalize() if isinstance(x, (float, np.floating)) else Decimal(x)
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    exact = Decimal(float(x)) if isinstance(x, (float, np.floating)) else Decimal(x)
    # exact binary value, half-even: the same result as Python's round(x, decimals)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def _format_decimal(d: Decimal) -> str:
    if d.is_zero():
        d = abs(d)
    sign, digits = ("-", f"{-d:f}") if d < 0 else ("", f"{d:f}")
    whole, _, frac = digits.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + frac if frac else "")


def format_vn(x, decimals: int | None = None) -> str:
    """Format a number the Vietnamese way: ``29229.2`` → ``"29.229,2"``.

    ``decimals=None`` prints the shortest exact form (floats via ``repr``); an int ``decimals``
    rounds like Python's ``round(x, decimals)`` and pads with zeros. Raises on NaN/inf.
    """
    return _format_decimal(_as_decimal(x, decimals))


#: Money units from largest to smallest: (words, power of ten relative to million VND).
MONEY_UNITS: tuple[tuple[str, int], ...] = (
    ("nghìn tỷ đồng", 6),
    ("tỷ đồng", 3),
    ("triệu đồng", 0),
    ("đồng", -6),
)
MONEY_MAX_DECIMALS = 3


def format_money_vn(million_vnd, decimals: int | None = None) -> str:
    """Format an amount in million VND as press-style text.

    Rule: optionally round to ``decimals`` in million VND; then use the largest unit (nghìn
    tỷ, tỷ, triệu đồng, đồng) in which the amount is at least 1 and written exactly with at
    most 3 decimals, so ``6700`` → ``"6,7 tỷ đồng"`` but ``29229.2`` → ``"29.229,2 triệu đồng"``
    (``29,2292 tỷ`` would need 4). If no unit fits, triệu đồng with every digit. Lossless:
    :func:`khuyencong.core.vnformat.parse_amount` gives back the same value.
    """
    d = _as_decimal(million_vnd, decimals).normalize()
    for words, exp in MONEY_UNITS:
        scaled = d.scaleb(-exp)
        if abs(scaled) >= 1 and -scaled.as_tuple().exponent <= MONEY_MAX_DECIMALS:
            return f"{_format_decimal(scaled)} {words}"
    return f"{_format_decimal(d)} triệu đồng"
