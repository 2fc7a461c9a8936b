"""``tests/sandbox.py``: the tests run in a copy of the project with the demo set, never in the user's data."""
from __future__ import annotations

from pathlib import Path

import sandbox


def test_the_sandbox_holds_the_committed_inputs_not_the_users_declaration(tmp_path: Path):
    """Issue 20: `make test` rebuilt the user's data/processed from the demo set."""
    checkout = tmp_path / "checkout"
    raw = checkout / "data" / "raw"
    (raw / "demo").mkdir(parents=True)
    (raw / "demo" / "SYNTHETIC_register.csv").write_text("demo\n", encoding="utf-8")
    (raw / "inputs.yml").write_text("register:\n  - my_register.xlsx\n", encoding="utf-8")
    (raw / "my_register.xlsx").write_bytes(b"the user's own file")
    (checkout / "notebooks").mkdir()
    (checkout / "reports.yml").write_text("years: [2012, 2024]\n", encoding="utf-8")
    box = sandbox.prepare(checkout, tmp_path / "box")
    assert (box / "data" / "raw" / "demo" / "SYNTHETIC_register.csv").read_text(encoding="utf-8") == "demo\n"
    assert not (box / "data" / "raw" / "inputs.yml").exists() and not (box / "data" / "raw" / "my_register.xlsx").exists()
    assert (box / "notebooks").resolve() == (checkout / "notebooks").resolve()
    env = sandbox.environment(checkout, box)
    assert env["KHUYENCONG_ROOT"] == str(box) and env[sandbox.CHECKOUT_ENV] == str(checkout)
    sandbox.prepare(checkout, box)  # again: raw replaced, processed kept
    assert (box / "data" / "processed").is_dir()


def test_this_session_runs_in_a_sandbox_when_started_by_make(tmp_path):
    """Under `make test` the project root is the sandbox, not the checkout (whose data/processed and
    reports/ conftest.py compares before and after the session)."""
    import os

    import pytest

    from khuyencong import paths

    checkout = os.environ.get(sandbox.CHECKOUT_ENV)
    if checkout is None:
        pytest.skip("not started by tests/sandbox.py (make test does)")
    assert paths.project_root() != Path(checkout).resolve()
    assert paths.project_root() == sandbox.SANDBOX.resolve()
