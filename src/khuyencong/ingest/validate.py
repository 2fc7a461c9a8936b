"""Check raw tables cell by cell and report every problem with file, row, column, value and fix.

All checks are vectorised over columns; distinct values (provinces, categories) are mapped once.
:func:`check_tables` returns the parsed values too, so :mod:`khuyencong.ingest.clean` never parses twice.
"""
from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from khuyencong.core import datasets as ds
from khuyencong.core import provinces
from khuyencong.ingest.readers import CSV_SUFFIXES, XLSX_SUFFIXES, RawTable, fold, read_raw, split_header
from khuyencong.paths import relative_to_root
from khuyencong.core.vnformat import parse_number_series

NUMBER_FIX = "write the number in Vietnamese format, e.g. 1.234,5 (dot for thousands, comma for decimals)"
MONEY_TOLERANCE_ABS, MONEY_TOLERANCE_REL = 0.5, 0.001
ISSUE_COLUMNS = ["pos", "column", "check", "problem", "fix", "severity"]


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (row None: the whole file)."""

    file: str
    sheet: str | None
    row: int | None
    column: str  # header as printed in the file
    value: str
    problem: str
    fix: str
    severity: str = "error"  # "error" rejects the row, "warning" keeps it
    check: str = ""  # short stable name of the check, used for counts

    def format(self) -> str:
        where = self.file + (f":{self.row}" if self.row else "")
        cell = f" {self.column} '{self.value}'" if self.column else ""
        tag = "" if self.severity == "error" else f" ({self.severity})"
        return f"{where}{cell}: {self.problem}{tag} — {self.fix}"


@dataclass
class ValidationReport:
    problems: list[Problem]
    rows_read: int
    rows_with_errors: int
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def as_frame(self) -> pd.DataFrame:
        cols = [f.name for f in Problem.__dataclass_fields__.values()]
        return pd.DataFrame([asdict(p) for p in self.problems], columns=cols).astype({"row": "Int64"})

    def summary(self) -> dict[str, int]:
        """Number of problems per check, most frequent first."""
        counts: dict[str, int] = {}
        for p in self.problems:
            counts[p.check] = counts.get(p.check, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def format(self, limit: int | None = 1000) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [p.format() for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"... and {len(self.problems) - len(shown)} more problems (write them all with --output)")
        errors = sum(p.severity == "error" for p in self.problems)
        lines.append(f"{len(self.files)} file(s), {self.rows_read} rows read, {self.rows_with_errors} rows with "
                     f"errors; {errors} errors, {len(self.problems) - errors} warnings"
                     + ("" if self.problems else " — all good"))
        if self.problems:
            lines.append("by problem: " + ", ".join(f"{k}: {v}" for k, v in self.summary().items()))
        return "\n".join(lines)


# ---------------------------------------------------------------- issues of one table

class _Issues:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, where, column: str, check: str, problem, fix, severity: str = "error") -> None:
        """``where``: boolean mask over the table rows, or an array of row positions."""
        where = np.asarray(where)
        pos = np.flatnonzero(where) if where.dtype == bool else where.astype("int64")
        if len(pos) == 0:
            return
        self.parts.append(pd.DataFrame({"pos": pos, "column": column, "check": check, "problem": problem,
                                        "fix": fix, "severity": severity}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "pos" else object) for c in ISSUE_COLUMNS})
        return pd.concat(self.parts, ignore_index=True)


@dataclass
class TableCheck:
    """A raw table with its parsed values (aligned with ``raw.frame``) and the problems found."""

    raw: RawTable
    values: pd.DataFrame
    issues: pd.DataFrame

    @property
    def error_rows(self) -> np.ndarray:
        bad = np.zeros(len(self.raw.frame), dtype=bool)
        errs = self.issues[self.issues["severity"] == "error"]
        bad[errs["pos"].to_numpy(dtype="int64")] = True
        return bad

    def reasons(self) -> pd.DataFrame:
        """Per rejected row position: ``reason`` (checks) and ``detail`` (problem texts)."""
        errs = self.issues[self.issues["severity"] == "error"].sort_values(["pos"], kind="stable")
        if errs.empty:
            return pd.DataFrame({"reason": pd.Series(dtype=object), "detail": pd.Series(dtype=object)})
        headers = errs["column"].map(self.raw.header)
        text = headers + ": " + errs["problem"].astype(str)
        grouped = pd.DataFrame({"pos": errs["pos"], "check": errs["check"], "text": text}).groupby("pos", sort=True)
        return pd.DataFrame({"reason": grouped["check"].agg(lambda s: "; ".join(dict.fromkeys(s))),
                             "detail": grouped["text"].agg("; ".join)})

    def problems(self) -> list[Problem]:
        raw, issues = self.raw, self.issues
        if issues.empty:
            return []
        order = {c.name: i for i, c in enumerate(ds.DATASETS[raw.dataset].columns)}
        issues = issues.assign(_c=issues["column"].map(order).fillna(len(order)))
        issues = issues.sort_values(["pos", "_c", "check"], kind="stable")
        rows = raw.frame["source_row"].to_numpy()
        out = []
        for pos, column, check, problem, fix, severity in issues[ISSUE_COLUMNS].itertuples(index=False):
            value = raw.frame[column].iat[pos] if column in raw.frame else ""
            out.append(Problem(raw.source, raw.sheet, int(rows[pos]), raw.header(column), printed(value),
                               str(problem), str(fix), severity, check))
        return out


def printed(value: object) -> str:
    """A cell as a person would read it."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- parsers per kind

