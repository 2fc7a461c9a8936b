"""The real record for display: published figures, ratios derived from them, cross-province
comparisons and growth claims beside official statistics, as tables in Vietnamese or English
(notebook ``05_real_record``), and the coverage summary of the index page.

Everything here is REAL (published or official) or DERIVED from published figures; nothing
SYNTHETIC is read. Numbers are formatted as text so stored notebook outputs stay stable.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from khuyencong.analysis import real_record
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.ingest import provenance, published
from khuyencong.views.figure_cache import drawn_once

NOTEBOOK = "05_real_record"  # the report each province row of the index links to
FUNDING_INDICATORS = ("total_funding", "state_support", "national_funding", "local_funding")
MONEY_UNIT = "million VND"



def _num(value, lang: str, decimals: int = 2) -> str:
    return "–" if pd.isna(value) else i18n.fmt_number(round(float(value), decimals) + 0.0, lang, decimals)


def _label(figures: pd.DataFrame, lang: str) -> pd.Series:
    return figures["indicator_vi" if lang == "vi" else "indicator_en"]


# ---------------------------------------------------------------- published figures

def source_keys(figures: pd.DataFrame) -> pd.Series:
    """Which source each figure comes from: its link, or for a source printed without one (a paper,
    a report) its citation; distinct keys are distinct sources."""
    return figures["url"].where(figures["url"] != "", figures["source"])


def count_line(figures: pd.DataFrame, lang: str) -> str:
    """"N published figures (G distinct) from S sources, P provinces" for ``figures``."""
    return i18n.t("rr_count", lang, n=len(figures), groups=figures["figure_group"].nunique(),
                  sources=source_keys(figures).nunique(),
                  provinces=figures["province_code"].dropna().nunique())


def none_line(sel, lang: str) -> str:
    """The sentence for a selection with no published figure."""
    return i18n.t("rr_none", lang, area=sel.label, period=f"{sel.start_year}–{sel.end_year}")


def _group_rows(group: pd.DataFrame, lang: str) -> list[dict]:
    """One row for a figure all its sources print alike; each source's row when they differ."""
    first = group.iloc[0]
    same = group[["low", "high"]].drop_duplicates().shape[0] == 1
    parts = [group] if same else [group.iloc[[i]] for i in range(len(group))]
    return [{
        "area": first["area"], "period": published.period(first["period_start"], first["period_end"]),
        "start": int(first["period_start"]), "indicator": _label(part, lang).iat[0],
        "kind": i18n.t(f"kind.{first['kind']}", lang), "figure": part["figure"].iat[0],
        "n_sources": len(group), "note": "" if same else i18n.t("rr_conflict", lang),
        "source": " | ".join(part["source"]),
    } for part in parts]


