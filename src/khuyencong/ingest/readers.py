"""Read a raw province file (CSV or XLSX) into a table with canonical column names.

Headers are matched against :mod:`khuyencong.core.datasets` (Vietnamese with or without diacritics,
English, column names, synonyms). Title rows above the header, two-row headers under merged
cells, money units in headers, CSV encodings (UTF-8, UTF-8 BOM, UTF-16, Windows-1258) and
separators (``,`` ``;`` tab) are recognised. Cell values are kept as printed; parsing and
checking happen in :mod:`khuyencong.ingest.validate`.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.paths import relative_to_root
from khuyencong.errors import InputError

HEADER_SCAN_ROWS = 15
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SEPARATORS = (",", ";", "\t")

#: Money units as they appear in headers (normalised text) → factor to million VND.
MONEY_UNITS: dict[str, float] = {
    "trieu dong": 1.0, "trd": 1.0, "tr d": 1.0, "trieu": 1.0, "trieu vnd": 1.0,
    "million vnd": 1.0, "million dong": 1.0, "mil vnd": 1.0, "vnd million": 1.0,
    "nghin dong": 0.001, "ngan dong": 0.001, "1000 dong": 0.001, "1 000 dong": 0.001,
    "1000 vnd": 0.001, "thousand vnd": 0.001, "thousand dong": 0.001,
    "dong": 1e-6, "vnd": 1e-6,
    "ty dong": 1000.0, "ti dong": 1000.0, "ty": 1000.0, "billion vnd": 1000.0, "billion dong": 1000.0,
}
_UNIT_PREFIX = re.compile(r"^(don vi tinh|don vi|dvt|unit|units)\s+")
_PAREN = re.compile(r"\(([^()]*)\)")


class RawFormatError(InputError):
    """The file cannot be read as a dataset: the message says what is wrong and how to fix it."""


@dataclass
class RawTable:
    """One raw file read into canonical columns; cells are exactly as in the file (NFC text)."""

    frame: pd.DataFrame  # canonical columns + source_row
    dataset: str
    source: str
    sheet: str | None = None
    header_map: dict[str, str] = field(default_factory=dict)  # canonical → header as printed
    unit_scale: dict[str, float] = field(default_factory=dict)  # money column → factor to million VND
    ignored_headers: list[str] = field(default_factory=list)
    encoding: str | None = None
    header_rows: tuple[int, ...] = ()
    decimal: str = ","

    def __len__(self) -> int:
        return len(self.frame)

    def header(self, column: str) -> str:
        """The header as printed for a canonical column (the column name if it was absent)."""
        return self.header_map.get(column, column)


# ---------------------------------------------------------------- header text

def fold(text: object) -> str:
    """Comparison form: NFC, lower case, no diacritics (đ → d), punctuation → single spaces."""
    s = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", s).strip()


def split_header(text: object) -> tuple[str, str | None]:
    """``"Kinh phí hỗ trợ (nghìn đồng)"`` → ``("kinh phi ho tro", "nghin dong")``."""
    raw = unicodedata.normalize("NFC", str(text))
    units = _PAREN.findall(raw)
    key = fold(_PAREN.sub(" ", raw))
    unit = _UNIT_PREFIX.sub("", fold(units[-1])) if units else None
    return key, unit or None


@lru_cache(maxsize=None)
def header_index(dataset: str) -> dict[str, str]:
    """Folded header spelling → canonical column, for one dataset."""
    index: dict[str, str] = {}
    for col in ds.DATASETS[dataset].columns:
        for spelling in (col.vi, col.en, col.name, *col.synonyms):
            key = split_header(spelling)[0]
            if index.setdefault(key, col.name) != col.name:
                raise ValueError(f"datasets.py: header {spelling!r} names both {index[key]} and {col.name}")
    return index


@lru_cache(maxsize=None)
def _all_keys() -> frozenset[str]:
    return frozenset(k for name in ds.DATASETS for k in header_index(name))


def money_factor(unit: str | None, header: str) -> float:
    """Factor that turns a money column with this header unit into million VND."""
    if unit is None:
        return 1.0
    if unit in MONEY_UNITS:
        return MONEY_UNITS[unit]
    raise RawFormatError(
        f"header {header!r}: unit '({unit})' is not a money unit this reader knows; write the amount in "
        "(triệu đồng), (nghìn đồng), (đồng) or (tỷ đồng) / (million VND), (VND) or (billion VND)")


# ---------------------------------------------------------------- header rows

@dataclass(frozen=True)
class _Cell:
    printed: str  # header as shown to people
    candidates: tuple[tuple[str, str | None], ...]  # (folded key, unit) in order of preference


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _single_cells(row: list[str]) -> list[_Cell]:
    return [_Cell(t, (split_header(t),) if t else ()) for t in row]


def _pair_cells(top: list[str], bottom: list[str]) -> list[_Cell]:
    """Combine a merged parent row with its child row (merged cells are empty right of the anchor)."""
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    cells, parent = [], ""
    for t, b in zip(top, bottom):
        if t:
            parent = t
        elif not b:
            parent = ""
        p = t or (parent if b else "")
        if p and b:
            pk, pu = split_header(p)
            bk, bu = split_header(b)
            unit = bu or pu
            options = ((f"{pk} {bk}".strip(), unit), (f"{bk} {pk}".strip(), unit), (bk, bu))
            cells.append(_Cell(f"{p}: {b}", options))
        else:
            text = p or b
            cells.append(_Cell(text, (split_header(text),) if text else ()))
    return cells


def _match(cell: _Cell, index: dict[str, str] | frozenset[str]) -> tuple[str, str | None] | None:
    for key, unit in cell.candidates:
        if key in index:
            return key, unit
    return None


def _score(cells: list[_Cell], keys) -> int:
    return sum(_match(c, keys) is not None for c in cells)


def _is_header(row: list[str], keys) -> bool:
    filled = [t for t in row if t]
    hits = sum(split_header(t)[0] in keys for t in filled)
    return hits >= 2 and 2 * hits >= len(filled)


def find_header(rows: list[list[str]], keys) -> tuple[int, int, list[_Cell]] | None:
    """(first header row index, number of header rows, cells) or None when no row looks like a header."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if not _is_header(row, keys):
            continue
        options = [(_score(_single_cells(row), keys), i, 1, _single_cells(row))]
        if i + 1 < len(rows):
            cells = _pair_cells(row, rows[i + 1])
            options.append((_score(cells, keys), i, 2, cells))
        if i > 0:
            cells = _pair_cells(rows[i - 1], row)
            options.append((_score(cells, keys), i - 1, 2, cells))
        best = max(options, key=lambda o: o[0])  # ties keep the single row (listed first)
        return best[1], best[2], best[3]
    return None


