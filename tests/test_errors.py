"""The exit-code table and the resource limits: documented in errors.py and the README, raisable by env."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from khuyencong import errors, limits

README = Path(__file__).resolve().parents[1] / "README.md"


def test_exit_codes_are_distinct_and_the_classes_use_them():
    codes = [errors.EXIT_OK, errors.EXIT_FAILED, errors.EXIT_BAD_INPUT, errors.EXIT_LOCKED, errors.EXIT_ENVIRONMENT]
    assert codes == [0, 1, 2, 3, 5]
    assert errors.InputError("x").exit_code == errors.ConfigurationError("x").exit_code == 2
    assert errors.EnvironmentProblem("x").exit_code == 5
    from khuyencong.runner.lock import LockHeld

    assert LockHeld("x").exit_code == 3
    assert issubclass(limits.LimitExceeded, errors.InputError) and issubclass(limits.LimitExceeded, ValueError)


def test_the_readme_documents_every_exit_code_and_every_limit():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Exit codes and limits"):]
    section = section[:section.find("\n## ", 4)]
    for code in (0, 1, 2, 3, 5):
        assert re.search(rf"^\| {code} ", section, re.M), code
    for limit in limits.ALL:
        assert limit.env in section, limit.env


def test_a_limit_says_which_one_the_value_and_how_to_raise_it(monkeypatch):
    monkeypatch.delenv("KHUYENCONG_MAX_CELLS", raising=False)
    limits.CELLS.check(limits.CELLS.default, "ok.xlsx")
    with pytest.raises(limits.LimitExceeded) as info:
        limits.CELLS.check(17_179_869_184, "big.xlsx, sheet 'Data'")
    message = str(info.value)
    assert message.startswith("big.xlsx, sheet 'Data': 17,179,869,184 cells is over the limit of 5,000,000")
    assert "KHUYENCONG_MAX_CELLS=" in message
    assert info.value.limit is limits.CELLS and info.value.value == 17_179_869_184


def test_a_limit_is_raised_by_its_environment_variable(monkeypatch):
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "20_000_000")
    assert limits.CELLS.value() == 20_000_000
    limits.CELLS.check(10_000_000, "big.xlsx")
    monkeypatch.setenv("KHUYENCONG_MAX_ZIP_RATIO", "12.5")
    assert limits.ZIP_RATIO.value() == 12.5
    for bad in ("lots", "0", "-3"):
        monkeypatch.setenv("KHUYENCONG_MAX_CELLS", bad)
        with pytest.raises(errors.ConfigurationError, match="KHUYENCONG_MAX_CELLS=.* must be a positive number"):
            limits.CELLS.value()
