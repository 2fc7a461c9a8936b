"""Command line: ``khuyencong validate | clean | published | demo | templates | export | notebooks | run | report``.

Each subcommand is a thin shell over a function the notebooks and tests call too.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from khuyencong.errors import EXIT_BAD_INPUT, KhuyencongError


def _validate(args: argparse.Namespace) -> int:
    from khuyencong.ingest.validate import validate_paths

    report = validate_paths([Path(p) for p in args.paths], dataset=args.dataset)
    print(report.format())
    if args.output:
        from khuyencong.ingest.export import export_table

        export_table(report.as_frame(), Path(args.output))
        print(f"problems written to {args.output}")
    return 0 if report.ok else 1


def _clean(args: argparse.Namespace) -> int:
    from khuyencong.ingest.clean import clean_all

    inputs = None
    if args.input:
        inputs = {}
        for spec in args.input:
            dataset, _, path = spec.partition("=")
            if not path:
                raise SystemExit(f"--input expects DATASET=PATH (e.g. register=data/raw/my_register.xlsx), got {spec!r}")
            inputs.setdefault(dataset, []).append(Path(path))
    summary = clean_all(inputs, province=args.province)
    print(summary.format())
    return 0


def _published(args: argparse.Namespace) -> int:
    from khuyencong.ingest.published import build_published

    frame = build_published()
    print(f"published figures: {len(frame)} rows → data/processed/published_figures.parquet (+ .csv)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from khuyencong.synthetic.demo import generate

    summary = generate(seed=args.seed) if args.seed is not None else generate()
    rows = sum(summary.files.values())
    print(f"SYNTHETIC demo set (seed {summary.seed}): {len(summary.files)} files, {rows} rows, "
          f"{len(summary.planted)} planted problems → {summary.out_dir}")
    return 0


def _templates(args: argparse.Namespace) -> int:
    from khuyencong.ingest.templates import write_templates

    for path in write_templates():
        print(path)
    return 0


def _export(args: argparse.Namespace) -> int:
    import pandas as pd

    from khuyencong import paths
    from khuyencong.ingest.export import export_table

    source = paths.processed_dir() / f"{args.table}.parquet"
    if not source.exists():
        raise SystemExit(f"{source} does not exist: run `make clean-data` (or `khuyencong clean`) first")
    for target in args.to:
        export_table(pd.read_parquet(source), Path(target), table=args.table)
        print(f"{args.table} → {target}")
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from khuyencong.runner.notebooks import store_all

    store_all(args.names or None)
    return 0


def _run_options(args: argparse.Namespace):
    from khuyencong.runner.run import Options

    return Options(provinces=args.province, notebooks=args.notebook, langs=args.lang, force=args.force,
                   dry_run=args.dry_run, workers=args.workers, scheduler=args.scheduler,
                   timeout=args.timeout, quiet=args.quiet, config=Path(args.config) if args.config else None)


def _run(args: argparse.Namespace) -> int:
    from khuyencong.runner.run import run_reports

    return run_reports(_run_options(args))


def _report(args: argparse.Namespace) -> int:
    from khuyencong.runner.report import build_reports

    return build_reports(_run_options(args))


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--province", action="append", metavar="NAME",
                   help="only this province (name or GSO code; 'all' = national overview); repeatable")
    p.add_argument("--notebook", action="append", metavar="NAME", help="only this notebook (file stem); repeatable")
    p.add_argument("--lang", action="append", choices=["vi", "en"], help="only this language; repeatable")
    p.add_argument("--force", action="store_true", help="re-run even what is unchanged")
    p.add_argument("--dry-run", action="store_true", help="print what would run and why; run nothing")
    p.add_argument("--workers", type=int, metavar="N", help="parallel notebooks on this machine (default: cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler (e.g. tcp://host:8786) to run on instead; workers must see this project's files")
    p.add_argument("--timeout", type=int, metavar="SECONDS", help="per-cell timeout (default: reports.yml)")
    p.add_argument("--quiet", action="store_true", help="one line for all skipped runs instead of one each")
    p.add_argument("--config", metavar="PATH", help="matrix file (default: reports.yml at the project root)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khuyencong", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check raw files; every problem with file, row, column, value and fix")
    p.add_argument("paths", nargs="+", help="CSV or XLSX files")
    p.add_argument("--dataset", choices=["register", "survey", "province_stats", "plans"],
                   help="dataset of every file (default: recognised from the headers)")
    p.add_argument("--output", help="also write the problems to this CSV/XLSX file")
    p.set_defaults(func=_validate)

    p = sub.add_parser("clean", help="validate and clean raw datasets into data/processed/")
    p.add_argument("--input", action="append", metavar="DATASET=PATH",
                   help="input file (repeatable); default: the demo set in data/raw/demo/")
    p.add_argument("--province", default="all", help="keep one province (name or code) or 'all'")
    p.set_defaults(func=_clean)

    p = sub.add_parser("published", help="parse the published figures into data/processed/")
    p.set_defaults(func=_published)

    p = sub.add_parser("demo", help="regenerate the SYNTHETIC demo inputs in data/raw/demo/")
    p.add_argument("--seed", type=int)
    p.set_defaults(func=_demo)

    p = sub.add_parser("templates", help="write the Excel templates into data/raw/templates/")
    p.set_defaults(func=_templates)

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KhuyencongError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
