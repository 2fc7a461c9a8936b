"""What validation finds: one :class:`Problem` per cell, a :class:`TableCheck` per table, a report per run."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.ingest.rawtable import RawTable

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

class IssueList:
    """The problems of one table, collected as small frames of row positions."""

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
        """Every problem in row order (cell problems, then those on structure rows such as a total)."""
        cells = self._cell_problems()
        if not self.raw.extra_problems:
            return cells
        return sorted(cells + self.raw.extra_problems, key=lambda p: p.row or 0)

    def _cell_problems(self) -> list[Problem]:
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