def take_text(labels: list, codes: np.ndarray, index) -> pd.Series:
    """Text Series ``labels[codes]`` (code -1 → missing), built with one arrow ``take``."""
    arr = pd.array(list(labels), dtype="str")
    return pd.Series(arr.take(np.asarray(codes, dtype="int64"), allow_fill=True), index=index)


def _as_text(series: pd.Series) -> pd.Series:
    """Text cells stripped, blanks NaN; numbers from Excel become text (``1001.0`` → ``"1001"``)."""
    if series.dtype == object:
        codes, uniques = pd.factorize(series)
        series = take_text([printed(u).strip() for u in uniques], codes, series.index).fillna("")
    else:
        series = series.astype("str").str.strip()
    return series.where(series != "")


def _numbers(s: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    if s.dtype == object:  # Excel dates and other objects: show them as text, they fail to parse
        s = s.map(lambda v: v if v is None or isinstance(v, (str, int, float)) else str(v))
    return parse_number_series(s, decimal=decimal)


def _check_number(raw: RawTable, col: ds.Column, issues: _Issues) -> pd.Series:
    values, failed = _numbers(raw.frame[col.name], raw.decimal)
    failed = failed.to_numpy()
    fix = NUMBER_FIX if raw.decimal == "," else (
        "this file writes decimals with '.' (e.g. 1234.5 or 1,234.5); write every number the same way")
    issues.add(failed, col.name, "not a number", "not a number", fix)
    if col.required:
        issues.add(values.isna().to_numpy() & ~failed, col.name, "empty required cell", "required cell is empty",
                   f"fill in '{col.vi}' / '{col.en}'")
    if col.kind == "int":
        frac = values.notna() & (values != values.round())
        issues.add(frac.to_numpy(), col.name, "not a whole number", "not a whole number", "write a whole number")
        values = values.where(~frac)
    if col.kind == "money":
        values = values * raw.unit_scale.get(col.name, 1.0)
        neg = (values < 0).to_numpy()
        issues.add(neg, col.name, "negative money", "negative amount", "amounts cannot be negative; check the sign")
    elif col.kind == "int" and col.name != "year":
        issues.add((values < 0).to_numpy(), col.name, "negative count", "negative count",
                   "counts cannot be negative; check the sign")
    if col.name == "year":
        out = (values.notna() & ((values < ds.YEAR_MIN) | (values > ds.YEAR_MAX))).to_numpy()
        issues.add(out, col.name, "year out of range", f"year outside {ds.YEAR_MIN}–{ds.YEAR_MAX}",
                   "write the four-digit year of implementation")
    return values


def _check_text(raw: RawTable, col: ds.Column, issues: _Issues) -> pd.Series:
    text = _as_text(raw.frame[col.name])
    if col.required:
        issues.add(text.isna().to_numpy(), col.name, "empty required cell", "required cell is empty",
                   f"fill in '{col.vi}' / '{col.en}'")
    return text


@lru_cache(maxsize=None)
def _choice_index(dataset: str, column: str) -> tuple[dict[str, str], dict[str, str]]:
    """(folded spelling → code, code → label for suggestions)."""
    col = ds.DATASETS[dataset].column(column)
    entries = [(c.code, c.name_vi, c.name_en) for c in ds.categories()] if col.kind == "category" else col.choices
    index: dict[str, str] = {}
    for code, vi, en in entries:
        for spelling in (code, vi, en):
            for key in (fold(spelling), split_header(spelling)[0]):
                if key:
                    index.setdefault(key, code)
    return index, {code: f"{code} ({vi})" for code, vi, _ in entries}


def _check_choice(raw: RawTable, col: ds.Column, issues: _Issues) -> pd.Series:
    text = _check_text(raw, col, issues)
    index, labels = _choice_index(raw.dataset, col.name)
    codes, uniques = pd.factorize(text)
    mapped = np.array([index.get(fold(u)) for u in uniques] + [None], dtype=object)
    result = take_text(list(mapped[:-1]), codes, text.index)
    bad_u = [i for i, m in enumerate(mapped[:-1]) if m is None]
    what = "category" if col.kind == "category" else col.en.lower()
    for i in bad_u:
        close = difflib.get_close_matches(fold(uniques[i]), list(index), n=3, cutoff=0.6)
        near = list(dict.fromkeys(labels[index[k]] for k in close))
        hint = f"did you mean {' or '.join(near)}? " if near else ""
        issues.add(codes == i, col.name, f"unknown {what}", f"unknown {what}",
                   f"{hint}allowed: {', '.join(labels)} (code, Vietnamese or English label)")
    return result


def _check_province(raw: RawTable, col: ds.Column, issues: _Issues) -> pd.DataFrame:
    text = _check_text(raw, col, issues)
    codes, uniques = pd.factorize(text)
    agg = np.array([provinces.is_region_or_country(u) for u in uniques] + [False])
    is_agg = agg[codes]
    issues.add(is_agg, col.name, "aggregate row", "aggregate row (a region or the whole country, not a province)",
               "remove region and whole-country total rows; keep one row per province")
    found, errors = provinces.normalize_series(text.where(~is_agg))
    for message_suggestions, group in errors.groupby(["suggestions"], sort=False):
        sugg = message_suggestions[0]
        hint = f"did you mean {' or '.join(sugg.split('; ')[:3])}? " if sugg else ""
        pos = text.index.get_indexer(group["row"])
        issues.add(pos, col.name, "unknown province", "unknown province",
                   f"{hint}write the province name (e.g. 'Bắc Giang' or 'Bac Giang') or its 2-digit GSO code")
    return _province_columns(found)


@lru_cache(maxsize=None)
def _province_record(code: str) -> tuple[str, str, str]:
    p = provinces.get(code)
    return p.name, p.region_code, p.new_code or ""


def _province_columns(codes: pd.Series) -> pd.DataFrame:
    fac, uniques = pd.factorize(codes)
    recs = [_province_record(c) for c in uniques]
    cols = {}
    for i, name in enumerate(("province_name", "region_code", "province_code_2025")):
        cols[name] = take_text([r[i] for r in recs], fac, codes.index)
    return pd.DataFrame({"province_code": codes.astype("str"), **cols})


# ---------------------------------------------------------------- rules across columns

def _register_rules(raw: RawTable, v: pd.DataFrame, issues: _Issues) -> None:
    s, c = v["state_support"], v["beneficiary_contribution"]
    ok = s.notna() & c.notna() & (s >= 0) & (c >= 0)
    issues.add((ok & (s == 0) & (c == 0)).to_numpy(), "state_support", "contribution share out of range",
               "state support and contribution are both 0", "enter the amounts of the project")
    issues.add((ok & (s == 0) & (c > 0)).to_numpy(), "state_support", "contribution share out of range",
               "state share is 0 (must be in (0, 1]): state support is 0",
               "a project with no state support is not an extension project; check the amounts")
    if "total_cost" in v:
        t = v["total_cost"]
        parts = s + c
        tol = np.maximum(MONEY_TOLERANCE_ABS, MONEY_TOLERANCE_REL * t.abs())
        bad = (t.notna() & parts.notna() & ((t - parts).abs() > tol)).to_numpy()
        if bad.any():
            fmt = lambda x: x.round(3).astype(str)  # noqa: E731
            problem = ("total " + fmt(t[bad]) + " ≠ support " + fmt(s[bad]) + " + contribution " + fmt(c[bad])
                       + " = " + fmt(parts[bad]) + " (million VND)")
            issues.add(bad, "total_cost", "total does not add up", problem.to_numpy(),
                       "correct the total or its parts (total = state support + contribution)")


def _survey_rules(raw: RawTable, v: pd.DataFrame, issues: _Issues) -> None:
    bad = (v["workers"] <= 0) & (v["output_value"] > 0)
    issues.add(bad.to_numpy(), "workers", "no workers with output", "no workers but output value > 0",
               "enter the average number of workers")


def _plans_rules(raw: RawTable, v: pd.DataFrame, issues: _Issues) -> None:
    issues.add((v["planned"] <= 0).to_numpy(), "planned", "plan not positive", "planned value must be > 0",
               "enter the planned value (leave the row out if there was no plan)")
    issues.add((v["achieved"] < 0).to_numpy(), "achieved", "negative achievement", "achieved value is negative",
               "achieved values cannot be negative")


_RULES = {"register": _register_rules, "survey": _survey_rules, "plans": _plans_rules}


def check_table(raw: RawTable) -> TableCheck:
    """Parse and check one table on its own (no cross-file checks)."""
    issues = _Issues()
    parts: list[pd.DataFrame | pd.Series] = []
    for col in ds.DATASETS[raw.dataset].columns:
        if col.name not in raw.frame:
            continue
        if col.kind == "province":
            parts.append(_check_province(raw, col, issues))
        elif col.kind in ("int", "float", "money"):
            parts.append(_check_number(raw, col, issues).rename(col.name))
        elif col.kind in ("category", "choice"):
            parts.append(_check_choice(raw, col, issues).rename(col.name))
        else:
            parts.append(_check_text(raw, col, issues).rename(col.name))
    values = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=raw.frame.index)
    rule = _RULES.get(raw.dataset)
    if rule is not None:
        rule(raw, values, issues)
    return TableCheck(raw, values, issues.frame())