# ---------------------------------------------------------------- dataset detection and mapping

def _matches(cells: list[_Cell], dataset: str) -> dict[str, list[tuple[int, str | None]]]:
    index = header_index(dataset)
    found: dict[str, list[tuple[int, str | None]]] = {}
    for pos, cell in enumerate(cells):
        hit = _match(cell, index)
        if hit:
            found.setdefault(index[hit[0]], []).append((pos, hit[1]))
    return found


def detect_dataset(cells: list[_Cell], where: str) -> str:
    """The dataset whose columns the headers match most; ambiguous or none → RawFormatError."""
    scores = {name: len(_matches(cells, name)) for name in ds.DATASETS}
    best = max(scores.values())
    winners = [n for n, s in scores.items() if s == best]
    headers = [c.printed for c in cells if c.printed]
    if best < 2 or len(winners) > 1:
        what = "no dataset" if best < 2 else f"several datasets equally ({', '.join(winners)})"
        raise RawFormatError(
            f"{where}: the headers match {what}; headers found: {headers}. Pass the dataset explicitly "
            f"(one of {', '.join(ds.DATASETS)}) or use the headers of a template in data/raw/templates/.")
    return winners[0]


def _suggest(missing: ds.Column, headers: list[str]) -> str:
    folded = {split_header(h)[0]: h for h in headers}
    targets = [split_header(s)[0] for s in (missing.vi, missing.en, *missing.synonyms)]
    close = {folded[m] for t in targets for m in difflib.get_close_matches(t, list(folded), n=2, cutoff=0.6)}
    return f" (closest header found: {', '.join(sorted(close))})" if close else ""


