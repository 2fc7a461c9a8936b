"""The headline numbers of the report index, per province and for the country: the briefs' own.

Every number is read from the table of every area that :mod:`khuyencong.analysis.area_tables`
computes once per data version (the briefs read the same table), so the index, a brief's PDF and
Word file and the province bundle cannot disagree: co-funding ratio, the productivity effect (the
staggered difference-in-differences estimate), state support per trainee and the attainment of the
training plans, each with its 95% interval.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from khuyencong.analysis import area_tables
from khuyencong.analysis import tables

#: Index column → the brief measure it shows.
MEASURES = {"cofunding_ratio": "cofunding_ratio", "productivity_effect": "productivity_effect",
            "cost_per_trainee": "cost_per_trainee", "plan_attainment_trainees": "plan_attainment"}
HEADLINES = tuple(MEASURES)
#: The interval columns of :func:`headline_numbers`.
INTERVALS = {c: (f"{c}_low", f"{c}_high") for c in HEADLINES}
N_BOOT, SEED = area_tables.N_BOOT, area_tables.SEED  # the briefs' draws and seed (notebook 90 defaults)


def _load(name: str, processed_dir) -> pd.DataFrame | None:
    try:
        return tables.load(name, processed_dir)
    except FileNotFoundError:
        return None


def from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The index table (indexed by province code, the country under :data:`provinces.ALL`) of the
    province and country rows of an area table."""
    names = [*HEADLINES, *(c for pair in INTERVALS.values() for c in pair)]
    kept = rows.loc[rows["level"].isin(("province", "country"))]
    columns = {}
    for column, measure in MEASURES.items():
        chosen = kept.loc[kept["measure"] == measure].set_index("area_code")
        chosen.index = chosen.index.astype("string")
        low, high = INTERVALS[column]
        columns.update({column: chosen["value"], low: chosen["low"], high: chosen["high"]})
    return pd.DataFrame(columns).reindex(columns=names).astype(float)


def headline_numbers(boundaries: str = "2025", start_year: int = 2012, end_year: int = 2024,
                     processed_dir: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """(table of :func:`from_rows`; data status). A missing table leaves its columns NaN. The area
    table is read from (or computed into) ``processed_dir``/derived (default :func:`paths.derived_dir`)."""
    whole = {n: _load(n, processed_dir) for n in area_tables.TABLES}
    present = [f for f in whole.values() if f is not None]
    if not present:
        return from_rows(pd.DataFrame(columns=["level", "measure", "area_code", "value", "low", "high"])), "REAL"
    shared = area_tables.load(whole, boundaries, start_year, end_year, N_BOOT, SEED, area_tables.truth_for(whole),
                              Path(processed_dir) / "derived" if processed_dir else None)
    return from_rows(shared.rows), tables.data_status(*present)