# ---------------------------------------------------------------- rules across files

def _key_columns(dataset: str) -> list[str]:
    return ["province_code" if k == "province" else k for k in ds.DATASETS[dataset].key]


def _key_frame(c: TableCheck, key: list[str], only: str | None = None) -> pd.DataFrame | None:
    """Key columns with row positions (``_pos``); rows with a missing key part are left out."""
    if not all(k in c.values for k in key) or (only is not None and only not in c.values):
        return None
    frame = c.values[key].assign(_pos=np.arange(len(c.values)))
    keep = frame[key].notna().all(axis=1)
    if only is not None:
        keep &= c.values[only].notna()
    return frame[keep.to_numpy()]


def _duplicates(checks: list[TableCheck], idx: list[int], key: list[str], column: str, what: str,
                only: str | None = None) -> dict[int, pd.DataFrame]:
    """Every occurrence of a key after the first, across the tables ``idx`` in order."""
    parts = []
    for i in idx:
        frame = _key_frame(checks[i], key, only)
        if frame is not None:
            parts.append(frame.assign(_t=i))
    if not parts:
        return {}
    allk = pd.concat(parts, ignore_index=True)
    dup = allk.duplicated(key, keep=False)
    if not dup.any():
        return {}
    d = allk[dup.to_numpy()]
    first = d.drop_duplicates(key, keep="first")
    first = first.assign(_where=[f"{checks[t].raw.source}:{int(checks[t].raw.frame['source_row'].iat[p])}"
                                 for t, p in zip(first["_t"], first["_pos"])])
    later = d[d.duplicated(key, keep="first").to_numpy()].merge(first[key + ["_where"]], on=key, how="left")
    found = {}
    for t, grp in later.groupby("_t", sort=True):
        found[int(t)] = pd.DataFrame({
            "pos": grp["_pos"].to_numpy(), "column": column, "check": "duplicate key",
            "problem": ("duplicate " + what + " (first at " + grp["_where"] + ")").to_numpy(),
            "fix": f"keep one row per {what}; delete or correct the repeats", "severity": "error"})
    return found


