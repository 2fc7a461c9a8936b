"""The conda route (environment.yml), pyproject.toml and requirements.lock describe one environment."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda splits dask[distributed] into two packages; names otherwise match PyPI's.
CONDA_EQUIVALENTS = {"dask[distributed]": {"dask", "distributed"}}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        names |= CONDA_EQUIVALENTS.get(_name(req), {_name(req)})
    return names


def _environment_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(p) for p in dep["pip"] if not p.startswith("-")}
        elif dep != "pip" and not dep.startswith("python="):
            names.add(_name(dep))
    return names


def test_environment_yml_matches_pyproject():
    assert _environment_names() == _pyproject_names()


def test_lock_pins_every_dependency_exactly():
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pinned[name.lower().replace("_", "-")] = version
    missing = {n for n in _pyproject_names() if n.replace("_", "-") not in pinned}
    assert not missing, f"requirements.lock lacks {sorted(missing)}: run `make lock`"
