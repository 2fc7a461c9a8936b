"""The truth sidecar of the SYNTHETIC demo set, and the true effects it implies for a sample.

The only part of :mod:`khuyencong.synthetic` that analyses may import: it reads
``SYNTHETIC_truth.json`` and turns the planted parameters into the numbers an estimator should
recover (co-funding ratios, ATT by event time and category). It knows nothing of how the data
were generated beyond what the sidecar states.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong import paths

TRUTH_NAME = "SYNTHETIC_truth.json"


def load_truth(folder: Path | str | None = None) -> dict:
    """The truth sidecar (``SYNTHETIC_truth.json``) of the demo set in ``folder`` (default data/raw/demo)."""
    path = Path(folder or paths.demo_dir()) / TRUTH_NAME
    if not path.exists():
        raise FileNotFoundError(f"{paths.relative_to_root(path)} is missing: run `khuyencong demo`")
    return json.loads(path.read_text(encoding="utf-8"))


def event_weight(event: np.ndarray, path: dict) -> np.ndarray:
    """Share of the long-run effect reached at each event time (0 before support)."""
    w = np.where(event >= 2, path["2+"], 0.0)
    w = np.where(event == 1, path["1"], w)
    return np.where(event == 0, path["0"], w)


def _survey_units(seed: int, params: DemoParams, register: pd.DataFrame, made_by_prov: dict) -> pd.DataFrame:
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


def _survey(seed: int, params: DemoParams, units: pd.DataFrame,
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
    weight = _event_weight(event, params.event_path) * treated[idx]
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


def _survey_doc(truth: dict) -> dict:
    try:
        return truth["truth"]["survey"]
    except KeyError:
        raise KeyError("not a demo truth sidecar: expected truth['truth']['survey'] (use load_truth())") from None


def _binned(event_times, window: tuple[int, int]) -> np.ndarray:
    e = pd.to_numeric(pd.Series(event_times)).dropna().to_numpy(dtype=float)
    return np.clip(e, *window).astype(int)


def true_event_path(truth: dict, event_times, window: tuple[int, int] = (-4, 4)) -> pd.DataFrame:
    """True effect by event time implied for a sample whose treated rows have ``event_times``:
    the sidecar's per-event-time means (0 before support), end points of ``window`` binned with
    weights = row counts."""
    per_event = {int(k): v for k, v in _survey_doc(truth)["att_by_event_time_sample"].items()}
    raw = pd.to_numeric(pd.Series(event_times)).dropna().astype(int)
    per_event.update({e: 0.0 for e in set(raw) if e < 0 and e not in per_event})  # no effect before support
    missing = sorted(set(raw) - set(per_event))
    if missing:
        raise ValueError(f"event times {missing} have no true effect in the sidecar; is it the same demo set?")
    frame = pd.DataFrame({"bin": _binned(raw, window), "effect": raw.map(per_event).to_numpy()})
    out = frame.groupby("bin").agg(true_effect=("effect", "mean"), n=("effect", "size"))
    return out.rename_axis("event_time").reset_index()


def true_att(truth: dict, event_times) -> float:
    """True average effect over the treated rows at event time >= 0 among ``event_times``."""
    e = pd.to_numeric(pd.Series(event_times)).dropna()
    post = e[e >= 0]
    if post.empty:
        raise ValueError("no treated rows at event time >= 0")
    path = true_event_path(truth, post, (0, int(post.max())))
    return float((path["true_effect"] * path["n"]).sum() / path["n"].sum())


def true_att_by_category(truth: dict, categories, event_times) -> pd.DataFrame:
    """Implied true ATT per category of first support: the category's long-run sample mean effect
    times the mean event-path multiplier of its treated rows at event time >= 0 (exact in expectation)."""
    doc = _survey_doc(truth)
    frame = pd.DataFrame({"category": pd.Series(categories).to_numpy(),
                          "e": pd.to_numeric(pd.Series(event_times)).to_numpy(dtype=float)})
    frame = frame[frame["e"] >= 0]
    frame["w"] = event_weight(frame["e"].to_numpy(), doc["event_path_multiplier"])
    out = frame.groupby("category").agg(mean_multiplier=("w", "mean"), n=("w", "size")).reset_index()
    long_run = doc["att_long_run_by_category_sample"]
    out["true_long_run"] = out["category"].map(long_run).astype(float)
    out["true_att"] = out["true_long_run"] * out["mean_multiplier"]
    return out


def expected_cofunding(register: pd.DataFrame, truth: dict) -> pd.Series:
    """Each project's expected beneficiary contribution under the generator's model, given its
    state support, category and legacy ``province_code``: state × ratio(category) × exp(effect + σ²/2).

    Σ expected / Σ state support over any group is the true co-funding ratio of that group's projects.
    """
    doc = truth["truth"]["register"]
    ratio = doc["cofunding_ratio_by_category"]
    effect = {key.split(" ", 1)[0]: value for key, value in doc["province_effect_log_cofunding_ratio"].items()}
    for col, known in (("category", ratio), ("province_code", effect)):
        unknown = sorted(set(register[col].astype(str)) - set(known))
        if unknown:
            raise ValueError(f"expected_cofunding: {col} values {unknown[:5]} are not in the truth sidecar")
    sigma = float(truth["params"]["ratio_sigma"])
    factor = register["category"].astype(str).map(ratio).astype(float) * np.exp(
        register["province_code"].astype(str).map(effect).astype(float) + sigma ** 2 / 2)
    return (register["state_support"].astype(float) * factor).rename("expected_contribution")
