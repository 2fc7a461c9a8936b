"""The headline numbers of the report index, per province and for the country.

Ratios of sums from :mod:`khuyencong.analysis.metrics`: co-funding ratio, the median before/after
gain of supported establishments (descriptive, not an effect), state support per trainee, and plan
attainment of the state-support budget (money, not trainees). The intervals, the productivity effect
the briefs show (the staggered difference-in-differences estimate) and the attainment of the
training plans are the briefs' own numbers, read from the table of every area that
:mod:`khuyencong.analysis.area_tables` computes once per data version.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.analysis import area_tables
from khuyencong.analysis import metrics
from khuyencong.analysis import tables
from khuyencong.core import provinces

HEADLINES = ("cofunding_ratio", "productivity_effect", "productivity_gain", "cost_per_trainee", "plan_attainment",
             "plan_attainment_trainees")
#: The interval columns of :func:`headline_numbers` (the estimates that have one).
INTERVALS = {"cofunding_ratio": ("cofunding_low", "cofunding_high"),
             "productivity_effect": ("productivity_effect_low", "productivity_effect_high"),
             "cost_per_trainee": ("cost_per_trainee_low", "cost_per_trainee_high"),
             "plan_attainment": ("plan_attainment_low", "plan_attainment_high"),
             "plan_attainment_trainees": ("plan_attainment_trainees_low", "plan_attainment_trainees_high")}
#: Area-table measure behind each column that is read from it (the value, or only its interval).
SHARED = {"cofunding_ratio": "cofunding_ratio", "productivity_effect": "productivity_effect",
          "cost_per_trainee": "cost_per_trainee", "plan_attainment": area_tables.SUPPORT_ATTAINMENT,
          "plan_attainment_trainees": "plan_attainment"}
OWN_VALUE = ("cofunding_ratio", "cost_per_trainee", "plan_attainment")  # ratios of sums computed here: their value
ATTAINMENT_INDICATOR = "state_support"
MIN_GAINS = 5  # fewer supported establishments with a measured gain → no median shown
N_BOOT, SEED = area_tables.N_BOOT, area_tables.SEED  # the briefs' draws and seed (notebook 90 defaults)


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
    nat = metrics.cofunding(register, by=None)["cofunding_ratio"]  # no row when no project is spent yet
    return pd.concat([per, pd.Series({provinces.ALL: nat.iat[0] if len(nat) else np.nan})])


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


def _shared(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Columns read from the area table: each province's and the country's (:data:`provinces.ALL`) row
    (an area without a number has none, as in the tables computed here)."""
    kept = rows.loc[rows["level"].isin(("province", "country")) & rows[["value", "low", "high"]].notna().any(axis=1)]
    columns = {}
    for column, measure in SHARED.items():
        chosen = kept.loc[kept["measure"] == measure].set_index("area_code")
        chosen.index = chosen.index.astype("string")
        low, high = INTERVALS[column]
        columns.update({low: chosen["low"], high: chosen["high"]})
        if column not in OWN_VALUE:
            columns[column] = chosen["value"]
    return columns


def _attainment(plans: pd.DataFrame, col: str) -> pd.Series:
    chosen = plans.loc[plans["indicator"] == ATTAINMENT_INDICATOR]
    per = _by_code(metrics.plan_attainment(chosen, by=col), col, "attainment", "plan_attainment")
    nat = metrics.plan_attainment(chosen, by=None)["attainment"]
    return pd.concat([per, pd.Series({provinces.ALL: nat.iat[0] if len(nat) else np.nan})])


def headline_numbers(boundaries: str = "2025", start_year: int = 2012, end_year: int = 2024,
                     processed_dir: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """(table indexed by province code, with :data:`provinces.ALL` for the country; data status).

    Columns are :data:`HEADLINES` and the :data:`INTERVALS`; a missing table leaves its columns NaN.
    The area table is cached in ``processed_dir``/derived (default :func:`paths.derived_dir`).
    """
    col = provinces.code_column(boundaries)
    whole = {n: _load(n, processed_dir) for n in area_tables.TABLES}
    frames = {n: whole[n] for n in ("register", "survey", "plans")}
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
    if any(f is not None for f in whole.values()):
        shared = area_tables.load(whole, boundaries, start_year, end_year, N_BOOT, SEED, area_tables.truth_for(whole),
                                  Path(processed_dir) / "derived" if processed_dir else None)
        columns.update(_shared(shared.rows))
    names = [*HEADLINES, *(c for pair in INTERVALS.values() for c in pair)]
    table = pd.DataFrame(columns).reindex(columns=names).astype(float)
    present = [f for f in frames.values() if f is not None]
    status = tables.data_status(*present) if present else "REAL"
    return table, status
