"""validate_paths names every problem with file, row (as Excel shows it), column header and value."""
from __future__ import annotations

import json

import pytest

from fixtures.raw_files import REGISTER_HEADER, register_row, write_csv, write_xlsx
from khuyencong import paths
from khuyencong.ingest.validate import validate_paths

SURVEY_HEADER = ["Mã cơ sở", "Mã đề án", "Tỉnh/thành phố", "Năm", "Giá trị sản xuất (triệu đồng)", "Số lao động"]
PLANS_HEADER = ["Tỉnh/thành phố", "Năm", "Chỉ tiêu", "Kế hoạch", "Thực hiện"]

# (row as Excel shows it: 2 title rows + header on row 3 → first data row is 4), row, header, value, check
BROKEN = [
    (register_row(), None),
    (register_row(pid="DA-002", province="Bac Giag"), ("Tỉnh/thành phố", "Bac Giag", "unknown province")),
    (register_row(pid="DA-003", contribution=-10, total=90), ("Vốn đối ứng (triệu đồng)", "-10", "negative money")),
    (register_row(pid="DA-004", support=0, contribution=100, total=100),
     ("Kinh phí hỗ trợ (triệu đồng)", "0", "contribution share out of range")),
    (register_row(pid="DA-001"), ("Mã đề án", "DA-001", "duplicate key")),
    (register_row(pid="DA-006", year=1890), ("Năm", "1890", "year out of range")),
    (register_row(pid="DA-007", total=200), ("Tổng kinh phí (triệu đồng)", "200", "total does not add up")),
    (register_row(pid="DA-008", est=None), ("Mã cơ sở", "", "empty required cell")),
    (register_row(pid="DA-009", support="12,3,4", total=None), ("Kinh phí hỗ trợ (triệu đồng)", "12,3,4", "not a number")),
    (register_row(pid="DA-010", category="Dao tao nghe xyz"), ("Nội dung khuyến công", "Dao tao nghe xyz", "unknown category")),
    (register_row(pid="DA-011", category="ĐÀO TẠO NGHỀ, TRUYỀN NGHỀ, NÂNG CAO TAY NGHỀ", source="khuyen cong quoc gia",
                  status="completed"), None),
    (register_row(pid="DA-012", province="Cả nước"), ("Tỉnh/thành phố", "Cả nước", "aggregate row")),
    (register_row(pid="DA-013", source="KCX"), ("Nguồn kinh phí", "KCX", "unknown funding source")),
    (register_row(pid="DA-014", status="hoan thanh", province="tp. Hà Nội"), None),
]
FIRST_ROW = 4


@pytest.fixture
def broken(tmp_path):
    return write_xlsx(tmp_path / "broken.xlsx", REGISTER_HEADER, [r for r, _ in BROKEN], title_rows=2)


def test_broken_workbook_every_problem_named(broken):
    report = validate_paths([broken])
    found = {(p.file, p.sheet, p.row, p.column, p.value, p.check) for p in report.problems}
    expected = {("broken.xlsx", "Sheet", FIRST_ROW + i, *want) for i, (_, want) in enumerate(BROKEN) if want}
    assert found == expected
    assert report.rows_read == len(BROKEN)
    assert report.rows_with_errors == len(expected)
    assert not report.ok


def test_problem_texts_carry_suggestions_and_first_occurrence(broken):
    report = validate_paths([broken])
    by_check = {p.check: p for p in report.problems}
    assert "Bắc Giang" in by_check["unknown province"].fix
    assert "first at broken.xlsx:4" in by_check["duplicate key"].problem
    assert "training" in by_check["unknown category"].fix
    assert "1.234,5" in by_check["not a number"].fix
    assert "150" in by_check["total does not add up"].problem and "200" in by_check["total does not add up"].problem
    assert "KCQG" in by_check["unknown funding source"].fix
    line = next(l for l in report.format().splitlines() if "Bac Giag" in l)
    assert line.startswith("broken.xlsx:5 Tỉnh/thành phố 'Bac Giag': unknown province — did you mean Bắc Giang")


def test_report_frame_and_summary(broken):
    report = validate_paths([broken])
    frame = report.as_frame()
    assert list(frame.columns) == ["file", "sheet", "row", "column", "value", "problem", "fix", "severity", "check"]
    assert len(frame) == len(report.problems)
    summary = report.summary()
    assert summary["unknown province"] == 1 and sum(summary.values()) == len(report.problems)
    assert "rows with errors" in report.format()


