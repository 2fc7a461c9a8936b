"""Every hand-made fixture in tests/fixtures/annex_layouts/: map → read → what its sidecar expects."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from khuyencong.ingest import annex_rows
from khuyencong.ingest.mapping import load_mapping, mapping_path, propose_mapping, write_mapping
from tests.fixtures.corpus_score import joined_rows

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "annex_layouts"
FIXTURES = sorted(p for p in CORPUS.iterdir() if p.name.endswith(".expected.yml"))
FIELDS = ("year", "province", "title", "beneficiary", "district", "category_label", "funding_source",
          "state_national", "state_local", "state_total", "beneficiary_contribution", "total", "status_label",
          "status_code")


def _expected(sidecar: Path) -> dict:
    return yaml.safe_load(sidecar.read_text(encoding="utf-8"))


def _mapped(tmp_path: Path, name: str):
    """Copy the fixture, run `map` on it, then use the committed reviewed mapping where there is one."""
    source = tmp_path / name
    shutil.copy(CORPUS / name, source)
    layouts, _ = annex_rows.layouts_of(source)
    proposal = propose_mapping(source, layouts)
    write_mapping(proposal, mapping_path(source))
    reviewed = mapping_path(CORPUS / name)
    return source, proposal, load_mapping(reviewed if reviewed.exists() else mapping_path(source))


def _key(table, row):
    return (table or 1, row)


@pytest.mark.parametrize("sidecar", FIXTURES, ids=lambda p: p.name.removesuffix(".expected.yml"))
def test_fixture(sidecar: Path, tmp_path: Path) -> None:
    exp = _expected(sidecar)
    source, proposal, mapping = _mapped(tmp_path, exp["file"])
    result = annex_rows.read_annex(source, mapping)

    found = {(i.table or 1 if i.row else None, i.row, i.kind) for i in result.issues}
    wanted = {((p.get("table") or 1) if p["row"] else None, p["row"], p["kind"]) for p in exp["problems"]}
    assert found == wanted, [vars(i) for i in result.issues]
    if "no_text_layer" in {p["kind"] for p in exp["problems"]}:
        assert result.records == []
        return

    got = {_key(r["table"], r["row"]): r for r in joined_rows(result.records, both=None)}
    want = {_key(r.get("table"), r["row"]): r for r in exp["data_rows"]["rows"]}
    assert sorted(got) == sorted(want)
    for key, w in want.items():
        g = got[key]
        for f in FIELDS:
            assert g[f] == pytest.approx(w[f]) if isinstance(w[f], float) else g[f] == w[f], (key, f, g[f], w[f])
        code = mapping.code("category", w["category_label"]) if w["category_code"] == "REVIEW" else w["category_code"]
        assert code is not None and g["category_code"] == code, (key, g["category_code"], w["category_code"])

    structure = {_key(s.get("table"), s["row"]): s for s in exp["structure_rows"]}
    mine = {_key(s["table"], s["row"]): s for s in result.structure}
    assert {k: s["kind"] for k, s in mine.items()} == {k: s["kind"] for k, s in structure.items()}
    for key, s in structure.items():
        if "covers_rows" in s:
            assert mine[key]["covers_rows"] == s["covers_rows"], key
            assert mine[key]["reconciles"] == s["reconciles"], key

    acc = result.accounting
    assert acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"] + acc["rows_structure"]
    review = {label for label, e in proposal.values.get("category", {}).items() if e["code"] is None}
    assert review == set(exp["labels_needing_review"])
    for key in ("province", "year", "unit"):
        if exp[key] is not None:
            assert getattr(mapping, key) == exp[key], key
    if exp.get("sheets"):
        assert result.sheets_read == [s["name"] for s in exp["sheets"] if s["read"]]
        assert [n for n, _ in result.sheets_skipped] == [s["name"] for s in exp["sheets"] if not s["read"]]
    assert len(result.notices) == len(exp["notices"])


@pytest.mark.parametrize("reviewed", sorted(CORPUS.glob("*.mapping.yml")), ids=lambda p: p.name)
def test_reviewed_mapping_differs_from_the_proposal_only_where_reviewed(reviewed: Path) -> None:
    source = CORPUS / reviewed.name.removesuffix(".mapping.yml")
    layouts, _ = annex_rows.layouts_of(source)
    proposal = propose_mapping(source, layouts)
    committed = load_mapping(reviewed)
    assert committed.columns == proposal.columns
    for kind, table in committed.values.items():
        for label, entry in table.items():
            if entry.get("how") != "reviewed":
                assert entry == proposal.values[kind][label], (kind, label)
            else:
                assert proposal.values[kind][label]["code"] is None and entry["code"] in entry["candidates"]
