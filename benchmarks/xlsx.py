"""Section 5b of the bench: the XLSX readers in cells/s, on a generated register sheet and on the
demo's XLSX registers — openpyxl read-only and full, python-calamine raw, and our reader end to end.

``bench.py`` calls :func:`measure_xlsx` (in its scratch project) and :func:`xlsx_rows` (for the
results table); ``bench.py --only xlsx`` runs :func:`run_only`, this section alone merged into the
last ``results.json``. The child (:func:`child_xlsx`) runs as ``bench.py --child xlsx``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the scratch project, children, measurements and publishing)

XLSX_SHEET_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{ns}">'
                  '<sheetData>{rows}</sheetData></worksheet>')
XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
    'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
    'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
    'document.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}" xmlns:r='
    '"http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Dữ liệu" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
    '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship'
    ' Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>',
}
XLSX_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xlsx(rows: list[list]) -> bytes:
    """A one-sheet workbook as Excel saves one (text in the shared-strings table, numbers as ``<v>``),
    written directly: openpyxl takes longer to write 200,000 cells than the fast readers take to read them."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    xml_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
            elif value is not None:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    parts = {**XLSX_PARTS, "xl/worksheets/sheet1.xml": XLSX_SHEET_XML.format(ns=XLSX_NS, rows="".join(xml_rows)),
             "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{XLSX_NS}" '
                                     f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.replace("{ns}", XLSX_NS).encode("utf-8"))
    return out.getvalue()


def register_sheet(n: int) -> list[list]:
    """A header row our reader recognises and ``n`` register rows, 10 columns: ints, decimals, Vietnamese text."""
    from khuyencong.core import datasets as ds
    from khuyencong.core.provinces import legacy_provinces

    names = ["year", "province", "project_id", "title", "category", "funding_source", "establishment_id",
             "state_support", "beneficiary_contribution", "status"]
    places = [p.name for p in legacy_provinces()]
    categories = [c.name_vi for c in ds.categories()]
    rows = [[ds.REGISTER.column(name).vi for name in names]]
    for i in range(n):
        year, place = 2012 + i % 13, places[i % len(places)]
        support = round(10 + (i * 7919) % 9000 / 10, 1)
        rows.append([year, place, f"KC-{year}-{i:05d}", f"Hỗ trợ máy sấy nông sản số {i} tại {place}",
                     categories[i % len(categories)], "KCĐP" if i % 3 else "KCQG", f"CS-{i:05d}", support,
                     round(support / 2 + i % 10, 1), "Hoàn thành"])
    return rows


def measure_xlsx(root: Path, workdir: Path, rows: int, repeats: int) -> dict:
    """The XLSX readers on a generated ``rows`` × 10 sheet and on the demo's XLSX registers, in one child."""
    demo = sorted(str(p.relative_to(root)) for p in (root / "data" / "raw" / "demo").glob("SYNTHETIC_register_*.xlsx"))
    return bench.run_child(root, "xlsx", path=str(workdir / "sheet.xlsx"), rows=rows, demo=demo, repeats=repeats)


def child_xlsx(path: str, rows: int, demo: list[str], repeats: int) -> dict:
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    from khuyencong.ingest.validate import read_one

    Path(path).write_bytes(sheet_xlsx(register_sheet(rows)))

    def openpyxl_read(name: str, read_only: bool) -> None:
        wb = load_workbook(name, read_only=read_only, data_only=True)
        for _ in wb.worksheets[0].iter_rows(values_only=True):
            pass
        wb.close()

    def calamine_read(name: str) -> None:
        CalamineWorkbook.from_path(name).get_sheet_by_index(0).to_python(skip_empty_area=False)

    def cells(name: str) -> int:
        sheet = CalamineWorkbook.from_path(name).get_sheet_by_index(0)
        return sheet.height * sheet.width

    readers = {"openpyxl_read_only": (lambda f: openpyxl_read(f, True), 1),
               "openpyxl_full": (lambda f: openpyxl_read(f, False), 1),
               "calamine": (calamine_read, repeats), "ours": (lambda f: read_one(Path(f)), repeats)}
    out = {}
    for label, files, skip in (("sheet", [path], ()), ("demo", demo, ("openpyxl_full",))):
        n_cells = sum(cells(f) for f in files)
        entry = {"files": [Path(f).name for f in files], "cells": n_cells}
        for name, (read, times) in readers.items():
            if name in skip:
                continue
            samples = []
            for _ in range(times):
                t0 = time.perf_counter()
                for f in files:
                    read(f)
                samples.append(time.perf_counter() - t0)
            entry[name] = {"seconds": bench.median(samples), "runs": times,
                           "cells_per_s": n_cells / bench.median(samples)}
        out[label] = entry
    return out


def xlsx_rows(x: dict) -> list[dict]:
    """Results table rows of the XLSX reader section."""
    sheet, demo = x["sheet"], x["demo"]
    size = f"{sheet['cells'] // 10 - 1:,} × 10 sheet"
    rows = []
    for name, label, note in (("openpyxl_read_only", "XLSX openpyxl read-only", "what read the unmapped .xlsx "
                               "before issue 10"), ("openpyxl_full", "XLSX openpyxl full", "load_workbook without "
                               "read_only"), ("calamine", "XLSX python-calamine raw", "to_python of the sheet")):
        e = sheet[name]
        rows.append(bench.measurement(label, e["cells_per_s"], "cells/s", f"{size}; {note}; median of {e['runs']}"))
    ours = sheet["ours"]
    rows.append(bench.measurement("xlsx_reader_cells_per_s", ours["cells_per_s"], "cells/s",
                                  f"{size}, our reader end to end (read_one → RawTable); "
                                  f"{ours['cells_per_s'] / sheet['openpyxl_read_only']['cells_per_s']:.1f}× openpyxl "
                                  f"read-only; median of {ours['runs']}"))
    demo_note = ", ".join(f"{demo[n]['cells_per_s']:,.0f} {n.replace('_', ' ')}" for n in
                          ("openpyxl_read_only", "calamine"))
    rows.append(bench.measurement("XLSX reader, demo registers", demo["ours"]["cells_per_s"], "cells/s",
                                  f"{len(demo['files'])} files, {demo['cells']:,} cells, end to end; cells/s of "
                                  f"{demo_note}"))
    return rows


def say_xlsx(x: dict) -> None:
    for label in ("sheet", "demo"):
        bench.say(f"   {label}: " + ", ".join(f"{name} {v['cells_per_s']:,.0f} cells/s"
                                            for name, v in x[label].items() if isinstance(v, dict)))


def run_only(args: argparse.Namespace) -> int:
    """This section alone (``--only xlsx``), merged into the last ``results.json``."""
    def measure(root: Path, workdir: Path) -> dict:
        section = measure_xlsx(root, workdir, args.xlsx_rows, args.xlsx_repeats)
        say_xlsx(section)
        return section

    return bench.run_alone("xlsx_reader", lambda: bench.say(
        f"== 5b the XLSX readers: a generated {args.xlsx_rows:,} × 10 sheet and the demo's XLSX registers"), measure)


CHILDREN = {"xlsx": child_xlsx}
