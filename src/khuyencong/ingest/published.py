"""Published figures: every quantitative khuyến công figure we found in public news and official pages.

The figures are REAL (published) facts transcribed by hand into
``data/raw/published_figures.csv`` (UTF-8, one row per printed figure and source; no article
text; search log in ``data/raw/published_figures_SOURCES.md``). Columns:

* ``figure_id`` — stable id ``AREA-PERIOD-indicator[_qualifier]``, e.g. ``BG-2014-2020-state_support``
  (a part-year period carries a suffix: ``LD-2017H1-…``)
* ``area`` (as printed), ``area_type`` (province / region / country)
* ``period_start``, ``period_end`` — years; partial years are explained in ``note``
* ``indicator`` (snake_case code), ``indicator_vi``, ``indicator_en`` — short labels
* ``kind`` — actual / plan / target / requested
* ``funding_source`` — national / local / total (both tiers) / beneficiary; empty when not stated
* ``figure`` — exactly as printed (``29.229,2 triệu đồng``, ``gần 6,7 tỷ đồng``, ``15 - 40%``)
* ``note`` — short remarks in our own words
* ``same_as`` — the figure_id of the same figure printed by another source (a duplicate when the
  values agree, a conflict when they differ); empty otherwise
* provenance: ``url``, ``outlet``, ``title``, ``published`` (date of the page as shown; ``YYYY``,
  ``YYYY-MM`` or ``YYYY-MM-DD``), ``retrieved`` (date we read the copy). Every row names a URL
  or an outlet, and a published or retrieved date.

:func:`load_published` adds the parsed figure (``value``, ``low``, ``high``, ``unit``, ``noun``,
``qualifier``; money in million VND), the province codes (legacy 63-province boundaries, as
the articles predate the 2025 merger, plus the 2025 code), ``figure_group`` and ``n_sources``
(one figure printed by several sources), ``source`` (outlet, title, date, URL as one citation),
``boundaries`` and ``data_status``. :func:`duplicates` and :func:`conflicts` list the figures
printed by several sources; :func:`derived_figures` computes what the articles allow.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.core import vnformat
from khuyencong.files import atomic_path
from khuyencong.errors import InputError
from khuyencong.ingest.export import safe_frame

CSV_NAME = "published_figures.csv"
OUTPUT_STEM = "published_figures"
PROVENANCE_COLUMNS = ("url", "outlet", "title", "published", "retrieved")
REQUIRED_COLUMNS = (
    "figure_id", "area", "area_type", "period_start", "period_end", "indicator", "indicator_vi",
    "indicator_en", "kind", "funding_source", "figure", "note", "same_as", *PROVENANCE_COLUMNS,
)
CHOICES = {
    "area_type": ("province", "region", "country"),
    "kind": ("actual", "plan", "target", "requested"),
    "funding_source": ("national", "local", "total", "beneficiary", ""),
}
NOT_EMPTY = ("figure_id", "area", "indicator", "indicator_vi", "indicator_en", "figure")
SAME_FIGURE = ("area", "period_start", "period_end", "indicator", "kind", "funding_source")
BOUNDARIES = "legacy"
DATA_STATUS = "REAL (published)"
DERIVED_STATUS = "DERIVED (from published figures)"
_FIRST_DATA_LINE = 2  # line 1 of the CSV is the header
_BARE_MULTIPLIER = re.compile(r"\d\s*(?:tỷ|tỉ|triệu)$")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class PublishedFigureError(InputError):
    """A row of the published-figures CSV is malformed; the message names figure_id and line."""


def published_csv_path() -> Path:
    return paths.raw_dir() / CSV_NAME


def _where(row: pd.Series, line: int) -> str:
    return f"{row['figure_id'] or '(no figure_id)'} (line {line} of {CSV_NAME})"


def read_published_csv(path: Path | str | None = None) -> pd.DataFrame:
    """The CSV as text columns plus integer years, after structural and provenance checks."""
    path = Path(path) if path is not None else published_csv_path()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise PublishedFigureError(f"{path.name}: missing column(s) {missing}; expected {list(REQUIRED_COLUMNS)}")
    df = df[list(REQUIRED_COLUMNS)].apply(lambda s: s.str.strip())
    for i, row in df.iterrows():
        _check_row(row, _FIRST_DATA_LINE + i)
    dup = df["figure_id"][df["figure_id"].duplicated()].tolist()
    if dup:
        raise PublishedFigureError(f"{path.name}: duplicate figure_id(s) {dup}; each figure needs its own id")
    _check_same_as(df)
    for col in ("period_start", "period_end"):
        df[col] = df[col].astype("int64")
    return df


def _check_row(row: pd.Series, line: int) -> None:
    where = _where(row, line)
    for col in NOT_EMPTY:
        if not row[col]:
            raise PublishedFigureError(f"{where}: column {col!r} is empty; fill it in")
    for col, allowed in CHOICES.items():
        if row[col] not in allowed:
            raise PublishedFigureError(f"{where}: {col}={row[col]!r} is not one of {list(allowed)}")
    years = [row["period_start"], row["period_end"]]
    if not all(y.isdigit() and len(y) == 4 for y in years) or years[0] > years[1]:
        raise PublishedFigureError(
            f"{where}: period {years[0]!r}-{years[1]!r} must be two 4-digit years, start <= end"
        )
    _check_provenance(row, where)


def parse_date(text: str) -> date:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` → the first day it can mean; anything else raises."""
    m = _DATE_RE.match(text)
    if not m:
        raise InputError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))