def figures_table(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Printed figures in time order, one row per figure (several sources joined), conflicts shown row by row."""
    rows = [row for _, group in figures.groupby("figure_group", sort=False) for row in _group_rows(group, lang)]
    names = {"area": "col.area", "period": "col.period", "indicator": "col.indicator", "kind": "col.kind",
             "figure": "col.figure", "n_sources": "col.n_sources", "note": "cf_col_note", "source": "col.source"}
    out = pd.DataFrame(rows, columns=["start", *names])
    out = out.sort_values(["start", "area", "indicator"], kind="stable").drop(columns="start")
    return out.rename(columns={k: i18n.t(v, lang) for k, v in names.items()}).reset_index(drop=True)


def funding_over_time(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Single-year funding figures (million VND) as ``year``, ``series``, ``value``: one line per area,
    indicator, tier and kind; ranges and figures repeated by another source left out."""
    rows = figures.loc[(figures["period_start"] == figures["period_end"]) & (figures["same_as"] == "")
                       & figures["indicator"].isin(FUNDING_INDICATORS) & (figures["unit"] == MONEY_UNIT)
                       & figures["value"].notna()]
    series = rows["area"] + " · " + _label(rows, lang) + " (" + rows["kind"].map(lambda k: i18n.t(f"kind.{k}", lang)) + ")"
    out = pd.DataFrame({"year": rows["period_start"].astype("int64"), "series": series, "value": rows["value"]})
    return out.drop_duplicates(["year", "series"]).sort_values(["series", "year"]).reset_index(drop=True)


def per_province(figures: pd.DataFrame) -> pd.DataFrame:
    """Published figures per province (``area``, ``figures``), most first."""
    rows = figures.loc[figures["area_type"] == "province"]
    return rows.groupby("area").size().rename("figures").sort_values(ascending=False).reset_index()


def sources_of(frame: pd.DataFrame, column: str = "source") -> str:
    """The distinct sources of ``frame`` as one line (for a figure's footer)."""
    parts = [s for text in frame[column] for s in str(text).split(" | ")]
    return " | ".join(dict.fromkeys(parts))


def outlets(figures: pd.DataFrame, ratios: pd.DataFrame) -> str:
    """The outlets that printed the inputs of ``ratios`` (a short footer; tables carry full citations)."""
    ids = [i for inputs in ratios["inputs"] for i in inputs.split("; ")]
    return ", ".join(dict.fromkeys(figures.set_index("figure_id").loc[ids, "outlet"]))


@drawn_once
def support_per_project_figure(per_project: pd.DataFrame, figures: pd.DataFrame, lang: str):
    """Bars of state support per project in each province that reports it (``rr.across_provinces``
    rows), with N and the outlets; the same chart in every run of a language, so drawn once."""
    from khuyencong.views import plots  # not at the top: the index page reads this module without figures
    kinds = [i18n.t(f"kind.{k}", lang) for k in per_project["kind"]]
    bars = per_project.assign(label=[f"{a} {published.period(s, e)} ({k})" for a, s, e, k in
                                     zip(per_project["area"], per_project["period_start"], per_project["period_end"],
                                         kinds)])
    title = f"{i18n.t('ratio.support_per_project', lang)}, N = {per_project['n_provinces'].iat[0]}"
    fig = plots.bars_by_group(bars, group="label", value="value", lang=lang, title=title,
                              xlabel=i18n.t("ratio.support_per_project", lang), ylabel=i18n.t("col.area", lang))
    return plots.add_note(fig, "DERIVED", source=outlets(figures, per_project), boundaries="legacy", lang=lang)


# ---------------------------------------------------------------- derived ratios

def ratios_table(ratios: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Derived ratios with how each was derived: formula, the figure_ids used and their sources."""
    def value(r) -> str:
        return ("≈ " if r.approx else "") + _num(r.value, lang)

    return pd.DataFrame({
        i18n.t("col.area", lang): ratios["area"],
        i18n.t("col.period", lang): [published.period(a, b) for a, b in zip(ratios["period_start"], ratios["period_end"])],
        i18n.t("col.kind", lang): [i18n.t(f"kind.{k}", lang) for k in ratios["kind"]],
        i18n.t("col.indicator", lang): [i18n.t(f"ratio.{k}", lang) for k in ratios["ratio"]],
        i18n.t("col.value", lang): [value(r) for r in ratios.itertuples()],
        i18n.t("col.formula", lang): [i18n.t(f"formula.{k}", lang) for k in ratios["ratio"]],
        i18n.t("col.inputs", lang): ratios["inputs"],
        i18n.t("col.source", lang): ratios["sources"],
    }).reset_index(drop=True)


def comparison(ratios: pd.DataFrame, ratio: str, lang: str) -> tuple[str, pd.DataFrame]:
    """(heading with N, table) of one ratio across every province that reports it."""
    table = real_record.across_provinces(ratios, ratio)
    n = int(table["n_provinces"].iat[0]) if len(table) else 0
    heading = i18n.t("rr_compare_heading", lang, measure=i18n.t(f"ratio.{ratio}", lang), n=n)
    return heading, ratios_table(table, lang).drop(columns=[i18n.t("col.formula", lang)])


# ---------------------------------------------------------------- claims against official statistics

@lru_cache(maxsize=8)
def _provenance() -> dict[str, dict[str, str]]:
    return provenance.load_records()


def official_citation(source: str, series: str, lang: str) -> str:
    """Who published an official file, which table, and where it was taken from (provenance record)."""
    record = _provenance().get(source.removeprefix("data/raw/"), {})
    if not record:
        return source
    return i18n.t("rr_official_source", lang, source=record["source"].split(";")[0], series=series,
                  url=record.get("url", ""))


def claims_table(claims: pd.DataFrame, figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Published growth claims beside GSO's production index over the shared years, with caveats."""
    labels = figures.set_index("figure_id")["indicator_vi" if lang == "vi" else "indicator_en"]
    official = [official_citation(s, real_record.IPI_SERIES, lang) if s else "" for s in claims["official_source"]]
    no_overlap = i18n.t("rr_no_overlap", lang)
    return pd.DataFrame({
        i18n.t("col.area", lang): claims["area"],
        i18n.t("col.period", lang): [p + (f" ({i18n.t('rr_period_alternative', lang)})" if r == "alternative" else "")
                                     for p, r in zip(claims["claim_period"], claims["period_reading"])],
        i18n.t("col.claim", lang): claims["figure_id"].map(labels),
        i18n.t("col.claim_figure", lang): claims["claim_figure"],
        i18n.t("col.official_years", lang): claims["official_years"].replace("", no_overlap),
        i18n.t("col.official_value", lang): [_num(v, lang, 1) for v in claims["official_value"]],
        i18n.t("col.difference", lang): [_num(v, lang, 1) for v in claims["difference"]],
        i18n.t("col.overlap", lang): claims["overlap"],
        i18n.t("col.caveat", lang): [i18n.t(f"caveat.{c}", lang) for c in claims["caveat"]],
        i18n.t("col.source", lang): claims["source"],
        i18n.t("col.official_source", lang): official,
    }).reset_index(drop=True)


def official_coverage(official: pd.DataFrame, lang: str) -> str:
    """One line: how many official series, provinces and years the project holds."""
    if official.empty:
        return ""
    return i18n.t("rr_official_coverage", lang, series=official["series"].nunique(),
                  provinces=official["province_code"].nunique(), start=int(official["year"].min()),
                  end=int(official["year"].max()))


# ---------------------------------------------------------------- index page

def _links(group: pd.DataFrame) -> list[dict]:
    rows = group.loc[group["url"] != ""].drop_duplicates("url").sort_values(["published", "outlet"])
    return [{"href": r.url, "text": ", ".join(p for p in (r.outlet, r.published or r.retrieved) if p)}
            for r in rows.itertuples()]


def _unlinked(group: pd.DataFrame) -> list[str]:
    """Citations of the sources printed without a link (counted like the linked ones)."""
    return sorted(group.loc[group["url"] == "", "source"].unique())


def index_section(figures: pd.DataFrame, official: pd.DataFrame, reports: dict, lang: str) -> dict:
    """The REAL section of the index: the data status line, the national real-record report and one
    row per province on the 2025 boundaries with its published figures, periods, number of sources
    (:func:`source_keys`), their links and citations, and its real-record report (``reports``: 2025
    province code, None for the country → link)."""
    rows = figures.loc[figures["area_type"] == "province"]
    status = i18n.t("site_real_status", lang, n=len(figures), provinces=rows["province_code"].nunique(),
                    sources=source_keys(figures).nunique(), official=official_coverage(official, lang) or "—")
    records = {p.code: p for p in provinces.records("2025")}
    places = []
    for code, group in rows.groupby("province_code_2025", sort=True):
        areas, record = sorted(group["area"].unique()), records[code]
        name = record.name_en if lang == "en" else record.name
        name += "" if areas == [record.name] else f" ({', '.join(areas)})"
        places.append({"areas": name, "figures": len(group),
                       "periods": f"{int(group['period_start'].min())}–{int(group['period_end'].max())}",
                       "sources": _links(group), "unlinked": _unlinked(group),
                       "n_sources": int(source_keys(group).nunique()), "report": reports.get(code)})
    return {"status": status, "national": reports.get(None), "places": sorted(places, key=lambda p: p["areas"])}


def index(lang: str, reports: dict, processed_dir=None) -> dict | None:
    """:func:`index_section` from the processed tables; None when the published figures are not built."""
    from khuyencong.analysis.tables import load

    try:
        figures = load(published.OUTPUT_STEM, processed_dir)
    except FileNotFoundError:
        return None
    try:
        official = load("official_stats", processed_dir)
    except FileNotFoundError:
        official = pd.DataFrame(columns=["series", "province_code", "year"])
    return index_section(figures, official, reports, lang)


def how_kept_table(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`real_record.how_kept` with its columns named in ``lang``."""
    from khuyencong.analysis import real_record

    names = {"outlet": "rk_outlet", "year": "rk_year", "figures": "rk_figures", "extracted": "rk_extracted",
             "transcribed": "rk_transcribed"}
    table = real_record.how_kept(figures)
    table["year"] = table["year"].astype(object).where(table["year"].notna(), "–")  # the page gives no date
    return table.rename(columns={k: i18n.t(v, lang) for k, v in names.items()})
