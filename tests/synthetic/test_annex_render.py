"""Demo register rows rendered as a provincial annex come back, through `map` and `clean`, as the same
processed rows the tabular layout gives: the round trip of the annex path (issue 10)."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from khuyencong import synthetic as demo
from khuyencong.ingest.annex_rows import layouts_of
from khuyencong.ingest.clean import clean_table
from khuyencong.ingest.mapping import load_mapping, mapping_path, propose_mapping, write_mapping
from khuyencong.ingest.readers import read_raw
from khuyencong.ingest.validate import read_one
from khuyencong.synthetic.annex_render import annex_sheet, annex_xlsx
from khuyencong.synthetic.render import FileSpec, render

SMALL = demo.DemoParams(year_first=2014, year_last=2019, support_years=(2016, 2017), projects_min=3, projects_max=6,
                        survey_supported=200, survey_comparison=200, bad_share=0.04, survey_bad_share=0.02)
#: What an annex does not carry: IDs (derived instead), industry, output counts; rows move with the title rows.
NOT_CARRIED = ["project_id", "establishment_id", "industry", "trainees", "establishments_supported", "machines",
               "demonstration_models", "typical_products", "source_file", "source_row"]
TABULAR = FileSpec("SYNTHETIC_register_tabular.xlsx", "register", (), "xlsx", title_rows=2)


@pytest.fixture(scope="module")
def groups() -> list[pd.DataFrame]:
    """Province-years covering both programmes and every status the draws produce."""
    register = demo.frames(demo.DEMO_SEED, SMALL)[0]["register"]
    by = dict(list(register.groupby(["province", "year"])))
    chosen = [max(by, key=lambda k: (by[k]["funding_source"].nunique(), len(by[k])))]
    for status in sorted(set(register["status"]) - {"completed"}):
        chosen.append(next(k for k, g in by.items() if (g["status"] == status).any() and k not in chosen))
    return [by[k] for k in chosen]


def _tabular(df: pd.DataFrame, path) -> None:
    table = render(df, TABULAR)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH MỤC ĐỀ ÁN KHUYẾN CÔNG"])
    ws.append(["Đơn vị tiền: triệu đồng"])
    ws.append(table.headers)
    for row in table.rows:
        ws.append(row)
    wb.save(path)


def test_annex_rows_come_back_as_the_tabular_layout_gives_them(groups, tmp_path):
    statuses = set()
    for k, df in enumerate(groups):
        annex = tmp_path / f"SYNTHETIC_annex_{k}.xlsx"
        annex.write_bytes(annex_xlsx(df))
        mapping = propose_mapping(annex, layouts_of(annex)[0])
        assert mapping.to_review() == [], annex.name  # province, year, unit, every column and label found
        write_mapping(mapping, mapping_path(annex))
        assert load_mapping(mapping_path(annex)).province is not None
        raw, problems = read_one(annex)
        got = clean_table(raw)
        plain = tmp_path / f"SYNTHETIC_plain_{k}.xlsx"
        _tabular(df, plain)
        want = clean_table(read_raw(plain))
        assert problems == [] and raw.extra_problems == []  # every Cộng / Tổng cộng reconciles
        assert (got.rows_kept, got.rows_rejected, want.rows_rejected) == (len(df), 0, 0)
        sheet = annex_sheet(df)
        assert got.rows_structure == len(sheet.kinds) - sheet.kinds.count("data") == raw.rows_structure
        assert got.rows_read == got.rows_kept + got.rows_rejected + got.rows_structure
        in_annex_order = want.clean.iloc[sheet.records].reset_index(drop=True)  # grouped by programme section
        pd.testing.assert_frame_equal(got.clean.drop(columns=NOT_CARRIED), in_annex_order.drop(columns=NOT_CARRIED))
        assert got.clean["project_id"].tolist() == [f"{annex.stem}:{r}" for r in got.clean["source_row"]]
        statuses |= set(got.clean["status"])
    assert statuses == {"completed", "adjusted", "deferred", "stopped"}


def test_an_annex_holds_sections_subtotals_and_a_total_and_is_byte_stable(groups):
    df = groups[0]
    sheet = annex_sheet(df)
    assert sheet.kinds.count("section") == sheet.kinds.count("subtotal") == df["funding_source"].nunique() == 2
    assert sheet.rows[sheet.kinds.index("total")][1] == "Tổng cộng (A+B)"
    assert sheet.rows[0][0].startswith("SỞ CÔNG THƯƠNG ") and "Đơn vị tính: triệu đồng" in sheet.rows[3][0]
    total = sheet.rows[sheet.kinds.index("total")]
    assert total[8] == pytest.approx(df["total_cost"].sum(), abs=0.05)
    assert sorted(sheet.records) == list(range(len(df)))
    assert annex_xlsx(df) == annex_xlsx(df)
    with pytest.raises(ValueError, match="one province and one year"):
        annex_sheet(pd.concat(groups[:2]))
