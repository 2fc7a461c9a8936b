"""Official industrial growth beside published khuyến công spending (REAL, descriptive)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from khuyencong.analysis import real_growth as rg
from khuyencong.analysis import real_record as rr
from khuyencong.ingest import official

SOURCE = "Báo X, 'Khuyến công', 2017-01-02"


def figure(fid, indicator, value, start=2014, end=2016, tier="total", kind="actual", area="Bắc Giang", code="24"):
    return {"figure_id": fid, "area": area, "area_type": "province", "province_code": code,
            "province_code_2025": code, "period_start": start, "period_end": end, "indicator": indicator,
            "kind": kind, "funding_source": tier, "value": value, "qualifier": "exact", "same_as": "",
            "source": SOURCE, "outlet": "Báo X"}


def stats(code="24", growth=(110.0, 105.0, 108.0), population=(1600.0, 1620.0, 1640.0), years=(2014, 2015, 2016)):
    rows = [{"province_code": code, "year": y, "series": rr.IPI_SERIES, "measure": "", "value": v,
             "source": "data/raw/official/gso/iip.csv"} for y, v in zip(years, growth)]
    rows += [{"province_code": code, "year": y, "series": rg.POPULATION_SERIES, "measure": "Total", "value": v,
              "source": "data/raw/official/gso/pop.csv"} for y, v in zip(years, population)]
    return pd.DataFrame(rows)


def test_spending_is_put_per_year_per_1000_inhabitants_and_per_project():
    figures = pd.DataFrame([figure("a", "state_support", 3000.0), figure("b", "projects", 20.0),
                            figure("c", "total_funding", 9000.0)])
    (row,) = rg.spending_vs_growth(figures, stats()).to_dict("records")
    assert row["spending_measure"] == "state_support" and row["spending"] == 3000.0  # state support first
    assert row["official_years"] == "2014–2016"
    assert row["ipi_growth"] == pytest.approx(100 * ((1.10 * 1.05 * 1.08) ** (1 / 3) - 1))
    assert row["population"] == pytest.approx(1620.0)
    assert row["spending_per_1000"] == pytest.approx(1000.0 / 1620.0)  # 3000 over 3 years
    assert row["spending_per_project"] == pytest.approx(150.0)
    assert row["inputs"] == "a; b" and row["sources"] == SOURCE
    assert row["data_status"].startswith("DERIVED")


def test_national_plus_local_and_only_the_years_both_cover():
    figures = pd.DataFrame([figure("n", "national_funding", 100.0, 2016, 2020, "national"),
                            figure("l", "local_funding", 400.0, 2016, 2020, "local"),
                            figure("pn", "projects", 2.0, 2016, 2020, "national"),
                            figure("pl", "projects", 3.0, 2016, 2020, "local")])
    (row,) = rg.spending_vs_growth(figures, stats()).to_dict("records")
    assert row["spending_measure"] == "national_plus_local" and row["spending"] == 500.0
    assert row["official_years"] == "2016" and row["ipi_growth"] == pytest.approx(8.0)
    assert row["spending_per_1000"] == pytest.approx(100.0 / 1640.0) and row["projects"] == 5.0


def test_plans_other_periods_and_provinces_without_the_index_are_left_out():
    figures = pd.DataFrame([figure("p", "state_support", 1.0, kind="plan"),
                            figure("o", "state_support", 1.0, 2018, 2020),
                            figure("z", "state_support", 1.0, area="Hà Nam", code="35")])
    assert rg.spending_vs_growth(figures, stats()).empty


def test_one_row_per_province_the_best_covered_period():
    figures = pd.DataFrame([figure("a", "state_support", 10.0, 2016, 2016), figure("b", "state_support", 30.0)])
    table = rg.spending_vs_growth(figures, stats())
    assert len(table) == 1 and table["inputs"].iat[0] == "b" and math.isnan(table["projects"].iat[0])


def test_too_few_provinces_are_said_so():
    table = pd.DataFrame({"province_code": ["24", "35"]})
    assert "N = 2" in rg.summary_line(table, "en") and "too few to read anything into" in rg.summary_line(table, "en")
    assert "\n" not in rg.summary_line(pd.DataFrame({"province_code": list("abcde")}), "en")


def test_on_the_committed_record():
    figures = pd.read_parquet(official.paths.processed_dir() / "published_figures.parquet")
    table = rg.spending_vs_growth(figures, official.read_official()[0])
    assert table["province_code"].is_unique and len(table) >= 5
    assert table[["ipi_growth", "spending_per_1000"]].notna().all().all()
    assert (table["period_end"] >= 2012).all() and (table["period_start"] <= 2016).all()
    for lang in ("vi", "en"):
        shown = rg.display_table(table, lang)
        assert len(shown) == len(table) and not shown.isna().any().any()
