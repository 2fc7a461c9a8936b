"""The tables every brief shares: a brief's slice equals its own computation to the last digit, a
second call reads the cache, and the key follows every input (rows, their order, code, parameters)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.analysis import area_rows
from khuyencong.analysis import area_tables
from khuyencong.analysis import metrics
from khuyencong.analysis import selection
from khuyencong.analysis import tables
from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.views import brief

N, SEED = 99, 20120521  # fewer draws than the briefs' 499 keep the test short; equality holds for any


@pytest.fixture(scope="module")
def demo():
    try:
        frames = {n: tables.load(n) for n in area_tables.TABLES}
        truth = synthetic_truth.load_truth()
    except FileNotFoundError as exc:
        pytest.skip(f"demo data not built: {exc}")
    return frames, truth


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("derived")


@pytest.fixture(autouse=True)
def pinned_code(monkeypatch):
    """Other files of the package may change while the tests run: the code hash is pinned."""
    monkeypatch.setattr(fp, "package_hash", lambda cache: "pinned-code")


def _direct(frames, sel, truth, by_province) -> pd.DataFrame:
    """One brief's rows computed for its own areas only, as ``brief.headlines`` did before the cache."""
    areas, register = brief.areas(sel), frames["register"]
    rows = (area_rows.cofunding_rows(register, sel, areas, N, SEED, truth, by_province)
            + area_rows.productivity_rows(frames["survey"], register, sel, areas, truth)
            + area_rows.cost_rows(register, sel, "trainees", areas, N, SEED)
            + area_rows.cost_rows(register, sel, "establishments_supported", areas, N, SEED)
            + area_rows.attainment_rows(frames["plans"], sel, areas, n_boot=N, seed=SEED, truth=truth)
            + area_rows.growth_rows(area_rows.growth_frame(register, frames["province_stats"], sel), sel, areas,
                                    N, SEED, truth))
    return brief.labelled(rows, sel)


@pytest.mark.parametrize("province, lang", [("Bắc Ninh", "vi"), ("Cần Thơ", "en"), ("all", "vi")])
def test_a_briefs_slice_equals_its_own_computation(demo, cache_dir, monkeypatch, province, lang):
    frames, truth = demo
    monkeypatch.setattr(paths, "derived_dir", lambda: cache_dir)
    sel = selection.select(province, 2012, 2024, "2025", lang)
    by_province = area_tables.cofunding_by_province(frames["register"], sel.boundaries, sel.start_year, sel.end_year, N, SEED)
    years = frames["register"].loc[frames["register"]["year"].between(2012, 2024)]
    direct = metrics.bootstrap_cofunding(years, by=sel.code_column, n_boot=N, seed=SEED)
    pd.testing.assert_frame_equal(by_province, direct, check_exact=True)
    assert by_province.attrs == direct.attrs
    got = brief.headlines(frames, sel, N, SEED, truth, by_province)
    pd.testing.assert_frame_equal(got, _direct(frames, sel, truth, direct), check_exact=True)
    assert got["low"].notna().sum() >= (15 if province != "all" else 6) and got["truth"].notna().any()  # not NaNs
    assert len(got) == (22 if province != "all" else 8)


