"""Print an HTML report to an A4 PDF with headless Chromium.

The printed copy gets a print style sheet: A4 pages with page numbers ("3 / 12") and a note in
the page margin on every page — the SYNTHETIC warning when the report says its data are
synthetic, else the data-status line — and no external scripts (the reports need none, and a
print must not wait for the network). Chromium's own header and footer (date, file path) are
off, and the PDF's creation dates are fixed, so the same HTML gives the same PDF bytes.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from khuyencong.errors import EnvironmentProblem
from khuyencong.files import atomic_write_bytes

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I)
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:[0-9+\-Z']+\)")
FIXED_DATE = b"D:20000101000000+00'00'"

PRINT_CSS = """
@page { size: A4; margin: 16mm 13mm 18mm 13mm;
  @top-center { content: "%(banner)s"; color: %(colour)s; font: 700 9pt "DejaVu Sans", sans-serif; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 9pt "DejaVu Sans", sans-serif; }
  @bottom-left { content: "%(footer)s"; color: #555; font: 8pt "DejaVu Sans", sans-serif; } }
@media print {
  body, .jp-RenderedHTMLCommon { font-family: "DejaVu Sans", sans-serif; }
  pre { font-family: "DejaVu Sans", sans-serif; white-space: pre-wrap; }
  .jp-Cell, .jp-OutputArea-output, table, figure, img { break-inside: avoid; }
  img { max-width: 100%% !important; height: auto; }
  .jp-Notebook { padding: 0 !important; }
}
"""


def browser() -> str:
    """The path of a Chromium-like browser; EnvironmentProblem (exit 5) naming the fix when none is installed."""
    wanted = os.environ.get("KHUYENCONG_CHROMIUM")
    for name in ((wanted,) if wanted else BROWSERS):
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentProblem("PDF output needs headless Chromium and none was found "
                             f"(looked for {', '.join((wanted,) if wanted else BROWSERS)}): install it "
                             "(Debian/Ubuntu: apt-get install chromium fonts-dejavu-core), set "
                             "KHUYENCONG_CHROMIUM to its path, or run without pdf in --formats")


def _css_text(text: str) -> str:
    """``text`` as the inside of a CSS string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def print_html(html: str, banner: str = "", footer: str = "", alert: bool = False) -> str:
    """``html`` ready to print: external scripts removed, the print style sheet added.
    ``banner`` goes in the top margin of every page (red and bold when ``alert``), ``footer``
    in the bottom-left margin."""
    css = PRINT_CSS % {"banner": _css_text(banner), "footer": _css_text(footer),
                       "colour": "#c00000" if alert else "#333"}
    html = _EXTERNAL_SCRIPT.sub("", html)
    head_end = html.find("</head>")
    style = f"<style>{css}</style>"
    return html[:head_end] + style + html[head_end:] if head_end >= 0 else style + html


def fix_dates(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to :data:`FIXED_DATE` (same length
    as Chromium's, so the cross-reference offsets stay valid)."""
    def repl(m: re.Match) -> bytes:
        fixed = b"/" + m.group(1) + b" (" + FIXED_DATE + b")"
        return fixed if len(fixed) == len(m.group(0)) else m.group(0)
    return _DATES.sub(repl, pdf)


def html_to_pdf(html_path: Path, pdf_path: Path, banner: str = "", footer: str = "", alert: bool = False,
                timeout: int = TIMEOUT_S) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, page numbers, ``banner``/``footer`` on every page), atomically."""
    exe = browser()
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="kc-pdf-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(print_html(html_path.read_text(encoding="utf-8"), banner, footer, alert), encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-dev-shm-usage", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
               "--run-all-compositor-stages-before-draw", f"--print-to-pdf={out}", page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(f"Chromium did not print {html_path.name} within {timeout} s") from None
        if not out.exists() or out.stat().st_size == 0:
            detail = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise EnvironmentProblem(f"Chromium could not print {html_path.name} to PDF: {detail}")
        atomic_write_bytes(pdf_path, fix_dates(out.read_bytes()))
    return pdf_path


def status_lines(synthetic: bool, synthetic_note: str, real_note: str, title: str) -> dict:
    """Keyword arguments of :func:`html_to_pdf` for a report: the SYNTHETIC warning on top of
    every page of a synthetic report, else the real-data note; the title bottom left."""
    return {"banner": synthetic_note if synthetic else real_note, "footer": title, "alert": synthetic}

