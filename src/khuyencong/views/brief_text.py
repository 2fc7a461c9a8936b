"""The words of the province brief (notebook 90): the headline table as text, the title and data
status box, a plain-language reading generated from :func:`khuyencong.views.brief.headlines`
output, the data caveats and the published reference figures.

Sentence templates live in ``data/labels.csv`` (keys ``br_*``). Comparative words follow
:func:`compare`: "higher" or "lower" only when the 95% intervals do not overlap, otherwise "not
clearly different".
"""
from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.analysis import ceilings
from khuyencong.analysis import fixed_effects
from khuyencong.analysis import models
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.views.brief import DESCRIPTIVE, LEVELS, LINK_STEP, MEASURES

LABEL_KEYS = {"cofunding_ratio": "cofunding_ratio", "productivity_effect": "br_m_productivity_effect",
              "cost_per_trainee": "cost_per_trainee", "cost_per_establishment": "cost_per_establishment",
              "plan_attainment": "br_m_plan_attainment", "spending_intensity": "gl_axis_intensity",
              "industrial_growth": "br_m_industrial_growth", "grdp_link": "br_m_link"}
NEEDS = {"productivity_effect": ("survey",), "plan_attainment": ("plans",),
         "spending_intensity": ("province_stats",), "industrial_growth": ("province_stats",),
         "grdp_link": ("province_stats",)}  # beyond the register, which every measure reads
SIMILAR_WITHOUT_INTERVALS = 0.05     # descriptive numbers within 5% of each other read as similar


# ---------------------------------------------------------------- comparison rule

def compare(value, low, high, ref, ref_low=np.nan, ref_high=np.nan,
            tolerance: float = SIMILAR_WITHOUT_INTERVALS) -> str:
    """``"higher"``, ``"lower"``, ``"similar"`` or ``"unknown"`` (a value missing).

    With intervals the verdict needs separation: higher only when this interval lies wholly above
    the reference's (or above the reference value when it has no interval), and vice versa; any
    overlap reads "similar". Two descriptive numbers without intervals differ when they are more
    than ``tolerance`` (relative) apart.
    """
    value, low, high, ref, ref_low, ref_high = (float(v) for v in (value, low, high, ref, ref_low, ref_high))
    if not (np.isfinite(value) and np.isfinite(ref)):
        return "unknown"
    own = np.isfinite(low) and np.isfinite(high)
    other = np.isfinite(ref_low) and np.isfinite(ref_high)
    if not own and not other:
        if abs(value - ref) <= tolerance * max(abs(value), abs(ref)):
            return "similar"
        return "higher" if value > ref else "lower"
    lo, hi = (low, high) if own else (value, value)
    rlo, rhi = (ref_low, ref_high) if other else (ref, ref)
    if lo > rhi:
        return "higher"
    if hi < rlo:
        return "lower"
    return "similar"


# ---------------------------------------------------------------- formatting

def measure_label(measure: str, lang: str) -> str:
    """The indicator name of ``measure`` in ``lang``."""
    if measure == "grdp_link":
        return i18n.t(LABEL_KEYS[measure], lang, step=i18n.fmt_number(LINK_STEP, lang))
    return i18n.t(LABEL_KEYS[measure], lang)


def _significant(value: float, digits: int = 3) -> int:
    """Decimals that show ``digits`` significant digits (at most 6)."""
    return 3 if value == 0 else int(min(6, max(0, digits - 1 - np.floor(np.log10(abs(value))))))


def _decimals(value: float) -> int:
    return 2 if abs(value) < 10 else (1 if abs(value) < 1000 else 0)


def fmt_value(measure: str, value, lang: str, signed: bool = False) -> str:
    """One headline number as text in ``lang`` ('–' when missing)."""
    if value is None or not np.isfinite(value):
        return "–"
    value = float(value)
    if measure in ("productivity_effect", "plan_attainment"):
        text = i18n.fmt_pct(round(value, 4) + 0.0, lang, 1)
    elif measure == "spending_intensity":  # tiny shares of GRDP: three significant digits
        digits = _significant(value)
        text = i18n.fmt_number(round(value, digits) + 0.0, lang, digits) + "%"
    elif measure == "industrial_growth":
        text = i18n.fmt_number(round(value, 1) + 0.0, lang, 1) + "%"
    elif measure == "grdp_link":
        text = i18n.fmt_number(round(value, 3) + 0.0, lang, 3)
    else:
        digits = _decimals(value)
        text = i18n.fmt_number(round(value, digits) + 0.0, lang, digits)
    return ("+" + text) if signed and value > 0 else text


