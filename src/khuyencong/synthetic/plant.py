"""Planted problems of the demo set: bad cells the cleaning must reject, valid province
spellings it must accept, and stray whitespace it must strip. Each is recorded for the sidecar."""
from __future__ import annotations

import numpy as np

from khuyencong.core import datasets as ds
from khuyencong.core.provinces import UnknownProvinceError, normalize_province
from khuyencong.core.vnnumber import format_vn
from khuyencong.synthetic.params import DemoParams
from khuyencong.synthetic.render import FileSpec, Table, number, province_label, provinces_by_code

CITY_CODES = frozenset({"01", "31", "48", "79", "92"})
REJECTION_REASONS = {
    "unknown_province": "province not recognised",
    "negative_money": "money must not be negative",
    "empty_required": "required value is empty",
    "duplicate_key": "duplicated key (project_id) within the dataset",
    "unparseable_number": "number cannot be parsed",
    "year_out_of_range": f"year outside {ds.YEAR_MIN}–{ds.YEAR_MAX}",
    "total_mismatch": "total_cost differs from state_support + beneficiary_contribution",
}


def _province_variants(code: str, labels: str) -> list[str]:
    """Spellings that are valid for ``code`` (checked against the province registry)."""
    p = provinces_by_code()[code]
    if labels == "en":
        cands = [f"{p.name_en} Province", p.name_en.upper(), p.name_ascii, *[a for a in p.aliases if a.isascii()]]
        if code == "46":
            cands.append("Thua Thien - Hue")
    elif labels == "ascii":
        prefix = "TP" if code in CITY_CODES else "Tinh"
        cands = [f"{prefix} {p.name_ascii}", p.name_ascii.upper(), p.name_ascii.replace(" ", "  ")]
    else:
        prefix = "TP." if code in CITY_CODES else "Tỉnh"
        cands = [f"{prefix} {p.name}", f"{prefix.lower()} {p.name}", p.name.upper(), *p.aliases]
    good = []
    for cand in dict.fromkeys(cands):
        try:
            if cand != province_label(code, FileSpec("", "", labels=labels)) and normalize_province(cand).code == code:
                good.append(cand)
        except (UnknownProvinceError, ValueError):
            continue
    return good


def _typo(name: str) -> str:
    """An unknown province: the last letter doubled (never a known spelling)."""
    cand = name.rstrip() + name.rstrip()[-1]
    try:
        normalize_province(cand)
    except (UnknownProvinceError, ValueError):
        return cand
    return cand + "x"


def _kinds(spec: FileSpec, table: Table) -> list[str]:
    kinds = ["unknown_province", "negative_money", "empty_required", "unparseable_number", "year_out_of_range"]
    if spec.dataset == "register":
        kinds.append("duplicate_key")
        if "total_cost" in table.columns:
            kinds.append("total_mismatch")
    return kinds


def _money_column(spec: FileSpec, rng: np.random.Generator) -> str:
    if spec.dataset == "register":
        return ["state_support", "beneficiary_contribution"][rng.integers(2)]
    return "output_value"


def _required_column(spec: FileSpec, rng: np.random.Generator) -> str:
    names = {"register": ["project_id", "category", "establishment_id", "state_support", "province", "year"],
             "survey": ["establishment_id", "output_value", "workers", "province", "year"]}[spec.dataset]
    return names[rng.integers(len(names))]


def _unparseable(cell) -> str:
    """A number with a letter O typed for a zero (a common keying slip)."""
    text = format_vn(cell, 1) if isinstance(cell, float) else str(cell)
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = digits[-1]
    return text[:i] + "O" + text[i + 1:]


def _negate(cell):
    return -cell if isinstance(cell, (int, float)) else "-" + str(cell)


def _mismatch(table: Table, row: list, spec: FileSpec):
    idx = {c: i for i, c in enumerate(table.columns)}
    total = row[idx["total_cost"]]
    if isinstance(total, (int, float)):
        return round(total * 1.1 + 5, 1)
    value = float(total.replace(".", "").replace(",", ".")) if spec.decimal == "," else float(total)
    return number(round(value * 1.1 + 5, 1), spec, 1)


