"""Figures drawn once (views/figure_cache.py): a second call with the same tables reuses the saved
bytes without drawing, and what it shows and saves is what drawing would have given."""
from __future__ import annotations

import base64
import json
import os
import time

import pandas as pd
import pytest

from khuyencong.views import figure_cache, plots
from khuyencong.views.figure_cache import SavedFigure, drawn_once

CALLS = []


@drawn_once
def bars(frame: pd.DataFrame, lang: str, title: str | None = None):
    CALLS.append(lang)
    fig = plots.bars_by_group(frame, group="area", value="value", lang=lang, title=title,
                              xlabel="Hỗ trợ", ylabel="Tỉnh")
    return plots.add_note(fig, "DERIVED", source="outlets", boundaries="legacy", lang=lang)


@pytest.fixture
def frame():
    CALLS.clear()
    return pd.DataFrame({"area": ["Bắc Ninh", "Hà Tĩnh", "Sóc Trăng"], "value": [1_250.5, 830.0, 412.25]})


def drawn(frame, lang="vi", title=None):
    """The same figure as ``bars`` builds, not cached."""
    fig = plots.bars_by_group(frame, group="area", value="value", lang=lang, title=title,
                              xlabel="Hỗ trợ", ylabel="Tỉnh")
    return plots.add_note(fig, "DERIVED", source="outlets", boundaries="legacy", lang=lang)


def test_the_second_call_reuses_the_first_drawing(frame, tmp_path):
    first = bars(frame, "vi", cache_dir=tmp_path)
    second = bars(frame.copy(), "vi", cache_dir=tmp_path)
    assert CALLS == ["vi"]
    assert isinstance(second, SavedFigure) and second.files == first.files and repr(second) == repr(first)


def test_a_reused_figure_shows_and_saves_what_drawing_gives(frame, tmp_path):
    bars(frame, "vi", cache_dir=tmp_path / "cache")
    reused = bars(frame, "vi", cache_dir=tmp_path / "cache")
    fresh = drawn(frame)
    written = plots.save_figure(reused, tmp_path / "reused")
    expected = plots.save_figure(fresh, tmp_path / "fresh")
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in expected]
    assert base64.b64decode(reused._repr_png_()) == fresh._repr_png_()  # base64 as Jupyter carries it
    assert repr(reused) == repr(fresh)  # the text/plain a notebook stores beside the image


@pytest.mark.parametrize("change", ["data", "lang", "keyword"])
def test_other_data_language_or_arguments_draw_again(frame, tmp_path, change):
    bars(frame, "vi", cache_dir=tmp_path)
    other = {"data": lambda: bars(frame.assign(value=frame["value"] + 1), "vi", cache_dir=tmp_path),
             "lang": lambda: bars(frame, "en", cache_dir=tmp_path),
             "keyword": lambda: bars(frame, "vi", title="N = 3", cache_dir=tmp_path)}[change]
    other()
    assert len(CALLS) == 2


def test_a_damaged_entry_is_drawn_again(frame, tmp_path):
    first = bars(frame, "vi", cache_dir=tmp_path)
    (record,) = tmp_path.glob("*.json")
    record.write_text("{not json", encoding="utf-8")
    again = bars(frame, "vi", cache_dir=tmp_path)
    assert len(CALLS) == 2 and again.files == first.files
    assert json.loads(record.read_text(encoding="utf-8"))["text"] == repr(first)


def test_a_saved_figure_refuses_formats_it_does_not_hold(frame, tmp_path):
    saved = bars(frame, "vi", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="holds"):
        plots.save_figure(saved, tmp_path / "out", formats=("pdf",))


def test_arguments_that_cannot_be_keyed_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot key"):
        bars(object(), "vi", cache_dir=tmp_path)


def test_prune_removes_other_code_versions_and_old_orphans(frame, tmp_path):
    bars(frame, "vi", cache_dir=tmp_path)
    bars(frame, "en", cache_dir=tmp_path)
    old, current = sorted(tmp_path.glob("*.json"))
    record = json.loads(old.read_text(encoding="utf-8"))
    old.write_text(json.dumps({**record, "code": "an older package"}), encoding="utf-8")
    (tmp_path / "orphan.png").write_bytes(b"a file whose record never came")
    (tmp_path / "young.png").write_bytes(b"a notebook may be writing its record now")
    (tmp_path / ".young.svg.x1y2.tmp").write_bytes(b"a save in progress")
    ages_ago = time.time() - 3600
    os.utime(tmp_path / "orphan.png", (ages_ago, ages_ago))
    assert figure_cache.prune(tmp_path) == 2
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*(p.name for p in tmp_path.glob(f"{current.stem}.*")), ".young.svg.x1y2.tmp",
                           "young.png"])
    assert figure_cache.prune(tmp_path) == 0
