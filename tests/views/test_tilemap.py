"""The tile-grid map: one tile per province, north–south order, deterministic, Vietnamese text."""
import pandas as pd
import pytest

from khuyencong.core import provinces
from khuyencong.views import plots, tilemap


@pytest.mark.parametrize("boundaries", ["2025", "legacy"])
def test_every_province_has_one_tile(boundaries):
    grid = tilemap.grid(boundaries)
    assert sorted(grid["code"]) == sorted(p.code for p in provinces.records(boundaries))
    assert not grid.duplicated(["row", "col"]).any()


@pytest.mark.parametrize("boundaries,codes", [("2025", ["01", "46", "79", "96"]), ("legacy", ["01", "46", "79", "96"])])
def test_north_south_order(boundaries, codes):
    rows = tilemap.grid(boundaries).set_index("code")["row"]
    assert list(rows[codes]) == sorted(rows[codes]) and rows[codes].is_unique


def _figure(lang="vi"):
    grid = tilemap.grid("2025")
    df = pd.DataFrame({"code": grid["code"], "v": range(len(grid))}).iloc[1:]
    fig = tilemap.tile_map(df, "v", lang=lang, label="Tỷ lệ đối ứng", formatter=lambda v: f"{v:.0f}")
    return plots.add_note(fig, "SYNTHETIC", boundaries="2025", lang=lang)


def test_diacritics_and_no_data_legend():
    texts = [t.get_text() for t in _figure().findobj(lambda a: hasattr(a, "get_text"))]
    assert any("Cà Mau" in t for t in texts) and any("Không có số liệu" in t for t in texts)


def test_saved_bytes_are_deterministic(tmp_path):
    a = plots.save_figure(_figure(), tmp_path / "a")
    b = plots.save_figure(_figure(), tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_unknown_code_is_an_error():
    with pytest.raises(ValueError, match="not provinces"):
        tilemap.tile_map(pd.DataFrame({"code": ["99"], "v": [1.0]}), "v", label="x")


def _faces(fig) -> list[str]:
    import matplotlib as mpl

    return [mpl.colors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]


def test_a_headline_without_any_value_is_grey_and_says_so():
    grid = tilemap.grid("2025")
    df = pd.DataFrame({"code": grid["code"], "v": float("nan")})
    fig = tilemap.tile_map(df, "v", lang="en", label="Plan attainment (trainees)", formatter=lambda v: f"{v:.0%}")
    assert set(_faces(fig)) == {tilemap.NO_DATA} and len(_faces(fig)) == len(grid)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "No data" in texts and "Plan attainment (trainees)" in texts
    assert not any("%" in t for t in texts), "no colour scale without values"


def test_tiles_are_coloured_in_the_order_of_their_values():
    import matplotlib as mpl

    grid = tilemap.grid("2025")
    df = pd.DataFrame({"code": grid["code"], "v": [float(i % 5) for i in range(len(grid))]})
    faces = _faces(tilemap.tile_map(df, "v", label="x"))
    lightness = {v: sum(mpl.colors.to_rgb(f)) for v, f in zip(df["v"], faces)}
    assert [lightness[v] for v in sorted(lightness)] == sorted(lightness.values())  # cividis: dark → light
    assert len({f for v, f in zip(df["v"], faces) if v == 2.0}) == 1
