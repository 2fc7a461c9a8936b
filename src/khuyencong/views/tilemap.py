"""A tile-grid map of Vietnam: each province one square at a fixed (row, col), coloured by one
headline number, with a colour legend in the report's language and the data status note.

No boundary file is shipped (see ``data/TILE_GRID.md`` for why and how the grid was laid out);
the grid positions are data in ``data/tile_grid_2025.csv`` (34 provinces) and
``data/tile_grid_legacy.csv`` (63). The figure follows :mod:`khuyencong.views.chart_base` and is
saved with :func:`khuyencong.views.plots.save_figure` like every other figure.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.patches import Patch, Rectangle

from khuyencong.core import provinces
from khuyencong.core.i18n import t
from khuyencong.views.chart_base import MUTED, ReportFigure, require_columns, styled, wrap_text

GRID_FILES = {"2025": "tile_grid_2025.csv", "legacy": "tile_grid_legacy.csv"}
CMAP = "cividis"          # perceptually even and readable with colour-blindness
NO_DATA = "#e6e6e6"
TILE_INCH = {"2025": 0.72, "legacy": 0.5}   # side of one tile on the page


@lru_cache(maxsize=2)
def grid(boundaries: str = "2025") -> pd.DataFrame:
    """The tile positions on ``boundaries``: columns code, name, row, col (row 0 = the north)."""
    if boundaries not in GRID_FILES:
        raise ValueError(f"boundaries must be one of {sorted(GRID_FILES)}, not {boundaries!r}")
    with resources.files("khuyencong.data").joinpath(GRID_FILES[boundaries]).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"code": str, "name": str, "row": int, "col": int})


def _values(df: pd.DataFrame, code_col: str, value: str, boundaries: str) -> pd.Series:
    """``value`` per tile code (NaN where ``df`` has no row); unknown codes are an error."""
    require_columns(df, [code_col, value], "tile_map")
    codes = df[code_col].astype(str)
    unknown = sorted(set(codes) - set(grid(boundaries)["code"]) - {provinces.ALL})
    if unknown:
        raise ValueError(f"tile_map: codes {unknown[:10]} are not provinces on {boundaries} boundaries")
    if codes.duplicated().any():
        raise ValueError("tile_map: expected one row per province code")
    series = pd.Series(pd.to_numeric(df[value], errors="coerce").to_numpy(dtype=float), index=codes)
    return series.reindex(grid(boundaries)["code"])


def _text_colour(rgba) -> str:
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


@styled
def tile_map(df: pd.DataFrame, value: str, *, boundaries: str = "2025", code_col: str = "code",
             lang: str = "vi", label: str, formatter=None, title: str | None = None,
             highlight: str | None = None) -> ReportFigure:
    """Provinces of ``boundaries`` as tiles coloured by ``df[value]`` (matched on ``df[code_col]``).

    ``label`` names the colour legend (the headline, with its unit); ``formatter(v) -> str``
    writes the value inside each tile (none when omitted); ``highlight`` is a province code drawn
    with a thick outline. Provinces without a value are grey and the legend says so. Add the data
    status with :func:`khuyencong.views.plots.add_note`.
    """
    tiles = grid(boundaries)
    values = _values(df, code_col, value, boundaries)
    finite = values[np.isfinite(values)]
    norm = Normalize(*(finite.min(), finite.max()) if len(finite) else (0, 1))
    if norm.vmin == norm.vmax:
        norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
    cmap = mpl.colormaps[CMAP]
    side = TILE_INCH[boundaries]
    n_rows, n_cols = tiles["row"].max() + 1, tiles["col"].max() + 1
    fig = ReportFigure(figsize=(n_cols * side + 2.4, n_rows * side + 1.0), layout="constrained")
    ax = fig.add_subplot()
    font = 6.3 if boundaries == "2025" else 4.6
    for tile, v in zip(tiles.itertuples(), values.to_numpy()):
        colour = cmap(norm(v)) if np.isfinite(v) else mpl.colors.to_rgba(NO_DATA)
        edge, lw = ("black", 2.2) if tile.code == highlight else ("white", 1.2)
        ax.add_patch(Rectangle((tile.col, tile.row), 0.95, 0.95, facecolor=colour, edgecolor=edge, lw=lw))
        text = wrap_text(tile.name, 11)
        if formatter is not None and np.isfinite(v):
            text += "\n" + formatter(v)
        ax.text(tile.col + 0.475, tile.row + 0.475, text, ha="center", va="center", fontsize=font,
                color=_text_colour(colour), linespacing=1.1)
    ax.set_xlim(-0.1, n_cols + 0.05)
    ax.set_ylim(n_rows + 0.05, -0.1)   # row 0 (the north) at the top
    ax.set_aspect("equal")
    ax.axis("off")
    if len(finite):  # no value at all: no colour scale to read (the "no data" legend says why)
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.35, location="right")
        bar.set_label(wrap_text(label, 40), fontsize=8)
        if formatter is not None:
            bar.ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: formatter(v)))
    else:
        ax.set_title(wrap_text(label, 45), fontsize=8)
    if values.isna().any():
        fig.legend(handles=[Patch(facecolor=NO_DATA, edgecolor=MUTED, label=t("tm_no_data", lang))],
                   loc="outside lower right", fontsize=7, frameon=False)
    if title:
        ax.set_title(wrap_text(title, 45))
    return fig
