"""The four headline numbers of the report index, per province and for the country.

Computed from the processed tables with :mod:`khuyencong.analysis.metrics` (ratios of sums):
co-funding ratio, median before/after productivity gain of supported establishments, state
support per trainee, and plan attainment of the state-support budget.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.analysis import metrics
from khuyencong.analysis import tables

HEADLINES = ("cofunding_ratio", "productivity_gain", "cost_per_trainee", "plan_attainment")
ATTAINMENT_INDICATOR = "state_support"
MIN_GAINS = 5  # fewer supported establishments with a measured gain → no median shown


def _load(name: str, processed_dir) -> pd.DataFrame | None:
    try:
        return tables.load(name, processed_dir)
    except FileNotFoundError:
        return None


def _by_code(frame: pd.DataFrame, code_col: str, value: str, key: str) -> pd.Series:
    """One value per code (index) plus the national value under ``"all"``."""
    s = frame.set_index(code_col)[value] if code_col in frame else pd.Series(dtype=float)
    s.index = s.index.astype("string")
    return s.rename(key)


def _cofunding(register: pd.DataFrame, col: str) -> pd.Series:
    per = _by_code(metrics.cofunding(register, by=col), col, "cofunding_ratio", "cofunding_ratio")
    national = metrics.cofunding(register, by=None)["cofunding_ratio"].iat[0]
    return pd.concat([per, pd.Series({"all": national})])


def _per_trainee(register: pd.DataFrame, col: str) -> pd.Series:
    out = metrics.outputs_per_budget(register, by=col)
    per = _by_code(out.loc[out["output"] == "trainees"], col, "support_per_unit", "cost_per_trainee")
    nat = metrics.outputs_per_budget(register, by=None)
    nat = nat.loc[nat["output"] == "trainees", "support_per_unit"]
    return pd.concat([per, pd.Series({"all": nat.iat[0] if len(nat) else np.nan})])


def _gains(survey: pd.DataFrame, register: pd.DataFrame, col: str) -> pd.Series:
    gains = metrics.supported_gains(survey, register).drop(columns=["province_code"], errors="ignore")
    where = survey[["establishment_id", col]].drop_duplicates("establishment_id")
    gains = gains.merge(where, on="establishment_id", how="left").dropna(subset=["gain"])

    def median(g: pd.Series) -> float:
        return float(g.median()) if len(g) >= MIN_GAINS else np.nan

    per = gains.groupby(gains[col].astype("string"))["gain"].agg(median)
    return pd.concat([per, pd.Series({"all": median(gains["gain"])})])


def _attainment(plans: pd.DataFrame, col: str) -> pd.Series:
    chosen = plans.loc[plans["indicator"] == ATTAINMENT_INDICATOR]
    per = _by_code(metrics.plan_attainment(chosen, by=col), col, "attainment", "plan_attainment")
    nat = metrics.plan_attainment(chosen, by=None)["attainment"]
    return pd.concat([per, pd.Series({"all": nat.iat[0] if len(nat) else np.nan})])


def headline_numbers(boundaries: str = "2025", start_year: int = 2012, end_year: int = 2024,
                     processed_dir: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """(table indexed by province code, with ``"all"`` for the country; data status).

    Columns are :data:`HEADLINES`; a missing table leaves its columns NaN.
    """
    col = "province_code_2025" if boundaries == "2025" else "province_code"
    frames = {n: _load(n, processed_dir) for n in ("register", "survey", "plans")}
    for name in ("register", "plans"):
        if frames[name] is not None:
            frames[name] = frames[name].loc[frames[name]["year"].between(start_year, end_year)]
    register, survey, plans = frames["register"], frames["survey"], frames["plans"]
    columns = {}
    if register is not None:
        columns["cofunding_ratio"] = _cofunding(register, col)
        columns["cost_per_trainee"] = _per_trainee(register, col)
        if survey is not None:
            columns["productivity_gain"] = _gains(survey, register, col)
    if plans is not None:
        columns["plan_attainment"] = _attainment(plans, col)
    table = pd.DataFrame(columns).reindex(columns=list(HEADLINES)).astype(float)
    present = [f for f in frames.values() if f is not None]
    status = tables.data_status(*present) if present else "REAL"
    return table, status