_KEY_LABELS = {"register": "project ID", "survey": "establishment and year",
               "plans": "province, year and indicator"}


def _cross_issues(checks: list[TableCheck], register_ids: Iterable[str] | None) -> list[list[pd.DataFrame]]:
    extra: list[list[pd.DataFrame]] = [[] for _ in checks]
    by_ds: dict[str, list[int]] = {}
    for i, c in enumerate(checks):
        by_ds.setdefault(c.raw.dataset, []).append(i)
    for name, idx in by_ds.items():
        if name == "province_stats":  # several files may fill different columns of the same province-year
            for col in (c.name for c in ds.PROVINCE_STATS.columns if c.name not in ("province", "year")):
                found = _duplicates(checks, idx, ["province_code", "year"], col,
                                    f"province and year for {col}", only=col)
                for i, f in found.items():
                    extra[i].append(f)
        else:
            key = _key_columns(name)
            for i, f in _duplicates(checks, idx, key, key[0], _KEY_LABELS[name]).items():
                extra[i].append(f)
    known = [pd.Series(list(register_ids or ()), dtype="str")]
    known += [checks[i].values["project_id"].dropna() for i in by_ds.get("register", [])]
    ids = pd.concat(known, ignore_index=True).unique()
    if len(ids) or register_ids is not None:
        for i in by_ds.get("survey", []):
            if "project_id" in checks[i].values:
                extra[i].extend(_unlinked(checks[i].values["project_id"], ids))
    return extra


