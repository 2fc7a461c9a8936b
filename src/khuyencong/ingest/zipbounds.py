"""Size checks made *before* anything is expanded: zips, sheets, Word tables, XLS workbooks, PDF pages.

A few kilobytes of zip can expand to gigabytes of XML, and a tiny sheet can put one cell at
``XFD1048576`` so that a reader allocates a grid of 17 billion cells. :func:`open_zip` reads the
member sizes from the zip's central directory (nothing is decompressed) and checks them against
:data:`khuyencong.limits.UNCOMPRESSED` and :data:`khuyencong.limits.ZIP_RATIO`. Each reader then
learns the size of the grids it is about to build from a streaming pass that keeps only counters,
and checks it with an :class:`Extent` (rows, columns, and the cells of the whole file, a grid
counted from its first cell as the readers lay it out): :func:`check_sheets` (XLSX: the real
extent of the cells holding a value, never the stored ``<dimension>``), :func:`check_ods`
(``table:number-rows-repeated`` and ``number-columns-repeated`` counted, never expanded),
:func:`check_word` (table rows and cells, ``w:gridSpan`` counted) and :func:`check_xls` (the cell
records of every sheet of a BIFF stream: what calamine expands when it opens the file);
:func:`pdf_pages` counts a PDF's pages for :data:`khuyencong.limits.PAGES`. Any of them raises
:class:`khuyencong.limits.LimitExceeded`.
"""
from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile

from khuyencong import limits
from khuyencong.errors import InputError

_RATIO_FROM = 1 << 20  # small members cannot expand far; only those above 1 MB count for the ratio
_CHUNK = 1 << 20
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)(\d*)["']""")
#: A cell holding a value (not self-closing), with and without its reference captured.
_VALUED = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s>])[^>]*(?<!/)>")
_VALUED_REF = re.compile(rb"""<(?:[\w.-]+:)?c\s[^>]*?(?<=\s)r\s*=\s*["']([A-Za-z]{1,3})(\d{1,7})["'][^>]*(?<!/)>""")


class UnreadableFileError(InputError):
    """The file's content is not a table format this reader knows, or it is damaged
    (defined here, the lowest reading module; :mod:`khuyencong.ingest.formats` is where it is used)."""


def open_zip(data: bytes, where: str) -> zipfile.ZipFile:
    """The zip file in ``data``, its member sizes checked against the limits."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise UnreadableFileError(f"{where}: damaged zip container ({exc}); open and save it again") from None
    limits.UNCOMPRESSED.check(sum(m.file_size for m in members), where)
    for m in members:
        if m.file_size > _RATIO_FROM:
            limits.ZIP_RATIO.check(round(m.file_size / max(m.compress_size, 1), 1), f"{where} ({m.filename})")
    return zf


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def sheet_extent(stream) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column), 1-based, of the cells holding a value
    (a self-closing ``<c .../>`` holds none); (0, 0, 0, 0) for an empty sheet.

    Cells that carry their reference (``r="B12"``, as every spreadsheet program writes them) are
    gathered by one regex pass per 1 MB chunk, in C; only unique rows and column letters are turned
    into numbers (memory stays bounded by the sheet's extent). A sheet with a valued cell lacking its
    reference is read again cell by cell.
    """
    letters: set[bytes] = set()
    rows: set[bytes] = set()
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        text = rest + chunk
        cut = text.rfind(b"<") if chunk else len(text)
        refs = _VALUED_REF.findall(text, 0, max(cut, 0))
        if len(refs) != len(_VALUED.findall(text, 0, max(cut, 0))):
            stream.seek(0)
            return _extent_cell_by_cell(stream)
        if refs:
            found_letters, found_rows = zip(*refs)
            letters.update(found_letters)
            rows.update(found_rows)
        if not chunk:
            break
        rest = text[cut:] if cut >= 0 else b""
    if not rows:
        return 0, 0, 0, 0
    columns = [_column_number(x) for x in letters]
    numbers = [int(x) for x in rows]
    return min(numbers), min(columns), max(numbers), max(columns)


def _extent_cell_by_cell(stream) -> tuple[int, int, int, int]:
    """:func:`sheet_extent` for sheets whose cells or rows may omit their reference (counted in order)."""
    row = col = 0
    box = [0, 0, 0, 0]
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        text = rest + chunk
        cut = text.rfind(b"<") if chunk else len(text)
        for match in _TAG.finditer(text, 0, max(cut, 0)):
            ref = _REF.search(match.group(2))
            if match.group(1) == b"row":
                row, col = (int(ref.group(2)) if ref and ref.group(2) else row + 1), 0
                continue
            col = _column_number(ref.group(1)) if ref and ref.group(1) else col + 1
            if not match.group(2).rstrip().endswith(b"/"):
                r = int(ref.group(2)) if ref and ref.group(2) else row
                box = [min(box[0] or r, r), min(box[1] or col, col), max(box[2], r), max(box[3], col)]
        if not chunk:
            return tuple(box)
        rest = text[cut:] if cut >= 0 else b""


