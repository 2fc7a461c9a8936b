"""Context and brief texts with any subset of tables: per-table status, missing tables, missing former provinces."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from khuyencong.views import brief_text
from khuyencong.views import context as context_module
from khuyencong.views.context import ANALYSED, Context
from run_project import tables


def write(folder, frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


def empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


@pytest.fixture()
def mixed(tmp_path, monkeypatch):
    """A REAL register of Hà Nội and former Cần Thơ only (not Hậu Giang, Sóc Trăng), SYNTHETIC plans, no
    survey nor provincial statistics; the truth sidecar must not be read."""
    frames = tables("REAL")
    register = frames["register"]
    frames["register"] = register.loc[register["province_code"].isin(["01", "92"])]
    frames["plans"] = frames["plans"].assign(data_status="SYNTHETIC")
    frames["survey"] = empty_like(frames["survey"])
    frames["province_stats"] = empty_like(frames["plans"])
    write(tmp_path, frames)
    monkeypatch.setattr(context_module.synthetic_truth, "load_truth",
                        lambda *a: pytest.fail("the truth sidecar was read for mixed data"))
    return tmp_path


def test_each_table_has_its_status_and_the_missing_ones_are_named(mixed):
    ctx = Context.load("Cần Thơ", 2012, 2024, "2025", "en", mixed, tables=ANALYSED)
    assert ctx.statuses == {"register": "REAL", "survey": None, "plans": "SYNTHETIC", "province_stats": None}
    assert ctx.missing == ("survey", "province_stats") and ctx.truth is None and ctx.synthetic
    header = ctx.header()
    assert "project register: REAL · establishment survey: no data · plans: SYNTHETIC" in header
    assert "No establishment survey, provincial statistics data" in header
    former = [line for line in ctx.coverage() if "former province" in line]
    assert len(former) == 1  # the plans hold all three; the register lacks two
    assert "Hậu Giang, Sóc Trăng" in former[0] and "cover only Cần Thơ" in former[0]


def test_a_whole_province_and_legacy_boundaries_name_no_former_province(mixed):
    for province, boundaries in (("Hà Nội", "2025"), ("Cần Thơ", "legacy"), ("all", "2025")):
        ctx = Context.load(province, 2012, 2024, boundaries, "vi", mixed, tables=ANALYSED)
        assert not [line for line in ctx.coverage() if "tỉnh cũ" in line]


def test_demo_like_data_keep_the_plain_header(tmp_path, monkeypatch):
    frames = tables("SYNTHETIC")
    frames["province_stats"] = frames["plans"]
    write(tmp_path, frames)
    monkeypatch.setattr(context_module.synthetic_truth, "load_truth", lambda *a: {"truth": {}})
    ctx = Context.load("Hà Nội", 2012, 2024, "2025", "en", tmp_path, tables=ANALYSED)
    assert ctx.truth == {"truth": {}} and ctx.coverage() == []
    assert "Data tables" not in ctx.header()


def test_a_missing_truth_sidecar_leaves_the_true_values_out(tmp_path, monkeypatch, caplog):
    write(tmp_path, tables("SYNTHETIC"))

    def missing(*args):
        raise FileNotFoundError("data/raw/demo/SYNTHETIC_truth.json is missing: run `khuyencong demo`")

    monkeypatch.setattr(context_module.synthetic_truth, "load_truth", missing)
    ctx = Context.load("Hà Nội", 2012, 2024, "2025", "vi", tmp_path, tables=("register", "survey", "plans"))
    assert ctx.synthetic and ctx.truth is None
    assert "SYNTHETIC_truth.json" in caplog.text


def _headlines() -> pd.DataFrame:
    rows = []
    for measure in brief_text.MEASURES:
        rows.append({"measure": measure, "level": "country", "area_code": "all", "area": "Vietnam",
                     "value": 1.5 if measure == "cofunding_ratio" else np.nan, "low": 1.0, "high": 2.0, "n": 0,
                     "n_comparison": np.nan, "truth": np.nan, "note": "" if measure == "cofunding_ratio" else "too_few",
                     "unit": ""})
    return pd.DataFrame(rows)


def test_brief_texts_say_which_table_a_measure_lacks():
    table, missing = _headlines(), ("survey", "plans", "province_stats")
    lines = brief_text.reading(table, "en", "REAL", missing=missing)
    assert len(lines) == 8 and lines[0].startswith("The whole country: each VND")  # co-funding is read as before
    lacking = [line for line in lines if "not computed" in line]
    assert len(lacking) == 5 and any("no establishment survey data" in line for line in lacking)
    shown = brief_text.headline_table(table, "en", missing=missing)
    notes = dict(zip(shown.iloc[:, 0], shown.iloc[:, -1]))
    assert notes[brief_text.measure_label("plan_attainment", "en")].startswith("not computed: no plans data")
    cav = brief_text.caveats(_Sel(), table, None, "en", ceilings_active=True, missing=missing,
                             coverage=["No plans data."])
    assert "No plans data." in cav
    assert not [c for c in cav if "only" in c and "survey" in c.lower()]  # no "only 0 establishments" line


class _Sel:
    """A national selection, as :func:`selection.select` returns it (the fields caveats reads)."""

    boundaries, note, province, label, lang = "2025", "", None, "Vietnam", "en"


def test_a_missing_survey_is_named_as_the_reason_for_no_event_study():
    assert "no establishment survey data" in brief_text.why_no_estimate("productivity_effect", ("survey",), "en")
    assert brief_text.why_no_estimate("productivity_effect", ("plans",), "en") == "too few observations (0)"