def map_columns(cells: list[_Cell], dataset: str, where: str):
    """{canonical: (position, printed, unit)} plus the ignored headers; raises on missing/duplicate."""
    found = _matches(cells, dataset)
    headers = [c.printed for c in cells if c.printed]
    dupes = {name: hits for name, hits in found.items() if len(hits) > 1}
    if dupes:
        name, hits = next(iter(dupes.items()))
        raise RawFormatError(
            f"{where}: headers {[cells[p].printed for p, _ in hits]} all mean column {name!r}; keep one of them.")
    missing = [c for c in ds.DATASETS[dataset].columns if c.required and c.name not in found]
    if missing:
        lines = [f"  - {c.name}: add a column headed '{c.vi}' (or '{c.en}'){_suggest(c, headers)}" for c in missing]
        raise RawFormatError(
            f"{where}: required column(s) missing for dataset {dataset!r}:\n" + "\n".join(lines)
            + f"\nHeaders found: {headers}")
    mapping = {name: (hits[0][0], cells[hits[0][0]].printed, hits[0][1]) for name, hits in found.items()}
    used = {pos for pos, _, _ in mapping.values()}
    ignored = [c.printed for i, c in enumerate(cells) if c.printed and i not in used]
    return mapping, ignored


def _unit_scale(mapping, dataset: str) -> dict[str, float]:
    return {name: money_factor(unit, printed) for name, (_, printed, unit) in mapping.items()
            if ds.DATASETS[dataset].column(name).kind == "money"}


# ---------------------------------------------------------------- blank rows

def blank_mask(series: pd.Series) -> pd.Series:
    """True where a cell is empty (missing, or text that is only spaces)."""
    if series.dtype == object:
        return series.map(lambda v: v is None or (isinstance(v, float) and v != v)
                          or (isinstance(v, str) and not v.strip())).astype(bool)
    if pd.api.types.is_string_dtype(series.dtype):
        return series.isna() | (series.str.strip() == "")
    return series.isna()


_VN_NUMBER = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$"
_EN_NUMBER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"


def detect_decimal(frame: pd.DataFrame, dataset: str, chunk: int = 50_000, enough: int = 1000) -> str:
    """The file's decimal mark: ``"."`` when number cells fit only English (``12.5``, ``1234.56``) and
    none fit only Vietnamese (``12,5``); otherwise ``","``. Cells that do not fit the chosen mark fail
    to parse and are reported, so a file mixing both never passes silently. Scans chunk by chunk
    until ``enough`` telling cells are seen."""
    cols = [c.name for c in ds.DATASETS[dataset].columns
            if c.kind in ("money", "float", "int") and c.name in frame]
    en_only = vn_only = 0
    for start in range(0, len(frame), chunk):
        for name in cols:
            s = frame[name].iloc[start:start + chunk]
            if s.dtype == object:
                s = s[s.map(lambda v: isinstance(v, str))]
            s = s.astype("str")
            s = s[s.str.contains(r"[.,]", regex=True).fillna(False)].str.strip()
            vn, en = s.str.match(_VN_NUMBER), s.str.match(_EN_NUMBER)
            en_only += int((en & ~vn).sum())
            vn_only += int((vn & ~en).sum())
        if en_only + vn_only >= enough:
            break
    return "." if en_only and not vn_only else ","