def test_clean_file_is_ok(tmp_path):
    path = write_csv(tmp_path / "ok.csv", REGISTER_HEADER, [register_row(), register_row(pid="DA-2")])
    report = validate_paths([path])
    assert report.ok and report.problems == [] and report.rows_read == 2


def test_duplicates_across_files_name_the_first_file(tmp_path):
    a = write_csv(tmp_path / "a.csv", REGISTER_HEADER, [register_row(pid="X1"), register_row(pid="X2")])
    b = write_csv(tmp_path / "b.csv", REGISTER_HEADER, [register_row(pid="X3"), register_row(pid="X2"),
                                                        register_row(pid="X2")])
    report = validate_paths([a, b])
    dups = [(p.file, p.row, p.problem) for p in report.problems]
    assert dups == [("b.csv", 3, "duplicate project ID (first at a.csv:3)"),
                    ("b.csv", 4, "duplicate project ID (first at a.csv:3)")]


def test_survey_rules_and_register_link(tmp_path):
    reg = write_csv(tmp_path / "reg.csv", REGISTER_HEADER, [register_row(pid="DA-1")])
    rows = [["CS-1", "DA-1", "Hà Nội", 2020, "100,5", 3],
            ["CS-1", "", "Hà Nội", 2020, "90", 3],  # duplicate establishment-year
            ["CS-2", "", "Hà Nội", 2020, "50", 0],  # no workers but output
            ["CS-3", "DA-9", "Hà Nội", 2020, "50", 2]]  # project not in register: warning
    survey = write_csv(tmp_path / "survey.csv", SURVEY_HEADER, rows, sep=";")
    report = validate_paths([reg, survey])
    got = {(p.row, p.column, p.check, p.severity) for p in report.problems}
    assert got == {(3, "Mã cơ sở", "duplicate key", "error"),
                   (4, "Số lao động", "no workers with output", "error"),
                   (5, "Mã đề án", "project not in register", "warning")}
    alone = validate_paths([survey])
    assert "project not in register" not in alone.summary()  # no register given: nothing to check against


def test_plans_rules(tmp_path):
    rows = [["Hà Nội", 2020, "Số học viên", 100, 120], ["Hà Nội", 2021, "trainees", 0, 10],
            ["Hà Nội", 2022, "Projects", 5, -1], ["Hà Nội", 2022, "so may", 5, 1]]
    report = validate_paths([write_csv(tmp_path / "plans.csv", PLANS_HEADER, rows)])
    got = {(p.row, p.column, p.check) for p in report.problems}
    assert got == {(3, "Kế hoạch", "plan not positive"), (4, "Thực hiện", "negative achievement"),
                   (5, "Chỉ tiêu", "unknown indicator")}


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["a", "b"], [[1, 2]])
    good = write_csv(tmp_path / "good.csv", REGISTER_HEADER, [register_row()])
    report = validate_paths([bad, good])
    assert [(p.file, p.row, p.check) for p in report.problems] == [("bad.csv", None, "unreadable file")]
    assert report.rows_read == 1 and not report.ok


def test_units_are_applied_before_checks(tmp_path):
    header = [h.replace("Kinh phí hỗ trợ (triệu đồng)", "Kinh phí hỗ trợ (nghìn đồng)") for h in REGISTER_HEADER]
    ok = write_csv(tmp_path / "u.csv", header, [register_row(support="100.000", contribution="50", total="150")],
                   sep=";")
    assert validate_paths([ok]).ok


def test_demo_set_planted_problems_are_all_found_and_nothing_else():
    demo = paths.demo_dir()
    truth_file = demo / "SYNTHETIC_truth.json"
    if not truth_file.exists():
        pytest.skip("no demo set in data/raw/demo (run `khuyencong demo`)")
    planted = json.loads(truth_file.read_text(encoding="utf-8"))["planted"]
    report = validate_paths([demo])
    errors = {(p.file.split("/")[-1], p.row) for p in report.problems if p.severity == "error"}
    expected = {(c["file"], c["row"]) for c in planted if c["expected"] == "rejected"}
    assert errors == expected
