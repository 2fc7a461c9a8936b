"""What every analysis notebook starts from: the checked parameters, the processed tables, whether
the data are REAL or SYNTHETIC, the generator's truth for SYNTHETIC data and the source notes.

One call replaces the preamble the notebooks used to repeat::

    ctx = Context.load(province, start_year, end_year, boundaries, lang, processed_dir,
                       tables=("register", "published_figures"))
    print(ctx.header())
"""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Context:
    """The selection, the loaded tables (by name), their data status and the SYNTHETIC truth."""

    sel: selection.Selection
    frames: Mapping[str, pd.DataFrame]
    status: str            # "SYNTHETIC" or "REAL" (of the analysed tables)
    truth: Mapping | None  # the demo generator's sidecar; None unless SYNTHETIC

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
        truth = synthetic_truth.load_truth() if status == SYNTHETIC else None
        return cls(sel, frames, status, truth)

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
        if status is not None and self.synthetic:
            lines.append(mark + i18n.t("synthetic_note", lang))
        return "\n".join(lines)

