"""The SYNTHETIC demo set: deterministic, honest about being synthetic, calibrated, and its
planted bad cells are exactly the rows the cleaning rejects."""
from __future__ import annotations

import csv
import io
import json
import time
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from khuyencong import paths
from khuyencong import synthetic as demo
from khuyencong.core.provinces import legacy_provinces
from khuyencong.ingest import validate

SMALL = demo.DemoParams(year_first=2014, year_last=2019, support_years=(2016, 2017), projects_min=3, projects_max=6,
                        survey_supported=200, survey_comparison=200, bad_share=0.04, survey_bad_share=0.02)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> demo.DemoSummary:
    return demo.generate(tmp_path_factory.mktemp("demo_a"), params=SMALL, record_provenance=False)


@pytest.fixture(scope="module")
def truth(small) -> dict:
    return json.loads(small.truth_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def frames() -> tuple[dict, dict]:
    return demo.frames(demo.DEMO_SEED, demo.DemoParams())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_same_bytes(small, tmp_path):
    again = demo.generate(tmp_path, params=SMALL, record_provenance=False)
    assert _files(again.out_dir) == _files(small.out_dir)


def test_other_seed_other_data():
    one, other = (demo.frames(seed, SMALL)[0] for seed in (demo.DEMO_SEED, demo.DEMO_SEED + 1))
    for name in ("register", "survey", "province_stats"):
        assert not one[name].equals(other[name]), name


def test_every_file_says_synthetic(small):
    names = [p.name for p in small.out_dir.iterdir()]
    assert {s.name for s in demo.FILE_SPECS} <= set(names)
    for name in names:
        assert name == "README.md" or name.startswith("SYNTHETIC_"), name
    assert "SYNTHETIC" in (small.out_dir / "README.md").read_text(encoding="utf-8")
    for spec in demo.FILE_SPECS:
        if spec.fmt == "xlsx":
            wb = openpyxl.load_workbook(small.out_dir / spec.name, read_only=True)
            assert "README" in wb.sheetnames
            first = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True))[0]
            wb.close()  # read-only keeps the file open until closed
            assert demo.SYNTHETIC_TITLE in first


def test_cp1258_round_trip():
    text = "Đắk Lắk, Thừa Thiên Huế, Bà Rịa - Vũng Tàu: ỹ ữ ợ ậ ặ ẫ ể ồ ỏ ụ ứ ẵ ỷ"
    data = demo.encode_cp1258(text)
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == text
    with pytest.raises(ValueError):
        demo.encode_cp1258("漢")


def _csv_rows(path: Path, spec: demo.FileSpec) -> list[list[str]]:
    raw = path.read_bytes()
    text = {"utf-16": lambda b: b.decode("utf-16"), "cp1258": lambda b: b.decode("cp1258"),
            "utf-8-sig": lambda b: b.decode("utf-8-sig")}.get(spec.encoding, lambda b: b.decode("utf-8"))(raw)
    return list(csv.reader(io.StringIO(unicodedata.normalize("NFC", text), newline=""), delimiter=spec.sep))


def _cell(folder: Path, spec: demo.FileSpec, row: int, header: str, cache: dict):
    """The cell at sheet row / CSV line ``row`` under the header cell that reads ``header``."""
    if spec.name not in cache:
        if spec.fmt == "xlsx":
            ws = openpyxl.load_workbook(folder / spec.name).worksheets[0]
            cache[spec.name] = [list(r) for r in ws.iter_rows(values_only=True)]
        else:
            cache[spec.name] = _csv_rows(folder / spec.name, spec)
    rows = cache[spec.name]
    head = [i for r in rows[: spec.title_rows + 2] for i, h in enumerate(r) if h == header]
    value = rows[row - 1][head[0]]
    return None if value == "" else value


def test_planted_cells_are_where_the_sidecar_says(small, truth):
    specs = {s.name: s for s in demo.FILE_SPECS}
    cache: dict = {}
    kinds = set()
    for p in truth["planted"]:
        kinds.add(p["kind"])
        got = _cell(small.out_dir, specs[p["file"]], p["row"], p["header"], cache)
        assert got == p["value"], p
    assert set(demo.REJECTION_REASONS) <= kinds  # every kind of bad cell is planted at least once
    assert "province_variant" in kinds


def test_bad_share_is_small_and_recorded(truth):
    for name, info in truth["files"].items():
        bad = [p for p in truth["planted"] if p["file"] == name and p["expected"] == "rejected"]
        assert info["rejected_rows_expected"] == len(bad) == len({p["row"] for p in bad})
        share = {"register": SMALL.bad_share, "survey": SMALL.survey_bad_share}.get(info["dataset"], 0.0)
        assert len(bad) == round(share * info["rows"])
    assert demo.DemoParams().bad_share <= 0.02 and demo.DemoParams().survey_bad_share <= 0.02


