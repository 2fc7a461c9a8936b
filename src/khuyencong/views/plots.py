"""Report figures in Vietnamese or English, with source, boundaries and SYNTHETIC notes.

Every function builds a fresh :class:`~khuyencong.views.chart_base.ReportFigure` (a matplotlib
``Figure`` that also shows itself in Jupyter) through the object-oriented API — no pyplot, so
nothing is left open in a global figure registry and nothing needs closing — inside the project
style (:mod:`khuyencong.views.chart_base`), and returns it. Notebooks display the returned figure
and call :func:`add_note` and :func:`save_figure`. Axis numbers follow the language: ``1.000,5``
(vi) / ``1,000.5`` (en).

Saving is deterministic: fixed SVG hash salt, no dates or software stamps in the files.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from khuyencong.core import provinces
from khuyencong.core.i18n import check_lang, fmt_number, fmt_pct, t
from khuyencong.files import atomic_write_bytes
from khuyencong.views.chart_base import (ACCENT, BAND, BASE, DPI, FIGSIZE, MUTED, PALETTE, SAVE_METADATA,
                                         ReportFigure, integer_axis, label_or, new_figure, number_axis, percent_axis,
                                         render, require_columns, require_finite, require_unique, set_title,
                                         style_rc, styled, value_text, wrap_text)
from khuyencong.views.figure_cache import SavedFigure

__all__ = [
    "add_note", "bars_by_group", "distribution_with_band", "event_study_plot", "legend_outside", "mark_points",
    "note_texts", "ranked_intervals", "render", "save_figure", "scatter_with_fit", "time_series",
]

NOTE_RED = "#c00000"
NOTE_GID = "khuyencong-note"
NOTE_FONTSIZE = 8.5
DATA_STATUS_KINDS = ("SYNTHETIC", "REAL", "DERIVED")


# --- notes -----------------------------------------------------------------------------------

def _status_kind(data_status: str) -> str:
    text = str(data_status).strip().upper()
    for kind in DATA_STATUS_KINDS:
        if text.startswith(kind):
            return kind
    raise ValueError(f"data_status must start with one of {DATA_STATUS_KINDS} "
                     f"(e.g. 'SYNTHETIC', 'REAL (published)'), not {data_status!r}")


def _note_lines(kind: str, source: str | None, boundaries: str | None, lang: str) -> list[str]:
    if kind != "SYNTHETIC" and not source:
        raise ValueError(f"a {kind} figure must name its source: add_note(..., source='GSO …')")
    key = {"REAL": "real_note", "DERIVED": "derived_note", "SYNTHETIC": "source_note"}[kind]
    parts = [t(key, lang, source=source)] if source else []
    if boundaries is not None:
        if boundaries not in provinces.BOUNDARIES:
            raise ValueError(f"boundaries must be 'legacy' (63 provinces), '2025' (34) or None, not {boundaries!r}")
        parts.append(t(f"boundaries_{boundaries}", lang))
    return [" · ".join(parts)] if parts else []


def add_note(fig: Figure, data_status: str, source: str | None = None,
             boundaries: str | None = None, lang: str = "vi") -> Figure:
    """Footer with the source and province boundaries, and a bold red note on SYNTHETIC data.

    ``data_status`` starts with SYNTHETIC, REAL or DERIVED; REAL and DERIVED need ``source``.
    ``boundaries`` is ``"legacy"`` (63 provinces), ``"2025"`` (34) or None. Calling again
    replaces the previous footer.
    """
    check_lang(lang)
    kind = _status_kind(data_status)
    lines = _note_lines(kind, source, boundaries, lang)
    for old in note_texts(fig):
        old.remove()
    width_chars = int(fig.get_figwidth() * 72 / (NOTE_FONTSIZE * 0.55))
    wrapped = [wrap_text(line, width_chars) for line in lines]
    line_h = NOTE_FONTSIZE * 1.45 / 72 / fig.get_figheight()
    y = 0.008
    for i, text in enumerate(reversed(wrapped)):
        fig.text(0.01, y, text, fontsize=NOTE_FONTSIZE, color="#555555", va="bottom", gid=f"{NOTE_GID}-{i}")
        y += line_h * (text.count("\n") + 1)
    if kind == "SYNTHETIC":
        fig.text(0.01, y, t("synthetic_note", lang), fontsize=NOTE_FONTSIZE + 1, color=NOTE_RED,
                 fontweight="bold", va="bottom", gid=f"{NOTE_GID}-synthetic")
        y += line_h * 1.1
    _reserve_bottom(fig, y + 0.01)
    return fig


def note_texts(fig: Figure) -> list:
    """The footer Text artists that :func:`add_note` put on ``fig``."""
    return [txt for txt in fig.texts if (txt.get_gid() or "").startswith(NOTE_GID)]


def _reserve_bottom(fig: Figure, fraction: float) -> None:
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, fraction, 1, 1 - fraction))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, fraction + 0.08))


# --- figures ---------------------------------------------------------------------------------

def _check_interval(df: pd.DataFrame, value: str, low: str, high: str, name_col: str, what: str) -> None:
    lo, hi, v = (pd.to_numeric(df[c]).to_numpy(dtype=float) for c in (low, high, value))
    with np.errstate(invalid="ignore"):
        bad = (lo > v) | (v > hi)
    if bad.any():
        raise ValueError(f"{what}: need {low} <= {value} <= {high}; violated for "
                         f"{df.loc[bad, name_col].tolist()[:10]}")


@styled
def ranked_intervals(df: pd.DataFrame, value: str, low: str, high: str, label_col: str,
                     highlight=None, *, lang: str = "vi", xlabel: str | None = None,
                     title: str | None = None, interval_label: str | None = None,
                     reference: float | None = None, reference_label: str | None = None) -> Figure:
    """Dot-and-whisker ranking (largest on top), ``highlight`` (a ``label_col`` value) in colour.

    Missing ``low``/``high`` draw the dot alone; a missing ``value`` is an error. ``reference``
    adds a dashed vertical line (labelled "Cả nước"/"Whole country" unless ``reference_label``).
    The figure grows taller with the number of rows so 63 provinces stay readable.
    """
    what = "ranked_intervals"
    require_columns(df, [value, low, high, label_col], what)
    require_finite(df, value, what, label_col)
    require_unique(df, [label_col], what)
    _check_interval(df, value, low, high, label_col, what)
    if highlight is not None and highlight not in set(df[label_col]):
        raise ValueError(f"{what}: highlight {highlight!r} is not a value of {label_col!r}")
    data = df.sort_values(value, kind="stable").reset_index(drop=True)
    fig, ax = new_figure(max(FIGSIZE[1], 0.22 * len(data) + 1.6))
    y = np.arange(len(data))
    colors = [ACCENT if name == highlight else BASE for name in data[label_col]]
    ax.hlines(y, data[low], data[high], colors=colors, lw=2, alpha=0.6,
              label=label_or(interval_label, "interval", lang))
    ax.scatter(data[value], y, c=colors, zorder=3, s=28, label=t("estimate", lang))
    if reference is not None:
        ax.axvline(reference, color=MUTED, ls="--", lw=1.2, label=label_or(reference_label, "country", lang))
    ax.set_yticks(y, [str(v) for v in data[label_col]], fontsize=8 if len(data) > 30 else 9.9)
    for tick, name in zip(ax.get_yticklabels(), data[label_col]):
        if name == highlight:
            tick.set_color(ACCENT)
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    number_axis(ax.xaxis, lang)
    ax.set_xlabel(label_or(xlabel, value, lang))
    set_title(ax, title, value, lang)
    ax.legend(loc="lower right", fontsize=8.5)
    return fig


def _bar_order(df: pd.DataFrame, group: str, value: str, sort: bool) -> list:
    if not sort:
        return list(dict.fromkeys(df[group]))
    totals = df.groupby(group, sort=False)[value].sum().sort_values(kind="stable")
    return list(totals.index)


@styled
def bars_by_group(df: pd.DataFrame, group: str, value: str, hue: str | None = None, *,
                  lang: str = "vi", label_prefix: str | None = None, hue_prefix: str | None = None,
                  sort: bool = True, xlabel: str | None = None, ylabel: str | None = None,
                  title: str | None = None, legend_title: str | None = None) -> Figure:
    """Horizontal bars of ``value`` per ``group`` (one row per group, or per group × ``hue``).

    ``label_prefix``/``hue_prefix`` translate codes through labels, e.g. ``"category"`` turns
    ``training`` into its Vietnamese/English name. ``sort`` puts the largest total on top.
    """
    what = "bars_by_group"
    require_columns(df, [group, value, hue], what)
    require_finite(df, value, what)
    require_unique(df, [group] + ([hue] if hue else []), what)
    order = _bar_order(df, group, value, sort)
    hues = list(dict.fromkeys(df[hue])) if hue else [None]
    fig, ax = new_figure(max(FIGSIZE[1], 0.32 * len(order) * len(hues) ** 0.5 + 1.5))
    height = 0.8 / len(hues)
    pos = np.arange(len(order))
    for i, level in enumerate(hues):
        part = df if level is None else df[df[hue] == level]
        values = part.set_index(group)[value].reindex(order).fillna(0.0)
        offset = ((len(hues) - 1) / 2 - i) * height  # first level on top, as in the legend
        ax.barh(pos + offset, values.to_numpy(), height=height * 0.95,
                label=None if level is None else value_text(level, hue_prefix, lang))
    ax.set_yticks(pos, [wrap_text(value_text(g, label_prefix, lang), 40) for g in order])
    ax.grid(axis="y", visible=False)
    number_axis(ax.xaxis, lang)
    ax.set_xlabel(label_or(xlabel, value, lang))
    ax.set_ylabel(label_or(ylabel, group, lang))
    set_title(ax, title, value, lang)
    if hue:
        ax.legend(title=label_or(legend_title, hue_prefix or hue, lang), fontsize=8.5)
    return fig


def _event_frame(coefs: pd.DataFrame, reference: int, what: str) -> pd.DataFrame:
    require_columns(coefs, ["event_time", "coef", "ci_low", "ci_high"], what)
    times = pd.to_numeric(coefs["event_time"]).to_numpy(dtype=float)
    if not np.all(np.isfinite(times) & (times == np.round(times))):
        raise ValueError(f"{what}: event_time must be whole numbers, got {sorted(set(times.tolist()))}")
    require_unique(coefs, ["event_time"], what)
    data = coefs[["event_time", "coef", "ci_low", "ci_high"]].astype(float)
    data["event_time"] = data["event_time"].astype(int)
    if reference not in set(data["event_time"]):
        ref_row = pd.DataFrame({"event_time": [reference], "coef": [0.0], "ci_low": [np.nan], "ci_high": [np.nan]})
        data = pd.concat([data, ref_row], ignore_index=True)
    require_finite(data, "coef", what)
    return data.sort_values("event_time").reset_index(drop=True)


@styled
def event_study_plot(coefs: pd.DataFrame, *, lang: str = "vi", reference: int = -1,
                     ylabel: str | None = None, xlabel: str | None = None,
                     title: str | None = None) -> Figure:
    """Event-study coefficients with 95% intervals, a zero line and the reference period marked.

    ``coefs`` has ``event_time, coef, ci_low, ci_high``; a missing ``reference`` row is drawn
    at zero (it is the normalised period), as a hollow marker.
    """
    what = "event_study_plot"
    data = _event_frame(coefs, reference, what)
    _check_interval(data, "coef", "ci_low", "ci_high", "event_time", what)
    fig, ax = new_figure()
    est = data[data["event_time"] != reference]
    err = np.vstack([est["coef"] - est["ci_low"], est["ci_high"] - est["coef"]])
    ax.errorbar(est["event_time"], est["coef"], yerr=np.nan_to_num(err), fmt="o", color=BASE,
                capsize=3, lw=1.5, label=t("estimate", lang) + " ± " + t("ci_95", lang))
    ref = data[data["event_time"] == reference]
    ax.plot(ref["event_time"], ref["coef"], "o", mfc="white", mec=BASE, mew=1.5)
    ax.axhline(0, color=MUTED, lw=1, ls="--", label=t("zero_line", lang))
    ax.axvline(reference, color=ACCENT, lw=1.2, ls=":", label=t("reference_period", lang, period=reference))
    integer_axis(ax.xaxis)
    number_axis(ax.yaxis, lang)
    ax.set_xlabel(label_or(xlabel, "event_time", lang))
    ax.set_ylabel(wrap_text(label_or(ylabel, "estimate", lang), 45))
    ax.set_title(label_or(title, "title_event_study", lang))
    ax.legend(fontsize=8.5, loc="best")
    return fig


@styled
def time_series(df: pd.DataFrame, x: str, y: str, hue: str | None = None, *, lang: str = "vi",
                hue_prefix: str | None = None, highlight=None, xlabel: str | None = None,
                ylabel: str | None = None, title: str | None = None, legend_title: str | None = None) -> Figure:
    """Lines of ``y`` over ``x`` (one row per ``x`` × ``hue``); ``highlight`` one ``hue`` level, grey the rest."""
    what = "time_series"
    require_columns(df, [x, y, hue], what)
    require_finite(df, y, what)
    require_unique(df, [x] + ([hue] if hue else []), what)
    levels = list(dict.fromkeys(df[hue])) if hue else [None]
    if highlight is not None and highlight not in levels:
        raise ValueError(f"{what}: highlight {highlight!r} is not a value of {hue!r}")
    fig, ax = new_figure()
    for i, level in enumerate(levels):
        part = (df if level is None else df[df[hue] == level]).sort_values(x)
        style = {"color": PALETTE[i % len(PALETTE)], "lw": 1.8}
        if highlight is not None:
            style = {"color": ACCENT, "lw": 2.6, "zorder": 3} if level == highlight else {"color": MUTED, "lw": 1}
        ax.plot(part[x], part[y], marker="o", ms=4, label=None if level is None else value_text(level, hue_prefix, lang), **style)
    if pd.api.types.is_integer_dtype(df[x]):
        integer_axis(ax.xaxis)
    elif pd.api.types.is_numeric_dtype(df[x]):
        number_axis(ax.xaxis, lang)
    number_axis(ax.yaxis, lang)
    ax.set_xlabel(label_or(xlabel, x, lang))
    ax.set_ylabel(wrap_text(label_or(ylabel, y, lang), 45))
    set_title(ax, title, y, lang)
    if hue:
        outside = len(levels) > 8
        ax.legend(fontsize=8, title=label_or(legend_title, hue_prefix or hue, lang), **({"loc": "upper left", "bbox_to_anchor": (1.01, 1)} if outside else {}))
    return fig


def _slope_text(slope: float, lang: str) -> str:
    digits = 0 if slope == 0 else max(0, min(6, 2 - math.floor(math.log10(abs(slope)))))
    return fmt_number(slope, lang, digits)


@styled
def scatter_with_fit(df: pd.DataFrame, x: str, y: str, *, lang: str = "vi", label_col: str | None = None,
                     highlight=None, fit: bool = True, xlabel: str | None = None,
                     ylabel: str | None = None, title: str | None = None) -> Figure:
    """Scatter of ``y`` against ``x`` with an OLS line (slope in the legend); ``highlight`` a ``label_col`` value."""
    what = "scatter_with_fit"
    require_columns(df, [x, y, label_col], what)
    for col in (x, y):
        require_finite(df, col, what, label_col)
    if highlight is not None and (label_col is None or highlight not in set(df[label_col])):
        raise ValueError(f"{what}: highlight {highlight!r} needs label_col and must be one of its values")
    xs, ys = df[x].to_numpy(dtype=float), df[y].to_numpy(dtype=float)
    fig, ax = new_figure()
    ax.scatter(xs, ys, color=BASE, alpha=0.75, s=30, edgecolor="white", lw=0.5)
    if fit:
        if len(np.unique(xs)) < 2:
            raise ValueError(f"{what}: a fitted line needs at least two distinct {x!r} values; pass fit=False")
        slope, intercept = np.polyfit(xs, ys, 1)
        grid = np.linspace(xs.min(), xs.max(), 50)
        ax.plot(grid, intercept + slope * grid, color=ACCENT, lw=1.8,
                label=t("fitted_line", lang, slope=_slope_text(slope, lang)))
        ax.legend(fontsize=8.5)
    if highlight is not None:
        row = df[df[label_col] == highlight].iloc[0]
        ax.scatter([row[x]], [row[y]], color=ACCENT, s=60, zorder=3, edgecolor="black", lw=0.6)
        ax.annotate(str(highlight), (row[x], row[y]), xytext=(6, 6), textcoords="offset points",
                    fontsize=9, fontweight="bold", color=ACCENT)
    number_axis(ax.xaxis, lang)
    number_axis(ax.yaxis, lang)
    ax.set_xlabel(label_or(xlabel, x, lang))
    ax.set_ylabel(wrap_text(label_or(ylabel, y, lang), 45))
    set_title(ax, title, y, lang)
    return fig


@styled
def distribution_with_band(values, low: float = 0.15, high: float = 0.40, *, lang: str = "vi",
                           bins="auto", xlabel: str | None = None, title: str | None = None) -> Figure:
    """Histogram of fractions (0.25 = 25%) with the claimed ``low``–``high`` band shaded.

    The legend gives the band, the share of observations inside it and the median.
    """
    what = "distribution_with_band"
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: need at least one value and no missing ones "
                         f"({int((~np.isfinite(arr)).sum())} missing of {arr.size}); drop them first")
    if not low < high:
        raise ValueError(f"{what}: low ({low}) must be below high ({high})")
    fig, ax = new_figure()
    ax.hist(arr, bins=bins, color=BASE, edgecolor="white", alpha=0.85)
    band = t("claimed_band", lang, low=fmt_pct(low, lang, None), high=fmt_pct(high, lang, None))
    ax.axvspan(low, high, color=BAND, alpha=0.18, label=band)
    median = float(np.median(arr))
    ax.axvline(median, color=ACCENT, lw=1.5, ls="--", label=f"{t('median', lang)}: {fmt_pct(median, lang)}")
    share = float(np.mean((arr >= low) & (arr <= high)))
    ax.plot([], [], ls="none", label=t("share_in_band", lang, share=fmt_pct(share, lang, 0)))
    percent_axis(ax.xaxis, lang)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    number_axis(ax.yaxis, lang)
    ax.set_xlabel(label_or(xlabel, "productivity_gain", lang))
    ax.set_ylabel(t("count", lang))
    ax.set_title(label_or(title, "title_productivity_gains", lang))
    ax.legend(fontsize=8.5)
    return fig


# --- saving ----------------------------------------------------------------------------------

def save_figure(fig: Figure | SavedFigure, path_stem: Path | str, formats=("png", "svg"),
                dpi: int = DPI) -> list[Path]:
    """Write ``<path_stem>.<fmt>`` for each format atomically and byte-reproducibly; return the paths.

    Formats: png, svg, pdf. ``path_stem`` has no extension. The figure stays open for display.
    A :class:`~khuyencong.views.figure_cache.SavedFigure` writes the bytes it holds.
    """
    stem = Path(path_stem)
    if stem.suffix.lstrip(".").lower() in SAVE_METADATA:
        raise ValueError(f"pass the path without extension ({stem.with_suffix('')}), formats go in `formats`")
    unknown = [f for f in formats if f not in SAVE_METADATA]
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty subset of {sorted(SAVE_METADATA)}, got {list(formats)}")
    if isinstance(fig, SavedFigure):
        if dpi != DPI or set(formats) - set(fig.files):
            raise ValueError(f"a saved figure holds {sorted(fig.files)} at {DPI} dpi, not {list(formats)} at {dpi}")
        files = fig.files
    else:
        files = render(fig, formats, dpi)
    paths = [atomic_write_bytes(stem.with_name(f"{stem.name}.{fmt}"), files[fmt]) for fmt in formats]
    if "png" in formats and dpi == DPI and isinstance(fig, ReportFigure):
        fig.remember_png(files["png"])
    return paths


def mark_points(fig: Figure, xs, ys, label: str) -> Figure:
    """Draw ``xs, ys`` over the first axes in the accent colour, labelled in the legend
    (e.g. one province's observations on a scatter of every province)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if xs.shape != ys.shape:
        raise ValueError(f"mark_points: xs and ys differ in length ({xs.size} vs {ys.size})")
    ax = fig.axes[0]
    with mpl.rc_context(style_rc()):
        ax.scatter(xs, ys, color=ACCENT, s=55, zorder=4, edgecolor="black", lw=0.6, label=label)
        ax.legend(fontsize=8.5)
    return fig


def legend_outside(fig: Figure) -> Figure:
    """Move each axes' legend to the right of the plot, so many or long entries hide no data."""
    with mpl.rc_context(style_rc()):
        for ax in fig.axes:
            old = ax.get_legend()
            if old is None:
                continue
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles, labels, title=old.get_title().get_text() or None, fontsize=8,
                      loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.draw_without_rendering()
    return fig
