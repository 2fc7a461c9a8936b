"""Command line: ``khuyencong map | validate | clean | published [add] | extract | demo | templates | provenance | export | notebooks | run | report``.

Each subcommand is a thin shell over a function the notebooks and tests call too. Messages go
through :mod:`logging` (configured here once: plain text, errors on stderr, the rest on stdout);
user-facing errors become one ``error:`` line and an exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import errno
import logging
import re
import sys
from pathlib import Path

from khuyencong.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERRUPTED, InputError, KhuyencongError

log = logging.getLogger("khuyencong")

# OS errors that are the machine's state, not a bug: what happened, and what to do about it.
_ENVIRONMENT_ERRORS = {
    errno.ENOSPC: "no space left on the device; free some disk space and run again",
    errno.EROFS: "the file system is read-only; run in a writable copy of the project",
    errno.EACCES: "permission denied; check who owns that file or folder",
    errno.EXDEV: "a rename crossed two file systems; keep the project (and reports/) on one file system",
}


#: Control characters a file's cells may carry into a message (ESC, BEL, …; newlines and tabs are ours).
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Console(logging.Handler):
    """Plain messages to whatever ``sys.stdout`` is now (errors to ``sys.stderr``): callers may swap them.
    Terminal control sequences from a file are written escaped (``\\x1b``), never obeyed."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr if record.levelno >= logging.ERROR else sys.stdout
        try:
            stream.write(_TERMINAL_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", self.format(record)) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the package's messages to the console at ``level`` (calling it again replaces the setup)."""
    for handler in [h for h in log.handlers if isinstance(h, _Console)]:
        log.removeHandler(handler)
    handler = _Console()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(level)


def _validate(args: argparse.Namespace) -> int:
    from khuyencong.ingest.validate import validate_paths

    report = validate_paths([Path(p) for p in args.paths], dataset=args.dataset, province=args.file_province,
                            year=args.file_year)
    log.log(logging.INFO if report.ok else logging.WARNING, "%s", report.format())
    if args.output:
        from khuyencong.ingest.export import export_table

        export_table(report.as_frame(), Path(args.output))
        log.info("problems written to %s", args.output)
    return 0 if report.ok else 1


def _clean(args: argparse.Namespace) -> int:
    from khuyencong.ingest.clean import clean_all

    inputs = None
    if args.input:
        inputs = {}
        for spec in args.input:
            dataset, _, path = spec.partition("=")
            if not path:
                raise InputError(f"--input expects DATASET=PATH (e.g. register=data/raw/my_register.xlsx), got {spec!r}")
            inputs.setdefault(dataset, []).append(Path(path))
    declaration = None
    if inputs is None:
        from khuyencong.ingest import inputs as declared

        declaration = declared.load()
        inputs = declaration.clean_inputs()
    summary = clean_all(inputs, province=args.province, year=args.file_year, file_province=args.file_province)
    log.info("%s", summary.format())
    if declaration is not None:
        log.info("%s", "\n".join(declared.describe(declaration, summary.accounting)))
    return 0


def _map(args: argparse.Namespace) -> int:
    from khuyencong.ingest.annex_rows import layouts_of
    from khuyencong.ingest.mapping import keep_reviewed, mapping_path, propose_mapping, write_mapping
    from khuyencong.core.provinces import normalize_province
    from khuyencong.ingest.validate import dry_run
    from khuyencong.paths import relative_to_root

    path = Path(args.path)
    if not path.is_file():
        raise FileNotFoundError(f"{args.path}: no such file")
    layouts, found = layouts_of(path)
    if found.issues:
        for issue in found.issues:
            log.error("error: %s", issue.say)
        return EXIT_BAD_INPUT
    mapping = propose_mapping(path, layouts, args.dataset)
    kept = [] if args.force or not mapping_path(path).exists() else keep_reviewed(mapping, mapping_path(path))
    for key, value in (("province", args.file_province and normalize_province(args.file_province).name),
                       ("year", args.file_year)):
        if value:
            setattr(mapping, key, value)
            mapping.evidence[key] = "command line"
    target = write_mapping(mapping, mapping_path(path))
    log.info("mapping proposed → %s", relative_to_root(target))
    if kept:
        log.info("kept %d decision(s) of the mapping already there (map --force starts over):", len(kept))
        for line in kept:
            log.info("  - %s", line)
    for name in found.sheets_read:
        log.info("read: %s", name)
    for name, why in found.sheets_skipped:
        log.info("skipped: %s (%s)", name, why)
    review = mapping.to_review()
    quiet, ingest_log = logging.getLogger("khuyencong.ingest"), logging.getLogger("khuyencong.ingest").level
    quiet.setLevel(logging.WARNING)  # the dry run's own "using mapping" lines would repeat the ones above
    try:
        summary, ok = dry_run(path)
    finally:
        quiet.setLevel(ingest_log)
    log.info("%s", summary)
    if review:
        log.info("to review:")
    elif not ok:
        log.info("no label to review, but validate would report the errors above: correct the file, or set what "
                 "it does not say (file_values in the mapping, or map --file-province/--file-year), then run validate")
    else:
        log.info("nothing to review; check it, then run `khuyencong validate`")
    for line in review:
        log.info("  - %s", line)
    return 0


def _official(args: argparse.Namespace) -> int:
    from khuyencong.ingest.official import build_official

    build_official()  # logs what it read and wrote
    return 0


def _published(args: argparse.Namespace) -> int:
    from khuyencong.ingest.published import build_published

    if args.action == "add" or args.reviews:
        from khuyencong.ingest.published_add import add_files

        return add_files(args.reviews if args.action == "add" else [])  # logs what it added and linked

    frame = build_published()
    log.info("published figures: %d rows → data/processed/published_figures.parquet (+ .csv)", len(frame))
    return 0


def _extract(args: argparse.Namespace) -> int:
    from khuyencong.ingest.extract import extract_to_reviews

    extract_to_reviews(args.paths)  # logs each file's candidates and review file
    return 0


def _demo(args: argparse.Namespace) -> int:
    from khuyencong.synthetic import generate

    summary = generate(seed=args.seed) if args.seed is not None else generate()
    rows = sum(summary.files.values())
    log.info("SYNTHETIC demo set (seed %s): %d files, %d rows, %d planted problems → %s",
             summary.seed, len(summary.files), rows, len(summary.planted), summary.out_dir)
    return 0


def _templates(args: argparse.Namespace) -> int:
    from khuyencong.ingest.templates import write_templates

    if args.from_register:
        return _survey_from_register(args)
    for path in write_templates():
        log.info("%s", path)
    return 0


def _survey_from_register(args: argparse.Namespace) -> int:
    from khuyencong.files import atomic_write_bytes
    from khuyencong.ingest.templates import prefilled_survey, survey_rows_from_register
    from khuyencong.ingest.validate import read_one
    from khuyencong.paths import relative_to_root

    if args.dataset != "survey":
        raise InputError("--from-register pre-fills the survey template: write `khuyencong templates survey "
                         "--from-register FILE`")
    source = Path(args.from_register)
    raw, problems = read_one(source, "register")
    if raw is None:
        raise InputError("; ".join(p.problem for p in problems) or f"{source}: not a register")
    target = Path(args.to or source.with_name(f"{source.stem}_khao_sat_survey.xlsx"))
    rows = survey_rows_from_register(raw.frame)
    atomic_write_bytes(target, prefilled_survey(rows))
    log.info("%s: %d establishment(s), %d survey row(s) to fill (years around each support year) → %s",
             relative_to_root(source), rows["establishment_id"].nunique(), len(rows), relative_to_root(target))
    return 0


def _provenance_check(args: argparse.Namespace) -> int:
    from khuyencong.ingest.provenance import check

    problems = check()
    if problems:
        log.warning("%s", "\n".join(problems))
        return 1
    log.info("provenance: all raw files recorded and unchanged")
    return 0


def _provenance_record(args: argparse.Namespace) -> int:
    from khuyencong.ingest.provenance import record_file

    fields = {k: getattr(args, k) for k in _provenance_fields()}
    record_file(Path(args.path).resolve(), **fields)  # command-line paths are relative to the cwd
    log.info("recorded %s", args.path)
    return 0


def _provenance_fields() -> tuple[str, ...]:
    from khuyencong.ingest.provenance import DATE_FIELDS, OPTIONAL_FIELDS, REQUIRED_FIELDS

    return REQUIRED_FIELDS + DATE_FIELDS + OPTIONAL_FIELDS


def _export(args: argparse.Namespace) -> int:
    import pandas as pd

    from khuyencong import paths
    from khuyencong.ingest.export import export_table

    tables = sorted(p.stem for p in paths.processed_dir().glob("*.parquet"))
    if not re.fullmatch(r"[a-z_]+", args.table) or args.table not in tables:
        raise InputError(f"no processed table {args.table!r}: one of {', '.join(tables) or '(none yet)'}; "
                         "run `make data` (or `khuyencong clean`) first if the list is empty")
    for target in map(Path, args.to):
        if target.is_dir() or (target.parent.exists() and not target.parent.is_dir()):
            raise InputError(f"--to {target}: {'is a folder' if target.is_dir() else 'its parent is not a folder'}; "
                             "give a file path such as register.csv, register.xlsx or register.dta")
        export_table(pd.read_parquet(paths.processed_dir() / f"{args.table}.parquet"), target, table=args.table)
        log.info("%s → %s", args.table, target)
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from khuyencong.runner.notebooks import store_all

    store_all(args.names or None)
    return 0


def _run_options(args: argparse.Namespace):
    from khuyencong.runner.run import Options

    return Options(provinces=args.province, notebooks=args.notebook, langs=args.lang, force=args.force,
                   dry_run=args.dry_run, workers=args.workers, scheduler=args.scheduler,
                   timeout=args.timeout, quiet=args.one_line_skips, config=Path(args.config) if args.config else None,
                   formats=args.formats.split(",") if args.formats else None, kernels=args.kernels,
                   boundaries=args.boundaries)


def _run(args: argparse.Namespace) -> int:
    from khuyencong.runner.run import run_reports

    return run_reports(_run_options(args))


def _report(args: argparse.Namespace) -> int:
    from khuyencong.runner.run import build_reports

    return build_reports(_run_options(args))


def _positive(text: str) -> int:
    """A whole number of 1 or more (argparse says `error: argument --workers: …` and exits 2 otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--province", action="append", metavar="NAME",
                   help="only this province (name or GSO code; 'all' = national overview); repeatable")
    p.add_argument("--notebook", action="append", metavar="NAME", help="only this notebook (file stem); repeatable")
    p.add_argument("--lang", action="append", choices=["vi", "en"], help="only this language; repeatable")
    p.add_argument("--force", action="store_true", help="re-run even what is unchanged")
    p.add_argument("--dry-run", action="store_true", help="print what would run and why; run nothing")
    p.add_argument("--workers", type=_positive, metavar="N", help="parallel notebooks on this machine (default: cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler (e.g. tcp://host:8786) to run on instead; workers must see this project's files")
    p.add_argument("--timeout", type=_positive, metavar="SECONDS", help="per-cell timeout (default: reports.yml)")
    p.add_argument("--one-line-skips", action="store_true", help="one line for all skipped runs instead of one each "
                   "(the global -q/--quiet shows warnings only)")
    p.add_argument("--config", metavar="PATH", help="matrix file (default: reports.yml at the project root)")
    p.add_argument("--formats", metavar="LIST",
                   help="outputs besides the notebook, comma-separated among html,pdf,docx (default: reports.yml)")
    p.add_argument("--boundaries", choices=["2025", "legacy"],
                   help="run on these province boundaries instead of those listed in reports.yml")
    p.add_argument("--kernels", choices=["warm", "fresh"],
                   help="warm (default): each run's fresh kernel is forked from a pre-imported parent; "
                        "fresh: start every kernel from scratch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khuyencong", description=__doc__.splitlines()[0])
    chatter = parser.add_mutually_exclusive_group()
    chatter.add_argument("-q", "--quiet", dest="log_level", action="store_const", const=logging.WARNING,
                         default=logging.INFO, help="only warnings and errors")
    chatter.add_argument("-v", "--verbose", dest="log_level", action="store_const", const=logging.DEBUG,
                         help="also debugging messages")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("map", help="propose how a province's file maps to our columns and codes (FILE.mapping.yml)")
    p.add_argument("path", metavar="FILE", help="the raw file (.xlsx, .xls, .csv, .docx, .pdf, ...)")
    p.add_argument("--dataset", choices=["register"], default="register", help="dataset of the file")
    p.add_argument("--file-province", metavar="NAME",
                   help="province of the file when its title does not say (written to the mapping)")
    p.add_argument("--file-year", type=int, metavar="YEAR",
                   help="year of the file when its title does not say (written to the mapping)")
    p.add_argument("--force", action="store_true", help="start over: drop the decisions of the mapping already there")
    p.set_defaults(func=_map)

    p = sub.add_parser("validate", help="check raw files; every problem with file, row, column, value and fix")
    p.add_argument("paths", nargs="+", help="table files (CSV, XLSX, ...; any file with a FILE.mapping.yml)")
    p.add_argument("--dataset", choices=["register", "survey", "province_stats", "plans"],
                   help="dataset of every file (default: recognised from the headers)")
    p.add_argument("--output", help="also write the problems to this CSV/XLSX file")
    p.add_argument("--file-province", metavar="NAME", help="province of a mapped file whose mapping does not set one")
    p.add_argument("--file-year", type=int, metavar="YEAR", help="year of a mapped file whose mapping does not set one")
    p.set_defaults(func=_validate)

    p = sub.add_parser("clean", help="validate and clean raw datasets into data/processed/")
    p.add_argument("--input", action="append", metavar="DATASET=PATH",
                   help="input file (repeatable); default: the files data/raw/inputs.yml declares "
                   "(the demo set in data/raw/demo/ without it)")
    p.add_argument("--province", default="all", help="keep one province (name or code) or 'all' (as run --province)")
    p.add_argument("--file-province", metavar="NAME", help="province of a mapped file whose mapping does not set one")
    p.add_argument("--file-year", type=int, metavar="YEAR", help="year of a mapped file whose mapping does not set one")
    p.set_defaults(func=_clean)

    p = sub.add_parser("published", help="parse the published figures into data/processed/; "
                       "`published add FILE.figures.yml` appends reviewed rows to data/raw/published_figures.csv")
    p.add_argument("action", nargs="?", choices=["add"], help="add: append the accepted rows of review files")
    p.add_argument("reviews", nargs="*", metavar="FILE.figures.yml", help="review files written by `extract`")
    p.set_defaults(func=_published)

    p = sub.add_parser("extract", help="propose published-figures rows from a saved page, text, .docx or .pdf "
                       "(FILE.figures.yml, for review)")
    p.add_argument("paths", nargs="+", metavar="FILE", help="saved web page (.html), .txt, .docx or text .pdf")
    p.set_defaults(func=_extract)

    p = sub.add_parser("official", help="read the official statistics in data/raw/official/ into data/processed/")
    p.set_defaults(func=_official)

    p = sub.add_parser("demo", help="regenerate the SYNTHETIC demo inputs in data/raw/demo/")
    p.add_argument("--seed", type=int)
    p.set_defaults(func=_demo)

    p = sub.add_parser("templates", help="write the Excel templates into data/raw/templates/")
    p.add_argument("dataset", nargs="?", choices=["survey"], help="with --from-register: the survey template")
    p.add_argument("--from-register", metavar="FILE",
                   help="pre-fill the survey sheet with this register's establishments (IDs, names, years)")
    p.add_argument("--to", metavar="OUT.xlsx", help="where to write it (default: beside the register)")
    p.set_defaults(func=_templates)

    p = sub.add_parser("provenance", help="record where a raw file came from; list raw files lacking a record")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("check", help="list provenance problems; exit 1 when there are any").set_defaults(
        func=_provenance_check)
    rec = actions.add_parser("record", help="add or update the record of one raw file (sha256 is computed)")
    rec.add_argument("path", help="the raw file")
    for name in _provenance_fields():
        rec.add_argument(f"--{name}")
    rec.set_defaults(func=_provenance_record)

    p = sub.add_parser("export", help="export a processed table to CSV (UTF-8 BOM), XLSX or Stata .dta")
    p.add_argument("table", help="processed table name, e.g. register")
    p.add_argument("--to", nargs="+", required=True, help="target files; the suffix picks the format")
    p.set_defaults(func=_export)

    p = sub.add_parser("notebooks", help="re-execute notebooks in place and store their outputs")
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.set_defaults(func=_notebooks)

    p = sub.add_parser("run", help="regenerate the reports of reports.yml that changed (parallel, incremental)")
    _add_run_arguments(p)
    p.set_defaults(func=_run)

    p = sub.add_parser("report", help="build processed data if raw inputs changed, then `run`")
    _add_run_arguments(p)
    p.set_defaults(func=_report)
    return parser


def _environment_message(exc: OSError) -> str:
    from khuyencong.paths import relative_to_root

    where = f" ({relative_to_root(exc.filename)})" if exc.filename else ""
    return f"{_ENVIRONMENT_ERRORS[exc.errno]}{where}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C: the workers got it too; published reports stay, the lock is released
        log.error("interrupted: the reports finished before the interruption are published; "
                  "run the command again to make the rest")
        return EXIT_INTERRUPTED
    except KhuyencongError as exc:
        log.error("error: %s", exc)
        return exc.exit_code
    except FileNotFoundError as exc:  # a file the user named
        log.error("error: %s", exc)
        return EXIT_BAD_INPUT
    # any other exception (a plain ValueError included) is a bug: its traceback, exit 1
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRORS:
            raise
        log.error("error: %s", _environment_message(exc))
        return EXIT_ENVIRONMENT


if __name__ == "__main__":
    sys.exit(main())
