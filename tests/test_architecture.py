"""The architecture rules of ARCHITECTURE.md: import contracts, module size, docstrings, test layout.

The contracts themselves live in ``[tool.importlinter]`` of pyproject.toml; ``lint-imports`` runs
them here so that ``make test`` enforces them, and a planted copy of the package proves that each
contract really fails when broken.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "khuyencong"
MAX_LINES = 450
# Modules allowed over MAX_LINES because they are declarative data (tables, texts), not logic:
# path relative to src/khuyencong → reason. Each entry must exist and still need the exemption.
DECLARATIVE: dict[str, str] = {}


def _lint_imports(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    pytest.importorskip("importlinter")
    command = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(command), "--no-cache", "--no-logo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def test_import_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ the contracts catch what they should

PLANTED = {
    "synthetic/planted_generator.py": '"""A generator module, whatever it is called."""\n',
    "analysis/planted_reader.py": '"""Reads the generator."""\nimport khuyencong.synthetic.planted_generator\n',
    "core/planted_upward.py": '"""Imports upward."""\nimport khuyencong.runner\n',
    "planted_top.py": '"""A top-level module in no layer."""\n',
}
EXPECTED = {  # contract id → what its report must name
    "layers": ["khuyencong.core.planted_upward -> khuyencong.runner", "khuyencong.planted_top"],
    "synthetic-truth-only": ["khuyencong.analysis.planted_reader -> khuyencong.synthetic.planted_generator"],
    "truth-standalone": ["khuyencong.synthetic.truth -> khuyencong.synthetic.planted_generator"],
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A copy of the package and pyproject.toml with one violation of each contract planted."""
    root = tmp_path_factory.mktemp("planted")
    copy = root / "src" / "khuyencong"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for relative, text in PLANTED.items():
        (copy / relative).write_text(text, encoding="utf-8")
    with (copy / "synthetic" / "truth.py").open("a", encoding="utf-8") as truth:
        truth.write("\nimport khuyencong.synthetic.planted_generator  # planted\n")
    return root


@pytest.mark.parametrize("contract", sorted(EXPECTED))
def test_contract_fails_on_a_planted_violation(planted, contract):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(planted / "src")}  # the copy, not the install
    result = _lint_imports(planted, "--contract", contract, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    for violation in EXPECTED[contract]:
        assert violation in result.stdout, result.stdout


# ------------------------------------------------------------------ size, docstrings, test layout

def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_over_the_line_limit_except_declarative_data():
    lines = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    too_long = {name: n for name, n in lines.items() if n > MAX_LINES and name not in DECLARATIVE}
    assert not too_long, f"split these modules (limit {MAX_LINES} lines): {too_long}"
    stale = {name for name in DECLARATIVE if lines.get(name, 0) <= MAX_LINES}
    assert not stale, f"no longer needed in DECLARATIVE: {stale}"


def test_every_package_and_module_has_a_docstring():
    missing = [str(p.relative_to(PACKAGE)) for p in _modules()
               if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing, f"add a docstring saying what these hold: {missing}"


def test_tests_mirror_the_subpackages():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    test_dirs = {p.name for p in (ROOT / "tests").iterdir()
                 if p.is_dir() and p.name not in ("fixtures", "__pycache__")}
    assert test_dirs <= subpackages, f"tests/ folders with no matching subpackage: {test_dirs - subpackages}"


def test_architecture_md_names_every_module():
    """ARCHITECTURE.md says what each module holds: a new or renamed module needs its line there."""
    named = set(re.findall(r"`([\w.]+)`", (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")))
    missing = [str(p.relative_to(PACKAGE)) for p in _modules()
               if p.name != "__init__.py" and p.stem not in named and p.name not in named]
    assert not missing, f"add a line to ARCHITECTURE.md for: {missing}"


def test_no_import_circle_between_modules():
    """Issue 22: views/figure_cache and views/plots imported each other. No module may reach itself
    through its imports (lazy imports inside functions count too)."""
    import grimp

    graph = grimp.build_graph("khuyencong")
    circles = sorted((a, b) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
                     if a < b and graph.chain_exists(importer=b, imported=a))
    assert not circles, circles
