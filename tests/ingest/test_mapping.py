"""The mapping file: proposed with evidence, written beside the file, read back with checks."""
import shutil
from pathlib import Path

import pytest
import yaml

from khuyencong.errors import ConfigurationError
from khuyencong.ingest import annex_rows
from khuyencong.ingest.mapping import as_dict, load_mapping, mapping_path, propose_mapping, write_mapping

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "annex_layouts"


def _written(tmp_path, name="hai_duong_2013_ket_qua.xls"):
    source = tmp_path / name
    shutil.copy(CORPUS / name, source)
    layouts, _ = annex_rows.layouts_of(source)
    return source, write_mapping(propose_mapping(source, layouts), mapping_path(source))


def test_written_next_to_the_file_with_review_comments(tmp_path):
    source, target = _written(tmp_path)
    assert target.name == source.name + ".mapping.yml"
    text = target.read_text(encoding="utf-8")
    assert "'Tham quan khảo sát' needs a code" in text and "management|programme_capacity" in text
    assert as_dict(load_mapping(target)) == yaml.safe_load(text)


def test_review_labels_are_not_applied_until_decided(tmp_path):
    source, target = _written(tmp_path)
    result = annex_rows.read_annex(source, load_mapping(target))
    row = next(r for r in result.records if r["category_label"] == "Tham quan khảo sát")
    assert row["category_code"] is None


def test_plan_without_status_is_planned_and_ids_are_derived(tmp_path):
    source, target = _written(tmp_path, "binh_dinh_2017_kcdp_phu_luc.xlsx")
    records = annex_rows.read_annex(source, load_mapping(target)).records
    assert {r["status_code"] for r in records} == {"planned"}
    establishments = [r for r in records if not r["beneficiary"].startswith(("Trung tâm Khuyến công", "Sở Công Thương"))]
    assert len(establishments) == 7 and all(r["establishment_id"].startswith("D-") and r["establishment_id_derived"]
                                            for r in establishments)
    assert all(r["establishment_id"] is None for r in records if r not in establishments)  # implementers
    again = annex_rows.read_annex(source, load_mapping(target)).records
    assert [r["establishment_id"] for r in again] == [r["establishment_id"] for r in records]


def test_command_line_province_and_year_override(tmp_path):
    source, target = _written(tmp_path, "nam_trung_2019_tinh_khong_ro.csv")
    result = annex_rows.read_annex(source, load_mapping(target), province="Quảng Nam", year=2019)
    assert {r["province"] for r in result.records} == {"Quảng Nam"}
    assert "unknown_province" not in {i.kind for i in result.issues}


@pytest.mark.parametrize("edit,key", [
    (lambda d: d["columns"]["Huyện"].update(role="county"), "columns.Huyện.role"),
    (lambda d: d["values"]["category"]["Đào tạo nghề"].update(code="cooking"), "values.category.Đào tạo nghề.code"),
    (lambda d: d["file_values"].update(year=1890), "file_values.year"),
    (lambda d: d["file_values"].update(unit="đô la"), "file_values.unit"),
    (lambda d: d["file_values"].update(province="Hà Bắc"), "file_values.province"),
    (lambda d: d.update(colums={}), "colums"),
    (lambda d: d.update(version=7), "version"),
    # issue 20: lists and mappings where one value belongs ended in tracebacks
    (lambda d: d["file_values"].update(unit=["triệu đồng"]), "file_values.unit"),
    (lambda d: d["file_values"].update(status_when_absent={"a": 1}), "file_values.status_when_absent"),
    (lambda d: d.update(evidence=["title row 1"]), "evidence"),
    (lambda d: d["values"]["category"]["Đào tạo nghề"].update(code=["training"]), "values.category.Đào tạo nghề.code"),
])
def test_bad_mapping_names_the_key(tmp_path, edit, key):
    _, target = _written(tmp_path)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    edit(data)
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=key.replace(".", r"\.")):
        load_mapping(target)


