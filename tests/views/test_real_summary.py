"""The real record as display tables and the index page's REAL section."""
from __future__ import annotations

import pandas as pd
import pytest

from khuyencong.analysis import real_record as rr
from khuyencong.analysis import selection
from khuyencong.core import i18n
from khuyencong.ingest.official import read_official
from khuyencong.ingest.published import load_published
from khuyencong.views import real_summary as real


@pytest.fixture(scope="module")
def figures():
    return load_published()


@pytest.fixture(scope="module")
def official():
    return read_official()[0]


def _row(fid, figure, low, source, same_as="", **extra):
    return {"figure_id": fid, "figure_group": same_as or fid, "area": "Bắc Giang", "period_start": 2020,
            "period_end": 2020, "indicator_vi": "Số đề án", "indicator_en": "Projects", "kind": "actual",
            "figure": figure, "low": low, "high": low, "source": source, "same_as": same_as, **extra}


def test_duplicates_are_one_row_and_conflicts_keep_each_source():
    rows = pd.DataFrame([_row("A", "10 đề án", 10.0, "Báo A"), _row("A2", "10 đề án", 10.0, "Báo B", "A"),
                         _row("C", "5 đề án", 5.0, "Báo C", indicator_vi="Lớp"),
                         _row("C2", "6 đề án", 6.0, "Báo D", "C", indicator_vi="Lớp")])
    table = real.figures_table(rows, "vi")
    assert len(table) == 3
    sources = table[i18n.t("col.source", "vi")].tolist()
    assert "Báo A | Báo B" in sources and {"Báo C", "Báo D"} <= set(sources)
    notes = table[i18n.t("cf_col_note", "vi")]
    assert (notes == i18n.t("rr_conflict", "vi")).sum() == 2


def test_figures_table_cites_outlet_title_and_date(figures):
    table = real.figures_table(figures, "en")
    assert len(table) >= figures["figure_group"].nunique()
    assert not table["Source"].str.contains(r"\.txt\b").any()
    assert table["Source"].str.contains(r"\d{4}").all()  # every citation has a date


def test_province_without_published_figures_gets_a_sentence(figures):
    sel = selection.select("Cà Mau", 2012, 2024, "2025", "en")
    from khuyencong.ingest import published

    assert published.for_selection(figures, sel).empty
    assert "No published khuyến công figures were found for" in real.none_line(sel, "en")


def test_funding_over_time_has_one_value_per_year_and_series(figures):
    series = real.funding_over_time(figures, "vi")
    assert not series.duplicated(["year", "series"]).any() and series["value"].gt(0).all()


def test_comparison_heading_states_n(figures):
    ratios = rr.derived_ratios(figures)
    heading, table = real.comparison(ratios, "support_per_project", "en")
    n = ratios.loc[ratios["ratio"] == "support_per_project", "province_code"].nunique()
    assert f": {n} provinces" in heading and len(table) >= n


def test_claims_table_has_caveats_and_the_official_citation(figures, official):
    claims = rr.claims_vs_official(figures, official)
    table = real.claims_table(claims, figures, "en")
    bg = table.loc[table["Period"] == "2014–2020"].iloc[0]
    assert bg["Caveat of definition"] == i18n.t("caveat.grdp_vs_index", "en")
    assert "General Statistics Office" in bg["Official source"] and "github.com/choisy/gso" in bg["Official source"]
    assert bg["Difference (points)"] == "8.0"
    assert (table["GSO years"] == i18n.t("rr_no_overlap", "en")).any()


def test_index_section_lists_provinces_with_links(figures, official):
    link = {"exists": True, "href": "vi/can-tho/05_real_record/05_real_record.html", "text": "x"}
    section = real.index_section(figures, official, {"92": link}, "vi")
    assert str(len(figures)) in section["status"] and "THỰC" in section["status"]
    can_tho = next(p for p in section["places"] if p["areas"].startswith("Cần Thơ"))
    assert can_tho["report"] is link and "Sóc Trăng" in can_tho["areas"]
    assert sum(p["figures"] for p in section["places"]) == (figures["area_type"] == "province").sum()
    assert all(s["href"].startswith("http") for p in section["places"] for s in p["sources"])
