"""Ratios derived from published figures and growth claims beside official statistics."""
from __future__ import annotations

import pandas as pd
import pytest

from khuyencong.analysis import real_record as rr
from khuyencong.ingest.official import read_official
from khuyencong.ingest.published import load_published


@pytest.fixture(scope="module")
def figures():
    return load_published()


@pytest.fixture(scope="module")
def ratios(figures):
    return rr.derived_ratios(figures)


def test_ratios_follow_their_inputs(figures, ratios):
    by_id = figures.set_index("figure_id")["value"]
    for r in ratios.itertuples():
        num, den = r.inputs.split("; ")
        expected = by_id[num] / (by_id[den] + (by_id[num] if r.ratio == "state_share" else 0))
        assert r.value == pytest.approx((100 if r.ratio == "state_share" else 1) * expected)
        assert r.data_status == "DERIVED (from published figures)" and r.sources


def test_soc_trang_cofunding_ratio_matches_the_seed_derivation(ratios):
    st = ratios.set_index(["area", "ratio"]).loc[("Sóc Trăng", "cofunding_ratio"), "value"]
    assert float(st) == pytest.approx(3.64, abs=0.005)


def test_tiers_are_never_mixed(figures, ratios):
    tier = figures.set_index("figure_id")["funding_source"]
    per_project = ratios.loc[ratios["ratio"] == "support_per_project"]
    for inputs in per_project["inputs"]:
        money, projects = inputs.split("; ")
        assert tier[money] == tier[projects] or {tier[money], tier[projects]} == {"total", ""}


def test_across_provinces_counts_n(ratios):
    table = rr.across_provinces(ratios, "support_per_project")
    assert (table["n_provinces"] == table["province_code"].nunique()).all()
    assert table["n_provinces"].iat[0] >= 10


def test_claims_against_the_production_index(figures):
    official, _ = read_official()
    every = rr.claims_vs_official(figures, official)
    claims = every.loc[every["period_reading"] == "recorded"].set_index("figure_id")
    bg = claims.loc["BG-2014-2020-industrial_grdp_growth"]
    assert bg["official_years"] == "2014–2016" and bg["overlap"] == "3/7" and bg["caveat"] == "grdp_vs_index"
    # Issue 21: the article compares "25,2%/năm" with the 2011–2015 average: 2016–2020 is shown too, not chosen
    other = every.loc[(every["figure_id"] == bg.name) & (every["period_reading"] == "alternative")].iloc[0]
    assert other["claim_period"] == "2016–2020" and other["official_years"] == "2016–2016" and other["overlap"] == "1/5"
    ipi = official.loc[(official["series"] == rr.IPI_SERIES) & (official["province_code"] == bg["province_code"])
                       & official["year"].between(2014, 2016), "value"]
    expected = 100 * ((ipi / 100).prod() ** (1 / 3) - 1)
    assert bg["official_value"] == pytest.approx(expected)
    assert bg["difference"] == pytest.approx(25.2 - expected)
    assert pd.isna(claims.loc["BG-2019M5-industrial_output_growth", "official_value"])  # no overlap: not compared


def test_how_the_record_is_kept_counts_extracted_and_transcribed_rows():
    """Issue 21: notebook 00 says how the record grows (figures per source and year, extracted vs transcribed)."""
    import pandas as pd

    from khuyencong.analysis import real_record
    from khuyencong.ingest.published_add import EXTRACTED

    figures = pd.DataFrame({"outlet": ["Báo A", "Báo A", "Báo B", "Báo B"],
                            "published": ["2021-05-01", "2021-06-02", "", "2019-01-01"],
                            "retrieved": ["2026-11-21"] * 4,
                            "note": [EXTRACTED, "", EXTRACTED + "; tier not printed", ""]})
    kept = real_record.how_kept(figures)
    rows = {(r.outlet, None if pd.isna(r.year) else r.year): (r.figures, r.extracted, r.transcribed)
            for r in kept.itertuples()}
    assert rows == {("Báo A", "2021"): (2, 1, 1), ("Báo B", "2019"): (1, 0, 1), ("Báo B", None): (1, 1, 0)}
