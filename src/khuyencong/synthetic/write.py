"""Write the SYNTHETIC demo input set: every file's bytes, the truth sidecar, the README and the
provenance records.

:func:`generate` writes into ``data/raw/demo/`` (the CLI: ``khuyencong demo [--seed N]``):

* the project register split by region into six files (three XLSX layouts, CSV in UTF-8 with
  BOM, UTF-16, Windows-1258, ``;`` separator, English and unaccented headers, nghìn đồng);
* the beneficiary outcome survey (CSV + XLSX), provincial statistics (CSV), plans (XLSX);
* ``SYNTHETIC_truth.json``: seed, parameters, the true effects and every planted bad cell;
* ``README.md`` (bilingual).

Every number is invented. Output bytes depend only on the seed and the parameters.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font

from khuyencong import paths
from khuyencong.core import datasets as ds
from khuyencong.files import atomic_write_bytes, atomic_write_text, stable_xlsx
from khuyencong.ingest.provenance import is_under_raw, record_generated
from khuyencong.synthetic.draws import frames
from khuyencong.synthetic.params import DEMO_SEED, DemoParams, rng
from khuyencong.synthetic.plant import plant
from khuyencong.synthetic.render import FILE_SPECS, FileSpec, Table, render, select_rows
from khuyencong.synthetic.truth import TRUTH_NAME

SYNTHETIC_TITLE = "SYNTHETIC DEMO DATA — DỮ LIỆU MÔ PHỎNG"
NOT_REAL = "Số liệu bịa đặt, không phải số liệu thật / invented numbers, not real data"
MERGED_PARENT = "Kinh phí (triệu đồng)"
MERGED_CHILDREN = {"state_support": "Hỗ trợ", "beneficiary_contribution": "Đối ứng", "total_cost": "Tổng cộng"}


@dataclass
class DemoSummary:
    """What :func:`generate` wrote."""

    out_dir: Path
    seed: int
    files: dict  # file name → data rows
    planted: list  # planted cells (dicts, as in the truth sidecar)
    truth_path: Path


def generate(out_dir: Path | str | None = None, seed: int = DEMO_SEED, params: DemoParams = DemoParams(),
             record_provenance: bool | None = None) -> DemoSummary:
    """Write the complete SYNTHETIC demo input set into ``out_dir`` (default ``data/raw/demo``).

    Provenance records are written when ``out_dir`` lies under ``data/raw`` (or when asked).
    """
    out_dir = Path(out_dir) if out_dir is not None else paths.demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    tables, truth = frames(seed, params)
    protected = set(truth.pop("_protected_projects"))
    files, planted = {}, []
    for k, spec in enumerate(FILE_SPECS):
        rows, plants = _write_file(select_rows(tables[spec.dataset], spec), spec, out_dir, params, seed,
                                   100 + k, protected)
        files[spec.name] = rows
        planted += plants
    truth_path = out_dir / TRUTH_NAME
    atomic_write_text(truth_path, _truth_json(seed, params, truth, files, planted))
    atomic_write_text(out_dir / "README.md", _readme(seed, files))
    if record_provenance is None:
        record_provenance = is_under_raw(out_dir)
    if record_provenance:
        _record_provenance(out_dir, seed, [*files, TRUTH_NAME])
    return DemoSummary(out_dir, seed, files, planted, truth_path)


def _write_file(df: pd.DataFrame, spec: FileSpec, out_dir: Path, params: DemoParams, seed: int,
                stream: int, protected_ids: set[str]) -> tuple[int, list[dict]]:
    table = render(df, spec)
    key = df.project_id.to_numpy() if "project_id" in df else np.array([None] * len(df))
    protected = {i for i, k in enumerate(key) if k in protected_ids} if spec.dataset == "register" else set()
    planted = plant(table, spec, params, rng(seed, stream), protected)
    if spec.fmt == "xlsx":
        data, first = _xlsx_bytes(table, spec, params, seed)
    else:
        data, first = _csv_bytes(table, spec), 2
    atomic_write_bytes(out_dir / spec.name, data)
    header = dict(zip(table.columns, table.headers))
    if spec.merged_money:  # the cell under the merged parent reads only the child label
        header.update({c: h for c, h in MERGED_CHILDREN.items() if c in header})
    for p in planted:
        p.update(file=spec.name, dataset=spec.dataset, row=first + p["record"], header=header[p["column"]])
        if "duplicate_of_record" in p:
            p["duplicate_of_row"] = first + p["duplicate_of_record"]
    return len(table.rows), planted


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: letters the code page lacks precomposed get combining tone marks.

    Python's cp1258 codec only maps precomposed letters that exist in the code page (``ê`` yes,
    ``ế`` no), so ``ế`` is written as ``ê`` + combining acute, the way Windows does. Readers must
    NFC-normalise after decoding.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
        out += (base + tones).encode("cp1258")
    data = bytes(out)
    if unicodedata.normalize("NFC", data.decode("cp1258")) != unicodedata.normalize("NFC", text):
        raise ValueError("cp1258 round-trip failed; the text has characters Windows-1258 cannot hold")
    return data


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return encode_cp1258(text)
    if encoding == "utf-16":  # explicit little-endian BOM: same bytes on every platform
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _csv_bytes(table: Table, spec: FileSpec) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=spec.sep, lineterminator=spec.line_end)
    writer.writerow(table.headers)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return _encode(buf.getvalue(), spec.encoding)


def _title_lines(spec: FileSpec, params: DemoParams) -> list[str]:
    d = ds.DATASETS[spec.dataset]
    region = ", ".join(spec.regions) if spec.regions else "63 tỉnh/thành phố"
    return [f"{SYNTHETIC_TITLE} — {d.title_vi.upper()} / {d.title_en}",
            f"Vùng / regions: {region}; {params.year_first}–{params.year_last}; {NOT_REAL}",
            "Đơn vị tiền: triệu đồng (money: million VND)"][: spec.title_rows]


def _readme_sheet(wb: openpyxl.Workbook, seed: int) -> None:
    ws = wb.create_sheet("README")
    for line in (SYNTHETIC_TITLE, NOT_REAL,
                 f"Tạo bởi / generated by: khuyencong demo --seed {seed}",
                 f"Sự thật cài sẵn / planted truth: {TRUTH_NAME}"):
        ws.append([line])


def _xlsx_bytes(table: Table, spec: FileSpec, params: DemoParams, seed: int) -> tuple[bytes, int]:
    """The workbook and the sheet row of the first data record."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    for line in _title_lines(spec, params):
        ws.append([line])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    if spec.merged_money:
        _merged_header(ws, table)
    else:
        ws.append(table.headers)
    first = ws.max_row + 1
    for row in table.rows:
        ws.append(row)
    _readme_sheet(wb, seed)
    return stable_xlsx(wb), first