def cell_parts(row, lang: str, synthetic: bool) -> tuple[str, str, str]:
    """(estimate, "[low; high]" or "", "true: x" or "") of one headline row, as text in ``lang``."""
    interval = ""
    if np.isfinite(row.low) and np.isfinite(row.high):
        interval = f"[{fmt_value(row.measure, row.low, lang)}; {fmt_value(row.measure, row.high, lang)}]"
    true = i18n.t("br_truth_cell", lang, value=fmt_value(row.measure, row.truth, lang)) \
        if synthetic and np.isfinite(row.truth) else ""
    return fmt_value(row.measure, row.value, lang), interval, true


def cell_text(parts: Sequence[str]) -> str:
    """:func:`cell_parts` on one line: "estimate [low; high] · true: x"."""
    value, interval, true = parts
    return value + (f" {interval}" if interval else "") + (f" · {true}" if true else "")


def _note(row, lang: str) -> str:
    if row.note == "too_few":
        return i18n.t("br_note_too_few", lang, n=int(row.n))
    if row.note == "few_clusters":
        extra = row.n_comparison if np.isfinite(row.n_comparison) else 0
        return i18n.t("br_note_few_clusters", lang, n=int(row.n + extra))
    return i18n.t(f"br_note_{row.note}", lang) if row.note else ""


def lacking(measure: str, missing: Sequence[str]) -> list[str]:
    """The tables among ``missing`` (tables without rows) that ``measure`` needs."""
    return [t for t in ("register", *NEEDS.get(measure, ())) if t in missing]


def _no_table(measure: str, missing: Sequence[str], lang: str) -> str:
    names = ", ".join(i18n.t(f"br_table_{t}", lang) for t in lacking(measure, missing))
    return i18n.t("br_no_table", lang, tables=names)


def why_no_estimate(measure: str, missing: Sequence[str], lang: str = "vi") -> str:
    """Why no area has an estimate of ``measure``: the empty tables it needs, else too few observations."""
    return _no_table(measure, missing, lang) if lacking(measure, missing) else i18n.t("br_note_too_few", lang, n=0)


NO_COMPARISON = ("—", "", "")  # a region or country cell that would repeat the province's own numbers


def headline_lines(table: pd.DataFrame, lang: str = "vi", synthetic: bool = False,
                   missing: Sequence[str] = ()) -> list[dict]:
    """:func:`headlines` output as the brief's lines: one per measure with ``measure``, ``label``,
    ``cells`` (area name → :func:`cell_parts`, :data:`NO_COMPARISON` where the region or country
    holds only the province's own data) and ``note``. A measure that needs a table among
    ``missing`` (tables without rows) says so in the note instead."""
    out = []
    for measure in [m for m in MEASURES if m in set(table["measure"])]:
        part = table.loc[table["measure"] == measure]
        cells, notes = {}, []
        first = part.iloc[0]
        for row in part.itertuples():
            if row.Index != first.name and own_data_only(first, part.loc[row.Index]):
                cells[row.area] = NO_COMPARISON
                notes.append(f"{row.area}: {i18n.t('br_cmp_only_own', lang)}")
                continue
            cells[row.area] = cell_parts(row, lang, synthetic)
            if _note(row, lang) and not lacking(measure, missing):
                notes.append(f"{row.area}: {_note(row, lang)}")
        if lacking(measure, missing):
            notes.append(_no_table(measure, missing, lang))
        if measure in DESCRIPTIVE:
            notes.append(i18n.t("br_note_descriptive", lang))
        out.append({"measure": measure, "label": measure_label(measure, lang), "cells": cells,
                    "note": "; ".join(notes)})
    return out