def test_cleaning_rejects_exactly_the_planted_rows(small, truth):
    raws, problems = validate.read_all([small.out_dir])
    assert problems == []
    expected = {}
    for p in truth["planted"]:
        if p["expected"] == "rejected":
            expected.setdefault(p["file"], set()).add(p["row"])
    checks = validate.check_tables(raws)
    assert {Path(c.raw.source).name for c in checks} == set(truth["files"])
    for c in checks:
        name = Path(c.raw.source).name
        assert len(c.raw.frame) == truth["files"][name]["rows"], name
        rejected = set(c.raw.frame["source_row"].to_numpy()[c.error_rows].tolist())
        assert rejected == expected.get(name, set()), name


def test_register_calibration(frames):
    reg = frames[0]["register"]
    target = 29229.2 / 220
    assert abs(reg.state_support.mean() - target) <= 0.5 * target
    cofunded = reg[reg.beneficiary_contribution > 0]
    assert 2.5 <= (cofunded.beneficiary_contribution / cofunded.state_support).median() <= 5
    assert 2.5 <= reg.beneficiary_contribution.sum() / reg.state_support.sum() <= 5
    per_cell = reg.groupby(["province", "year"]).size()
    assert per_cell.min() >= 8 and per_cell.max() <= 30
    assert 0.25 <= (reg.funding_source == "KCQG").mean() <= 0.35
    training = reg[reg.category == "training"]
    assert (training.beneficiary_contribution == 0).all() and training.trainees.notna().all()
    assert reg.project_id.is_unique
    assert (reg.total_cost.round(1) == (reg.state_support + reg.beneficiary_contribution).round(1)).all()


def test_survey_gain_mostly_within_15_to_40_percent(frames):
    survey = frames[0]["survey"]
    reg = frames[0]["register"].set_index("project_id")
    t = survey[survey.project_id.notna()].copy()
    t["event"] = t.year - reg.loc[t.project_id, "year"].to_numpy()
    t["lp"] = np.log(t.output_value / t.workers)
    pre = t[t.event.between(-3, -1)].groupby("establishment_id").lp.mean()
    post = t[t.event.between(1, 3)].groupby("establishment_id").lp.mean()
    gain = np.expm1((post - pre).dropna())
    assert len(gain) > 500
    assert gain.between(0.15, 0.40).mean() >= 0.6
    assert 0.15 <= gain.median() <= 0.40
    comparison = survey[survey.project_id.isna()]
    assert not set(comparison.establishment_id) & set(reg.establishment_id)
    assert 0.8 <= comparison.establishment_id.nunique() / t.establishment_id.nunique() <= 1.25


def test_truth_effects_are_consistent(frames):
    truth = frames[1]["survey"]
    by_event = truth["att_by_event_time_sample"]
    assert all(v == 0 for e, v in by_event.items() if int(e) < 0)
    assert by_event["0"] < by_event["1"] < by_event["2"]
    assert by_event["2"] == pytest.approx(truth["att_long_run_sample"], abs=0.01)
    assert np.log(1.15) < truth["att_long_run_sample"] < np.log(1.40)


def test_province_stats_cover_every_province_year(frames):
    stats = frames[0]["province_stats"]
    assert len(stats) == 63 * 13 and not stats.duplicated(["province", "year"]).any()
    assert stats.iip.between(80, 130).all()


def test_northern_trainee_plans_fall_short(frames):
    plans = frames[0]["plans"]
    region = {p.code: p.region_code for p in legacy_provinces()}
    tr = plans[plans.indicator == "trainees"]
    northern = tr.province.map(region).isin(demo.NORTHERN_REGIONS)
    attain = tr.achieved / tr.planned
    assert attain[northern].median() == pytest.approx(0.82, abs=0.03)
    assert attain[~northern].median() == pytest.approx(0.97, abs=0.03)


def test_scale_generator(tmp_path):
    start = time.perf_counter()
    out = demo.generate_register_csv(tmp_path / "big.csv", 20_000, seed=1)
    assert time.perf_counter() - start < 10
    raws, problems = validate.read_all([out["register"], out["survey"]])
    assert problems == []
    checks = validate.check_tables(raws)
    assert [len(c.raw.frame) for c in checks] == [out["register_rows"], out["survey_rows"]]
    assert not any(c.error_rows.any() for c in checks)
    assert not any((c.issues["check"] == "project not in register").any() for c in checks)


def test_committed_demo_matches_a_fresh_generation(tmp_path):
    """Nobody edits data/raw/demo by hand: it must equal what the committed seed produces (~10 s)."""
    committed = paths.demo_dir()
    if not committed.is_dir():
        pytest.fail(f"{paths.relative_to_root(committed)} is missing; run `khuyencong demo`")
    fresh = demo.generate(tmp_path, record_provenance=False)
    assert fresh.seed == demo.DEMO_SEED
    got = _files(committed)
    want = _files(tmp_path)
    assert sorted(got) == sorted(want), "files differ; regenerate with `khuyencong demo`"
    changed = [n for n in want if got[n] != want[n]]
    assert not changed, f"{changed} differ from a fresh generation; regenerate with `khuyencong demo`"
