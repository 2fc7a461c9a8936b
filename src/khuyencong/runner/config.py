"""``reports.yml``: which notebooks run for which provinces, years, boundaries and languages.

The matrix is notebook × province × language × boundaries. Provinces come from the registry and
their folder names (slugs) from its ASCII names, never from what a user typed; every output path
is checked to stay inside ``reports/``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.errors import ConfigurationError

CONFIG_NAME = "reports.yml"
NATIONAL_SLUG = provinces.ALL
SCOPES = ("national", "provinces")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_KERNEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # Jupyter kernel names
_SCALAR = (str, int, float, bool, type(None))
_RESERVED_PARAMS = {"province", "start_year", "end_year", "boundaries", "lang", "processed_dir", "output_dir"}
# Headlines the province map can be coloured by (``map_headline:``); the first is the default.
MAP_HEADLINES = ("cofunding_ratio", "productivity_effect", "cost_per_trainee", "plan_attainment_trainees")
# Tables shared by many runs that ``khuyencong run`` computes once, under its lock, before the runs
# of the notebooks that list them under ``shared:`` (``area_tables``: analysis.area_tables).
SHARED_TABLES = ("area_tables",)


class ConfigError(ConfigurationError):
    """reports.yml (or a command-line filter) asks for something that cannot be run."""


class Place(NamedTuple):
    """A report's place: the country (``code`` None) or one province of the registry."""

    code: str | None                 # GSO code on the run's boundaries
    name: str                        # registry name, or "all"
    slug: str                        # folder name, from the registry's ASCII name
    name_en: str | None = None


NATIONAL = Place(None, NATIONAL_SLUG, NATIONAL_SLUG)


@dataclass(frozen=True)
class NotebookSpec:
    name: str
    scope: str                       # "national" or "provinces"
    inputs: tuple[str, ...]          # processed tables; province runs hash only that province's rows
    whole_inputs: tuple[str, ...]    # tables a province run depends on entirely (e.g. comparisons)
    title: dict[str, str]
    parameters: dict[str, Any]
    formats: tuple[str, ...] = ("html",)  # outputs of its runs (runner.exports); reports.yml's formats by default
    shared: tuple[str, ...] = ()      # of SHARED_TABLES: computed once before its runs

    @property
    def path(self) -> Path:
        return paths.notebooks_dir() / f"{self.name}.ipynb"


@dataclass(frozen=True)
class Config:
    start_year: int
    end_year: int
    boundaries: tuple[str, ...]
    languages: tuple[str, ...]
    provinces: Any                   # "all" or a list of names/codes
    timeout: int
    kernel: str
    notebooks: tuple[NotebookSpec, ...]
    path: Path | None = None         # the file read
    source: str = CONFIG_NAME        # the same, as shown in the manifest
    formats: tuple[str, ...] = ("html",)  # default outputs of a notebook's runs (runner.exports)
    map_headline: str = MAP_HEADLINES[0]  # the headline the province map is coloured by


