import pandas as pd
import pytest

from khuyencong.analysis import tables
from khuyencong.errors import KhuyencongError


def test_missing_table_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="make clean-data") as missing:
        tables.load("register", tmp_path)
    assert isinstance(missing.value, KhuyencongError)


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="known"):
        tables.load("registre", tmp_path)


def test_data_status_is_synthetic_when_any_row_is():
    real = pd.DataFrame({"data_status": ["REAL", "REAL (published)"]})
    mixed = pd.DataFrame({"data_status": ["REAL", "SYNTHETIC"]})
    assert tables.data_status(real) == "REAL"
    assert tables.data_status(real, mixed) == "SYNTHETIC"


def test_a_notebooks_status_comes_from_the_tables_it_reads(tmp_path):
    """Issue 22: the runner found a notebook's data status by searching its rendered HTML; it now
    carries it as data, decided from the tables the notebook reads (reference tables only alone)."""
    import pandas as pd

    from khuyencong.analysis.tables import status_of

    for name, status in (("register", "SYNTHETIC"), ("published_figures", "REAL (published)"),
                         ("official_stats", "REAL (official)")):
        pd.DataFrame({"data_status": [status]}).to_parquet(tmp_path / f"{name}.parquet")
    assert status_of(["register", "published_figures"], tmp_path) == "SYNTHETIC"
    assert status_of(["published_figures", "official_stats"], tmp_path) == "REAL"
