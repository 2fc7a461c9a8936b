"""The province brief as an A4 PDF typeset by Typst: no browser, no LaTeX.

:func:`pdf` compiles ``templates/brief.typ`` (layout only) with the brief's document
(:mod:`khuyencong.views.brief_doc`) and the SVG figures its run saved, all passed as inputs, so
nothing is read from outside the package. The fonts are DejaVu Sans as matplotlib ships it (the
same the figures use; every Vietnamese glyph), embedded, with the system's fonts ignored: the same
document gives the same bytes on any machine. The PDF's title is the brief's title and it carries
no date.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from khuyencong.files import atomic_write_bytes
from khuyencong.views import brief_doc

TEMPLATE = Path(__file__).resolve().parent / "templates" / "brief.typ"


@lru_cache(maxsize=1)
def font_dir() -> str:
    """matplotlib's own font folder (DejaVu Sans and its bold and oblique faces)."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


def pdf_bytes(doc: brief_doc.BriefDocument, folder: Path | str) -> bytes:
    """The PDF of ``doc`` with the figures (``<stem>.svg``) found in ``folder``."""
    import typst

    folder = Path(folder)
    inputs = {"brief": json.dumps(asdict(doc), ensure_ascii=False)}
    for figure in ([doc.map] if doc.map else []) + list(doc.figures):
        inputs[f"fig:{figure.stem}"] = (folder / f"{figure.stem}.svg").read_text(encoding="utf-8")
    return typst.compile(str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=[font_dir()],
                         ignore_system_fonts=True, sys_inputs=inputs)


def pdf(folder: Path | str, out: Path | str, doc: brief_doc.BriefDocument | None = None) -> Path:
    """Typeset the brief a run saved in ``folder`` (its figures, and :data:`brief_doc.FILE` unless
    ``doc`` is given) to ``out``."""
    return atomic_write_bytes(Path(out), pdf_bytes(doc or brief_doc.load(folder), folder))
