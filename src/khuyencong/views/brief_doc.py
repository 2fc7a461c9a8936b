"""The province brief as one document in one language: what its PDF, its Word file and its notebook
show, built once from the brief's numbers and saved beside the run's figures.

:func:`build` turns the headline rows (:func:`khuyencong.views.brief.headlines`), the published
figures and the data status into a :class:`BriefDocument`: plain text in the reader's language
only (no file or module names, no figure IDs), with the figures named by the files the notebook
saved. :func:`save` writes it as ``90_brief.json`` in the run's output folder and :func:`load` reads
it back, so the typeset PDF (:mod:`khuyencong.views.typeset`) and the Word file
(:mod:`khuyencong.views.docx_brief`) carry the same words and numbers as the notebook.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from khuyencong.core import i18n
from khuyencong.files import atomic_write_text
from khuyencong.ingest import published
from khuyencong.views import brief_text

FILE = "90_brief.json"
MAX_REFERENCES = 14  # published figures printed in the brief (the latest); the real-record report lists all
MAP = "90_map"
#: The brief's figures (file stem → caption label), in the order they are printed.
FIGURES = {"90_cofunding_ranking": "br_fig_ranking", "90_productivity_event_study": "br_fig_event",
           "90_intensity_by_year": "gl_title_intensity"}
REFERENCE_INDICATORS = ("state_support", "projects", "total_funding", "national_funding", "local_funding",
                        "beneficiary_contribution",
                        "trainees_vocational", "trainees_management", "establishments_equipment",
                        "equipment_support", "industrial_grdp_growth", "productivity_gain")
REFERENCE_NATIONAL = ("state_support", "projects", "productivity_gain", "trainee_plan_attainment")
REFERENCE_DERIVED = ("cofunding_ratio", "state_support_per_project", "equipment_support_per_establishment")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ANNOTATION = re.compile(r"\s*(\(.*\)|, from .*)$")


@dataclass(frozen=True)
class Line:
    """One headline measure: its name, one cell per area (estimate, interval, true value) and a note."""

    label: str
    cells: tuple[tuple[str, str, str], ...]
    note: str = ""


@dataclass(frozen=True)
class Reference:
    """A published figure as printed, with its source (outlet, title, date; the title links to ``url``)."""

    what: str
    area: str
    period: str
    value: str
    outlet: str = ""
    title: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure the brief run saved (``stem``.svg / .png in its folder) and its caption."""

    stem: str
    caption: str


@dataclass(frozen=True)
class BriefDocument:
    """Everything a reader of the brief sees, in ``lang``."""

    lang: str
    title: str
    subtitle: str
    synthetic: bool
    status_title: str
    status_text: str
    areas: tuple[str, ...]
    numbers_note: str
    lines: tuple[Line, ...]
    reading: tuple[str, ...]
    map: Figure | None
    figures: tuple[Figure, ...]
    figure_notes: tuple[str, ...]
    published_note: str
    references: tuple[Reference, ...]
    method: tuple[str, ...]
    headings: dict = field(default_factory=dict)

    @property
    def mark(self) -> str:
        """The data status printed on every page."""
        return self.status_title

    def numbers(self) -> list[str]:
        """Every number text of the headline table (estimates, bounds, true values)."""
        found = []
        for line in self.lines:
            for cell in line.cells:
                found += [p for p in cell if p and p not in brief_text.NO_COMPARISON]
        return found


HEADINGS = ("br_h_numbers", "br_h_reading", "br_h_map", "br_h_figures", "br_h_published", "br_h_method", "br_page",
            "indicator", "cf_col_note", "col.area", "col.period", "col.value", "col.source", "cf_col_what")


