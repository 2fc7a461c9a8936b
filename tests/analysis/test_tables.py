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
