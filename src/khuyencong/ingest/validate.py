"""Validate raw files: read them, check each table, then the rules across files; report every problem.

A file with a reviewed mapping beside it (``FILE.mapping.yml``, written by ``khuyencong map``) is
read through that mapping (:mod:`khuyencong.ingest.annex_table`); every other file through
:func:`khuyencong.ingest.readers.read_raw`. Every problem names file, row, column, value and fix.
A file over a resource limit (:mod:`khuyencong.limits`) is no problem of its data: it stops validate
with the limit's message and how to raise it (exit 2), as a folder of too many files does.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from khuyencong import limits
from khuyencong.core import datasets as ds
from khuyencong.errors import ConfigurationError
from khuyencong.ingest.annex_rows import confident, layouts_of
from khuyencong.ingest.annex_table import FIXES, read_mapped
from khuyencong.ingest.checks import check_table
from khuyencong.ingest.formats import NeedsOcrError
from khuyencong.ingest.headers import RawFormatError
from khuyencong.ingest.mapping import load_mapping, mapping_path, propose_mapping
from khuyencong.ingest.official_check import OfficialCheck, check_export, is_official_export, with_official
from khuyencong.ingest.problems import Problem, TableCheck, ValidationReport
from khuyencong.ingest.rawtable import RawTable
from khuyencong.ingest.readers import TABLE_SUFFIXES, read_raw
from khuyencong.paths import relative_to_root

log = logging.getLogger(__name__)


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
    """Files as given; directories → their table files (and any file with a mapping) in name order,
    at most :data:`limits.FILES` per folder (a folder of 10,000 one-row files is refused, not read)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = []
            for f in p.rglob("*"):
                if f.name.startswith((".", "~$")) or not f.is_file():
                    continue
                if f.suffix.lower() in TABLE_SUFFIXES or mapping_path(f).exists():
                    found.append(f)
                    limits.FILES.check(len(found), f"{relative_to_root(p)}/")
            out.extend(sorted(found))
        else:
            out.append(p)
    return out


def file_problem(path: Path, exc: Exception) -> Problem:
    where, message = relative_to_root(path), str(exc)
    if message.startswith(where + ": "):
        message = message[len(where) + 2:]
    if isinstance(exc, NeedsOcrError):
        return Problem(where, None, None, "", "", message, FIXES["no_text_layer"], "error", "no_text_layer")
    fix = "fix the file layout as described and run validate again"
    if isinstance(exc, RawFormatError) and "khuyencong map" not in message:  # say the way out once
        fix += (f"; or, for a table laid out as the province published it, run `khuyencong map {where}`, "
                "review the mapping it writes and validate again")
    return Problem(where, None, None, "", "", message, fix, "error", "unreadable file")


def read_one(path: Path, dataset: str | None = None, province: str | None = None,
             year: int | None = None, unreviewed: bool = False) -> tuple[RawTable | None, list[Problem]]:
    """One file: through its reviewed mapping when it has one, else by its headers.

    ``unreviewed`` (``validate``): a register that is not laid out as our template and has no mapping
    yet is read as a published document with the vocabulary's exact matches only, so the user sees its
    problems before running ``map``; ``clean`` never publishes such a reading.
    """
    mp = mapping_path(path)
    if mp.exists():
        log.info("%s: using mapping %s", relative_to_root(path), mp.name)
        return read_mapped(path, load_mapping(mp), province, year)
    try:
        return read_raw(path, dataset=dataset), []
    except RawFormatError as exc:
        if not unreviewed or dataset not in (None, "register") or not (layouts := layouts_of(path)[0]):
            raise
        # Not our template, but a register as provinces publish them: the same reader `map` uses, with only
        # what the vocabulary matches exactly; anything else stays unapplied and is named in the problems.
        log.warning("%s: not laid out as our template (%s); read as a published document with exact matches "
                    "only — run `khuyencong map %s` to review the rest", relative_to_root(path),
                    str(exc).splitlines()[0], relative_to_root(path))
        return read_mapped(path, confident(propose_mapping(path, layouts)), province, year)


