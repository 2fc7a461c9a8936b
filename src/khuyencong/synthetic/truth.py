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
from khuyencong.errors import InputError

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
        raise InputError(f"event times {missing} have no true effect in the sidecar; is it the same demo set?")
    frame = pd.DataFrame({"bin": _binned(raw, window), "effect": raw.map(per_event).to_numpy()})
    out = frame.groupby("bin").agg(true_effect=("effect", "mean"), n=("effect", "size"))
    return out.rename_axis("event_time").reset_index()


def true_att(truth: dict, event_times) -> float:
    """True average effect over the treated rows at event time >= 0 among ``event_times``."""
    e = pd.to_numeric(pd.Series(event_times)).dropna()
    post = e[e >= 0]
    if post.empty:
        raise InputError("no treated rows at event time >= 0")
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
            raise InputError(f"expected_cofunding: {col} values {unknown[:5]} are not in the truth sidecar")
    sigma = float(truth["params"]["ratio_sigma"])
    factor = register["category"].astype(str).map(ratio).astype(float) * np.exp(
        register["province_code"].astype(str).map(effect).astype(float) + sigma ** 2 / 2)
    return (register["state_support"].astype(float) * factor).rename("expected_contribution")
