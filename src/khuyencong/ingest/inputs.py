"""Which raw files feed each processed table: the declaration ``data/raw/inputs.yml``.

Each of ``register``, ``survey``, ``plans`` and ``province_stats`` is declared as a list of files or
folders (relative to ``data/raw/``), ``demo`` (the SYNTHETIC demo files of that table) or ``none``
(no such data: an empty table, and the reports say so). Without the file, or when it declares no
real file, every table comes from the demo set. Once one table is fed by real files, every table
must be declared, so that demo data never fill in for a table nobody mentioned.

A table declared ``none`` is built from its blank Excel form in ``data/raw/templates/`` (zero rows),
so the processed set holds an empty table rather than an earlier build's.
"""
from __future__ import annotations

import os

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from khuyencong import paths
from khuyencong.errors import ConfigurationError
from khuyencong.files import load_yaml
from khuyencong.ingest.clean import REAL, SYNTHETIC, data_status_for
from khuyencong.ingest.mapping import mapping_path
from khuyencong.ingest.templates import TEMPLATE_NAMES
from khuyencong.ingest.validate import expand_paths

NAME = "inputs.yml"
TABLES = ("register", "survey", "plans", "province_stats")
DEMO, NONE = "demo", "none"
EXAMPLE = ("register:\n  - my_register.xlsx   # path relative to data/raw/\n"
           "survey: none         # no such data: the reports say so\n"
           "plans: none\nprovince_stats: demo # the SYNTHETIC demo files, shown as SYNTHETIC")


def inputs_path() -> Path:
    """``data/raw/inputs.yml``."""
    return paths.raw_dir() / NAME


@dataclass(frozen=True)
class Declaration:
    """Where each analysed table comes from: ``kinds[t]`` is ``"files"``, ``demo`` or ``none``."""

    source: str                            # "data/raw/inputs.yml" or a sentence saying it is the default
    kinds: dict[str, str]
    files: dict[str, list[Path]]

    @property
    def all_demo(self) -> bool:
        return all(kind == DEMO for kind in self.kinds.values())

    def clean_inputs(self) -> dict[str, list[Path]] | None:
        """The ``inputs`` of :func:`khuyencong.ingest.clean.clean_all` (None: the whole demo set)."""
        if self.all_demo:
            return None
        return {t: self.files[t] for t in TABLES}


def _as_given(path: Path) -> str:
    """``path`` relative to the project as written, links not followed (``relative_to_root`` resolves them)."""
    return os.path.relpath(path.absolute(), paths.project_root())


def _error(key: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"{paths.relative_to_root(inputs_path())}: {key}: {what}")


def _demo_files(table: str) -> list[Path]:
    """The demo set's files of ``table`` (named ``SYNTHETIC_<table>...`` by the generator)."""
    found = [p for p in expand_paths([paths.demo_dir()]) if p.name.startswith(f"SYNTHETIC_{table}")]
    if not found:
        raise _error(table, f"`demo` but {paths.relative_to_root(paths.demo_dir())} holds no SYNTHETIC_{table} "
                            "file; run `khuyencong demo` or declare real files")
    return found


def blank_form(table: str) -> Path:
    """The blank Excel form of ``table`` (zero data rows): the input of a table declared ``none``."""
    path = paths.raw_dir() / "templates" / TEMPLATE_NAMES[table]
    if not path.is_file():
        raise _error(table, f"`none` needs the blank form {paths.relative_to_root(path)}; "
                            "run `khuyencong templates` to write it")
    return path


def _short(text: str, keep: int = 80) -> str:
    return text if len(text) <= keep else f"{text[:keep]}… ({len(text):,} characters)"


def _resolved(table: str, raw: Path, item: str) -> Path:
    """``data/raw/<item>`` with its links followed; a name too long for the file system or a loop of
    links is an error naming the entry, not a traceback."""
    try:
        path = (raw / item).resolve()
        path.exists()
        return path
    except RuntimeError:  # Python 3.11: "Symlink loop"
        raise _error(table, f"{_short(item)!r}: its symbolic links point at each other in a loop; "
                            "declare the file itself") from None
    except OSError as exc:
        why = "a name in it is too long for the file system" if exc.errno == 36 else (exc.strerror or str(exc))
        if exc.errno == 40:
            why = "its symbolic links point at each other in a loop"
        raise _error(table, f"{_short(item)!r}: cannot be used as a path ({why}); declare a file inside data/raw/ "
                            "with a shorter name") from None


