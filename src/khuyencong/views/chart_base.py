"""The project figure style and what every chart of :mod:`khuyencong.views.plots` shares.

:class:`ReportFigure` (a matplotlib ``Figure`` that shows itself in Jupyter without pyplot), the
:func:`styled` wrapper that builds a chart inside the project style, checks of the input frames,
and localised labels and axes (``1.000,5`` in Vietnamese, ``1,000.5`` in English).

Text uses DejaVu Sans (bundled with matplotlib), which covers Vietnamese diacritics.
"""
from __future__ import annotations

import contextlib
import functools
import io
import textwrap

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from khuyencong.core.i18n import check_lang, fmt_number, fmt_pct, t

FONT = "DejaVu Sans"
FIGSIZE = (8.0, 5.0)
DPI = 150
PALETTE = sns.color_palette("colorblind").as_hex()
BASE, ACCENT, MUTED, BAND = PALETTE[0], PALETTE[3], "#9a9a9a", PALETTE[2]
#: Per-format ``savefig`` metadata that removes timestamps and version stamps.
SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                 "pdf": {"CreationDate": None, "Producer": None, "Creator": None}}


# --- style ---------------------------------------------------------------------------------

def style_rc() -> dict:
    """The project's rcParams: seaborn whitegrid, DejaVu Sans, colour-blind palette, stable SVG."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook", font_scale=0.9)}
    rc.update({
        "font.family": "sans-serif", "font.sans-serif": [FONT],
        "axes.prop_cycle": cycler(color=PALETTE), "axes.titlesize": 12, "axes.titleweight": "bold",
        "figure.figsize": FIGSIZE, "figure.dpi": DPI, "savefig.dpi": DPI,
        "svg.hashsalt": "khuyencong", "svg.fonttype": "path", "pdf.fonttype": 42,
    })
    return rc


def setup_style() -> None:
    """Apply :func:`style_rc` globally (for ad-hoc notebook plots; the functions here apply it themselves)."""
    mpl.rcParams.update(style_rc())


def styled(func):
    """Build the figure inside the project style (it is drawn inside the style too: :func:`laid_out`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        check_lang(kwargs.get("lang", "vi"))
        with mpl.rc_context(style_rc()):
            return func(*args, **kwargs)
    return wrapper


class ReportFigure(Figure):
    """A Figure that shows itself in Jupyter without pyplot (the inline backend only knows pyplot figures).

    Displaying a figure just saved as PNG shows the saved bytes instead of drawing it once more
    (a draw of a 34-province chart costs ~0.2 s); any change after saving draws it again.
    """

    _saved_png: bytes | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An Agg canvas of its own keeps one renderer for layout, PNG and display: its text
        # measurements (most of a draw) are cached once, where the default canvas makes a renderer per draw.
        FigureCanvasAgg(self)

    def remember_png(self, data: bytes) -> None:
        """``data`` is this figure as drawn now, at :data:`DPI`: shown until the figure changes."""
        self._saved_png = data
        self.stale = False  # saving restores colours and sizes, which marks the figure stale

    def _repr_png_(self) -> bytes:
        if self._saved_png is not None and not self.stale:
            return self._saved_png
        buf = io.BytesIO()
        with laid_out(self):
            self.savefig(buf, format="png", metadata=SAVE_METADATA["png"])
        return buf.getvalue()


#: Layout passes before drawing: a constrained layout moves a little after its first pass
#: (ticks and legends follow the new axes size) and is settled after the second.
LAYOUT_PASSES = 2


@contextlib.contextmanager
def laid_out(fig: Figure):
    """Inside the project style, with ``fig``'s layout settled and then frozen: every save inside
    draws the figure once and places nothing anew (savefig otherwise lays out before each format)."""
    engine = fig.get_layout_engine()
    with mpl.rc_context(style_rc()):
        if engine is None:
            yield fig
            return
        for _ in range(LAYOUT_PASSES):
            engine.execute(fig)
        fig.set_layout_engine("none")
        try:
            yield fig
        finally:
            fig.set_layout_engine(engine)


def new_figure(height: float = FIGSIZE[1]):
    """A fresh :class:`ReportFigure` of the project width with one Axes."""
    fig = ReportFigure(figsize=(FIGSIZE[0], height), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


# --- validation and labels -------------------------------------------------------------------

def require_columns(df: pd.DataFrame, cols, what: str) -> None:
    """Raise a KeyError naming the columns of ``cols`` (None skipped) missing from ``df``."""
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not in the frame; available: {list(df.columns)}")


def require_finite(df: pd.DataFrame, col: str, what: str, name_col: str | None = None) -> None:
    """Raise a ValueError when ``col`` is not numeric or holds missing/non-finite values."""
    try:
        values = pd.to_numeric(df[col], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: column {col!r} must be numeric ({exc})") from None
    bad = ~np.isfinite(values)
    if bad.any():
        names = df.loc[bad, name_col].tolist() if name_col else np.flatnonzero(bad).tolist()
        raise ValueError(f"{what}: {int(bad.sum())} missing/non-finite value(s) in {col!r} "
                         f"({'rows' if not name_col else name_col} {names[:10]}); drop or fill them first")


def require_unique(df: pd.DataFrame, cols: list[str], what: str) -> None:
    """Raise a ValueError when ``df`` has more than one row per ``cols``."""
    dup = df.duplicated(subset=cols, keep=False)
    if dup.any():
        raise ValueError(f"{what}: expected one row per {cols}, found duplicates "
                         f"{df.loc[dup, cols].drop_duplicates().head(5).to_dict('records')}; aggregate first")


def label_or(explicit: str | None, key: str, lang: str) -> str:
    """``explicit`` when given, else the label ``key`` in ``lang``."""
    return explicit if explicit is not None else t(key, lang)


#: Default titles for indicators that have a dedicated one; others get no title unless given.
_TITLES = {"cofunding_ratio": "title_cofunding_by_province", "state_share": "title_state_share_by_province",
           "plan_attainment": "title_plan_attainment", "productivity_gain": "title_productivity_gains"}


def set_title(ax, explicit: str | None, value: str, lang: str) -> None:
    """``explicit`` as the title, else the default title of ``value`` if it has one."""
    if explicit is not None:
        ax.set_title(explicit)
    elif value in _TITLES:
        ax.set_title(t(_TITLES[value], lang))


def wrap_text(text: str, width: int = 60) -> str:
    """``text`` broken into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


def value_text(value, prefix: str | None, lang: str) -> str:
    """The label ``prefix.value`` in ``lang`` (a coded category), or ``value`` as text."""
    return t(f"{prefix}.{value}", lang) if prefix else str(value)


def _tidy(v: float) -> float:
    return round(float(v), 10) + 0.0  # tick positions carry float noise (0.30000000000000004)


def number_axis(axis, lang: str) -> None:
    """Tick labels as numbers in ``lang`` (1.000,5 / 1,000.5)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(_tidy(v), lang)))


def percent_axis(axis, lang: str) -> None:
    """Tick labels as percentages in ``lang`` (fractions on the axis)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt_pct(_tidy(v), lang, decimals=None)))


def integer_axis(axis) -> None:
    """Years and event times: whole numbers without thousands separators (2020, not 2.020)."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _: str(int(round(v)))))


def render(fig: Figure, formats=("png", "svg"), dpi: int = DPI) -> dict[str, bytes]:
    """``fig`` in each of ``formats``, byte-reproducibly: what :func:`save_figure` writes."""
    files = {}
    with laid_out(fig):
        for fmt in formats:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=dpi, metadata=SAVE_METADATA[fmt])
            files[fmt] = buf.getvalue()
    return files