def _check_provenance(row: pd.Series, where: str) -> None:
    if not (row["url"] or row["outlet"]):
        raise PublishedFigureError(f"{where}: no url and no outlet; say where the figure was printed")
    if row["url"] and not row["url"].startswith(("http://", "https://")):
        raise PublishedFigureError(f"{where}: url {row['url']!r} must start with http:// or https://")
    if not (row["published"] or row["retrieved"]):
        raise PublishedFigureError(f"{where}: neither a published nor a retrieved date; give at least one")
    for col in ("published", "retrieved"):
        if row[col]:
            try:
                parse_date(row[col])
            except ValueError as exc:
                raise PublishedFigureError(f"{where}: {col} {exc}") from None


def _check_same_as(df: pd.DataFrame) -> None:
    """``same_as`` names a first-hand row describing the same area, period, indicator, kind and tier."""
    by_id = df.set_index("figure_id")
    for i, row in df.loc[df["same_as"] != ""].iterrows():
        where, target = _where(row, _FIRST_DATA_LINE + i), row["same_as"]
        if target not in by_id.index or by_id.at[target, "same_as"]:
            raise PublishedFigureError(f"{where}: same_as {target!r} must be the figure_id of a row without same_as")
        differs = [c for c in SAME_FIGURE if by_id.at[target, c] != row[c]]
        if differs:
            raise PublishedFigureError(f"{where}: same_as {target!r} but {differs} differ; it is not the same figure")


def _parse_figure(row: pd.Series, line: int) -> dict:
    text = row["figure"]
    if _BARE_MULTIPLIER.search(text):
        text += " đồng"  # "33 tỷ" printed without "đồng" in a budget sentence: read as đồng
    try:
        amount = vnformat.parse_amount(text)
    except ValueError as exc:
        raise PublishedFigureError(
            f"{_where(row, line)}: cannot parse figure {row['figure']!r}: {exc}. "
            "Copy the figure exactly as printed, with its unit word"
        ) from None
    if amount.is_missing:
        raise PublishedFigureError(f"{_where(row, line)}: figure {row['figure']!r} holds no number")
    if amount.unit is None:
        raise PublishedFigureError(f"{_where(row, line)}: figure {row['figure']!r} has no unit or counted noun")
    return {"value": amount.value, "low": amount.low, "high": amount.high, "unit": amount.unit,
            "noun": amount.noun, "qualifier": amount.qualifier}


def _resolve_area(row: pd.Series, line: int) -> dict:
    if row["area_type"] != "province":
        _refuse_province_as_region(row, line)
        return {"province_code": None, "province_name": None, "province_code_2025": None}
    try:
        prov = provinces.normalize_province(row["area"], boundaries=BOUNDARIES)
    except ValueError as exc:
        raise PublishedFigureError(f"{_where(row, line)}: area {row['area']!r} is not a province: {exc}") from None
    return {"province_code": prov.code, "province_name": prov.name,
            "province_code_2025": provinces.to_2025(prov).code}