def build(ctx, headline: pd.DataFrame, figures_table: pd.DataFrame | None, counts: pd.DataFrame | None,
          n_boot: int, seed: int, drawn: Mapping[str, str] | None = None,
          figure_notes: Sequence[str] = ()) -> BriefDocument:
    """The brief of ``ctx`` (:class:`khuyencong.views.context.Context`): ``headline`` is
    :func:`brief.headlines` output, ``figures_table`` the published figures, ``counts``
    :func:`brief.rejected_counts`, ``drawn`` the figures the notebook saved (stem → the area whose
    sample it shows, "" for none; the map :data:`MAP` among them) and ``figure_notes`` what it said
    instead of a figure."""
    drawn = drawn or {}
    sel, lang = ctx.sel, ctx.sel.lang
    status_title, status_text = brief_text.status_texts(ctx.status, ctx.statuses, lang)
    areas = tuple(dict.fromkeys(headline["area"]))
    lines = tuple(Line(x["label"], tuple(tuple(x["cells"].get(a, ("", "", ""))) for a in areas), x["note"])
                  for x in brief_text.headline_lines(headline, lang, ctx.truth is not None, ctx.missing))
    found = references(figures_table, sel) if figures_table is not None else []
    refs = sorted(found, key=lambda r: r.period, reverse=True)[:MAX_REFERENCES]  # the latest: three pages at most
    method = brief_text.caveats(sel, headline, counts, n_boot=n_boot, seed=seed, missing=ctx.missing,
                                coverage=ctx.coverage())
    return BriefDocument(
        lang=lang, title=i18n.t("br_title", lang, area=sel.label), subtitle=subtitle(ctx), synthetic=ctx.synthetic,
        status_title=status_title, status_text=status_text, areas=areas,
        numbers_note=i18n.t("br_h_numbers_note_synthetic" if ctx.truth is not None else "br_h_numbers_note", lang),
        lines=lines, reading=tuple(plain(s) for s in brief_text.reading(headline, lang, ctx.status, ctx.missing)),
        map=Figure(MAP, i18n.t("br_h_map" if sel.province is not None else "br_h_map_all", lang)) if MAP in drawn
        else None,
        figures=tuple(Figure(stem, _caption(i18n.t(key, lang), drawn[stem])) for stem, key in FIGURES.items()
                      if stem in drawn),
        figure_notes=tuple(figure_notes), published_note=published_note(refs, len(found), sel),
        references=tuple(refs),
        method=tuple(plain(s) for s in method), headings={k: i18n.t(k, lang) for k in HEADINGS})


def _caption(text: str, area: str) -> str:
    return f"{text} ({area})" if area else text


def published_note(refs: Sequence[Reference], found: int, sel) -> str:
    """What the published-figures section holds (and how many more the real record lists), or that
    it holds none for this area."""
    if not refs:
        return i18n.t("br_references_none", sel.lang, area=sel.label)
    more = i18n.t("br_published_more", sel.lang, n=found - len(refs)) if found > len(refs) else ""
    return " ".join(p for p in (i18n.t("br_published_note", sel.lang), more) if p)


def subtitle(ctx) -> str:
    """Boundaries and the years the data cover (not the years asked for)."""
    sel, lang = ctx.sel, ctx.sel.lang
    years = data_years(ctx)
    boundaries = i18n.t(f"boundaries_{sel.boundaries}", lang)
    if years is None:
        return i18n.t("br_period_none", lang, boundaries=boundaries, start=sel.start_year, end=sel.end_year)
    return i18n.t("br_period", lang, boundaries=boundaries, period=published.period(*years))


def data_years(ctx) -> tuple[int, int] | None:
    """(first, last) year of the analysed rows in the selected years (the province's rows for a
    province brief); None when there are none."""
    years = []
    for name, status in ctx.statuses.items():
        frame = ctx.frames[name]
        if status is None or "year" not in frame:
            continue
        rows = ctx.in_years(frame)
        if ctx.code is not None:
            rows = rows.loc[rows[ctx.sel.code_column].astype("string") == ctx.code]
        years += [int(y) for y in rows["year"].dropna().unique()]
    return (min(years), max(years)) if years else None


def plain(text: str) -> str:
    """A sentence without its markdown emphasis."""
    return _BOLD.sub(r"\1", text)


def outlet_name(outlet: str) -> str:
    """The outlet as a reader cites it: our transcription notes in brackets dropped; "" when the
    page printed none."""
    name = _ANNOTATION.sub("", str(outlet)).strip()
    return "" if name.lower().startswith("not printed") else name


