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