def _refuse_province_as_region(row: pd.Series, line: int) -> None:
    """A province mislabelled as a region would silently lose its code."""
    try:
        prov = provinces.normalize_province(row["area"], boundaries=BOUNDARIES)
    except ValueError:
        return
    raise PublishedFigureError(
        f"{_where(row, line)}: area {row['area']!r} is the province {prov.name}, "
        f"but area_type is {row['area_type']!r}; set area_type to 'province'"
    )


def load_published(path: Path | str | None = None) -> pd.DataFrame:
    """The published figures with parsed values, province codes, sources and status columns."""
    df = read_published_csv(path)
    extra = [
        {**_parse_figure(row, _FIRST_DATA_LINE + i), **_resolve_area(row, _FIRST_DATA_LINE + i)}
        for i, row in df.iterrows()
    ]
    extra_df = pd.DataFrame(extra, index=df.index)
    for col in ("value", "low", "high"):
        extra_df[col] = extra_df[col].astype("float64")
    for col in ("unit", "noun", "qualifier", "province_code", "province_name", "province_code_2025"):
        extra_df[col] = extra_df[col].astype("str")
    out = pd.concat([df, extra_df], axis=1)
    out["figure_group"] = out["same_as"].where(out["same_as"] != "", out["figure_id"])
    out["n_sources"] = out.groupby("figure_group")["figure_id"].transform("size").astype("int64")
    out["source"] = out.apply(_source, axis=1)
    out["boundaries"] = BOUNDARIES
    out["data_status"] = DATA_STATUS
    return out


def _same_printed_value(group: pd.DataFrame) -> bool:
    return group[["low", "high"]].drop_duplicates().shape[0] == 1


def duplicates(df: pd.DataFrame) -> pd.DataFrame:
    """One row per figure printed with the same value by several sources, sources listed."""
    rows = [
        {"figure_group": key, "area": g["area"].iat[0], "indicator": g["indicator"].iat[0],
         "period_start": int(g["period_start"].iat[0]), "period_end": int(g["period_end"].iat[0]),
         "figure": g["figure"].iat[0], "value": float(g["low"].iat[0]) if g["value"].notna().all() else math.nan,
         "n_sources": len(g), "sources": " | ".join(g["source"])}
        for key, g in df.loc[df["n_sources"] > 1].groupby("figure_group", sort=True) if _same_printed_value(g)
    ]
    return pd.DataFrame(rows, columns=["figure_group", "area", "indicator", "period_start", "period_end",
                                       "figure", "value", "n_sources", "sources"])


def conflicts(df: pd.DataFrame) -> pd.DataFrame:
    """Every row of a figure that sources print with different values; listed, never averaged."""
    keys = [key for key, g in df.loc[df["n_sources"] > 1].groupby("figure_group") if not _same_printed_value(g)]
    cols = ["figure_group", "figure_id", "area", "indicator", "period_start", "period_end", "figure",
            "low", "high", "source", "note"]
    return df.loc[df["figure_group"].isin(keys), cols].sort_values(["figure_group", "figure_id"]).reset_index(drop=True)


def build_published(out_dir: Path | str | None = None) -> pd.DataFrame:
    """Write ``published_figures.parquet`` and ``.csv`` (UTF-8 with BOM) to data/processed."""
    out = Path(out_dir) if out_dir is not None else paths.processed_dir()
    df = load_published()
    with atomic_path(out / f"{OUTPUT_STEM}.parquet") as tmp:
        df.to_parquet(tmp, index=False)
    with atomic_path(out / f"{OUTPUT_STEM}.csv") as tmp:
        safe_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")  # no live formula
    return df


# --- derived figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    derived_id: str
    indicator: str
    indicator_en: str
    unit: str
    formula: str
    inputs: tuple[str, ...]
    compute: Callable[..., float]
    kind: str | None = None  # None: the inputs' kind
    approx: bool = False  # True when a rounded input (e.g. a percentage) makes the result inexact
    note: str = ""