def read_all(paths: Iterable[Path | str], dataset: str | None = None, province: str | None = None,
             year: int | None = None, unreviewed: bool = False) -> tuple[list[RawTable], list[Problem]]:
    """Every file read (see :func:`read_one`), and the problems of the files that could not be."""
    raws, problems = [], []
    for path in expand_paths(paths):
        try:
            raw, found = read_one(path, dataset, province, year, unreviewed)
        except (ConfigurationError, limits.LimitExceeded):
            raise  # a setting of ours, or a file over a KHUYENCONG_MAX_* limit: not a problem of the data, exit 2
        except (ValueError, FileNotFoundError) as exc:  # RawFormatError, GSO format errors, bad bytes
            raw, found = None, [file_problem(path, exc)]
        raws += [raw] if raw is not None else []
        problems += found
    return raws, problems


def report_from(checks: list[TableCheck], file_problems: list[Problem], files: list[str]) -> ValidationReport:
    problems = list(file_problems)
    with_errors = 0
    for c in checks:
        problems.extend(c.problems())
        with_errors += int(c.error_rows.sum())
    return ValidationReport(problems, sum(len(c.raw.frame) for c in checks), with_errors, files)


def validate_paths(paths: Iterable[Path | str], dataset: str | None = None, province: str | None = None,
                   year: int | None = None) -> ValidationReport:
    """Read and check files given together (duplicates are also checked across them).

    ``province``/``year`` fill in the file-level values a mapped file's mapping leaves empty. Without
    ``dataset``, a GSO PX-Web export is checked as official statistics, whatever it holds.
    """
    paths = expand_paths(paths)
    exports = [p for p in paths if dataset is None and is_official_export(p)]
    raws, file_problems = read_all([p for p in paths if p not in exports], dataset, province, year, unreviewed=True)
    official, unreadable = _official_checks(exports)
    checks = check_tables(raws)
    report = report_from(checks, file_problems + unreadable, [relative_to_root(p) for p in paths])
    return with_official(report, official)


def _official_checks(exports: list[Path]) -> tuple[list[OfficialCheck], list[Problem]]:
    """GSO PX-Web exports: official statistics (see :mod:`khuyencong.ingest.official_check`)."""
    checks, problems = [], []
    for path in exports:
        try:
            checks.append(check_export(path))
        except limits.LimitExceeded:
            raise  # exit 2, as for any other file over a limit
        except (ValueError, FileNotFoundError) as exc:
            problems.append(file_problem(path, exc))
    return checks, problems


def dry_run(path: Path) -> tuple[str, bool]:
    """What ``validate`` would say of a file just mapped, from one read: rows kept and rejected, the rows
    that are not projects, the sums reconciled, the errors and a count of the warnings."""
    raws, file_problems = read_all([path])
    report = report_from(check_tables(raws), file_problems, [relative_to_root(path)])
    structure = raws[0].structure if raws else []
    closing = [s for s in structure if s.get("figures")]
    reconciled = sum(bool(s.get("reconciles")) for s in closing)
    kinds = Counter(s["kind"] for s in structure)
    lines = [f"validate would read: {report.rows_read} project row(s), {report.rows_read - report.rows_with_errors} "
             f"kept, {report.rows_with_errors} rejected; {len(structure)} other row(s) ("
             + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ")",
             f"sums stated in the file: {reconciled} of {len(closing)} reconcile with the rows they close"]
    lines += [f"  {p.format()}" for p in report.problems if p.severity == "error"][:20]
    warnings = Counter(p.check for p in report.problems if p.severity != "error")
    if warnings:
        lines.append(f"  and {sum(warnings.values())} warning(s): " + ", ".join(f"{k} {n}" for k, n in warnings.items()))
    return "\n".join(lines), report.ok
