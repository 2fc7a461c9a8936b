import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from khuyencong.views import chart_base
from khuyencong.views import plots
from khuyencong.core.i18n import t

VIETNAMESE = "Tỷ lệ đối ứng, Đồng bằng sông Cửu Long, Thừa Thiên Huế, ắ ẫ ữ ỵ"
LANGS = ["vi", "en"]


@pytest.fixture(autouse=True)
def glyph_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _texts(fig):
    return [txt.get_text() for txt in fig.texts]


def _flat(label):
    return " ".join(label.split())  # long labels are wrapped onto two lines


# --- fonts and style ---------------------------------------------------------------------------

def test_style_font_is_dejavu_and_has_every_vietnamese_glyph():
    with mpl.rc_context(chart_base.style_rc()):
        path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert path.endswith("DejaVuSans.ttf")
    font = FT2Font(path)
    missing = [c for c in set(VIETNAMESE) if font.get_char_index(ord(c)) == 0]
    assert not missing


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_vietnamese_text_renders_without_missing_glyph_warning(tmp_path, fmt):
    with mpl.rc_context(chart_base.style_rc()):
        fig = Figure(figsize=(6, 2))
        fig.text(0.05, 0.5, VIETNAMESE)
        fig.text(0.05, 0.2, VIETNAMESE, fontweight="bold")
    plots.save_figure(fig, tmp_path / "glyphs", formats=(fmt,))  # a warning here fails the test


def test_functions_leave_global_rcparams_and_pyplot_alone(frames):
    before = dict(mpl.rcParams)
    plots.ranked_intervals(frames["ranked"], "cofunding_ratio", "lo", "hi", "province")
    assert dict(mpl.rcParams) == before
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


# --- sample frames -------------------------------------------------------------------------------

@pytest.fixture
def frames():
    names = ["Hà Nội", "Bắc Ninh", "Thừa Thiên Huế", "Sóc Trăng", "Đắk Lắk"]
    ratio = np.array([1.2, 2.5, 0.8, 3.1, 1.9])
    ranked = pd.DataFrame({"province": names, "cofunding_ratio": ratio, "lo": ratio - 0.4, "hi": ratio + 0.5})
    bars = pd.DataFrame({"category": ["training", "demonstration", "fairs"] * 2,
                         "year": [2019] * 3 + [2020] * 3,
                         "state_support": [1200.0, 5300.5, 800.0, 1500.0, 4100.0, 950.0]})
    events = pd.DataFrame({"event_time": [-3, -2, 0, 1, 2], "coef": [0.01, -0.02, 0.05, 0.10, 0.12]})
    events = events.assign(ci_low=events.coef - 0.04, ci_high=events.coef + 0.04)
    series = pd.DataFrame({"year": list(range(2015, 2020)) * 2, "region": ["RRD"] * 5 + ["MRD"] * 5,
                           "state_support": np.linspace(1000, 9000, 10)})
    scatter = pd.DataFrame({"province": names, "spending_intensity": [0.2, 0.5, 0.9, 1.4, 1.1],
                            "industrial_growth": [5.0, 7.5, 6.0, 11.0, 9.0]})
    gains = np.random.default_rng(3).normal(0.25, 0.1, 120)
    return {"ranked": ranked, "bars": bars, "events": events, "series": series, "scatter": scatter, "gains": gains}


def _build(kind, frames, lang):
    f = frames
    if kind == "ranked":
        return plots.ranked_intervals(f["ranked"], "cofunding_ratio", "lo", "hi", "province",
                                      highlight="Sóc Trăng", lang=lang, reference=1.5)
    if kind == "bars":
        return plots.bars_by_group(f["bars"], "category", "state_support", hue="year",
                                   label_prefix="category", lang=lang)
    if kind == "events":
        return plots.event_study_plot(f["events"], lang=lang, ylabel=t("productivity", lang))
    if kind == "series":
        return plots.time_series(f["series"], "year", "state_support", hue="region", hue_prefix="region", lang=lang)
    if kind == "scatter":
        return plots.scatter_with_fit(f["scatter"], "spending_intensity", "industrial_growth",
                                      label_col="province", highlight="Thừa Thiên Huế", lang=lang)
    return plots.distribution_with_band(f["gains"], lang=lang)


