"""Read any table file provinces send into plain grids of cells, whatever its extension says.

The real content type is sniffed from the bytes (an ``.xlsx`` may hold CSV text, an ``.xls`` may
be an HTML table a web portal exported): ``.xlsx``/``.ods`` and Excel 97-2003 (BIFF5/8) through
``python-calamine``, HTML tables, CSV (any of our encodings and separators), the tables of ``.docx``
files (streamed, those inside content controls too) and of text PDFs through ``pdfplumber``. A scanned
PDF raises :class:`NeedsOcrError`; any other unreadable file :class:`UnreadableFileError`, never a traceback.
Each reader checks what it is about to build against :mod:`khuyencong.limits` before building it
(:mod:`khuyencong.ingest.zipbounds`; here HTML spans and Word rows before they are laid out).

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
from khuyencong.ingest.zipbounds import (Extent, UnreadableFileError, check_ods, check_sheets, check_word, check_xls,
                                         open_zip, pdf_pages)

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
    """An XLSX, ODS or Excel 97-2003 workbook through calamine (which parses an .xls at about 2 M cells a second)."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    if data.startswith(OLE2_MAGIC):
        check_xls(data, path.name)  # calamine expands every sheet of an .xls when it opens it
    else:
        archive = open_zip(data, path.name)
        (check_sheets if "xl/workbook.xml" in archive.namelist() else check_ods)(archive, path.name)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged (or encrypted) workbooks
        what = "Excel 97-2003 workbook" if data.startswith(OLE2_MAGIC) else "workbook"
        raise UnreadableFileError(f"{path.name}: cannot read the {what} ({exc}); open it in Excel and save it "
                                  "again") from exc
    doc = Document("xlsx" if path.suffix.lower() != ".ods" else "ods", [], stored=stored)
    extent = Extent(path.name)
    for meta in wb.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            doc.skipped.append((meta.name, "hidden sheet"))
            continue
        try:
            ws = wb.get_sheet_by_name(meta.name)
            (r0, c0), width = ws.start or (0, 0), ws.width  # laid out from A1, as the sheet numbers its rows
            extent.close(r0 + ws.height if ws.height else 0, c0 + width if width else 0,
                         f"visible sheets up to {meta.name!r}")  # every visible sheet counts
            rows = ws.to_python(skip_empty_area=True)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in ws.merged_cell_ranges or []]
            del ws  # calamine's copy of the sheet: the workbook keeps its own
        except limits.LimitExceeded:
            raise
        except Exception as exc:  # calamine's errors for a damaged sheet
            raise UnreadableFileError(f"{path.name}: cannot read sheet {meta.name!r} ({exc})") from exc
        convert, pad = (stored_value, None) if stored else (_cell, "")
        for r in rows:  # converted in place, one row at a time: a single Python copy of the sheet
            r[:] = [pad] * c0 + [convert(v) for v in r]
        rows[:0] = [[pad] * (c0 + width) for _ in range(r0)]
        doc.grids.append(Grid(meta.name, rows, merged))
    return doc


# ---------------------------------------------------------------- HTML tables

MAX_ROWSPAN, MAX_COLSPAN = 65_534, 1_000  #: the spans HTML allows (larger ones are read as these, as browsers do)


