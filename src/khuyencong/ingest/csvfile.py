"""Read a raw CSV file (any of our encodings and separators) into a :class:`RawTable`.

Encodings: UTF-8, UTF-8 with BOM, UTF-16, Windows-1258 (NFC-normalised); separators ``,`` ``;``
tab, chosen by which one gives the best header row. A GSO PX-Web export is recognised by
:func:`is_pxweb` (read by :mod:`khuyencong.ingest.readers`). Cells are kept as printed.
"""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong import limits
from khuyencong.ingest.headers import HEADER_SCAN_ROWS, RawFormatError, all_keys, plain_text, find_header, \
    header_index, resolve_layout, score
from khuyencong.ingest.rawtable import RawTable, finish
from khuyencong.paths import relative_to_root

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SEPARATORS = (",", ";", "\t")


def _decode(data: bytes) -> tuple[str, str, bool]:
    """(NFC text, encoding, whether NFC changed the text)."""
    if data.startswith(codecs.BOM_UTF8):
        text, enc = data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, enc = data.decode("utf-16"), "utf-16"
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = data.decode("cp1258"), "cp1258"  # cp1258 spells tones as combining marks
    if enc == "utf-8" and b"\xcc" not in data and b"\xcd" not in data:
        # No combining diacritic (U+0300-U+036F) in the bytes: Vietnamese text is already NFC;
        # skipping is_normalized saves a full pass over large files.
        return text, enc, False
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text, enc, False
    return unicodedata.normalize("NFC", text), enc, True


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(NFC text, encoding): BOM → utf-8-sig/utf-16; else strict UTF-8; else Windows-1258."""
    text, enc, _ = _decode(data)
    return text, enc


def is_pxweb_text(text: str) -> bool:
    """GSO PX-Web export: a quoted title on the first line and ``;``-separated quoted headers."""
    lines = text[:20_000].lstrip("\ufeff").splitlines()[:4]
    first = lines[0].strip() if lines else ""
    header = next((l for l in lines[1:] if l.strip()), "")
    return len(first) > 2 and first.startswith('"') and first.endswith('"') and first.count('"') == 2 \
        and header.startswith('"') and ";" in header


def is_pxweb(path: Path | str) -> bool:
    path = Path(path)
    if path.suffix.lower() not in CSV_SUFFIXES:
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096).rsplit(b"\n", 1)[0]
    try:
        return is_pxweb_text(decode_bytes(head)[0])
    except UnicodeDecodeError:  # not text: read_csv_raw says so
        return False


def read_csv_rows(text: str, sep: str, where: str) -> list[list[str]]:
    """Rows of CSV ``text`` through the csv module, its field size and our column limit enforced."""
    csv.field_size_limit(int(limits.FIELD.value()))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise limits.LimitExceeded(limits.FIELD, limits.FIELD.value() + 1, where) from None
        raise RawFormatError(f"{where}: cannot split the text into CSV cells ({exc})") from None
    limits.COLUMNS.check(max((len(r) for r in rows), default=0), where)
    return rows


def _head_rows(text: str, sep: str, where: str, n: int = HEADER_SCAN_ROWS + 2) -> list[list[str]]:
    head = "\n".join(text[:500_000].splitlines()[:n])
    return [[plain_text(v) for v in row] for row in read_csv_rows(head, sep, where)]


def _sniff(text: str, dataset: str | None, where: str) -> str:
    keys = header_index(dataset) if dataset else all_keys()
    best, best_score = ",", -1
    for sep in SEPARATORS:
        found = find_header(_head_rows(text, sep, where), keys)
        points = score(found[2], keys) if found else 0
        if points > best_score:
            best, best_score = sep, points
    return best


def _arrow_body(data: bytes, sep: str, skip: int, width: int) -> pd.DataFrame:
    """Fast path (multi-threaded pyarrow); only used when no blank line could shift row numbers."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [str(i) for i in range(width)]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    body = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
    body.columns = range(width)
    return body


def _line_count(data: bytes) -> int:
    newline = b"\n" if b"\n" in data[:1_000_000] or b"\r" not in data[:1_000_000] else b"\r"
    return data.count(newline) + (1 if data and not data.endswith((b"\n", b"\r")) else 0)


def _read_body(data: bytes, sep: str, skip: int, width: int, where: str) -> pd.DataFrame:
    """The data rows (UTF-8 bytes) as text columns 0..width-1."""
    try:
        body = _arrow_body(data, sep, skip, width)
        if len(body) == _line_count(data) - skip:  # else blank lines were dropped: row numbers would shift
            return body
    except Exception:  # noqa: BLE001 - the C parser below gives the error people should see
        pass
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            body = pd.read_csv(io.BytesIO(data), encoding="utf-8", sep=sep, header=None, skiprows=skip,
                               names=range(width), dtype=str, keep_default_na=False, skip_blank_lines=False,
                               quotechar='"', engine="c", index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise RawFormatError(f"{where}: cannot split the rows into {width} columns with separator "
                             f"{sep!r}: {exc}. Check for unquoted separators inside cells.") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        # pandas would silently drop the cells beyond the header: refuse, naming the rows
        rows = _rows_wider_than(data, sep, skip, width)
        raise RawFormatError(f"{where}: row(s) {', '.join(map(str, rows[:10]))}{' …' if len(rows) > 10 else ''} "
                             f"have more cells than the header's {width} columns; their extra cells would be lost. "
                             "Check for unquoted separators inside cells or a missing header.")
    return body


def _rows_wider_than(data: bytes, sep: str, skip: int, width: int) -> list[int]:
    """File row numbers (1-based) of the data rows with more than ``width`` cells."""
    lines = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")), delimiter=sep, quotechar='"')
    return [number for number, cells in enumerate(lines, start=1) if number > skip and len(cells) > width]


def read_csv_raw(path: Path, dataset: str | None = None) -> RawTable:
    data = path.read_bytes()
    where = relative_to_root(path)
    try:
        text, encoding, changed = _decode(data)
    except UnicodeDecodeError as exc:
        raise RawFormatError(f"{where}: byte {exc.start} is not text in UTF-8, UTF-16 or Windows-1258; "
                             "save the file as UTF-8 CSV") from None
    sep = _sniff(text, dataset, where)
    start, n_rows, cells, dataset, mapping, ignored = resolve_layout(_head_rows(text, sep, where), dataset, where)
    skip = start + n_rows
    body_rows = max(_line_count(data) - skip, 0)
    limits.ROWS.check(body_rows, where)
    limits.CELLS.check(body_rows * len(cells), where)
    if encoding == "utf-8-sig" and not changed:
        data = data[len(codecs.BOM_UTF8):]
    elif encoding != "utf-8" or changed:
        data = text.encode("utf-8")
    del text  # the largest object; the body is read from UTF-8 bytes
    body = _read_body(data, sep, skip, len(cells), where)
    return finish(body, skip + 1, mapping, dataset,
                   dict(source=where, sheet=None, ignored_headers=ignored, encoding=encoding,
                        header_rows=tuple(range(start + 1, skip + 1))))