class Extent:
    """The grids a reader is about to build, checked against the row, column and cell limits as they grow.

    ``grow(rows, columns)`` checks the grid being built (with the file's grids finished before it);
    ``close(rows, columns)`` adds a finished grid to the file's cells. The limits are read once.
    """

    def __init__(self, where: str):
        self.where = where
        self.rows, self.columns, self.cells = (lim.value() for lim in (limits.ROWS, limits.COLUMNS, limits.CELLS))
        self.done = 0

    def grow(self, rows: int, columns: int, what: str = "") -> None:
        """Raise :class:`~khuyencong.limits.LimitExceeded` when this grid breaks a limit."""
        if rows > self.rows or columns > self.columns or self.done + rows * columns > self.cells:
            shown = f"{self.where} ({what})" if what else self.where
            limits.ROWS.check(rows, shown)
            limits.COLUMNS.check(columns, shown)
            limits.CELLS.check(self.done + rows * columns, shown)

    def close(self, rows: int, columns: int, what: str = "") -> None:
        """A finished grid: checked, then counted in the file's cells."""
        self.grow(rows, columns, what)
        self.done += rows * columns


def check_sheets(zf: zipfile.ZipFile, where: str) -> None:
    """Every worksheet of an XLSX within the cell, row and column limits, by its real extent
    counted from A1 (the reader lays a sheet out from A1, leading empty rows and columns included)."""
    for name in sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        with zf.open(name) as stream:
            _, _, r1, c1 = sheet_extent(stream)
        if r1:
            Extent(f"{where} ({name.rsplit('/', 1)[-1]}, cells up to row {r1}, column {c1})").close(r1, c1)


def _tags(stream, pattern: re.Pattern):
    """The groups of each match of ``pattern`` in an XML stream read 1 MB at a time (a tag is never cut)."""
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        text = rest + chunk
        cut = text.rfind(b"<") if chunk else len(text)
        yield from pattern.findall(text, 0, max(cut, 0))
        if not chunk:
            return
        rest = text[cut:] if cut >= 0 else b""


_ODS_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
_ODS_REPEAT = re.compile(rb"""number-(?:rows|columns)-repeated\s*=\s*["']\s*(\d+)""")
_ODS_NAME = re.compile(rb"""\s(?:[\w.-]+:)?name\s*=\s*["']([^"']*)["']""")


def _repeat(attributes: bytes) -> int:
    found = _ODS_REPEAT.search(attributes)
    return max(1, int(found.group(1))) if found else 1


def check_ods(zf: zipfile.ZipFile, where: str) -> None:
    """Every table of an ODS's ``content.xml`` within the limits, its repeated rows and cells counted.

    A cell holds a value when it has a value type or content (it is not self-closing); a sheet ends
    at its last such cell, so the empty rows and columns LibreOffice repeats to the sheet's end do not
    count. Every sheet counts, hidden ones too: the reader's library expands them all when it opens
    the file.
    """
    if "content.xml" not in zf.namelist():
        return
    extent = Extent(where)
    # per open table: name, rows so far, last row and last column holding a value; then, of the row
    # being read: how many times it repeats, its columns so far, whether it holds a value
    stack: list[list] = []
    with zf.open("content.xml") as stream:
        for closing, tag, attributes in _tags(stream, _ODS_TAG):
            if tag == b"table":
                if closing and stack:
                    name, _, last_row, last_col, *_ = stack.pop()
                    extent.close(last_row, last_col, f"sheet {name!r}")
                elif not closing and not attributes.endswith(b"/"):
                    name = _ODS_NAME.search(attributes)
                    stack.append([name.group(1).decode("utf-8", "replace") if name else "?", 0, 0, 0, 1, 0, False])
            elif not stack:
                continue
            elif tag == b"table-row":
                sheet = stack[-1]
                if not closing:
                    sheet[4], sheet[5], sheet[6] = _repeat(attributes), 0, False
                if closing or attributes.endswith(b"/"):
                    if sheet[6]:
                        sheet[2] = sheet[1] + sheet[4]
                    sheet[1] += sheet[4]
                    extent.grow(sheet[2], sheet[3], f"sheet {sheet[0]!r}")
            elif not closing:
                sheet = stack[-1]
                sheet[5] += _repeat(attributes)
                if b"value-type" in attributes or not attributes.endswith(b"/"):
                    sheet[3], sheet[6] = max(sheet[3], sheet[5]), True
                    extent.grow(sheet[1] + sheet[4], sheet[3], f"sheet {sheet[0]!r}")


_WORD_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(tbl|tr|tc|gridSpan)(?=[\s/>])([^>]*)>")
_WORD_VAL = re.compile(rb"""\s(?:[\w.-]+:)?val\s*=\s*["']\s*(\d+)""")