class _TableParser(HTMLParser):
    """Rows of the first ``<table>``, rowspan/colspan laid out as merged ranges: each cell's place and width
    checked before the row is extended, a rowspan kept as the last row it covers in each column."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.merged: list[Merge] = []
        self.extent, self.width = Extent(where), 0
        self._down: dict[int, int] = {}  # column → the last row a rowspan from above covers
        self._cell: list[str] | None = None
        self._span, self._depth = (1, 1), 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
        elif tag == "tr" and self._depth == 1:
            self.rows.append([])
            self.extent.grow(len(self.rows), self.width, "HTML table")
        elif tag in ("td", "th") and self._depth == 1 and self.rows:
            a = dict(attrs)
            self._span = (_int(a.get("rowspan"), MAX_ROWSPAN), _int(a.get("colspan"), MAX_COLSPAN))
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
        while self._down.get(c, -1) >= r:
            c += 1
        rs, cs = self._span
        self.width = max(self.width, c + cs)
        self.extent.grow(len(self.rows), self.width, "HTML table")
        row.extend([""] * (c + cs - len(row)))
        row[c] = text
        if rs > 1 or cs > 1:
            self.merged.append((r, c, r + rs - 1, c + cs - 1))
        if rs > 1:
            self._down.update((c + j, r + rs - 1) for j in range(cs))


def _int(text: str | None, most: int) -> int:
    return min(max(1, int(text)), most) if (text or "").strip().isdecimal() else 1


def _read_html(data: bytes, path: Path) -> Document:
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{path.name}: HTML in an unknown encoding; save the table as .xlsx") from exc
    parser = _TableParser(path.name)
    parser.feed(text)
    if not parser.rows:
        raise UnreadableFileError(f"{path.name}: HTML without a table; save the table as .xlsx or .csv")
    last = len(parser.rows) - 1  # merged ranges end at the last row (a rowspan may promise rows that never come)
    merged = [(r0, c0, min(r1, last), c1) for r0, c0, r1, c1 in parser.merged if (min(r1, last), c1) != (r0, c0)]
    return Document("html", [Grid(path.name, _square(parser.rows), merged)], encoding=encoding)


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
    Extent(path.name).close(len(rows), max((len(r) for r in rows), default=0))
    return Document("csv", [Grid(path.name, _square(rows))], encoding=encoding, delimiter=sep)


# ---------------------------------------------------------------- Word

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WRAPPERS = frozenset({_W + "sdt", _W + "sdtContent", _W + "customXml"})  # content controls: read through
_RUN_TEXT = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


def _holder(el, through: frozenset = _WRAPPERS):
    """The element holding ``el``, content controls (and ``through``) looked through."""
    parent = el.getparent()
    while parent is not None and parent.tag in through:
        parent = parent.getparent()
    return parent


def _paragraph_text(p) -> str:
    """A paragraph's text as python-docx reads it: its runs' (its hyperlinks' and content controls' runs
    too, not a text box's) text, tabs and line breaks."""
    parts = []
    for run in p.iter(_W + "r"):
        for e in run if _holder(run, _WRAPPERS | {_W + "hyperlink"}) is p else ():
            br = e.tag == _W + "br" and e.get(_W + "type") not in ("page", "column")
            parts.append(e.text or "" if e.tag == _W + "t" else "\n" if br else _RUN_TEXT.get(e.tag, ""))
    return "".join(parts)


def _number(props, name: str, default: int) -> int:
    found = props.find(_W + name) if props is not None else None
    value = found.get(_W + "val", "") if found is not None else ""
    return int(value) if value.isdigit() else default


class _WordTable:
    """A body table read row by row: a cell spanning columns (``w:gridSpan``) or continued down
    (``w:vMerge``) keeps its text in its first grid cell and is merged into it; each row is checked
    against the limits before it is laid out."""

    def __init__(self, number: int, extent: Extent):
        self.number, self.extent, self.width, self.count = number, extent, 0, 0
        self.rows, self.merged = [], []
        self.texts, self.cells = [], []  # the paragraphs of the cell, the cells of the row being read
        self.previous, self.starts = [], {}  # the row above: the cell in each grid column, starting at each

    def end_cell(self, tc) -> None:
        props = tc.find(_W + "tcPr")
        merge = props.find(_W + "vMerge") if props is not None else None
        continued = merge is not None and merge.get(_W + "val", "continue") == "continue"
        self.cells.append((max(_number(props, "gridSpan", 1), 1), continued, cell_text("\n".join(self.texts))))
        self.texts = []

    def end_row(self, tr) -> None:
        self.width = max(self.width, sum(span for span, _, _ in self.cells))
        self.extent.grow(len(self.rows) + 1, self.width, f"table {self.number}")
        r, offset, row, cells, starts = len(self.rows), _number(tr.find(_W + "trPr"), "gridBefore", 0), [], [], {}
        for span, continued, text in self.cells:
            self.count += 1
            starts[offset] = cell = self.starts.get(offset, self.count) if continued else self.count
            offset += span
            for c in range(len(cells), len(cells) + span):
                left, up = c > 0 and cells[-1] == cell, c < len(self.previous) and self.previous[c] == cell
                row.append("" if left or up else text)
                cells.append(cell)
                if left or up:
                    self.merged.append((r - 1 if up else r, c if up else c - 1, r, c))
        self.rows.append(row)
        self.previous, self.starts, self.cells = cells, starts, []


def _read_docx(data: bytes, path: Path) -> Document:
    """The body's tables of a Word file streamed from ``word/document.xml``: each paragraph, cell and row
    is read when it ends and let go, so memory holds the grids, never the XML tree (python-docx's took
    about 12 times the XML). Tables, rows, cells and paragraphs inside content controls (``w:sdt``) are
    read where they stand; a nested table's or a text box's text is not read."""
    from lxml import etree

    archive = open_zip(data, path.name)
    check_word(archive, path.name)
    grids, above, extent, table, depth = [], [], Extent(path.name), None, 0
    try:
        with archive.open("word/document.xml") as stream:
            for event, el in etree.iterparse(stream, ("start", "end"), tag=[_W + t for t in ("tbl", "tr", "tc", "p")],
                                             resolve_entities=False, no_network=True):
                tag, holder = el.tag[len(_W):], getattr(_holder(el), "tag", "")
                if event == "start":
                    depth += tag == "tbl"
                    if tag == "tbl" and depth == 1 and holder == _W + "body":
                        table = _WordTable(len(grids) + 1, extent)
                    continue
                if tag == "p" and depth == 0 and holder == _W + "body" and (text := cell_text(_paragraph_text(el))):
                    above.append(text)
                elif tag == "p" and depth == 1 and table and holder == _W + "tc":
                    table.texts.append(_paragraph_text(el))
                elif tag in ("tc", "tr") and depth == 1 and table:
                    (table.end_cell if tag == "tc" else table.end_row)(el)
                elif tag == "tbl":
                    if depth == 1 and table:
                        extent.close(len(table.rows), table.width, f"table {table.number}")
                        n = table.number
                        grids.append(Grid(f"table {n}", _square(table.rows), table.merged, above, n))
                        above, table = [], None
                    depth -= 1
                el.getparent().remove(el)  # read: let it go
    except limits.LimitExceeded:
        raise
    except Exception as exc:  # lxml's syntax errors, a damaged zip member
        raise UnreadableFileError(f"{path.name}: cannot read the Word document ({exc})") from exc
    if not grids:
        raise UnreadableFileError(f"{path.name}: the Word document holds no table")
    return Document("docx", grids)


# ---------------------------------------------------------------- PDF

def _read_pdf(data: bytes, path: Path) -> Document:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf_pages(pdf.doc)
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise UnreadableFileError(f"{path.name}: cannot read the PDF ({exc})") from exc
    with pdf:
        limits.PAGES.check(pages, path.name)
        grids, text = _pdf_grids(pdf.pages, Extent(path.name))
    if not text:
        raise NeedsOcrError(f"{path.name}: the PDF has no text layer (a scan): it needs OCR before its "
                            "table can be read; no rows were read")
    if not grids:
        raise UnreadableFileError(f"{path.name}: no ruled table found in the PDF's text")
    return Document("pdf", grids)


def _pdf_grids(pages, extent: Extent) -> tuple[list[Grid], bool]:
    """The tables of the pages (one read at a time), and whether any page has a text layer."""
    grids: list[Grid] = []
    text = False
    for page in pages:
        text, top = text or bool((page.extract_text() or "").strip()), 0.0
        for found in page.find_tables():
            rows = found.extract()
            extent.close(len(rows), max((len(r) for r in rows), default=0), f"tables up to page {page.page_number}")
            lines = (page.crop((0, top, page.width, found.bbox[1])).extract_text() or "").splitlines()
            top = found.bbox[3]
            if grids and not any(line.strip() for line in lines) and len(rows[0]) == len(grids[-1].rows[0]):
                grids[-1].rows.extend(_square(rows))  # a table continued on the next page
                continue
            above = [cell_text(line) for line in lines if line.strip()]
            grids.append(Grid(f"table {len(grids) + 1}", _square(rows), [], above, len(grids) + 1))
        page.close()  # pdfplumber keeps every page's characters until told
    return grids, text


_READERS = {"xlsx": _read_calamine, "ods": _read_calamine, "xls": _read_calamine, "html": _read_html,
            "csv": _read_csv, "docx": _read_docx, "pdf": _read_pdf}
