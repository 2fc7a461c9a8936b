"""A tiny project for the report-runner tests: small processed tables, trivial notebooks, reports.yml.

Used by test_run.py and test_site.py with ``KHUYENCONG_ROOT`` pointing at the copy;
:func:`real_notebooks_project` is the same with the real notebooks and this checkout's processed data.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import yaml

PARAMETERS = '''province = "all"
start_year = 2012
end_year = 2024
boundaries = "2025"
lang = "vi"
processed_dir = None
output_dir = None'''

# Counts the selected province's register rows and saves them as a table when output_dir is set.
COUNT_ROWS = '''from pathlib import Path
from khuyencong.analysis import selection as params
from khuyencong.analysis import tables
sel = params.select(province, start_year, end_year, boundaries, lang)
rows = sel.filter(tables.load("register", processed_dir))
print(sel.label, len(rows), round(float(rows["state_support"].sum()), 3))
if output_dir is not None:
    rows[["project_id", "state_support"]].to_csv(Path(output_dir) / "rows.csv", index=False)'''

NOTEBOOKS = {
    "nb_prov": [COUNT_ROWS],
    "nb_nat": [COUNT_ROWS],
    "nb_echo": ["print(province, lang)"],
    "nb_fail": ["print('before')", "1 / 0", "print('never')"],
    "nb_dead": ["print('before')", "import os\nos._exit(1)"],
    "nb_slow": ["import time\ntime.sleep(120)"],
}

# 2025 code → legacy codes it contains (Hà Nội; Cần Thơ = Cần Thơ + Hậu Giang + Sóc Trăng)
PLACES = {"01": ["01"], "92": ["92", "93", "94"]}


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test")] + [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nb.metadata["kernelspec"] = {"name": "khuyencong", "display_name": "Python (khuyencong)", "language": "python"}
    nbformat.write(nb, path)


def tables(status: str = "SYNTHETIC") -> dict[str, pd.DataFrame]:
    """register, survey, plans: a few projects and establishments per legacy province."""
    reg, srv, plans = [], [], []
    for new_code, legacy_codes in PLACES.items():
        for code in legacy_codes:
            for k in range(8):
                est = f"E{code}{k}"
                reg.append({"project_id": f"P{code}{k}", "year": 2016 + k % 4, "province_code": code,
                            "province_code_2025": new_code, "establishment_id": est,
                            "category": "training" if k % 2 else "equipment", "status": "completed",
                            "state_support": 100.0 + 10 * k + int(code) % 7, "beneficiary_contribution": 300.0 + 5 * k,
                            "trainees": 20.0 + k if k % 2 else None, "data_status": status})
                for year in range(2013, 2024):
                    srv.append({"establishment_id": est, "year": year, "province_code": code,
                                "province_code_2025": new_code, "workers": 10,
                                "output_value": 1000.0 + 40 * year - 80000 + 15 * k, "data_status": status})
            for year in range(2016, 2020):
                plans.append({"province_code": code, "province_code_2025": new_code, "year": year,
                              "indicator": "state_support", "planned": 500.0, "achieved": 450.0 + 10 * (year % 3),
                              "data_status": status})
    frames = {"register": pd.DataFrame(reg), "survey": pd.DataFrame(srv), "plans": pd.DataFrame(plans)}
    for df in frames.values():
        for col in ("province_code", "province_code_2025"):
            df[col] = df[col].astype("string")
    return frames


def write_tables(root: Path, frames: dict[str, pd.DataFrame]) -> None:
    out = root / "data" / "processed"
    out.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_parquet(out / f"{name}.parquet", index=False)


def make_project(root: Path, notebooks: dict[str, str], provinces=("Hà Nội", "Cần Thơ"),
                 languages=("vi",), timeout: int = 60, status: str = "SYNTHETIC") -> Path:
    """``notebooks``: name → scope ("national" or "provinces"); all read the register."""
    (root / "notebooks").mkdir(parents=True)
    (root / "reports").mkdir()
    for name in notebooks:
        write_notebook(root / "notebooks" / f"{name}.ipynb", NOTEBOOKS[name])
    write_tables(root, tables(status))
    config = {"years": [2012, 2024], "boundaries": ["2025"], "languages": list(languages),
              "provinces": list(provinces), "timeout": timeout, "kernel": "khuyencong",
              "notebooks": [{"name": n, "scope": s, "inputs": ["register"], "title": {"vi": n, "en": n}}
                            for n, s in notebooks.items()]}
    (root / "reports.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root


def real_notebooks_project(root: Path, parameters: dict[str, dict], province: str) -> Path:
    """A scratch project with this checkout's processed data and demo files and the real notebooks
    named in ``parameters`` (name → extra notebook parameters), for ``province`` in Vietnamese on
    2025 boundaries. Skips when data/processed is empty."""
    import pytest

    from khuyencong import paths

    if not (paths.processed_dir() / "register.parquet").exists():
        pytest.skip("data/processed is empty: run `make data` first (make test does)")
    shutil.copytree(paths.processed_dir(), root / "data" / "processed")
    shutil.copytree(paths.demo_dir(), root / "data" / "raw" / "demo")
    (root / "notebooks").mkdir()
    (root / "reports").mkdir()
    config = yaml.safe_load((paths.project_root() / "reports.yml").read_text(encoding="utf-8"))
    blocks = [{**b, "parameters": {**b.get("parameters", {}), **parameters[b["name"]]}}
              for b in config["notebooks"] if b["name"] in parameters]
    for block in blocks:
        shutil.copy(paths.notebooks_dir() / f"{block['name']}.ipynb", root / "notebooks")
    config.update(notebooks=blocks, languages=["vi"], provinces=[province], boundaries=["2025"])
    (root / "reports.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root
