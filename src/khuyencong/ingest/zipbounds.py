"""Size checks on a zipped file (XLSX, ODS, DOCX) made *before* anything is expanded.

A few kilobytes of zip can expand to gigabytes of XML, and a tiny sheet can put one cell at
``XFD1048576`` so that a reader allocates a grid of 17 billion cells. :func:`open_zip` reads the
member sizes from the zip's central directory (nothing is decompressed) and checks them against
:data:`khuyencong.limits.UNCOMPRESSED` and :data:`khuyencong.limits.ZIP_RATIO`;
:func:`check_sheets` streams each worksheet's XML once, keeping only the positions of the cells
that hold a value, and checks the sheet's real extent (never its stored ``<dimension>``) against
the cell, row and column limits. Either raises :class:`khuyencong.limits.LimitExceeded`.
"""
from __future__ import annotations

import io
import re
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


def check_sheets(zf: zipfile.ZipFile, where: str) -> None:
    """Every worksheet of an XLSX within the cell, row and column limits, by its real extent."""
    for name in sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        with zf.open(name) as stream:
            r0, c0, r1, c1 = sheet_extent(stream)
        if not r1:
            continue
        shown = f"{where} ({name.rsplit('/', 1)[-1]}, cells up to row {r1}, column {c1})"
        limits.ROWS.check(r1, shown)
        limits.COLUMNS.check(c1, shown)
        limits.CELLS.check((r1 - r0 + 1) * (c1 - c0 + 1), shown)
