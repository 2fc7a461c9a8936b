r"""Write a table as CSV (UTF-8 with BOM, opens in Excel), XLSX or Stata .dta; writes are atomic.

Safe for any cell (OWASP CSV injection advice):

- text that a spreadsheet would run as a formula — starting with ``=``, ``+``, ``-``, ``@``, tab
  or carriage return, at the start of the cell or of any line inside it — gets a ``'`` there in
  CSV and XLSX; text that is just a signed number (``-5``) and real numbers are left alone;
- every CSV field holding a line break (``\r`` too) is quoted, so it never starts a new row;
- control characters XLSX and Stata cannot hold are written as visible ``\xNN`` escapes, with a
  warning naming the file and how many cells changed.

Every table a report saves carries a :class:`Stamp` — its data status (SYNTHETIC, REAL or DERIVED), source
and language — as three ordinary last columns, ``data_status``, ``data_source`` and ``lang``, the
same in CSV, XLSX and .dta. Columns rather than a title line: ``pd.read_csv``, Excel and Stata's
``import delimited`` read the file as it is, tables stacked from several reports keep each row's
status, and a processed table's own ``data_status`` column is the same column. XLSX adds the
stamp as document properties and an "about" sheet after the data; .dta as the dataset label, with
value labels (in the stamp's language) on coded columns (category, funding source, status, ...).
Files are byte-stable: XLSX and .dta carry fixed dates.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.core import i18n
from khuyencong.errors import InputError
from khuyencong.files import FIXED_TIME, atomic_path, stable_xlsx

log = logging.getLogger(__name__)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-]?\d[\d.,]*([eE][+-]?\d+)?$")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_RISKY = re.compile(r"^[=+\-@\t\r]|[\r\n][=+\-@\t]")  # a cell some line of which may start a formula
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XLSX (XML 1.0) and Stata strings cannot hold
XLSX_CELL_MAX = 32_767  # characters Excel keeps in one cell
_CR_MARK = "\n\ue0ff\ue0fe"  # stands for \r while pandas writes the CSV: its \n makes the field quoted
STATA_NAME_MAX, STATA_LABEL_MAX = 32, 80
STATA_STR_MAX = 2045  # bytes of a fixed-width Stata string; longer text is stored as strL
STAMP_COLUMNS = ("data_status", "data_source", "lang")
STATUSES = ("SYNTHETIC", "REAL", "DERIVED")  # DERIVED: computed from REAL figures (ratios, links)
#: coded column → i18n prefix of its labels (the codes, in order, are the keys under that prefix)
CODED = {"category": "category", "funding_source": "funding_source", "status": "status",
         "indicator": "plan_indicator", "region_code": "region"}


@dataclass(frozen=True)
class Stamp:
    """What an exported table says about itself: data ``status`` ("SYNTHETIC", "REAL" or "DERIVED",
    possibly qualified: "REAL (published)"), its ``source`` and the report's ``lang``."""

    status: str
    source: str
    lang: str

    def __post_init__(self):
        if not str(self.status).startswith(STATUSES):
            raise ValueError(f"data status must start with SYNTHETIC, REAL or DERIVED, not {self.status!r}")
        i18n.check_lang(self.lang)

    @property
    def synthetic(self) -> bool:
        return self.status.startswith("SYNTHETIC")

    def label(self, limit: int = STATA_LABEL_MAX) -> str:
        """"SYNTHETIC · vi · <source>", cut to ``limit`` characters (Stata's dataset label)."""
        text = " · ".join(p for p in (self.status, self.lang, self.source) if p)
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def on(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the stamp columns it lacks appended (a table's own ``data_status`` is kept)."""
        values = dict(zip(STAMP_COLUMNS, (self.status, self.source, self.lang)))
        return df.assign(**{c: v for c, v in values.items() if c not in df.columns})


def stamp_of(df: pd.DataFrame) -> Stamp | None:
    """The stamp a table carries in its columns (SYNTHETIC if any row is); None without one (no
    rows, a column missing, several languages or a status other than SYNTHETIC, REAL or DERIVED)."""
    if not set(STAMP_COLUMNS) <= set(df.columns) or df.empty:
        return None
    statuses = sorted(set(df["data_status"].astype(str)))
    status = next((s for s in statuses if s.startswith("SYNTHETIC")), statuses[0])
    sources = " | ".join(dict.fromkeys(str(v) for v in df["data_source"] if str(v)))
    langs = set(df["lang"].astype(str))
    try:
        return Stamp(status, sources, langs.pop()) if len(langs) == 1 else None
    except ValueError:
        return None


def read_stamp(path: Path | str) -> Stamp | None:
    """The stamp of an exported CSV or XLSX table (first sheet); None when it carries none."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    else:
        df = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    return stamp_of(df)


def _safe_line(line: str) -> str:
    return "'" + line if line.startswith(FORMULA_START) and not _SIGNED_NUMBER.match(line) else line


def safe_cell(value: object) -> object:
    """``'=1+1'`` → ``"'=1+1"``, ``"a\\n=1"`` → ``"a\\n'=1"``; anything else unchanged."""
    if not isinstance(value, str) or not _RISKY.search(value):
        return value
    parts = _LINE_BREAK.split(value)  # text, break, text, ...
    parts[2::2] = [_safe_line(part) for part in parts[2::2]]
    return _safe_line("".join(parts))


def _text_columns(df: pd.DataFrame) -> list:
    """Columns that may hold text: object, string and categorical ones."""
    return [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)
            or isinstance(df[c].dtype, pd.CategoricalDtype)]


def _map_text(df: pd.DataFrame, func, pattern: re.Pattern) -> tuple[pd.DataFrame, int]:
    """``df`` with ``func`` applied to the text cells (and column names) matching ``pattern``; how many changed."""
    out, changed = df.copy(), 0
    for col in _text_columns(df):
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):  # the guard applies to every dtype: categories are text too
            s = s.astype(object)
        if s.dtype == object:
            hit = s.map(lambda v: isinstance(v, str) and pattern.search(v) is not None).astype(bool)
        else:
            hit = s.str.contains(pattern.pattern, regex=True, na=False).astype(bool)
        if hit.any():
            out[col] = s.astype(object).where(~hit, s[hit].map(func)).astype(s.dtype)
            changed += int(hit.sum())
    names = [func(c) if isinstance(c, str) and pattern.search(c) else c for c in df.columns]
    changed += sum(a != b for a, b in zip(names, df.columns))
    out.columns = names
    return out, changed


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with formula-like text neutralised (numbers untouched)."""
    return _map_text(df, safe_cell, _RISKY)[0]


def _escape_control(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def printable_frame(df: pd.DataFrame, target: Path) -> pd.DataFrame:
    """``df`` with control characters written as ``\\xNN``; a warning says how many cells changed."""
    out, changed = _map_text(df, _escape_control, _CONTROL)
    if changed:
        log.warning("%s: %d cell(s) held control characters the format cannot store; written as \\xNN escapes",
                    target.name, changed)
    return out


def _write_csv(df: pd.DataFrame, tmp: Path) -> None:
    frame, marked = _map_text(safe_frame(df), lambda v: v.replace("\r", _CR_MARK), re.compile("\r"))
    text = frame.to_csv(index=False, lineterminator="\n")
    tmp.write_bytes((text.replace(_CR_MARK, "\r") if marked else text).encode("utf-8-sig"))


def _xlsx_value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    return safe_cell(v)


def _about_rows(stamp: Stamp) -> list[list[str]]:
    lang = stamp.lang
    rows = [[i18n.t("bd_status", lang), stamp.status], [i18n.t("bd_source", lang), stamp.source],
            [i18n.t("bd_language", lang), lang]]
    return rows + ([[i18n.t("synthetic_note", lang)]] if stamp.synthetic else [])


def _xlsx_limits(df: pd.DataFrame, target: Path) -> pd.DataFrame:
    """``df`` with cells longer than Excel holds cut at :data:`XLSX_CELL_MAX` characters, each column
    named in a warning, as is a column whose carriage returns XLSX will store as line feeds."""
    out = df.copy()
    for col in _text_columns(df):
        s = df[col].astype(object)
        text = s.map(lambda v: v if isinstance(v, str) else "")
        long = text.str.len() > XLSX_CELL_MAX
        if long.any():
            out[col] = s.where(~long, text[long].str.slice(0, XLSX_CELL_MAX))
            log.warning("%s: column %s: %d cell(s) longer than Excel's %s characters were cut there; export to .csv "
                        "to keep them whole", target.name, col, int(long.sum()), f"{XLSX_CELL_MAX:,}")
        returns = int(text.str.contains("\r", regex=False).sum())
        if returns:
            log.warning("%s: column %s: %d cell(s) hold a carriage return, which XLSX stores as a line feed; "
                        "export to .csv to keep it", target.name, col, returns)
    return out


def _write_xlsx(df: pd.DataFrame, tmp: Path, stamp: Stamp | None, sheet: str = "data") -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([safe_cell(str(c)) for c in df.columns])
    for row in df.astype(object).itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])
    if stamp is not None:
        about = wb.create_sheet(i18n.t("bd_about_sheet", stamp.lang)[:31])
        for row in _about_rows(stamp):
            about.append([safe_cell(_escape_control(v)) for v in row])
        props = wb.properties
        props.subject, props.description, props.language = stamp.status, stamp.source, stamp.lang
        props.keywords = f"data_status={stamp.status}; lang={stamp.lang}"
    tmp.write_bytes(stable_xlsx(wb))


def stata_names(columns) -> dict[str, str]:
    """Column → Stata-safe name: ASCII letters, digits and _, not starting with a digit, ≤ 32, unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        text = unicodedata.normalize("NFD", str(col).replace("đ", "d").replace("Đ", "D"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "var"
        if name[0].isdigit():
            name = "_" + name
        name = name[:STATA_NAME_MAX]
        base, k = name, 2
        while name.lower() in used:
            suffix = f"_{k}"
            name, k = base[: STATA_NAME_MAX - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        out[col] = name
    return out


def stata_labels(columns, table: str | None = None) -> dict[str, str]:
    """Variable labels from the data dictionary (Vietnamese description and unit, ≤ 80 characters)."""
    from khuyencong.core.schemas import data_dictionary

    dd = data_dictionary()
    if table is not None:
        dd = dd[dd["table"] == table]
    dd = dd.drop_duplicates("column")
    labels = {}
    for _, r in dd[dd["column"].isin(list(columns))].iterrows():
        text = r["description_vi"] + (f" ({r['unit']})" if r["unit"] else "")
        labels[r["column"]] = text if len(text) <= STATA_LABEL_MAX else text[: STATA_LABEL_MAX - 1] + "…"
    return labels


def _stata_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
            s = s.astype("float64").astype("Int8") if s.isna().any() else s.astype("int8")
        if pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(s.dtype):
            s = s.astype("float64")  # Stata missing for <NA>
        elif pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object).where(s.notna(), "")
        out[col] = s
    return pd.DataFrame(out, index=df.index)


def vocabulary(column: str, lang: str = "vi") -> dict[str, str]:
    """Code → label (in ``lang``) of a coded column (:data:`CODED`), in the vocabulary's order."""
    prefix = CODED[column] + "."
    return {k[len(prefix):]: i18n.t(k, lang) for k in i18n.labels() if k.startswith(prefix)}


def value_labelled(df: pd.DataFrame, lang: str = "vi") -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Coded text columns as Stata integers 1…n (vocabulary order, so every file numbers alike) and
    their value labels; a column holding a value outside the vocabulary stays text."""
    out, labels = df.copy(), {}
    for col in [c for c in df.columns if c in CODED and df[c].dtype == object]:
        codes = list(vocabulary(col, lang))
        values = df[col].where(df[col] != "")
        if not set(values.dropna().astype(str)) <= set(codes):
            log.info("%s: values outside its vocabulary, written as text without value labels", col)
            continue
        number = {code: i + 1 for i, code in enumerate(codes)}
        out[col] = values.map(number).astype("float64" if values.isna().any() else "int16")
        labels[col] = {number[c]: text for c, text in vocabulary(col, lang).items()}
    return out, labels


def _write_dta(df: pd.DataFrame, tmp: Path, table: str | None, target: Path, stamp: Stamp | None) -> None:
    if stamp is None and "data_status" in df.columns and len(df):  # a processed table: labels are Vietnamese
        stamp = stamp_of(df.assign(data_source=f"data/processed/{table}" if table else "", lang="vi"))
    names = stata_names(df.columns)
    labels = {names[c]: text for c, text in stata_labels(df.columns, table).items()}
    frame, values = value_labelled(_stata_frame(df), stamp.lang if stamp else "vi")
    frame = frame.rename(columns=names)
    values = {names[c]: v for c, v in values.items()}
    long_text = [c for c in frame.columns if frame[c].dtype == object
                 and frame[c].map(lambda v: len(v.encode()) if isinstance(v, str) else 0).max() > STATA_STR_MAX]
    try:
        frame.to_stata(tmp, write_index=False, version=118, variable_labels=labels, convert_strl=long_text,
                       value_labels=values or None, time_stamp=FIXED_TIME,
                       data_label=stamp.label() if stamp else None)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{target.name}: cannot be written as Stata .dta ({str(exc).strip().splitlines()[0]}); "
                         "export to .csv or .xlsx instead, or fix the column named") from None


def export_table(df: pd.DataFrame, path: Path | str, table: str | None = None, stamp: Stamp | None = None) -> Path:
    """Write ``df`` by suffix: ``.csv`` (UTF-8 BOM), ``.xlsx`` or ``.dta`` (Stata 14+, Unicode).

    ``table`` names the processed table, to pick the .dta variable labels from the data dictionary.
    ``stamp`` (data status, source, language) is written into the table (:class:`Stamp`); without
    it, a table that already holds the stamp columns keeps them and is labelled from them.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".dta"):
        raise InputError(f"{path.name}: cannot export to {suffix!r}; use .csv, .xlsx or .dta")
    if stamp is not None:
        df = stamp.on(df)
    stamp = stamp or stamp_of(df)
    if suffix != ".csv":
        df = printable_frame(df, path)
    if suffix == ".xlsx":
        df = _xlsx_limits(df, path)
    writers = {".csv": lambda t: _write_csv(df, t), ".xlsx": lambda t: _write_xlsx(df, t, stamp),
               ".dta": lambda t: _write_dta(df, t, table, path, stamp)}
    with atomic_path(path) as tmp:
        writers[suffix](tmp)
    return path