def test_a_second_call_reads_the_cache(demo, cache_dir, monkeypatch):
    frames, truth = demo
    first = area_tables.load(frames, "2025", 2012, 2024, N, SEED, truth, cache_dir)

    def computed(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(area_tables, "every_area_rows", computed)
    monkeypatch.setattr(area_rows, "cofunding_by_province", computed)
    again = area_tables.load(frames, "2025", 2012, 2024, N, SEED, truth, cache_dir)
    assert again.key == first.key
    pd.testing.assert_frame_equal(again.rows, first.rows, check_exact=True)
    record = json.loads((cache_dir / f"{first.key}.json").read_text(encoding="utf-8"))
    assert record["tables"]["survey"] == fp.frame_hash(frames["survey"])
    assert record["code"] == "pinned-code" and record["parameters"]["n_boot"] == N
    assert set(again.rows["level"]) == {"province", "region", "country"}
    assert again.rows["area_code"].nunique() == 34 + 6 + 1  # every province, region and the country


def test_the_key_changes_with_each_input(demo, monkeypatch):
    frames, truth = demo
    sel = area_tables.scope("2025", 2012, 2024)

    def key(fr=frames, s=sel, n=N, t=truth):
        return fp.sha256_json(area_tables.fingerprint("area_rows", fr, s, n, SEED, t))

    base = key()
    assert key() == base
    register = frames["register"].copy()
    register.iloc[7, register.columns.get_loc("beneficiary_contribution")] += 1.0
    assert key({**frames, "register": register}) != base
    assert key({**frames, "survey": frames["survey"].iloc[::-1]}) != base  # the bootstrap resamples by position
    assert key(s=area_tables.scope("legacy", 2012, 2024)) != base
    assert key(s=area_tables.scope("2025", 2013, 2024)) != base
    assert key(n=N + 1) != base and key(t=None) != base
    monkeypatch.setattr(fp, "package_hash", lambda cache: "other-code")
    assert key() != base


def _register() -> pd.DataFrame:
    return pd.DataFrame({"province_code": ["01", "01", "31", "31", "31"],
                         "province_code_2025": ["01", "01", "31", "31", "31"],
                         "year": [2020, 2021, 2020, 2021, 2022], "status": ["completed"] * 4 + ["stopped"],
                         "state_support": [100.0, 80.0, 50.0, 60.0, 70.0],
                         "beneficiary_contribution": [300.0, 200.0, 100.0, 150.0, 90.0]})


def test_an_entry_counts_only_with_its_record(tmp_path, monkeypatch):
    calls = []
    real = area_rows.cofunding_by_province
    monkeypatch.setattr(area_rows, "cofunding_by_province", lambda *a, **k: calls.append(1) or real(*a, **k))

    def table():
        return area_tables.cofunding_by_province(_register(), "legacy", 2012, 2024, 50, 3, tmp_path)

    first = table()
    assert len(calls) == 1 and table().equals(first) and len(calls) == 1
    pd.testing.assert_frame_equal(table(), real(_register(), area_tables.scope("legacy", 2012, 2024), 50, 3),
                                  check_exact=True)
    (record,) = tmp_path.glob("*.json")
    record.unlink()  # a run killed before its record: the table beside it is not trusted
    table()
    assert len(calls) == 2
    (data,) = tmp_path.glob("*.parquet")
    data.write_bytes(b"damaged")
    with_damage = table()
    assert len(calls) == 3 and with_damage.equals(first)


def test_prune_removes_other_code_versions_and_old_orphans_only(tmp_path, monkeypatch):
    import os

    area_tables.cofunding_by_province(_register(), "legacy", 2012, 2024, 50, 3, tmp_path)
    monkeypatch.setattr(fp, "package_hash", lambda cache: "older-code")
    area_tables.cofunding_by_province(_register(), "legacy", 2012, 2024, 50, 3, tmp_path)
    (tmp_path / "fresh-orphan.parquet").write_bytes(b"being written")
    old_orphan = tmp_path / "old-orphan.parquet"
    old_orphan.write_bytes(b"left by a killed run")
    os.utime(old_orphan, (0, 0))
    monkeypatch.setattr(fp, "package_hash", lambda cache: "pinned-code")
    assert area_tables.prune(tmp_path) == 2
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert "fresh-orphan.parquet" in kept and len(kept) == 3
    (record,) = tmp_path.glob("*.json")
    assert json.loads(record.read_text(encoding="utf-8"))["code"] == "pinned-code"
    assert area_tables.prune(tmp_path) == 0 and area_tables.prune(tmp_path / "absent") == 0


def test_the_runner_asks_for_the_shared_tables_in_one_call(monkeypatch):
    """Issue 22: the runner precomputed the analysis tables with analysis knowledge (scopes, draw and seed
    defaults); it now hands the runs' parameters to one call, which computes each distinct scope once."""
    asked = []

    def precompute(*scope, processed_dir=None):
        asked.append(scope)
        if scope[0] == "legacy":
            raise ValueError("no legacy tables here")

    monkeypatch.setattr(area_tables, "precompute", precompute)
    runs = [{"boundaries": "2025", "start_year": 2012, "end_year": 2024, "lang": lang} for lang in ("vi", "en")]
    runs.append({"boundaries": "legacy", "start_year": 2012, "end_year": 2024, "n_boot": 99})
    done = dict(area_tables.precompute_for(runs))
    assert asked == [("2025", 2012, 2024, area_tables.N_BOOT, area_tables.SEED),
                     ("legacy", 2012, 2024, 99, area_tables.SEED)]
    assert isinstance(done[asked[0]], float) and done[asked[1]] == "ValueError: no legacy tables here"
