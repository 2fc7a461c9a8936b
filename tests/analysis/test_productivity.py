"""Productivity notebook helpers: DiD sample, summaries by group, the demo truth, reference points, tables."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from khuyencong import synthetic as demo
from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong.analysis import productivity as prod

SMALL = demo.DemoParams(projects_min=2, projects_max=3, survey_supported=250, survey_comparison=250)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    """A simulated survey with the true support year, category and effect of every row."""
    panel = metrics.productivity(demo.simulate_survey(3, SMALL))
    panel["event_time"] = panel["year"] - panel["support_year"]
    panel["treated_post"] = (panel["event_time"] >= 0).astype(float)
    return panel


def _register(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["establishment_id", "year", "project_id", "category", "status"])


def _survey(ids, years=range(2014, 2020)) -> pd.DataFrame:
    rows = [{"establishment_id": e, "year": y, "output_value": 100.0 + y - 2014, "workers": 2} for e in ids for y in years]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- metrics

def test_first_support_takes_the_earliest_spent_project():
    reg = _register([("A", 2017, "P2", "training", "completed"), ("A", 2016, "P1", "technology", "stopped"),
                     ("A", 2017, "P0", "fairs", "adjusted"), ("B", 2015, "P3", "demonstration", "completed")])
    first = metrics.first_support(reg).set_index("establishment_id")
    assert first.loc["A", "support_year"] == 2017 and first.loc["A", "support_category"] == "fairs"
    assert first.loc["B", "support_category"] == "demonstration"
    every = metrics.first_support(reg, statuses=None).set_index("establishment_id")
    assert every.loc["A", "support_year"] == 2016


def test_productivity_panel_drops_establishments_with_only_unspent_projects():
    reg = _register([("A", 2016, "P1", "technology", "completed"), ("S", 2016, "P2", "technology", "stopped")])
    panel = metrics.productivity_panel(_survey(["A", "S", "C"]), reg)
    assert set(panel["establishment_id"]) == {"A", "C"}
    assert panel.attrs["dropped_establishments"] == 1
    a = panel[panel["establishment_id"] == "A"]
    assert (a["support_category"] == "technology").all() and a["event_time"].tolist() == list(range(-2, 4))
    assert panel.loc[panel["establishment_id"] == "C", "support_year"].isna().all()


# ---------------------------------------------------------------- models

def test_log_to_pct():
    assert models.log_to_pct(np.log(1.25)) == pytest.approx(0.25)
    np.testing.assert_allclose(models.log_to_pct(np.array([0.0, np.log(0.8)])), [0.0, -0.2])


def test_did_estimates_on_the_simulated_survey(sim):
    est = models.did_estimates(sim)
    assert est.attrs["problem"] == "" and est["estimator"].tolist() == ["sun_abraham", "twfe"]
    np.testing.assert_allclose(est["pct"], np.expm1(est["coef"]))
    np.testing.assert_allclose(est["pct_low"], np.expm1(est["ci_low"]))
    truth = sim.loc[sim["event_time"] >= 0, "true_effect"].mean()
    sa = est.iloc[0]
    assert abs(sa["coef"] - truth) < 4 * sa["se"]


def test_did_estimates_refuse_too_small_a_sample(sim):
    few = sim[sim["establishment_id"].isin(sim["establishment_id"].drop_duplicates().iloc[:5])]
    est = models.did_estimates(few)
    assert est.empty and "too few units" in est.attrs["problem"]
    assert models.sample_size_problem(sim) == ""


def test_did_by_group_recovers_category_effects(sim):
    table = models.did_by_group(sim, "category").set_index("category")
    for cat in ("technology", "demonstration"):
        rows = sim[(sim["category"] == cat) & (sim["event_time"] >= 0)]
        truth = rows["true_effect"].mean()
        assert abs(table.loc[cat, "coef"] - truth) < 4 * table.loc[cat, "se"], cat
        assert table.loc[cat, "n_treated"] == sim.loc[sim["category"] == cat, "establishment_id"].nunique()
    few = models.did_by_group(sim, "category", min_treated=10_000)
    assert few["coef"].isna().all() and few["note"].str.contains("too few").all()


def test_did_by_group_needs_a_group_constant_within_units(sim):
    bad = sim.assign(category=np.where(sim["year"] % 2 == 0, "a", "b"))
    bad.loc[bad["support_year"].isna(), "category"] = None
    with pytest.raises(ValueError, match="constant"):
        models.did_by_group(bad, "category")


# ---------------------------------------------------------------- demo truth

TRUTH = {"truth": {"survey": {"att_by_event_time_sample": {"-1": 0.0, "0": 0.1, "1": 0.2, "2": 0.3, "3": 0.3, "5": 0.5},
                              "event_path_multiplier": {"0": 0.5, "1": 0.75, "2+": 1.0},
                              "att_long_run_by_category_sample": {"technology": 0.2}}}}


def test_true_event_path_bins_the_end_points_with_row_weights():
    path = synthetic_truth.true_event_path(TRUTH, [-7, -1, 0, 0, 1, 2, 3, 5, 5], window=(-2, 3)).set_index("event_time")
    assert path.loc[-2, "true_effect"] == 0.0  # before support: no effect, even if not in the sidecar
    assert path.loc[3, "true_effect"] == pytest.approx((0.3 + 0.5 + 0.5) / 3) and path.loc[3, "n"] == 3
    assert synthetic_truth.true_att(TRUTH, [-1, 0, 0, 1, 5]) == pytest.approx((0.1 + 0.1 + 0.2 + 0.5) / 4)
    with pytest.raises(ValueError, match="event times \\[4\\]"):
        synthetic_truth.true_event_path(TRUTH, [4])


def test_true_att_by_category_scales_the_long_run_effect():
    out = synthetic_truth.true_att_by_category(TRUTH, ["technology"] * 4, [-1, 0, 1, 2]).set_index("category")
    assert out.loc["technology", "true_att"] == pytest.approx(0.2 * (0.5 + 0.75 + 1.0) / 3)


def test_load_truth_reads_the_sidecar(tmp_path):
    (tmp_path / synthetic_truth.TRUTH_NAME).write_text(json.dumps(TRUTH), encoding="utf-8")
    assert synthetic_truth.load_truth(tmp_path) == TRUTH
    with pytest.raises(FileNotFoundError, match="khuyencong demo"):
        synthetic_truth.load_truth(tmp_path / "nowhere")


# ---------------------------------------------------------------- reference points and tables

def test_reference_points_have_citations_and_ordered_ranges():
    refs = prod.reference_points()
    assert {"jarmin1999_mep", "bloom2013_consulting"} <= set(refs["ref_id"])
    assert (refs["low_pct"] <= refs["high_pct"]).all() and refs["citation"].str.len().gt(20).all()
    mep = refs.set_index("ref_id").loc["jarmin1999_mep"]
    assert (mep["low_pct"], mep["high_pct"]) == (3.4, 16)


def _claims(*bands) -> pd.DataFrame:
    return pd.DataFrame([{"indicator": "productivity_gain", "unit": "percent", "low": lo, "high": hi,
                          "indicator_vi": "Tăng năng suất", "indicator_en": "Productivity gain", "area": "Sóc Trăng",
                          "period_start": 2012, "period_end": 2022, "outlet": "X", "source": "X, “T”, 2020"}
                         for lo, hi in bands])


def test_claimed_band_from_the_published_figures():
    assert prod.claimed_band(_claims((15.0, 40.0))) == pytest.approx((0.15, 0.40))
    assert prod.claimed_band(_claims()) == (0.15, 0.40)
    with pytest.raises(ValueError, match="different bands"):
        prod.claimed_band(_claims((15.0, 40.0), (10.0, 20.0)))
    wrong = _claims((15.0, 40.0)).assign(unit="count")
    with pytest.raises(ValueError, match="percent"):
        prod.published_claims(wrong)


def test_comparison_and_display_tables(sim):
    est = models.did_estimates(sim)
    gains = pd.DataFrame({"gain": [0.1, 0.2, 0.3, 0.5]})
    band = prod.band_summary(gains, 0.15, 0.40)
    assert band["share_in_band"].iat[0] == 0.5 and band["median_gain"].iat[0] == pytest.approx(0.25)
    table = prod.comparison(est, band, _claims((15.0, 40.0)), prod.reference_points(), "Cả nước", "2012–2024",
                            true_att=0.2)
    assert table["kind"].tolist()[:4] == ["estimate", "estimate", "truth", "before_after"]
    assert table.loc[table["kind"] == "truth", "low_pct"].iat[0] == pytest.approx(100 * np.expm1(0.2))
    assert table.loc[table["kind"] == "claim", ["low_pct", "high_pct"]].iloc[0].tolist() == [15.0, 40.0]
    for lang in ("vi", "en"):
        shown = prod.display_comparison(table, lang)
        assert len(shown) == len(table) and shown.map(lambda v: isinstance(v, str)).all().all()
        assert ("15,0% – 40,0%" if lang == "vi" else "15.0% – 40.0%") in shown.iloc[:, 3].tolist()
        assert len(prod.display_estimates(prod.estimates_with_truth(est, 0.2), lang).columns) == 9
        assert len(prod.display_estimates(prod.estimates_with_truth(est), lang).columns) == 8


def test_did_problem_says_why_there_is_no_estimate(sim):
    counts = prod.sample_counts(sim)
    assert prod.did_problem(models.did_estimates(sim), counts, "en") == ""
    few = sim[sim["establishment_id"].isin(sim["establishment_id"].drop_duplicates().iloc[:5])]
    assert "Too few" in prod.did_problem(models.did_estimates(few), prod.sample_counts(few), "en")
    late = sim[sim["year"] >= 2023]  # every supported row is after support: no reference period
    assert "could not be estimated" in prod.did_problem(models.did_estimates(late), prod.sample_counts(late), "en")


def test_event_table_with_truth_and_without_estimate(sim):
    path = sim.loc[sim["event_time"].notna()].groupby(sim["event_time"].clip(-4, 4))["true_effect"].mean()
    true_path = path.rename("true_effect").rename_axis("event_time").reset_index()
    table, reason = prod.event_table(sim, true_path)
    assert reason == "" and table["true_effect"].notna().all()
    post = table[table["event_time"] >= 0]
    assert (abs(post["coef"] - post["true_effect"]) < 4 * post["se"]).all()
    none, why = prod.event_table(sim[sim["year"] >= 2023])
    assert none is None and why
