"""The real record: published programme figures, ratios derived from them, and claims set
against official statistics. Descriptive only; every row keeps the figure_ids and sources it
came from, and is labelled REAL.

Inputs are the processed tables ``published_figures`` (:mod:`khuyencong.ingest.published`)
and ``official_stats`` (:mod:`khuyencong.ingest.official`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

IPI_SERIES = "Index of Industrial production by province"
GROWTH_CLAIMS = ("industrial_grdp_growth", "ipi_growth", "industrial_output_growth")
REAL_STATUS = "REAL (published)"
DERIVED_STATUS = "DERIVED (from published figures)"
# What each claim measures against the GSO production index: a caveat key (label caveat.<key>).
CAVEATS = {
    "industrial_grdp_growth": "grdp_vs_index",
    "ipi_growth": "same_concept",
    "industrial_output_growth": "gross_output_vs_index",
}


@dataclass(frozen=True)
class Ratio:
    """A ratio of two figures of the same area, period and kind; ``pairs`` are (numerator, denominator)
    as (indicator, funding_source), tried in order, so both sides always describe the same tier."""

    name: str
    pairs: tuple[tuple[tuple[str, str], tuple[str, str]], ...]
    formula: str
    unit: str
    scale: float = 1.0
    add_numerator: bool = False  # True: denominator is numerator + denominator (a share)


# total_funding is left out of the co-funding ratios: some pages include the beneficiaries' money in it.
_BENEFICIARY = (("beneficiary_contribution", "beneficiary"), ("beneficiary_contribution", ""))
_STATE = (("state_support", "total"), ("state_support", ""))
_TIERS = (("total", "total"), ("", "total"), ("national", "national"), ("local", "local"))
RATIOS = (
    Ratio("cofunding_ratio", tuple((b, s) for b in _BENEFICIARY for s in _STATE),
          "beneficiary_contribution / state_support", "ratio"),
    Ratio("state_share", tuple((s, b) for s in _STATE for b in _BENEFICIARY),
          "100 × state_support / (state_support + beneficiary_contribution)", "percent", 100.0, add_numerator=True),
    Ratio("support_per_project",
          tuple(((money, tier), ("projects", tier)) for money, tier in
                (("state_support", "total"), ("state_support", ""), ("total_funding", "total"),
                 ("national_funding", "national"), ("local_funding", "local"))),
          "support / projects of the same tier (national, local or both)", "million VND per project"),
    Ratio("support_per_trainee",
          tuple((("training_funding", t), ("trainees_vocational", u)) for t, u in
                (("national", "national"), ("local", "local"), ("total", "total"), ("national", ""), ("local", ""))),
          "training_funding / trainees_vocational", "million VND per trainee"),
    Ratio("support_per_establishment",
          tuple((("equipment_support", t), ("establishments_equipment", u)) for t, u in
                (("total", ""), ("local", "local"), ("national", "national"), ("local", ""), ("", ""))),
          "equipment_support / establishments_equipment", "million VND per establishment"),
)
#: Other readings of a claim's period that its article allows, shown beside the recorded one (never
#: chosen between): Bắc Giang's "25,2%/năm" is framed by 2014–2020 but compared in its article with the
#: 2011–2015 average, so it may be the 2016–2020 average.
PERIOD_READINGS = {"BG-2014-2020-industrial_grdp_growth": ((2016, 2020),)}
CLAIM_COLUMNS = ["area", "province_code", "figure_id", "period_reading", "period_start", "period_end", "claim_period",
                 "claim",
                 "claim_figure", "claim_value", "official_years", "official_value", "difference", "overlap",
                 "caveat", "official_coverage", "source", "official_source"]
RATIO_COLUMNS = ["area", "province_code", "period_start", "period_end", "kind", "ratio", "value", "unit",
                 "formula", "inputs", "approx", "sources", "data_status"]


def first_hand(figures: pd.DataFrame) -> pd.DataFrame:
    """Province figures, one row per figure (rows that repeat another source's figure dropped)."""
    keep = (figures["area_type"] == "province") & (figures["same_as"] == "")
    return figures.loc[keep].sort_values(["area", "period_start", "period_end", "figure_id"]).reset_index(drop=True)


def figure_index(group: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """The rows of ``group`` that have a value, by (indicator, funding tier), for :func:`figure_of`."""
    found: dict[tuple[str, str], list[dict]] = {}
    for row in group.to_dict("records"):
        _index_row(found, row)
    return found


def indexed_groups(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, dict[tuple[str, str], list[dict]]]:
    """The :func:`figure_index` of each group of ``frame`` by ``keys``, in ``groupby(keys)`` order (rows
    missing a key dropped), from one conversion of the frame (one per group costs ~10 ms with Arrow columns)."""
    groups: dict[tuple, dict] = {}
    for row in frame.dropna(subset=keys).to_dict("records"):
        _index_row(groups.setdefault(tuple(row[k] for k in keys), {}), row)
    return dict(sorted(groups.items()))


def _index_row(index: dict, row: dict) -> None:
    if pd.notna(row["value"]):
        index.setdefault((row["indicator"], row["funding_source"]), []).append(row)


def figure_of(index: dict[tuple[str, str], list[dict]], indicator: str, tier: str) -> dict | None:
    """The one published row of ``indicator`` for funding ``tier`` in a group's :func:`figure_index`;
    None if none or several."""
    rows = index.get((indicator, tier), [])
    return rows[0] if len(rows) == 1 else None


def _pick(index: dict, spec: Ratio) -> tuple[dict, dict] | None:
    for num_key, den_key in spec.pairs:
        num, den = figure_of(index, *num_key), figure_of(index, *den_key)
        if num is not None and den is not None and den["value"] > 0:
            return num, den
    return None


def _ratio_row(keys: tuple, spec: Ratio, num: dict, den: dict) -> dict:
    denominator = den["value"] + (num["value"] if spec.add_numerator else 0.0)
    area, code, start, end, kind = keys
    return {
        "area": area, "province_code": code, "period_start": start, "period_end": end, "kind": kind,
        "ratio": spec.name, "value": spec.scale * num["value"] / denominator,
        "unit": spec.unit, "formula": spec.formula,
        "inputs": f"{num['figure_id']}; {den['figure_id']}",
        "approx": bool(num["qualifier"] != "exact" or den["qualifier"] != "exact"),
        "sources": " | ".join(dict.fromkeys([num["source"], den["source"]])), "data_status": DERIVED_STATUS,
    }


def derived_ratios(figures: pd.DataFrame) -> pd.DataFrame:
    """Every ratio of :data:`RATIOS` that two figures of the same area, period and kind allow."""
    rows = []
    keys = ["area", "province_code", "period_start", "period_end", "kind"]
    for key, index in indexed_groups(first_hand(figures), keys).items():
        for spec in RATIOS:
            found = _pick(index, spec)
            if found:
                rows.append(_ratio_row(key, spec, *found))
    return pd.DataFrame(rows, columns=RATIO_COLUMNS)


def across_provinces(ratios: pd.DataFrame, ratio: str) -> pd.DataFrame:
    """One ratio across the provinces that report it, with the number of provinces (N)."""
    rows = ratios.loc[ratios["ratio"] == ratio].sort_values("value", ascending=False)
    return rows.assign(n_provinces=rows["province_code"].nunique()).reset_index(drop=True)


def official_growth(ipi: pd.DataFrame, code: str, start: int, end: int) -> tuple[float, list[int]]:
    """Average yearly growth (%) of the production index over the years both cover, and those years."""
    rows = ipi.loc[(ipi["province_code"] == code) & ipi["year"].between(start, end)].sort_values("year")
    years = [int(y) for y in rows["year"]]
    if not years:
        return math.nan, []
    factor = float(np.prod(rows["value"].to_numpy() / 100.0))
    return 100.0 * (factor ** (1 / len(years)) - 1), years


def claims_vs_official(figures: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Published growth claims beside GSO's industrial production index over the overlapping years."""
    ipi = official.loc[official["series"] == IPI_SERIES]
    claims = first_hand(figures).loc[lambda d: d["indicator"].isin(GROWTH_CLAIMS) & d["value"].notna()]
    rows = []
    for c in claims.itertuples():
        readings = [("recorded", c.period_start, c.period_end)]
        readings += [("alternative", a, b) for a, b in PERIOD_READINGS.get(c.figure_id, ())]
        for reading, start, end in readings:
            rows.append(_claim_row(c, ipi, reading, start, end))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _claim_row(c, ipi: pd.DataFrame, reading: str, start: int, end: int) -> dict:
    growth, years = official_growth(ipi, c.province_code, start, end)
    own = ipi.loc[ipi["province_code"] == c.province_code, "year"]  # this province's rows only
    covered = (int(own.min()), int(own.max())) if len(own) else None
    return {
        "area": c.area, "province_code": c.province_code, "figure_id": c.figure_id, "period_reading": reading,
        "period_start": start, "period_end": end, "claim_period": f"{start}–{end}", "claim": c.indicator,
        "claim_figure": c.figure, "claim_value": c.value,
        "official_years": f"{years[0]}–{years[-1]}" if years else "",
        "official_value": growth, "difference": c.value - growth if years else math.nan,
        "overlap": f"{len(years)}/{end - start + 1}", "caveat": CAVEATS[c.indicator],
        "official_coverage": f"{covered[0]}–{covered[1]}" if covered else "", "source": c.source,
        "official_source": ipi["source"].iat[0] if len(ipi) else "",
    }


def how_kept(figures: pd.DataFrame) -> pd.DataFrame:
    """How the record grows: printed figures per source (outlet) and year of publication (NA when the
    page gives none), split into rows extracted by ``khuyencong extract`` and reviewed, and rows
    transcribed by hand. Columns: outlet, year, figures, extracted, transcribed."""
    from khuyencong.ingest.published_add import EXTRACTED

    when = figures["published"].astype("string").str[:4].replace("", pd.NA)
    extracted = figures["note"].str.startswith(EXTRACTED)
    table = pd.DataFrame({"outlet": figures["outlet"], "year": when, "extracted": extracted.astype(int),
                          "transcribed": (~extracted).astype(int)})
    out = table.groupby(["outlet", "year"], sort=True, dropna=False).sum().reset_index()
    out.insert(2, "figures", out["extracted"] + out["transcribed"])
    return out.sort_values(["year", "outlet"], ascending=[False, True]).reset_index(drop=True)