def test_without_a_mapping_only_exact_matches_apply(tmp_path):
    source, _ = _written(tmp_path, "binh_phuoc_2018_utf8.csv")
    result = annex_rows.read_annex(source)
    acc = result.accounting
    assert acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"] + acc["rows_structure"] == 10


def test_a_mapping_reviewed_for_another_file_is_refused(tmp_path):
    """Issue 20: a reviewed mapping copied beside another annex must not be applied without a word."""
    reviewed = CORPUS / "hai_duong_2013_ket_qua.xls.mapping.yml"
    other = tmp_path / "bac_ninh_2015.xlsx"
    shutil.copy(CORPUS / "bac_giang_2022_nghin_dong.xlsx", other)
    shutil.copy(reviewed, mapping_path(other))  # copied as it is: it names its own file
    result = annex_rows.read_annex(other, load_mapping(mapping_path(other)))
    assert [i.kind for i in result.issues] == ["mapping_mismatch"] and not result.records
    assert "reviewed for 'hai_duong_2013_ket_qua.xls'" in result.issues[0].say

    data = yaml.safe_load(reviewed.read_text(encoding="utf-8"))
    data["file"] = other.name  # renamed inside too: the headers it was reviewed for still differ
    mapping_path(other).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = annex_rows.read_annex(other, load_mapping(mapping_path(other)))
    assert [i.kind for i in result.issues] == ["mapping_mismatch"] and "not in the mapping" in result.issues[0].say


def test_a_title_contradicting_the_mapping_is_refused(tmp_path):
    source, target = _written(tmp_path)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["file_values"]["province"] = "Bắc Ninh"  # evidence still says the title row
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = annex_rows.read_annex(source, load_mapping(target))
    assert [i.kind for i in result.issues] == ["mapping_mismatch"]
    assert "says province 'Hải Dương'" in result.issues[0].say and "'Bắc Ninh'" in result.issues[0].say


@pytest.mark.parametrize("key, entry", [("columns", {"NSTW": "state_national"}),
                                        ("values", {"category": {"Đào tạo nghề": "training"}})])
def test_an_entry_written_as_a_string_names_the_key_and_the_form(tmp_path, key, entry):
    """Issue 23: `NSTW: state_national` instead of `NSTW: {role: state_national}` is not read as 'no role'."""
    source, target = _written(tmp_path)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data[key] = entry
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"(columns\.NSTW|values\.category\.Đào tạo nghề): expected a mapping"):
        load_mapping(target)


def test_two_headers_mapped_to_one_role_are_refused_with_both_names(tmp_path):
    """Issue 20: NSTW and NSĐP both state_national dropped one column (state support 910 → 500)."""
    source, target = _written(tmp_path)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["columns"]["NSĐP"]["role"] = "state_national"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = annex_rows.read_annex(source, load_mapping(target))
    assert [i.kind for i in result.issues] == ["one_role_twice"] and not result.records
    assert "'NSTW' and 'NSĐP' are both mapped to 'state_national'" in result.issues[0].say


def test_map_proposes_one_header_per_role_and_sends_the_other_to_review(tmp_path):
    source = tmp_path / "hai_phong_2025.csv"
    source.write_text("STT,Tên đề án,Máy móc thiết bị,Số máy,Kinh phí hỗ trợ\n1,Hỗ trợ máy đóng gói,Máy đóng gói,2,100\n",
                      encoding="utf-8")
    layouts, _ = annex_rows.layouts_of(source)
    proposal = propose_mapping(source, layouts)
    roles = {h: e["role"] for h, e in proposal.columns.items()}
    assert list(roles.values()).count("machines") == 1 and roles["Số máy"] == "machines"
    assert "columns: 'Máy móc thiết bị' has no role" in proposal.to_review()


def test_a_mapping_that_is_a_folder_is_a_settings_error(tmp_path):
    folder = tmp_path / "x.xlsx.mapping.yml"
    folder.mkdir()
    with pytest.raises(ConfigurationError, match="not a file"):
        load_mapping(folder)
