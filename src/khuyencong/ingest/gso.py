"""Read GSO PX-Web CSV exports (provincial statistics) into a long, registry-resolved table.

The exports look like this (UTF-8 with BOM, CRLF, ``;`` separator)::

    "Index of Industrial production by province by Cities, provincies and Year"
    <blank line>
    "Cities, provincies";"2012";"2013";...;"Total Prel. 2016";"Male 2015";...
    " WHOLE COUNTRY";105.8;...
    "Red River Delta";..;...
    "Thai  Nguyen";...

Quirks handled: the BOM, any line ending, the quoted title and blank line, names with
leading/doubled spaces, ``..`` for missing (the only missing marker accepted), the country and
region subtotal rows and the "Units are not included in provinces" row (set aside in
``aggregates``), region names misspelt by one or two letters ("moutain"), a stray Latin-1 line
in a UTF-8 file (decoded as cp1252 and counted in ``recoded_lines``), and column labels that carry
a measure and a preliminary flag in either order (``Total Prel. 2016``, ``Pre.2016``,
``2002 Total``), footnote marks (``2008(*) Area of forest``) or no year at all (``Total area``:
the year printed in the title, else missing).

Values are English-formatted (``105.8``). The files use the 63-province boundaries in force
2008-2025 (``boundaries="legacy"``); older exports also carry Hà Tây rows (before 2008).
Every data row ends up in exactly one of ``data``, ``aggregates`` or ``rejected``, and the
:class:`Accounting` check proves it. In ``aggregates``, ``province_code``/``province_name`` hold
the registry's region code and name (``RRD``, ``Đồng bằng sông Hồng``); the country row has
no code (NA) and its printed name, cleaned.
"""
from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from khuyencong import limits, paths
from khuyencong.core import provinces
from khuyencong.core.datasets import YEAR_MAX
from khuyencong.core.vnnumber import parse_number_series
from khuyencong.errors import InputError

__all__ = ["Accounting", "ColumnLabel", "GsoFormatError", "GsoTable", "UnknownNamesError", "classify_name",
           "read_pxweb", "to_province_stats"]

BOUNDARIES = "legacy"
MISSING = ".."
#: Years a GSO PX-Web table may hold: its series start in 1990; the end is the datasets' last year.
GSO_YEARS = (1990, YEAR_MAX)
DATA_COLUMNS = ["province_code", "province_name", "name_as_printed", "year", "measure", "status",
                "value", "source_row"]
AGGREGATE_COLUMNS = DATA_COLUMNS + ["area_type"]
REJECTED_COLUMNS = ["source", "line", "name_as_printed", "suggestions", "message"]

_PREL = r"(?:(?P<prel>prel?\.?)\s*)?"
_LABEL_RES = (
    re.compile(r"^(?:(?P<measure>.*?)\s+)??" + _PREL + r"(?P<year>\d{4})$", re.IGNORECASE),  # Total Prel. 2016
    re.compile(r"^" + _PREL + r"(?P<year>\d{4})\s+(?P<measure>\D.*)$", re.IGNORECASE),      # 2002 Total
    re.compile(r"^(?P<measure>[^\d]+)$"),                                                   # Total area
)
_FOOTNOTE_RE = re.compile(r"\(\*+\)|\*+")
_TITLE_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
# Rows GSO prints beside the provinces for amounts no province holds (central units).
UNALLOCATED_KEYS = frozenset({"unitsarenotincludedinprovinces", "khongphanbochocactinh"})
AGGREGATE_KINDS = ("country", "region", "unallocated")
_REGION_TYPO_SCORE = 92  # a region name one or two letters off ("moutain"); provinces never get close


class GsoFormatError(InputError):
    """The file does not have the PX-Web layout (title, blank line, header, rows)."""


class UnknownNamesError(InputError):
    """Some row names are neither a province nor a region/country; ``.rejected`` lists them all."""

    def __init__(self, message: str, rejected: pd.DataFrame):
        super().__init__(message)
        self.rejected = rejected


