"""The province brief (notebook 90) as an editable Word file, from the same document as its PDF.

:func:`build` lays out a ``python-docx`` document from the brief's document
(:class:`khuyencong.views.brief_doc.BriefDocument`, saved by the brief run): title, period and
data status, the headline table with 95% intervals, the plain-language reading, the map and the
figures (the PNGs the run saved), the published figures with their sources, and the method and
caveats. Every page's header and footer carry the data status. Text is set in DejaVu Sans for every
script slot (Latin, East Asian, complex), which has all Vietnamese glyphs. :func:`save` writes
byte-identical files for identical content.
"""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from khuyencong.files import FIXED_TIME, atomic_write_bytes, stable_zip
from khuyencong.views import brief_doc

FONT = "DejaVu Sans"
RED = RGBColor(0xB0, 0x00, 0x20)


def _font(style_or_run) -> None:
    """DejaVu Sans in every script slot of a style's or run's font."""
    style_or_run.font.name = FONT
    fonts = style_or_run.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def _table(doc, header: list[str], rows: list[list[str]], size: float = 8) -> None:
    table = doc.add_table(rows=1, cols=len(header), style="Table Grid")
    for cell, name in zip(table.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].add_run(name).bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value
    for row in table.rows:
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(size)


def _status(doc, brief: brief_doc.BriefDocument) -> None:
    """The status box, and the status mark in every page's header and footer."""
    par = doc.add_paragraph()
    head = par.add_run(brief.status_title)
    head.bold = True
    if brief.synthetic:
        head.font.color.rgb = RED
    par.add_run("\n" + brief.status_text)
    for section in doc.sections:
        for part in (section.header, section.footer):
            mark = part.paragraphs[0].add_run(brief.mark)
            mark.bold, mark.font.size = True, Pt(8)
            if brief.synthetic:
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


def build(brief: brief_doc.BriefDocument, folder: Path | str):
    """The Word document of ``brief``, with the figures (``<stem>.png``) found in ``folder``."""
    folder, h = Path(folder), brief.headings
    doc = _new_document()
    doc.add_heading(brief.title, level=0)
    doc.add_paragraph(brief.subtitle).runs[0].bold = True
    _status(doc, brief)
    doc.add_heading(h["br_h_numbers"], level=1)
    doc.add_paragraph(brief.numbers_note)
    rows = [[line.label, *("\n".join(p for p in cell if p) for cell in line.cells), line.note] for line in brief.lines]
    _table(doc, [h["indicator"], *brief.areas, h["cf_col_note"]], rows)
    bullet = doc.styles["List Bullet"]  # a style found once: python-docx looks names up slowly
    doc.add_heading(h["br_h_reading"], level=1)
    for line in brief.reading:
        doc.add_paragraph(line, style=bullet)
    for figure in ([brief.map] if brief.map else []):
        doc.add_paragraph(figure.caption).runs[0].bold = True
        doc.add_picture(str(folder / f"{figure.stem}.png"), height=Cm(12))
    if brief.figures or brief.figure_notes:
        doc.add_heading(h["br_h_figures"], level=1)
        for note in brief.figure_notes:
            doc.add_paragraph(note)
        for figure in brief.figures:
            doc.add_paragraph(figure.caption).runs[0].bold = True
            doc.add_picture(str(folder / f"{figure.stem}.png"), width=Cm(16.5))
    doc.add_heading(h["br_h_published"], level=1)
    doc.add_paragraph(brief.published_note)
    if brief.references:
        _table(doc, [h["cf_col_what"], h["col.area"], h["col.period"], h["col.value"], h["col.source"]],
               [[r.what, r.area, r.period, r.value, brief_doc.citation(r)] for r in brief.references], size=7)
    doc.add_heading(h["br_h_method"], level=1)
    for line in brief.method:
        doc.add_paragraph(line, style=bullet)
    return doc


def from_run(folder: Path | str):
    """The Word brief of the run whose outputs are in ``folder`` (its saved document and figures)."""
    return build(brief_doc.load(folder), folder)


def save(doc, path: Path) -> Path:
    """Write ``doc`` atomically with fixed document dates and zip times (same content, same bytes)."""
    doc.core_properties.created = doc.core_properties.modified = FIXED_TIME
    doc.core_properties.author = doc.core_properties.last_modified_by = "khuyencong"
    doc.core_properties.revision = 1
    raw = io.BytesIO()
    doc.save(raw)
    return atomic_write_bytes(path, stable_zip(raw.getvalue()))
