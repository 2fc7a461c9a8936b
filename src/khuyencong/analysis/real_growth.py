"""Official industrial growth beside published khuyến công spending, province by province (REAL side).

Descriptive only: one row per province that both published an *actual* programme budget for a
period overlapping the years of GSO's industrial production index (2012–2016) and has that index.
Growth is the index's average yearly growth over the years both cover. There is no industrial
GRDP level in the official statistics we hold, so spending is put on the only honest scales
available: per year per 1,000 inhabitants (GSO average population, same years) and per project.

Inputs are the processed tables ``published_figures`` and ``official_stats``; figures come from
:func:`khuyencong.analysis.real_record.first_hand` (one row per printed figure).
"""
from __future__ import annotations

import math

import pandas as pd

from khuyencong.analysis import real_record as rr
from khuyencong.core import i18n

POPULATION_SERIES = "Average population by province"
POPULATION_MEASURE = "Total"
DATA_STATUS = "DERIVED (published figures and official statistics)"
TOO_FEW = 5  # fewer provinces than this: shown, with a sentence that nothing can be read into it
# Spending, in order of preference: (label, [(indicator, funding_source), ...] summed).
SPENDING = (
    ("state_support", [("state_support", "total")]),
    ("state_support", [("state_support", "")]),
    ("total_funding", [("total_funding", "total")]),
    ("national_plus_local", [("national_funding", "national"), ("local_funding", "local")]),
)
PROJECTS = ([("projects", "total")], [("projects", "")], [("projects", "national"), ("projects", "local")])
COLUMNS = ["area", "province_code", "province_code_2025", "period_start", "period_end", "spending_measure",
           "spending", "projects", "official_years", "ipi_growth", "population", "spending_per_1000",
           "spending_per_project", "inputs", "sources", "official_source", "data_status"]
DISPLAY_COLUMNS = ["area", "period", "spending_measure", "spending", "projects", "official_years", "ipi_growth",
                   "population", "spending_per_1000", "spending_per_project"]
_DECIMALS = {"spending": 0, "projects": 0, "ipi_growth": 1, "population": 1, "spending_per_1000": 2,
             "spending_per_project": 0}


def _sum_of(index: dict, parts: list[tuple[str, str]]) -> tuple[float, list[str]] | None:
    """The sum of exactly one figure per (indicator, funding_source), with their ids; None if one is missing."""
    rows = [rr.figure_of(index, *part) for part in parts]
    if any(r is None for r in rows):
        return None
    return float(sum(r["value"] for r in rows)), [r["figure_id"] for r in rows]


def _first(index: dict, choices) -> tuple[str, float, list[str]] | None:
    for label, parts in choices:
        found = _sum_of(index, parts)
        if found:
            return (label, *found)
    return None


def _mean_population(population: pd.DataFrame, code: str, years: list[int]) -> float:
    rows = population.loc[(population["province_code"] == code) & population["year"].isin(years), "value"]
    return float(rows.mean()) if len(rows) else math.nan


def _row(keys: tuple, group: pd.DataFrame, ipi: pd.DataFrame, population: pd.DataFrame) -> dict | None:
    area, code, code_2025, start, end = keys
    index = rr.figure_index(group)
    spending = _first(index, SPENDING)
    growth, years = rr.official_growth(ipi, code, start, end)
    if spending is None or not years:
        return None
    measure, value, ids = spending
    projects = _first(index, [("projects", p) for p in PROJECTS])
    people = _mean_population(population, code, years)
    per_year = value / (end - start + 1)
    return {
        "area": area, "province_code": code, "province_code_2025": code_2025, "period_start": start,
        "period_end": end, "spending_measure": measure, "spending": value,
        "projects": projects[1] if projects else math.nan,
        "official_years": f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]), "ipi_growth": growth,
        "population": people, "spending_per_1000": per_year / people if people > 0 else math.nan,
        "spending_per_project": value / projects[1] if projects and projects[1] > 0 else math.nan,
        "inputs": "; ".join(ids + (projects[2] if projects else [])),
        "sources": " | ".join(dict.fromkeys(group.loc[group["figure_id"].isin(ids), "source"])),
        "official_source": "; ".join(sorted(set(ipi["source"]) | set(population["source"]))),
        "data_status": DATA_STATUS,
    }


def spending_vs_growth(figures: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """One row per province: published actual spending over a period overlapping the production
    index, its average yearly growth over the years both cover, and spending per year per 1,000
    inhabitants and per project. A province with several such periods keeps the one the index
    covers most (then the earliest)."""
    ipi = official.loc[official["series"] == rr.IPI_SERIES]
    population = official.loc[(official["series"] == POPULATION_SERIES)
                              & (official["measure"] == POPULATION_MEASURE)]
    first, last = (int(ipi["year"].min()), int(ipi["year"].max())) if len(ipi) else (0, -1)
    actual = rr.first_hand(figures).loc[lambda d: (d["kind"] == "actual") & d["value"].notna()
                                        & (d["period_end"] >= first) & (d["period_start"] <= last)]
    keys = ["area", "province_code", "province_code_2025", "period_start", "period_end"]
    rows = [r for key, group in actual.groupby(keys, sort=True) if (r := _row(key, group, ipi, population))]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["_years"] = table["official_years"].str.split("–").map(lambda y: int(y[-1]) - int(y[0]) + 1)
    table = table.sort_values(["province_code", "_years", "period_start"], ascending=[True, False, True])
    return table.drop_duplicates("province_code").drop(columns="_years").sort_values("area").reset_index(drop=True)


def summary_line(table: pd.DataFrame, lang: str) -> str:
    """How many provinces the comparison has, and a warning when they are too few to read anything into."""
    n = table["province_code"].nunique()
    line = i18n.t("rg_n_provinces", lang, n=n)
    return line + ("\n" + i18n.t("rg_too_few", lang, n=n, minimum=TOO_FEW) if n < TOO_FEW else "")


def display_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table as localised text (headers ``rg_col_<column>``, measures ``rg_measure_<measure>``)."""
    shown = table.assign(period=[f"{s}–{e}" if s != e else str(s)
                                 for s, e in zip(table["period_start"], table["period_end"])])
    cells = {}
    for col in DISPLAY_COLUMNS:
        values = shown[col]
        if col == "spending_measure":
            values = [i18n.t(f"rg_measure_{v}", lang) for v in values]
        elif col in _DECIMALS:
            values = ["–" if pd.isna(v) else i18n.fmt_number(v, lang, _DECIMALS[col]) for v in values]
        cells[i18n.t(f"rg_col_{col}", lang)] = list(values)
    return pd.DataFrame(cells, index=pd.RangeIndex(len(shown)), dtype="string")
