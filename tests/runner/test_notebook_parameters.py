"""Every analysis notebook runs headless with non-default parameters (nbval covers the defaults).

One combination per notebook: a legacy-only province name, legacy boundaries, English.
"""
from __future__ import annotations

import json

import pytest

from khuyencong import paths
from khuyencong.runner.notebooks import execute

CASES = {
    "00_published_figures": {"province": "Bắc Giang", "boundaries": "legacy", "lang": "en"},
    "10_cofunding": {"province": "Sóc Trăng", "boundaries": "legacy", "lang": "en", "n_boot": 99},
    "20_productivity": {"province": "Sóc Trăng", "boundaries": "2025", "lang": "en"},
    "30_grdp_link": {"province": "Bắc Kạn", "boundaries": "legacy", "lang": "en", "n_boot": 99},
    "40_outputs": {"province": "Sóc Trăng", "boundaries": "legacy", "lang": "en"},
    "90_province_report": {"province": "Sóc Trăng", "boundaries": "2025", "lang": "en", "n_boot": 99},
}


def _outputs_text(nb) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_with_other_parameters(name, tmp_path):
    if not (paths.processed_dir() / "register.parquet").exists():
        pytest.skip("data/processed is empty: run `make data` first (make test does)")
    source = paths.notebooks_dir() / f"{name}.ipynb"
    nb = execute(source, tmp_path / source.name, parameters={**CASES[name], "output_dir": str(tmp_path / "out")}).notebook
    text = _outputs_text(nb)
    assert '"output_type": "error"' not in text
    if name != "00_published_figures":
        assert "SYNTHETIC" in text
        assert any((tmp_path / "out").iterdir()), "output_dir was set but nothing was saved"
