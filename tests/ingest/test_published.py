"""The published-figures dataset: structure, parsing, areas, internal consistency, sources."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pandas as pd
import pytest

from khuyencong import paths
from khuyencong.ingest import published
from khuyencong.ingest.published import PublishedFigureError, derived_figures, load_published

ID_RE = re.compile(r"^(?P<area>[A-Z]+)-(?P<start>\d{4})(?:H[12]|M\d{1,2})?(?:-(?P<end>\d{4}))?-(?P<ind>[a-z0-9_]+)$")
# The five seed articles (kept outside the repository, in ../shared/seeds) by the outlet their rows cite.
SEEDS = {
    "not printed (figures attributed to Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Bắc Ninh)":
        "000_d22960552eaf0c6c.txt",
    "Trung tâm Khuyến công và Xúc tiến thương mại tỉnh Bắc Giang": "001_2945414f78c4b753.txt",
    "Tạp chí Làng nghề Việt": "002_1a2ae2c184fc30d7.txt",
    "Báo Công thương": "003_2d4da9bc9c3137b8.txt",
    "THCL": "004_a92b465f80a5c8ca.txt",
}
MONEY = {"total_funding", "state_support", "beneficiary_contribution", "equipment_support",
         "consulting_revenue", "craft_village_output", "local_budget_requested", "average_income",
         "national_funding", "local_funding", "local_funding_allocated", "local_funding_unallocated",
         "local_funding_recoverable", "local_funding_nonrecoverable", "local_funding_annual", "branding_funding", "capacity_funding",
         "cnnt_development_funding", "consulting_funding", "demonstration_funding", "media_funding",
         "training_funding", "typical_products_funding", "trade_promotion_funding", "management_cost",
         "equipment_projects_cost", "disbursed", "investment_attracted",
         "counterpart_leverage"}  # "gần 20 đồng" per đồng of support: đồng, read as money
PERCENT = {"trainee_plan_attainment", "consulting_revenue_plan_attainment", "industrial_grdp_growth",
           "industry_share_grdp", "productivity_gain", "task_completion", "plan_attainment",
           "disbursement_plan_attainment", "local_budget_share", "total_funding_growth", "national_funding_growth",
           "local_funding_growth", "revenue_gain", "asset_gain", "industry_construction_share_grdp", "ipi_growth",
           "industrial_output_growth"}



@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(published.published_csv_path(), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def df():
    return load_published()


@pytest.fixture(scope="module")
def derived(df):
    return derived_figures(df)


def value(frame: pd.DataFrame, fid: str, col: str = "value") -> float:
    key = "figure_id" if "figure_id" in frame.columns else "derived_id"
    rows = frame.loc[frame[key] == fid, col]
    assert len(rows) == 1, f"{fid}: expected one row, found {len(rows)}"
    return float(rows.iloc[0])


# --- structure -------------------------------------------------------------------------------


def test_csv_has_exactly_the_documented_columns(raw):
    assert tuple(raw.columns) == published.REQUIRED_COLUMNS


def test_csv_is_plain_utf8_lf_and_nfc():
    data = published.published_csv_path().read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    text = data.decode("utf-8")
    assert unicodedata.normalize("NFC", text) == text, "decomposed diacritics; save the CSV as NFC"


def test_figure_ids_unique_and_match_their_period(raw):
    assert raw["figure_id"].is_unique
    for _, row in raw.iterrows():
        m = ID_RE.match(row["figure_id"])
        assert m, f"{row['figure_id']}: id must look like AREA-YYYY[-YYYY]-indicator"
        assert (m["start"], m["end"] or m["start"]) == (row["period_start"], row["period_end"]), row["figure_id"]
        assert m["ind"].startswith(row["indicator"]), f"{row['figure_id']}: id does not name its indicator"


def test_every_row_has_a_source_and_a_date_that_parse(raw):
    """Provenance: a URL or an outlet, and a published or retrieved date in ISO form."""
    assert ((raw["url"] != "") | (raw["outlet"] != "")).all()
    assert ((raw["published"] != "") | (raw["retrieved"] != "")).all()
    for col in ("published", "retrieved"):
        for text in raw.loc[raw[col] != "", col]:
            assert published.parse_date(text).year >= 2000, text
    assert raw.loc[raw["url"] != "", "url"].str.match(r"https?://\S+$").all()
    assert not raw.apply(lambda r: r.str.contains(r"\d{3}_[0-9a-f]{16}\.txt")).any().any(), "file-name citation"


def test_one_outlet_title_and_date_per_url(raw):
    per_url = raw.loc[raw["url"] != ""].groupby("url")[["outlet", "title", "published"]].nunique()
    assert (per_url <= 1).all().all()


def test_seed_rows_are_the_five_articles(raw):
    seeds = raw.loc[raw["url"] == ""]
    assert set(seeds["outlet"]) == set(SEEDS)
    assert len(seeds) == 90


def test_coverage_goal_of_the_issue(raw):
    provinces_covered = raw.loc[raw["area_type"] == "province", "area"].nunique()
    assert provinces_covered >= 25 and len(raw) >= 200


def test_notes_are_short_remarks(raw):
    assert raw["note"].str.len().max() <= 200


def test_duplicates_are_one_figure_with_several_sources(df):
    dups = published.duplicates(df)
    assert (dups["n_sources"] >= 2).all()
    tv = dups.set_index("figure_group").loc["TV-2024-total_funding"]
    assert tv["n_sources"] == 2 and tv["sources"].count("http") == 2
    assert "LC-2022-total_funding" in set(dups["figure_group"])


def test_conflicts_are_listed_not_averaged(df):
    conf = published.conflicts(df)
    yb = conf.loc[conf["figure_group"] == "YB-2016-2020-projects"]
    assert sorted(yb["low"]) == [137.0, 138.0]
    assert not set(conf["figure_group"]) & set(published.duplicates(df)["figure_group"])


def test_same_as_must_name_the_same_figure(raw, tmp_path):
    path = _write_variant(raw, tmp_path, "LC-2022-total_funding_dup", same_as="LC-2022-projects_provincial")
    with pytest.raises(PublishedFigureError, match="not the same figure"):
        load_published(path)


# --- parsing and areas -----------------------------------------------------------------------


def test_every_figure_parses_to_a_number_or_range(df):
    single = df["value"].notna() & (df["low"] == df["value"]) & (df["high"] == df["value"])
    ranged = df["value"].isna() & df["low"].notna() & (df["low"] < df["high"])
    assert (single | ranged).all(), df.loc[~(single | ranged), "figure_id"].tolist()
    assert set(df["qualifier"]) <= {"exact", "approx", "over", "under"}


def test_units_fit_the_indicator(df):
    for _, row in df.iterrows():
        if row["indicator"] in MONEY:
            expected = "million VND"
        elif row["indicator"] in PERCENT:
            expected = "percent"
        else:
            expected = "count"
        assert row["unit"].startswith(expected), f"{row['figure_id']}: unit {row['unit']} for {row['indicator']}"
        assert (row["unit"] == "count") == pd.notna(row["noun"]), row["figure_id"]


def test_every_area_resolves_or_is_a_region(df):
    prov = df["area_type"] == "province"
    assert df.loc[prov, "province_code"].notna().all()
    assert df.loc[~prov, "province_code"].isna().all()
    assert df.loc[~prov, "province_code_2025"].isna().all()
    # one code per printed province name, and distinct provinces get distinct codes
    codes = df.loc[prov].groupby("area")["province_code"].unique()
    assert codes.map(len).eq(1).all() and codes.map(lambda c: c[0]).is_unique


def test_status_columns(df):
    assert (df["boundaries"] == "legacy").all()
    assert (df["data_status"] == "REAL (published)").all()


# --- consistency the figures allow -----------------------------------------------------------


def test_soc_trang_state_plus_beneficiary_is_the_printed_total(df):
    parts = value(df, "ST-2012-2022-state_support") + value(df, "ST-2012-2022-beneficiary_contribution")
    total = value(df, "ST-2012-2022-total_funding")
    assert 0.97 * total <= parts <= total * 1.005  # printed as "nearly" the total


def test_parts_do_not_exceed_totals(df):
    assert value(df, "BN-2019-equipment_support") < value(df, "BN-2019-total_funding")
    assert value(df, "ST-2012-2022-projects_subcount") <= value(df, "ST-2012-2022-projects")
    assert value(df, "ST-2012-2022-jobs_created_training") <= value(df, "ST-2012-2022-trainees_vocational")
    for area in ("BG-2014-2020", "ST-2012-2022"):
        levels = [value(df, f"{area}-typical_products_{lvl}") for lvl in ("national", "regional", "provincial")]
        assert levels == sorted(levels), f"{area}: national <= regional <= provincial typical products"


def test_bac_giang_craft_villages_add_up(df):
    traditional = value(df, "BG-2020-craft_villages_traditional")
    new = value(df, "BG-2020-craft_villages_new")
    assert traditional + new == value(df, "BG-2020-craft_villages_recognised")
    assert value(df, "BG-2020-craft_villages_recognised") <= value(df, "BG-2020-craft_villages")


def test_shares_and_attainments_are_percentages(df):
    pct = df.loc[df["unit"] == "percent"]
    assert ((pct["low"] >= 0) & (pct["high"] <= 100)).all()


# --- derived figures -------------------------------------------------------------------------


def test_derived_inputs_exist_and_values_follow_the_formula(df, derived):
    assert derived["derived_id"].is_unique
    known = set(df["figure_id"])
    for inputs in derived["inputs"]:
        assert set(inputs.split(";")) <= known
    state, benef = value(df, "ST-2012-2022-state_support"), value(df, "ST-2012-2022-beneficiary_contribution")
    assert value(derived, "ST-2012-2022-cofunding_ratio") == pytest.approx(benef / state)
    assert value(derived, "ST-2012-2022-state_share") == pytest.approx(100 * state / (state + benef))


def test_derived_figures_match_the_published_orders_of_magnitude(derived):
    assert value(derived, "ST-2012-2022-cofunding_ratio") == pytest.approx(3.64, abs=0.005)
    assert value(derived, "ST-2012-2022-state_share") == pytest.approx(21.5, abs=0.1)
    assert value(derived, "NORTH-2016-trainee_plan") == pytest.approx(5910, abs=1)
    assert value(derived, "BG-2014-2020-state_support_per_project") == pytest.approx(132.86, abs=0.01)
    assert value(derived, "BN-2019-equipment_support_per_establishment") == pytest.approx(205.26, abs=0.01)


def test_derived_qualifier_follows_its_inputs(derived):
    assert value(derived, "BN-2019-equipment_share_of_total", "value") > 50
    q = derived.set_index("derived_id")["qualifier"]
    assert q["BN-2019-equipment_share_of_total"] == "approx"  # total printed as "gần 6,7 tỷ"
    assert q["ST-2012-2022-cofunding_ratio"] == "exact"
    assert q["NORTH-2016-trainee_plan"] == "approx"  # divided by a rounded percentage


def test_implied_plans_are_plans(derived):
    kinds = derived.set_index("derived_id")["kind"]
    assert kinds["NORTH-2016-trainee_plan"] == kinds["NORTH-2016-consulting_revenue_plan"] == "plan"
    assert kinds["ST-2023-projects_planned"] == "plan" and kinds["ST-2012-2022-state_share"] == "actual"


def test_derived_refuses_a_missing_input(df):
    with pytest.raises(PublishedFigureError, match="BG-2014-2020-projects"):
        derived_figures(df.loc[df["figure_id"] != "BG-2014-2020-projects"])


# --- bad input gives clear errors ------------------------------------------------------------


def _write_variant(raw: pd.DataFrame, tmp_path, fid: str, **changes) -> str:
    bad = raw.copy()
    for col, new in changes.items():
        bad.loc[bad["figure_id"] == fid, col] = new
    path = tmp_path / "published_figures.csv"
    bad.to_csv(path, index=False, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"figure": "nhiều tỷ đồng"}, r"BG-2014-2020-projects \(line \d+ .*cannot parse figure 'nhiều tỷ đồng'"),
        ({"figure": ".."}, r"BG-2014-2020-projects .*holds no number"),
        ({"area": "Bắc Giangg"}, r"BG-2014-2020-projects .*area 'Bắc Giangg'"),
        ({"area_type": "region"}, r"BG-2014-2020-projects .*set area_type to 'province'"),
        ({"kind": "estimate"}, r"BG-2014-2020-projects .*kind='estimate'"),
        ({"period_end": "2013"}, r"BG-2014-2020-projects .*period"),
        ({"figure_id": "BG-2014-2020-state_support"}, r"duplicate figure_id"),
        ({"outlet": ""}, r"BG-2014-2020-projects .*no url and no outlet"),
        ({"retrieved": ""}, r"BG-2014-2020-projects .*neither a published nor a retrieved date"),
        ({"retrieved": "21/11/2026"}, r"BG-2014-2020-projects .*retrieved '21/11/2026' is not YYYY"),
    ],
)
def test_bad_rows_are_named(raw, tmp_path, changes, message):
    with pytest.raises(PublishedFigureError, match=message):
        load_published(_write_variant(raw, tmp_path, "BG-2014-2020-projects", **changes))


def test_missing_column_is_named(raw, tmp_path):
    path = tmp_path / "p.csv"
    raw.drop(columns=["kind"]).to_csv(path, index=False)
    with pytest.raises(PublishedFigureError, match="missing column.*kind"):
        load_published(path)


# --- outputs ---------------------------------------------------------------------------------


def test_build_writes_parquet_and_bom_csv(tmp_path):
    df = published.build_published(tmp_path)
    back = pd.read_parquet(tmp_path / "published_figures.parquet")
    assert back["figure_id"].tolist() == df["figure_id"].tolist()
    assert back["value"].equals(df["value"])
    csv_bytes = (tmp_path / "published_figures.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert str(paths.project_root()).encode() not in csv_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published_figures.csv", "published_figures.parquet"]


# --- against the articles (only where ../shared is present) ----------------------------------


@pytest.fixture(scope="module")
def articles(raw):
    shared = paths.shared_dir()
    if shared is None or not (shared / "seeds").is_dir():
        pytest.skip("../shared/seeds is absent; the source articles are not part of the repository")
    return {f: " ".join((shared / "seeds" / f).read_text(encoding="utf-8").split())
            for f in sorted(SEEDS.values())}


@pytest.fixture(scope="module")
def seed_rows(raw):
    """The rows transcribed from the five articles, with the article file they came from."""
    rows = raw.loc[raw["url"] == ""].copy()
    rows["source_file"] = rows["outlet"].map(SEEDS)
    return rows


def test_every_article_is_transcribed(seed_rows, articles):
    seeds = {p.name for p in (paths.shared_dir() / "seeds").glob("*.txt")}
    assert seeds == set(articles)
    counts = seed_rows["source_file"].value_counts()
    assert (counts >= 5).all(), counts.to_dict()


def test_figures_outlets_and_areas_occur_in_their_article(seed_rows, articles):
    for (src, figure), n in Counter(zip(seed_rows["source_file"], seed_rows["figure"])).items():
        assert articles[src].count(figure) >= n, f"{src}: {figure!r} printed fewer than {n} time(s)"
    printed = seed_rows.loc[~seed_rows["outlet"].str.startswith("not printed")]
    for col, rows in (("outlet", printed), ("title", seed_rows), ("area", seed_rows)):
        for src, text in rows.loc[rows[col] != "", ["source_file", col]].itertuples(index=False):
            assert text.lower() in articles[src].lower(), f"{src}: {col} {text!r} not printed"
    for src, when in seed_rows.loc[seed_rows["published"] != "", ["source_file", "published"]].itertuples(index=False):
        day = published.parse_date(when)
        assert f"{day.day}/{day.month}" in articles[src].replace("/0", "/").replace(" 0", " "), f"{src}: {when}"


_TOKEN = re.compile(r"(?<![\w/:])\d+(?:[.,]\d+)*(?!\w|[.,]\d)")
_DURATION = re.compile(r"\s+(?:năm|tháng)\b")


def _programme_tokens(text: str) -> list[re.Match]:
    """Numbers that could be programme figures: not years, dates, decree numbers or durations."""
    keep = []
    for m in _TOKEN.finditer(text):
        nxt = text[m.end():m.end() + 1]
        if (nxt and nxt in "/:") or re.fullmatch(r"(19|20)\d\d", m.group()):
            continue
        if _DURATION.match(text, m.end()):
            continue
        keep.append(m)
    return keep


def test_every_programme_number_of_each_article_is_transcribed(seed_rows, articles):
    uncovered = []
    for src, text in articles.items():
        spans = [m.span() for fig in set(seed_rows.loc[seed_rows["source_file"] == src, "figure"])
                 for m in re.finditer(re.escape(fig), text)]
        for m in _programme_tokens(text):
            if not any(a <= m.start() and m.end() <= b for a, b in spans):
                uncovered.append(f"{src}: {text[max(0, m.start() - 30):m.end() + 30]!r}")
    assert not uncovered, "numbers not transcribed:\n" + "\n".join(uncovered)


@pytest.mark.parametrize(("col", "width"), [("note", 6), ("indicator_vi", 8)])
def test_labels_and_notes_do_not_copy_article_text(seed_rows, articles, col, width):
    """Notes are our own words; labels may reuse a programme's name but not a clause."""
    for fid, src, text in seed_rows[["figure_id", "source_file", col]].itertuples(index=False):
        article = articles[src].lower()
        words = re.findall(r"\w+", text.lower())
        for i in range(len(words) - width + 1):
            chunk = " ".join(words[i:i + width])
            assert chunk not in article, f"{fid}: {col} copies article text {chunk!r}"


def test_the_processed_csv_holds_no_live_formula(tmp_path, monkeypatch):
    """Issue 20: a title `=HYPERLINK(...)`, an outlet `@SUM(1+1)`, a note `+1+1` reached the CSV unchanged."""
    import pandas as pd

    from khuyencong.ingest import published

    frame = pd.DataFrame({"title": ['=HYPERLINK("http://evil.example","x")'], "outlet": ["@SUM(1+1)"],
                          "note": ["+1+1"], "value": [2.5]})
    monkeypatch.setattr(published, "load_published", lambda: frame)
    published.build_published(tmp_path)
    csv = pd.read_csv(tmp_path / f"{published.OUTPUT_STEM}.csv", encoding="utf-8-sig")
    assert csv.loc[0, ["title", "outlet", "note"]].tolist() == ["'=HYPERLINK(\"http://evil.example\",\"x\")",
                                                                 "'@SUM(1+1)", "'+1+1"]
    assert pd.read_parquet(tmp_path / f"{published.OUTPUT_STEM}.parquet").loc[0, "title"].startswith("=")  # data as is
