"""Resource limits on what a user's file may make us read, each raisable by an environment variable.

A tiny spreadsheet can declare a million rows (an ODS by repeating one, an HTML table by a rowspan),
a small zip can expand to gigabytes, a PDF can run to thousands of pages and a short YAML file can
expand exponentially through its aliases. Every reader (XLSX, ODS, XLS, CSV, HTML, Word, PDF, GSO
PX-Web) checks the size it is about to take on against one of these limits *before* taking it on
(:mod:`khuyencong.ingest.zipbounds`), and stops with
:class:`LimitExceeded`: which limit, the value found, and how to raise it for a genuinely large
file. With the defaults, memory stays under about 1 GB for any input.

Usage::

    from khuyencong import limits
    limits.CELLS.check(rows * cols, where="register.xlsx, sheet 'Data'")
    csv.field_size_limit(limits.FIELD.value())

The limits are read from the environment at each call, so ``KHUYENCONG_MAX_CELLS=50000000
khuyencong clean ...`` raises one for one command.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from khuyencong.errors import ConfigurationError, InputError


class LimitExceeded(InputError):
    """A file is larger (or expands further) than a limit allows; the message says how to raise it."""

    def __init__(self, limit: "Limit", value: float, where: str):
        self.limit, self.value, self.where = limit, value, where
        maximum = limit.value()
        suggestion = _fmt(max(maximum * 10, value * 2), sep="")
        super().__init__(
            f"{where}: {_fmt(value)} {limit.unit} is over the limit of {_fmt(maximum)} ({limit.what}); "
            f"if the file is genuine, raise the limit, e.g. {limit.env}={suggestion} khuyencong ...")


def _fmt(number: float, sep: str = ",") -> str:
    text = f"{number:,.0f}" if float(number).is_integer() or number >= 100 else f"{number:,.1f}"
    return text.replace(",", sep)


LARGEST = 2 ** 62  # the largest limit taken: C longs (csv.field_size_limit, file reads) overflow past 2**63


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, its default, and what it bounds."""

    name: str
    env: str
    default: float
    unit: str
    what: str

    def value(self) -> float:
        """The limit in force: the environment variable when set, else the default."""
        text = os.environ.get(self.env, "").strip().replace("_", "")
        if not text:
            return self.default
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if not 0 < number < LARGEST:  # NaN fails both; past LARGEST, C code (csv, reads) overflows
            raise ConfigurationError(f"{self.env}={os.environ[self.env]!r}: the limit on {self.what} "
                                     f"must be a positive number below {_fmt(LARGEST, sep='')} "
                                     f"(default {_fmt(self.default, sep='')})")
        return int(number) if number.is_integer() else number

    def check(self, value: float, where: str) -> None:
        """Raise :class:`LimitExceeded` when ``value`` is over the limit; ``where`` names the file."""
        if value > self.value():
            raise LimitExceeded(self, value, where)


CELLS = Limit("cells", "KHUYENCONG_MAX_CELLS", 5_000_000, "cells", "cells in one sheet or file")
ROWS = Limit("rows", "KHUYENCONG_MAX_ROWS", 1_048_576, "rows", "rows in one sheet or file")
COLUMNS = Limit("columns", "KHUYENCONG_MAX_COLUMNS", 16_384, "columns", "columns in one sheet or file")
FIELD = Limit("field", "KHUYENCONG_MAX_FIELD_CHARS", 1_000_000, "characters", "characters in one CSV field")
UNCOMPRESSED = Limit("uncompressed", "KHUYENCONG_MAX_UNCOMPRESSED_BYTES", 300_000_000, "bytes",
                     "uncompressed size of a zipped file such as XLSX or DOCX")
ZIP_RATIO = Limit("zip_ratio", "KHUYENCONG_MAX_ZIP_RATIO", 200, "times",
                  "how many times a zip member may expand")
FILES = Limit("files", "KHUYENCONG_MAX_FILES", 1_000, "files", "table files in one folder")
PAGES = Limit("pages", "KHUYENCONG_MAX_PDF_PAGES", 500, "pages", "pages of one PDF")
YAML_BYTES = Limit("yaml_bytes", "KHUYENCONG_MAX_YAML_BYTES", 1_000_000, "bytes", "size of a YAML file")
YAML_ALIASES = Limit("yaml_aliases", "KHUYENCONG_MAX_YAML_ALIASES", 10_000, "nodes",
                     "nodes a YAML file's aliases (*name) may expand to")

ALL = (CELLS, ROWS, COLUMNS, FIELD, UNCOMPRESSED, ZIP_RATIO, FILES, PAGES, YAML_BYTES, YAML_ALIASES)
