"""Raw files → typed, checked processed tables; every row read is kept, rejected with a reason, or structure.

Structure rows are the title, header, section, subtotal, total, blank and note rows of a file read
through its mapping (``FILE.mapping.yml``); a file read by its headers has none. Per file:
``rows_read = rows_kept + rows_rejected + rows_structure``.

Outputs (``data/processed/``): ``{dataset}.parquet``, ``rejected/{dataset}_rejected.csv``,
``data_dictionary.csv`` (+ ``.md``) and ``row_accounting.csv``. Re-running gives the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from khuyencong.core import datasets as ds
from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.ingest.export import export_table
from khuyencong.files import atomic_path, atomic_write_text
from khuyencong.core.schemas import SCHEMAS, data_dictionary, data_dictionary_markdown, processed_columns
from khuyencong.ingest.checks import take_text
from khuyencong.ingest.headers import RawFormatError
from khuyencong.ingest.problems import Problem, TableCheck, ValidationReport
from khuyencong.ingest.publish import SetWriter
from khuyencong.ingest.rawtable import RawTable
from khuyencong.ingest.readers import TABLE_SUFFIXES
from khuyencong.ingest.validate import check_tables, expand_paths, read_all

REAL, SYNTHETIC = "REAL", "SYNTHETIC"
ACCOUNTING_COLUMNS = ["dataset", "file", "rows_read", "rows_kept", "rows_rejected", "rows_structure",
                      "rejected_by_reason"]
_DTYPES = {"Int64": "Int64", "int": "int64", "float": "float64", "str": "str"}


def data_status_for(path: Path | str) -> str:
    """SYNTHETIC for anything under a ``demo/`` folder or named ``*SYNTHETIC*``, else REAL."""
    posix = "/" + Path(path).as_posix()
    return SYNTHETIC if "/demo/" in posix or "SYNTHETIC" in Path(path).name else REAL


@dataclass
class CleanResult:
    dataset: str
    source: str
    clean: pd.DataFrame
    rejected: pd.DataFrame
    problems: list[Problem]
    rows_read: int
    rows_structure: int = 0

    @property
    def rows_kept(self) -> int:
        return len(self.clean)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows per check; a row failing two checks counts under both."""
        if self.rejected.empty:
            return {}
        counts = self.rejected["reason"].str.split("; ").explode().value_counts()
        return {k: int(v) for k, v in sorted(counts.items())}


# ---------------------------------------------------------------- one table

def _empty(dtype: str, n: int, index) -> pd.Series:
    """An all-missing column of ``dtype`` (a column the file did not have)."""
    if dtype == "Int64":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, "int64"), np.ones(n, bool)), index=index)
    if dtype == "str":
        return take_text([""], np.full(n, -1), index)
    return pd.Series(np.full(n, np.nan), index=index, dtype=dtype)


def _int64(values: pd.Series) -> pd.Series:
    """Whole-number floats → nullable Int64 without pandas' slow per-value checks (validated upstream)."""
    v = values.to_numpy(dtype="float64")
    missing = np.isnan(v)
    data = np.where(missing, 0, v).astype("int64")
    return pd.Series(pd.arrays.IntegerArray(data, missing), index=values.index)


def _typed(values: pd.DataFrame, raw: RawTable, status: str) -> pd.DataFrame:
    n, index = len(values), values.index
    cols = {}
    for pc in processed_columns(raw.dataset):
        if pc.column in ("source_file", "boundaries", "data_status"):
            text = {"source_file": raw.source, "boundaries": provinces.LEGACY, "data_status": status}[pc.column]
            cols[pc.column] = take_text([text], np.zeros(n, dtype="int64"), index)
        elif pc.column == "source_row":
            cols[pc.column] = raw.frame["source_row"].loc[index].astype("int64")
        elif pc.column not in values:
            cols[pc.column] = _empty("int64" if pc.column == "year" else _DTYPES[pc.type], n, index)
        elif pc.column == "year":
            cols[pc.column] = values["year"].astype("int64")
        elif pc.type == "Int64":
            cols[pc.column] = _int64(values[pc.column])
        else:
            cols[pc.column] = values[pc.column].astype(_DTYPES.get(pc.type, pc.type))
    return pd.DataFrame(cols).reset_index(drop=True)


def _rejected(check: TableCheck, bad: np.ndarray) -> pd.DataFrame:
    raw = check.raw
    rows = raw.frame[bad]
    reasons = check.reasons().reindex(rows.index)
    data = rows.drop(columns="source_row").astype(object)
    return pd.concat([data, reasons], axis=1).assign(
        source_file=raw.source, source_row=rows["source_row"].astype("int64")).reset_index(drop=True)


def result_from(check: TableCheck, status: str | None = None) -> CleanResult:
    """Split a checked table into kept (typed) and rejected rows; the counts must add up."""
    raw = check.raw
    bad = check.error_rows
    clean = _typed(check.values[~bad], raw, status or data_status_for(raw.source))
    rejected = _rejected(check, bad)
    if len(clean) + len(rejected) != len(raw.frame):
        raise RuntimeError(f"{raw.source}: data rows {len(raw.frame)} != kept {len(clean)} + rejected "
                           f"{len(rejected)} (a bug, please report)")
    return CleanResult(raw.dataset, raw.source, clean, rejected, check.problems(),
                       len(raw.frame) + raw.rows_structure, raw.rows_structure)


