"""Province registry: any spelling → one province record; legacy (63) ↔ 2025 (34) boundaries.

The registry is data (``data/provinces_legacy.csv``, ``data/provinces_2025.csv``,
``data/regions.csv``; sources in ``data/PROVINCES_SOURCES.md``). Lookups never guess:
text either matches a known spelling after normalisation or raises with suggestions.
"""
from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from khuyencong.paths import PACKAGE_DATA
from khuyencong.errors import InputError

LEGACY = "legacy"
NEW = "2025"
BOUNDARIES = (LEGACY, NEW)
ALL = "all"
ALL_WORDS = frozenset({"", "all", "*"})  # what a user may type to mean every province (the country)
MERGER_DATE_2025 = "1 July 2025"

_LEGACY_CSV = "provinces_legacy.csv"
_NEW_CSV = "provinces_2025.csv"
_REGIONS_CSV = "regions.csv"

# Words around a name that never belong to it ("Tỉnh", "Thành phố", "TP.", "T.P", "Province", "City").
_PREFIXES = (("thanh", "pho"), ("tinh",), ("tp",), ("t", "p"), ("province",), ("city",))
_SUFFIXES = (("province",), ("city",))
_COUNTRY_NAMES = ("WHOLE COUNTRY", "Cả nước", "Toàn quốc", "Việt Nam", "Vietnam", "Whole country total")


class ProvinceError(InputError):
    """Base class: text or code that is not a usable province for the requested boundaries."""

    suggestions: list[str]


class UnknownProvinceError(ProvinceError):
    """No known spelling matches; ``suggestions`` lists the closest names (never auto-applied)."""

    def __init__(self, message: str, suggestions: Iterable[str] = ()):
        super().__init__(message)
        self.suggestions = list(suggestions)


class NotAProvinceError(ProvinceError):
    """The text names a region or the whole country, not a province."""

    def __init__(self, message: str):
        super().__init__(message)
        self.suggestions = []


class MergedProvinceError(ProvinceError):
    """A legacy province asked for on 2025 boundaries; ``successor`` is the province it joined."""

    def __init__(self, message: str, legacy: "Province", successor: "Province"):
        super().__init__(message)
        self.legacy = legacy
        self.successor = successor
        self.suggestions = [successor.name]


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    name_ascii: str
    name_en: str
    region_code: str
    region_name: str
    region_name_en: str
    boundaries: str
    new_code: str | None = None
    valid_to: str | None = None
    successor_code: str | None = None
    aliases: tuple[str, ...] = ()
    region_note: str | None = None


@dataclass(frozen=True)
class _Registry:
    legacy: dict[str, Province]  # code → record, Hà Tây included
    new: dict[str, Province]
    regions: tuple[dict[str, str], ...]
    index: dict[str, dict[str, str]]  # boundaries → normalised key → code
    region_keys: frozenset[str]


# ---------------------------------------------------------------- normalisation