@dataclass(frozen=True)
class Run:
    notebook: NotebookSpec
    code: str | None                 # GSO code on ``boundaries``; None = national overview
    name: str                        # registry name, or "all"
    slug: str
    lang: str
    boundaries: str
    start_year: int
    end_year: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rel_dir(self) -> str:
        """Output folder relative to ``reports/``."""
        parts = ([] if self.boundaries == "2025" else ["legacy"]) + [self.lang, self.slug, self.notebook.name]
        return "/".join(parts)

    @property
    def code_column(self) -> str:
        """The column of the processed tables that holds ``code``."""
        return provinces.code_column(self.boundaries)

    def formats(self, override: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """What this run produces: ``override`` (``--formats``) or its notebook's formats."""
        return tuple(override) if override else self.notebook.formats

    @property
    def run_id(self) -> str:
        return ".".join((self.boundaries, self.lang, self.slug, self.notebook.name))

    @property
    def label(self) -> str:
        return self.rel_dir

    def parameters(self) -> dict[str, Any]:
        """Papermill parameters (``output_dir`` is filled in by the runner). The province goes as the
        code the runner resolved, with its boundaries, so the notebook resolves nothing by name again."""
        return {"province": self.code or provinces.ALL, "start_year": self.start_year, "end_year": self.end_year,
                "boundaries": self.boundaries, "lang": self.lang, "processed_dir": None,
                **self.extra}


# ---------------------------------------------------------------- reading

def config_path() -> Path:
    return paths.project_root() / CONFIG_NAME


def _list(value, what: str) -> tuple:
    if isinstance(value, (str, int)):
        return (value,)
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{CONFIG_NAME}: {what} must be a value or a non-empty list, got {value!r}")
    return tuple(value)


def _names(value: Any, what: str) -> tuple[str, ...]:
    """A list of table names (a single name is accepted)."""
    value = value or ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of table names, got {value!r}")
    return tuple(value)


def _formats(value: Any, what: str, name: str | None = None) -> tuple[str, ...]:
    """Checked formats; a Word version only for the notebooks that have one."""
    from khuyencong.runner.exports import BRIEF_NOTEBOOKS, check_formats

    formats = check_formats(_list(value, what), lambda m: ConfigError(f"{CONFIG_NAME}: {what}: {m}"))
    if name is not None and "docx" in formats and name not in BRIEF_NOTEBOOKS:
        raise ConfigError(f"{CONFIG_NAME}: {what}: only {', '.join(BRIEF_NOTEBOOKS)} has a Word (docx) "
                          f"version; remove docx here")
    return formats


def _notebook(block: Any, index: int, default_formats: tuple[str, ...] = ("html",)) -> NotebookSpec:
    where = f"{CONFIG_NAME}: notebooks[{index}]"
    if not isinstance(block, dict) or "name" not in block:
        raise ConfigError(f"{where} must be a mapping with at least 'name' (the notebook file stem)")
    unknown = set(block) - {"name", "scope", "inputs", "whole_inputs", "title", "parameters", "formats", "shared"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    name = str(block["name"])
    if not _NAME_RE.fullmatch(name):
        raise ConfigError(f"{where}: notebook name {name!r} must be a plain file stem (letters, digits, _ and -)")
    scope = block.get("scope", "provinces")
    if scope not in SCOPES:
        raise ConfigError(f"{where} ({name}): scope must be one of {SCOPES}, not {scope!r}")
    from khuyencong.analysis.tables import BUILD_HINT  # light module: no pandas import at call time needed

    inputs = _names(block.get("inputs"), f"{where} ({name}): inputs")
    whole = _names(block.get("whole_inputs"), f"{where} ({name}): whole_inputs")
    bad = [t for t in (*inputs, *whole) if t not in BUILD_HINT]
    if bad:
        raise ConfigError(f"{where} ({name}): unknown input table(s) {bad}; known: {sorted(BUILD_HINT)}")
    shared = _names(block.get("shared"), f"{where} ({name}): shared")
    if set(shared) - set(SHARED_TABLES):
        raise ConfigError(f"{where} ({name}): unknown shared table(s) {sorted(set(shared) - set(SHARED_TABLES))}; "
                          f"known: {list(SHARED_TABLES)}")
    params = block.get("parameters") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where} ({name}): parameters must be a mapping (name: value), got {params!r}")
    clash = _RESERVED_PARAMS & set(params)
    if clash or not all(isinstance(v, _SCALAR) for v in params.values()):
        raise ConfigError(f"{where} ({name}): parameters must be plain values and cannot set {sorted(_RESERVED_PARAMS)}")
    title = block.get("title") or {}
    if isinstance(title, str):
        title = {"vi": title, "en": title}
    if not isinstance(title, dict):
        raise ConfigError(f"{where} ({name}): title must be text or a mapping {{vi: ..., en: ...}}, got {title!r}")
    formats = _formats(block["formats"], f"notebooks[{index}] ({name}): formats", name) if "formats" in block \
        else default_formats
    return NotebookSpec(name, scope, inputs, whole, {k: str(v) for k, v in title.items()}, params, formats, shared)


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ConfigError(f"{CONFIG_NAME}: {what} must be a whole number, got {value!r}")
    return int(value)


def _read(path: Path) -> dict:
    """The mapping in ``path``: missing, unreadable, unsafe or non-mapping files give a ConfigError."""
    from khuyencong.files import load_yaml

    shown = paths.relative_to_root(path)
    if not path.is_file():
        raise ConfigError(f"{shown} is missing (or not a file): it lists the notebooks to run (see README)")
    data = load_yaml(path, shown, ConfigError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{shown} must be a mapping of settings (years:, languages:, notebooks: ...), "
                          f"not a {type(data).__name__}; see the comments in the project's reports.yml")
    return data


def load_config(path: Path | None = None) -> Config:
    """Read and check ``reports.yml``; errors say which key is wrong and what is allowed."""
    from khuyencong.core.datasets import YEAR_MAX, YEAR_MIN
    from khuyencong.core.i18n import LANGS

    path = Path(path or config_path())
    data = _read(path)
    years = tuple(_int(y, "years") for y in _list(data.get("years", [2012, 2024]), "years"))
    if len(years) != 2 or not (YEAR_MIN <= years[0] <= years[1] <= YEAR_MAX):
        raise ConfigError(f"{CONFIG_NAME}: years must be [start, end] within {YEAR_MIN}..{YEAR_MAX}, "
                          f"got {list(years)!r}")
    boundaries = tuple(str(b) for b in _list(data.get("boundaries", ["2025"]), "boundaries"))
    langs = tuple(str(x) for x in _list(data.get("languages", list(LANGS)), "languages"))
    for value, allowed, what in ((boundaries, ("2025", "legacy"), "boundaries"), (langs, LANGS, "languages")):
        if not set(value) <= set(allowed):
            raise ConfigError(f"{CONFIG_NAME}: {what} must be among {allowed}, got {list(value)}")
    blocks = data.get("notebooks") or []
    if not isinstance(blocks, list):
        raise ConfigError(f"{CONFIG_NAME}: 'notebooks' must be a list of blocks (- name: ...), got {blocks!r}")
    from khuyencong.runner.exports import DEFAULT_FORMATS

    formats = _formats(data.get("formats", list(DEFAULT_FORMATS)), "formats")
    notebooks = tuple(_notebook(b, i, formats) for i, b in enumerate(blocks))
    if not notebooks:
        raise ConfigError(f"{CONFIG_NAME}: 'notebooks' lists nothing to run")
    names = [nb.name for nb in notebooks]
    if len(set(names)) != len(names):
        raise ConfigError(f"{CONFIG_NAME}: a notebook is listed twice: {names}")
    timeout = _int(data.get("timeout", 600), "timeout (seconds per cell)")
    if timeout <= 0:
        raise ConfigError(f"{CONFIG_NAME}: timeout (seconds per cell) must be positive, got {timeout}")
    kernel = data.get("kernel", "khuyencong")
    if not isinstance(kernel, str) or not _KERNEL_RE.fullmatch(kernel):
        raise ConfigError(f"{CONFIG_NAME}: kernel must be a Jupyter kernel name (letters, digits, ., _ and -), "
                          f"got {kernel!r}")
    map_headline = data.get("map_headline", MAP_HEADLINES[0])
    if map_headline not in MAP_HEADLINES:
        raise ConfigError(f"{CONFIG_NAME}: map_headline must be one of {', '.join(MAP_HEADLINES)}, "
                          f"got {map_headline!r}")
    return Config(years[0], years[1], boundaries, langs, data.get("provinces", "all"),
                  timeout, kernel, notebooks, path, paths.relative_to_root(path), formats, map_headline)


# ---------------------------------------------------------------- provinces and slugs

def slugify(ascii_name: str) -> str:
    """``"Ha Noi"`` → ``"ha-noi"`` (registry ASCII names only)."""
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise ConfigError(f"cannot make a folder name from {ascii_name!r}")
    return slug


def _place(record) -> Place:
    return Place(record.code, record.name, slugify(record.name_ascii), record.name_en)


def resolve_province(text: Any, boundaries: str) -> tuple[Place, str]:
    """(place, note) of a province name/code on ``boundaries``; the words meaning "all" give the country.

    A legacy-only name on 2025 boundaries resolves to the province that absorbed it (``note``
    says so). Anything else unknown raises ConfigError, so no user text ever becomes a path.
    """
    try:
        record, merged = provinces.resolve(text, boundaries)
    except (provinces.ProvinceError, TypeError) as exc:
        raise ConfigError(f"province {text!r}: {exc}") from None
    if record is None:
        return NATIONAL, ""
    note = f"{merged.legacy.name} → {record.name} ({boundaries} boundaries)" if merged else ""
    return _place(record), note


def places(config: Config, boundaries: str) -> list[Place]:
    """The national overview and every configured province on ``boundaries`` (sorted by code)."""
    if provinces.means_all(config.provinces):
        chosen = [_place(p) for p in provinces.records(boundaries)]
    else:
        chosen = [resolve_province(p, boundaries)[0] for p in _list(config.provinces, "provinces")]
    unique = {p.code: p for p in chosen if p.code is not None}
    return [NATIONAL] + [unique[c] for c in sorted(unique)]


def build_matrix(config: Config) -> list[Run]:
    """Every run the config asks for, in a stable order (notebook, boundaries, lang, province)."""
    runs = []
    for nb in config.notebooks:
        if not nb.path.exists():
            raise ConfigError(f"{CONFIG_NAME} lists {nb.name!r} but notebooks/{nb.name}.ipynb does not exist; "
                              "add the notebook or remove its block")
        for boundaries in config.boundaries:
            chosen = places(config, boundaries)
            if nb.scope == "national":
                chosen = chosen[:1]
            for lang in config.languages:
                for place in chosen:
                    runs.append(Run(nb, place.code, place.name, place.slug, lang, boundaries,
                                    config.start_year, config.end_year, nb.parameters))
    for run in runs:
        inside_reports(run.rel_dir)
    return runs


def select(runs: list[Run], province_texts: list[str] | None = None, notebooks: list[str] | None = None,
           langs: list[str] | None = None) -> tuple[list[Run], list[str]]:
    """Runs matching the command-line filters, and notes on how province names were read."""
    notes: list[str] = []
    if notebooks:
        known = {r.notebook.name for r in runs}
        unknown = sorted(set(notebooks) - known)
        if unknown:
            raise ConfigError(f"--notebook {unknown}: not in {CONFIG_NAME} (known: {sorted(known)})")
        runs = [r for r in runs if r.notebook.name in notebooks]
    if langs:
        runs = [r for r in runs if r.lang in langs]
    if province_texts:
        wanted: set[tuple[str, str]] = set()
        for text in province_texts:
            for b in {r.boundaries for r in runs}:
                place, note = resolve_province(text, b)
                wanted.add((b, place.slug))
                if note:
                    notes.append(note)
        runs = [r for r in runs if (r.boundaries, r.slug) in wanted]
    return runs, notes


def inside_reports(rel: str | Path) -> Path:
    """``reports/<rel>`` resolved; ConfigError when it would land outside ``reports/``."""
    base = paths.reports_dir().resolve()
    target = (base / rel).resolve()
    if target == base or base not in target.parents:
        raise ConfigError(f"output path {str(rel)!r} would leave reports/; refusing to write there")
    return target