def clean_table(raw: RawTable, status: str | None = None) -> CleanResult:
    """Clean one raw table on its own (duplicates checked within the file only)."""
    return result_from(check_tables([raw])[0], status)


# ---------------------------------------------------------------- all tables

@dataclass
class CleanSummary:
    accounting: pd.DataFrame
    tables: dict[str, int]  # rows written per processed table (after the province filter)
    rejected_by_reason: dict[str, dict[str, int]]
    outputs: list[str]
    province: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return int(self.accounting["rows_read"].sum())

    def examples(self, per_check: int = 2) -> pd.DataFrame:
        """The first ``per_check`` problems of each kind, in file and row order."""
        frame = ValidationReport(self.problems, rows_read=self.rows_read, rows_with_errors=0).as_frame()
        frame = frame.sort_values(["check", "file", "row"], kind="stable")
        return frame.groupby("check", sort=True).head(per_check).reset_index(drop=True)

    @property
    def data_status(self) -> str:
        """SYNTHETIC when any input file is synthetic demo data, else REAL."""
        statuses = {data_status_for(f) for f in self.accounting["file"]}
        return "SYNTHETIC" if "SYNTHETIC" in statuses else "REAL"

    def format(self) -> str:
        lines = [f"data status: {self.data_status}"
                 + (" — demo data generated by `khuyencong demo`, not real figures" if self.data_status == "SYNTHETIC" else "")]
        for name, group in self.accounting.groupby("dataset", sort=False):
            read, kept, rej, struct = (int(group[c].sum()) for c in ("rows_read", "rows_kept", "rows_rejected",
                                                                       "rows_structure"))
            lines.append(f"{name}: {len(group)} file(s), {read} rows read = {kept} kept + {rej} rejected"
                         + (f" + {struct} structure (titles, headers, sections, totals)" if struct else ""))
            for reason, count in self.rejected_by_reason.get(name, {}).items():
                lines.append(f"    rejected, {reason}: {count}")
        if self.province:
            lines.append(f"province filter: processed tables keep only {self.province} "
                         f"({', '.join(f'{k}: {v} rows' for k, v in self.tables.items())}); "
                         "row accounting and rejected files cover all provinces")
        warnings = sum(p.severity == "warning" for p in self.problems)
        if warnings:
            lines.append(f"{warnings} warning(s) (rows kept); run `khuyencong validate` to list them")
        lines.append("written: " + ", ".join(self.outputs))
        return "\n".join(lines)


def _discover(inputs: dict[str, list[Path]] | None, province: str | None = None,
              year: int | None = None) -> list[RawTable]:
    """Default: every table file under data/raw/demo/, dataset recognised from the headers.

    A file with a mapping is read through it; ``province``/``year`` fill in what its mapping leaves empty.
    """
    if inputs is None:
        raws, problems = read_all([paths.demo_dir()])
        if not raws and not problems:
            raise FileNotFoundError(f"no input files in {paths.relative_to_root(paths.demo_dir())}; "
                                    "run `khuyencong demo` or pass --input DATASET=PATH")
    else:
        raws, problems = [], []
        for name, files in inputs.items():
            if name not in ds.DATASETS:
                raise RawFormatError(f"unknown dataset {name!r}; one of {', '.join(ds.DATASETS)}")
            found = expand_paths(files)
            if not found:
                given = ", ".join(paths.relative_to_root(Path(f)) for f in files)
                raise RawFormatError(f"--input {name}={given}: no table file found ({', '.join(TABLE_SUFFIXES)}); "
                                     "nothing was cleaned and the processed tables are unchanged")
            got, bad = read_all(found, name, province, year)
            raws += got
            problems += bad
    if problems:
        raise RawFormatError("cannot read:\n" + "\n".join(p.format() for p in problems))
    return raws


def _paths_of(inputs) -> dict[str, str]:
    """Relative source → data status, from the real paths (a path outside the project keeps its folders)."""
    files = expand_paths([paths.demo_dir()]) if inputs is None else [p for fs in inputs.values()
                                                                       for p in expand_paths(fs)]
    return {paths.relative_to_root(p): data_status_for(_shown(p)) for p in files}