def strip_diacritics(text: str) -> str:
    """``"Đắk Lắk"`` → ``"Dak Lak"``: remove Vietnamese tone and vowel marks, đ/Đ → d/D."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    ascii_text = strip_diacritics(unicodedata.normalize("NFC", text)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", ascii_text).split()


def _strip_affixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for prefix in _PREFIXES:
            if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix):
                tokens, changed = tokens[len(prefix):], True
        for suffix in _SUFFIXES:
            if tuple(tokens[-len(suffix):]) == suffix and len(tokens) > len(suffix):
                tokens, changed = tokens[: -len(suffix)], True
    return tokens


def normalise_key(text: str) -> str:
    """The comparison key: no diacritics, case, punctuation, spaces or ``Tỉnh``/``TP.``/``City`` words."""
    return "".join(_strip_affixes(_tokens(text)))


def _plain_key(text: str) -> str:
    """Key without affix stripping (region and country names keep every word)."""
    return "".join(_tokens(text))


# ---------------------------------------------------------------- loading

def _read_csv(name: str) -> list[dict[str, str]]:
    path = PACKAGE_DATA / name
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise ValueError(f"{name} line {line}: wrong number of fields (unquoted comma?)")
    return rows


def _split(aliases: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in aliases.split(";") if a.strip())


def _make(row: Mapping[str, str], boundaries: str, regions: Mapping[str, Mapping[str, str]]) -> Province:
    region = regions[row["region_code"]]
    return Province(
        code=row["code"], name=row["name"], name_ascii=row["name_ascii"], name_en=row["name_en"],
        region_code=row["region_code"], region_name=region["name"], region_name_en=region["name_en"],
        boundaries=boundaries,
        new_code=row.get("new_code") or None,
        valid_to=row.get("valid_to") or None,
        successor_code=row.get("successor_code") or None,
        aliases=_split(row.get("aliases", "")),
        region_note=row.get("region_note") or None,
    )


def _build_index(records: Iterable[Province], label: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for p in records:
        for spelling in (p.name, p.name_ascii, p.name_en, *p.aliases):
            key = normalise_key(spelling)
            if index.setdefault(key, p.code) != p.code:
                raise ValueError(f"{label} registry: spelling {spelling!r} names both {index[key]} and {p.code}")
    return index


def _check_links(legacy: Mapping[str, Province], new: Mapping[str, Province]) -> None:
    bad = [p.code for p in legacy.values() if p.new_code not in new or
           (p.successor_code is not None and p.successor_code not in legacy)]
    if bad:
        raise ValueError(f"{_LEGACY_CSV}: new_code/successor_code of {bad} not in the registry")
    orphans = sorted(set(new) - {p.new_code for p in legacy.values()})
    if orphans:
        raise ValueError(f"{_NEW_CSV}: 2025 provinces {orphans} have no legacy component")


@functools.cache
def _registry() -> _Registry:
    regions = {r["code"]: r for r in _read_csv(_REGIONS_CSV)}
    legacy = {r["code"]: _make(r, LEGACY, regions) for r in _read_csv(_LEGACY_CSV)}
    new = {r["code"]: _make(r, NEW, regions) for r in _read_csv(_NEW_CSV)}
    region_keys = {
        _plain_key(s)
        for r in regions.values()
        for s in (r["name"], r["name_en"], *_split(r["aliases"]))
    } | {_plain_key(s) for s in _COUNTRY_NAMES}
    _check_links(legacy, new)
    index = {LEGACY: _build_index(legacy.values(), LEGACY), NEW: _build_index(new.values(), NEW)}
    return _Registry(legacy, new, tuple(regions.values()), index, frozenset(region_keys))


# ---------------------------------------------------------------- lookups

def _check_boundaries(boundaries: str) -> None:
    if boundaries not in BOUNDARIES:
        raise ValueError(f"boundaries must be 'legacy' (63 provinces) or '2025' (34), not {boundaries!r}")


def _records(boundaries: str) -> dict[str, Province]:
    _check_boundaries(boundaries)
    reg = _registry()
    return reg.legacy if boundaries == LEGACY else reg.new


def is_region_or_country(text: str) -> bool:
    """True for the six GSO region names (vi/en/ascii, GSO spellings) and whole-country labels."""
    return isinstance(text, str) and _plain_key(text) in _registry().region_keys


def _merged_error(legacy: Province, query: str) -> MergedProvinceError:
    successor = _registry().new[legacy.new_code]
    when = MERGER_DATE_2025
    if legacy.valid_to:
        when = (date.fromisoformat(legacy.valid_to) + timedelta(days=1)).isoformat()
    msg = (f"{query!r} is the legacy province {legacy.name} (code {legacy.code}); it was merged into "
           f"{successor.name} (code {successor.code}) on {when}. On 2025 boundaries use "
           f"{successor.name} ({successor.code}); to convert, call to_2025({query!r}), or "
           f"normalize_province(..., boundaries='legacy') to keep legacy boundaries.")
    return MergedProvinceError(msg, legacy, successor)


def _suggestions(key: str, boundaries: str) -> list[str]:
    reg = _registry()
    pool = dict(reg.index[LEGACY]) if boundaries == NEW else {}
    pool.update(reg.index[boundaries])
    names: list[str] = []
    for match in difflib.get_close_matches(key, list(pool), n=8, cutoff=0.6):
        code = pool[match]
        record = (_records(boundaries) if match in reg.index[boundaries] else reg.legacy)[code]
        if record.name not in names:
            names.append(record.name)
    return names[:5]


def _unknown(text: str, key: str, boundaries: str) -> UnknownProvinceError:
    sugg = _suggestions(key, boundaries)
    hint = f" Closest: {', '.join(sugg)}." if sugg else ""
    csv_name = _LEGACY_CSV if boundaries == LEGACY else _NEW_CSV
    msg = (f"unknown province {text!r} on {boundaries} boundaries (normalised key {key!r}).{hint} "
           f"Nothing was guessed; fix the spelling or add an alias in data/{csv_name}.")
    return UnknownProvinceError(msg, sugg)


def _resolve_code(code: str, text: str, boundaries: str) -> str:
    records = _records(boundaries)
    if code in records:
        return code
    legacy = _registry().legacy.get(code)
    if boundaries == NEW and legacy is not None:
        raise _merged_error(legacy, text)
    raise UnknownProvinceError(
        f"no province has GSO code {code!r} on {boundaries} boundaries; known codes: {', '.join(records)}", [])


@functools.lru_cache(maxsize=65536)
def _resolve(text: str, boundaries: str) -> tuple[str | None, ProvinceError | None]:
    """Cached core: (code, None) or (None, error). Errors are returned so they are cached too."""
    try:
        return _resolve_uncached(text, boundaries), None
    except ProvinceError as exc:
        return None, exc


def _resolve_uncached(text: str, boundaries: str) -> str:
    stripped = unicodedata.normalize("NFC", text).strip()
    if re.fullmatch(r"\d{1,2}", stripped):
        return _resolve_code(stripped.zfill(2), text, boundaries)
    if is_region_or_country(stripped):
        raise NotAProvinceError(f"{text!r} is a region or whole-country total, not a province; "
                                "drop such rows first (is_region_or_country()).")
    key = normalise_key(stripped)
    reg = _registry()
    if key in reg.index[boundaries]:
        return reg.index[boundaries][key]
    if boundaries == NEW and key in reg.index[LEGACY]:
        raise _merged_error(reg.legacy[reg.index[LEGACY][key]], text)
    raise _unknown(text, key, boundaries)


def _as_text(value: object) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):02d}"
    if isinstance(value, str):
        return value
    raise TypeError(f"province must be text or an integer GSO code, not {type(value).__name__}: {value!r}")


def normalize_province(text: str | int, boundaries: str = LEGACY) -> Province:
    """Any common spelling, English name or GSO code → the province record on ``boundaries``.

    Raises ``UnknownProvinceError`` (with ``.suggestions``), ``NotAProvinceError`` for region or
    country names, and ``MergedProvinceError`` for a legacy-only name asked for on 2025 boundaries.
    """
    _check_boundaries(boundaries)
    code, error = _resolve(_as_text(text), boundaries)
    if error is not None:
        raise error.with_traceback(None)  # cached instance: drop the traceback of earlier raises
    return _records(boundaries)[code]


def get(code: str | int, boundaries: str = LEGACY) -> Province:
    """The record with GSO code ``code`` ("24" or 24) on ``boundaries``."""
    text = _as_text(code)
    if not re.fullmatch(r"\d{1,2}", text.strip()):
        raise ValueError(f"get() takes a 1-2 digit GSO code, not {code!r}; use normalize_province() for names")
    return _records(boundaries)[_resolve_code(text.strip().zfill(2), text, boundaries)]


def legacy_provinces(include_ha_tay: bool = False) -> list[Province]:
    """The 63 provinces before 1 July 2025 (plus Hà Tây, merged into Hà Nội in 2008, on request)."""
    return [p for p in _registry().legacy.values() if include_ha_tay or p.valid_to is None]


def provinces_2025() -> list[Province]:
    """The 34 provinces from 1 July 2025 (Resolution 202/2025/QH15)."""
    return list(_registry().new.values())


def boundaries_name(boundaries: str | int) -> str:
    """``"2025"`` or ``"legacy"`` from what a user passed (papermill may pass the integer 2025)."""
    text = str(boundaries).strip()
    if text not in BOUNDARIES:
        raise InputError(f"boundaries must be one of {BOUNDARIES}, not {boundaries!r}")
    return text


def records(boundaries: str, include_ha_tay: bool = False) -> list[Province]:
    """Every province on ``boundaries``: the 34 of 2025 or the 63 legacy ones (+ Hà Tây on request)."""
    boundaries = boundaries_name(boundaries)
    return provinces_2025() if boundaries == NEW else legacy_provinces(include_ha_tay=include_ha_tay)


def code_column(boundaries: str) -> str:
    """The column of a processed table that holds GSO codes on ``boundaries``."""
    return "province_code_2025" if boundaries_name(boundaries) == NEW else "province_code"


def means_all(text: object) -> bool:
    """True when ``text`` is one of :data:`ALL_WORDS` (every province, i.e. the country)."""
    return str(text).strip().lower() in ALL_WORDS


def resolve(text: str | int, boundaries: str) -> tuple[Province | None, MergedProvinceError | None]:
    """(record, merge) for a notebook or command-line ``province`` value; (None, None) means all.

    A legacy-only name on 2025 boundaries resolves to the province that absorbed it and returns the
    :class:`MergedProvinceError` that says so as ``merge`` (to word a note); anything unknown raises.
    """
    if means_all(text):
        return None, None
    try:
        return normalize_province(text, boundaries), None
    except MergedProvinceError as merged:
        return merged.successor, merged


def to_2025(province_or_text: Province | str | int) -> Province:
    """The 2025 province containing a legacy province (record, name or legacy code)."""
    p = province_or_text
    if isinstance(p, Province):
        if p.boundaries == NEW:
            return p
    else:
        p = normalize_province(p, LEGACY)
    return _registry().new[p.new_code]


def merged_from(code_2025: str | int, include_ha_tay: bool = False) -> list[Province]:
    """The legacy provinces that form the 2025 province ``code_2025``."""
    target = get(code_2025, NEW).code
    return [p for p in legacy_provinces(include_ha_tay) if p.new_code == target]


def regions() -> pd.DataFrame:
    """The six GSO socio-economic regions: code, name (vi), name_en, aliases."""
    return pd.DataFrame(list(_registry().regions), dtype="string")


def registry_frame(boundaries: str = LEGACY, include_ha_tay: bool = False) -> pd.DataFrame:
    """One row per province (Province fields; aliases joined by ';'); 2025 rows add ``components``."""
    _check_boundaries(boundaries)
    records = legacy_provinces(include_ha_tay) if boundaries == LEGACY else provinces_2025()
    rows = []
    for p in records:
        row = {f.name: getattr(p, f.name) for f in fields(Province)}
        row["aliases"] = ";".join(p.aliases)
        if boundaries == NEW:
            row["components"] = ";".join(c.code for c in merged_from(p.code))
        rows.append(row)
    return pd.DataFrame(rows).astype("string")


def normalize_series(series: pd.Series, boundaries: str = LEGACY) -> tuple[pd.Series, pd.DataFrame]:
    """Map a column of spellings to GSO codes, each distinct value once; failures are reported, not raised.

    Returns (codes, errors): codes is a string Series aligned with ``series`` (<NA> for missing
    input and for failures); errors has columns row, value, message, suggestions ("; "-joined).
    """
    _check_boundaries(boundaries)
    codes: dict[object, object] = {}
    problems: dict[object, tuple[str, str]] = {}
    for value in pd.unique(series.dropna()):
        try:
            code, error = _resolve(_as_text(value), boundaries)
        except TypeError as exc:
            code, error = None, exc
        codes[value] = code if code is not None else pd.NA
        if error is not None:
            problems[value] = (str(error), "; ".join(getattr(error, "suggestions", [])))
    mapped = series.map(codes).astype("string")
    bad = series.isin(list(problems)) if problems else pd.Series(False, index=series.index)
    errors = pd.DataFrame({
        "row": series.index[bad.to_numpy()],
        "value": series[bad].astype("string").to_numpy(),
        "message": [problems[v][0] for v in series[bad]],
        "suggestions": [problems[v][1] for v in series[bad]],
    })
    return mapped.rename(series.name), errors
