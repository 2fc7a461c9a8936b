"""Provenance of every file under ``data/raw/``: where it came from, its licence and its checksum.

Records live in ``data/raw/provenance.yml``, one entry per file, keyed by the file's path
relative to ``data/raw`` (POSIX separators)::

    files:
      published_figures.csv:
        source: ...        # where the content came from (articles, generator script, agency)
        created: 'YYYY-MM-DD'   # or ``retrieved:`` for files downloaded as they are
        licence: ...
        description: ...
        sha256: ...        # computed by record_file(), never typed by hand

Covered: every file under ``data/raw`` (templates in ``data/raw/templates/`` included, so an
accidental edit of a template is caught) except ``README.md`` files (documentation, tracked by
git), ``provenance.yml`` itself and dotfiles (``.gitkeep``, temporaries of atomic writes).

Add or refresh a record with :func:`record_file` (or ``khuyencong provenance record PATH
--source ... --licence ... --description ... --created YYYY-MM-DD``); generators (the demo set,
the templates) use :func:`record_generated`. List problems with :func:`check`.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from khuyencong import paths
from khuyencong.files import atomic_write_text, sha256_file
from khuyencong.errors import InputError

PROVENANCE_NAME = "provenance.yml"
EXCLUDED_NAMES = frozenset({"README.md", PROVENANCE_NAME, "inputs.yml"})  # inputs.yml declares, it is not data
REQUIRED_FIELDS = ("source", "licence", "description")
DATE_FIELDS = ("created", "retrieved")
OPTIONAL_FIELDS = ("url", "generator", "note")
KNOWN_FIELDS = frozenset(REQUIRED_FIELDS + DATE_FIELDS + OPTIONAL_FIELDS + ("sha256",))
NEWS_LICENCE = "facts transcribed; article text © the outlet, not redistributed"
GENERATED_LICENCE = "MIT (synthetic data invented by the project's generator)"

_HEADER = (
    "# Provenance of every file under data/raw/ (see khuyencong.ingest.provenance).\n"
    "# Written by khuyencong.ingest.provenance.record_file(); sha256 is computed, never typed.\n"
    "# A test fails when a file has no record, a checksum is stale or a record has no file.\n"
)


class ProvenanceError(InputError):
    """The provenance file or a record is malformed, or a path cannot be recorded."""


def provenance_path(raw_dir: Path | str | None = None) -> Path:
    return _raw(raw_dir) / PROVENANCE_NAME


def _raw(raw_dir: Path | str | None) -> Path:
    return Path(raw_dir) if raw_dir is not None else paths.raw_dir()


def is_covered(rel_path: str) -> bool:
    """Whether a path relative to data/raw needs a provenance record."""
    parts = Path(rel_path).parts
    return parts[-1] not in EXCLUDED_NAMES and not any(p.startswith(".") for p in parts)


def covered_files(raw_dir: Path | str | None = None) -> list[str]:
    """Relative POSIX paths of the files under ``raw_dir`` that need a record, sorted."""
    root = _raw(raw_dir)
    if not root.is_dir():
        return []
    rels = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(r for r in rels if is_covered(r))


def load_records(raw_dir: Path | str | None = None) -> dict[str, dict[str, str]]:
    """Records keyed by relative path; an absent provenance file means no records."""
    path = provenance_path(raw_dir)
    if not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProvenanceError(f"{path.name}: not valid YAML ({exc}); fix or regenerate it") from exc
    files = doc.get("files", {}) if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        raise ProvenanceError(f"{path.name}: expected a mapping 'files: {{relative path: record}}'")
    return {str(rel): _clean_record(str(rel), rec) for rel, rec in files.items()}


def _clean_record(rel: str, rec: object) -> dict[str, str]:
    if not isinstance(rec, dict):
        raise ProvenanceError(f"{PROVENANCE_NAME}: record for {rel!r} must be a mapping of fields")
    # YAML turns unquoted dates into date objects; records hold plain strings.
    return {str(k): str(v) for k, v in rec.items() if v is not None}


def record_problems(rel: str, rec: dict[str, str]) -> list[str]:
    """What is missing or unknown in one record (empty list when complete)."""
    problems = [f"{rel}: record lacks field {f!r}" for f in REQUIRED_FIELDS if not rec.get(f)]
    if not any(rec.get(f) for f in DATE_FIELDS):
        problems.append(f"{rel}: record needs a date: 'created' or 'retrieved' (YYYY-MM-DD)")
    if not rec.get("sha256"):
        problems.append(f"{rel}: record has no sha256; re-record it with record_file()")
    unknown = sorted(set(rec) - KNOWN_FIELDS)
    if unknown:
        problems.append(f"{rel}: unknown field(s) {unknown}; allowed: {sorted(KNOWN_FIELDS)}")
    return problems


def check(raw_dir: Path | str | None = None) -> list[str]:
    """Problems with data/raw provenance: missing/incomplete records, stale checksums, orphans."""
    root = _raw(raw_dir)
    try:
        records = load_records(root)
    except ProvenanceError as exc:
        return [str(exc)]
    files = covered_files(root)
    problems: list[str] = []
    for rel in files:
        rec = records.get(rel)
        if rec is None:
            problems.append(
                f"{rel}: no provenance record; add one with khuyencong.ingest.provenance.record_file("
                f"path, source=..., licence=..., description=..., created='YYYY-MM-DD')"
            )
            continue
        problems.extend(record_problems(rel, rec))
        actual = sha256_file(root / rel)
        if rec.get("sha256") and rec["sha256"] != actual:
            problems.append(
                f"{rel}: checksum differs from its record (recorded {rec['sha256'][:12]}…, file "
                f"{actual[:12]}…); if the change is intended, re-record it with record_file()"
            )
    for rel in sorted(set(records) - set(files)):
        problems.append(f"{rel}: record for a file that does not exist (or is excluded); remove it")
    return problems


def record_file(path: Path | str, *, raw_dir: Path | str | None = None, **fields: str) -> dict[str, str]:
    """Add or update the record of ``path`` (absolute, or relative to data/raw); returns it.

    ``fields`` are merged into any existing record; sha256 is always recomputed. A new record
    needs source, licence, description and created or retrieved.
    """
    root = _raw(raw_dir).resolve()
    rel = _relative(Path(path), root)
    if "sha256" in fields:
        raise ProvenanceError("sha256 is computed by record_file(); do not pass it")
    records = load_records(root)
    rec = {**records.get(rel, {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    rec["sha256"] = sha256_file(root / rel)
    problems = record_problems(rel, rec)
    if problems:
        raise ProvenanceError("; ".join(problems))
    records[rel] = rec
    _write(root, records)
    return rec


def _relative(path: Path, root: Path) -> str:
    full = (path if path.is_absolute() else root / path).resolve()
    try:
        rel = full.relative_to(root).as_posix()
    except ValueError:
        raise ProvenanceError(f"{path}: not under {root.name}/; only raw files get records") from None
    if not full.is_file():
        raise ProvenanceError(f"{rel}: no such file; write the file before recording it")
    if not is_covered(rel):
        raise ProvenanceError(f"{rel}: README.md, provenance.yml and dotfiles are not recorded")
    return rel


def _write(root: Path, records: dict[str, dict[str, str]]) -> None:
    ordered = {rel: dict(sorted(records[rel].items())) for rel in sorted(records)}
    body = yaml.safe_dump({"files": ordered}, allow_unicode=True, sort_keys=False, width=1000)
    atomic_write_text(root / PROVENANCE_NAME, _HEADER + body)


def is_under_raw(path: Path | str, raw_dir: Path | str | None = None) -> bool:
    """Whether ``path`` lies under data/raw (so files written there need a record)."""
    try:
        Path(path).resolve().relative_to(_raw(raw_dir).resolve())
        return True
    except ValueError:
        return False


def record_generated(path: Path | str, *, source: str, generator: str, description: str) -> dict[str, str]:
    """Record a file written by one of the project's generators; ``created`` changes only when the bytes do."""
    root = _raw(None).resolve()
    rel = _relative(Path(path), root)
    old = load_records(root).get(rel, {})
    unchanged = old.get("sha256") == sha256_file(root / rel) and old.get("created")
    return record_file(root / rel, raw_dir=root, source=source, generator=generator, licence=GENERATED_LICENCE,
                       description=description, created=old["created"] if unchanged else date.today().isoformat())
