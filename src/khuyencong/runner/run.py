"""``khuyencong run``: regenerate the report matrix of ``reports.yml`` — incremental, parallel, safe.

Read top to bottom: build the matrix → fingerprint each run and say why it runs or is skipped
(:mod:`~khuyencong.runner.plan`) → take ``reports/.lock`` → execute the changed runs in worker
processes or on a Dask cluster (:mod:`~khuyencong.runner.pool`), each into a staging folder →
publish each finished folder with a rename and write its record (:mod:`~khuyencong.runner.publish`)
→ rebuild ``manifest.json`` and the index pages.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.errors import EnvironmentProblem
from khuyencong.runner import config as runconfig
from khuyencong.runner import pool, publish
from khuyencong.runner.config import ConfigError, Run
from khuyencong.runner.execute import RunSpec
from khuyencong.runner.lock import RunLock
from khuyencong.runner.plan import Planned, data_version, input_tables, plan
from khuyencong.store import Recorded

log = logging.getLogger(__name__)


@dataclass
class Options:
    provinces: list[str] | None = None
    notebooks: list[str] | None = None
    langs: list[str] | None = None
    force: bool = False
    dry_run: bool = False
    workers: int | None = None
    scheduler: str | None = None
    timeout: int | None = None
    quiet: bool = False
    config: Path | None = None
    kernels: str | None = None       # "warm" or "fresh" (runner.kernels); default $KHUYENCONG_KERNELS, else warm
    formats: list[str] | None = None  # html, pdf, docx (runner.exports); default: reports.yml's formats
    boundaries: str | None = None     # "2025" or "legacy": run on these boundaries instead of reports.yml's


def run_reports(options: Options | None = None, prepare=None) -> int:
    """Regenerate what changed; 0 when every executed run succeeded, 1 when one failed.

    Raises :class:`~khuyencong.runner.lock.LockHeld` (exit code 3) when another run holds the
    lock. ``prepare`` (optional) is called under the lock before planning (``make report``
    rebuilds the processed data there).
    """
    options = options or Options()
    t0 = time.perf_counter()
    from khuyencong.runner.kernels import mode

    mode(options.kernels)  # a bad KHUYENCONG_KERNELS is said here (exit 2), not as a worker's traceback
    config = runconfig.load_config(options.config)
    if options.boundaries:
        config = dataclasses.replace(config, boundaries=(provinces.boundaries_name(options.boundaries),))
    all_runs = runconfig.build_matrix(config)
    runs, notes = runconfig.select(all_runs, options.provinces, options.notebooks, options.langs)
    for note in notes:
        log.info("note: %s", note)
    if not runs:
        raise ConfigError("the filters select no run; check --province/--notebook/--lang against reports.yml")
    if options.dry_run:
        formats, runs = _formats(options, runs)
        planned, _ = plan(runs, fp.HashCache(paths.state_dir()), options.force, config.kernel, formats)
        _log_plan(planned, options.quiet)
        todo = sum(p.reason is not None for p in planned)
        log.info("dry run: %d of %d runs would run; nothing was executed", todo, len(planned))
        return 0
    with RunLock(paths.reports_dir() / ".lock", paths.state_dir() / "lock.json") as lock, _home_untouched():
        for message in lock.messages + publish.recover(all_runs):
            log.info("note: %s", message)
        if prepare is not None:
            prepare()
        return _locked_run(options, config, all_runs, runs, t0)


def _locked_run(options: Options, config, all_runs: list[Run], runs: list[Run], t0: float) -> int:
    cache = fp.HashCache(paths.state_dir())
    all_tables = input_tables(all_runs, cache)  # every input of the matrix must exist, not just the selected
    formats, runs = _formats(options, runs)
    planned, _ = plan(runs, cache, options.force, config.kernel, formats)
    _log_plan(planned, options.quiet)
    todo = [p for p in planned if p.reason is not None]
    timeout = options.timeout or config.timeout
    workers = options.workers or os.cpu_count() or 1
    _precompute_shared(todo)
    records = execute(todo, workers, options.scheduler, timeout, options.kernels) if todo else []
    errors = _refresh_index(all_runs, config, all_tables, cache, bool(records))
    cache.save(keep_tables={e["sha256"] for e in all_tables.values()})
    failures = [r for r in records if r["status"] != "ok"]
    log.info("%d ok, %d failed, %d skipped of %d runs in %.1f s → %s/", len(records) - len(failures),
             len(failures), len(planned) - len(todo), len(planned), time.perf_counter() - t0,
             paths.relative_to_root(paths.reports_dir()))
    for r in failures:
        log.info("  FAILED %s: %s (partial notebook: reports/%s/)", r["label"], r["error"], r["label"])
    for e in errors:
        log.info("  FAILED %s", e)
    return 1 if failures or errors else 0


def _precompute_shared(todo: list[Planned]) -> None:
    """The tables the runs to do share (``shared:`` in reports.yml), computed once here under the lock
    by the layer that knows them; then the entries no run can read any more go from the store."""
    from khuyencong.analysis import area_tables
    from khuyencong.views import figure_cache

    readers = [p.fingerprint.parameters for p in todo if "area_tables" in p.run.notebook.shared]
    for scope, took in area_tables.precompute_for(readers):
        if isinstance(took, str):
            log.warning("shared tables %s not precomputed: %s", scope, took)
        else:
            log.info("shared tables %s ready in %.1f s", scope, took)
    for what, removed in (("shared tables", area_tables.prune()), ("cached figures", figure_cache.prune())):
        if removed:
            log.info("%s: %d entr%s of other code versions removed", what, removed, "y" if removed == 1 else "ies")


def _formats(options: Options, runs: list[Run]) -> tuple[tuple[str, ...] | None, list[Run]]:
    """``--formats`` (None: each notebook's formats from reports.yml) and the runs to make.

    Briefs are typeset without a browser. The PDF of any other notebook is its HTML printed by
    Chromium, so it needs the browser now, not after the runs: asked for on the command line, a
    missing browser is an error (exit 5); asked for by reports.yml, those PDFs are left out with a
    warning and everything else is published.
    """
    from khuyencong.runner.exports import check_formats, needs_browser
    from khuyencong.runner.pdf import browser

    formats = check_formats(options.formats, ConfigError) if options.formats else None
    if not any(needs_browser(r.notebook.name, r.formats(formats)) for r in runs):
        return formats, runs
    try:
        browser()
    except EnvironmentProblem as exc:
        if formats is not None:
            raise
        log.warning("PDF of the analysis notebooks left out: %s. The briefs' PDFs and every other format are "
                    "published; install Chromium for the others.", str(exc).split(": install", 1)[0])
        return None, [r if not needs_browser(r.notebook.name, r.formats(None)) else _without_pdf(r) for r in runs]
    return formats, runs


def _without_pdf(r: Run) -> Run:
    kept = tuple(f for f in r.notebook.formats if f != "pdf") or ("html",)
    return dataclasses.replace(r, notebook=dataclasses.replace(r.notebook, formats=kept))


def _log_plan(planned: list[Planned], quiet: bool) -> None:
    skipped = 0
    for p in planned:
        if p.reason is None:
            skipped += 1
            if not quiet:
                log.info("skip: unchanged — %s", p.run.label)
        else:
            log.info("run: %s — %s", p.reason, p.run.label)
    if quiet and skipped:
        log.info("skip: unchanged — %d runs", skipped)


def _spec(p: Planned, staging: Path, timeout: int, with_log: bool, kernels: str | None, data_status: str) -> RunSpec:
    """What a worker needs to execute one run (plain values: it may travel to a Dask worker)."""
    r = p.run
    return RunSpec(run_id=r.run_id, root=str(paths.project_root()), source=str(r.notebook.path),
                   staging=str(staging / r.run_id), final_ref=p.fingerprint.parameters["output_dir"],
                   name=r.notebook.name,
                   parameters={k: v for k, v in p.fingerprint.parameters.items() if k != "output_dir"},
                   kernel=p.fingerprint.kernel, kernels=kernels, timeout=timeout,
                   formats=tuple(p.fingerprint.formats), title=r.notebook.title.get(r.lang, r.notebook.name),
                   log=str(paths.state_dir() / "logs" / f"{r.run_id}.log") if with_log else None,
                   data_status=data_status)


def execute(todo: list[Planned], workers: int, scheduler: str | None, timeout: int,
            kernels: str | None = None) -> list[dict]:
    """Run ``todo``, publishing and recording each run as soon as it finishes."""
    from khuyencong.analysis.tables import status_of

    staging_root = publish.staging_root()
    by_id = {p.run.run_id: p for p in todo}
    reads = {p.run.run_id: (*p.run.notebook.inputs, *p.run.notebook.whole_inputs) for p in todo}
    statuses = {names: status_of(names) for names in set(reads.values())}  # each set of tables read once
    specs = [_spec(p, staging_root, timeout, scheduler is None, kernels, statuses[reads[p.run.run_id]]) for p in todo]
    progress, records = pool.Progress(len(specs)), []
    try:
        for result in pool.run_all(specs, workers, scheduler):
            p = by_id[result.run_id]
            staging = staging_root / p.run.run_id
            stored = (staging / f"{p.run.notebook.name}.ipynb").exists()
            outputs = publish.publish(staging, p.run) if stored else []
            if not outputs and result.ok:
                result = result.failed("no output was produced")
            records.append(publish.write_record(p.run, p.fingerprint, p.inputs, result, outputs))
            progress.update(p.run.label, result)
    finally:
        progress.close()
        publish.clean_up(staging_root)
    return records


@contextmanager
def _home_untouched():
    """This process and the kernels it starts keep IPython's, Jupyter's and matplotlib's files under
    ``reports/.state/kernel/``, not in the user's home (a variable the user set is kept)."""
    home = paths.state_dir() / "kernel"
    wanted = {"IPYTHONDIR": home / "ipython", "MPLCONFIGDIR": home / "matplotlib",
              "JUPYTER_RUNTIME_DIR": home / "jupyter-runtime"}
    added = {k: str(v) for k, v in wanted.items() if not os.environ.get(k)}
    for folder in added.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _refresh_index(all_runs: list[Run], config, tables: dict, cache: fp.HashCache, ran: bool) -> list[str]:
    """Rewrite manifest.json and the index pages when something changed; return error lines."""
    from khuyencong.runner.site import INDEX_FILES

    states = {r.run_id: publish.load_state(r) for r in all_runs}
    statuses = {k: v["status"] for k, v in states.items() if v}
    version = data_version(tables)
    finished = {k: v.get("finished") for k, v in states.items() if v}  # a killed run's records count too
    key = fp.sha256_json({"data": version, "code": fp.package_hash(cache), "statuses": statuses,
                          "finished": finished, "config": cache.file(config.path or runconfig.config_path())})
    record = Recorded(paths.state_dir() / "site.json")
    base = paths.reports_dir()
    present = all((base / f).exists() for f in (*INDEX_FILES.values(), "manifest.json"))
    if record.current("index", key) and present and not ran:
        return []
    # after the check: which reports are stale follows from the data, code and records the key holds
    statuses.update(dict.fromkeys(_stale(all_runs, states, cache, config.kernel), "stale"))
    from khuyencong.runner.manifest import write_manifest
    from khuyencong.runner.site import build_site

    write_manifest([s for s in states.values() if s], version, config.source)
    try:
        places = {b: runconfig.places(config, b) for b in config.boundaries}
        build_site(places, all_runs, statuses, version, datetime.now(timezone.utc).date().isoformat(),
                   (config.start_year, config.end_year), map_headline=config.map_headline)
    except Exception as exc:  # the runs are published; say what broke the index
        from khuyencong.runner.execute import first_line

        return [f"index page: {first_line(exc)}"]
    record.made("index", key)
    record.save()
    log.info("index: %s, %s, manifest.json", paths.relative_to_root(base / INDEX_FILES["vi"]), INDEX_FILES["en"])
    return []


def _stale(all_runs: list[Run], states: dict, cache: fp.HashCache, kernel: str) -> list[str]:
    """Runs whose published report was made from other input rows than today's: the index must not
    link them as if they were current (a one-province run leaves the other provinces' old briefs)."""
    ran = [r for r in all_runs if (states.get(r.run_id) or {}).get("status") == "ok"]
    planned, _ = plan(ran, cache, False, kernel, None) if ran else ([], None)
    return [p.run.run_id for p in planned
            if (p.previous or {}).get("fingerprint", {}).get("inputs") != p.fingerprint.inputs]


def build_reports(options: Options | None = None) -> int:
    """``make report``: processed data (if raw inputs or code changed), then every changed report."""
    from khuyencong.ingest.build import refresh_processed

    options = options or Options()
    return run_reports(options, prepare=None if options.dry_run else lambda: refresh_processed(options.force))
