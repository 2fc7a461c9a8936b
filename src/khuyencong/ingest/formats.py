"""Read any table file provinces send into plain grids of cells, whatever its extension says.

The real content type is sniffed from the bytes (an ``.xlsx`` may hold CSV text, an ``.xls`` may
be an HTML table a web portal exported): ``.xlsx``/``.ods`` through ``python-calamine``, Excel
97-2003 (BIFF) through ``xlrd``, HTML tables, CSV (any of our encodings and separators), tables
of ``.docx`` files through ``python-docx`` and of text PDFs through ``pdfplumber``. A scanned PDF
(no text layer) raises :class:`NeedsOcrError`; any other unreadable file raises
:class:`UnreadableFileError`, never a traceback.

A :class:`Grid` holds cell values (NFC text stripped, numbers as read, ``""`` for empty); a
merged cell keeps its value in its top-left cell only, and ``merged`` lists the ranges.
Hidden sheets are not read: :attr:`Document.skipped` says so. :func:`read_workbook` reads an
``.xlsx`` the same way but keeps its cells as the workbook stores them (see :func:`stored_value`).
"""
from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path

from khuyencong import limits
from khuyencong.ingest.csvfile import decode_bytes, read_csv_rows
from khuyencong.ingest.zipbounds import UnreadableFileError, check_sheets, open_zip

log = logging.getLogger(__name__)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSION_KIND = {".xlsx": "xlsx", ".xlsm": "xlsx", ".ods": "ods", ".xls": "xls", ".csv": "csv",
                  ".tsv": "csv", ".txt": "csv", ".htm": "html", ".html": "html", ".docx": "docx", ".pdf": "pdf"}
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based, inclusive)
#: Integers below this size are written by Excel as plain digits (``4``, never ``4.0`` or ``4E+0``).
EXACT_INTEGERS = 1e15


class NeedsOcrError(UnreadableFileError):
    """A PDF without a text layer (a scan): its table must go through OCR first."""


@dataclass
class Grid:
    """One table: a sheet, a Word table or a PDF table, as rows of cell values."""

    name: str
    rows: list[list[object]]
    merged: list[Merge] = field(default_factory=list)
    above: list[str] = field(default_factory=list)  # text lines above the table (Word/PDF)
    table: int | None = None  # 1-based table number in a Word/PDF file


@dataclass
class Document:
    """What :func:`read_document` found in one file."""

    kind: str  # xlsx, ods, xls, html, csv, docx, pdf
    grids: list[Grid]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why)
    notices: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    stored: bool = False  # cells as the workbook stores them (:func:`read_workbook`), not stripped text


def cell_text(value: object) -> str:
    """A cell as NFC text without surrounding spaces (``""`` for empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def _cell(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return cell_text(value)
    return value if isinstance(value, (int, float)) else cell_text(value)


def _square(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(r) for r in rows), default=0)
    return [[_cell(v) for v in r] + [""] * (width - len(r)) for r in rows]


def stored_value(value: object) -> object:
    """A calamine cell as the workbook stores it: calamine returns every number as a float and a
    date as :class:`~datetime.date`, where the file holds ``<v>4</v>`` and a date-time serial; so an
    integral float is an ``int`` (``4``, not ``4.0``, in the rejected-rows files), a date a midnight
    :class:`~datetime.datetime`, empty ``None``, text NFC but not stripped, and ``4.5`` stays ``4.5``."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -EXACT_INTEGERS < value < EXACT_INTEGERS else value
    if kind is str:
        if not value:
            return None
        return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
    if kind is date:
        return datetime.combine(value, time())
    return value


def _stored_rows(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(r) for r in rows), default=0)
    return [[stored_value(v) for v in r] + [None] * (width - len(r)) for r in rows]


# ---------------------------------------------------------------- sniffing