@dataclass(frozen=True)
class ColumnLabel:
    """One parsed header label such as ``Total Prel. 2016``."""

    label: str
    measure: str
    year: int | None  # None: no year in the label nor in the title
    status: str  # "prel" or "final"


@dataclass(frozen=True)
class Accounting:
    """Where every line of the file went; :meth:`check` raises if anything is unaccounted for."""

    lines_in_file: int
    title_lines: int
    blank_lines: int
    header_lines: int
    rows_read: int
    province_rows: int
    aggregate_rows: int
    rejected_rows: int
    cells: int = 0
    missing_cells: int = 0
    scientific_cells: int = 0

    def check(self) -> "Accounting":
        rows = self.province_rows + self.aggregate_rows + self.rejected_rows
        lines = self.title_lines + self.blank_lines + self.header_lines + self.rows_read
        if rows != self.rows_read or lines != self.lines_in_file:
            raise RuntimeError(f"row accounting does not balance (a bug, please report): {self}")
        return self


@dataclass
class GsoTable:
    """A parsed PX-Web export. ``data`` holds province rows, long (one row per cell)."""

    data: pd.DataFrame
    aggregates: pd.DataFrame
    rejected: pd.DataFrame
    title: str
    source: str
    accounting: Accounting
    columns: tuple[ColumnLabel, ...] = field(default=())
    boundaries: str = BOUNDARIES
    recoded_lines: int = 0  # lines that were not UTF-8 and were read as cp1252

    @property
    def measures(self) -> list[str]:
        return sorted({c.measure for c in self.columns})


# --- names -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameResult:
    """How one row name was classified: "province", "country", "region", "unallocated" or "rejected"."""

    kind: str
    code: object = pd.NA
    name: object = pd.NA
    suggestions: tuple[str, ...] = ()
    message: str = ""


