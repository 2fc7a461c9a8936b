"""The Excel templates: headers from datasets.py, a guide for every column, drop-down lists."""
from __future__ import annotations

import openpyxl
import pytest

from khuyencong.core import datasets as ds
from khuyencong.ingest import readers as kio
from khuyencong.ingest import templates


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return templates.write_templates(tmp_path_factory.mktemp("tpl"), record_provenance=False)


def test_one_template_per_dataset_with_stable_bytes(written, tmp_path):
    assert sorted(p.name for p in written) == sorted(templates.TEMPLATE_NAMES.values())
    again = templates.write_templates(tmp_path, record_provenance=False)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in written]


@pytest.mark.parametrize("name", list(ds.DATASETS))
def test_data_sheet_headers_match_datasets(written, name):
    path = next(p for p in written if p.name == templates.TEMPLATE_NAMES[name])
    wb = openpyxl.load_workbook(path)
    ws = wb[templates.DATA_SHEET]
    assert wb.sheetnames[0] == templates.DATA_SHEET
    assert [c.value for c in ws[1]] == [c.vi for c in ds.DATASETS[name].columns]
    assert ws.max_row == 1  # no example row that could be submitted by mistake
    comments = [c.comment.text for c in ws[1]]
    assert all(col.en in text for col, text in zip(ds.DATASETS[name].columns, comments))
    raw = kio.read_raw(path)  # the readers recognise the template and pick the data sheet
    assert raw.dataset == name and raw.sheet == templates.DATA_SHEET and len(raw.frame) == 0


@pytest.mark.parametrize("name", list(ds.DATASETS))
def test_guide_lists_every_column(written, name):
    path = next(p for p in written if p.name == templates.TEMPLATE_NAMES[name])
    ws = openpyxl.load_workbook(path)[templates.GUIDE_SHEET]
    rows = [r for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[: len(templates.GUIDE_HEADERS)] == templates.GUIDE_HEADERS)
    listed = {r[1]: r for r in rows[start + 1:] if r[0]}
    for col in ds.DATASETS[name].columns:
        row = listed[col.name]
        assert row[0] == f"{col.vi}{templates.NAME_SEPARATOR}{col.en}"
        assert row[4] == ("có / yes" if col.required_in(False) else "không / no")
        if col.kind == "choice":
            assert all(code in row[5] for code, _, _ in col.choices)


def test_choice_columns_have_drop_down_lists(written):
    path = next(p for p in written if p.name == templates.TEMPLATE_NAMES["register"])
    wb = openpyxl.load_workbook(path)
    ws, lists = wb[templates.DATA_SHEET], wb[templates.LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    headers = [c.value for c in ws[1]]
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            col = headers[next(iter(dv.sqref.ranges)).min_col - 1]
            ref = dv.formula1.split("!")[1].replace("$", "")
            by_column[col] = [c.value for row in lists[ref] for c in row]
    reg = ds.REGISTER
    assert by_column[reg.column("status").vi] == [vi for _, vi, _ in ds.PROJECT_STATUSES]
    assert by_column[reg.column("funding_source").vi] == ["KCQG", "KCĐP"]
    assert by_column[reg.column("category").vi] == [c.name_vi for c in ds.categories()]
    assert len(by_column[reg.column("province").vi]) == 63
