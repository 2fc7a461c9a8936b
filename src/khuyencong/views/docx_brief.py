"""The province brief (notebook 90) as an editable Word file, from the same numbers and texts.

:func:`build` lays out a ``python-docx`` document: title and data status, the headline table
with 95% intervals (:func:`brief_text.headline_table`), the plain-language reading, the figures,
the caveats and the published reference figures with their sources. :func:`from_run` rebuilds
it from what a brief run saved in its folder (the headline table it computed, its figures and
reference table), so the Word file shows exactly the notebook's numbers. Text is set in DejaVu
Sans for every script slot (Latin, East Asian, complex), which has all Vietnamese glyphs.
:func:`save` writes byte-identical files for identical content.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Sequence

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from khuyencong.analysis import area_tables, selection
from khuyencong.core import i18n
from khuyencong.ingest import export
from khuyencong.files import FIXED_TIME, atomic_write_bytes, stable_zip
from khuyencong.views import brief, brief_text

FONT = "DejaVu Sans"
RED = RGBColor(0xB0, 0x00, 0x20)
HEADLINES = "90_brief_headlines"
REFERENCES = "90_published_reference"
FIGURES = ("90_cofunding_ranking", "90_productivity_event_study", "90_intensity_by_year")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _font(style_or_run) -> None:
    """DejaVu Sans in every script slot of a style's or run's font."""
    style_or_run.font.name = FONT
    fonts = style_or_run.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def _paragraph(doc, text: str, style=None):
    """A paragraph with ``**bold**`` spans of ``text`` (the notebook's markdown) in bold."""
    par = doc.add_paragraph(style=style)
    for i, part in enumerate(_BOLD.split(text)):
        if part:
            par.add_run(part).bold = i % 2 == 1
    return par


def _table(doc, frame: pd.DataFrame) -> None:
    table = doc.add_table(rows=1, cols=len(frame.columns), style="Table Grid")
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = ""
        cell.paragraphs[0].add_run(str(name)).bold = True
    for values in frame.astype(str).itertuples(index=False):
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value
    for row in table.rows:
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(8)


def _status(doc, status: str, lang: str) -> None:
    kind = "synthetic" if str(status).upper().startswith("SYNTHETIC") else "real"
    par = doc.add_paragraph()
    head = par.add_run(i18n.t(f"br_status_{kind}_title", lang))
    head.bold = True
    if kind == "synthetic":
        head.font.color.rgb = RED
    par.add_run("\n" + i18n.t(f"br_status_{kind}", lang))
    for section in doc.sections:  # every printed page says what the numbers are
        for part in (section.header, section.footer):
            mark = part.paragraphs[0].add_run(i18n.t(f"br_status_{kind}_title", lang))
            mark.bold, mark.font.size = True, Pt(8)
            if kind == "synthetic":
                mark.font.color.rgb = RED


def _new_document():
    doc = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet", "Table Grid"):
        _font(doc.styles[name])
    doc.styles["Normal"].font.size = Pt(10)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    return doc


def build(headline: pd.DataFrame, sel: selection.Selection, status: str, figures: Sequence[Path] = (),
          caveats: Sequence[str] = (), references: pd.DataFrame | None = None):
    """The Word document of a brief: ``headline`` is :func:`brief.headlines` output."""
    lang = sel.lang
    synthetic = str(status).upper().startswith("SYNTHETIC")
    doc = _new_document()
    doc.add_heading(i18n.t("br_title", lang, area=sel.label), level=0)
    doc.add_paragraph(i18n.t("br_subtitle", lang, boundaries=i18n.t(f"boundaries_{sel.boundaries}", lang),
                             start=sel.start_year, end=sel.end_year)).runs[0].bold = True
    _status(doc, status, lang)
    doc.add_heading(i18n.t("dx_headlines", lang), level=1)
    doc.add_paragraph(i18n.t("dx_headlines_note", lang))
    _table(doc, brief_text.headline_table(headline, lang, synthetic=synthetic))
    bullet = doc.styles["List Bullet"]  # a style found once: python-docx looks names up slowly
    doc.add_heading(i18n.t("dx_reading", lang), level=1)
    for line in brief_text.reading(headline, lang, status):
        _paragraph(doc, line, bullet)
    if figures:
        doc.add_heading(i18n.t("dx_figures", lang), level=1)
        for path in figures:
            doc.add_picture(str(path), width=Cm(16.5))
    doc.add_heading(i18n.t("dx_caveats", lang), level=1)
    for line in caveats:
        _paragraph(doc, line, bullet)
    if references is not None and len(references):
        doc.add_heading(i18n.t("dx_sources", lang), level=1)
        _table(doc, references)
    return doc


def _read(path: Path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", **kwargs)


def read_headlines(path: Path) -> pd.DataFrame:
    """The headline table a brief run saved (``90_brief_headlines.csv``), with its types back."""
    table = _read(path, dtype={"area_code": str, "note": str, "area": str}, keep_default_na=False,
                  na_values={c: [""] for c in ("value", "low", "high", "n_comparison", "truth")})
    return table.astype({"n": int})


def from_run(folder: Path, parameters: dict, status: str):
    """The Word brief of the run whose outputs are in ``folder`` (``parameters``: its notebook
    parameters): the saved headline table, figures (PNG) and reference table, with the caveats
    written for the same selection."""
    folder = Path(folder)
    sel = selection.select(parameters["province"], parameters["start_year"], parameters["end_year"],
                           parameters["boundaries"], parameters["lang"])
    headline = read_headlines(folder / f"{HEADLINES}.csv")
    counts = brief.rejected_counts(sel, parameters.get("processed_dir"))
    notes = brief_text.caveats(sel, headline, counts, n_boot=parameters.get("n_boot", area_tables.N_BOOT),
                               seed=parameters.get("seed", area_tables.SEED))  # the notebook's own defaults
    refs = folder / f"{REFERENCES}.csv"
    references = (_read(refs, dtype=str, keep_default_na=False).drop(columns=list(export.STAMP_COLUMNS), errors="ignore")
                  if refs.exists() else None)
    figures = [folder / f"{stem}.png" for stem in FIGURES if (folder / f"{stem}.png").exists()]
    return build(headline, sel, status, figures, notes, references)


def save(doc, path: Path) -> Path:
    """Write ``doc`` atomically with fixed document dates and zip times (same content, same bytes)."""
    doc.core_properties.created = doc.core_properties.modified = FIXED_TIME
    doc.core_properties.author = doc.core_properties.last_modified_by = "khuyencong"
    doc.core_properties.revision = 1
    raw = io.BytesIO()
    doc.save(raw)
    return atomic_write_bytes(path, stable_zip(raw.getvalue()))
