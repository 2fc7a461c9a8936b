"""Every file under data/raw has a complete provenance record with a current checksum."""
from __future__ import annotations

import shutil

import pytest
import yaml

from khuyencong import paths
from khuyencong.ingest import provenance
from khuyencong.ingest.provenance import ProvenanceError, check, load_records, record_file

FIELDS = dict(source="unit test", licence="CC0", description="scratch file", created="2026-01-01")


@pytest.fixture()
def raw_copy(tmp_path):
    """A scratch copy of the repository's data/raw."""
    dst = tmp_path / "raw"
    shutil.copytree(paths.raw_dir(), dst)
    return dst


def test_repository_raw_files_all_recorded_and_unchanged():
    assert check() == []


def test_every_record_names_licence_source_and_date():
    records = load_records()
    assert "published_figures.csv" in records
    for rel, rec in records.items():
        assert provenance.record_problems(rel, rec) == []


def test_modified_file_is_detected(raw_copy):
    target = raw_copy / "published_figures.csv"
    target.write_bytes(target.read_bytes() + b"\n")
    problems = check(raw_copy)
    assert len(problems) == 1 and "published_figures.csv" in problems[0] and "checksum" in problems[0]


def test_unrecorded_file_and_orphan_record_are_detected(raw_copy):
    (raw_copy / "demo").mkdir(exist_ok=True)
    (raw_copy / "demo" / "new.csv").write_text("a\n1\n", encoding="utf-8")
    (raw_copy / "published_figures.csv").unlink()
    problems = check(raw_copy)
    assert any(p.startswith("demo/new.csv: no provenance record") for p in problems)
    assert any(p.startswith("published_figures.csv: record for a file that does not exist") for p in problems)


def test_readme_provenance_and_dotfiles_need_no_record(raw_copy):
    (raw_copy / "README.md").write_text("# raw\n", encoding="utf-8")
    (raw_copy / "demo").mkdir(exist_ok=True)
    (raw_copy / "demo" / ".gitkeep").write_text("", encoding="utf-8")
    assert check(raw_copy) == []


def test_record_file_adds_then_updates(raw_copy):
    f = raw_copy / "demo" / "x.csv"
    f.parent.mkdir(exist_ok=True)
    f.write_text("a\n1\n", encoding="utf-8")
    first = record_file(f, raw_dir=raw_copy, **FIELDS)
    assert check(raw_copy) == []
    f.write_text("a\n2\n", encoding="utf-8")
    assert any("demo/x.csv" in p for p in check(raw_copy))
    second = record_file("demo/x.csv", raw_dir=raw_copy, description="changed")
    assert second["sha256"] != first["sha256"] and second["source"] == "unit test"
    assert check(raw_copy) == []
    on_disk = yaml.safe_load((raw_copy / "provenance.yml").read_text(encoding="utf-8"))
    assert on_disk["files"]["demo/x.csv"]["description"] == "changed"


def test_new_record_without_required_fields_is_refused(raw_copy):
    f = raw_copy / "new.csv"
    f.write_text("a\n", encoding="utf-8")
    with pytest.raises(ProvenanceError, match="licence"):
        record_file(f, raw_dir=raw_copy, source="x", description="y", created="2026-01-01")
    with pytest.raises(ProvenanceError, match="date"):
        record_file(f, raw_dir=raw_copy, source="x", licence="y", description="z")


def test_record_file_refuses_paths_outside_raw_and_typos(raw_copy, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n", encoding="utf-8")
    with pytest.raises(ProvenanceError, match="not under"):
        record_file(outside, raw_dir=raw_copy, **FIELDS)
    with pytest.raises(ProvenanceError, match="unknown field"):
        record_file("published_figures.csv", raw_dir=raw_copy, licnce="typo")
    with pytest.raises(ProvenanceError, match="no such file"):
        record_file("missing.csv", raw_dir=raw_copy, **FIELDS)


def test_malformed_provenance_file_is_reported(raw_copy):
    (raw_copy / "provenance.yml").write_text("files: [not, a, mapping]\n", encoding="utf-8")
    problems = check(raw_copy)
    assert len(problems) == 1 and "mapping" in problems[0]


def test_check_defaults_to_data_raw(raw_copy, monkeypatch):
    monkeypatch.setattr(provenance.paths, "raw_dir", lambda: raw_copy)
    assert check() == []
    (raw_copy / "extra.csv").write_text("a\n", encoding="utf-8")
    assert any("extra.csv" in p for p in check())


def test_record_generated_keeps_the_date_while_the_bytes_stay(raw_copy, monkeypatch):
    monkeypatch.setattr(provenance.paths, "raw_dir", lambda: raw_copy)
    target = raw_copy / "generated.csv"
    target.write_text("a\n", encoding="utf-8")
    fields = dict(source="a generator", generator="khuyencong demo", description="scratch")
    first = provenance.record_generated(target, **fields)
    assert first["licence"] == provenance.GENERATED_LICENCE
    record_file(target, raw_dir=raw_copy, created="2000-01-01")
    assert provenance.record_generated(target, **fields)["created"] == "2000-01-01"
    target.write_text("b\n", encoding="utf-8")
    assert provenance.record_generated(target, **fields)["created"] != "2000-01-01"


def test_is_under_raw(raw_copy, tmp_path):
    assert provenance.is_under_raw(raw_copy / "demo", raw_copy)
    assert not provenance.is_under_raw(tmp_path / "elsewhere", raw_copy)