def blank_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows whose cells are all empty; later columns are only looked at where earlier ones were blank."""
    blank = np.ones(len(frame), dtype=bool)
    for name in columns:
        idx = np.flatnonzero(blank)
        if len(idx) == 0:
            break
        blank[idx] = blank_mask(frame[name].iloc[idx]).to_numpy()
    return blank


def _finish(body: pd.DataFrame, first_row: int, mapping, dataset, meta: dict) -> RawTable:
    """Keep mapped columns in dataset order, drop blank rows, add the row number people see."""
    order = [c.name for c in ds.DATASETS[dataset].columns if c.name in mapping]
    frame = pd.DataFrame({name: body[mapping[name][0]] for name in order}) if len(body.columns) else \
        pd.DataFrame({name: pd.Series([], dtype=object) for name in order})
    frame["source_row"] = range(first_row, first_row + len(frame))
    frame = frame[~blank_rows(frame, order)].reset_index(drop=True)
    return RawTable(frame=frame, dataset=dataset, decimal=detect_decimal(frame, dataset),
                    header_map={n: mapping[n][1] for n in order},
                    unit_scale=_unit_scale(mapping, dataset), **meta)


def _resolve_layout(rows: list[list[str]], dataset: str | None, where: str):
    keys = header_index(dataset) if dataset else _all_keys()
    found = find_header(rows, keys)
    if found is None:
        preview = [[t for t in r if t] for r in rows[:5]]
        target = f"dataset {dataset!r}" if dataset else "any dataset"
        raise RawFormatError(
            f"{where}: no header row of {target} in the first {HEADER_SCAN_ROWS} rows (first rows: {preview}). "
            "The header row needs at least two recognised column names, e.g. 'Năm', 'Tỉnh/thành phố'.")
    start, n_rows, cells = found
    dataset = dataset or detect_dataset(cells, where)
    mapping, ignored = map_columns(cells, dataset, where)
    return start, n_rows, cells, dataset, mapping, ignored


# ---------------------------------------------------------------- CSV

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
        text, _ = decode_bytes(fh.read(4096).rsplit(b"\n", 1)[0])
    return is_pxweb_text(text)


def _head_rows(text: str, sep: str, n: int = HEADER_SCAN_ROWS + 2) -> list[list[str]]:
    head = "\n".join(text[:500_000].splitlines()[:n])
    return [[_text(v) for v in row] for row in csv.reader(io.StringIO(head), delimiter=sep)]


def _sniff(text: str, dataset: str | None) -> str:
    keys = header_index(dataset) if dataset else _all_keys()
    best, best_score = ",", -1
    for sep in SEPARATORS:
        found = find_header(_head_rows(text, sep), keys)
        score = _score(found[2], keys) if found else 0
        if score > best_score:
            best, best_score = sep, score
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
        return pd.read_csv(io.BytesIO(data), encoding="utf-8", sep=sep, header=None, skiprows=skip, names=range(width),
                           dtype=str, keep_default_na=False, skip_blank_lines=False, quotechar='"',
                           engine="c", index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise RawFormatError(f"{where}: cannot split the rows into {width} columns with separator "
                             f"{sep!r}: {exc}. Check for unquoted separators inside cells.") from None


def read_csv_raw(path: Path, dataset: str | None = None) -> RawTable:
    data = path.read_bytes()
    text, encoding, changed = _decode(data)
    where = relative_to_root(path)
    sep = _sniff(text, dataset)
    start, n_rows, cells, dataset, mapping, ignored = _resolve_layout(_head_rows(text, sep), dataset, where)
    skip = start + n_rows
    if encoding == "utf-8-sig" and not changed:
        data = data[len(codecs.BOM_UTF8):]
    elif encoding != "utf-8" or changed:
        data = text.encode("utf-8")
    del text  # the largest object; the body is read from UTF-8 bytes
    body = _read_body(data, sep, skip, len(cells), where)
    return _finish(body, skip + 1, mapping, dataset,
                   dict(source=where, sheet=None, ignored_headers=ignored, encoding=encoding,
                        header_rows=tuple(range(start + 1, skip + 1))))


# ---------------------------------------------------------------- XLSX

def _sheet_rows(ws, limit: int | None = None) -> list[list[str]]:
    return [[_text(v) for v in row] for row in ws.iter_rows(max_row=limit, values_only=True)]


def _pick_sheet(wb, sheet: str | None, dataset: str | None, where: str):
    if sheet is not None:
        if sheet not in wb.sheetnames:
            raise RawFormatError(f"{where}: no sheet {sheet!r}; sheets: {wb.sheetnames}")
        return sheet
    keys = header_index(dataset) if dataset else _all_keys()
    scored = []
    for name in wb.sheetnames:
        found = find_header(_sheet_rows(wb[name], HEADER_SCAN_ROWS + 1), keys)
        if found:
            scored.append((_score(found[2], keys), name))
    if not scored:
        raise RawFormatError(f"{where}: no sheet has a recognisable header row (sheets: {wb.sheetnames}); "
                             "put the data under a header row such as 'Năm', 'Tỉnh/thành phố', ...")
    top = max(s for s, _ in scored)
    best = [n for s, n in scored if s == top]
    if len(best) > 1:
        raise RawFormatError(f"{where}: sheets {best} look equally like data; pass the sheet to read.")
    return best[0]


def read_xlsx_raw(path: Path, dataset: str | None = None, sheet: str | None = None) -> RawTable:
    from openpyxl import load_workbook

    where = relative_to_root(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        name = _pick_sheet(wb, sheet, dataset, where)
        ws = wb[name]
        where_sheet = f"{where} [sheet {name}]"
        start, n_rows, cells, dataset, mapping, ignored = _resolve_layout(
            _sheet_rows(ws, HEADER_SCAN_ROWS + 1), dataset, where_sheet)
        skip = start + n_rows
        width = len(cells)
        rows = [(tuple(r) + (None,) * width)[:width]
                for r in ws.iter_rows(min_row=skip + 1, max_col=width, values_only=True)]
    finally:
        wb.close()
    body = pd.DataFrame(rows, columns=range(width), dtype=object)
    for col in body.columns:  # text cells NFC like CSV text; numbers stay numbers
        body[col] = body[col].map(lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v)
    return _finish(body, skip + 1, mapping, dataset,
                   dict(source=where, sheet=name, ignored_headers=ignored, encoding=None,
                        header_rows=tuple(range(start + 1, skip + 1))))


# ---------------------------------------------------------------- PX-Web (GSO) → province_stats

def _pxweb_column(title: str, where: str) -> str:
    folded = f" {fold(title)} "
    hits = []
    for col in ds.PROVINCE_STATS.columns:
        if col.kind not in ("money", "float", "int") or col.name == "year":
            continue
        for spelling in (col.en, *col.synonyms):
            key = split_header(spelling)[0]
            if key and f" {key} " in folded:
                hits.append((len(key), col.name))
    if not hits:
        raise RawFormatError(f"{where}: GSO PX-Web table {title!r} does not correspond to a province_stats "
                             f"column ({', '.join(c.name for c in ds.PROVINCE_STATS.columns[2:])}).")
    return max(hits)[1]


def read_pxweb_raw(path: Path) -> RawTable:
    """A GSO PX-Web export as a long province_stats table (via :func:`khuyencong.ingest.gso.read_pxweb`).

    Region/country rows and unknown names are kept so that validation rejects them visibly;
    ``..`` cells (no observation) are not rows. With several measures the ``Total`` one is used.
    """
    from khuyencong.ingest.gso import read_pxweb

    where = relative_to_root(path)
    table = read_pxweb(path, strict=False)
    column = _pxweb_column(table.title, where)
    measures = table.measures
    measure = measures[0] if len(measures) == 1 else ("Total" if "Total" in measures else None)
    if measure is None:
        raise RawFormatError(f"{where}: several measures {measures} and none is 'Total'; convert it "
                             "with khuyencong.ingest.gso.to_province_stats(..., measure=...) first.")
    parts = []
    for part in (table.data, table.aggregates):
        rows = part[(part["measure"] == measure) & part["value"].notna()]
        parts.append(pd.DataFrame({"province": rows["name_as_printed"].astype(object),
                                   "year": rows["year"].astype(object), column: rows["value"].astype(object),
                                   "source_row": rows["source_row"].astype("int64")}))
    rej = table.rejected
    parts.append(pd.DataFrame({"province": rej["name_as_printed"].astype(object), "year": None,
                               column: None, "source_row": rej["line"].astype("int64")}))
    frame = pd.concat(parts, ignore_index=True)
    order = np.lexsort((pd.to_numeric(frame["year"]).fillna(-1).to_numpy(), frame["source_row"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    others = [c.label for c in table.columns if c.measure != measure]
    return RawTable(frame=frame, dataset="province_stats", source=where, sheet=None,
                    header_map={"province": "(row name)", "year": "(year in the column label)",
                                column: f"{table.title} [{measure}]"},
                    unit_scale={column: 1.0} if ds.PROVINCE_STATS.column(column).kind == "money" else {},
                    ignored_headers=others, encoding="utf-8-sig", decimal=".")


# ---------------------------------------------------------------- entry point

def read_raw(path: Path | str, dataset: str | None = None, sheet: str | None = None) -> RawTable:
    """Read one raw CSV/XLSX file; ``dataset`` is recognised from the headers when None."""
    path = Path(path)
    if dataset is not None and dataset not in ds.DATASETS:
        raise RawFormatError(f"unknown dataset {dataset!r}; one of {', '.join(ds.DATASETS)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx_raw(path, dataset, sheet)
    if suffix in CSV_SUFFIXES:
        if dataset in (None, "province_stats") and is_pxweb(path):
            return read_pxweb_raw(path)
        return read_csv_raw(path, dataset)
    raise RawFormatError(f"{relative_to_root(path)}: unsupported file type {suffix!r}; save it as .xlsx or .csv "
                         "(.xls: open in Excel/LibreOffice and save as .xlsx)")