def sniff(data: bytes, path: Path) -> str:
    """The content type of ``data`` (not its extension's)."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "xls"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, path)
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lower()
    if head.lstrip().startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) or b"<table" in head:
        return "html"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFileError(f"{path.name}: binary content that is no table format this reader knows "
                                  "(.xlsx, .xls, .ods, .csv, .docx, .pdf); save it as .xlsx or .csv")
    return "csv"


def _zip_kind(data: bytes, path: Path) -> str:
    names = set(open_zip(data, path.name).namelist())
    if "word/document.xml" in names or "xl/workbook.xml" in names:
        if "[Content_Types].xml" not in names:
            raise UnreadableFileError(f"{path.name}: an incomplete Office file (no [Content_Types].xml in the "
                                      "zip); open it in Excel or Word and save it again")
        return "docx" if "word/document.xml" in names else "xlsx"
    if "content.xml" in names:
        return "ods"
    raise UnreadableFileError(f"{path.name}: a zip file that is neither a workbook nor a Word document")


def read_document(path: Path | str) -> Document:
    """Read every table in ``path`` (see the module docstring)."""
    path = Path(path)
    data = path.read_bytes()
    kind = sniff(data, path)
    doc = _READERS[kind](data, path)
    doc.kind = kind
    expected = EXTENSION_KIND.get(path.suffix.lower())
    if expected and expected != kind and not (expected == "xlsx" and kind == "ods"):
        doc.notices.append(f"content is {kind.upper()} although the extension is {path.suffix}: read as {kind.upper()}")
    for note in doc.notices:
        log.info("%s: %s", path.name, note)
    return doc


# ---------------------------------------------------------------- spreadsheets

def read_workbook(path: Path | str) -> Document:
    """The visible sheets of an ``.xlsx`` (or ``.ods``) with cells as stored (:func:`stored_value`):
    the fast reader for a register laid out under a header row, typed as openpyxl types it."""
    path = Path(path)
    return _read_calamine(path.read_bytes(), path, stored=True)


def _read_calamine(data: bytes, path: Path, stored: bool = False) -> Document:
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    archive = open_zip(data, path.name)
    if "xl/workbook.xml" in archive.namelist():
        check_sheets(archive, path.name)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        raise UnreadableFileError(f"{path.name}: cannot read the workbook ({exc}); open it in Excel and save it "
                                  "again") from exc
    doc = Document("xlsx" if path.suffix.lower() != ".ods" else "ods", [], stored=stored)
    cells = 0
    for meta in wb.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            doc.skipped.append((meta.name, "hidden sheet"))
            continue
        try:
            ws = wb.get_sheet_by_name(meta.name)
        except Exception as exc:  # calamine's errors for a damaged sheet
            raise UnreadableFileError(f"{path.name}: cannot read sheet {meta.name!r} ({exc})") from exc
        cells += ws.height * ws.width  # every visible sheet becomes Python cells: the file's total counts
        limits.CELLS.check(cells, f"{path.name} (visible sheets up to {meta.name!r})")
        try:
            r0, c0 = ws.start or (0, 0)
            rows = [[""] * c0 + list(r) for r in ws.to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine's errors for a damaged sheet
            raise UnreadableFileError(f"{path.name}: cannot read sheet {meta.name!r} ({exc})") from exc
        rows = [[] for _ in range(r0)] + rows
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (ws.merged_cell_ranges or [])]
        doc.grids.append(Grid(meta.name, (_stored_rows if stored else _square)(rows), merged))
    return doc


def _read_xls(data: bytes, path: Path) -> Document:
    import xlrd

    try:
        wb = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except Exception as exc:  # xlrd raises XLRDError and struct errors on damaged files
        raise UnreadableFileError(f"{path.name}: cannot read the Excel 97-2003 workbook ({exc})") from exc
    doc = Document("xls", [])
    for ws in wb.sheets():
        if ws.visibility:
            doc.skipped.append((ws.name, "hidden sheet"))
            continue
        rows = [ws.row_values(i) for i in range(ws.nrows)]
        merged = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in ws.merged_cells]
        doc.grids.append(Grid(ws.name, _square(rows), merged))
    return doc


# ---------------------------------------------------------------- HTML tables

class _TableParser(HTMLParser):
    """Rows of the first ``<table>``, with rowspan/colspan expanded into merged ranges."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.merged: list[Merge] = []
        self._taken: set[tuple[int, int]] = set()
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
        elif tag == "tr" and self._depth == 1:
            self.rows.append([])
        elif tag in ("td", "th") and self._depth == 1 and self.rows:
            a = dict(attrs)
            self._span = (_int(a.get("rowspan")), _int(a.get("colspan")))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._place(cell_text("".join(self._cell)))
            self._cell = None
        elif tag == "table":
            self._depth -= 1

    def _place(self, text: str) -> None:
        r, row = len(self.rows) - 1, self.rows[-1]
        c = len(row)
        while (r, c) in self._taken:
            c += 1
        row.extend([""] * (c - len(row) + 1))
        row[c] = text
        rs, cs = self._span
        if rs > 1 or cs > 1:
            self.merged.append((r, c, r + rs - 1, c + cs - 1))
        self._taken.update((r + i, c + j) for i in range(rs) for j in range(cs))
        row.extend([""] * (c + cs - len(row)))


