"""``data/processed/`` from ``data/raw/``: published figures, official statistics, then the cleaned datasets.

The cleaned datasets come from the files ``data/raw/inputs.yml`` declares (:mod:`khuyencong.ingest.inputs`;
the demo set without it); the build logs which files fed each table, their status and rows kept/rejected.
All are skipped when the raw files and the package are byte-identical to the last build,
recorded in ``data/processed/.raw_checksums.json`` (file hashes cached in ``reports/.state/``).
"""
from __future__ import annotations

import json
import logging

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.files import atomic_write_text
from khuyencong.ingest import inputs

log = logging.getLogger(__name__)

CHECKSUMS = ".raw_checksums.json"
PROCESSED_TABLES = ("published_figures", "official_stats", "register", "survey", "province_stats", "plans")
_NOT_INPUTS = ("templates",)  # blank Excel forms in data/raw/templates/ are not read by the build


def raw_key(cache: fp.HashCache) -> dict:
    """Checksums of everything the processed tables are built from: raw files and package code."""
    return {"raw": fp.tree_hash(cache, paths.raw_dir(), exclude=_NOT_INPUTS), "code": fp.package_hash(cache)}


def refresh_processed(force: bool = False) -> bool:
    """Rebuild data/processed unless its raw inputs and the code are unchanged; True when rebuilt."""
    declaration = inputs.load()  # a malformed declaration stops here, before anything is built
    cache = fp.HashCache(paths.state_dir())
    key = raw_key(cache)
    record = paths.processed_dir() / CHECKSUMS
    try:
        previous = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    complete = all((paths.processed_dir() / f"{t}.parquet").exists() for t in PROCESSED_TABLES)
    if previous == key and complete and not force:
        log.info("processed data: raw inputs and code unchanged — published + official + clean skipped")
        _log_inputs(declaration, _accounting())
        cache.save()
        return False
    from khuyencong.ingest.clean import clean_all
    from khuyencong.ingest.official import build_official
    from khuyencong.ingest.published import build_published

    record.unlink(missing_ok=True)  # a build interrupted below must not look up to date
    published = build_published()
    log.info("published figures: %d rows → %s/", len(published), paths.relative_to_root(paths.processed_dir()))
    build_official()  # logs its own line: values, files, output
    summary = clean_all(declaration.clean_inputs())
    log.info("%s", summary.format())
    _log_inputs(declaration, summary.accounting)
    atomic_write_text(record, json.dumps(key, indent=1, sort_keys=True) + "\n")
    cache.save()
    return True


def _accounting():
    """The row accounting of the processed set in force (None when it cannot be read)."""
    import pandas as pd

    try:
        return pd.read_csv(paths.processed_dir() / "row_accounting.csv", encoding="utf-8-sig")
    except (OSError, ValueError):
        return None


def _log_inputs(declaration: inputs.Declaration, accounting) -> None:
    if accounting is not None:
        log.info("%s", "\n".join(inputs.describe(declaration, accounting)))
