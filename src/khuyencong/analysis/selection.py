"""The parameters every analysis notebook takes, checked once and resolved to province codes.

``province`` is one province (any spelling or GSO code) or ``"all"``; ``boundaries`` is
``"2025"`` (34 provinces) or ``"legacy"`` (63). A legacy-only name such as "Sóc Trăng" under
``boundaries="2025"`` selects the 2025 province that absorbed it (Cần Thơ) and says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.core.datasets import YEAR_MAX, YEAR_MIN
from khuyencong.errors import InputError


@dataclass(frozen=True)
class Selection:
    province: provinces.Province | None  # None = every province
    start_year: int
    end_year: int
    boundaries: str
    lang: str
    note: str = ""  # how a legacy name was re-expressed on 2025 boundaries, if it was

    @property
    def code_column(self) -> str:
        """The column of a processed table that holds codes on the chosen boundaries."""
        return provinces.code_column(self.boundaries)

    @property
    def label(self) -> str:
        if self.province is None:
            return i18n.t("country", self.lang)
        return self.province.name

    def filter(self, df: pd.DataFrame, year: str | None = "year") -> pd.DataFrame:
        """Rows of ``df`` inside the selected province (if any) and years."""
        keep = pd.Series(True, index=df.index)
        if self.province is not None:
            keep &= df[self.code_column].astype("string") == self.province.code
        if year is not None:
            keep &= df[year].between(self.start_year, self.end_year)
        return df.loc[keep]


def select(province: str | int = provinces.ALL, start_year: int = 2012, end_year: int = 2024,
           boundaries: str = "2025", lang: str = "vi") -> Selection:
    """Check the notebook parameters; raise an :class:`InputError` that says what to pass instead."""
    i18n.check_lang(lang)
    boundaries = provinces.boundaries_name(boundaries)
    if not (YEAR_MIN <= int(start_year) <= int(end_year) <= YEAR_MAX):
        raise InputError(f"years must satisfy {YEAR_MIN} <= start_year <= end_year <= {YEAR_MAX}; "
                         f"got {start_year}..{end_year}")
    record, merge = provinces.resolve(province, boundaries)
    note = "" if merge is None else i18n.t("merged_note", lang, legacy=merge.legacy.name, new=record.name,
                                          code=record.code)
    return Selection(record, int(start_year), int(end_year), boundaries, lang, note)