def _clean_name(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _region_index() -> dict[str, tuple[str, str]]:
    """Normalised region spelling → (region code, registry name), from ``provinces.regions()``."""
    index = {}
    for r in provinces.regions().itertuples():
        for spelling in (r.name, r.name_en, *str(r.aliases or "").split(";")):
            if spelling.strip():
                index[provinces.normalise_key(spelling)] = (r.code, r.name)
    return index


def classify_name(text: str, boundaries: str = BOUNDARIES) -> NameResult:
    """Classify a printed row name against the province registry (whitespace is normalised)."""
    clean = _clean_name(text)
    if provinces.is_region_or_country(clean):
        region = _region_index().get(provinces.normalise_key(clean))
        return NameResult("region", *region) if region else NameResult("country", pd.NA, clean)
    if provinces.normalise_key(clean) in UNALLOCATED_KEYS:
        return NameResult("unallocated", pd.NA, clean)
    try:
        prov = provinces.normalize_province(clean, boundaries=boundaries)
    except provinces.UnknownProvinceError as exc:
        region = _misspelt_region(clean)
        if region:
            return NameResult("region", *region)
        return NameResult("rejected", suggestions=tuple(exc.suggestions), message=str(exc))
    return NameResult("province", prov.code, prov.name)


def _misspelt_region(clean: str) -> tuple[str, str] | None:
    key = provinces.normalise_key(clean)
    best = max(_region_index(), key=lambda k: fuzz.ratio(key, k))
    return _region_index()[best] if fuzz.ratio(key, best) >= _REGION_TYPO_SCORE else None


def rejected_frame(source: str, lines: list[int], names: list[str], results: list[NameResult]) -> pd.DataFrame:
    """The rows whose name was rejected: source, line, name_as_printed, suggestions, message."""
    rows = [
        {"source": source, "line": line, "name_as_printed": name,
         "suggestions": "; ".join(r.suggestions), "message": r.message}
        for line, name, r in zip(lines, names, results) if r.kind == "rejected"
    ]
    return pd.DataFrame(rows, columns=REJECTED_COLUMNS).astype({"line": "int64"})


def raise_or_keep(rejected: pd.DataFrame, strict: bool) -> None:
    """Raise :class:`UnknownNamesError` listing every rejected name when ``strict``."""
    if not strict or rejected.empty:
        return
    lines = [
        f"  {r.source}, line {r.line}: {r.name_as_printed!r} is not a known province, region or country"
        + (f" (did you mean: {r.suggestions}?)" if r.suggestions else "")
        for r in rejected.itertuples()
    ]
    raise UnknownNamesError(
        f"{len(lines)} unknown name(s):\n" + "\n".join(lines)
        + "\nFix the names or add aliases to the province registry; strict=False collects them in .rejected.",
        rejected,
    )


def check_unique(frame: pd.DataFrame, keys: list[str], source: str,
                 error: type[Exception] | None = None) -> None:
    """Two rows for the same province (and year) would silently double-count: refuse."""
    dup = frame[frame.duplicated(keys, keep=False)]
    if not dup.empty:
        shown = dup.drop_duplicates("source_row").sort_values("source_row").head(10)
        listing = "; ".join(f"line {r.source_row}: {r.name_as_printed!r}" for r in shown.itertuples())
        raise (error or GsoFormatError)(f"{source}: the same province appears more than once ({listing}); remove the duplicates")


def source_name(path: Path) -> str:
    """The file as recorded in outputs: relative to the project root, else the bare file name."""
    return paths.relative_to_root(path)


# --- header ----------------------------------------------------------------------------


def parse_label(label: str, default_year: int | None = None) -> ColumnLabel:
    """``"2012"`` → ("", 2012, final); ``"Total Prel. 2016"`` and ``"Pre.2016 Total"`` → ("Total", 2016, prel);
    ``"2008(*) Area of forest"`` → ("Area of forest", 2008, final); ``"Total area"`` → ("Total area", default_year).
    """
    text = _clean_name(_FOOTNOTE_RE.sub(" ", label))
    for pattern in _LABEL_RES:
        m = pattern.match(text)
        if m:
            groups = m.groupdict()
            year = int(groups["year"]) if groups.get("year") else default_year
            return ColumnLabel(label, (groups["measure"] or "").strip(), year, "prel" if groups.get("prel") else "final")
    raise GsoFormatError(f"column label {label!r} is not '[measure] [Prel.] YYYY', 'YYYY measure' or a measure alone")


def _title_year(title: str) -> int | None:
    """The year a title names when it names exactly one (``... in 2016``)."""
    years = set(_TITLE_YEAR_RE.findall(title))
    return int(years.pop()) if len(years) == 1 else None


def _parse_header(header: list[str], source: str, line: int, title: str = "") -> tuple[ColumnLabel, ...]:
    if len(header) < 2:
        raise GsoFormatError(f"{source}, line {line}: header has {len(header)} column(s); expected a name column and years")
    try:
        labels = tuple(parse_label(h, _title_year(title)) for h in header[1:])
    except ValueError as exc:
        raise GsoFormatError(f"{source}, line {line}: {exc}") from None
    undated = [lab.label for lab in labels if lab.year is None and not _TITLE_YEAR_RE.search(lab.label)]
    if undated and len(labels) > 1:
        raise GsoFormatError(f"{source}, line {line}: column(s) {undated} have no year beside dated columns; "
                             "only a single-column table may leave the year to its title")
    odd = [lab.label for lab in labels if lab.year is not None and not GSO_YEARS[0] <= lab.year <= GSO_YEARS[1]]
    if odd:
        raise GsoFormatError(f"{source}, line {line}: column(s) {odd} name a year outside {GSO_YEARS[0]}–{GSO_YEARS[1]}, "
                             "the years GSO publishes; check the export (a damaged or edited header)")
    seen: dict[tuple[str, int], str] = {}
    for lab in labels:
        key = (lab.measure, lab.year)
        if key in seen:
            raise GsoFormatError(f"{source}, line {line}: columns {seen[key]!r} and {lab.label!r} are the same measure and year")
        seen[key] = lab.label
    return labels


# --- reading ---------------------------------------------------------------------------


@dataclass
class _RawFile:
    title: str
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]
    blank_lines: int
    lines_in_file: int
    recoded_lines: int


