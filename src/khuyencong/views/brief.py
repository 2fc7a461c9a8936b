"""The province policy brief (notebook 90): headline numbers with 95% intervals for the province,
its region and the country, in one long table (:func:`headlines`, columns :data:`COLUMNS`).

The numbers are those of :mod:`khuyencong.analysis.area_rows`, read as the selection's slice of the
table of every area that :mod:`khuyencong.analysis.area_tables` computes once per data version;
this module picks the areas (province, its region, the country) and names them in the reader's
language. The wording (display table, reading, caveats) is in :mod:`khuyencong.views.brief_text`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from khuyencong import paths
from khuyencong.analysis import area_rows
from khuyencong.analysis import area_tables
from khuyencong.analysis import metrics
from khuyencong.analysis.area_rows import (  # noqa: F401  (the brief's vocabulary, used by brief_text and nb 90)
    Area, DESCRIPTIVE, LEVELS, LINK_STEP, MEASURES, MIN_ROWS, UNITS, area_mask, attainment_truth,
    growth_frame, ratio_interval)
from khuyencong.core import i18n
from khuyencong.core import provinces

COLUMNS = ("measure", "level", "area_code", "area", "value", "low", "high", "n", "n_comparison", "truth",
           "note", "unit")
REJECTED_TABLES = ("register", "survey", "plans", "province_stats")


# ---------------------------------------------------------------- areas

def areas(sel, lang: str | None = None) -> list[Area]:
    """Province, region, country for a one-province selection; the country alone for ``"all"``."""
    lang = lang or sel.lang
    country = Area("country", None, i18n.t("country", lang))
    if sel.province is None:
        return [country]
    region = sel.province.region_code
    return [Area("province", sel.province.code, sel.province.name),
            Area("region", region, i18n.t(f"region.{region}", lang)), country]


def labelled(rows: pd.DataFrame | list[dict], sel) -> pd.DataFrame:
    """:mod:`area_rows` rows of the selection's areas with each area's name (columns :data:`COLUMNS`)."""
    names = {a.level: a.label for a in areas(sel)}
    out = pd.DataFrame(rows, columns=list(area_rows.COLUMNS))
    return out.assign(area=out["level"].map(names)).reindex(columns=list(COLUMNS))


# ---------------------------------------------------------------- all headlines

def headlines(frames: Mapping[str, pd.DataFrame], sel, n_boot: int = 499, seed: int = 0,
              truth: Mapping | None = None, by_province: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every headline of the brief, one row per measure × area (columns :data:`COLUMNS`).

    ``frames``: processed ``register``, ``survey``, ``plans`` and ``province_stats``; ``truth``:
    the SYNTHETIC sidecar (adds the true values); ``by_province``: :func:`area_tables.cofunding_by_province`
    output, so the ranking figure and the table show the same interval (without it, the province's
    own bootstrap). The rows are the selection's slice of :func:`area_tables.load`.
    """
    missing = [n for n in area_tables.TABLES if n not in frames]
    if missing:
        raise KeyError(f"headlines needs the processed tables {missing}; load them with tables.load(name)")
    shared = area_tables.load(frames, sel.boundaries, sel.start_year, sel.end_year, n_boot, seed, truth)
    rows = shared.slice(areas(sel))
    if sel.province is not None:  # the province's co-funding row follows the by_province the caller passes
        own = area_rows.cofunding_rows(frames["register"], sel, areas(sel)[:1], n_boot, seed, truth, by_province)[0]
        at = rows.index[(rows["measure"] == "cofunding_ratio") & (rows["level"] == "province")][0]
        for column, value in own.items():
            rows.at[at, column] = value
    return labelled(rows, sel)


# ---------------------------------------------------------------- productivity figure

def productivity_sample(survey: pd.DataFrame, register: pd.DataFrame, sel,
                        table: pd.DataFrame) -> tuple[pd.DataFrame, Area | None]:
    """The DiD sample behind the brief's productivity figure: that of the first area (province,
    region, country) whose effect in ``table`` (:func:`headlines` output) was estimated, and that
    area; an empty frame and None when no area has an estimate."""
    estimated = table.loc[(table["measure"] == "productivity_effect") & np.isfinite(table["value"].astype(float)),
                          "level"]
    chosen = next((a for a in areas(sel) if a.level in set(estimated)), None)
    panel = metrics.productivity_panel(area_rows.in_years(survey, sel), register)
    if chosen is None:
        return panel.iloc[0:0], None
    return panel.loc[area_mask(panel, chosen, sel.code_column, sel.boundaries)].reset_index(drop=True), chosen


# ---------------------------------------------------------------- rows rejected in cleaning

def _codes_on(series: pd.Series, boundaries: str) -> pd.Series:
    """Raw province texts → codes on ``boundaries`` (legacy names are carried to their 2025 province)."""
    legacy, _ = provinces.normalize_series(series.astype("string"), provinces.LEGACY)
    if boundaries == provinces.LEGACY:
        return legacy
    new = legacy.map(lambda c: provinces.get(c).new_code if isinstance(c, str) else pd.NA).astype("string")
    direct, _ = provinces.normalize_series(series.astype("string"), provinces.NEW)
    return new.fillna(direct)


def rejected_counts(sel, processed_dir: Path | str | None = None) -> pd.DataFrame | None:
    """Rows rejected during cleaning (every year) per table: ``rows`` attributed to the selection
    (every row for ``"all"``) and ``unattributed`` (province text not recognised). None when the
    rejected files are missing."""
    folder = Path(processed_dir) / "rejected" if processed_dir else paths.rejected_dir()
    out = []
    for name in REJECTED_TABLES:
        path = folder / f"{name}_rejected.csv"
        if not path.exists():
            return None
        rejected = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        codes = _codes_on(rejected["province"], sel.boundaries) if len(rejected) else pd.Series(dtype="string")
        mine = len(rejected) if sel.province is None else int((codes == sel.province.code).sum())
        out.append({"table": name, "rows": mine, "unattributed": int(codes.isna().sum())})
    return pd.DataFrame(out)