def _date(row, lang: str) -> str:
    if row.published:
        return i18n.fmt_date(row.published, lang)
    return i18n.t("br_retrieved", lang, date=i18n.fmt_date(row.retrieved, lang)) if row.retrieved else ""


def references(figures: pd.DataFrame, sel) -> list[Reference]:
    """The published figures of ``sel``'s area and years on the brief's shortlist (each figure once,
    even when several sources print it, as printed) and the ratios derived from them, each with its
    source (a derived ratio cites the sources of its inputs): real reference points, not estimates."""
    lang = sel.lang
    chosen = published.for_selection(figures.loc[figures["same_as"] == ""], sel)
    if sel.province is None:  # the national brief: figures about regions or the country, not each province's
        chosen = chosen.loc[chosen["area_type"] != "province"]
    shortlist = REFERENCE_INDICATORS if sel.province is not None else REFERENCE_NATIONAL
    printed = chosen.loc[chosen["indicator"].isin(shortlist)]
    label = "indicator_vi" if lang == "vi" else "indicator_en"
    out = []
    derived = published.for_selection(published.derived_figures(figures), sel)
    if sel.province is None:
        derived = derived.loc[derived["area_type"] != "province"]
    by_id = figures.set_index("figure_id")
    for r in derived.loc[derived["indicator"].isin(REFERENCE_DERIVED)].itertuples():
        inputs = by_id.loc[[i for i in r.inputs.split(";") if i in by_id.index]]
        outlets = "; ".join(dict.fromkeys(n for n in map(outlet_name, inputs["outlet"]) if n))
        out.append(Reference(i18n.t(f"derived.{r.indicator}", lang), r.area, published.period(r.period_start, r.period_end),
                             _derived_value(r, lang), outlets, i18n.t("br_derived_from", lang)))
    for r in printed.itertuples():
        out.append(Reference(getattr(r, label), r.area, published.period(r.period_start, r.period_end), r.figure,
                             outlet_name(r.outlet), r.title, _date(r, lang), r.url))
    return out


def reference_table(refs: Sequence[Reference], lang: str) -> pd.DataFrame:
    """:func:`references` as a table in ``lang`` (the notebook shows it and saves it)."""
    names = {"what": "cf_col_what", "area": "col.area", "period": "col.period", "value": "col.value",
             "source": "col.source"}
    rows = [{"what": r.what, "area": r.area, "period": r.period, "value": r.value, "source": citation(r)} for r in refs]
    return pd.DataFrame(rows, columns=list(names)).rename(columns={k: i18n.t(v, lang) for k, v in names.items()})


def citation(r: Reference) -> str:
    """Outlet, “title”, date: whatever is known."""
    return ", ".join(p for p in (r.outlet, f"“{r.title}”" if r.title else "", r.date) if p)


def _derived_value(r, lang: str) -> str:
    if r.unit == "million VND":
        return i18n.fmt_money(round(float(r.value), 1), lang)
    return i18n.fmt_number(round(float(r.value), 2) + 0.0, lang, 2)



def save(folder: Path | str | None, doc: BriefDocument) -> Path | None:
    """Write ``doc`` as :data:`FILE` in ``folder`` (nothing when ``folder`` is None)."""
    if folder is None:
        return None
    path = Path(folder) / FILE
    atomic_write_text(path, json.dumps(asdict(doc), ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


def load(folder: Path | str) -> BriefDocument:
    """The document a brief run saved in ``folder``."""
    raw = json.loads((Path(folder) / FILE).read_text(encoding="utf-8"))
    raw["lines"] = tuple(Line(x["label"], tuple(tuple(c) for c in x["cells"]), x["note"]) for x in raw["lines"])
    raw["references"] = tuple(Reference(**x) for x in raw["references"])
    raw["figures"] = tuple(Figure(**x) for x in raw["figures"])
    raw["map"] = Figure(**raw["map"]) if raw["map"] else None
    for name in ("areas", "reading", "figure_notes", "method"):
        raw[name] = tuple(raw[name])
    return BriefDocument(**raw)
