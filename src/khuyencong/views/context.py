"""What every analysis notebook starts from: the checked parameters, the processed tables, whether
the data are REAL or SYNTHETIC, the generator's truth for SYNTHETIC data and the source notes.

One call replaces the preamble the notebooks used to repeat::

    ctx = Context.load(province, start_year, end_year, boundaries, lang, processed_dir,
                       tables=("register", "published_figures"))
    print(ctx.header())

Any analysed table may be empty (declared ``none`` in ``data/raw/inputs.yml``): the header then lists
each table's status, and :meth:`Context.coverage` says which tables and former provinces are missing.
The truth sidecar is read only when every analysed table with rows is SYNTHETIC, and its absence only
removes the true values.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from khuyencong.analysis import selection
from khuyencong.analysis.tables import data_status, load as load_table
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.views import results

ANALYSED = ("register", "survey", "plans", "province_stats")  # the tables whose status the notebook reports
PUBLISHED = "published_figures"  # reference figures: never decide whether the analysis is SYNTHETIC
SYNTHETIC = "SYNTHETIC"
WARNING_MARK = "⚠ "

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """The selection, the loaded tables (by name), their data status and the SYNTHETIC truth."""

    sel: selection.Selection
    frames: Mapping[str, pd.DataFrame]
    status: str            # "SYNTHETIC" or "REAL" (of the analysed tables)
    truth: Mapping | None  # the demo generator's sidecar; None unless every analysed table with rows is SYNTHETIC
    statuses: Mapping[str, str | None] = field(default_factory=dict)  # analysed table → status, None when empty

    @classmethod
    def load(cls, province: str | int = provinces.ALL, start_year: int = 2012, end_year: int = 2024,
             boundaries: str | int = "2025", lang: str = "vi", processed_dir: Path | str | None = None,
             tables: Sequence[str] = ANALYSED) -> "Context":
        """Check the parameters (:func:`selection.select`), load ``tables`` from ``processed_dir``
        (None = ``data/processed``) and read the truth when the analysed tables are SYNTHETIC (the
        published figures count only when nothing else was loaded)."""
        sel = selection.select(province, start_year, end_year, boundaries, lang)
        frames = {name: load_table(name, processed_dir) for name in tables}
        analysed = [frame for name, frame in frames.items() if name != PUBLISHED] or list(frames.values())
        status = data_status(*analysed)
        statuses = {name: data_status(frame) if len(frame) else None
                    for name, frame in frames.items() if name in ANALYSED}
        with_rows = [s for s in statuses.values() if s is not None]
        truth = _truth() if status == SYNTHETIC and all(s == SYNTHETIC for s in with_rows) else None
        return cls(sel, frames, status, truth, statuses)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def synthetic(self) -> bool:
        return self.status == SYNTHETIC

    @property
    def code(self) -> str | None:
        """GSO code of the selected province on the chosen boundaries; None for every province."""
        return None if self.sel.province is None else self.sel.province.code

    @property
    def period(self) -> str:
        return f"{self.sel.start_year}–{self.sel.end_year}"

    def in_years(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of ``frame`` in the selected years (every province)."""
        return frame.loc[frame["year"].between(self.sel.start_year, self.sel.end_year)]

    def show(self, fig, output_dir=None, stem: str | None = None, source: str | None = None,
             table: pd.DataFrame | None = None, status: str | None = None, boundaries: str | None = None) -> None:
        """The figure ritual in one call: the note under ``fig`` (data status, ``source``, boundaries;
        by default this notebook's status and boundaries), ``fig`` and ``table`` saved as
        ``output_dir/stem.*`` (nothing when ``output_dir`` is None), then ``fig`` displayed."""
        from IPython.display import display

        from khuyencong.views import plots

        plots.add_note(fig, status or self.status, source=source, lang=self.sel.lang,
                       boundaries=self.sel.boundaries if boundaries is None else boundaries)
        results.save(output_dir, stem, fig=fig, table=table, about=self if table is not None else None)
        display(fig)

    def source_note(self, table: str = "register") -> str:
        """Source line of figures drawn from ``table`` (``register`` or ``plans``), saying demo data."""
        return results.data_source(table, self.synthetic, self.sel.lang)

    def header(self, status: str | None = "labelled", mark: str = WARNING_MARK) -> str:
        """The opening lines: selection · period · boundaries [· data status], the merged-province
        note, and the SYNTHETIC warning (prefixed with ``mark``). ``status``: ``"labelled"``
        ("Data: SYNTHETIC"), ``"bare"`` ("SYNTHETIC") or None (not shown, nor the warning)."""
        sel, lang = self.sel, self.sel.lang
        first = f"{sel.label} · {self.period} · {i18n.t('boundaries_' + sel.boundaries, lang)}"
        if status == "labelled":
            first += " · " + i18n.t("nb_data", lang, status=self.status)
        elif status == "bare":
            first += f" · {self.status}"
        elif status is not None:
            raise ValueError(f"status must be 'labelled', 'bare' or None, not {status!r}")
        lines = [first] + ([sel.note] if sel.note else [])
        if status is not None and (self.missing or len(set(self.statuses.values()) - {None}) > 1):
            lines.append(self.tables_line())
        if status is not None and self.synthetic:
            lines.append(mark + i18n.t("synthetic_note", lang))
        return "\n".join(lines + self.coverage(former=False))

    @property
    def missing(self) -> tuple[str, ...]:
        """Analysed tables loaded without any row (declared ``none``, or nothing kept)."""
        return tuple(name for name, s in self.statuses.items() if s is None)

    def _table_name(self, name: str) -> str:
        return i18n.t(f"br_table_{name}", self.sel.lang)

    def tables_line(self) -> str:
        """Each analysed table with its status (REAL, SYNTHETIC) or that it holds no data."""
        lang = self.sel.lang
        parts = [f"{self._table_name(n)}: {s}" if s else i18n.t("nb_table_none", lang, table=self._table_name(n))
                 for n, s in self.statuses.items()]
        return i18n.t("nb_tables", lang, tables=" · ".join(parts))

    def coverage(self, former: bool = True) -> list[str]:
        """What the data lack for this selection: tables without rows (the sections that need them
        say so) and, with ``former``, for a merged 2025 province, the former provinces a table has
        no row for (the brief's caveats)."""
        lang, lines = self.sel.lang, []
        if self.missing:
            names = ", ".join(self._table_name(n) for n in self.missing)
            lines.append(i18n.t("nb_tables_missing", lang, tables=names))
        p = self.sel.province
        if not former or p is None or self.sel.boundaries != provinces.NEW or len(provinces.merged_from(p.code)) < 2:
            return lines
        parts = provinces.merged_from(p.code)
        for name, frame in self.frames.items():
            if self.statuses.get(name) is None:
                continue
            held = set(frame["province_code"].astype(str))
            absent = [x.name for x in parts if x.code not in held]
            present = [x.name for x in parts if x.code in held]
            if absent:
                key = "nb_former_missing" if present else "nb_former_none"
                lines.append(_capital(i18n.t(key, lang, table=self._table_name(name), area=p.name,
                                             missing=", ".join(absent), present=", ".join(present))))
        return lines



def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _truth() -> Mapping | None:
    """The demo set's truth sidecar; None (the true values are left out) when it is missing."""
    try:
        return synthetic_truth.load_truth()
    except FileNotFoundError as exc:
        log.warning("%s — the SYNTHETIC data are shown without their true values", exc)
        return None
