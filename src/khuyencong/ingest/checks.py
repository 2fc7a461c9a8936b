"""Check one raw table cell by cell: parse every column by its kind, then the rules across columns.

All checks are vectorised over columns; distinct values (provinces, categories) are mapped once.
:func:`check_table` returns the parsed values too, so :mod:`khuyencong.ingest.clean` never parses twice.
"""
from __future__ import annotations

import difflib
from functools import lru_cache

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.core import provinces
from khuyencong.core.vnnumber import parse_number_series
from khuyencong.ingest.headers import fold, split_header
from khuyencong.ingest.problems import IssueList, TableCheck, printed
from khuyencong.ingest.rawtable import RawTable

NUMBER_FIX = "write the number in Vietnamese format, e.g. 1.234,5 (dot for thousands, comma for decimals)"
MONEY_TOLERANCE_ABS, MONEY_TOLERANCE_REL = 0.5, 0.001


# ---------------------------------------------------------------- parsers per kind

def take_text(labels: list, codes: np.ndarray, index) -> pd.Series:
    """Text Series ``labels[codes]`` (code -1 → missing), built with one arrow ``take``."""
    arr = pd.array(list(labels), dtype="str")
    return pd.Series(arr.take(np.asarray(codes, dtype="int64"), allow_fill=True), index=index)


def _as_text(series: pd.Series) -> pd.Series:
    """Text cells stripped, blanks NaN; numbers from Excel become text (``1001.0`` → ``"1001"``)."""
    if series.dtype == object:
        codes, uniques = pd.factorize(series)
        series = take_text([printed(u).strip() for u in uniques], codes, series.index).fillna("")
    else:
        series = series.astype("str").str.strip()
    return series.where(series != "")


