"""Run the test suite in a sandbox copy of the project, never in the user's own data.

``make test`` and ``make test-slow`` call ``python tests/sandbox.py PYTEST_ARGS…``. The sandbox
(``.test-sandbox/``, gitignored) holds ``data/raw`` as committed (the demo set, templates, official
statistics, published figures) without the user's ``data/raw/inputs.yml`` and without files not in
those folders, its own ``data/processed`` built from that demo set, its own ``reports/``, and links to
the checkout's ``notebooks/`` and ``tests/``. The tests and nbval then run with ``KHUYENCONG_ROOT`` pointing at it, so a
user who declared their own files keeps their ``data/processed/`` and ``reports/`` byte for byte
(``conftest.py`` checks it at the end of the session) and the notebooks' stored outputs, made on the
demo set, are compared with the demo set.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
SANDBOX = CHECKOUT / ".test-sandbox"
#: What of data/raw the sandbox copies: the committed inputs the notebooks' stored outputs were made from.
RAW_KEPT = ("demo", "templates", "official", "provenance.yml", "published_figures.csv", "published_figures_SOURCES.md",
            "README.md")
CHECKOUT_ENV = "KHUYENCONG_TEST_CHECKOUT"  # tells conftest.py which checkout must stay untouched


def prepare(checkout: Path = CHECKOUT, sandbox: Path = SANDBOX) -> Path:
    """Make ``sandbox`` a copy of ``checkout``'s committed inputs (raw data replaced each time, processed
    data kept between runs: it is rebuilt when the raw inputs or the code change)."""
    raw = sandbox / "data" / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    for name in RAW_KEPT:
        source = checkout / "data" / "raw" / name
        if source.is_dir():
            shutil.copytree(source, raw / name)
        elif source.is_file():
            shutil.copy2(source, raw / name)
    (sandbox / "data" / "processed").mkdir(exist_ok=True)
    (sandbox / "reports").mkdir(exist_ok=True)
    shutil.copy2(checkout / "reports.yml", sandbox / "reports.yml")
    for folder in ("notebooks", "tests"):  # read where they are (tests find their fixtures from the root too)
        link = sandbox / folder
        if not link.is_symlink():
            shutil.rmtree(link, ignore_errors=True)
            link.symlink_to(checkout / folder, target_is_directory=True)
    return sandbox


def environment(checkout: Path = CHECKOUT, sandbox: Path = SANDBOX) -> dict[str, str]:
    """The environment of the tests: the sandbox as the project, ``../shared`` beside the checkout."""
    env = {**os.environ, "KHUYENCONG_ROOT": str(sandbox), CHECKOUT_ENV: str(checkout)}
    shared = checkout.parent / "shared"
    if shared.is_dir() and "KHUYENCONG_SHARED" not in os.environ:
        env["KHUYENCONG_SHARED"] = str(shared)
    return env


def main(pytest_args: list[str]) -> int:
    sandbox = prepare()
    env = environment()
    bin_dir = Path(sys.executable).parent
    for step in ("published", "official", "clean"):  # what `make data` builds, from the demo set
        done = subprocess.run([str(bin_dir / "khuyencong"), step], env=env, cwd=CHECKOUT)
        if done.returncode:
            print(f"sandbox: `khuyencong {step}` failed in {sandbox.relative_to(CHECKOUT)}/", file=sys.stderr)
            return done.returncode
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=CHECKOUT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