def _shown(path: Path) -> str:
    """Path from the project root when inside it (so the root's own folders never count), else absolute."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(paths.project_root()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _merge_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Several province_stats files may fill different columns of one province-year: one row each."""
    key = ["province_code", "year"]
    if df.empty:
        return df
    if df.duplicated(key).any():
        agg = {c: "first" for c in df.columns if c not in key}
        agg["source_file"] = lambda s: "; ".join(dict.fromkeys(s))
        df = df.groupby(key, sort=False, as_index=False).agg(agg)[list(df.columns)]
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _combine(name: str, results: list[CleanResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    clean = pd.concat([r.clean for r in results], ignore_index=True) if results else None
    if clean is None or clean.empty:
        clean = _typed(pd.DataFrame(index=pd.RangeIndex(0)), RawTable(pd.DataFrame({"source_row": []}), name, ""),
                       REAL)
    if name == "province_stats":
        clean = _merge_stats(clean)
    rejected = [r.rejected for r in results if not r.rejected.empty]
    if rejected:
        rej = pd.concat(rejected, ignore_index=True)
        front = [c.name for c in ds.DATASETS[name].columns if c.name in rej]
        rej = rej[front + ["reason", "detail", "source_file", "source_row"]]
    else:
        rej = pd.DataFrame(columns=[c.name for c in ds.DATASETS[name].columns]
                           + ["reason", "detail", "source_file", "source_row"])
    return clean, rej


def _check_schema(name: str, df: pd.DataFrame) -> pd.DataFrame:
    try:
        return SCHEMAS[name].validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise RuntimeError(f"processed table {name!r} breaks its schema (a cleaning bug):\n"
                           f"{exc.failure_cases.head(20)}") from None


def _province_filter(province: str | None) -> provinces.Province | None:
    if province is None or provinces.means_all(province):
        return None
    return provinces.normalize_province(str(province).strip())


def _accounting(results: list[CleanResult]) -> pd.DataFrame:
    rows = [{"dataset": r.dataset, "file": r.source, "rows_read": r.rows_read, "rows_kept": r.rows_kept,
             "rows_rejected": r.rows_rejected, "rows_structure": r.rows_structure,
             "rejected_by_reason": "; ".join(f"{k}={v}" for k, v in r.rejected_by_reason().items())}
            for r in results]
    return pd.DataFrame(rows, columns=ACCOUNTING_COLUMNS)


def _write_parquet(df: pd.DataFrame, target: Path) -> None:
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="snappy")


def default_out_dir(chosen: provinces.Province | None) -> Path:
    """data/processed/, or data/processed/by_province/<code>/ for one province.

    A one-province run must never overwrite the full tables that the analyses read.
    """
    base = paths.processed_dir()
    return base if chosen is None else base / "by_province" / chosen.code


def clean_all(inputs: dict[str, list[Path]] | None = None, out_dir: Path | str | None = None,
              province: str | None = None, year: int | None = None, file_province: str | None = None) -> CleanSummary:
    """Clean every dataset and write the processed tables, rejected rows and accounting.

    ``inputs``: {dataset: [files]}; None → every file under data/raw/demo/ (dataset from the headers).
    ``province``: name or code keeps only that province in the processed tables, after accounting;
    they are then written to :func:`default_out_dir` unless ``out_dir`` is given. ``file_province`` and
    ``year`` fill in the file-level values a mapped file's mapping leaves empty.
    """
    chosen = _province_filter(province)
    out = Path(out_dir) if out_dir is not None else default_out_dir(chosen)
    raws = _discover(inputs, file_province, year)
    status = _paths_of(inputs)
    results = [result_from(c, status.get(c.raw.source)) for c in check_tables(raws)]
    for r in results:
        if r.rows_read != r.rows_kept + r.rows_rejected + r.rows_structure:
            raise RuntimeError(f"row accounting does not balance for {r.source} (a bug)")
    with SetWriter(out) as stage:
        outputs, tables, by_reason = _write_set(stage, results, chosen)
        stage.publish()
    label = f"{chosen.name} ({chosen.code})" if chosen else None
    problems = [p for r in results for p in r.problems]
    return CleanSummary(_accounting(results), tables, by_reason, [f"{paths.relative_to_root(out)}/{o}" for o in outputs],
                        label, problems)


def _write_set(stage: SetWriter, results: list[CleanResult], chosen: provinces.Province | None):
    """Write every output file into ``stage``; (file names, rows per table, rejections per dataset)."""
    outputs, tables, by_reason = [], {}, {}
    for name in ds.DATASETS:
        mine = [r for r in results if r.dataset == name]
        if not mine:
            continue
        clean, rejected = _combine(name, mine)
        clean = _check_schema(name, clean)
        if chosen is not None:
            clean = clean[clean["province_code"] == chosen.code].reset_index(drop=True)
        _write_parquet(clean, stage.path(f"{name}.parquet"))
        export_table(rejected, stage.path(f"rejected/{name}_rejected.csv"))
        outputs += [f"{name}.parquet", f"rejected/{name}_rejected.csv"]
        tables[name] = len(clean)
        by_reason[name] = _sum_reasons(mine)
    export_table(_accounting(results), stage.path("row_accounting.csv"))
    export_table(data_dictionary(), stage.path("data_dictionary.csv"))
    atomic_write_text(stage.path("data_dictionary.md"), data_dictionary_markdown())
    outputs += ["row_accounting.csv", "data_dictionary.csv", "data_dictionary.md"]
    return outputs, tables, by_reason


def _sum_reasons(results: list[CleanResult]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in results:
        for k, v in r.rejected_by_reason().items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))
