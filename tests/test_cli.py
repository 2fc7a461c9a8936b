"""The command line: exit codes and what a person sees."""
from __future__ import annotations

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
