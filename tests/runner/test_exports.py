"""Published reports: no stderr/warnings, no pandas row numbers, no absolute paths; format checks;
one real brief built as HTML, PDF and Word, whose numbers are the notebook's."""
import io
import re
import shutil

import nbformat
import pandas as pd
import pytest

from khuyencong.core import i18n
from khuyencong.runner import pdf

from khuyencong.errors import ConfigurationError
from khuyencong.runner import config as runconfig
from khuyencong.runner import exports
from run_project import real_notebooks_project


def test_tidy_moves_warnings_to_the_log_and_drops_row_numbers(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="/home/u/x.py:3: UserWarning: boo\n"),
                    nbformat.v4.new_output("display_data", data={"text/html": pd.DataFrame({"a": [1, 2]}).to_html()})]
    nb.cells.append(cell)
    path, log = tmp_path / "r.ipynb", tmp_path / "run.log"
    nbformat.write(nb, path)
    exports.tidy(path, str(log))
    out = nbformat.read(path, as_version=4).cells[0].outputs
    assert len(out) == 1 and "<th>0</th>" not in out[0].data["text/html"] and "<td>2</td>" in out[0].data["text/html"]
    assert "UserWarning" in log.read_text()
    assert exports.leaks(nbformat.writes(nbformat.read(path, as_version=4))) == []


def test_leaks_finds_paths_and_warnings():
    assert exports.leaks("see /home/me/project/x.py and C:\\Users\\me\\x") != []
    assert exports.leaks("UserWarning: careful") == ["UserWarning: "]
    assert exports.leaks("1/7/2025 · a/b.csv · https://example.org/home/x") == []


def test_leaks_finds_this_machines_folders_wherever_they_are(monkeypatch):
    monkeypatch.setenv("KHUYENCONG_ROOT", "/check/work/main")  # not under any usual top folder
    assert exports.leaks("at /check/work/main/src/x.py:3") == ["/check/work/main/src/x.py:3"]
    assert exports.leaks("at /check/work/main") == ["/check/work/main"]
    assert exports.leaks("/check/work/mainline and https://x.org/check/work/main/a") == []
    assert exports.leaks("/home/me/x.py") == ["/home/me/x.py"]  # found once, not twice


def test_check_formats():
    assert exports.check_formats(["pdf"]) == ("html", "pdf")
    with pytest.raises(ValueError, match="unknown format"):
        exports.check_formats(["odt"])


# ---------------------------------------------------------------- formats and map headline in reports.yml

def _config(tmp_path, text: str):
    path = tmp_path / "reports.yml"
    path.write_text(text, encoding="utf-8")
    return runconfig.load_config(path)


BLOCKS = """notebooks:
  - {name: 10_cofunding, scope: national, inputs: [register]}
  - {name: 90_province_report, scope: provinces, whole_inputs: [register], formats: [docx, pdf]}
"""


def test_formats_per_notebook_and_the_command_line_override(tmp_path):
    config = _config(tmp_path, "formats: [pdf]\n" + BLOCKS)
    assert config.formats == ("html", "pdf") and config.map_headline == "cofunding_ratio"
    assert [nb.formats for nb in config.notebooks] == [("html", "pdf"), ("html", "pdf", "docx")]
    runs = {r.notebook.name: r for r in runconfig.build_matrix(config)}
    assert runs["90_province_report"].formats() == ("html", "pdf", "docx")
    assert runs["90_province_report"].formats(("html",)) == ("html",)  # --formats html
    assert _config(tmp_path, BLOCKS).notebooks[0].formats == ("html",)  # the default


@pytest.mark.parametrize("text, expected", [
    ("formats: [html, odt]\n" + BLOCKS, "formats: unknown format(s) ['odt']"),
    (BLOCKS.replace("inputs: [register]}", "inputs: [register], formats: [docx]}"), "10_cofunding): formats: only "),
    ("map_headline: growth\n" + BLOCKS, "map_headline must be one of cofunding_ratio, productivity_effect, "
                                        "cost_per_trainee, plan_attainment_trainees, got 'growth'"),
])
def test_bad_formats_and_map_headline_are_configuration_errors(tmp_path, text, expected):
    with pytest.raises(ConfigurationError) as info:
        _config(tmp_path, text)
    assert "reports.yml" in str(info.value) and expected in str(info.value)


@pytest.mark.parametrize("headline", ["productivity_effect", "plan_attainment_trainees"])
def test_map_headline_is_read(tmp_path, headline):
    assert _config(tmp_path, f"map_headline: {headline}\n" + BLOCKS).map_headline == headline


# ---------------------------------------------------------------- one real brief in every format

PROVINCE, SLUG = "Cần Thơ", "can-tho"


