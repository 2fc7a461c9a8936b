"""Support ceilings: the maximum state share and amount per project, read from
``data/support_ceilings.csv`` and checked against the register.

No ceiling values are built in: the file carries only values verified against the gazetted text
(see :data:`DEFAULT_CEILINGS_NOTE`); an empty file leaves the check inactive.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.analysis.metrics import complete_amounts, ratio, require, spent
from khuyencong.core.datasets import categories
from khuyencong.errors import InputError
from khuyencong.paths import PACKAGE_DATA

DEFAULT_CEILINGS_NOTE = (
    "Support ceilings (maximum state share of a project's cost and maximum state amount per "
    "project, by content category and funding source) must be taken from Circular 28/2018/TT-BTC "
    "of the Ministry of Finance, amended by Circular 64/2024/TT-BTC, and for local (KCĐP) projects from "
    "the province's own resolution on support levels, checked against the gazetted text for the "
    "year of each project. No ceiling values are built into this package."
)
CEILING_COLUMNS = ("category", "funding_source", "max_state_share", "max_state_amount_mvnd", "legal_basis", "verified")


def _ceiling_frame(ceilings: pd.DataFrame | Mapping) -> pd.DataFrame:
    if isinstance(ceilings, Mapping):
        ceilings = pd.DataFrame.from_dict(ceilings, orient="index").rename_axis("category").reset_index()
    table = ceilings.reset_index() if "category" not in ceilings.columns else ceilings.copy()
    require(table, ["category"], "ceilings")
    limits = [c for c in ("max_state_share", "max_state_amount_mvnd") if c in table.columns]
    if not limits:
        raise KeyError("ceilings need a 'max_state_share' and/or 'max_state_amount_mvnd' column")
    keys = ["category"] + (["funding_source"] if "funding_source" in table.columns else [])
    if table.duplicated(keys).any():
        raise InputError(f"ceilings list some {keys} more than once: {table.loc[table.duplicated(keys), keys].values.tolist()}")
    return table[keys + limits]


def ceiling_breaches(register: pd.DataFrame, ceilings: pd.DataFrame | Mapping,
                     statuses: Sequence[str] | None = None, tolerance: float = 1e-9) -> pd.DataFrame:
    """Flag projects whose state share or state amount exceeds its category's ceiling.

    ``ceilings``: a frame (or ``{category: {...}}`` mapping) with ``category``, optionally
    ``funding_source``, and ``max_state_share`` (0–1) and/or ``max_state_amount_mvnd``; a missing
    value means no such ceiling. Projects whose category has no row get ``has_ceiling=False`` and are
    never flagged. See :data:`DEFAULT_CEILINGS_NOTE` for where the values must come from.
    """
    table = _ceiling_frame(ceilings)
    keys = [c for c in ("category", "funding_source") if c in table.columns]
    money = ["state_support", "beneficiary_contribution"]
    require(register, [*keys, *money], "register")
    data, _ = complete_amounts(spent(register, statuses), money, "ceiling_breaches")  # a blank is not 0
    out = data.merge(table.assign(has_ceiling=True), on=keys, how="left", validate="many_to_one")
    out["has_ceiling"] = out["has_ceiling"].fillna(False).astype(bool)
    out["state_share"] = ratio(out["state_support"], out["state_support"] + out["beneficiary_contribution"])
    for flag, value, limit in (("breach_share", "state_share", "max_state_share"),
                               ("breach_amount", "state_support", "max_state_amount_mvnd")):
        lim = out[limit] if limit in out else pd.Series(np.nan, index=out.index)
        out[flag] = (out[value] > lim * (1 + tolerance)).fillna(False).astype(bool)
    out["breach"] = out["breach_share"] | out["breach_amount"]
    return out


def _ceiling_values(table: pd.DataFrame, path) -> pd.DataFrame:
    out = table.copy()
    for col in ("max_state_share", "max_state_amount_mvnd"):
        text = out[col].astype(str).str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            raise InputError(f"{path}: {col} is not a number in rows {list(out.index[bad] + 2)}; "
                             "write plain numbers (0.5 for 50%, 300 for 300 million VND)")
        out[col] = values.astype(float)
    if not out["max_state_share"].dropna().between(0, 1, inclusive="right").all():
        raise InputError(f"{path}: max_state_share must be a fraction in (0, 1], e.g. 0.5 for 50%")
    if (out["max_state_amount_mvnd"].dropna() <= 0).any():
        raise InputError(f"{path}: max_state_amount_mvnd must be positive (million VND)")
    return out


def load_ceilings(path=None, verified_only: bool = True) -> pd.DataFrame:
    """Support ceilings from ``data/support_ceilings.csv`` (columns :data:`CEILING_COLUMNS`).

    ``verified`` is ``yes`` only once the values were checked against the gazetted text named in
    ``legal_basis``. With ``verified_only`` the result keeps verified rows that carry a value; an
    empty result means the ceiling check is inactive. Input for :func:`ceiling_breaches`.
    """
    path = PACKAGE_DATA / "support_ceilings.csv" if path is None else path
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(table.columns) != CEILING_COLUMNS:
        raise InputError(f"{path}: columns must be {list(CEILING_COLUMNS)}, found {list(table.columns)}")
    known = {c.code for c in categories()}
    checks = {"category": known, "funding_source": {"KCQG", "KCDP"}, "verified": {"yes", "no"}}
    for col, allowed in checks.items():
        bad = ~table[col].isin(allowed)
        if bad.any():
            raise InputError(f"{path}: {col} must be one of {sorted(allowed)}; rows {list(table.index[bad] + 2)} "
                             f"have {table.loc[bad, col].unique().tolist()}")
    out = _ceiling_values(table, path)
    has_value = out[["max_state_share", "max_state_amount_mvnd"]].notna().any(axis=1)
    empty_yes = (out["verified"] == "yes") & ~has_value
    if empty_yes.any():
        raise InputError(f"{path}: rows {list(out.index[empty_yes] + 2)} say verified=yes but give no ceiling value")
    _ceiling_frame(out)  # refuses duplicated category × funding_source
    if verified_only:
        out = out.loc[(out["verified"] == "yes") & has_value]
    return out.reset_index(drop=True)
