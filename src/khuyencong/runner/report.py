"""``make report``: processed data first (only when raw inputs or code changed), then ``khuyencong run``.

Read top to bottom: under the report lock, published figures → cleaned datasets (both skipped
when the raw files and the package are byte-identical to the last build, recorded in
``data/processed/.raw_checksums.json``) → the report matrix of ``reports.yml`` (incremental).
"""
from __future__ import annotations

import json

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.files import atomic_write_text
from khuyencong.runner.run import Options, run_reports, state_dir

CHECKSUMS = ".raw_checksums.json"
PROCESSED_TABLES = ("published_figures", "register", "survey", "province_stats", "plans")
_NOT_INPUTS = ("templates",)  # blank Excel forms in data/raw/templates/ are not read by the build


def raw_key(cache: fp.HashCache) -> dict:
    """Checksums of everything the processed tables are built from: raw files and package code."""
    return {"raw": fp.tree_hash(cache, paths.raw_dir(), exclude=_NOT_INPUTS), "code": fp.package_hash(cache)}


def refresh_processed(force: bool = False) -> bool:
    """Rebuild data/processed unless its raw inputs and the code are unchanged; True when rebuilt."""
    cache = fp.HashCache(state_dir())
    key = raw_key(cache)
    record = paths.processed_dir() / CHECKSUMS
    try:
        previous = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    complete = all((paths.processed_dir() / f"{t}.parquet").exists() for t in PROCESSED_TABLES)
    if previous == key and complete and not force:
        print("processed data: raw inputs and code unchanged — published + clean skipped", flush=True)
        cache.save()
        return False
    from khuyencong.ingest.clean import clean_all
    from khuyencong.ingest.published import build_published

    record.unlink(missing_ok=True)  # a build interrupted below must not look up to date
    published = build_published()
    print(f"published figures: {len(published)} rows → {paths.relative_to_root(paths.processed_dir())}/")
    print(clean_all().format(), flush=True)
    atomic_write_text(record, json.dumps(key, indent=1, sort_keys=True) + "\n")
    cache.save()
    return True


def build_reports(options: Options | None = None) -> int:
    """Processed data (if needed), then every changed report, the index and the manifest."""
    options = options or Options()
    return run_reports(options, prepare=None if options.dry_run else lambda: refresh_processed(options.force))
