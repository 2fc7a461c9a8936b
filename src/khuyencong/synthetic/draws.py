"""Every seeded draw of the demo set, as canonical tables, with the truth each one implies.

The register (:mod:`.register`) and survey (:mod:`.survey`) come from their own modules;
provincial statistics (industrial growth linked to extension spending) and plans vs
achievements are drawn here from the register.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.synthetic.params import NORTHERN_REGIONS, DemoParams, rng as _rng, years as _years
from khuyencong.synthetic.register import draw_provinces, draw_register, register_truth
from khuyencong.synthetic.survey import draw_survey, survey_units


def frames(seed: int, params: DemoParams) -> tuple[dict[str, pd.DataFrame], dict]:
    """The canonical tables (register, survey, province_stats, plans) and their truth.

    ``truth["_protected_projects"]`` lists the register projects the survey refers to, which
    must never carry a planted problem.
    """
    pf = draw_provinces(seed, params)
    register, made = draw_register(seed, params, pf)
    units = survey_units(seed, params, register, made)
    survey, survey_truth = draw_survey(seed, params, units)
    survey = survey.sort_values(["province", "establishment_id", "year"], kind="stable")
    stats, stats_truth = _province_stats(seed, params, pf, register)
    plans, plans_truth = _plans(seed, params, pf, register)
    tables = {"register": register, "survey": survey, "province_stats": stats, "plans": plans}
    truth = {"register": register_truth(params, pf, register), "survey": survey_truth,
             "province_stats": stats_truth, "plans": plans_truth,
             "_protected_projects": sorted(units.project_id.dropna())}
    return tables, truth


def _province_stats(seed: int, params: DemoParams, pf: pd.DataFrame, register: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    rng = _rng(seed, 5)
    years = _years(params)
    support = register.groupby(["province", "year"]).state_support.sum()
    n = len(pf)
    ig = 10e6 * np.exp(pf.log_size.to_numpy() + rng.normal(0, 0.5, n))  # million VND, year before first
    share = rng.uniform(0.15, 0.45, n)
    pop = 1100 * np.exp(0.6 * pf.log_size.to_numpy() + rng.normal(0, 0.2, n))
    ent_ratio = 40_000 * np.exp(rng.normal(0, 0.2, n))
    prov_eff = rng.normal(0, 2.0, n)
    year_eff = rng.normal(0, 1.5, len(years))
    if 2020 in years:  # the pandemic year
        year_eff[years.index(2020)] -= 4.0
    rows, intensity_rows = [], []
    for t, year in enumerate(years):
        spend = np.array([support.get((c, year), 0.0) for c in pf.code])
        intensity = 100 * spend / ig  # percent of last year's industrial GRDP
        growth = 8.0 + prov_eff + year_eff[t] + params.grdp_beta * intensity / 0.1 + rng.normal(0, 1.5, n)
        ig = ig * (1 + growth / 100)
        sh = np.clip(share + 0.005 * t, 0.05, 0.8)
        pop_t = pop * 1.01 ** t
        for i, code in enumerate(pf.code):
            rows.append({"province": code, "year": year, "industrial_grdp": round(float(ig[i]), 1),
                         "grdp": round(float(ig[i] / sh[i]), 1),
                         "iip": round(float(100 + growth[i] + rng.normal(0, 1.0)), 1),
                         "population": round(float(pop_t[i]), 1),
                         "industrial_enterprises": int(round(ig[i] / ent_ratio[i]))})
            intensity_rows.append(float(intensity[i]))
    truth = {
        "model": "industrial growth (%) = 8 + province effect + year effect + beta × intensity / 0.1 + "
                 "N(0, 1.5²), intensity = 100 × register state support of the year (all rows as generated, "
                 "before planting bad cells) / previous year's industrial GRDP (percent); "
                 "IIP = 100 + growth + N(0, 1)",
        "beta_pp_growth_per_0.1pct_intensity": params.grdp_beta,
        "intensity_percent_mean": round(float(np.mean(intensity_rows)), 5),
        "intensity_percent_range": [round(min(intensity_rows), 5), round(max(intensity_rows), 5)],
    }
    return pd.DataFrame(rows), truth


def _plans(seed: int, params: DemoParams, pf: pd.DataFrame, register: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    rng = _rng(seed, 6)
    done = register[register.status.isin(["completed", "adjusted"])]
    sums = done.groupby(["province", "year"]).agg(
        projects=("project_id", "size"), trainees=("trainees", "sum"),
        establishments_supported=("establishments_supported", "sum"),
        demonstration_models=("demonstration_models", "sum"), machines=("machines", "sum"),
        typical_products=("typical_products", "sum"), state_support=("state_support", "sum"))
    region = dict(zip(pf.code, pf.region))
    rows = []
    for (code, year), rec in sums.iterrows():
        for ind, *_ in ds.PLAN_INDICATORS:
            achieved = float(rec[ind])
            if achieved <= 0:
                continue
            northern = ind == "trainees" and region[code] in NORTHERN_REGIONS
            mean = params.northern_trainee_attainment if northern else params.attainment_mean
            att = float(np.clip(rng.normal(mean, 0.05 if northern else 0.07), 0.6, 1.3))
            planned = round(achieved / att, 1) if ind == "state_support" else max(1, round(achieved / att))
            rows.append({"province": code, "year": int(year), "indicator": ind,
                         "planned": planned, "achieved": round(achieved, 1)})
    truth = {"attainment": "achieved = completed + adjusted register projects; planned = achieved / "
                           "attainment, attainment ~ N(mean, sd) clipped to [0.6, 1.3]",
             "attainment_mean": params.attainment_mean, "attainment_sd": 0.07,
             "northern_regions": list(NORTHERN_REGIONS),
             "northern_trainee_attainment_mean": params.northern_trainee_attainment}
    return pd.DataFrame(rows), truth

