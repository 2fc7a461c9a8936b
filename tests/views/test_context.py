"""The notebook preamble in one call: parameters, tables, data status, truth and the opening lines."""
import pandas as pd
import pytest

from khuyencong.core import i18n
from khuyencong.errors import InputError
from khuyencong.views import context
from khuyencong.views.context import PUBLISHED, Context


def _write(folder, name, status):
    frame = pd.DataFrame({"province_code": ["24"], "province_code_2025": ["24"], "year": [2015],
                          "data_status": [status]})
    frame.to_parquet(folder / f"{name}.parquet")


@pytest.fixture
def processed(tmp_path):
    _write(tmp_path, "register", "REAL")
    _write(tmp_path, "plans", "REAL")
    _write(tmp_path, PUBLISHED, "REAL (published)")
    return tmp_path


def test_real_tables_give_no_truth_and_a_plain_header(processed):
    ctx = Context.load("Bắc Ninh", 2012, 2024, 2025, "en", processed, tables=("register", "plans", PUBLISHED))
    assert (ctx.status, ctx.truth, ctx.code, ctx.period) == ("REAL", None, "24", "2012–2024")
    assert set(ctx.frames) == {"register", "plans", PUBLISHED} and len(ctx["register"]) == 1
    assert ctx.header() == f"Bắc Ninh · 2012–2024 · {i18n.t('boundaries_2025', 'en')} · Data: REAL"
    assert ctx.header(status="bare").endswith(" · REAL")
    assert ctx.source_note("plans") == i18n.t("nb_plans", "en")
    assert len(ctx.in_years(pd.DataFrame({"year": [2011, 2012, 2024, 2025]}))) == 2


def test_synthetic_tables_load_the_truth_and_warn(processed, monkeypatch):
    _write(processed, "register", "SYNTHETIC")
    monkeypatch.setattr(context.synthetic_truth, "load_truth", lambda: {"truth": {}})
    ctx = Context.load("Sóc Trăng", lang="vi", processed_dir=processed, tables=("register", PUBLISHED))
    assert ctx.synthetic and ctx.truth == {"truth": {}}
    lines = ctx.header().split("\n")
    assert lines[0].startswith("Cần Thơ · 2012–2024") and "Sóc Trăng" in lines[1]
    assert lines[2] == "⚠ " + i18n.t("synthetic_note", "vi")
    assert ctx.header(status=None).split("\n")[1:] == lines[1:2]
    assert ctx.header(mark="").split("\n")[2] == i18n.t("synthetic_note", "vi")
    assert ctx.source_note() == i18n.t("nb_demo_register", "vi")


def test_published_figures_alone_decide_the_status(processed):
    ctx = Context.load(processed_dir=processed, tables=(PUBLISHED,))
    assert ctx.status == "REAL" and ctx.code is None and ctx.sel.label == i18n.t("country", "vi")


def test_bad_parameters_and_missing_tables_are_input_errors(processed):
    with pytest.raises(InputError, match="boundaries"):
        Context.load(boundaries="1975", processed_dir=processed, tables=("register",))
    with pytest.raises(InputError, match="make clean-data"):
        Context.load(processed_dir=processed, tables=("survey",))


def test_show_notes_saves_and_displays_a_figure_in_one_call(processed, tmp_path, monkeypatch):
    """Issue 22: "add note, save, display" was written out 19 times across the notebooks."""
    import matplotlib

    matplotlib.use("Agg")
    from khuyencong.views import plots

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    ctx = Context.load("Cần Thơ", processed_dir=processed, tables=("register",))
    fig = plots.ReportFigure()
    fig.add_subplot().plot([1, 2], [3, 4])
    out = tmp_path / "out"
    ctx.show(fig, out, "demo", source="sổ đề án", table=pd.DataFrame({"a": [1]}))
    assert {p.name for p in out.iterdir()} == {"demo.png", "demo.svg", "demo.csv", "demo.xlsx"}
    assert shown == [fig] and any("sổ đề án" in t.get_text() for t in plots.note_texts(fig))
    assert pd.read_csv(out / "demo.csv", encoding="utf-8-sig")["data_status"].iat[0] == ctx.status