def _merged_header(ws, table: Table) -> None:
    """Two header rows: money columns under a merged parent "Kinh phí (triệu đồng)"."""
    children = MERGED_CHILDREN
    top = ws.max_row + 1
    money = [i for i, c in enumerate(table.columns) if c in children]
    ws.append([None if c in children else h for c, h in zip(table.columns, table.headers)])
    ws.append([children.get(c) for c in table.columns])
    ws.cell(top, money[0] + 1, MERGED_PARENT)
    ws.merge_cells(start_row=top, end_row=top, start_column=money[0] + 1, end_column=money[-1] + 1)
    for i, c in enumerate(table.columns):
        if c not in children:
            ws.merge_cells(start_row=top, end_row=top + 1, start_column=i + 1, end_column=i + 1)
        ws.cell(top, i + 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _truth_json(seed: int, params: DemoParams, truth: dict, files: dict, planted: list) -> str:
    order = ("file", "dataset", "row", "record", "column", "header", "value", "kind", "expected", "reason",
             "duplicate_of_row", "duplicate_of_record")
    doc = {
        "synthetic": True,
        "warning": NOT_REAL,
        "generator": f"khuyencong demo --seed {seed}",
        "seed": seed,
        "params": asdict(params),
        "row_numbers": "row = line number (CSV, header = 1) or sheet row (XLSX, first sheet); "
                       "record = 0-based index among the file's data records",
        "files": {name: {"dataset": spec.dataset, "rows": files[name],
                         "rejected_rows_expected": sum(1 for p in planted if p["file"] == name
                                                       and p["expected"] == "rejected")}
                  for name, spec in ((s.name, s) for s in FILE_SPECS)},
        "truth": truth,
        "planted": [{k: p[k] for k in order if k in p} for p in planted],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _record_provenance(out_dir: Path, seed: int, names: list[str]) -> None:
    for name in names:
        record_generated(out_dir / name, source=f"synthetic: invented by `khuyencong demo` (seed {seed})",
                         generator=f"khuyencong demo --seed {seed}",
                         description=f"SYNTHETIC demo input ({_describe(name)}); not real data")


def _describe(name: str) -> str:
    spec = next((s for s in FILE_SPECS if s.name == name), None)
    if spec is None:
        return "true effects, parameters and planted bad cells of the demo set"
    return f"{ds.DATASETS[spec.dataset].title_en}, {_layout(spec)}"


def _layout(spec: FileSpec) -> str:
    """The file's layout in words (README and provenance)."""
    if spec.fmt == "xlsx":
        parts = [f"XLSX, {spec.title_rows} title row(s)"]
        parts += ["merged two-row money header"] * spec.merged_money + ["money as Vietnamese text"] * spec.money_text
    else:
        parts = [f"CSV, {spec.encoding}, separator {spec.sep!r}"]
    parts.append(f"headers {spec.headers}")
    if spec.money_unit == "nghìn":
        parts.append("money in nghìn đồng")
    return ", ".join(parts)


def _readme(seed: int, files: dict) -> str:
    listing = "\n".join(f"| `{s.name}` | {s.dataset} | {_layout(s)} | {files[s.name]} |" for s in FILE_SPECS)
    return f"""# SYNTHETIC demo data — DỮ LIỆU MÔ PHỎNG

**Every number and name in this folder is invented. Không phải số liệu thật.**

## Tiếng Việt
Thư mục này chứa bộ dữ liệu đầu vào mô phỏng (tự sinh) cho 63 tỉnh/thành phố (ranh giới trước
1/7/2025), giai đoạn 2012–2024: danh mục đề án khuyến công, khảo sát cơ sở thụ hưởng, thống kê
kinh tế tỉnh và kế hoạch – thực hiện. Các tệp cố tình có định dạng khác nhau (XLSX có dòng tiêu đề,
tiêu đề gộp hai dòng, CSV UTF-8 BOM / UTF-16 / Windows-1258, dấu `;`, tiêu đề tiếng Anh hoặc không
dấu, đơn vị nghìn đồng) và một tỷ lệ nhỏ ô lỗi được cài sẵn để kiểm tra khâu làm sạch.
Các hiệu ứng "thật" và danh sách ô lỗi nằm trong `{TRUTH_NAME}`.

## English
Seeded synthetic raw inputs for the 63 provinces (boundaries before 1 July 2025), 2012–2024:
project register, beneficiary outcome survey, provincial statistics, plans vs achievements.
The files deliberately differ in layout and encoding, like the files provinces send, and a
small, exactly recorded share of cells is bad on purpose. True effects (co-funding ratios by
category and province, the programme effect on labour productivity by event time and category,
the spending–growth coefficient) and every planted cell are in `{TRUTH_NAME}`.

Regenerate (byte-identical): `khuyencong demo --seed {seed}`. Do not edit by hand: a
test compares this folder with a fresh generation.

| file | dataset | format | data rows |
|---|---|---|---|
{listing}
"""
