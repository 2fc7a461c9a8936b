"""Smoke tests of benchmarks/bench.py, xlsx.py and formats.py on tiny inputs (no timing assertions)."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def benchmarks():
    """The scripts imported by name, as they import each other (``xlsx``, ``formats`` import ``bench`` and back)."""
    folder = str(REPO / "benchmarks")
    sys.path.insert(0, folder)
    try:
        yield {name: importlib.import_module(name) for name in ("bench", "xlsx", "formats")}
    finally:
        sys.path.remove(folder)
        for name in ("bench", "xlsx", "executors", "formats"):
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def bench(benchmarks):
    return benchmarks["bench"]


@pytest.fixture(scope="module")
def xlsx(benchmarks):
    return benchmarks["xlsx"]


@pytest.fixture(scope="module")
def formats(benchmarks):
    return benchmarks["formats"]


CONFIG = {
    "languages": ["vi", "en"],
    "notebooks": [
        {"name": "00_nat_other", "scope": "national", "inputs": ["published_figures"]},
        {"name": "10_nat_register", "scope": "national", "inputs": ["register"]},
        {"name": "20_prov_register", "scope": "provinces", "inputs": ["register", "survey"]},
        {"name": "30_prov_compare", "scope": "provinces", "inputs": ["survey"], "whole_inputs": ["register"]},
        {"name": "40_prov_other", "inputs": ["plans"]},
    ],
}

ENGINE_OUTPUT = """note: something
run: forced — vi/all/10_nat_register
skip: unchanged — vi/all/00_nat_other
run: inputs changed: register — en/ha-noi/20_prov_register
[1/2, 0 failed, eta 3 s] ok vi/all/10_nat_register (2.1 s)
2 ok, 0 failed, 1 skipped of 3 runs in 4.2 s → reports/
"""


def test_engine_output_is_read(bench):
    assert bench.planned_labels(ENGINE_OUTPUT) == ["en/ha-noi/20_prov_register", "vi/all/10_nat_register"]
    assert bench.run_summary(ENGINE_OUTPUT) == {"ok": 2, "failed": 0, "skipped": 1, "runs": 3}
    with pytest.raises(RuntimeError, match="no summary line"):
        bench.run_summary("run: forced — vi/all/x\n")


def test_expected_reruns_follow_inputs(bench):
    got = bench.expected_reruns(CONFIG, ["all", "ha-noi", "hue"], "hue")
    want = {f"{lang}/{slug}/{nb}" for lang in ("vi", "en") for slug, nb in [
        ("all", "10_nat_register"), ("all", "20_prov_register"), ("hue", "20_prov_register"),
        ("all", "30_prov_compare"), ("ha-noi", "30_prov_compare"), ("hue", "30_prov_compare")]}
    assert got == sorted(want)
    assert not [label for label in got if "00_nat_other" in label or "40_prov_other" in label]


def test_configs_for_subset_and_tenfold(bench, tmp_path):
    sub = bench.subset_config({**CONFIG, "boundaries": ["2025", "legacy"]}, ["01", "46"])
    assert sub["boundaries"] == ["2025"] and sub["provinces"] == ["01", "46"]
    assert bench.subset_config(CONFIG, None)["provinces"] == "all"
    ten = bench.tenfold_config(CONFIG)
    names = [b["name"] for b in ten["notebooks"]]
    assert len(names) == 10 * len(CONFIG["notebooks"]) and len(set(names)) == len(names)
    assert ten["notebooks"][1] == {**CONFIG["notebooks"][0], "name": "00_nat_other__x1"}
    (tmp_path / "notebooks").mkdir()
    for b in CONFIG["notebooks"]:
        (tmp_path / "notebooks" / f"{b['name']}.ipynb").write_text(b["name"])
    bench.copy_notebooks(tmp_path, ten)
    assert (tmp_path / "notebooks" / "40_prov_other__x9.ipynb").read_text() == "40_prov_other"
    name = bench.write_config(tmp_path, "x.yml", ten)
    assert bench.read_config(tmp_path, name) == ten


def test_pick_spread_keeps_the_first_and_spreads(bench):
    items = list(range(34))
    assert bench.pick_spread(items, 1) == [0]
    assert bench.pick_spread(items, 3) == [0, 16, 33]
    assert bench.pick_spread(items, 50) == items


def test_efficiency_bound_and_overheads(bench):
    regen = {"wall_s": 20.0, "runs": 3, "durations": [
        {"notebook": "a", "province_code": None, "duration_s": 6.0},
        {"notebook": "a", "province_code": "01", "duration_s": 4.0},
        {"notebook": "a", "province_code": "46", "duration_s": 2.0}]}
    assert bench.efficiency_bound(regen) == pytest.approx(12 / 12)
    calib = {"a@national": {"compute_s": 5.0}, "a@province": {"compute_s": 3.0}}
    ov = bench.overheads(regen, calib, floor_s=2.0)
    assert ov["compute_per_run_s"] == pytest.approx(11 / 3)
    assert ov["overhead_over_floor"] == pytest.approx((20 / 3 - 11 / 3) / 2)
    assert ov["per_notebook"]["a@province"]["duration_s"] == pytest.approx(3.0)


def test_measurements_table_and_readme(bench, tmp_path):
    good = bench.measurement("parallel_efficiency", 0.9, "ratio")
    bad = bench.measurement("noop_full_matrix", 2.5, "s", "note")
    plain = bench.measurement("floor", 3.0, "s")
    assert (good["pass"], bad["pass"], plain["pass"]) == (True, False, None)
    table = bench.render_table([good, bad, plain])
    assert "| noop_full_matrix | 2.5 s | <= 2 | **miss** | note |" in table
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{bench.MARK_START}\nold\n{bench.MARK_END}\noutro\n")
    bench.write_readme_table(readme, table, "header")
    text = readme.read_text()
    assert "old" not in text and text.startswith("intro\n") and text.endswith("outro\n") and table in text
    readme.write_text("no markers")
    with pytest.raises(RuntimeError, match="markers"):
        bench.write_readme_table(readme, table, "header")


def _fake_results() -> dict:
    regen = {"wall_s": 10.0, "runs": 4, "cpu_per_wall": 1.0, "load_average_before": 0.5,
             "durations": [{"notebook": "a", "province_code": None, "duration_s": 2.0}] * 4}
    clean = {"survey_rows": 10, "clean_s": 1.0, "validate_s": 0.5, "clean_rss_mb": 300.0, "validate_rss_mb": 200.0}
    return {"floor": {"process_s": 2.0, "papermill_s": 1.0, "samples_s": [2.0] * 5},
            "matrix": {"description": "full matrix"},
            "machine_parallel": {"efficiency": 0.95, "sequential_s": 4.0, "together_s": 2.1},
            "regeneration": {"workers_1": regen, "workers_2": {**regen, "wall_s": 6.0},
                             "overhead_workers_1": {"overhead_over_floor": 0.5, "engine_per_run_s": 2.5,
                                                    "compute_per_run_s": 1.5}},
            "noop": {"benchmarked": {"wall_s": 1.0, "runs": 4}, "full": {"wall_s": 1.0, "runs": 4},
                     "tenfold": {"wall_s": 1.5, "runs": 40, "synthesised": 36}},
            "one_province": {"wall_s": 3.0, "province": "hue", "reran": 2, "runs": 4},
            "cleaning": [{**clean, "rows": 100_000, "clean_register_rows_per_s": 100_000.0},
                         {**clean, "rows": 1_000_000, "clean_register_rows_per_s": 250_000.0}],
            "linearity": 0.8, "formats": _formats_section(30.0, 31.2),
            "make_test": {"wall_s": 60.0, "exit_status": 0, "summary": "3 passed"},
            "executors": _fake_executors()}


def _fake_executors() -> dict:
    def ours(wall, workers):
        return {"wall_s": wall, "runs": 4, "cpu_s": wall * workers, "peak_rss_gb": 0.5,
                "worker_s": [2.0, 3.0, 2.5, 2.5], "cells_s": [1.8, 2.6, 2.2, 2.2]}
    return {"machine_parallel": {"efficiency": 0.9}, "ploomber_in_process": {"skipped": "not installed"},
            "papermill_serial": {"wall_s": 30.0, "runs": 4, "compute_s": [2.0] * 4, "peak_rss_gb": 0.5},
            "ours_fresh_2": ours(8.0, 2), "ours_warm_2": ours(6.0, 2), "ours_warm_1": ours(11.0, 1)}


def test_rows_cover_every_measurement(bench):
    rows = {r["name"]: r for r in bench.rows_from(_fake_results())}
    assert rows["parallel_efficiency"]["value"] == pytest.approx(10 / 12, abs=1e-4)
    assert rows["parallel_efficiency"]["pass"] is False
    assert rows["noop_growth_vs_runs"]["value"] == pytest.approx(0.15)
    assert rows["clean_register_rows_per_s"]["pass"] is True
    assert rows["clean_peak_rss_1m"]["value"] == pytest.approx(300 / 1024, abs=1e-4)
    assert set(bench.TARGETS) <= set(rows)
    assert rows["worker_seconds_per_run"]["value"] == pytest.approx(6.0 * 2 / 4)
    assert rows["overhead_per_run_s"]["value"] == pytest.approx(0.3) and rows["overhead_per_run_s"]["pass"] is True
    assert rows["overhead_all_in_per_run_s"]["value"] == pytest.approx(11.0 / 4 - 8.8 / 4)
    json.dumps(list(rows.values()))


def test_scratch_copy_has_the_project_but_no_venv_or_outputs(bench, tmp_path):
    root = bench.scratch_project(tmp_path / "p")
    assert (root / "Makefile").is_file() and (root / "src" / "khuyencong" / "paths.py").is_file()
    assert (root / "benchmarks" / "empty.ipynb").is_file()
    assert not (root / ".venv").exists()
    assert not list((root / "data" / "processed").glob("*.parquet"))


@pytest.mark.slow
def test_cleaning_children_on_a_tiny_register(bench, tmp_path):
    sizes = bench.measure_cleaning(REPO, tmp_path, [300])
    (entry,) = sizes
    assert entry["rows"] == 300 and entry["survey_rows"] > 0
    assert entry["clean_rss_mb"] > 0 and entry["clean_register_rows_per_s"] > 0
    assert not list(tmp_path.glob("*.csv"))  # generated inputs are removed after measuring
    assert (tmp_path / "processed_300" / "register.parquet").is_file()


def test_the_generated_sheet_reads_the_same_in_every_xlsx_reader(xlsx, tmp_path):
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    from khuyencong.ingest.readers import read_raw

    rows = xlsx.register_sheet(30)
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(xlsx.sheet_xlsx(rows))
    book = load_workbook(path, read_only=True)
    assert [list(r) for r in book.active.iter_rows(values_only=True)] == rows
    book.close()  # read-only keeps the file open until closed
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python() == rows
    raw = read_raw(path)
    assert raw.dataset == "register" and len(raw) == 30 and len(raw.header_map) == 10


def test_xlsx_section_rows_and_a_section_run_alone(bench, xlsx):
    def reader(cells_per_s):
        return {"seconds": 1.0, "runs": 3, "cells_per_s": cells_per_s}

    section = {"sheet": {"files": ["sheet.xlsx"], "cells": 200_010, "openpyxl_read_only": reader(20_000.0),
                         "openpyxl_full": reader(15_000.0), "calamine": reader(400_000.0), "ours": reader(100_000.0)},
               "demo": {"files": ["a.xlsx", "b.xlsx"], "cells": 115_114, "openpyxl_read_only": reader(25_000.0),
                        "calamine": reader(380_000.0), "ours": reader(90_000.0)}}
    rows = xlsx.xlsx_rows(section)
    assert [r["name"] for r in rows] == ["XLSX openpyxl read-only", "XLSX openpyxl full", "XLSX python-calamine raw",
                                         "xlsx_reader_cells_per_s", "XLSX reader, demo registers"]
    assert "20,000 × 10 sheet" in rows[0]["note"] and "5.0× openpyxl read-only" in rows[3]["note"]
    machine = {"cores": 2, "ram_gb": 8.0, "python": "3.11", "git": {"commit": "abc", "dirty": False}}
    alone = {"started": "2026-11-30T00:00:00+00:00", "machine": machine, "load_average_start": [1.0],
             "load_average_end": [2.0], "section_s": 21.0}
    only = {"xlsx_reader": {**section, "alone": alone}}
    assert bench.rows_from(only) == rows  # no earlier full run: the section's rows only
    assert "run alone (`--only xlsx`)" in bench.readme_header(only) and "21 s" in bench.readme_header(only)
    assert bench.parse_args(["--only", "xlsx"]).only == "xlsx"


@pytest.mark.slow
def test_the_xlsx_child_runs_through_bench_dispatch(tmp_path):
    kwargs = {"path": str(tmp_path / "sheet.xlsx"), "rows": 20, "demo": [], "repeats": 1}
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench.py"), "--child", "xlsx",
                           json.dumps(kwargs)], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["sheet"]["cells"] == 21 * 10 and out["sheet"]["files"] == ["sheet.xlsx"]
    assert set(out["sheet"]) >= {"openpyxl_read_only", "openpyxl_full", "calamine", "ours"}
    assert out["sheet"]["ours"]["cells_per_s"] > 0 and "openpyxl_full" not in out["demo"]


def _formats_section(html_wall: float, all_wall: float, typeset: float = 0.04, chromium: bool = True) -> dict:
    def timed(median_s, n):
        return {"median_s": median_s, "samples_s": [median_s] * n}

    direct = {"slug": "ha-noi", "pdf_pages": 2, "pdf_kb": 210.0, "docx_kb": 150.0,
              "pdf_typeset": {**timed(typeset, 5), "warmup_s": 0.2}, "docx": timed(0.09, 5)}
    if chromium:
        direct.update(pdf_chromium={**timed(1.4, 5), "warmup_s": 1.9}, chromium_pages=7)
    return {"provinces": ["ha-noi", "hue", "ca-mau"], "lang": "vi",
            "browser": "/usr/bin/chromium" if chromium else "no Chromium (chromium, …)",
            "html": {"formats": "html", "wall_s": html_wall, "runs": 3, "load_average_before": 1.5,
                     "durations_s": [9.0, 8.5, 8.0]},
            "all": {"formats": "html,pdf,docx", "wall_s": all_wall, "runs": 3, "load_average_before": 2.0,
                    "durations_s": [9.2, 8.6, 8.1]},
            "direct": direct}


def test_formats_section_rows(bench, formats):
    rows = {r["name"]: r for r in formats.formats_rows(_formats_section(30.0, 30.6))}
    assert list(rows) == ["brief, HTML only", "brief, HTML + PDF + DOCX", "pdf_docx_added_s_per_brief",
                          "PDF of one brief, typeset (Typst)", "DOCX of one brief",
                          "PDF of one brief, notebook printed by Chromium (before)"]
    added = rows["pdf_docx_added_s_per_brief"]
    assert added["value"] == pytest.approx(0.13) and added["target"] == "<= 0.3" and added["pass"] is True
    assert "typeset PDF 0.040 s + DOCX 0.090 s" in added["note"] and "+0.2, +0.1, +0.1 s" in added["note"]
    assert rows["brief, HTML only"]["value"] == pytest.approx(10.0)
    assert "3 briefs (ha-noi, hue, ca-mau), vi" in rows["brief, HTML only"]["note"]
    assert rows["PDF of one brief, notebook printed by Chromium (before)"]["value"] == pytest.approx(1.4)
    assert "2 pages" in rows["PDF of one brief, typeset (Typst)"]["note"]
    slow = {r["name"]: r for r in formats.formats_rows(_formats_section(30.0, 33.0, typeset=0.3))}
    assert slow["pdf_docx_added_s_per_brief"]["pass"] is False


def test_formats_section_without_chromium_and_run_alone(bench, formats):
    rows = {r["name"]: r for r in formats.formats_rows(_formats_section(30.0, 30.6, chromium=False))}
    row = rows["PDF of one brief, notebook printed by Chromium (before)"]
    assert row["pass"] is None and row["note"].startswith("skipped: no Chromium")
    assert rows["pdf_docx_added_s_per_brief"]["pass"] is True  # the briefs need no browser
    machine = {"cores": 2, "ram_gb": 8.0, "python": "3.11", "git": {"commit": "abc", "dirty": True}}
    alone = {"started": "2026-11-30T00:00:00+00:00", "machine": machine, "load_average_start": [1.0],
             "load_average_end": [2.0], "section_s": 95.0}
    only = {"formats": {**_formats_section(30.0, 30.6), "alone": alone}}
    assert bench.rows_from(only) == formats.formats_rows(only["formats"])
    assert "run alone (`--only formats`)" in bench.readme_header(only) and "95 s" in bench.readme_header(only)
    args = bench.parse_args(["--only", "formats"])
    assert (args.only, args.formats_provinces, args.skip_formats) == ("formats", 3, False)
    assert bench.parse_args(["--skip-formats"]).skip_formats


def test_formats_engine_arguments(formats):
    args = formats.engine_args(["01", "46"], "html,pdf,docx")
    assert args[:2] == ["run", "--force"]
    flags = dict(zip(args[2::2], args[3::2]))
    assert flags["--workers"] == "1" and flags["--kernels"] == "warm" and flags["--lang"] == "vi"
    assert flags["--notebook"] == "90_province_report" and flags["--formats"] == "html,pdf,docx"
    assert [v for f, v in zip(args, args[1:]) if f == "--province"] == ["01", "46"]


def test_the_formats_browser_child_skips_without_chromium(tmp_path):
    env = {**os.environ, "KHUYENCONG_CHROMIUM": str(tmp_path / "no-such-browser")}
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench.py"), "--child", "formats_browser", "{}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "browser" not in out and "no-such-browser" in out["skipped"] and "chromium" in out["skipped"]
