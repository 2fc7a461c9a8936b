"""Test modules live in folders that mirror src/khuyencong/; the shared builders in tests/fixtures/ are importable from all of them."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Before any test module imports openpyxl: the same XLSX bytes with or without lxml (see khuyencong/__init__.py).
os.environ.setdefault("OPENPYXL_LXML", "False")


def _snapshot(checkout: Path) -> dict[str, tuple[int, int]]:
    """Every file of the checkout's data/processed and reports: (size, modification time)."""
    found = {}
    for folder in ("data/processed", "reports"):
        for path in sorted((checkout / folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                found[path.relative_to(checkout).as_posix()] = (stat.st_size, stat.st_mtime_ns)
            elif path.is_symlink():
                found[path.relative_to(checkout).as_posix()] = (-1, hash(os.readlink(path)))
    return found


def pytest_sessionstart(session):
    checkout = os.environ.get("KHUYENCONG_TEST_CHECKOUT")
    if checkout and not hasattr(session.config, "workerinput"):  # the controller, once
        session.config._user_data_before = _snapshot(Path(checkout))


def pytest_sessionfinish(session, exitstatus):
    """Under ``tests/sandbox.py``: the user's data/processed and reports must be as they were."""
    before = getattr(session.config, "_user_data_before", None)
    if before is None:
        return
    after = _snapshot(Path(os.environ["KHUYENCONG_TEST_CHECKOUT"]))
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        print(f"\nERROR: the tests changed the user's data/processed or reports: {changed[:10]}", file=sys.stderr)
        session.exitstatus = 1