def _unlinked(pid: pd.Series, ids) -> list[pd.DataFrame]:
    # pyarrow's is_in stays in Arrow; Series.isin boxes every ID into a Python object (6-12 s at 1M rows)
    ids_array = pa.array(pd.Series(list(ids), dtype="string").to_numpy(na_value=None), type=pa.string())
    values = pa.array(pid.astype("string").to_numpy(na_value=None), type=pa.string())
    in_register = pc.is_in(values, value_set=ids_array).to_numpy(zero_copy_only=False)
    bad = pid.notna().to_numpy() & ~in_register
    if not bad.any():
        return []
    return [pd.DataFrame({"pos": np.flatnonzero(bad), "column": "project_id", "check": "project not in register",
                          "problem": "project ID not found in the register",
                          "fix": "check the project ID against the register (leave it empty for comparison "
                                 "establishments)", "severity": "warning"})]


def check_tables(raws: list[RawTable], register_ids: Iterable[str] | None = None) -> list[TableCheck]:
    """Check each table, then duplicates across files of a dataset and survey → register links."""
    checks = [check_table(r) for r in raws]
    for c, extra in zip(checks, _cross_issues(checks, register_ids)):
        if extra:
            c.issues = pd.concat([c.issues, *extra], ignore_index=True)
    return checks


# ---------------------------------------------------------------- entry point

def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; directories → their CSV/XLSX files in name order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "~$"))
                              and f.suffix.lower() in CSV_SUFFIXES + XLSX_SUFFIXES))
        else:
            out.append(p)
    return out


def file_problem(path: Path, exc: Exception) -> Problem:
    where, message = relative_to_root(path), str(exc)
    if message.startswith(where + ": "):
        message = message[len(where) + 2:]
    return Problem(where, None, None, "", "", message,
                   "fix the file layout as described and run validate again", "error", "unreadable file")


def read_all(paths: Iterable[Path | str], dataset: str | None = None) -> tuple[list[RawTable], list[Problem]]:
    raws, problems = [], []
    for path in expand_paths(paths):
        try:
            raws.append(read_raw(path, dataset=dataset))
        except (ValueError, FileNotFoundError) as exc:  # RawFormatError, GSO format errors, bad bytes
            problems.append(file_problem(path, exc))
    return raws, problems


def report_from(checks: list[TableCheck], file_problems: list[Problem], files: list[str]) -> ValidationReport:
    problems = list(file_problems)
    with_errors = 0
    for c in checks:
        problems.extend(c.problems())
        with_errors += int(c.error_rows.sum())
    return ValidationReport(problems, sum(len(c.raw.frame) for c in checks), with_errors, files)


def validate_paths(paths: Iterable[Path | str], dataset: str | None = None) -> ValidationReport:
    """Read and check files given together (duplicates are also checked across them)."""
    paths = expand_paths(paths)
    raws, file_problems = read_all(paths, dataset)
    checks = check_tables(raws)
    return report_from(checks, file_problems, [relative_to_root(p) for p in paths])