@pytest.fixture(scope="module")
def brief_folder(tmp_path_factory):
    """A scratch project with the real brief notebook and processed demo data, run for Cần Thơ in
    Vietnamese as HTML, PDF and Word (the brief's PDF is typeset: no browser needed)."""
    from test_run import run

    root = real_notebooks_project(tmp_path_factory.mktemp("brief") / "p", {"90_province_report": {"n_boot": 49}},
                                  PROVINCE)
    assert run(root, workers=1, provinces=[PROVINCE], formats=["html", "pdf", "docx"]) == 0
    return root / "reports" / "vi" / SLUG / "90_province_report"


def _shown_headline_table(nb_path) -> pd.DataFrame:
    """The headline table as the executed notebook displays it (first column: the measure, then
    the province, its region, the country)."""
    for cell in nbformat.read(nb_path, as_version=4).cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            if "<table" in html:
                table = pd.read_html(io.StringIO(html), keep_default_na=False)[0].astype(str)
                if list(table.columns[:2]) == [i18n.t("indicator", "vi"), PROVINCE]:
                    return table
    raise AssertionError("the notebook shows no headline table")


def _bare(text) -> str:
    """``text`` without whitespace: a PDF table cell wraps its text onto several lines."""
    return re.sub(r"\s+", "", text or "")


def _one_line(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace(" · ", " ")).strip()


@pytest.mark.slow  # the brief run takes 1.5–2 min on a busy 2-core machine
def test_word_brief_shows_the_notebooks_headline_numbers(brief_folder):
    import docx

    shown = _shown_headline_table(brief_folder / "90_province_report.ipynb")
    table = docx.Document(brief_folder / "90_province_report.docx").tables[0]
    cells = [[_one_line(c.text) for c in row.cells] for row in table.rows]
    assert cells[0] == list(shown.columns)
    assert cells[1:] == [[_one_line(str(v)) for v in row] for row in shown.values.tolist()]
    saved = pd.read_csv(brief_folder / "90_brief_headlines.csv", dtype={"area_code": str})
    ratio = saved.query("measure == 'cofunding_ratio' and level == 'province'")["value"].iloc[0]
    assert cells[1][1].startswith(i18n.fmt_number(round(ratio, 2), "vi", 2))  # the stored number, as printed


@pytest.mark.slow  # the brief run takes 1.5–2 min on a busy 2-core machine
def test_pdf_brief_has_the_province_and_headline_numbers_with_diacritics(brief_folder):
    """The brief's PDF (typeset, no browser): title, every headline number of the notebook's table,
    the data status and the page number on every page."""
    import pdfplumber

    shown = _shown_headline_table(brief_folder / "90_province_report.ipynb")
    with pdfplumber.open(brief_folder / "90_province_report.pdf") as doc:
        pages = [page.extract_text() or "" for page in doc.pages]
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert f"Bản tin khuyến công: {PROVINCE}" in text
    numbers = {n for row in shown.values.tolist() for cell in row[1:-1] for n in re.findall(r"-?\d[\d.,]*%?", str(cell))}
    assert len(numbers) >= 12 and all(n in text for n in numbers), sorted(n for n in numbers if n not in text)
    mark = i18n.t("br_status_synthetic_title", "vi")
    assert all(mark in p and f"Trang {i}/{len(pages)}" in p for i, p in enumerate(pages, 1))


def test_a_missing_browser_stops_a_pdf_run_before_it_starts(tmp_path, monkeypatch):
    from khuyencong.errors import EnvironmentProblem
    from run_project import make_project
    from test_run import run

    root = make_project(tmp_path / "p", {"nb_echo": "national"})
    monkeypatch.setenv("KHUYENCONG_CHROMIUM", "no-such-browser-here")
    with pytest.raises(EnvironmentProblem, match="KHUYENCONG_CHROMIUM"):
        run(root, workers=1, formats=["html", "pdf"])
    assert not list((root / "reports").rglob("*.ipynb"))  # nothing ran


def test_without_a_browser_reports_yml_pdfs_are_left_out_and_the_rest_is_published(tmp_path, monkeypatch, capsys):
    """Issue 19: a fresh machine without Chromium stopped `make report` with exit 5."""
    import yaml
    from run_project import make_project
    from test_run import run

    root = make_project(tmp_path / "p", {"nb_echo": "national"})
    config = yaml.safe_load((root / "reports.yml").read_text(encoding="utf-8"))
    config["notebooks"][0]["formats"] = ["html", "pdf"]  # asked for by reports.yml, not the command line
    (root / "reports.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KHUYENCONG_CHROMIUM", "no-such-browser-here")
    assert run(root, workers=1) == 0
    assert "PDF of the analysis notebooks left out" in capsys.readouterr().out
    assert list((root / "reports").rglob("*.html")) and not list((root / "reports").rglob("*.pdf"))
