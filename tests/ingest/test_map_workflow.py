"""The workflow of a province's own file through the CLI: map → review → validate → clean."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from khuyencong.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "annex_layouts"
#: (file, data rows, structure rows); hai_duong has a label the reviewer decided (committed mapping).
FILES = [("binh_dinh_2017_kcdp_phu_luc.xlsx", 9, 12), ("hai_duong_2013_ket_qua.xls", 6, 6),
         ("ha_nam_2018_quyet_dinh_phu_luc.docx", 6, 6), ("lang_son_2021_csv_ten_xlsx.xlsx", 4, 5)]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    (tmp_path / "data" / "raw").mkdir(parents=True)
    return tmp_path


def _map_and_review(raw: Path, name: str) -> Path:
    shutil.copy(CORPUS / name, raw / name)
    assert main(["map", f"data/raw/{name}"]) == 0
    written = raw / f"{name}.mapping.yml"
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["file"] == name
    reviewed = CORPUS / f"{name}.mapping.yml"
    if reviewed.exists():  # the review: the user settled what `map` left open
        shutil.copy(reviewed, written)
    return raw / name


def test_map_validate_clean(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    raw = project / "data" / "raw"
    files = [_map_and_review(raw, name) for name, _, _ in FILES]
    out = capsys.readouterr().out
    assert "mapping proposed → data/raw/binh_dinh_2017_kcdp_phu_luc.xlsx.mapping.yml" in out
    assert str(project) not in out

    assert main(["validate", *(f"data/raw/{f.name}" for f in files)]) == 0
    out = capsys.readouterr().out
    assert "using mapping hai_duong_2013_ket_qua.xls.mapping.yml" in out and "all good" in out

    assert main(["clean", *(f"--input=register=data/raw/{f.name}" for f in files)]) == 0
    processed = project / "data" / "processed"
    register = pd.read_parquet(processed / "register.parquet")
    accounting = pd.read_csv(processed / "row_accounting.csv", encoding="utf-8-sig")
    for name, kept, structure in FILES:
        row = accounting[accounting["file"] == f"data/raw/{name}"].iloc[0]
        assert (row["rows_kept"], row["rows_rejected"], row["rows_structure"]) == (kept, 0, structure)
        assert row["rows_read"] == kept + structure
        assert (register["source_file"] == f"data/raw/{name}").sum() == kept
    binh_dinh = register[register["source_file"] == "data/raw/binh_dinh_2017_kcdp_phu_luc.xlsx"]
    assert set(binh_dinh["status"]) == {"planned"} and set(binh_dinh["province_name"]) == {"Bình Định"}
    assert set(binh_dinh["year"]) == {2017}
    implementer = binh_dinh["establishment_name"].str.startswith(("Trung tâm Khuyến công", "Sở Công Thương"))
    assert binh_dinh.loc[~implementer, "establishment_id"].str.startswith("D-").all()
    assert binh_dinh.loc[implementer, "establishment_id"].isna().all() and implementer.sum() == 2
    assert register["project_id"].is_unique


def test_problems_are_named_and_never_a_traceback(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    raw = project / "data" / "raw"
    for name in ("thai_binh_2020_tong_khong_khop.xlsx", "yen_bai_2016_ban_scan.pdf"):
        shutil.copy(CORPUS / name, raw / name)
    assert main(["map", "data/raw/yen_bai_2016_ban_scan.pdf"]) == 2
    assert "needs OCR" in capsys.readouterr().err
    assert main(["map", "data/raw/thai_binh_2020_tong_khong_khop.xlsx"]) == 0
    assert main(["validate", "data/raw/thai_binh_2020_tong_khong_khop.xlsx", "data/raw/yen_bai_2016_ban_scan.pdf"]) == 1
    out = capsys.readouterr().out
    assert "by problem: both_funding_sources: 1, no_text_layer: 1, total_mismatch: 1" in out
    (raw / "lang_son.xlsx").write_bytes((CORPUS / "lang_son_2021_csv_ten_xlsx.xlsx").read_bytes())
    assert main(["clean", "--input", "register=data/raw/lang_son.xlsx"]) == 2  # no mapping: a message
    assert "khuyencong map data/raw/lang_son.xlsx" in capsys.readouterr().err


def test_map_dry_runs_validate_and_never_says_nothing_to_review_before_a_rejection(project: Path, monkeypatch,
                                                                                    capsys) -> None:
    monkeypatch.chdir(project)
    raw = project / "data" / "raw"
    real = Path(__file__).resolve().parents[1] / "fixtures" / "real_documents"
    undated = "rp_ben_tre_kcqg_de_an_hoan_thanh.xlsx"  # the page gives no year
    shutil.copy(real / undated, raw / undated)
    assert main(["map", f"data/raw/{undated}"]) == 0
    out = capsys.readouterr().out
    assert "validate would read: 3 project row(s), 0 kept, 3 rejected" in out
    assert "sums stated in the file: 1 of 1 reconcile" in out
    assert "nothing to review" not in out and "file_values.year: not found" in out
    assert main(["map", f"data/raw/{undated}", "--file-year", "2019"]) == 0
    out = capsys.readouterr().out
    assert "3 project row(s), 3 kept, 0 rejected" in out
    assert yaml.safe_load((raw / f"{undated}.mapping.yml").read_text(encoding="utf-8"))["file_values"]["year"] == 2019
    assert main(["validate", f"data/raw/{undated}"]) == 0


def test_survey_sheet_from_a_register_without_establishment_ids(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    raw = project / "data" / "raw"
    real = Path(__file__).resolve().parents[1] / "fixtures" / "real_documents"
    name = "rc_long_an_2021_kcdp_nfd.csv"  # seven beneficiaries, no Mã cơ sở column
    shutil.copy(real / name, raw / name)
    assert main(["map", f"data/raw/{name}"]) == 0
    assert main(["templates", "survey", "--from-register", f"data/raw/{name}", "--to", "data/raw/survey.xlsx"]) == 0
    assert "7 establishment(s), 28 survey row(s)" in capsys.readouterr().out
    sheet = pd.read_excel(raw / "survey.xlsx", sheet_name=0, engine="openpyxl")
    assert sheet["Mã cơ sở"].str.startswith("D-").all() and sheet["Mã cơ sở"].nunique() == 7
    assert sorted(sheet["Năm"].unique()) == [2020, 2021, 2022, 2023]
    clean = main(["clean", f"--input=register=data/raw/{name}"])
    register = pd.read_parquet(project / "data" / "processed" / "register.parquet")
    assert clean == 0 and set(sheet["Mã cơ sở"]) == set(register["establishment_id"])  # the survey links back


def test_validate_reads_a_register_in_our_words_but_not_our_layout_before_map(project: Path, monkeypatch,
                                                                             capsys) -> None:
    """Semicolons, 'Nội dung hỗ trợ' and 'Nguồn kinh phí' headers, no 'Mã cơ sở': read, not refused."""
    monkeypatch.chdir(project)
    path = project / "data" / "raw" / "can_tho_2023.csv"
    path.write_text("Năm;Tỉnh/thành phố;Mã đề án;Tên đề án;Nội dung hỗ trợ;Nguồn kinh phí;Tên cơ sở thụ hưởng;Huyện;"
                    "Kinh phí hỗ trợ (triệu đồng);Vốn đối ứng (triệu đồng);Tình trạng\n"
                    "2023;Cần Thơ;CT-01;Hỗ trợ máy sấy;Ứng dụng máy móc thiết bị tiên tiến;KCĐP;Cơ sở A;Phong Điền;"
                    "250,5;600;Hoàn thành\n"
                    "2023;Cần Thơ;CT-02;Đào tạo nghề đan;Đào tạo nghề;KCQG;HTX B;Cờ Đỏ;120;;Hoàn thành\n",
                    encoding="utf-8-sig")
    assert main(["validate", "data/raw/can_tho_2023.csv"]) == 0
    captured = capsys.readouterr()
    assert "read as a published document" in captured.out and "2 rows read, 0 rows with errors" in captured.out
    assert "missing_contribution: 1" in captured.out  # the blank co-funding cell is missing, not 0
    assert main(["clean", "--input", "register=data/raw/can_tho_2023.csv"]) == 2  # publishing needs the review
    assert main(["map", "data/raw/can_tho_2023.csv"]) == 0
    assert main(["clean", "--input", "register=data/raw/can_tho_2023.csv"]) == 0
    register = pd.read_parquet(project / "data" / "processed" / "register.parquet")
    assert list(register["project_id"]) == ["CT-01", "CT-02"] and list(register["funding_source"]) == ["KCDP", "KCQG"]
    assert register["beneficiary_contribution"].isna().tolist() == [False, True]


def test_map_again_keeps_the_reviewers_decisions_and_force_starts_over(project: Path, monkeypatch, capsys) -> None:
    """Issue 23: a second `map` overwrote the reviewed mapping with no backup, warning or --force."""
    monkeypatch.chdir(project)
    raw = project / "data" / "raw"
    name = "hai_duong_2013_ket_qua.xls"
    shutil.copy(CORPUS / name, raw / name)
    shutil.copy(CORPUS / f"{name}.mapping.yml", raw / f"{name}.mapping.yml")  # 'Tham quan khảo sát' decided
    assert main(["map", f"data/raw/{name}"]) == 0
    assert "values.category: 'Tham quan khảo sát' → programme_capacity" in capsys.readouterr().out
    again = yaml.safe_load((raw / f"{name}.mapping.yml").read_text(encoding="utf-8"))
    assert again["values"]["category"]["Tham quan khảo sát"]["code"] == "programme_capacity"
    assert main(["map", "--force", f"data/raw/{name}"]) == 0
    fresh = yaml.safe_load((raw / f"{name}.mapping.yml").read_text(encoding="utf-8"))
    assert fresh["values"]["category"]["Tham quan khảo sát"]["code"] is None
    (raw / "other.xls").write_bytes((raw / name).read_bytes())
    shutil.copy(CORPUS / f"{name}.mapping.yml", raw / "other.xls.mapping.yml")  # written for another file
    assert main(["map", "data/raw/other.xls"]) == 2
    assert "written for 'hai_duong_2013_ket_qua.xls'" in capsys.readouterr().err


def test_several_annex_sheets_keep_their_rows_apart_and_name_the_sheet(project: Path, monkeypatch, capsys) -> None:
    """Issue 23: two quarterly sheets with the same row numbers gave duplicate project IDs."""
    import openpyxl

    monkeypatch.chdir(project)
    wb = openpyxl.Workbook()
    for n, sheet in enumerate(("Quý I", "Quý II")):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = sheet
        ws.append([f"DANH MỤC ĐỀ ÁN KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2024 TỈNH NAM ĐỊNH - {sheet.upper()}"])
        ws.append(["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí hỗ trợ", "Đối ứng"])
        ws.append([1, f"Hỗ trợ máy dệt ({sheet})", "Cơ sở dệt Nam Trực", 100, 200])
        ws.append([2, f"Đào tạo nghề thêu ({sheet})", "HTX thêu Xuân Trường", 50, -10 if n else 10])
    wb.save(project / "data" / "raw" / "nam_dinh_2024.xlsx")
    assert main(["map", "data/raw/nam_dinh_2024.xlsx"]) == 0
    capsys.readouterr()
    assert main(["validate", "data/raw/nam_dinh_2024.xlsx"]) == 1
    out = capsys.readouterr().out
    assert "nam_dinh_2024.xlsx:4 Đối ứng '': sheet 'Quý II': negative amount" in out and "duplicate" not in out
    assert main(["clean", "--input", "register=data/raw/nam_dinh_2024.xlsx"]) == 0
    register = pd.read_parquet(project / "data" / "processed" / "register.parquet")
    assert sorted(register["project_id"]) == ["nam_dinh_2024:Quý I!3", "nam_dinh_2024:Quý I!4",
                                              "nam_dinh_2024:Quý II!3"]