def _int(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


def _read_html(data: bytes, path: Path) -> Document:
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{path.name}: HTML in an unknown encoding; save the table as .xlsx") from exc
    parser = _TableParser()
    parser.feed(text)
    if not parser.rows:
        raise UnreadableFileError(f"{path.name}: HTML without a table; save the table as .xlsx or .csv")
    return Document("html", [Grid(path.name, _square(parser.rows), parser.merged)], encoding=encoding)


# ---------------------------------------------------------------- CSV

def _delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    return max((";", "\t", ","), key=lambda sep: (sum(ln.count(sep) for ln in lines), sep == ","))


def _read_csv(data: bytes, path: Path) -> Document:
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{path.name}: text in an unknown encoding; save it as UTF-8 CSV") from exc
    sep = _delimiter(text)
    rows = read_csv_rows(text, sep, path.name)
    limits.CELLS.check(len(rows) * max((len(r) for r in rows), default=0), path.name)
    return Document("csv", [Grid(path.name, _square(rows))], encoding=encoding, delimiter=sep)


# ---------------------------------------------------------------- Word

def _docx_rows(table) -> tuple[list[list[str]], list[Merge]]:
    rows: list[list[str]] = []
    merged: list[Merge] = []
    previous: list = []
    for r, row in enumerate(table.rows):
        cells = list(row.cells)
        texts = []
        for c, cell in enumerate(cells):
            left = c > 0 and cells[c - 1]._tc is cell._tc
            up = c < len(previous) and previous[c]._tc is cell._tc
            texts.append("" if left or up else cell_text(cell.text))
            if left or up:
                merged.append((r - 1 if up else r, c if up else c - 1, r, c))
        rows.append(texts)
        previous = cells
    return rows, merged


def _read_docx(data: bytes, path: Path) -> Document:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise UnreadableFileError(f"{path.name}: cannot read the Word document ({exc})") from exc
    grids: list[Grid] = []
    above: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            text = cell_text(Paragraph(child, document).text)
            above += [text] if text else []
        elif child.tag.endswith("}tbl"):
            rows, merged = _docx_rows(Table(child, document))
            grids.append(Grid(f"table {len(grids) + 1}", _square(rows), merged, above, len(grids) + 1))
            above = []
    if not grids:
        raise UnreadableFileError(f"{path.name}: the Word document holds no table")
    return Document("docx", grids)


# ---------------------------------------------------------------- PDF

def _read_pdf(data: bytes, path: Path) -> Document:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise UnreadableFileError(f"{path.name}: cannot read the PDF ({exc})") from exc
    with pdf:
        if not any((page.extract_text() or "").strip() for page in pdf.pages):
            raise NeedsOcrError(f"{path.name}: the PDF has no text layer (a scan): it needs OCR before its "
                                "table can be read; no rows were read")
        grids = _pdf_grids(pdf.pages)
    if not grids:
        raise UnreadableFileError(f"{path.name}: no ruled table found in the PDF's text")
    return Document("pdf", grids)


def _pdf_grids(pages) -> list[Grid]:
    grids: list[Grid] = []
    for page in pages:
        top = 0.0
        for found in page.find_tables():
            rows = found.extract()
            lines = (page.crop((0, top, page.width, found.bbox[1])).extract_text() or "").splitlines()
            top = found.bbox[3]
            if grids and not any(line.strip() for line in lines) and len(rows[0]) == len(grids[-1].rows[0]):
                grids[-1].rows.extend(_square(rows))  # a table continued on the next page
                continue
            above = [cell_text(line) for line in lines if line.strip()]
            grids.append(Grid(f"table {len(grids) + 1}", _square(rows), [], above, len(grids) + 1))
    return grids


_READERS = {"xlsx": _read_calamine, "ods": _read_calamine, "xls": _read_xls, "html": _read_html,
            "csv": _read_csv, "docx": _read_docx, "pdf": _read_pdf}