def headline_table(table: pd.DataFrame, lang: str = "vi", synthetic: bool = False,
                   missing: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`headline_lines` as a display table: one row per measure, one column per area ("value
    [95% interval]", plus the true value when ``synthetic``), and a note column."""
    names = list(dict.fromkeys(table["area"]))
    rows = []
    for line in headline_lines(table, lang, synthetic, missing):
        row = {i18n.t("indicator", lang): line["label"]}
        for name in names:
            row[name] = cell_text(line["cells"].get(name, ("", "", "")))
        row[i18n.t("cf_col_note", lang)] = line["note"]
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- title and status box

def title(sel, lang: str | None = None) -> str:
    """Markdown title: the province (or the country), the boundaries and the period."""
    lang = lang or sel.lang
    sub = i18n.t("br_subtitle", lang, boundaries=i18n.t(f"boundaries_{sel.boundaries}", lang),
                 start=sel.start_year, end=sel.end_year)
    return f"# {i18n.t('br_title', lang, area=sel.label)}\n\n**{sub}**"


def tables_used(statuses: Mapping[str, str | None], lang: str = "vi") -> tuple[str, str]:
    """(the tables with rows, each with its status; the tables without rows, "" when none) in
    ``lang``: what a brief's data-status box names, from :attr:`Context.statuses`."""
    used = [i18n.t("br_table_status", lang, table=i18n.t(f"br_table_{name}", lang),
                   status=i18n.t(f"br_status_word_{status}", lang))
            for name, status in statuses.items() if status is not None]
    absent = [i18n.t(f"br_table_{name}", lang) for name, status in statuses.items() if status is None]
    return ", ".join(used) or "–", i18n.t("br_tables_absent", lang, tables=", ".join(absent)) if absent else ""


def status_texts(data_status: str, statuses: Mapping[str, str | None], lang: str = "vi") -> tuple[str, str]:
    """(heading, body) of the data-status box: REAL or SYNTHETIC, and exactly the tables used."""
    kind = "synthetic" if str(data_status).upper().startswith("SYNTHETIC") else "real"
    used, absent = tables_used(statuses, lang)
    body = i18n.t(f"br_status_{kind}", lang, tables=used) + (f" {absent}" if absent else "")
    return i18n.t(f"br_status_{kind}_title", lang), body


def status_box(data_status: str, statuses: Mapping[str, str | None], lang: str = "vi") -> str:
    """A prominent HTML box stating whether the numbers are REAL or SYNTHETIC (invented demo data)
    and which tables they come from."""
    synthetic = str(data_status).upper().startswith("SYNTHETIC")
    colour, background = ("#b00020", "#fdecee") if synthetic else ("#1b5e20", "#edf7ee")
    head, body = status_texts(data_status, statuses, lang)
    return (f'<div style="border:3px solid {colour};background:{background};padding:0.8em 1em;'
            f'margin:0.5em 0;font-size:1.05em"><strong style="color:{colour}">{escape(head)}</strong>'
            f"<br>{escape(body)}</div>")


# ---------------------------------------------------------------- the reading

def _name(row, lang: str) -> str:
    if row["level"] == "country":
        return i18n.t("br_area_country", lang)
    if row["level"] == "region":
        return i18n.t("br_area_region", lang, name=i18n.t(f"region.{row['area_code']}", lang))
    return str(row["area"])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rows(table: pd.DataFrame, measure: str) -> list[pd.Series]:
    part = table.loc[table["measure"] == measure]
    return [part.loc[part["level"] == level].iloc[0] for level in LEVELS if (part["level"] == level).any()]


def own_data_only(main, ref) -> bool:
    """``ref`` (a region or the country) holds no data but the province's own: same count, same value."""
    return (ref["level"] != main["level"] and np.isfinite(main["value"]) and ref["n"] == main["n"]
            and ref["value"] == main["value"])


def _comparison(main: pd.Series, others: Sequence[pd.Series], lang: str) -> str:
    phrases = []
    if others and all(own_data_only(main, ref) for ref in others if np.isfinite(ref["value"])) and \
            any(np.isfinite(ref["value"]) for ref in others):
        return i18n.t("br_cmp_only_own", lang)
    for ref in others:
        if not np.isfinite(ref["value"]) or own_data_only(main, ref):
            continue
        verdict = compare(main["value"], main["low"], main["high"], ref["value"], ref["low"], ref["high"])
        signed = ref["measure"] == "productivity_effect"
        phrases.append(i18n.t(f"br_cmp_{verdict}", lang, area=_name(ref, lang),
                              ref=fmt_value(ref["measure"], ref["value"], lang, signed)))
    return f" {i18n.t('br_and', lang)} ".join(phrases)


def _sentence(template: str, main: pd.Series, others: Sequence[pd.Series], lang: str) -> str:
    m = main["measure"]
    signed = m == "productivity_effect"
    fill = {"area": _name(main, lang), "value": fmt_value(m, main["value"], lang, signed)}
    if m not in DESCRIPTIVE:
        fill.update(low=fmt_value(m, main["low"], lang, signed), high=fmt_value(m, main["high"], lang, signed))
    text = i18n.t(template, lang, **fill)
    comparison = _comparison(main, others, lang)
    return _capital(text) + (f", {comparison}." if comparison else ".")


def _first_with_value(rows: Sequence[pd.Series]) -> int | None:
    return next((i for i, r in enumerate(rows) if np.isfinite(r["value"])), None)


def _missing(measure: str, rows: Sequence[pd.Series], lang: str) -> str:
    return i18n.t("br_read_missing", lang, what=measure_label(measure, lang),
                  area=_name(rows[0], lang) if rows else i18n.t("br_area_country", lang))


def _interval_sentence(measure: str, template: str, table: pd.DataFrame, lang: str) -> str:
    rows = _rows(table, measure)
    if not rows or not np.isfinite(rows[0]["value"]):
        return _missing(measure, rows, lang)
    return _sentence(template, rows[0], rows[1:], lang)


def _fallback(first: pd.Series, used: pd.Series, lang: str) -> str:
    """Why the province's own effect is not shown, and whose is shown instead."""
    if first["note"] == "too_few":
        comp = int(first["n_comparison"]) if np.isfinite(first["n_comparison"]) else 0
        text = i18n.t("br_read_fallback", lang, area=_name(first, lang), treated=int(first["n"]), untreated=comp,
                      min=models.MIN_TREATED_UNITS, fallback=_name(used, lang))
    else:
        text = i18n.t("br_read_fallback_not_estimable", lang, area=_name(first, lang), fallback=_name(used, lang))
    return _capital(text)


def _productivity(table: pd.DataFrame, lang: str) -> list[str]:
    rows = _rows(table, "productivity_effect")
    used = _first_with_value(rows)
    if used is None:
        return [_missing("productivity_effect", rows, lang)]
    out = []
    if used > 0:
        out.append(_fallback(rows[0], rows[used], lang))
    main = rows[used]
    out.append(_sentence("br_read_productivity", main, rows[used + 1:], lang))
    if np.isfinite(main["low"]) and main["low"] <= 0 <= main["high"]:
        out.append(i18n.t("br_read_zero_inside", lang))
    return out


def _link(table: pd.DataFrame, lang: str) -> list[str]:
    rows = _rows(table, "grdp_link")
    if not rows or not np.isfinite(rows[0]["value"]):
        return [_missing("grdp_link", rows, lang), i18n.t("br_read_association", lang)]
    r = rows[0]
    if np.isfinite(r["low"]) and r["low"] > 0:
        key, value = "br_read_link_up", r["value"]
    elif np.isfinite(r["high"]) and r["high"] < 0:
        key, value = "br_read_link_down", -r["value"]
    else:
        key, value = "br_read_link_none", r["value"]
    fmt = lambda v: fmt_value("grdp_link", v, lang)  # noqa: E731
    return [i18n.t(key, lang, value=fmt(value), low=fmt(r["low"]), high=fmt(r["high"]),
                   step=i18n.fmt_number(LINK_STEP, lang)),
            i18n.t("br_read_association", lang)]


def reading(table: pd.DataFrame, lang: str = "vi", data_status: str = "REAL",
            missing: Sequence[str] = ()) -> list[str]:
    """Plain-language sentences from :func:`headlines` output. SYNTHETIC data opens with a
    sentence saying the numbers are invented; the GRDP link is always called an association. A
    measure that needs a table among ``missing`` (tables without rows) says which table it lacks."""
    i18n.check_lang(lang)
    first = table.iloc[0] if len(table) else None
    out = []
    if str(data_status).upper().startswith("SYNTHETIC"):
        area = _name(first, lang) if first is not None else i18n.t("br_area_country", lang)
        out.append(f"**SYNTHETIC** — {i18n.t('br_read_synthetic', lang, area=area)}")
    interval = lambda m, template: lambda: [_interval_sentence(m, template, table, lang)]  # noqa: E731
    parts = [("cofunding_ratio", interval("cofunding_ratio", "br_read_cofunding")),
             ("productivity_effect", lambda: _productivity(table, lang)),
             ("cost_per_trainee", interval("cost_per_trainee", "br_read_cost_trainee")),
             ("cost_per_establishment", interval("cost_per_establishment", "br_read_cost_establishment")),
             ("plan_attainment", interval("plan_attainment", "br_read_attainment")),
             ("spending_intensity", interval("spending_intensity", "br_read_intensity")),
             ("industrial_growth", interval("industrial_growth", "br_read_growth")),
             ("grdp_link", lambda: _link(table, lang))]
    for measure, sentences in parts:
        out += ([f"{measure_label(measure, lang)}: {_no_table(measure, missing, lang)}."]
                if lacking(measure, missing) else sentences())
    return out


def as_markdown(lines: Sequence[str]) -> str:
    """Sentences as a markdown bullet list."""
    return "\n".join(f"- {line}" for line in lines)


# ---------------------------------------------------------------- caveats

def _boundary_lines(sel, lang: str) -> list[str]:
    lines = [i18n.t(f"boundaries_{sel.boundaries}", lang) + "."]
    if sel.note:
        lines.append(sel.note)
    p = sel.province
    if p is None:
        return lines
    if sel.boundaries == provinces.NEW:
        parts = provinces.merged_from(p.code)
        if len(parts) > 1:
            lines.append(i18n.t("br_cav_components", lang, area=p.name, components=", ".join(x.name for x in parts)))
    elif p.new_code and len(provinces.merged_from(p.new_code)) > 1:
        lines.append(i18n.t("br_cav_successor", lang, area=p.name, new=provinces.get(p.new_code, provinces.NEW).name))
    return lines


def _rejected_line(counts: pd.DataFrame | None, sel, lang: str) -> str:
    if counts is None:
        return i18n.t("br_cav_rejected_missing", lang)
    listed = ", ".join(f"{i18n.t('br_table_' + r.table, lang)} {r.rows}" for r in counts.itertuples())
    if sel.province is None:
        return i18n.t("br_cav_rejected_all", lang, counts=listed, unknown=int(counts["unattributed"].sum()))
    return i18n.t("br_cav_rejected", lang, area=sel.label, counts=listed, unknown=int(counts["unattributed"].sum()))


def _sample_lines(table: pd.DataFrame, lang: str) -> list[str]:
    """Small samples, once per measure where the region or country holds only the province's rows."""
    lines = []
    first = table.groupby("measure", sort=False).head(1)
    for row in table.itertuples():
        main = first.loc[first["measure"] == row.measure].iloc[0]
        if main.name != row.Index and own_data_only(main, table.loc[row.Index]):
            continue
        what = measure_label(row.measure, lang)
        area = _name(table.loc[row.Index], lang)
        if row.note == "too_few":
            unit = i18n.t(f"br_unit_{row.measure}", lang)
            lines.append(_capital(i18n.t("br_cav_few", lang, what=what, area=area, n=int(row.n), unit=unit)))
        elif row.note == "few_clusters":
            lines.append(_capital(i18n.t("br_cav_few_clusters", lang, what=what, area=area, min=fixed_effects.FEW_CLUSTERS)))
    return lines


def caveats(sel, table: pd.DataFrame, counts: pd.DataFrame | None, lang: str | None = None,
            n_boot: int = 499, seed: int = 0, ceilings_active: bool | None = None,
            missing: Sequence[str] = (), coverage: Sequence[str] = ()) -> list[str]:
    """Data caveats: boundaries and mergers, what the data lack (``coverage``: e.g.
    :meth:`Context.coverage`, naming missing tables and former provinces), rejected rows, small
    samples (not of measures whose tables are ``missing``), the ceiling check, methods."""
    lang = lang or sel.lang
    sampled = table.loc[~table["measure"].map(lambda m: bool(lacking(m, missing)))] if missing else table
    lines = (_boundary_lines(sel, lang) + list(coverage) + [_rejected_line(counts, sel, lang)]
             + _sample_lines(sampled, lang))
    active = (not ceilings.load_ceilings().empty) if ceilings_active is None else ceilings_active
    if not active:
        lines.append(i18n.t("br_cav_ceilings", lang))
    lines.append(i18n.t("br_cav_methods", lang, n_boot=n_boot, seed=seed))
    return lines
