"""The seeded beneficiary survey of the demo set: supported and comparison establishments, a
yearly panel with the planted programme effect, and the true effects that sample implies."""
from __future__ import annotations

import numpy as np
import pandas as pd

from khuyencong.synthetic.params import DEMO_SEED, EFFECT_CATEGORIES, DemoParams, rng as _rng, years as _years
from khuyencong.synthetic.register import draw_provinces, draw_register
from khuyencong.synthetic.truth import event_weight

def survey_units(seed: int, params: DemoParams, register: pd.DataFrame, made_by_prov: dict) -> pd.DataFrame:
    """Supported establishments (first support in an effect category) plus never-supported ones."""
    rng = _rng(seed, 3)
    first = register.sort_values(["year", "project_id"]).drop_duplicates("establishment_id")
    lo, hi = params.support_years
    eligible = first[first.category.isin(EFFECT_CATEGORIES) & first.year.between(lo, hi)]
    k = min(params.survey_supported, len(eligible))
    treated = eligible.iloc[np.sort(rng.choice(len(eligible), k, replace=False))]
    treated = pd.DataFrame({
        "establishment_id": treated.establishment_id.to_numpy(), "project_id": treated.project_id.to_numpy(),
        "province": treated.province.to_numpy(), "support_year": treated.year.to_numpy(dtype=float),
        "category": treated.category.to_numpy()})
    # Comparison establishments: same provinces in the same proportions, ids never in the register.
    provs = treated.province.to_numpy()[rng.integers(len(treated), size=params.survey_comparison)]
    counters = {c: len(m) for c, m in made_by_prov.items()}
    ids = []
    for code in provs:
        counters[code] += 1
        ids.append(f"CS{code}-{counters[code]:05d}")
    comparison = pd.DataFrame({"establishment_id": ids, "project_id": None, "province": provs,
                               "support_year": np.nan, "category": None})
    units = pd.concat([treated, comparison], ignore_index=True)
    units["treated"] = units.project_id.notna()
    return units


def draw_survey(seed: int, params: DemoParams, units: pd.DataFrame,
            effects: bool = False) -> tuple[pd.DataFrame, dict]:
    """Yearly panel with establishment and year effects and the planted programme effect
    (``effects=True`` adds each row's true effect on log productivity as ``true_effect``)."""
    rng = _rng(seed, 4)
    n = len(units)
    years = np.array(_years(params))
    treated = units.treated.to_numpy()
    tau = np.zeros(n)
    cats = units.category.to_numpy()
    for cat, mean in params.att_by_category.items():
        mask = cats == cat
        tau[mask] = rng.normal(mean, params.att_sd, mask.sum())
    a = rng.normal(0, 0.35, n) + params.selection_productivity * treated
    lw = np.log(15) + rng.normal(0, 0.6, n) + params.selection_workers * treated
    entry = params.year_first + rng.choice(2, n, p=[0.7, 0.3])
    exit_ = params.year_last - rng.choice(3, n, p=[0.7, 0.15, 0.15])
    shock = rng.normal(0, 0.02, len(years))
    shock[years == 2020] -= 0.05
    year_eff = dict(zip(years, params.productivity_trend * (years - years[0]) + shock))
    idx, yr = np.meshgrid(np.arange(n), years, indexing="ij")
    idx, yr = idx.ravel(), yr.ravel()
    keep = (yr >= entry[idx]) & (yr <= exit_[idx])
    idx, yr = idx[keep], yr[keep]
    support = units.support_year.to_numpy(dtype=float)[idx]
    event = np.where(np.isnan(support), -99, yr - np.nan_to_num(support, nan=0)).astype(int)
    weight = event_weight(event, params.event_path) * treated[idx]
    log_prod = 4.9 + a[idx] + np.array([year_eff[y] for y in yr]) + tau[idx] * weight + rng.normal(0, 0.08, len(idx))
    log_w = (lw[idx] + 0.01 * (yr - years[0]) + params.workers_effect * weight + rng.normal(0, 0.05, len(idx)))
    workers = np.maximum(1, np.rint(np.exp(log_w))).astype(int)
    output = np.round(workers * np.exp(log_prod), 1)
    revenue = np.round(output * rng.uniform(0.9, 1.05, len(idx)), 1)
    wage = 45 * np.exp(0.05 * (yr - years[0])) * np.exp(rng.normal(0, 0.1, len(idx)))
    panel = pd.DataFrame({
        "establishment_id": units.establishment_id.to_numpy()[idx],
        "project_id": units.project_id.to_numpy()[idx], "province": units.province.to_numpy()[idx],
        "year": yr, "output_value": output, "workers": workers, "revenue": revenue,
        "wages": np.round(workers * wage, 1)})
    if effects:
        panel["true_effect"] = tau[idx] * weight
    truth = _survey_truth(params, units, tau, idx, event, weight, treated)
    return panel, truth


def _survey_truth(params, units, tau, idx, event, weight, treated) -> dict:
    """The planted effects and what they average to in this sample (for the sidecar)."""
    t_obs = treated[idx]
    by_event = {}
    for e in sorted(set(event[t_obs].tolist())):
        m = t_obs & (event == e)
        by_event[str(e)] = round(float(np.mean(tau[idx][m] * weight[m])), 4)
    t = units.treated.to_numpy()
    return {
        "outcome": "log(output_value / workers); ATT = mean over supported establishments of the "
                   "effect at event time e = year − first support year",
        "event_path_multiplier": params.event_path,
        "att_long_run_by_category_population": params.att_by_category,
        "att_long_run_by_category_sample": {
            c: round(float(tau[(units.category == c).to_numpy()].mean()), 4)
            for c in params.att_by_category if (units.category == c).any()},
        "att_long_run_sample": round(float(tau[t].mean()), 4),
        "att_by_event_time_sample": by_event,
        "workers_effect_log": params.workers_effect,
        "pre_trends": "parallel by construction (no effect before event time 0)",
        "selection": {"log_productivity_level": params.selection_productivity,
                      "log_workers_level": params.selection_workers},
        "supported_establishments": int(t.sum()), "comparison_establishments": int((~t).sum()),
    }


def simulate_survey(seed: int = DEMO_SEED, params: DemoParams = DemoParams()) -> pd.DataFrame:
    """The demo survey panel drawn with ``seed`` (canonical codes, no bad cells planted) plus
    ``support_year`` and ``category`` of the first support (empty for comparison establishments)
    and ``true_effect``, the planted effect of each row on log output per worker.

    For Monte Carlo checks of the estimators; smaller ``params`` (projects_max, survey_supported,
    survey_comparison) run faster. Same draws as :func:`khuyencong.synthetic.generate` for the
    same seed and params.
    """
    pf = draw_provinces(seed, params)
    register, made = draw_register(seed, params, pf)
    units = survey_units(seed, params, register, made)
    panel, _ = draw_survey(seed, params, units, effects=True)
    return panel.merge(units[["establishment_id", "support_year", "category"]], on="establishment_id",
                       how="left", validate="many_to_one")
