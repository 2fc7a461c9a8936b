"""``data/raw/inputs.yml``: which raw files feed each processed table, and what `clean` says it used."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from khuyencong.cli import main
from khuyencong.errors import ConfigurationError
from khuyencong.ingest import inputs

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "annex_layouts"
REGISTER = "hai_duong_2013_ket_qua.xls"  # 6 projects; its reviewed mapping sets province and year
DEMO_SMALL = ("SYNTHETIC_plans.xlsx", "SYNTHETIC_province_stats.csv")


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    """A scratch project: the blank forms, two small demo tables, the Hải Dương annex and its mapping."""
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    raw = tmp_path / "data" / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "templates", raw / "templates")
    (raw / "demo").mkdir()
    for name in DEMO_SMALL:
        shutil.copy(ROOT / "data" / "raw" / "demo" / name, raw / "demo" / name)
    for name in (REGISTER, f"{REGISTER}.mapping.yml"):
        shutil.copy(CORPUS / name, raw / name)
    (tmp_path / "data" / "processed").mkdir()
    return tmp_path


def declare(root: Path, text: str) -> None:
    (root / "data" / "raw" / inputs.NAME).write_text(text, encoding="utf-8")


def test_without_a_declaration_the_demo_set_is_the_default(project):
    found = inputs.load()
    assert found.all_demo and found.clean_inputs() is None
    assert "demo" in found.source


def test_a_real_register_alone_is_refused_naming_what_is_missing_and_how(project, capsys):
    declare(project, f"register:\n  - {REGISTER}\n")
    with pytest.raises(ConfigurationError) as exc:
        inputs.load()
    message = str(exc.value)
    assert "survey, plans, province_stats" in message and "inputs.yml" in message
    assert "`none`" in message and "`demo`" in message
    assert main(["clean"]) == 2  # the CLI: one error line, nothing built
    err = capsys.readouterr().err
    assert err.startswith("error: data/raw/inputs.yml: survey, plans, province_stats") and "Traceback" not in err
    assert not (project / "data" / "processed" / "register.parquet").exists()


def test_a_real_register_beside_declared_demo_tables_shows_each_status(project, capsys):
    declare(project, f"register: [{REGISTER}]\nsurvey: none\nplans: demo\nprovince_stats: demo\n")
    assert main(["clean"]) == 0
    out = capsys.readouterr().out
    assert "register: REAL, 1 file(s), 6 rows kept, 0 rejected" in out
    assert f"data/raw/{REGISTER} (REAL, mapping {REGISTER}.mapping.yml): 12 read = 6 kept + 0 rejected" in out
    assert "survey: none declared" in out
    assert "plans: SYNTHETIC, 1 file(s)" in out and "province_stats: SYNTHETIC, 1 file(s)" in out
    processed = project / "data" / "processed"
    register = pd.read_parquet(processed / "register.parquet")
    assert len(register) == 6 and set(register["data_status"]) == {"REAL"}
    # file-level province and year come from the mapping's file_values (title rows), not columns
    assert set(register["province_code"]) == {"30"} and set(register["year"]) == {2013}
    assert len(pd.read_parquet(processed / "survey.parquet")) == 0  # an empty table, not an older build's
    assert set(pd.read_parquet(processed / "plans.parquet")["data_status"]) == {"SYNTHETIC"}


def test_none_replaces_an_earlier_builds_table(project):
    declare(project, f"register: [{REGISTER}]\nsurvey: none\nplans: demo\nprovince_stats: demo\n")
    assert main(["clean"]) == 0
    declare(project, f"register: [{REGISTER}]\nsurvey: none\nplans: none\nprovince_stats: none\n")
    assert main(["clean"]) == 0
    assert len(pd.read_parquet(project / "data" / "processed" / "plans.parquet")) == 0


@pytest.mark.parametrize("text, key", [
    ("registr: [x.xlsx]\n", "registr"),
    ("register: 12\nsurvey: none\nplans: none\nprovince_stats: none\n", "register"),
    ("register: [missing.xlsx]\nsurvey: none\nplans: none\nprovince_stats: none\n", "register"),
    ("register: [../../outside.xlsx]\nsurvey: none\nplans: none\nprovince_stats: none\n", "register"),
    ("register: [" + REGISTER + "]\nsurvey: []\nplans: none\nprovince_stats: none\n", "survey"),
])
def test_a_malformed_declaration_names_the_key(project, capsys, text, key):
    declare(project, text)
    with pytest.raises(ConfigurationError, match=f"inputs.yml: {key}:"):
        inputs.load()
    assert main(["clean"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_invalid_yaml_and_a_list_at_the_top_are_configuration_errors(project, capsys):
    declare(project, "register: [unclosed\n")
    with pytest.raises(ConfigurationError, match="inputs.yml"):
        inputs.load()
    declare(project, "- register\n")
    assert main(["clean"]) == 2
    assert "one key per table" in capsys.readouterr().err


# ---------------------------------------------------------------- issue 20: what a declaration may not do

def test_a_link_in_a_declared_folder_may_not_lead_outside_data_raw(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.csv"
    outside.write_text("STT,Tên đề án,Kinh phí hỗ trợ\n1,x,1\n", encoding="utf-8")
    folder = project / "data" / "raw" / "registers"
    folder.mkdir()
    shutil.copy(CORPUS / REGISTER, folder / REGISTER)
    (folder / "linked.csv").symlink_to(outside)
    declare(project, "register: [registers]\nsurvey: none\nplans: none\nprovince_stats: none\n")
    with pytest.raises(ConfigurationError, match="registers/linked.csv is a link leading outside data/raw/"):
        inputs.load()


def test_a_declaration_that_is_not_a_regular_file_is_refused_not_replaced_by_the_demo(project):
    (project / "data" / "raw" / inputs.NAME).symlink_to("/dev/zero")
    with pytest.raises(ConfigurationError, match="inputs.yml is not a regular file"):
        inputs.load()


def test_a_table_declared_twice_is_refused(project):
    declare(project, "register: demo\nsurvey: none\nplans: none\nprovince_stats: none\nregister: none\n")
    with pytest.raises(ConfigurationError, match="line 5: the key 'register' is given again \\(first on line 1\\)"):
        inputs.load()


def test_a_folder_of_too_many_files_is_refused_before_reading_them(project, capsys, monkeypatch):
    """Issue 23: a declared folder of 10,000 one-row CSVs took 1,554 s and 1.9 GB. The limit is named
    and can be raised; the folder is listed, never read, so the refusal costs no reading."""
    folder = project / "data" / "raw" / "many"
    folder.mkdir()
    for i in range(30):
        (folder / f"r{i:05d}.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.setenv("KHUYENCONG_MAX_FILES", "25")
    declare(project, "register:\n  - many\nsurvey: none\nplans: none\nprovince_stats: none\n")
    assert main(["clean"]) == 2
    err = capsys.readouterr().err
    assert "many/: 26 files is over the limit of 25 (table files in one folder)" in err
    assert "KHUYENCONG_MAX_FILES=" in err and "Traceback" not in err
    assert main(["validate", str(folder)]) == 2
    assert "over the limit of 25" in capsys.readouterr().err


def test_none_means_no_register_even_when_a_register_file_is_declared_elsewhere(project, capsys):
    """Issue 20: a file declared under `survey` with `register: none` fed the register through the
    template fallback. `none` means no file of that table; the misplaced file is an error of its own."""
    shutil.copy(ROOT / "data" / "raw" / "demo" / "SYNTHETIC_register_dong_bang_song_hong.xlsx",
                project / "data" / "raw" / "reg.xlsx")
    declare(project, "register: none\nsurvey:\n  - reg.xlsx\nplans: none\nprovince_stats: none\n")
    assert main(["clean"]) == 2
    err = capsys.readouterr().err
    assert "data/raw/reg.xlsx" in err and err.count("khuyencong map") == 1 and "Traceback" not in err
    register = project / "data" / "processed" / "register.parquet"
    assert not register.exists() or pd.read_parquet(register).empty


@pytest.mark.parametrize("entry, said", [
    ("a" * 300 + ".csv", "too long for the file system"),
    ("/".join(["b" * 200] * 25) + "/x.csv", "too long for the file system"),
    ("loop1", "point at each other in a loop"),
], ids=["300-character name", "5,000-character path", "link loop"])
def test_impossible_paths_are_one_error_line(project, capsys, entry, said):
    """Issue 20: a 300-character file name, a 5,000-character path and a symbolic-link loop in
    inputs.yml ended in tracebacks (OSError, RuntimeError)."""
    raw = project / "data" / "raw"
    (raw / "loop1").symlink_to("loop2")
    (raw / "loop2").symlink_to("loop1")
    declare(project, f"register:\n  - {entry}\nsurvey: none\nplans: none\nprovince_stats: none\n")
    assert main(["clean"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: data/raw/inputs.yml: register: ") and said in err and "Traceback" not in err
    assert len(err) < 400  # the entry is shortened, not echoed whole
