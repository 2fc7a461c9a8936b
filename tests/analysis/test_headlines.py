"""The index's headline numbers: its intervals are the briefs' (read from the shared area table, not
recomputed), its own ratios of sums are unchanged, and the draws are notebook 90's defaults."""
from __future__ import annotations

import ast
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.analysis import area_rows
from khuyencong.analysis import area_tables
from khuyencong.analysis import headlines
from khuyencong.analysis import metrics
from khuyencong.analysis import tables
from khuyencong.core import provinces
from khuyencong.synthetic import truth as synthetic_truth

N = 99


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """(headline_numbers on a copy of the demo tables with N draws, the copy's folder)."""
    if not (paths.processed_dir() / "register.parquet").exists():
        pytest.skip("data/processed is empty: run `make data` first (make test does)")
    folder = tmp_path_factory.mktemp("processed")
    for name in area_tables.TABLES:
        shutil.copyfile(paths.processed_dir() / f"{name}.parquet", folder / f"{name}.parquet")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fp, "package_hash", lambda cache: "pinned-code")
        mp.setattr(headlines, "N_BOOT", N)
        table, status = headlines.headline_numbers("2025", 2012, 2024, folder)
    return table, status, folder


def test_columns_and_intervals(index):
    table, status, _ = index
    assert status == "SYNTHETIC"
    assert set(headlines.INTERVALS) <= set(headlines.HEADLINES)
    assert list(table.columns) == [*headlines.HEADLINES, *(c for pair in headlines.INTERVALS.values() for c in pair)]
    for col, (low, high) in headlines.INTERVALS.items():
        ok = table[[col, low, high]].dropna()
        assert len(ok) >= 30, col
        assert ((ok[low] <= ok[col] + 1e-9) & (ok[col] <= ok[high] + 1e-9)).all(), col


def test_every_number_is_the_briefs(index):
    """Issue 19: one home for each headline: the index reads the briefs' rows of the area table,
    values and intervals alike, with nothing computed on the side."""
    table, _, folder = index
    frames = {n: tables.load(n, folder) for n in area_tables.TABLES}
    sel = area_tables.scope("2025", 2012, 2024)
    code = provinces.resolve("Bắc Ninh", "2025")[0].code
    areas = [area_rows.Area("province", code), area_rows.Area("country", None)]
    truth = synthetic_truth.load_truth()
    effect = pd.DataFrame(area_rows.productivity_rows(frames["survey"], frames["register"], sel, areas, truth))
    cost = pd.DataFrame(area_rows.cost_rows(frames["register"], sel, "trainees", areas, N, headlines.SEED))
    trainees = pd.DataFrame(area_rows.attainment_rows(frames["plans"], sel, areas, n_boot=N, seed=headlines.SEED))
    for i, where in enumerate((code, provinces.ALL)):
        got = table.loc[where]
        for column, rows in (("productivity_effect", effect), ("cost_per_trainee", cost),
                             ("plan_attainment_trainees", trainees)):
            low, high = headlines.INTERVALS[column]
            assert tuple(got[[column, low, high]]) == tuple(rows.loc[i, ["value", "low", "high"]]), column
    years = frames["register"].loc[frames["register"]["year"].between(2012, 2024)]
    boot = metrics.bootstrap_cofunding(years, by="province_code_2025", n_boot=N, seed=headlines.SEED)
    boot = boot.set_index(boot["province_code_2025"].astype(str))
    assert tuple(table.loc[code, ["cofunding_ratio", "cofunding_ratio_low"]]) == \
        tuple(boot.loc[code, ["cofunding_ratio", "ratio_low"]])
    assert not np.isnan(table.loc[provinces.ALL, "cofunding_ratio_high"])


def test_a_rebuild_reads_the_shared_table(index, monkeypatch):
    table, _, folder = index

    def computed(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(fp, "package_hash", lambda cache: "pinned-code")
    monkeypatch.setattr(headlines, "N_BOOT", N)
    monkeypatch.setattr(area_tables, "every_area_rows", computed)
    again, _ = headlines.headline_numbers("2025", 2012, 2024, folder)
    pd.testing.assert_frame_equal(again, table, check_exact=True)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (folder / "derived").glob("*.json")]
    assert {r["kind"] for r in records} == {"area_rows", "cofunding_by_province"}


@pytest.mark.parametrize("notebook", ["90_province_report", "10_cofunding"])
def test_draws_and_seed_are_the_notebooks_defaults(notebook):
    """Issue 19: notebook 10 gave [1,48; 3,20] (999 draws) where the brief gave [1,54; 3,13] (499 draws)."""
    nb = json.loads((paths.notebooks_dir() / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse("".join(cell["source"])).body
              if isinstance(node, ast.Assign) for t in node.targets}
    assert (values["n_boot"], values["seed"]) == (area_tables.N_BOOT, area_tables.SEED)
