"""The four headline numbers of the report index, per province and for the country.

Computed from the processed tables with :mod:`khuyencong.analysis.metrics` (ratios of sums):
co-funding ratio (with its bootstrap interval), the productivity effect the briefs show (the
staggered difference-in-differences estimate with its interval), the median before/after gain of
supported establishments (descriptive, not an effect), state support per trainee, and plan
attainment of the state-support budget (money, not trainees).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong.analysis import productivity
from khuyencong.analysis import tables
from khuyencong.core import provinces

HEADLINES = ("cofunding_ratio", "productivity_effect", "productivity_gain", "cost_per_trainee", "plan_attainment")
#: The interval columns of :func:`headline_numbers` (the estimates that have one).
INTERVALS = {"cofunding_ratio": ("cofunding_low", "cofunding_high"),
             "productivity_effect": ("productivity_effect_low", "productivity_effect_high")}
ATTAINMENT_INDICATOR = "state_support"
MIN_GAINS = 5  # fewer supported establishments with a measured gain → no median shown
N_BOOT, SEED = 499, 20120521  # the briefs' bootstrap draws and seed (notebook 90 defaults): the same intervals


def _load(name: str, processed_dir) -> pd.DataFrame | None:
    try:
        return tables.load(name, processed_dir)
    except FileNotFoundError:
        return None


def _by_code(frame: pd.DataFrame, code_col: str, value: str, key: str) -> pd.Series:
    """One value per code (index); callers add the national value under :data:`provinces.ALL`."""
    s = frame.set_index(code_col)[value] if code_col in frame else pd.Series(dtype=float)
    s.index = s.index.astype("string")
    return s.rename(key)


def _cofunding(register: pd.DataFrame, col: str) -> pd.Series:
    per = _by_code(metrics.cofunding(register, by=col), col, "cofunding_ratio", "cofunding_ratio")
    national = metrics.cofunding(register, by=None)["cofunding_ratio"].iat[0]
    return pd.concat([per, pd.Series({provinces.ALL: national})])


def _per_trainee(register: pd.DataFrame, col: str) -> pd.Series:
    out = metrics.outputs_per_budget(register, by=col)
    per = _by_code(out.loc[out["output"] == "trainees"], col, "support_per_unit", "cost_per_trainee")
    nat = metrics.outputs_per_budget(register, by=None)
    nat = nat.loc[nat["output"] == "trainees", "support_per_unit"]
    return pd.concat([per, pd.Series({provinces.ALL: nat.iat[0] if len(nat) else np.nan})])


def _gains(survey: pd.DataFrame, register: pd.DataFrame, col: str) -> pd.Series:
    gains = metrics.supported_gains(survey, register).drop(columns=["province_code"], errors="ignore")
    where = survey[["establishment_id", col]].drop_duplicates("establishment_id")
    gains = gains.merge(where, on="establishment_id", how="left").dropna(subset=["gain"])

    def median(g: pd.Series) -> float:
        return float(g.median()) if len(g) >= MIN_GAINS else np.nan

    per = gains.groupby(gains[col].astype("string"))["gain"].agg(median)
    return pd.concat([per, pd.Series({provinces.ALL: median(gains["gain"])})])


def _did(panel: pd.DataFrame) -> tuple[float, float, float]:
    """The briefs' estimate: Sun–Abraham ATT as a proportional change (exp(b) − 1) with its 95%
    interval; NaN when the sample is too small or the model cannot be estimated."""
    est, _ = productivity.brief_att(panel)
    if est is None:
        return np.nan, np.nan, np.nan
    return tuple(float(v) for v in models.log_to_pct([est.coef, est.ci_low, est.ci_high]))


def _effects(survey: pd.DataFrame, register: pd.DataFrame, col: str) -> pd.DataFrame:
    """:func:`_did` per province and for the country (index ``provinces.ALL``)."""
    panel = metrics.productivity_panel(survey, register)
    codes = panel[col].astype("string")
    out = {code: _did(panel.loc[codes == code]) for code in sorted(codes.dropna().unique())}
    out[provinces.ALL] = _did(panel)
    names = ["productivity_effect", *INTERVALS["productivity_effect"]]
    return pd.DataFrame.from_dict(out, orient="index", columns=names)


def _cofunding_intervals(register: pd.DataFrame, col: str) -> pd.DataFrame:
    per = metrics.bootstrap_cofunding(register, by=col, n_boot=N_BOOT, seed=SEED).set_index(col)
    per.index = per.index.astype("string")
    nat = metrics.bootstrap_cofunding(register, by=None, n_boot=N_BOOT, seed=SEED)
    nat.index = pd.Index([provinces.ALL])
    both = pd.concat([per, nat])[["ratio_low", "ratio_high"]]
    return both.set_axis(list(INTERVALS["cofunding_ratio"]), axis=1)


def _attainment(plans: pd.DataFrame, col: str) -> pd.Series:
    chosen = plans.loc[plans["indicator"] == ATTAINMENT_INDICATOR]
    per = _by_code(metrics.plan_attainment(chosen, by=col), col, "attainment", "plan_attainment")
    nat = metrics.plan_attainment(chosen, by=None)["attainment"]
    return pd.concat([per, pd.Series({provinces.ALL: nat.iat[0] if len(nat) else np.nan})])


def headline_numbers(boundaries: str = "2025", start_year: int = 2012, end_year: int = 2024,
                     processed_dir: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """(table indexed by province code, with :data:`provinces.ALL` for the country; data status).

    Columns are :data:`HEADLINES`; a missing table leaves its columns NaN.
    """
    col = provinces.code_column(boundaries)
    frames = {n: _load(n, processed_dir) for n in ("register", "survey", "plans")}
    for name in ("register", "plans"):
        if frames[name] is not None:
            frames[name] = frames[name].loc[frames[name]["year"].between(start_year, end_year)]
    register, survey, plans = frames["register"], frames["survey"], frames["plans"]
    columns = {}
    if register is not None:
        columns["cofunding_ratio"] = _cofunding(register, col)
        columns["cost_per_trainee"] = _per_trainee(register, col)
        columns.update(_cofunding_intervals(register, col).to_dict("series"))
        if survey is not None:
            columns["productivity_gain"] = _gains(survey, register, col)
            columns.update(_effects(survey.loc[survey["year"].between(start_year, end_year)], register,
                                    col).to_dict("series"))
    if plans is not None:
        columns["plan_attainment"] = _attainment(plans, col)
    names = [*HEADLINES, *(c for pair in INTERVALS.values() for c in pair)]
    table = pd.DataFrame(columns).reindex(columns=names).astype(float)
    present = [f for f in frames.values() if f is not None]
    status = tables.data_status(*present) if present else "REAL"
    return table, status
