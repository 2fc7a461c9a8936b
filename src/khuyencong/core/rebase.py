"""Re-express a province series on the 2025 boundaries: flows summed, ratios and indices weighted.

A legacy province's rows join the 2025 province that absorbed it (:func:`provinces.to_2025`);
a 2025 province-year is complete only when every legacy component reports it.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from khuyencong.core.provinces import NEW, legacy_provinces
from khuyencong.errors import InputError


def _all_legacy() -> dict:
    """Every legacy province by code, Hà Tây (ceased 2008) included."""
    return {p.code: p for p in legacy_provinces(include_ha_tay=True)}


def _check_rebase_columns(df: pd.DataFrame, province: str, year: str, sums: list[str],
                          weighted: dict[str, str]) -> list[str]:
    named = [province, year, *sums, *weighted, *weighted.values()]
    missing = [c for c in dict.fromkeys(named) if c not in df.columns]
    if missing:
        raise KeyError(f"rebase_to_2025: columns not in the frame: {missing}; available: {list(df.columns)}")
    overlap = set(sums) & set(weighted)
    if overlap:
        raise ValueError(f"rebase_to_2025: {sorted(overlap)} named both in sums and in weighted")
    if {province, year} & (set(sums) | set(weighted)):
        raise ValueError("rebase_to_2025: the province and year columns cannot be summed or averaged")
    unnamed = [c for c in df.columns if c not in set(named)]
    if unnamed:
        raise ValueError(f"rebase_to_2025: columns {unnamed} are neither in sums (flows) nor in weighted "
                         "(ratios/indices, with their weight column); name them or drop them first")
    values = list(dict.fromkeys([*sums, *weighted, *weighted.values()]))
    not_numeric = [c for c in values if not pd.api.types.is_numeric_dtype(df[c])]
    if not_numeric:
        raise TypeError(f"rebase_to_2025: columns {not_numeric} are not numeric; parse them first (vnformat)")
    return values


def _legacy_codes(column: pd.Series) -> pd.Series:
    if column.isna().any():
        rows = list(column.index[column.isna()][:5])
        raise InputError(f"rebase_to_2025: missing province code in rows {rows}")
    codes = column.map(lambda v: f"{int(v):02d}" if isinstance(v, (int, np.integer)) else v).astype("string")
    unknown = sorted(set(codes) - set(_all_legacy()))
    if unknown:
        raise InputError(f"rebase_to_2025: codes {unknown[:10]} are not legacy GSO province codes; "
                         "turn names into codes with normalize_series() first")
    return codes


def _years(column: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.isna().any() or (numeric % 1 != 0).any():
        raise InputError(f"rebase_to_2025: year column has missing or non-integer values: "
                         f"{list(column[numeric.isna() | (numeric % 1 != 0)].unique()[:5])}")
    return numeric.astype("int64")


def _drop_expired(data: pd.DataFrame, province: str, year: str, values: list[str]) -> pd.DataFrame:
    """Rows of provinces that no longer existed (Hà Tây from 2008): empty ones go, filled ones are an error."""
    last_year = {p.code: int(p.valid_to[:4]) for p in _all_legacy().values() if p.valid_to}
    limit = data[province].map(last_year).astype("Float64")
    expired = (data[year] >= limit).fillna(False).astype(bool)
    filled = expired & data[values].notna().any(axis=1)
    if filled.any():
        sample = data.loc[filled, [province, year]].head(5).to_dict("records")
        raise InputError(f"rebase_to_2025: values for provinces that had ceased to exist: {sample}; "
                         "Hà Tây joined Hà Nội on 1 Aug 2008 — fold such values into Hà Nội yourself or drop them")
    return data.loc[~expired]


def _expected_components(new_codes: pd.Series, years: pd.Series) -> pd.Series:
    """How many legacy provinces made up each 2025 province in each year."""
    base = pd.Series([p.new_code for p in legacy_provinces()]).value_counts()
    expected = new_codes.map(base).astype("int64")
    for p in _all_legacy().values():
        if p.valid_to:
            existed = (new_codes == p.new_code) & (years < int(p.valid_to[:4]))
            expected = expected + existed.astype("int64")
    return expected


def rebase_to_2025(df: pd.DataFrame, *, province: str = "province_code", year: str = "year",
                   sums: Iterable[str] = (), weighted: Mapping[str, str] | None = None,
                   allow_partial: bool = False) -> pd.DataFrame:
    """Re-express a legacy-boundary province-year frame on the 34 provinces of 2025.

    ``sums`` (flows) are added up; ``weighted`` maps ratio/index columns to the weight column
    used to average them. A 2025 province-year with a missing component (absent row or NaN
    value/weight) gets NaN for that column unless ``allow_partial``. Hà Tây (before 2008) counts
    as a component of Hà Nội. Output: province (2025 code), year, boundaries="2025", the value
    columns, n_components, n_expected and components (legacy codes joined by ';').
    """
    if isinstance(sums, str):
        raise TypeError("sums must be a list of column names, not a single string")
    sums, weighted = list(sums), dict(weighted or {})
    values = _check_rebase_columns(df, province, year, sums, weighted)
    data = df.assign(**{province: _legacy_codes(df[province]), year: _years(df[year])})
    dup = data.duplicated([province, year], keep=False)
    if dup.any():
        raise InputError(f"rebase_to_2025: duplicate province-year rows: "
                         f"{data.loc[dup, [province, year]].head(5).to_dict('records')}")
    data = _drop_expired(data, province, year, values)
    data["_new"] = data[province].map({c: p.new_code for c, p in _all_legacy().items()})
    keys = ["_new", year]
    groups = data.groupby(keys, sort=True)
    out = groups.agg(n_components=(province, "size"), components=(province, lambda s: ";".join(sorted(s))))
    out["n_expected"] = _expected_components(out.index.get_level_values(0).to_series(index=out.index),
                                             out.index.get_level_values(1).to_series(index=out.index))
    for col in sums:
        total = groups[col].sum(min_count=1)
        out[col] = total.where(allow_partial | (groups[col].count() == out["n_expected"]))
    for col, weight in weighted.items():
        out[col] = _weighted_mean(data, keys, col, weight, out["n_expected"], allow_partial)
    out = out.reset_index().rename(columns={"_new": province})
    out[province] = out[province].astype("string")
    out["boundaries"] = pd.Series(NEW, index=out.index, dtype="string")
    out["components"] = out["components"].astype("string")
    ordered = [province, year, "boundaries", *sums, *weighted, "n_components", "n_expected", "components"]
    return out[ordered]


def _weighted_mean(data: pd.DataFrame, keys: list[str], col: str, weight: str,
                   expected: pd.Series, allow_partial: bool) -> pd.Series:
    valid = data[col].notna() & data[weight].notna()
    parts = pd.DataFrame({
        "num": (data[col] * data[weight]).where(valid),
        "den": data[weight].where(valid),
        "ok": valid.astype("int64"),
    })
    for k in keys:
        parts[k] = data[k]
    g = parts.groupby(keys, sort=True)[["num", "den", "ok"]].sum(min_count=1)
    mean = g["num"] / g["den"].where(g["den"] != 0)
    return mean.where(allow_partial | (g["ok"] == expected))