#: kind → (xlabel key, ylabel key, title key or None)
EXPECTED = {
    "ranked": ("cofunding_ratio", None, "title_cofunding_by_province"),
    "bars": ("state_support", "category", None),
    "events": ("event_time", "productivity", "title_event_study"),
    "series": ("year", "state_support", None),
    "scatter": ("spending_intensity", "industrial_growth", None),
    "dist": ("productivity_gain", "count", "title_productivity_gains"),
}


# --- figures ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_figure_labels_are_in_the_chosen_language(frames, kind, lang):
    fig = _build(kind, frames, lang)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    xkey, ykey, title_key = EXPECTED[kind]
    assert _flat(ax.get_xlabel()) == t(xkey, lang)
    if ykey:
        assert _flat(ax.get_ylabel()) == t(ykey, lang)
    assert ax.get_title() == (t(title_key, lang) if title_key else "")


@pytest.mark.parametrize("lang", LANGS)
def test_tick_labels_follow_language(frames, lang):
    fig = _build("bars", frames, lang)
    ticks = [lbl.get_text() for lbl in fig.axes[0].get_xticklabels()]
    assert ("1.000" if lang == "vi" else "1,000") in ticks
    names = [_flat(lbl.get_text()) for lbl in fig.axes[0].get_yticklabels()]
    assert t("category.training", lang) in names


def test_year_axis_has_no_thousands_separator(frames):
    fig = _build("series", frames, "vi")
    assert "2.016" not in [lbl.get_text() for lbl in fig.axes[0].get_xticklabels()]
    assert "2016" in [lbl.get_text() for lbl in fig.axes[0].get_xticklabels()]


def test_distribution_legend_reports_band_and_share(frames):
    fig = _build("dist", frames, "vi")
    legend = [txt.get_text() for txt in fig.axes[0].get_legend().get_texts()]
    assert t("claimed_band", "vi", low="15%", high="40%") in legend
    share = np.mean((frames["gains"] >= 0.15) & (frames["gains"] <= 0.40))
    assert any(text.startswith(f"{round(share * 100)}%") for text in legend)


def test_event_study_marks_reference_and_zero(frames):
    ax = _build("events", frames, "en").axes[0]
    legend = [txt.get_text() for txt in ax.get_legend().get_texts()]
    assert t("reference_period", "en", period=-1) in legend
    assert t("zero_line", "en") in legend


# --- notes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_synthetic_note_only_on_synthetic_data(frames, lang):
    fig = plots.add_note(_build("ranked", frames, lang), "SYNTHETIC", boundaries="legacy", lang=lang)
    texts = _texts(fig)
    assert t("synthetic_note", lang) in texts
    assert any(t("boundaries_legacy", lang) in text for text in texts)
    plots.add_note(fig, "REAL (published)", source="GSO", boundaries="2025", lang=lang)
    texts = _texts(fig)
    assert not any("SYNTHETIC" in text for text in texts)
    assert any(t("real_note", lang, source="GSO") in text for text in texts)
    assert not any(t("boundaries_legacy", lang) in text for text in texts)


def test_synthetic_note_is_bold_red(frames):
    fig = plots.add_note(_build("dist", frames, "vi"), "SYNTHETIC")
    note = next(txt for txt in plots.note_texts(fig) if txt.get_text() == t("synthetic_note", "vi"))
    assert note.get_fontweight() == "bold"
    assert note.get_color() == plots.NOTE_RED


def test_note_errors(frames):
    fig = _build("dist", frames, "vi")
    with pytest.raises(ValueError, match="source"):
        plots.add_note(fig, "REAL (published)")
    with pytest.raises(ValueError, match="data_status"):
        plots.add_note(fig, "MADE UP", source="x")
    with pytest.raises(ValueError, match="boundaries"):
        plots.add_note(fig, "SYNTHETIC", boundaries="63")


