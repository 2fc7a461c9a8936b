"""Fuzzing every reader: for any input the result is rows + rejected + a message, never a traceback.

For each generated file, :func:`read_raw` either raises one of the project's own errors (a
:class:`~khuyencong.errors.KhuyencongError`, whose message the user sees) or returns a table whose
clean gives ``rows read = kept + rejected + structure``; :func:`validate_paths` never raises (only a file
over a resource limit stops it, none of these small ones).

Budget (``make test``): 30 examples per reader, ``deadline=None``, about 50 s in all on a shared
2-core machine: CSV bytes (30), XLSX from random cells (30), mutations of the templates in
data/raw/templates/ (30: header cells dropped or duplicated, junk rows inserted, the zip truncated).
"""
from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from fixtures.raw_files import REGISTER_HEADER
from khuyencong.errors import KhuyencongError
from khuyencong.ingest.clean import clean_table
from khuyencong.ingest.readers import read_raw
from khuyencong.ingest.validate import validate_paths

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "data/raw/templates").glob("*.xlsx"))
FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CELL_TEXT = st.sampled_from(["", "Bắc Giang", "Ha Noi", "2020", "1.234,5", "-3", "=cmd|' /C calc'!A0", "KCĐP",
                             "training", "Hoàn thành", '"', ";", "\r", "\x07", "1e309", "NaN", "  "])
CELL = st.one_of(CELL_TEXT, st.text(max_size=12), st.integers(-10**12, 10**12), st.booleans(),
                 st.floats(allow_nan=True, allow_infinity=True), st.none())


def check(path: Path) -> None:
    """The contract of every reader on ``path``."""
    try:
        raw = read_raw(path)
    except KhuyencongError as exc:
        assert str(exc)
    else:
        result = clean_table(raw)
        assert result.rows_read == result.rows_kept + result.rows_rejected + result.rows_structure
    validate_paths([path])


@FUZZ
@given(st.one_of(
    st.binary(max_size=400),
    st.lists(st.lists(CELL_TEXT, max_size=14), max_size=8).map(
        lambda rows: "\n".join(",".join(r) for r in [REGISTER_HEADER] + rows).encode()),
    st.tuples(st.sampled_from(["utf-8", "utf-16", "cp1258"]), st.lists(st.lists(st.text(max_size=8), max_size=12),
                                                                       max_size=6)).map(
        lambda a: ";".join(REGISTER_HEADER).encode(a[0], "replace") + b"\n"
        + "\n".join(";".join(r) for r in a[1]).encode(a[0], "replace"))))
def test_csv_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_bytes(data)
    check(path)


def _xlsx_cell(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@FUZZ
@given(st.lists(st.lists(CELL, max_size=13), max_size=10), st.booleans())
def test_xlsx_from_random_cells(tmp_path_factory, rows, with_header):
    wb = Workbook()
    for row in ([REGISTER_HEADER] if with_header else []) + rows:
        wb.active.append([_xlsx_cell(v) for v in row])
    path = tmp_path_factory.mktemp("xlsx") / "f.xlsx"
    wb.save(path)
    check(path)


MUTATIONS = st.lists(st.tuples(st.sampled_from(["drop", "duplicate", "junk"]), st.integers(0, 20),
                               st.lists(CELL, min_size=1, max_size=6)), max_size=4)


@FUZZ
@given(st.sampled_from(TEMPLATES), MUTATIONS, st.lists(st.lists(CELL, max_size=12), max_size=6),
       st.one_of(st.none(), st.floats(0.05, 0.99)))
def test_template_mutations(tmp_path_factory, template, mutations, rows, truncate):
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    for row in rows:
        ws.append([_xlsx_cell(v) for v in row])
    for kind, at, cells in mutations:
        if kind == "drop":
            ws.cell(row=1, column=at % max(ws.max_column, 1) + 1).value = None
        elif kind == "duplicate":
            ws.cell(row=1, column=ws.max_column + 1).value = ws.cell(row=1, column=at % max(ws.max_column, 1) + 1).value
        else:
            ws.insert_rows(at % (ws.max_row + 1) + 1)
            for j, v in enumerate(cells, start=1):
                ws.cell(row=at % (ws.max_row + 1) + 1, column=j).value = _xlsx_cell(v)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    path = tmp_path_factory.mktemp("tpl") / template.name
    path.write_bytes(data if truncate is None else data[:int(len(data) * truncate)])
    check(path)