_ST, _BG, _BN, _NO = "ST-2012-2022-", "BG-2014-2020-", "BN-2019-", "NORTH-2016-"
DERIVED: tuple[Derived, ...] = (
    Derived(_ST + "cofunding_ratio", "cofunding_ratio", "Beneficiary contribution per unit of state support",
            "ratio", "beneficiary_contribution / state_support",
            (_ST + "beneficiary_contribution", _ST + "state_support"), lambda b, s: b / s),
    Derived(_ST + "state_share", "state_share", "State share of state + beneficiary funding",
            "percent", "100 * state_support / (state_support + beneficiary_contribution)",
            (_ST + "state_support", _ST + "beneficiary_contribution"), lambda s, b: 100 * s / (s + b)),
    Derived(_ST + "total_funding_computed", "total_funding", "State support plus beneficiary contribution",
            "million VND", "state_support + beneficiary_contribution",
            (_ST + "state_support", _ST + "beneficiary_contribution"), lambda s, b: s + b),
    Derived(_ST + "state_support_per_project", "state_support_per_project", "State support per project",
            "million VND/project", "state_support / projects",
            (_ST + "state_support", _ST + "projects"), lambda s, n: s / n),
    Derived(_BG + "state_support_per_project", "state_support_per_project", "State support per project",
            "million VND/project", "state_support / projects",
            (_BG + "state_support", _BG + "projects"), lambda s, n: s / n),
    Derived(_BN + "equipment_support_per_establishment", "equipment_support_per_establishment",
            "Equipment support per establishment", "million VND/establishment",
            "equipment_support / establishments_equipment",
            (_BN + "equipment_support", _BN + "establishments_equipment"), lambda s, n: s / n),
    Derived(_BN + "equipment_share_of_total", "equipment_share_of_total",
            "Equipment support as a share of total funding", "percent",
            "100 * equipment_support / total_funding",
            (_BN + "equipment_support", _BN + "total_funding"), lambda e, t: 100 * e / t,
            note="total printed as nearly 6.7 billion, so the true share is slightly higher"),
    Derived(_NO + "trainee_plan", "trainees_vocational_plan", "Implied annual vocational-training plan",
            "count", "trainees_vocational / (trainee_plan_attainment / 100)",
            (_NO + "trainees_vocational", _NO + "trainee_plan_attainment"), lambda n, p: n / (p / 100),
            kind="plan", approx=True, note="implied by a rounded attainment percentage"),
    Derived(_NO + "consulting_revenue_plan", "consulting_revenue_plan", "Implied consulting-revenue plan",
            "million VND", "consulting_revenue / (consulting_revenue_plan_attainment / 100)",
            (_NO + "consulting_revenue", _NO + "consulting_revenue_plan_attainment"), lambda r, p: r / (p / 100),
            kind="plan", approx=True, note="implied by a rounded attainment percentage"),
    Derived(_NO + "consulting_revenue_per_project", "consulting_revenue_per_project",
            "Consulting revenue per consulted project", "million VND/project",
            "consulting_revenue / consulting_projects",
            (_NO + "consulting_revenue", _NO + "consulting_projects"), lambda r, n: r / n),
    Derived("BG-2015-2020-industry_share_change", "industry_share_grdp_change",
            "Change in industry share of the economy", "percentage points",
            "industry_share_grdp(2020) - industry_share_grdp(2015)",
            ("BG-2020-industry_share_grdp", "BG-2015-industry_share_grdp"), lambda a, b: a - b),
    Derived("ST-2023-projects_planned", "projects", "Planned projects, national plus local", "count",
            "projects_national + projects_local",
            ("ST-2023-projects_national", "ST-2023-projects_local"), lambda a, b: a + b),
)

DERIVED_COLUMNS = (
    "derived_id", "area", "area_type", "province_code", "period_start", "period_end", "kind",
    "indicator", "indicator_en", "value", "unit", "qualifier", "formula", "inputs", "note", "data_status",
)


def _input_rows(df: pd.DataFrame, spec: Derived) -> list[pd.Series]:
    by_id = df.set_index("figure_id")
    rows = []
    for fid in spec.inputs:
        if fid not in by_id.index:
            raise PublishedFigureError(f"derived figure {spec.derived_id} needs figure_id {fid}, absent from {CSV_NAME}")
        row = by_id.loc[fid]
        if pd.isna(row["value"]):
            raise PublishedFigureError(f"derived figure {spec.derived_id}: input {fid} is a range, not one number")
        rows.append(row)
    return rows


