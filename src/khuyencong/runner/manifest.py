"""``reports/manifest.json``: what produced every report — code version, environment, inputs, timing."""
from __future__ import annotations

import json
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from khuyencong import paths
from khuyencong.files import atomic_write_text

KEY_PACKAGES = ("khuyencong", "pandas", "numpy", "pyarrow", "matplotlib", "statsmodels", "scipy",
                "papermill", "nbclient", "nbconvert", "ipykernel", "dask", "distributed")


def git_state() -> dict:
    """``{"commit": sha, "dirty": bool}`` of the project checkout, or nulls when it is not a git tree."""
    return dict(_git_state(paths.project_root()))


@lru_cache(maxsize=4)
def _git_state(root: Path) -> dict:

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=20).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            raise ValueError("project root is not the top of a git tree")
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


@lru_cache(maxsize=1)
def environment() -> dict:
    """Python, platform and versions of the packages that shape the outputs."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(terse=True), "packages": versions}


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed (``argv``: default ``sys.argv``), without the absolute path of the
    executable, and with absolute paths among the arguments (``--config /x/y``, ``--config=/x/y``)
    shown relative to the project root: the manifest is published."""
    def shown(arg: str) -> str:
        option, eq, value = arg.partition("=") if arg.startswith("-") else ("", "", arg)
        return option + eq + (paths.relative_to_root(value) if value.startswith("/") else value)

    return " ".join(["khuyencong", *(shlex.quote(shown(a)) for a in (sys.argv if argv is None else argv)[1:])])


def reproduce_command(notebook: str, parameters: dict, kernel: str) -> str:
    """A papermill command (run from ``notebooks/``) that re-creates one report."""
    args = ["papermill", f"{notebook}.ipynb", f"{notebook}.out.ipynb", "-k", kernel]
    for key, value in parameters.items():
        if isinstance(value, str):
            args += ["-r", key, value]  # raw: "2025" stays text
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            args += ["-p", key, str(value)]
        else:
            args += ["-y", f"{key}: {json.dumps(value)}"]
    return " ".join(shlex.quote(a) for a in args)


def write_manifest(records: list[dict], data_version: str, config: str, target: Path | None = None) -> Path:
    """All run records (sorted by run id) under a header describing this invocation."""
    target = Path(target or paths.reports_dir() / "manifest.json")
    doc = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command_line(),
        "config": config,
        "data_version": data_version,
        "git": git_state(),
        **environment(),
        "runs": sorted(records, key=lambda r: r["run_id"]),
    }
    atomic_write_text(target, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return target
