"""Bounded resources: bomb-style inputs stop at a limit with a clear message, memory under 1 GB.

Every bomb is built by the test in a temporary folder (none is stored) and read in a subprocess
whose address space is capped at 1 GB with ``resource.setrlimit(RLIMIT_AS)`` (``ulimit -v``):
a reader that expanded the bomb would die there instead of answering. Budget: about 40 s in all on
a shared 2-core machine (building the 400 MB zip bomb and starting four subprocesses).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from fixtures.raw_files import REGISTER_HEADER, register_row, write_xlsx

GB = 1 << 30
READ = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
    from khuyencong.ingest.validate import validate_paths
    from khuyencong.ingest.formats import read_document
    from khuyencong.errors import KhuyencongError
    out = {}
    try:  # a file over a limit stops validate (exit 2): not a problem of its data
        out["problems"] = [p.problem for p in validate_paths([sys.argv[1]]).problems]
    except KhuyencongError as exc:
        out["validate"] = str(exc)
    try:
        read_document(sys.argv[1])
    except KhuyencongError as exc:
        out["document"] = str(exc)
    print(json.dumps(out))
""")


def read_capped(path: Path, cap: int = GB, env: dict | None = None) -> dict:
    """validate and read_document on ``path`` in a subprocess limited to ``cap`` bytes of memory: the problems
    validate found, or its error (``validate``), and read_document's error (``document``)."""
    import os

    done = subprocess.run([sys.executable, "-c", READ, str(path), str(cap)], capture_output=True, text=True,
                          timeout=900, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_sheet(src: Path, dst: Path, write_sheet) -> Path:
    """A copy of the workbook ``src`` whose first sheet's XML is written by ``write_sheet(stream, xml)``."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = a.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                with b.open(info.filename, "w", force_zip64=True) as stream:
                    write_sheet(stream, data)
            else:
                b.writestr(info.filename, data)
    return dst


@pytest.fixture
def workbook(tmp_path) -> Path:
    return write_xlsx(tmp_path / "good.xlsx", REGISTER_HEADER, [register_row()])


def test_a_small_workbook_declaring_the_whole_sheet_stops_at_the_cell_limit(workbook, tmp_path):
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    bomb = with_sheet(workbook, tmp_path / "xfd.xlsx", lambda s, xml: s.write(
        xml.replace(b"</sheetData>", far).replace(b'<dimension ref="A1:K2" />', b'<dimension ref="A1:XFD1048576"/>')))
    assert bomb.stat().st_size < 20_000
    out = read_capped(bomb)
    for message in (out["validate"], out["document"]):
        assert "over the limit" in message and "KHUYENCONG_MAX_CELLS=" in message


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_expanded(workbook, tmp_path):
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>' + b"x" * 2000 + b"</t></is></c></row>"

    def sheet(stream, xml):
        head, tail = xml.split(b"</sheetData>")
        stream.write(head)
        for i in range(3, 200_003):  # about 400 MB of XML
            stream.write(row % (i, i))
        stream.write(b"</sheetData>" + tail)

    bomb = with_sheet(workbook, tmp_path / "bomb.xlsx", sheet)
    assert bomb.stat().st_size < 5_000_000
    out = read_capped(bomb)
    assert "KHUYENCONG_MAX_UNCOMPRESSED_BYTES=" in out["validate"] and "KHUYENCONG_MAX_" in out["document"]


def test_raising_a_limit_through_the_environment_lets_a_genuine_large_file_through(workbook, tmp_path):
    rows = [register_row(pid=f"DA-{i}") for i in range(30)]
    path = write_xlsx(tmp_path / "big.xlsx", REGISTER_HEADER, rows)
    assert "KHUYENCONG_MAX_CELLS=" in read_capped(path, env={"KHUYENCONG_MAX_CELLS": "100"})["validate"]
    assert read_capped(path, env={"KHUYENCONG_MAX_CELLS": "1000"})["problems"] == []


ALIAS_BOMB = "version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi"))


def test_a_yaml_alias_bomb_in_a_mapping_file_is_refused(workbook, tmp_path):
    (tmp_path / "good.xlsx.mapping.yml").write_text(ALIAS_BOMB, encoding="utf-8")
    out = read_capped(workbook)
    assert "KHUYENCONG_MAX_YAML_ALIASES=" in out["validate"]


def test_sheet_extent_fast_pass_equals_the_cell_by_cell_pass() -> None:
    """Valued cells only (self-closing ones hold nothing); cells without their reference fall back."""
    import io

    from khuyencong.ingest.zipbounds import _extent_cell_by_cell, sheet_extent

    with_refs = (b'<sheetData><row r="3"><c r="B3" t="s"><v>1</v></c><c r="AB3" s="2"/></row>'
                 b'<row r="40"><x:c r="C40"><v>2</v></x:c><c s="1" r="D41"><v>5</v></c></row></sheetData>')
    no_refs = b'<sheetData><row r="2"><c><v>1</v></c><c><v>2</v></c></row><row><c t="s"><v>0</v></c></row></sheetData>'
    empty = b'<sheetData><row r="9"><c r="A9" s="3"/></row></sheetData>'
    for xml, want in ((with_refs, (3, 2, 41, 4)), (no_refs, (2, 1, 3, 2)), (empty, (0, 0, 0, 0))):
        assert sheet_extent(io.BytesIO(xml)) == _extent_cell_by_cell(io.BytesIO(xml)) == want