def _derive(df: pd.DataFrame, spec: Derived) -> dict:
    rows = _input_rows(df, spec)
    value = float(spec.compute(*(float(r["value"]) for r in rows)))
    if not math.isfinite(value):
        raise PublishedFigureError(f"derived figure {spec.derived_id} is not finite ({value}); check its inputs")
    first = rows[0]
    kinds = {spec.kind} if spec.kind else {r["kind"] for r in rows}
    exact = not spec.approx and all(r["qualifier"] == "exact" for r in rows)
    return {
        "derived_id": spec.derived_id, "area": first["area"], "area_type": first["area_type"],
        "province_code": first["province_code"],
        "period_start": min(int(r["period_start"]) for r in rows),
        "period_end": max(int(r["period_end"]) for r in rows),
        "kind": kinds.pop() if len(kinds) == 1 else "mixed",
        "indicator": spec.indicator, "indicator_en": spec.indicator_en, "value": value, "unit": spec.unit,
        # one approximate input ("gần 6,7 tỷ") makes the result approximate too
        "qualifier": "exact" if exact else "approx",
        "formula": spec.formula, "inputs": ";".join(spec.inputs), "note": spec.note,
        "data_status": DERIVED_STATUS,
    }


def derived_figures(df: pd.DataFrame) -> pd.DataFrame:
    """Figures the articles allow us to compute, each naming the figure_ids it came from."""
    out = pd.DataFrame([_derive(df, spec) for spec in DERIVED], columns=list(DERIVED_COLUMNS))
    out["value"] = out["value"].astype("float64")
    return out


# --- views for notebooks and reports ----------------------------------------------------------


def for_selection(df: pd.DataFrame, selection) -> pd.DataFrame:
    """Figures of the selected province (on its boundaries) whose period overlaps the selected years.

    Region-wide figures are kept only when every province is selected.
    """
    overlaps = (df["period_end"] >= selection.start_year) & (df["period_start"] <= selection.end_year)
    df = df.loc[overlaps]
    if selection.province is None:
        return df
    codes = df["province_code"].astype("string")
    if selection.boundaries == "2025":
        codes = codes.map(lambda c: provinces.get(c).new_code if isinstance(c, str) and c else pd.NA)
    return df.loc[codes == selection.province.code]


def period(start: int, end: int) -> str:
    """A period as printed in tables: ``2019`` or ``2016–2020``."""
    return str(start) if start == end else f"{start}–{end}"


def _source(row: pd.Series) -> str:
    """One citation: outlet, title, date (published, else retrieved), URL — whatever is known."""
    when = row["published"] or (f"retrieved {row['retrieved']}" if row["retrieved"] else "")
    title = f"“{row['title']}”" if row["title"] else ""
    return ", ".join(p for p in (row["outlet"], title, when, row["url"]) if p)


def display_figures(df: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Printed figures as a readable table in ``lang``, each with its source."""
    from khuyencong.core import i18n

    label = "indicator_vi" if lang == "vi" else "indicator_en"
    return pd.DataFrame({
        i18n.t("col.area", lang): df["area"],
        i18n.t("col.period", lang): [period(a, b) for a, b in zip(df["period_start"], df["period_end"])],
        i18n.t("col.indicator", lang): df[label],
        i18n.t("col.figure", lang): df["figure"],
        i18n.t("col.source", lang): df.apply(_source, axis=1),
    }).reset_index(drop=True)


def display_derived(derived: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Derived figures formatted in ``lang`` with their formula and inputs."""
    from khuyencong.core import i18n

    def value(row):
        prefix = "≈ " if row["qualifier"] != "exact" else ""
        return prefix + i18n.fmt_number(round(row["value"], 2), lang)

    return pd.DataFrame({
        i18n.t("col.area", lang): derived["area"],
        i18n.t("col.period", lang): [period(a, b) for a, b in zip(derived["period_start"], derived["period_end"])],
        i18n.t("col.indicator", lang): [i18n.t(f"derived.{k}", lang) for k in derived["indicator"]],
        i18n.t("col.value", lang): derived.apply(value, axis=1),
        i18n.t("col.unit", lang): derived["unit"],
        i18n.t("col.formula", lang): derived["formula"],
        i18n.t("col.inputs", lang): derived["inputs"].str.replace(";", ", "),
    }).reset_index(drop=True)