def _decode(data: bytes) -> tuple[str, int]:
    """UTF-8 text (BOM dropped); a line that is not UTF-8 is read as cp1252 and counted."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        pass
    lines, recoded = [], 0
    for raw in data.splitlines(keepends=True):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("cp1252", errors="replace"))
            recoded += 1
    return "".join(lines), recoded


def _read_raw(path: Path, source: str) -> _RawFile:
    """Title, header and rows, record by record: the header's width is checked against the column limit
    once read, each row against the row and cell limits before it is kept (a 50 MB export of 130,000
    columns is refused at its header, not expanded into 3 GB of cells)."""
    text, recoded = _decode(path.read_bytes())
    csv.field_size_limit(int(limits.FIELD.value()))
    # newline="" lets csv see every line ending (CRLF, LF, CR) and count lines itself.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    filled: list[tuple[int, list[str]]] = []
    blank = width = 0
    most_rows, most_cells = limits.ROWS.value(), limits.CELLS.value()
    try:
        for rec in reader:
            if not any(f.strip() for f in rec):
                blank += 1
                continue
            filled.append((reader.line_num, rec))
            if (n := len(filled) - 2) == 0:
                width = len(rec)
                limits.COLUMNS.check(width, f"{source}, line {reader.line_num} (the header)")
            elif n > 0 and len(rec) != width:
                raise GsoFormatError(f"{source}, line {reader.line_num}: {len(rec)} fields where the header "
                                     f"(line {filled[1][0]}) has {width}")
            elif n > 0 and (n > most_rows or n * width > most_cells):
                limits.ROWS.check(n, source)
                limits.CELLS.check(n * width, source)
    except csv.Error as exc:  # a field over the field limit, or a NUL byte
        if "field larger than field limit" in str(exc):
            raise limits.LimitExceeded(limits.FIELD, limits.FIELD.value() + 1, source) from None
        raise GsoFormatError(f"{source}, line {reader.line_num}: cannot split the line into fields ({exc})") from None
    if len(filled) < 2:
        raise GsoFormatError(f"{source}: expected a title line, a header line and data rows; found {len(filled)} non-blank line(s)")
    (title_line, title), (header_line, header) = filled[0], filled[1]
    if len(title) != 1:
        raise GsoFormatError(f"{source}, line {title_line}: expected the quoted title alone on the first line, found {len(title)} fields")
    return _RawFile(title[0].strip(), header_line, header, filled[2:], blank, reader.line_num, recoded)


def _parse_values(cells: pd.DataFrame, lines: list[int], labels: tuple[ColumnLabel, ...], source: str) -> tuple[np.ndarray, int]:
    """Parse every cell (English format); ``..`` is missing, anything else unparseable raises."""
    values = np.empty(cells.shape, dtype="float64")
    missing = 0
    for j, lab in enumerate(labels):
        col = cells.iloc[:, j].str.strip()
        is_missing = (col == MISSING).to_numpy()
        parsed, failed = parse_number_series(col, decimal=".")
        bad = failed.to_numpy() | (parsed.isna().to_numpy() & ~is_missing)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise GsoFormatError(
                f"{source}, line {lines[i]}, column {lab.label!r}: cannot read {cells.iat[i, j]!r} as a number "
                f"(English format such as 105.8; '{MISSING}' for missing) — {int(bad.sum())} such cell(s) in this column"
            )
        values[:, j] = parsed.to_numpy()
        missing += int(is_missing.sum())
    return values, missing


def _long(rows: pd.DataFrame, values: np.ndarray, labels: tuple[ColumnLabel, ...]) -> pd.DataFrame:
    """One output row per (input row, column label), in file order."""
    n, k = values.shape
    out = pd.DataFrame({
        "province_code": np.repeat(rows["code"].to_numpy(dtype=object), k),
        "province_name": np.repeat(rows["name"].to_numpy(dtype=object), k),
        "name_as_printed": np.repeat(rows["printed"].to_numpy(dtype=object), k),
        "year": pd.array(np.tile(np.array([lab.year for lab in labels], dtype=object), n), dtype="Int64"),
        "measure": np.tile([lab.measure for lab in labels], n),
        "status": np.tile([lab.status for lab in labels], n),
        "value": values.reshape(-1),
        "source_row": np.repeat(rows["line"].to_numpy(), k),
    })
    for col in ("province_code", "province_name", "name_as_printed", "measure", "status"):
        out[col] = out[col].astype("string")
    known_years = all(lab.year is not None for lab in labels)
    return out.astype({"year": "int64" if known_years else "Int64", "source_row": "int64", "value": "float64"})


def read_pxweb(path: Path | str, strict: bool = True) -> GsoTable:
    """Read a GSO PX-Web CSV export.

    Province rows are resolved through :func:`khuyencong.core.provinces.normalize_province`
    (legacy boundaries); WHOLE COUNTRY, region and unallocated rows go to ``aggregates``. An unknown name
    raises :class:`UnknownNamesError` listing all of them (``strict=False``: kept in ``rejected``).
    """
    path = Path(path)
    source = source_name(path)
    raw = _read_raw(path, source)
    labels = _parse_header(raw.header, source, raw.header_line, raw.title)
    lines = [line for line, _ in raw.rows]
    printed = [rec[0] for _, rec in raw.rows]
    results = [classify_name(name) for name in printed]
    kinds = [r.kind for r in results]
    rejected = rejected_frame(source, lines, printed, results)
    raise_or_keep(rejected, strict)

    cells = pd.DataFrame([rec[1:] for _, rec in raw.rows], dtype="string")
    values, missing = _parse_values(cells, lines, labels, source) if raw.rows else (np.empty((0, len(labels))), 0)
    meta = pd.DataFrame({"line": lines, "printed": printed, "kind": kinds,
                         "code": [r.code for r in results], "name": [r.name for r in results]}, dtype=object)
    is_prov = (meta["kind"] == "province").to_numpy()
    is_agg = meta["kind"].isin(AGGREGATE_KINDS).to_numpy()
    data = _long(meta[is_prov], values[is_prov], labels)
    check_unique(data, ["province_code", "measure", "year"], source)
    aggregates = _long(meta[is_agg], values[is_agg], labels)
    aggregates["area_type"] = pd.Series(np.repeat(meta.loc[is_agg, "kind"].to_numpy(dtype=object), len(labels)),
                                        dtype="string")
    accounting = Accounting(
        lines_in_file=raw.lines_in_file, title_lines=1, blank_lines=raw.blank_lines, header_lines=1,
        rows_read=len(raw.rows), province_rows=int(is_prov.sum()), aggregate_rows=int(is_agg.sum()),
        rejected_rows=len(rejected), cells=int(values.size), missing_cells=missing,
    ).check()
    return GsoTable(data, aggregates, rejected, raw.title, source, accounting, labels,
                    recoded_lines=raw.recoded_lines)


# --- province_stats --------------------------------------------------------------------


def to_province_stats(table: GsoTable, column: str, measure: str | None = None) -> pd.DataFrame:
    """A ``province_stats`` input: province, province_code, year, ``column``.

    With several measures in the file (Total/Male/...), ``measure`` must name one. Cells that
    were ``..`` are dropped (no observation). Preliminary (``Prel.``) figures are kept.
    """
    available = table.measures
    if measure is None:
        if len(available) != 1:
            raise InputError(f"{table.source} has several measures {available}; pass measure=, e.g. measure={available[0]!r}")
        measure = available[0]
    if measure not in available:
        raise InputError(f"{table.source} has no measure {measure!r}; available: {available}")
    rows = table.data[(table.data["measure"] == measure) & table.data["value"].notna()]
    out = pd.DataFrame({
        "province": rows["province_name"],
        "province_code": rows["province_code"],
        "year": rows["year"],
        column: rows["value"],
    })
    return out.sort_values(["province_code", "year"], kind="stable").reset_index(drop=True)
