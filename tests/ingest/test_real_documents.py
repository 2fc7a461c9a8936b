"""The corpus transcribed from real documents (tests/fixtures/real_documents/): map → read → expected.

Unlike tests/fixtures/annex_layouts/ (hand-written by the reader's authors), these fixtures carry the
facts of published pages, built by other hands into the layouts provinces use; see SOURCES_*.md there.
The rows a reader gets wrong on content judgement are listed in KNOWN_DISAGREEMENTS and must keep
failing there (strict xfail), so a fix shows up and a new failure never hides behind them.
"""
from __future__ import annotations

import pytest

from tests.fixtures import corpus_score

#: fixture → why our reading differs from the transcriber's (category calls the decree leaves open).
KNOWN_DISAGREEMENTS = {
    "rc_dak_lak_2020_kcdp_groups.csv": "'Tập huấn khuyến công': the transcriber reads management; our "
                                       "vocabulary puts 'Tập huấn' to review (training, management or programme "
                                       "capacity), so the title alone gives no category",
    "rp_dak_lak_2020_kcdp_nhom_de_an.pdf": "same 'Tập huấn khuyến công' row as the CSV of this document",
    "rw_binh_dinh_2017_kh_kcdp_nhom.docx": "a group naming demonstration models and machinery: the transcriber "
                                           "reads technology, we read demonstration (named first in our keywords); "
                                           "a group naming brands, showrooms and a design contest: consulting for "
                                           "the transcriber, unclassified for us (three contents named)",
    "rx_bac_giang_2020_qd457_ke_hoach.xlsx": "demonstration model with machinery: technology for the transcriber",
    "rx_binh_dinh_2016_kinh_phi_khuyen_cong.xlsx": "demonstration model with machinery (technology for the "
                                                   "transcriber); typical-product contest, brands and showrooms in "
                                                   "one row: typical_products for the transcriber, unclassified "
                                                   "for us (three contents named)",
    "rzf_tuyen_quang_kc_8_co_so_cot_ten_dau_khong_stt.docx": "one amount (440) for 'Khuyến công quốc gia và khuyến "
                                                             "công địa phương': 'both' for the transcriber; we keep "
                                                             "the funding source empty with a warning, since the "
                                                             "money cannot be split by programme. Linking firms to "
                                                             "show their products in other provinces: fairs for the "
                                                             "transcriber (a judgement call they flagged), linkage "
                                                             "(cooperation) for us",
    "rzh_quang_ninh_2005_2009_kc_cong_trang_chuyen_trang.pdf": "project 3's programme is only in a note under the "
                                                               "table ('đề án 3 do khuyến công quốc gia hỗ trợ'), "
                                                               "which we do not read; 'Hoàn thiện quy trình sản xuất "
                                                               "… hệ thống chưng cất mới': technology for the "
                                                               "transcriber, no category word for us",
    "rw_ha_tinh_2018_kcdp_dot2_total_only.docx": "a wastewater system: cooperation for the transcriber (Decree 45 "
                                                 "files treatment with industrial clusters); our vocabulary sends "
                                                 "pollution treatment to review, so it stays unclassified",
}


#: Files of the whole country (no province on any row): read as their transcribers expect, then refused by
#: ``clean`` row by row with its reason, because every register row belongs to a province.
NO_PROVINCE = {"rzg_ca_nuoc_2016_kc_ke_hoach_thuc_hien.csv"}


@pytest.mark.parametrize("sidecar", corpus_score.sidecars(), ids=lambda p: p.name.removesuffix(".expected.yml"))
def test_real_document(sidecar, request) -> None:
    name = sidecar.name.removesuffix(".expected.yml")
    if name in KNOWN_DISAGREEMENTS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_DISAGREEMENTS[name], strict=True))
    score = corpus_score.score(sidecar)
    assert score.ok, score.mismatches


def test_the_corpus_is_large_enough_and_cited() -> None:
    sidecars = corpus_score.sidecars()
    assert len(sidecars) >= 83
    for path in sidecars:
        text = path.read_text(encoding="utf-8")
        assert "url: http" in text, f"{path.name}: no source page address"


def test_the_corpus_through_map_validate_clean(tmp_path, monkeypatch, capsys) -> None:
    """What a user does with each document: map (reviewed mapping where one is committed) → validate → clean."""
    import shutil

    import pandas as pd
    import yaml

    from khuyencong.cli import main

    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    expected = {}
    for sidecar in corpus_score.sidecars():
        exp = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
        shutil.copy(corpus_score.REAL / exp["file"], raw / exp["file"])
        assert main(["map", f"data/raw/{exp['file']}"]) == 0
        reviewed = corpus_score.REAL / f"{exp['file']}.mapping.yml"
        if reviewed.exists():
            shutil.copy(reviewed, raw / reviewed.name)
        expected[f"data/raw/{exp['file']}"] = exp
    assert main(["validate", "data/raw"]) == 1  # the planted problems
    assert main(["clean", *(f"--input=register={f}" for f in expected)]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out

    processed = tmp_path / "data" / "processed"
    register = pd.read_parquet(processed / "register.parquet")
    accounting = pd.read_csv(processed / "row_accounting.csv", encoding="utf-8-sig").set_index("file")
    rejected = pd.read_csv(processed / "rejected" / "register_rejected.csv", encoding="utf-8-sig")
    for name, exp in expected.items():
        acc = accounting.loc[name]
        assert acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"] + acc["rows_structure"], name
        mine = register[register["source_file"] == name]
        if name.removeprefix("data/raw/") in NO_PROVINCE:  # a whole country's lines: the register is provincial
            assert mine.empty and set(rejected.loc[rejected["source_file"] == name, "reason"]) == {
                "empty required cell"}, name
            continue
        if exp["year"] is None and mine.empty:
            # an undated page: every row waits for --year, and says so
            waiting = rejected.loc[rejected["source_file"] == name, "project_id"]
            printed = waiting.str.replace(r"-(?:KCQG|KCDP)$", "", regex=True)  # both programmes: two parts, one row
            assert printed.nunique() == len(exp["projects"]), name
            continue
        if exp["clean"]:
            # a row whose year is a period ("2016-2017") and a file without one waits for a year; nothing else is refused
            undated = sum(1 for p in exp["projects"] if p["year"] is None) if exp["year"] is None else 0
            refused = rejected.loc[rejected["source_file"] == name]
            assert len(refused) <= undated and refused["year"].isna().all(), (name, refused.to_dict("records"))
            if len(refused):
                continue
            state = mine["state_support"].dropna()
            want = exp["totals"]["state_support"]
            assert (state.sum() if len(state) else None) == (pytest.approx(want) if want is not None else None), name