def _declared_files(table: str, value) -> list[Path]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise _error(table, f"expected a list of files (or `{DEMO}` / `{NONE}`), got {value!r}; e.g.\n{EXAMPLE}")
    raw = paths.raw_dir().resolve()
    out = []
    for item in items:
        path = _resolved(table, raw, item.strip())
        if raw not in path.parents:
            raise _error(table, f"{_short(item)!r} is not inside data/raw/; put the file there (with its provenance) "
                                "and give its path relative to data/raw/")
        if not path.exists():
            raise _error(table, f"{_short(item)!r}: no such file or folder in data/raw/")
        found = expand_paths([path])
        if not found:
            raise _error(table, f"{item!r}: the folder holds no table file")
        for file in found:  # a link inside a declared folder must not reach outside data/raw/
            real = file.resolve()
            if raw not in real.parents or not real.is_file():
                why = "is not a regular file" if raw in real.parents else "is a link leading outside data/raw/"
                raise _error(table, f"{_as_given(file)} {why} ({real}); declare files inside data/raw/")
        out += found
    return out


def _entry(table: str, value) -> tuple[str, list[Path]]:
    if isinstance(value, str) and value.strip().lower() in (DEMO, NONE):
        kind = value.strip().lower()
        return kind, (_demo_files(table) if kind == DEMO else [blank_form(table)])
    return "files", _declared_files(table, value)


def load(path: Path | None = None) -> Declaration:
    """The declaration in ``path`` (default ``data/raw/inputs.yml``); the demo set when it is absent."""
    path = path or inputs_path()
    default = Declaration("no data/raw/inputs.yml: the SYNTHETIC demo set", dict.fromkeys(TABLES, DEMO),
                          {t: [] for t in TABLES})
    if not path.exists() and not path.is_symlink():
        return default
    if not path.resolve().is_file():  # a link to /dev/zero, a folder, a broken link: never the demo set instead
        raise ConfigurationError(f"{_as_given(path)} is not a regular file; write the declaration "
                                 f"there, e.g.\n{EXAMPLE}")
    doc = load_yaml(path, paths.relative_to_root(path), ConfigurationError)
    if doc is None:
        return default
    if not isinstance(doc, dict):
        raise ConfigurationError(f"{paths.relative_to_root(path)}: expected one key per table "
                                 f"({', '.join(TABLES)}), e.g.\n{EXAMPLE}")
    unknown = [str(k) for k in doc if k not in TABLES]
    if unknown:
        raise _error(unknown[0], f"unknown key; the tables are {', '.join(TABLES)}")
    entries = {t: _entry(t, doc[t]) for t in TABLES if t in doc}
    missing = [t for t in TABLES if t not in doc]
    if missing and any(kind == "files" for kind, _ in entries.values()):
        real = ", ".join(t for t, (kind, _) in entries.items() if kind == "files")
        raise _error(", ".join(missing), f"not declared while {real} comes from real files; the demo set is not "
                     f"used in its place unless you say so. Declare each as a list of files, `{NONE}` (no such "
                     f"data: the reports say so) or `{DEMO}` (the SYNTHETIC demo files), e.g.\n{EXAMPLE}")
    kinds = {t: entries.get(t, (DEMO, []))[0] for t in TABLES}
    files = {t: entries[t][1] if t in entries else _demo_files(t) for t in TABLES}
    return Declaration(paths.relative_to_root(path), kinds, files)


# ---------------------------------------------------------------- what was used

def table_status(files: list[str]) -> str:
    """SYNTHETIC when any file of the table is demo data, else REAL."""
    return SYNTHETIC if any(data_status_for(f) == SYNTHETIC for f in files) else REAL


def describe(declaration: Declaration, accounting: pd.DataFrame) -> list[str]:
    """One line per table (where it came from, its status, rows kept/rejected), then one per file.

    ``accounting``: the ``row_accounting.csv`` of the build (columns of :data:`clean.ACCOUNTING_COLUMNS`).
    """
    lines = [f"inputs: {declaration.source}"]
    for table in TABLES:
        rows = accounting.loc[accounting["dataset"] == table]
        if declaration.kinds[table] == NONE:
            lines.append(f"{table}: none declared — empty table; the reports say where it is missing")
            continue
        if rows.empty:
            lines.append(f"{table}: no file read")
            continue
        kept, rejected = int(rows["rows_kept"].sum()), int(rows["rows_rejected"].sum())
        lines.append(f"{table}: {table_status(list(rows['file']))}, {len(rows)} file(s), "
                     f"{kept} rows kept, {rejected} rejected")
        for r in rows.itertuples():
            mapped = mapping_path(paths.project_root() / r.file)
            via = f", mapping {mapped.name}" if mapped.exists() else ""
            lines.append(f"    {r.file} ({data_status_for(r.file)}{via}): {int(r.rows_read)} read = "
                         f"{int(r.rows_kept)} kept + {int(r.rows_rejected)} rejected + {int(r.rows_structure)} structure")
    return lines
