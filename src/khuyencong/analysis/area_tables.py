"""The numbers every province brief and the index share, computed once per data version.

:func:`load` returns the headline rows of every area (each province, each region, the country;
:mod:`~khuyencong.analysis.area_rows`) and :func:`cofunding_by_province` the co-funding bootstrap
of every province, for given boundaries, years, draws and seed (+ the SYNTHETIC truth). Both are
kept in the content-keyed store (:mod:`khuyencong.store`), ``data/processed/derived/``:
beside the tables they derive from, so they are gitignored and removed with them (``make
distclean``) and shared by the runner's workers and a notebook opened in JupyterLab alike. The key
hashes the input tables' rows, the package code, the truth and the parameters, so a stale entry is
never read: a changed row or line of code makes a new key, computed on first use. An entry is a
Parquet file and, written after it, its fingerprint record (``<key>.json``); without the record the
entry does not exist.
"""
from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.analysis import area_rows
from khuyencong.analysis import selection
from khuyencong.analysis import tables
from khuyencong.core import provinces
from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.store import Store

log = logging.getLogger(__name__)

TABLES = ("register", "survey", "plans", "province_stats")
N_BOOT, SEED = 999, 20120521  # every notebook's draws and seed (90 and 10 alike): what the runner precomputes
FORMAT = 1  # bump when the stored layout changes
#: Row blocks of a brief, in its order: within a block, the areas in turn.
BLOCKS = (("cofunding_ratio",), ("productivity_effect",), ("cost_per_trainee",), ("cost_per_establishment",),
          ("plan_attainment",), area_rows.DESCRIPTIVE, ("grdp_link",))


@dataclass(frozen=True)
class AreaTables:
    """``rows``: :data:`area_rows.COLUMNS` of every area; ``key``: the cache key."""

    rows: pd.DataFrame
    key: str

    def slice(self, areas: Sequence) -> pd.DataFrame:
        """The brief's rows of ``areas`` (objects with ``level`` and ``code``), in the brief's order."""
        where = self.rows["level"] + "/" + self.rows["area_code"]
        parts = [self.rows.loc[self.rows["measure"].isin(block) & (where == f"{a.level}/{a.code or provinces.ALL}")]
                 for block in BLOCKS for a in areas]
        return pd.concat(parts).reset_index(drop=True)


def scope(boundaries: str, start_year: int, end_year: int):
    """The selection of every province: the years and boundaries the rows are computed on."""
    return selection.select(provinces.ALL, start_year, end_year, boundaries)


def fingerprint(kind: str, frames: Mapping[str, pd.DataFrame], sel, n_boot: int, seed: int,
                truth: Mapping | None = None) -> dict:
    """What an entry depends on: input rows, package code, truth and parameters (its hash is the key)."""
    return {"kind": kind, "format": FORMAT, "tables": {n: fp.frame_hash(f) for n, f in sorted(frames.items())},
            "code": fp.code_version(),
            "truth": fp.sha256_json(truth) if truth is not None else None,
            "parameters": {"boundaries": sel.boundaries, "start_year": int(sel.start_year),
                           "end_year": int(sel.end_year), "n_boot": int(n_boot), "seed": int(seed)}}


def cofunding_by_province(register: pd.DataFrame, boundaries: str, start_year: int, end_year: int, n_boot: int,
                          seed: int, cache_dir: Path | str | None = None) -> pd.DataFrame:
    """:func:`area_rows.cofunding_by_province` (depends on the register alone), from the cache."""
    sel = scope(boundaries, start_year, end_year)
    record = fingerprint("cofunding_by_province", {"register": register}, sel, n_boot, seed)
    return _cached(record, cache_dir, lambda: area_rows.cofunding_by_province(register, sel, n_boot, seed))[0]


def load(frames: Mapping[str, pd.DataFrame], boundaries: str, start_year: int, end_year: int, n_boot: int,
         seed: int, truth: Mapping | None = None, cache_dir: Path | str | None = None) -> AreaTables:
    """The headline rows of every area, from the cache (computed and stored first when absent).

    ``frames``: the processed tables of :data:`TABLES` (all rows, every year); a missing table
    leaves out the measures that need it."""
    sel = scope(boundaries, start_year, end_year)
    present = {n: frames[n] for n in TABLES if frames.get(n) is not None}
    record = fingerprint("area_rows", present, sel, n_boot, seed, truth)

    def compute() -> pd.DataFrame:
        by_province = None
        if "register" in present:
            by_province = cofunding_by_province(present["register"], boundaries, start_year, end_year, n_boot, seed,
                                                cache_dir)
        return every_area_rows(present, sel, n_boot, seed, truth, by_province)

    rows, key = _cached(record, cache_dir, compute)
    return AreaTables(rows, key)