# --- bad input --------------------------------------------------------------------------------------

def test_bad_input_is_named(frames):
    ranked = frames["ranked"]
    with pytest.raises(KeyError, match="nope"):
        plots.ranked_intervals(ranked, "nope", "lo", "hi", "province")
    with pytest.raises(ValueError, match="Hà Nội"):
        plots.ranked_intervals(ranked.assign(cofunding_ratio=[np.nan, 1, 1, 1, 1]), "cofunding_ratio",
                               "lo", "hi", "province")
    with pytest.raises(ValueError, match="highlight"):
        plots.ranked_intervals(ranked, "cofunding_ratio", "lo", "hi", "province", highlight="Hà Tây")
    with pytest.raises(ValueError, match="lo <= cofunding_ratio <= hi"):
        plots.ranked_intervals(ranked.assign(hi=0.0), "cofunding_ratio", "lo", "hi", "province")
    with pytest.raises(ValueError, match="duplicates"):
        plots.bars_by_group(pd.concat([frames["bars"]] * 2), "category", "state_support", hue="year")
    with pytest.raises(ValueError, match="whole numbers"):
        plots.event_study_plot(frames["events"].assign(event_time=[-2.5, -2, 0, 1, 2]))
    with pytest.raises(ValueError, match="missing"):
        plots.distribution_with_band([0.1, np.nan])
    with pytest.raises(ValueError, match="lang"):
        plots.distribution_with_band([0.1], lang="fr")


# --- saving ------------------------------------------------------------------------------------------

def test_saves_are_byte_identical_and_atomic(frames, tmp_path):
    def build():
        return plots.add_note(_build("ranked", frames, "vi"), "SYNTHETIC", source="demo", boundaries="legacy")

    first = plots.save_figure(build(), tmp_path / "a" / "fig", formats=("png", "svg", "pdf"))
    second = plots.save_figure(build(), tmp_path / "b" / "fig", formats=("png", "svg", "pdf"))
    assert [p.name for p in first] == ["fig.png", "fig.svg", "fig.pdf"]
    for p, q in zip(first, second):
        assert p.read_bytes() == q.read_bytes(), p.name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["fig.pdf", "fig.png", "fig.svg"]
    svg = first[1].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and str(tmp_path) not in svg


def test_save_rejects_extension_and_unknown_format(frames, tmp_path):
    fig = _build("dist", frames, "en")
    with pytest.raises(ValueError, match="without extension"):
        plots.save_figure(fig, tmp_path / "fig.png")
    with pytest.raises(ValueError, match="formats"):
        plots.save_figure(fig, tmp_path / "fig", formats=("jpg",))


def test_figures_display_in_jupyter_without_pyplot(frames):
    png = _build("dist", frames, "vi")._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("kind", ["ranked", "dist", "events"])
def test_a_saved_figure_displays_its_saved_png_until_it_changes(frames, tmp_path, kind):
    fig = plots.add_note(_build(kind, frames, "vi"), "SYNTHETIC")
    png = plots.save_figure(fig, tmp_path / "fig")[0].read_bytes()
    shown = fig._repr_png_()
    fig._saved_png = None  # the same figure drawn again, as before saving remembered it
    assert shown == png == fig._repr_png_()
    fig.remember_png(png)
    fig.axes[0].set_title("Tiêu đề mới")
    changed = fig._repr_png_()
    assert changed != png and changed.startswith(b"\x89PNG")
    svg_only = _build(kind, frames, "vi")
    plots.save_figure(svg_only, tmp_path / "svg", formats=("svg",))
    assert svg_only._saved_png is None


def test_missing_interval_draws_dot_alone(frames):
    ranked = frames["ranked"].assign(lo=[np.nan, 2.0, 0.5, 2.9, 1.0], hi=[np.nan, 3.0, 1.0, 3.5, 2.0])
    fig = plots.ranked_intervals(ranked, "cofunding_ratio", "lo", "hi", "province", lang="en")
    assert [_flat(x.get_text()) for x in fig.axes[0].get_yticklabels()][-1] == "Sóc Trăng"  # largest on top