def check_word(zf: zipfile.ZipFile, where: str) -> None:
    """Every table of a DOCX's ``word/document.xml`` within the limits: its rows, and its width in grid
    columns (a cell spanning ``w:gridSpan`` columns counts as many); nested tables and tables inside
    content controls (``w:sdt``) count like the others. Read as a stream, before the XML is parsed."""
    if "word/document.xml" not in zf.namelist():
        return
    extent = Extent(where)
    stack: list[list[int]] = []  # per open table: number, rows, width, columns in the current row
    tables = 0
    with zf.open("word/document.xml") as stream:
        for closing, tag, attributes in _tags(stream, _WORD_TAG):
            if tag == b"tbl":
                if closing and stack:
                    number, rows, width, _ = stack.pop()
                    extent.close(rows, width, f"table {number}")
                elif not closing and not attributes.endswith(b"/"):
                    tables += 1
                    stack.append([tables, 0, 0, 0])
            elif not stack or closing and tag != b"tr":
                continue
            elif tag == b"tr":
                table = stack[-1]
                if not closing:
                    table[1], table[3] = table[1] + 1, 0
                table[2] = max(table[2], table[3])
                extent.grow(table[1], table[2], f"table {table[0]}")
            elif tag == b"tc":
                stack[-1][3] += 1
            else:  # gridSpan: the current cell covers that many grid columns
                span = _WORD_VAL.search(attributes)
                stack[-1][3] += max(int(span.group(1)), 1) - 1 if span else 0


_BIFF_CELLS = frozenset({0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6, 0x0406})  # not BLANK
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_SHEET, _BIFF_FILEPASS = 0x00BD, 0x0809, 0x000A, 0x0085, 0x002F


def xls_extents(data: bytes):
    """(rows, columns) of each sheet of an Excel 97-2003 workbook in turn, counted from A1 to its last
    cell holding a value, from the cell records of the BIFF stream (blank cells and the stored
    DIMENSIONS record are not trusted: calamine skips the former, and a file can lie in the latter).
    Nothing when the stream cannot be walked (damaged, encrypted): the reader then says what is wrong."""
    from xlrd.compdoc import CompDoc

    try:
        compound = CompDoc(data, logfile=io.StringIO())
        mem, base, size = next((found for name in ("Workbook", "Book")
                                if (found := compound.locate_named_stream(name))[0] is not None), (None, 0, 0))
    except Exception:  # noqa: BLE001 - xlrd raises several types for a damaged compound file
        return
    if mem is None:
        return
    end, unpack, offsets, pos = base + size, struct.unpack_from, [], base
    while pos + 4 <= end:
        kind, length = unpack("<HH", mem, pos)
        if kind == _BIFF_FILEPASS:
            return
        if kind == _BIFF_SHEET and length >= 6:
            offsets.append(unpack("<I", mem, pos + 4)[0])
        elif kind == _BIFF_EOF:
            break
        pos += 4 + length
    for offset in offsets:
        pos, depth, rows, columns = base + offset, 0, 0, 0
        while pos + 4 <= end:
            kind, length = unpack("<HH", mem, pos)
            if kind == _BIFF_BOF:
                depth += 1  # a chart inside the sheet has its own BOF ... EOF
            elif kind == _BIFF_EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif depth == 1 and length >= 4 and (kind in _BIFF_CELLS or kind == _BIFF_MULRK):
                row, column = unpack("<HH", mem, pos + 4)
                if kind == _BIFF_MULRK and length >= 6:
                    column = unpack("<H", mem, pos + 2 + length)[0]  # MULRK: its last column ends the record
                rows, columns = max(rows, row + 1), max(columns, column + 1)
            pos += 4 + length
        yield rows, columns


def check_xls(data: bytes, where: str) -> None:
    """Every sheet of an Excel 97-2003 workbook within the limits (:func:`xls_extents`), hidden ones
    too: calamine expands them all when it opens the file, so this runs first."""
    extent = Extent(where)
    for number, (rows, columns) in enumerate(xls_extents(data), start=1):
        extent.close(rows, columns, f"sheet {number}, cells up to row {rows}, column {columns}")


def pdf_pages(doc) -> int:
    """The pages of a PDF (a pdfminer document), counted up to one past :data:`khuyencong.limits.PAGES`
    with nothing of a page read; over the limit, the page count the file declares when larger (shown)."""
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    most = int(limits.PAGES.value())
    counted = sum(1 for _ in itertools.islice(PDFPage.create_pages(doc), most + 1))
    if counted <= most:
        return counted
    try:
        declared = int(resolve1(resolve1(doc.catalog["Pages"])["Count"]))
    except Exception:  # noqa: BLE001 - a damaged page tree: the pages counted are shown
        declared = 0
    return max(counted, declared)
