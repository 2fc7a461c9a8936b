"""The command line: exit codes and what a person sees."""
from __future__ import annotations

import pytest
import pandas as pd

from fixtures.raw_files import REGISTER_HEADER, register_row, write_xlsx
from khuyencong.cli import main


def test_validate_broken_workbook_lists_problems_and_fails(tmp_path, capsys):
    book = write_xlsx(tmp_path / "broken.xlsx", REGISTER_HEADER,
                      [register_row(), register_row(pid="DA-002", province="Bac Giag")], title_rows=1)
    problems = tmp_path / "problems.csv"
    assert main(["validate", str(book), "--output", str(problems)]) == 1
    out = capsys.readouterr().out
    assert "broken.xlsx:4" in out and "'Bac Giag'" in out and "Bắc Giang" in out
    assert pd.read_csv(problems, encoding="utf-8-sig")["value"].tolist() == ["Bac Giag"]


def test_validate_clean_file_passes(tmp_path):
    book = write_xlsx(tmp_path / "ok.xlsx", REGISTER_HEADER, [register_row()])
    assert main(["validate", str(book)]) == 0


def test_clean_with_explicit_input_and_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    book = write_xlsx(tmp_path / "reg.xlsx", REGISTER_HEADER, [register_row(), register_row(pid="DA-9", year=1890)])
    assert main(["clean", "--input", f"register={book}"]) == 0
    out = capsys.readouterr().out
    assert "data status: REAL" in out and "2 rows read = 1 kept + 1 rejected" in out
    target = tmp_path / "register.dta"
    assert main(["export", "register", "--to", str(target)]) == 0
    assert pd.read_stata(target)["province_name"].tolist() == ["Bắc Giang"]


def test_bad_input_spec_and_unknown_province_are_clear_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    book = write_xlsx(tmp_path / "reg.xlsx", REGISTER_HEADER, [register_row()])
    assert main(["clean", "--input", f"register={book}", "--province", "Atlantis"]) == 2
    assert "Atlantis" in capsys.readouterr().err


# ---------------------------------------------------------------- issue 23: one `error:` line and the documented code

def test_bad_limit_values_are_settings_errors_not_tracebacks(tmp_path, monkeypatch, capsys):
    csv = tmp_path / "reg.csv"
    csv.write_text("STT,Tên đề án,Kinh phí hỗ trợ\n1,Đào tạo nghề,100\n", encoding="utf-8")
    assert main(["map", str(csv), "--file-province", "Nam Định", "--file-year", "2020"]) == 0  # its mapping is YAML
    for env, value in (("KHUYENCONG_MAX_FIELD_CHARS", "1e19"), ("KHUYENCONG_MAX_YAML_BYTES", "1e19"),
                       ("KHUYENCONG_MAX_CELLS", "abc")):
        monkeypatch.setenv(env, value)
        assert main(["validate", str(csv)]) == 2, env
        assert f"error: {env}={value!r}" in capsys.readouterr().err
        monkeypatch.delenv(env)


def test_run_refuses_non_positive_workers_timeout_and_unknown_kernels(monkeypatch, capsys):
    import pytest

    for flag in ("--workers", "--timeout"):
        for value in ("-3", "0", "two"):
            with pytest.raises(SystemExit) as stop:
                main(["run", flag, value, "--dry-run"])
            assert stop.value.code == 2 and f"argument {flag}" in capsys.readouterr().err
    monkeypatch.setenv("KHUYENCONG_KERNELS", "bogus")
    assert main(["run", "--dry-run"]) == 2
    assert "error: KHUYENCONG_KERNELS='bogus': kernels must be one of warm, fresh" in capsys.readouterr().err


def test_clean_input_without_a_path_is_one_error_line(capsys):
    assert main(["clean", "--input", "register"]) == 2
    assert capsys.readouterr().err.startswith("error: --input expects DATASET=PATH")


def test_terminal_control_sequences_in_a_file_are_shown_escaped(tmp_path, capsys):
    csv = tmp_path / "esc.csv"
    csv.write_text("STT,Tên đề án,Nội dung khuyến công,Kinh phí hỗ trợ\n"
                   "1,Hỗ trợ máy sấy,\x1b]0;pwned\x07Nội dung lạ\x1b[2J,100\n", encoding="utf-8")
    main(["validate", str(csv)])
    shown = capsys.readouterr()
    assert "\x1b" not in shown.out + shown.err and "\x07" not in shown.out + shown.err
    assert "\\x1b]0;pwned\\x07" in shown.out


def test_export_names_what_is_wrong_with_the_table_or_the_target(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    book = write_xlsx(tmp_path / "reg.xlsx", REGISTER_HEADER, [register_row()])
    assert main(["clean", "--input", f"register={book}"]) == 0
    (tmp_path / "folder.csv").mkdir()
    cases = {("nosuchtable", "x.csv"): "no processed table 'nosuchtable'",
             ("../../../x", "x.csv"): "no processed table '../../../x'",
             ("register", str(tmp_path / "folder.csv")): "is a folder",
             ("register", str(book / "x.csv")): "its parent is not a folder"}
    for (table, target), said in cases.items():
        assert main(["export", table, "--to", target]) == 2, (table, target)
        err = capsys.readouterr().err
        assert err.startswith("error: ") and said in err, err
    assert main(["export", "register", "--to", str(tmp_path / "ok.csv")]) == 0


def test_a_bug_is_not_reported_as_bad_input(monkeypatch):
    """Issue 22: every ValueError became exit 2, so a bug looked like bad input. Project errors keep their
    exit code; a plain ValueError is a bug and keeps its traceback."""
    import khuyencong.cli as cli
    from khuyencong.errors import InputError

    def bad_input(args):
        raise InputError("row 3: fix the year")

    def bug(args):
        raise ValueError("an internal shape mismatch")

    monkeypatch.setattr(cli, "_validate", bad_input)
    assert main(["validate", "x.csv"]) == 2
    monkeypatch.setattr(cli, "_validate", bug)
    with pytest.raises(ValueError, match="internal shape mismatch"):
        main(["validate", "x.csv"])