def _numbers(s: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(s.dtype):  # a column of Excel TRUE/FALSE cells
        s = s.astype(object)
    if s.dtype == object:  # Excel dates, TRUE/FALSE and other objects: shown as text, they fail to parse
        s = s.map(_number_cell)
    return parse_number_series(s, decimal=decimal)


def _number_cell(value: object) -> object:
    if isinstance(value, bool):
        return str(value).upper()
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


def _check_number(raw: RawTable, col: ds.Column, issues: IssueList) -> pd.Series:
    values, failed = _numbers(raw.frame[col.name], raw.decimal)
    failed = failed.to_numpy()
    fix = NUMBER_FIX if raw.decimal == "," else (
        "this file writes decimals with '.' (e.g. 1234.5 or 1,234.5); write every number the same way")
    issues.add(failed, col.name, "not a number", "not a number", fix)
    if col.required_in(raw.from_document):
        issues.add(values.isna().to_numpy() & ~failed, col.name, "empty required cell", "required cell is empty",
                   f"fill in '{col.vi}' / '{col.en}'")
    if col.kind == "int":
        frac = values.notna() & (values != values.round())
        issues.add(frac.to_numpy(), col.name, "not a whole number", "not a whole number", "write a whole number")
        values = values.where(~frac)
    if col.kind == "money":
        values = values * raw.unit_scale.get(col.name, 1.0)
        neg = (values < 0).to_numpy()
        issues.add(neg, col.name, "negative money", "negative amount", "amounts cannot be negative; check the sign")
    elif col.kind == "int" and col.name != "year":
        issues.add((values < 0).to_numpy(), col.name, "negative count", "negative count",
                   "counts cannot be negative; check the sign")
    if col.name == "year":
        out = (values.notna() & ((values < ds.YEAR_MIN) | (values > ds.YEAR_MAX))).to_numpy()
        issues.add(out, col.name, "year out of range", f"year outside {ds.YEAR_MIN}–{ds.YEAR_MAX}",
                   "write the four-digit year of implementation")
    return values


def _check_text(raw: RawTable, col: ds.Column, issues: IssueList) -> pd.Series:
    text = _as_text(raw.frame[col.name])
    if col.required_in(raw.from_document):
        issues.add(text.isna().to_numpy(), col.name, "empty required cell", "required cell is empty",
                   f"fill in '{col.vi}' / '{col.en}'")
    return text


@lru_cache(maxsize=None)
def _choice_index(dataset: str, column: str) -> tuple[dict[str, str], dict[str, str]]:
    """(folded spelling → code, code → label for suggestions)."""
    col = ds.DATASETS[dataset].column(column)
    entries = [(c.code, c.name_vi, c.name_en) for c in ds.categories()] if col.kind == "category" else col.choices
    index: dict[str, str] = {}
    for code, vi, en in entries:
        for spelling in (code, vi, en):
            for key in (fold(spelling), split_header(spelling)[0]):
                if key:
                    index.setdefault(key, code)
    return index, {code: f"{code} ({vi})" for code, vi, _ in entries}


def _check_choice(raw: RawTable, col: ds.Column, issues: IssueList) -> pd.Series:
    text = _check_text(raw, col, issues)
    index, labels = _choice_index(raw.dataset, col.name)
    codes, uniques = pd.factorize(text)
    mapped = np.array([index.get(fold(u)) for u in uniques] + [None], dtype=object)
    result = take_text(list(mapped[:-1]), codes, text.index)
    bad_u = [i for i, m in enumerate(mapped[:-1]) if m is None]
    what = "category" if col.kind == "category" else col.en.lower()
    for i in bad_u:
        close = difflib.get_close_matches(fold(uniques[i]), list(index), n=3, cutoff=0.6)
        near = list(dict.fromkeys(labels[index[k]] for k in close))
        hint = f"did you mean {' or '.join(near)}? " if near else ""
        issues.add(codes == i, col.name, f"unknown {what}", f"unknown {what}",
                   f"{hint}allowed: {', '.join(labels)} (code, Vietnamese or English label)")
    return result


def _check_province(raw: RawTable, col: ds.Column, issues: IssueList) -> pd.DataFrame:
    text = _check_text(raw, col, issues)
    codes, uniques = pd.factorize(text)
    agg = np.array([provinces.is_region_or_country(u) for u in uniques] + [False])
    is_agg = agg[codes]
    issues.add(is_agg, col.name, "aggregate row", "aggregate row (a region or the whole country, not a province)",
               "remove region and whole-country total rows; keep one row per province")
    found, errors = provinces.normalize_series(text.where(~is_agg))
    for message_suggestions, group in errors.groupby(["suggestions"], sort=False):
        sugg = message_suggestions[0]
        hint = f"did you mean {' or '.join(sugg.split('; ')[:3])}? " if sugg else ""
        pos = text.index.get_indexer(group["row"])
        issues.add(pos, col.name, "unknown province", "unknown province",
                   f"{hint}write the province name (e.g. 'Bắc Giang' or 'Bac Giang') or its 2-digit GSO code")
    return _province_columns(found)


@lru_cache(maxsize=None)
def _province_record(code: str) -> tuple[str, str, str]:
    p = provinces.get(code)
    return p.name, p.region_code, p.new_code or ""


def _province_columns(codes: pd.Series) -> pd.DataFrame:
    fac, uniques = pd.factorize(codes)
    recs = [_province_record(c) for c in uniques]
    cols = {}
    for i, name in enumerate(("province_name", "region_code", "province_code_2025")):
        cols[name] = take_text([r[i] for r in recs], fac, codes.index)
    return pd.DataFrame({"province_code": codes.astype("str"), **cols})


# ---------------------------------------------------------------- rules across columns

def _register_rules(raw: RawTable, v: pd.DataFrame, issues: IssueList) -> None:
    s, c = v["state_support"], v["beneficiary_contribution"]
    ok = s.notna() & c.notna() & (s >= 0) & (c >= 0)
    issues.add((ok & (s == 0) & (c == 0)).to_numpy(), "state_support", "contribution share out of range",
               "state support and contribution are both 0", "enter the amounts of the project")
    issues.add((ok & (s == 0) & (c > 0)).to_numpy(), "state_support", "contribution share out of range",
               "state share is 0 (must be in (0, 1]): state support is 0",
               "a project with no state support is not an extension project; check the amounts")
    if "total_cost" in v:
        t = v["total_cost"]
        parts = s + c
        tol = np.maximum(MONEY_TOLERANCE_ABS, MONEY_TOLERANCE_REL * t.abs())
        bad = (t.notna() & parts.notna() & ((t - parts).abs() > tol)).to_numpy()
        if bad.any():
            fmt = lambda x: x.round(3).astype(str)  # noqa: E731
            problem = ("total " + fmt(t[bad]) + " ≠ support " + fmt(s[bad]) + " + contribution " + fmt(c[bad])
                       + " = " + fmt(parts[bad]) + " (million VND)")
            issues.add(bad, "total_cost", "total does not add up", problem.to_numpy(),
                       "correct the total or its parts (total = state support + contribution)")


def _survey_rules(raw: RawTable, v: pd.DataFrame, issues: IssueList) -> None:
    bad = (v["workers"] <= 0) & (v["output_value"] > 0)
    issues.add(bad.to_numpy(), "workers", "no workers with output", "no workers but output value > 0",
               "enter the average number of workers")


def _plans_rules(raw: RawTable, v: pd.DataFrame, issues: IssueList) -> None:
    issues.add((v["planned"] <= 0).to_numpy(), "planned", "plan not positive", "planned value must be > 0",
               "enter the planned value (leave the row out if there was no plan)")
    issues.add((v["achieved"] < 0).to_numpy(), "achieved", "negative achievement", "achieved value is negative",
               "achieved values cannot be negative")


_RULES = {"register": _register_rules, "survey": _survey_rules, "plans": _plans_rules}


def check_table(raw: RawTable) -> TableCheck:
    """Parse and check one table on its own (no cross-file checks)."""
    issues = IssueList()
    parts: list[pd.DataFrame | pd.Series] = []
    for col in ds.DATASETS[raw.dataset].columns:
        if col.name not in raw.frame:
            continue
        if col.kind == "province":
            parts.append(_check_province(raw, col, issues))
        elif col.kind in ("int", "float", "money"):
            parts.append(_check_number(raw, col, issues).rename(col.name))
        elif col.kind in ("category", "choice"):
            parts.append(_check_choice(raw, col, issues).rename(col.name))
        else:
            parts.append(_check_text(raw, col, issues).rename(col.name))
    values = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=raw.frame.index)
    rule = _RULES.get(raw.dataset)
    if rule is not None:
        rule(raw, values, issues)
    return TableCheck(raw, values, _with_found(raw, issues.frame()))


def _with_found(raw: RawTable, own: pd.DataFrame) -> pd.DataFrame:
    """Add what the annex reader found; a row it already rejects keeps only its (more precise) reasons."""
    if raw.found is None or raw.found.empty:
        return own
    rejected = raw.found.loc[raw.found["severity"] == "error", "pos"]
    own = own[~own["pos"].isin(rejected)]
    return pd.concat([raw.found, own], ignore_index=True) if not own.empty else raw.found.reset_index(drop=True)