def _plant_bad(kind: str, table: Table, r: int, spec: FileSpec, rng, donors: list[int]) -> dict:
    idx = {c: i for i, c in enumerate(table.columns)}
    row = table.rows[r]
    extra = {}
    if kind == "unknown_province":
        col, new = "province", _typo(row[idx["province"]])
    elif kind == "negative_money":
        col = _money_column(spec, rng)
        new = _negate(row[idx[col]]) if row[idx[col]] not in (None, 0, 0.0, "0", "0,0", "0.0") else None
        if new is None:
            col = "state_support" if spec.dataset == "register" else "output_value"
            new = _negate(row[idx[col]])
    elif kind == "empty_required":
        col, new = _required_column(spec, rng), None
    elif kind == "unparseable_number":
        col = "state_support" if spec.dataset == "register" else ["output_value", "workers"][rng.integers(2)]
        new = _unparseable(row[idx[col]])
    elif kind == "year_out_of_range":
        col = "year"
        new = 2105 if spec.fmt == "xlsx" else "2105"
    elif kind == "duplicate_key":  # the repeat comes after its first occurrence, which stays valid
        earlier = [d for d in donors if d < r] or donors
        col, donor = "project_id", earlier[rng.integers(len(earlier))]
        new = table.rows[donor][idx["project_id"]]
        extra["duplicate_of_record"] = donor
    elif kind == "total_mismatch":
        col, new = "total_cost", _mismatch(table, row, spec)
    else:
        raise ValueError(f"unknown planted kind {kind!r}")
    row[idx[col]] = new
    return {"column": col, "value": new, "kind": kind, **extra}


def plant(table: Table, spec: FileSpec, params: DemoParams, rng: np.random.Generator,
           protected: set[int]) -> list[dict]:
    """Plant bad cells, valid province variants and whitespace noise; return what was planted."""
    n = len(table.rows)
    share = {"register": params.bad_share, "survey": params.survey_bad_share}.get(spec.dataset, 0.0)
    free = np.array([i for i in range(n) if i not in protected])
    order = rng.permutation(free)
    n_bad = int(round(share * n))
    kinds = _kinds(spec, table)
    bad_rows = sorted(order[:n_bad].tolist())
    donors = sorted(order[n_bad:n_bad + max(1, n_bad)].tolist())
    planted = []
    for k, r in enumerate(bad_rows):
        rec = _plant_bad(kinds[k % len(kinds)], table, r, spec, rng, donors)
        planted.append({"record": r, **rec, "expected": "rejected", "reason": REJECTION_REASONS[rec["kind"]]})
    taken = set(bad_rows) | set(donors)
    variants = _plant_variants(table, spec, params, rng, [i for i in order if i not in taken])
    planted += variants
    _whitespace(table, rng, params, taken | {v["record"] for v in variants})
    return sorted(planted, key=lambda p: p["record"])


def _plant_variants(table: Table, spec: FileSpec, params: DemoParams, rng, candidates: list[int]) -> list[dict]:
    col = table.columns.index("province")
    by_name = {province_label(c, spec): c for c in provinces_by_code()}
    out = []
    for r in candidates[: int(round(params.variant_share * len(table.rows)))]:
        variants = _province_variants(by_name[table.rows[r][col]], spec.labels)
        if not variants:
            continue
        new = variants[rng.integers(len(variants))]
        table.rows[r][col] = new
        out.append({"record": int(r), "column": "province", "value": new, "kind": "province_variant",
                    "expected": "accepted", "reason": "valid spelling of a known province"})
    return out


def _whitespace(table: Table, rng, params: DemoParams, skip: set[int]) -> None:
    text_cols = [i for i, c in enumerate(table.columns)
                 if c in ("province", "title", "establishment_name", "district", "industry", "status")]
    for r, row in enumerate(table.rows):
        if r in skip or rng.random() >= params.whitespace_share * len(text_cols):
            continue
        i = text_cols[rng.integers(len(text_cols))]
        if isinstance(row[i], str):
            row[i] = [" ", "  ", ""][rng.integers(3)] + row[i] + [" ", "", "  "][rng.integers(3)]