def every_area_rows(frames: Mapping[str, pd.DataFrame], sel, n_boot: int, seed: int, truth: Mapping | None,
                    by_province: pd.DataFrame | None) -> pd.DataFrame:
    """The rows :func:`load` caches: every area's brief rows (those its tables allow)."""
    areas = area_rows.every_area(sel.boundaries)
    register, survey, plans, stats = (frames.get(n) for n in TABLES)
    rows = []
    if register is not None:
        rows += area_rows.cofunding_rows(register, sel, areas, n_boot, seed, truth, by_province)
        for output in ("trainees", "establishments_supported"):
            if output in register:  # a register without an output column has no support per unit of it
                rows += area_rows.cost_rows(register, sel, output, areas, n_boot, seed)
        if survey is not None:
            rows += area_rows.productivity_rows(survey, register, sel, areas, truth)
        if stats is not None:
            growth = area_rows.growth_frame(register, stats, sel)
            rows += area_rows.growth_rows(growth, sel, areas, n_boot, seed, truth)
    if plans is not None:
        rows += area_rows.attainment_rows(plans, sel, areas, n_boot=n_boot, seed=seed, truth=truth)
    return pd.DataFrame(rows, columns=list(area_rows.COLUMNS))


def truth_for(frames: Mapping[str, pd.DataFrame | None]) -> dict | None:
    """The SYNTHETIC truth as a notebook reads it (``Context.load``: the sidecar when the tables are
    SYNTHETIC), so the index and the briefs share one entry; None for real data or no sidecar."""
    present = [f for f in frames.values() if f is not None]
    if not present or tables.data_status(*present) != "SYNTHETIC":
        return None
    try:
        return synthetic_truth.load_truth()
    except FileNotFoundError:
        return None


def precompute(boundaries: str, start_year: int, end_year: int, n_boot: int = N_BOOT, seed: int = SEED,
               processed_dir: Path | str | None = None) -> AreaTables:
    """:func:`load` on the processed tables as the briefs read them: ``khuyencong run`` calls it once
    under its lock, so the workers only read."""
    frames = {n: tables.load(n, processed_dir) for n in TABLES}
    return load(frames, boundaries, start_year, end_year, n_boot, seed, truth_for(frames))


def precompute_for(parameter_sets, processed_dir: Path | str | None = None) -> list[tuple[tuple, float | str]]:
    """The tables of every distinct scope the runs' notebook ``parameter_sets`` ask for (boundaries,
    years, draws, seed; the notebook defaults where a run leaves them out), computed once: the runner
    calls this under its lock so that no two workers compute them. Returns (scope, seconds taken or
    the error line) per scope; a failure is left to the runs, which compute on a miss."""
    wanted = {(p["boundaries"], int(p["start_year"]), int(p["end_year"]), int(p.get("n_boot", N_BOOT)),
               int(p.get("seed", SEED))) for p in parameter_sets}
    done = []
    for scope in sorted(wanted):
        t = time.perf_counter()
        try:
            precompute(*scope, processed_dir=processed_dir)
        except Exception as exc:  # noqa: BLE001 — the runs report the real error with their notebook
            done.append((scope, f"{type(exc).__name__}: {exc}"))
            continue
        done.append((scope, time.perf_counter() - t))
    return done


def prune(cache_dir: Path | str | None = None, orphan_after_s: float = 600.0) -> int:
    """Remove the entries no run can read any more: those of another package code version (the code
    is part of every key) and table files whose record never came. Returns how many went."""
    code = fp.code_version()
    return Store(_folder(cache_dir)).prune(lambda record: record.get("code") == code, orphan_after_s)


# ---------------------------------------------------------------- the cache

def _cached(record: dict, cache_dir: Path | str | None, compute) -> tuple[pd.DataFrame, str]:
    """(the entry of ``record`` — read, or computed by ``compute()`` and stored —, its key)."""
    store, key = Store(_folder(cache_dir)), Store.key(record)
    found = store.read(key, ("parquet",))
    if found is not None:
        try:
            table = pd.read_parquet(io.BytesIO(found[0]["parquet"]))
            table.attrs.update(found[1].get("attrs", {}))
            return table, key
        except (OSError, ValueError) as exc:  # a damaged entry is computed again
            log.warning("cached table %s unreadable (%s): computing again", key[:12], exc)
    log.info("%s: computing for every area (%s)", record["kind"], record["parameters"])
    table = compute()
    plain = table.copy()
    plain.attrs = {}
    data = io.BytesIO()
    plain.to_parquet(data, index=False)
    store.write(key, {"parquet": data.getvalue()}, {**record, "rows": len(table), "attrs": _plain(table.attrs)})
    return table, key


def _folder(cache_dir: Path | str | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else paths.derived_dir()


def _plain(value):
    """JSON-ready copy of a table's ``attrs`` (numpy scalars → Python)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
