"""The one module that knows where things live. Nothing else builds project paths by hand.

The project root is found from the KHUYENCONG_ROOT environment variable when set
(tests and scheduled jobs point it at a scratch copy), otherwise from this file's
location in the source checkout (``src/khuyencong/paths.py``).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"


def project_root() -> Path:
    env = os.environ.get("KHUYENCONG_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parents[1]


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def demo_dir() -> Path:
    return raw_dir() / "demo"


def processed_dir() -> Path:
    return project_root() / "data" / "processed"


def derived_dir() -> Path:
    """``data/processed/derived``: numbers computed from the processed tables, cached by content hash."""
    return processed_dir() / "derived"


def rejected_dir() -> Path:
    return processed_dir() / "rejected"


def reports_dir() -> Path:
    return project_root() / "reports"


def state_dir() -> Path:
    """``reports/.state``: run records, logs and the hash cache of the build and the report runner."""
    return reports_dir() / ".state"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def shared_dir() -> Path | None:
    """``../shared`` beside the checkout (real articles and GSO/MOF files), or None when absent."""
    env = os.environ.get("KHUYENCONG_SHARED")
    candidate = Path(env) if env else project_root().parent / "shared"
    return candidate if candidate.is_dir() else None


def relative_to_root(path: Path | str) -> str:
    """A path as shown to people and stored in outputs: relative to the project root when inside it."""
    p = Path(path).resolve()
    try:
        return p.relative_to(project_root()).as_posix()
    except ValueError:
        return p.name
