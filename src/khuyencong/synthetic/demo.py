"""The seeded SYNTHETIC demo input set: invented raw files shaped like what provinces send.

``python -m khuyencong.synthetic.demo [--out DIR] [--seed N]`` writes into ``data/raw/demo/``:

* the project register split by region into six files (three XLSX layouts, CSV in UTF-8 with
  BOM, UTF-16, Windows-1258, ``;`` separator, English and unaccented headers, nghìn đồng);
* the beneficiary outcome survey (CSV + XLSX), provincial statistics (CSV), plans (XLSX);
* ``SYNTHETIC_truth.json``: seed, parameters, the true effects and every planted bad cell;
* ``README.md`` (bilingual).

Every number is invented. The generator plants known effects (co-funding ratios, the
programme effect on labour productivity, the link between extension spending and
industrial growth) so the analysis can be checked against the truth. Output bytes depend
only on the seed and the parameters.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font

from khuyencong.core import datasets as ds
from khuyencong import paths
from khuyencong.files import atomic_write_bytes, atomic_write_text, sha256_file
from khuyencong.core.provinces import (Province, UnknownProvinceError, legacy_provinces,
                                  normalize_province, strip_diacritics)
from khuyencong.core.vnformat import format_vn
from khuyencong.synthetic.truth import TRUTH_NAME, event_weight, load_truth  # noqa: F401 (load_truth kept public here)

DEMO_SEED = 20120521
SYNTHETIC_TITLE = "SYNTHETIC DEMO DATA — DỮ LIỆU MÔ PHỎNG"
NOT_REAL = "Số liệu bịa đặt, không phải số liệu thật / invented numbers, not real data"
FIXED_TIME = datetime(2012, 5, 21, 0, 0, 0)  # stamped into XLSX files so bytes are stable
LICENCE = "MIT (synthetic data invented by the project's generator)"
CITY_CODES = frozenset({"01", "31", "48", "79", "92"})
NORTHERN_REGIONS = ("RRD", "NMM")
EFFECT_CATEGORIES = ("technology", "demonstration", "cleaner_production")


@dataclass(frozen=True)
class DemoParams:
    """Everything that shapes the demo set; written into the truth sidecar."""

    year_first: int = 2012
    year_last: int = 2024
    projects_min: int = 8
    projects_max: int = 30
    kcqg_share: float = 0.30
    mean_state_support: float = 29229.2 / 220  # million VND per project (Bắc Giang 2014–2020 order)
    state_sigma: float = 0.6  # log-normal spread of state support
    kcqg_multiplier: float = 1.8  # national projects are larger
    repeat_share: float = 0.12  # projects going to an establishment supported before
    category_mix: dict = field(default_factory=lambda: {
        "training": 0.20, "management": 0.05, "demonstration": 0.12, "technology": 0.33,
        "cleaner_production": 0.03, "typical_products": 0.06, "fairs": 0.08, "consulting": 0.04,
        "information": 0.04, "cooperation": 0.02, "international": 0.01, "programme_capacity": 0.02})
    support_multiplier: dict = field(default_factory=lambda: {
        "training": 0.6, "management": 0.6, "demonstration": 1.8, "technology": 1.3,
        "cleaner_production": 1.0, "typical_products": 0.8, "fairs": 0.8, "consulting": 0.6,
        "information": 0.5, "cooperation": 1.0, "international": 1.0, "programme_capacity": 1.0})
    # Median contribution / state support for a province with zero effect (0 = no co-funding).
    cofunding_ratio: dict = field(default_factory=lambda: {
        "training": 0.0, "management": 0.1, "demonstration": 6.0, "technology": 5.0,
        "cleaner_production": 3.0, "typical_products": 0.5, "fairs": 0.8, "consulting": 0.3,
        "information": 0.0, "cooperation": 1.5, "international": 0.2, "programme_capacity": 0.0})
    ratio_sigma: float = 0.35  # project-level log noise of the co-funding ratio
    province_ratio_sd: float = 0.25  # sd of the province effect on log co-funding ratio
    status_mix: dict = field(default_factory=lambda: {
        "completed": 0.90, "adjusted": 0.05, "stopped": 0.02, "deferred": 0.03})
    # Survey: programme effect on log(output/worker), by category of the first support.
    survey_supported: int = 1500
    survey_comparison: int = 1500
    att_by_category: dict = field(default_factory=lambda: {
        "technology": 0.24, "demonstration": 0.21, "cleaner_production": 0.15})
    att_sd: float = 0.06  # sd of the establishment-level effect around its category mean
    event_path: dict = field(default_factory=lambda: {"0": 0.4, "1": 0.75, "2+": 1.0})
    workers_effect: float = 0.04  # effect on log workers, same event path
    productivity_trend: float = 0.012  # common log growth per year
    selection_productivity: float = 0.10  # supported establishments are a bit more productive…
    selection_workers: float = 0.20  # …and larger (levels only: trends are parallel)
    support_years: tuple = (2016, 2021)
    # Provinces: percentage points of industrial growth per 0.1 % of industrial GRDP spent.
    grdp_beta: float = 2.0
    northern_trainee_attainment: float = 0.82
    attainment_mean: float = 0.97
    # Messy cells.
    bad_share: float = 0.015
    survey_bad_share: float = 0.01
    variant_share: float = 0.04
    whitespace_share: float = 0.03


@dataclass
class DemoSummary:
    out_dir: Path
    seed: int
    files: dict  # file name → data rows
    planted: list  # planted cells (dicts, as in the truth sidecar)
    truth_path: Path


@dataclass(frozen=True)
class FileSpec:
    """How one raw file is laid out (the realistic ways provinces send their tables)."""

    name: str
    dataset: str
    regions: tuple[str, ...] = ()  # empty = all
    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | utf-16 | cp1258
    sep: str = ","
    headers: str = "vi"  # vi | en | ascii
    labels: str = "vi"  # how provinces/categories/choices are written: vi | en | ascii
    decimal: str = ","  # numbers written as text use Vietnamese format (the readers' contract)
    money_unit: str = "triệu"  # triệu | nghìn
    money_text: bool = False  # XLSX: money as Vietnamese-formatted text
    title_rows: int = 0
    merged_money: bool = False
    total_cost: bool = True
    line_end: str = "\n"


_R = "SYNTHETIC_register_"
FILE_SPECS: tuple[FileSpec, ...] = (
    FileSpec(_R + "dong_bang_song_hong.xlsx", "register", ("RRD",), "xlsx", title_rows=3, merged_money=True),
    FileSpec(_R + "trung_du_mien_nui_phia_bac.xlsx", "register", ("NMM",), "xlsx", title_rows=2,
             money_text=True, total_cost=False),
    FileSpec(_R + "bac_trung_bo_duyen_hai_mien_trung_utf8bom.csv", "register", ("NCC",),
             encoding="utf-8-sig", sep=";", line_end="\r\n"),
    FileSpec(_R + "tay_nguyen_cp1258_nghin_dong.csv", "register", ("CH",), encoding="cp1258",
             money_unit="nghìn", total_cost=False, line_end="\r\n"),
    FileSpec(_R + "dong_nam_bo_utf16_en.csv", "register", ("SE",), encoding="utf-16", sep="\t",
             headers="en", labels="en", line_end="\r\n"),
    FileSpec(_R + "dong_bang_song_cuu_long_khong_dau.csv", "register", ("MRD",), headers="ascii",
             labels="ascii", total_cost=False),
    FileSpec("SYNTHETIC_survey.csv", "survey", ("RRD", "NMM", "NCC", "CH", "SE")),
    FileSpec("SYNTHETIC_survey_dong_bang_song_cuu_long.xlsx", "survey", ("MRD",), "xlsx", title_rows=1),
    FileSpec("SYNTHETIC_province_stats.csv", "province_stats"),
    FileSpec("SYNTHETIC_plans.xlsx", "plans", (), "xlsx", title_rows=2),
)

REJECTION_REASONS = {
    "unknown_province": "province not recognised",
    "negative_money": "money must not be negative",
    "empty_required": "required value is empty",
    "duplicate_key": "duplicated key (project_id) within the dataset",
    "unparseable_number": "number cannot be parsed",
    "year_out_of_range": f"year outside {ds.YEAR_MIN}–{ds.YEAR_MAX}",
    "total_mismatch": "total_cost differs from state_support + beneficiary_contribution",
}

# ---------------------------------------------------------------- word lists (all invented)

_SYLLABLES = ("An", "Bình", "Minh", "Phát", "Hưng", "Thịnh", "Phúc", "Thành", "Đạt", "Tân", "Hoàng",
              "Long", "Việt", "Hòa", "Quang", "Trường", "Nam", "Tiến", "Lộc", "Hải", "Đông", "Sơn",
              "Gia", "Khánh", "Xuân", "Thuận", "Vĩnh", "Kim", "Ngọc", "Đức")
_FIRM_TYPES = ("Cơ sở sản xuất", "Công ty TNHH", "Hợp tác xã", "Công ty cổ phần", "Doanh nghiệp tư nhân")
# (industry, machine, activity, craft)
_INDUSTRIES = (
    ("Chế biến nông sản", "sấy nông sản", "chế biến nông sản", "chế biến nông sản"),
    ("Cơ khí", "cắt CNC", "gia công cơ khí", "hàn, gia công cơ khí"),
    ("Dệt may", "may công nghiệp", "may mặc", "may công nghiệp"),
    ("Mây tre đan", "chẻ nan", "sản xuất hàng mây tre đan", "đan lát mây tre"),
    ("Chế biến gỗ", "chà nhám", "sản xuất đồ gỗ", "mộc dân dụng"),
    ("Gốm sứ", "nhào đất", "sản xuất gốm", "làm gốm"),
    ("Chế biến thực phẩm", "đóng gói tự động", "chế biến thực phẩm", "chế biến thực phẩm"),
    ("Vật liệu xây dựng", "ép gạch không nung", "sản xuất gạch không nung", "sản xuất vật liệu xây dựng"),
    ("Thủ công mỹ nghệ", "khắc laser", "sản xuất hàng thủ công mỹ nghệ", "thêu ren"),
    ("Chế biến chè", "vò chè", "chế biến chè", "chế biến chè"),
)
_TITLES = {
    "training": "Đào tạo nghề {craft} cho lao động nông thôn tại {firm}",
    "management": "Tập huấn nâng cao năng lực quản lý cho cơ sở CNNT {district}",
    "demonstration": "Xây dựng mô hình trình diễn kỹ thuật {activity} tại {firm}",
    "technology": "Hỗ trợ ứng dụng máy {machine} trong {activity} tại {firm}",
    "cleaner_production": "Hỗ trợ áp dụng sản xuất sạch hơn tại {firm}",
    "typical_products": "Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu năm {year}",
    "fairs": "Tổ chức, tham gia hội chợ hàng công nghiệp nông thôn năm {year}",
    "consulting": "Tư vấn lập dự án đầu tư, thiết kế mẫu mã cho {firm}",
    "information": "Xây dựng chuyên mục khuyến công trên sóng phát thanh, truyền hình năm {year}",
    "cooperation": "Hỗ trợ lập quy hoạch chi tiết cụm công nghiệp {district}",
    "international": "Tham quan, học tập kinh nghiệm khuyến công năm {year}",
    "programme_capacity": "Tập huấn nâng cao năng lực cán bộ khuyến công năm {year}",
}


# ---------------------------------------------------------------- helpers

def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent stream per component, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, stream])


def _years(params: DemoParams) -> list[int]:
    return list(range(params.year_first, params.year_last + 1))


def _categories_for(year: int, params: DemoParams) -> tuple[list[str], np.ndarray]:
    since = {c.code: c.since for c in ds.categories()}
    codes = [c for c in params.category_mix if since[c] <= year]
    probs = np.array([params.category_mix[c] for c in codes], dtype=float)
    return codes, probs / probs.sum()


def _base_median_support(params: DemoParams) -> float:
    """Median support of a multiplier-1 local project, so the expected mean hits the target."""
    mix = params.category_mix
    total = sum(mix.values())
    cat_mean = sum(mix[c] / total * params.support_multiplier[c] for c in mix)
    funding = 1 - params.kcqg_share + params.kcqg_share * params.kcqg_multiplier
    return params.mean_state_support / (cat_mean * funding * np.exp(params.state_sigma ** 2 / 2))


def _province_frame(seed: int, params: DemoParams) -> pd.DataFrame:
    """Per-province structural draws: size, region, co-funding effect."""
    provs = legacy_provinces()
    rng = _rng(seed, 1)
    n = len(provs)
    log_size = rng.normal(0.0, 0.8, n)
    log_size += np.array([1.5 if p.code in ("01", "79") else 0.0 for p in provs])
    rank = pd.Series(log_size).rank(pct=True).to_numpy()
    return pd.DataFrame({
        "code": [p.code for p in provs],
        "region": [p.region_code for p in provs],
        "log_size": log_size,
        "projects_mean": params.projects_min + (params.projects_max - params.projects_min) * rank,
        "ratio_effect": rng.normal(0.0, params.province_ratio_sd, n),
    })


# ---------------------------------------------------------------- register

def _firm_name(rng: np.random.Generator, industry: str) -> str:
    a, b = rng.choice(len(_SYLLABLES), 2, replace=False)
    kind = _FIRM_TYPES[rng.integers(len(_FIRM_TYPES))]
    name = f"{_SYLLABLES[a]} {_SYLLABLES[b]}"
    return f"{kind} {industry.lower()} {name}" if kind in ("Cơ sở sản xuất", "Hợp tác xã") else f"{kind} {name}"


def _district_names(rng: np.random.Generator, k: int) -> list[str]:
    picks = rng.choice(len(_SYLLABLES), (k, 2), replace=True)
    return [f"Huyện {_SYLLABLES[a]} {_SYLLABLES[b]}" for a, b in picks]


@dataclass
class _Estab:
    id: str
    name: str
    district: str
    industry: int


def _province_establishments(code: str, rng: np.random.Generator) -> tuple[list[_Estab], Callable[[], _Estab]]:
    """A factory for new establishments of one province (ids numbered in order)."""
    districts = _district_names(rng, 8)
    made: list[_Estab] = []

    def new() -> _Estab:
        ind = int(rng.integers(len(_INDUSTRIES)))
        est = _Estab(f"CS{code}-{len(made) + 1:05d}", _firm_name(rng, _INDUSTRIES[ind][0]),
                     districts[rng.integers(len(districts))], ind)
        made.append(est)
        return est

    return made, new


def _register(seed: int, params: DemoParams, pf: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Canonical register rows (codes, million VND) and each province's establishment counter."""
    rng = _rng(seed, 2)
    base = _base_median_support(params)
    rows = []
    made_by_prov = {}
    for prov in pf.itertuples():
        made, new = _province_establishments(prov.code, rng)
        made_by_prov[prov.code] = made
        for year in _years(params):
            n = int(np.clip(rng.poisson(prov.projects_mean), params.projects_min, params.projects_max))
            codes, probs = _categories_for(year, params)
            for seq in range(1, n + 1):
                reuse = made and rng.random() < params.repeat_share
                est = made[rng.integers(len(made))] if reuse else new()
                rows.append(_project(rng, params, base, prov, year, seq, est, codes, probs))
    return pd.DataFrame(rows), made_by_prov


def _project(rng, params, base, prov, year, seq, est, codes, probs) -> dict:
    cat = codes[rng.choice(len(codes), p=probs)]
    national = rng.random() < params.kcqg_share
    median = base * params.support_multiplier[cat] * (params.kcqg_multiplier if national else 1.0)
    state = max(5.0, round(float(median * np.exp(rng.normal(0, params.state_sigma))), 1))
    ratio = params.cofunding_ratio[cat] * np.exp(prov.ratio_effect + rng.normal(0, params.ratio_sigma))
    contribution = round(float(state * ratio), 1)
    statuses = list(params.status_mix)
    status = statuses[rng.choice(len(statuses), p=np.array(list(params.status_mix.values())))]
    _, machine, activity, craft = _INDUSTRIES[est.industry]
    title = _TITLES[cat].format(craft=craft, firm=est.name, district=est.district.removeprefix("Huyện "),
                                activity=activity, machine=machine, year=year)
    row = {
        "year": year, "province": prov.code, "project_id": f"KC{prov.code}-{year}-{seq:03d}",
        "title": title, "category": cat, "funding_source": "KCQG" if national else "KCDP",
        "establishment_id": est.id, "establishment_name": est.name, "district": est.district,
        "industry": _INDUSTRIES[est.industry][0], "state_support": state,
        "beneficiary_contribution": contribution, "total_cost": round(state + contribution, 1),
        "status": status,
    }
    row.update(_outputs(rng, cat))
    return row


def _outputs(rng: np.random.Generator, cat: str) -> dict:
    column = _category(cat).output_column
    draw = {
        "training": lambda: 10 + rng.poisson(55), "management": lambda: 10 + rng.poisson(35),
        "programme_capacity": lambda: 5 + rng.poisson(30), "demonstration": lambda: 1 + int(rng.random() < 0.1),
        "technology": lambda: 1 + rng.poisson(2.5), "cleaner_production": lambda: 1 + rng.poisson(1),
        "fairs": lambda: 5 + rng.poisson(15), "consulting": lambda: 3 + rng.poisson(8),
        "cooperation": lambda: 2 + rng.poisson(5), "typical_products": lambda: 3 + rng.poisson(12),
    }
    out = {c.name: None for c in ds.REGISTER.columns if c.name in {k.output_column for k in ds.categories()}}
    if column:
        out[column] = int(draw[cat]())
    return out


# ---------------------------------------------------------------- survey

# ---------------------------------------------------------------- province statistics and plans

def _province_stats(seed: int, params: DemoParams, pf: pd.DataFrame, register: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    rng = _rng(seed, 5)
    years = _years(params)
    support = register.groupby(["province", "year"]).state_support.sum()
    n = len(pf)
    ig = 10e6 * np.exp(pf.log_size.to_numpy() + rng.normal(0, 0.5, n))  # million VND, year before first
    share = rng.uniform(0.15, 0.45, n)
    pop = 1100 * np.exp(0.6 * pf.log_size.to_numpy() + rng.normal(0, 0.2, n))
    ent_ratio = 40_000 * np.exp(rng.normal(0, 0.2, n))
    prov_eff = rng.normal(0, 2.0, n)
    year_eff = rng.normal(0, 1.5, len(years))
    if 2020 in years:  # the pandemic year
        year_eff[years.index(2020)] -= 4.0
    rows, intensity_rows = [], []
    for t, year in enumerate(years):
        spend = np.array([support.get((c, year), 0.0) for c in pf.code])
        intensity = 100 * spend / ig  # percent of last year's industrial GRDP
        growth = 8.0 + prov_eff + year_eff[t] + params.grdp_beta * intensity / 0.1 + rng.normal(0, 1.5, n)
        ig = ig * (1 + growth / 100)
        sh = np.clip(share + 0.005 * t, 0.05, 0.8)
        pop_t = pop * 1.01 ** t
        for i, code in enumerate(pf.code):
            rows.append({"province": code, "year": year, "industrial_grdp": round(float(ig[i]), 1),
                         "grdp": round(float(ig[i] / sh[i]), 1),
                         "iip": round(float(100 + growth[i] + rng.normal(0, 1.0)), 1),
                         "population": round(float(pop_t[i]), 1),
                         "industrial_enterprises": int(round(ig[i] / ent_ratio[i]))})
            intensity_rows.append(float(intensity[i]))
    truth = {
        "model": "industrial growth (%) = 8 + province effect + year effect + beta × intensity / 0.1 + "
                 "N(0, 1.5²), intensity = 100 × register state support of the year (all rows as generated, "
                 "before planting bad cells) / previous year's industrial GRDP (percent); "
                 "IIP = 100 + growth + N(0, 1)",
        "beta_pp_growth_per_0.1pct_intensity": params.grdp_beta,
        "intensity_percent_mean": round(float(np.mean(intensity_rows)), 5),
        "intensity_percent_range": [round(min(intensity_rows), 5), round(max(intensity_rows), 5)],
    }
    return pd.DataFrame(rows), truth


def _plans(seed: int, params: DemoParams, pf: pd.DataFrame, register: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    rng = _rng(seed, 6)
    done = register[register.status.isin(["completed", "adjusted"])]
    sums = done.groupby(["province", "year"]).agg(
        projects=("project_id", "size"), trainees=("trainees", "sum"),
        establishments_supported=("establishments_supported", "sum"),
        demonstration_models=("demonstration_models", "sum"), machines=("machines", "sum"),
        typical_products=("typical_products", "sum"), state_support=("state_support", "sum"))
    region = dict(zip(pf.code, pf.region))
    rows = []
    for (code, year), rec in sums.iterrows():
        for ind, *_ in ds.PLAN_INDICATORS:
            achieved = float(rec[ind])
            if achieved <= 0:
                continue
            northern = ind == "trainees" and region[code] in NORTHERN_REGIONS
            mean = params.northern_trainee_attainment if northern else params.attainment_mean
            att = float(np.clip(rng.normal(mean, 0.05 if northern else 0.07), 0.6, 1.3))
            planned = round(achieved / att, 1) if ind == "state_support" else max(1, round(achieved / att))
            rows.append({"province": code, "year": int(year), "indicator": ind,
                         "planned": planned, "achieved": round(achieved, 1)})
    truth = {"attainment": "achieved = completed + adjusted register projects; planned = achieved / "
                           "attainment, attainment ~ N(mean, sd) clipped to [0.6, 1.3]",
             "attainment_mean": params.attainment_mean, "attainment_sd": 0.07,
             "northern_regions": list(NORTHERN_REGIONS),
             "northern_trainee_attainment_mean": params.northern_trainee_attainment}
    return pd.DataFrame(rows), truth


# ---------------------------------------------------------------- rendering tables as provinces write them

@dataclass
class _Table:
    columns: list[str]  # canonical column per position
    headers: list[str]  # header text per position
    rows: list[list]  # cell values as written (str, number or None)


def _columns_for(spec: FileSpec) -> list[ds.Column]:
    cols = ds.DATASETS[spec.dataset].columns
    return [c for c in cols if spec.total_cost or c.name != "total_cost"]


def _header_text(col: ds.Column, spec: FileSpec) -> str:
    text = {"vi": col.vi, "en": col.en, "ascii": strip_diacritics(col.vi)}[spec.headers]
    if col.kind == "money" and spec.money_unit == "nghìn":
        for old, new in (("(triệu đồng)", "(nghìn đồng)"), ("(million VND)", "(thousand VND)"),
                         ("(trieu dong)", "(nghin dong)")):
            text = text.replace(old, new)
    return text


@lru_cache(maxsize=None)
def _label(col: ds.Column, code: str, spec: FileSpec) -> str:
    if col.name == "funding_source" and spec.labels != "en":
        return {"KCDP": "KCĐP" if spec.labels == "vi" else "KCDP"}.get(code, code)
    if col.kind == "category":
        vi, en = _category(code).name_vi, _category(code).name_en
    else:
        _, vi, en = next(ch for ch in col.choices if ch[0] == code)
    return {"vi": vi, "en": en, "ascii": strip_diacritics(vi)}[spec.labels]


@lru_cache(maxsize=None)
def _province_label(code: str, spec: FileSpec) -> str:
    p = _PROVINCES()[code]
    return {"vi": p.name, "en": p.name_en, "ascii": p.name_ascii}[spec.labels]


@lru_cache(maxsize=1)
def _PROVINCES() -> dict[str, Province]:
    return {p.code: p for p in legacy_provinces()}


@lru_cache(maxsize=None)
def _category(code: str) -> ds.Category:
    return {c.code: c for c in ds.categories()}[code]


def _number(value: float, spec: FileSpec, decimals: int) -> object:
    """A number as the file writes it: native in XLSX, text in CSV (file's decimal mark)."""
    if spec.fmt == "xlsx" and not spec.money_text:
        return value
    if spec.decimal == "," or spec.money_text:
        return format_vn(value, decimals)
    return f"{value:.{decimals}f}"


def _cell(col: ds.Column, value, spec: FileSpec):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if col.kind == "province":
        return _province_label(value, spec)
    if col.kind in ("category", "choice"):
        return _label(col, value, spec)
    if col.kind == "money":
        if spec.money_unit == "nghìn":
            return _number(int(round(value * 1000)), spec, 0)
        return _number(float(value), spec, 1)
    if col.kind == "int":
        return int(value) if spec.fmt == "xlsx" else str(int(value))
    if col.kind == "float":
        v = float(value)
        if spec.fmt == "xlsx":
            return v
        return str(int(v)) if v.is_integer() else _number(v, spec, 1)
    return strip_diacritics(str(value)) if spec.labels == "ascii" else str(value)


def _render(df: pd.DataFrame, spec: FileSpec) -> _Table:
    cols = _columns_for(spec)
    records = df[[c.name for c in cols]].to_dict("list")
    rows = [list(r) for r in zip(*(
        [_cell(c, v, spec) for v in records[c.name]] for c in cols))]
    return _Table([c.name for c in cols], [_header_text(c, spec) for c in cols], rows)


# ---------------------------------------------------------------- planted cells

def _province_variants(code: str, labels: str) -> list[str]:
    """Spellings that are valid for ``code`` (checked against the province registry)."""
    p = _PROVINCES()[code]
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
            if cand != _province_label(code, FileSpec("", "", labels=labels)) and normalize_province(cand).code == code:
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


def _kinds(spec: FileSpec, table: _Table) -> list[str]:
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


def _mismatch(table: _Table, row: list, spec: FileSpec):
    idx = {c: i for i, c in enumerate(table.columns)}
    total = row[idx["total_cost"]]
    if isinstance(total, (int, float)):
        return round(total * 1.1 + 5, 1)
    value = float(total.replace(".", "").replace(",", ".")) if spec.decimal == "," else float(total)
    return _number(round(value * 1.1 + 5, 1), spec, 1)


def _plant_bad(kind: str, table: _Table, r: int, spec: FileSpec, rng, donors: list[int]) -> dict:
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


def _plant(table: _Table, spec: FileSpec, params: DemoParams, rng: np.random.Generator,
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


def _plant_variants(table: _Table, spec: FileSpec, params: DemoParams, rng, candidates: list[int]) -> list[dict]:
    col = table.columns.index("province")
    by_name = {_province_label(c, spec): c for c in _PROVINCES()}
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


def _whitespace(table: _Table, rng, params: DemoParams, skip: set[int]) -> None:
    text_cols = [i for i, c in enumerate(table.columns)
                 if c in ("province", "title", "establishment_name", "district", "industry", "status")]
    for r, row in enumerate(table.rows):
        if r in skip or rng.random() >= params.whitespace_share * len(text_cols):
            continue
        i = text_cols[rng.integers(len(text_cols))]
        if isinstance(row[i], str):
            row[i] = [" ", "  ", ""][rng.integers(3)] + row[i] + [" ", "", "  "][rng.integers(3)]


# ---------------------------------------------------------------- writers

def encode_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: letters the code page lacks precomposed get combining tone marks.

    Python's cp1258 codec only maps precomposed letters that exist in the code page (``ê`` yes,
    ``ế`` no), so ``ế`` is written as ``ê`` + combining acute, the way Windows does. Readers must
    NFC-normalise after decoding.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
        out += (base + tones).encode("cp1258")
    data = bytes(out)
    if unicodedata.normalize("NFC", data.decode("cp1258")) != unicodedata.normalize("NFC", text):
        raise ValueError("cp1258 round-trip failed; the text has characters Windows-1258 cannot hold")
    return data


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return encode_cp1258(text)
    if encoding == "utf-16":  # explicit little-endian BOM: same bytes on every platform
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _csv_bytes(table: _Table, spec: FileSpec) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=spec.sep, lineterminator=spec.line_end)
    writer.writerow(table.headers)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return _encode(buf.getvalue(), spec.encoding)


def stable_xlsx(wb: openpyxl.Workbook) -> bytes:
    """Save ``wb`` with fixed document dates and zip timestamps, so equal content gives equal bytes."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "khuyencong"
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, _stable_member(info.filename, src.read(info.filename)))
    return out.getvalue()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_MERGE = re.compile(rb"<mergeCell [^>]*/>")


def _stable_member(name: str, data: bytes) -> bytes:
    """openpyxl stamps the save time into core.xml and writes merged ranges in set order: fix both."""
    if name == "docProps/core.xml":
        stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        return _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
    if name.startswith("xl/worksheets/") and b"<mergeCell " in data:
        cells = sorted(_MERGE.findall(data))
        it = iter(cells)
        return _MERGE.sub(lambda m: next(it), data)
    return data


def _title_lines(spec: FileSpec, params: DemoParams) -> list[str]:
    d = ds.DATASETS[spec.dataset]
    region = ", ".join(spec.regions) if spec.regions else "63 tỉnh/thành phố"
    return [f"{SYNTHETIC_TITLE} — {d.title_vi.upper()} / {d.title_en}",
            f"Vùng / regions: {region}; {params.year_first}–{params.year_last}; {NOT_REAL}",
            "Đơn vị tiền: triệu đồng (money: million VND)"][: spec.title_rows]


def _readme_sheet(wb: openpyxl.Workbook, seed: int) -> None:
    ws = wb.create_sheet("README")
    for line in (SYNTHETIC_TITLE, NOT_REAL,
                 f"Tạo bởi / generated by: khuyencong demo --seed {seed}",
                 f"Sự thật cài sẵn / planted truth: {TRUTH_NAME}"):
        ws.append([line])


def _xlsx_bytes(table: _Table, spec: FileSpec, params: DemoParams, seed: int) -> tuple[bytes, int]:
    """The workbook and the sheet row of the first data record."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    for line in _title_lines(spec, params):
        ws.append([line])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    if spec.merged_money:
        _merged_header(ws, table)
    else:
        ws.append(table.headers)
    first = ws.max_row + 1
    for row in table.rows:
        ws.append(row)
    _readme_sheet(wb, seed)
    return stable_xlsx(wb), first


MERGED_PARENT = "Kinh phí (triệu đồng)"
MERGED_CHILDREN = {"state_support": "Hỗ trợ", "beneficiary_contribution": "Đối ứng", "total_cost": "Tổng cộng"}


def _merged_header(ws, table: _Table) -> None:
    """Two header rows: money columns under a merged parent "Kinh phí (triệu đồng)"."""
    children = MERGED_CHILDREN
    top = ws.max_row + 1
    money = [i for i, c in enumerate(table.columns) if c in children]
    ws.append([None if c in children else h for c, h in zip(table.columns, table.headers)])
    ws.append([children.get(c) for c in table.columns])
    ws.cell(top, money[0] + 1, MERGED_PARENT)
    ws.merge_cells(start_row=top, end_row=top, start_column=money[0] + 1, end_column=money[-1] + 1)
    for i, c in enumerate(table.columns):
        if c not in children:
            ws.merge_cells(start_row=top, end_row=top + 1, start_column=i + 1, end_column=i + 1)
        ws.cell(top, i + 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


# ---------------------------------------------------------------- orchestration

def _select(df: pd.DataFrame, spec: FileSpec) -> pd.DataFrame:
    if not spec.regions:
        return df
    region = {p.code: p.region_code for p in legacy_provinces()}
    return df[df.province.map(region).isin(spec.regions)]


def _write_file(df: pd.DataFrame, spec: FileSpec, out_dir: Path, params: DemoParams, seed: int,
                stream: int, protected_ids: set[str]) -> tuple[int, list[dict]]:
    table = _render(df, spec)
    key = df.project_id.to_numpy() if "project_id" in df else np.array([None] * len(df))
    protected = {i for i, k in enumerate(key) if k in protected_ids} if spec.dataset == "register" else set()
    planted = _plant(table, spec, params, _rng(seed, stream), protected)
    if spec.fmt == "xlsx":
        data, first = _xlsx_bytes(table, spec, params, seed)
    else:
        data, first = _csv_bytes(table, spec), 2
    atomic_write_bytes(out_dir / spec.name, data)
    header = dict(zip(table.columns, table.headers))
    if spec.merged_money:  # the cell under the merged parent reads only the child label
        header.update({c: h for c, h in MERGED_CHILDREN.items() if c in header})
    for p in planted:
        p.update(file=spec.name, dataset=spec.dataset, row=first + p["record"], header=header[p["column"]])
        if "duplicate_of_record" in p:
            p["duplicate_of_row"] = first + p["duplicate_of_record"]
    return len(table.rows), planted


def _frames(seed: int, params: DemoParams) -> tuple[dict, dict]:
    pf = _province_frame(seed, params)
    register, made = _register(seed, params, pf)
    units = _survey_units(seed, params, register, made)
    survey, survey_truth = _survey(seed, params, units)
    survey = survey.sort_values(["province", "establishment_id", "year"], kind="stable")
    stats, stats_truth = _province_stats(seed, params, pf, register)
    plans, plans_truth = _plans(seed, params, pf, register)
    frames = {"register": register, "survey": survey, "province_stats": stats, "plans": plans}
    truth = {"register": _register_truth(params, pf, register), "survey": survey_truth,
             "province_stats": stats_truth, "plans": plans_truth,
             "_protected_projects": sorted(units.project_id.dropna())}
    return frames, truth


def _register_truth(params: DemoParams, pf: pd.DataFrame, reg: pd.DataFrame) -> dict:
    cofunded = reg[reg.beneficiary_contribution > 0]
    names = {p.code: p.name for p in legacy_provinces()}
    return {
        "state_support_model": "log-normal: median = base × category multiplier × (KCQG multiplier if "
                               "national); base chosen so the expected mean equals mean_state_support",
        "base_median_state_support": round(_base_median_support(params), 3),
        "cofunding_model": "contribution = state_support × ratio(category) × exp(province effect + "
                           "N(0, ratio_sigma²)); ratio(category) is the median for a zero-effect province",
        "cofunding_ratio_by_category": params.cofunding_ratio,
        "province_effect_log_cofunding_ratio": {
            f"{c} {names[c]}": round(float(e), 4) for c, e in zip(pf.code, pf.ratio_effect)},
        "sample_aggregate_cofunding_ratio": round(float(reg.beneficiary_contribution.sum() / reg.state_support.sum()), 4),
        "sample_median_cofunding_ratio_cofunded": round(float(
            (cofunded.beneficiary_contribution / cofunded.state_support).median()), 4),
        "sample_mean_state_support": round(float(reg.state_support.mean()), 3),
        "rows_generated": len(reg),
        "values_before_planting": "all sample_* figures use every generated row before bad cells were planted",
    }


def generate(out_dir: Path | str | None = None, seed: int = DEMO_SEED, params: DemoParams = DemoParams(),
             record_provenance: bool | None = None) -> DemoSummary:
    """Write the complete SYNTHETIC demo input set into ``out_dir`` (default ``data/raw/demo``).

    Provenance records are written when ``out_dir`` lies under ``data/raw`` (or when asked).
    """
    out_dir = Path(out_dir) if out_dir is not None else paths.demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    frames, truth = _frames(seed, params)
    protected = set(truth.pop("_protected_projects"))
    files, planted = {}, []
    for k, spec in enumerate(FILE_SPECS):
        rows, plants = _write_file(_select(frames[spec.dataset], spec), spec, out_dir, params, seed,
                                   100 + k, protected)
        files[spec.name] = rows
        planted += plants
    truth_path = out_dir / TRUTH_NAME
    atomic_write_text(truth_path, _truth_json(seed, params, truth, files, planted))
    atomic_write_text(out_dir / "README.md", _readme(seed, files))
    if record_provenance is None:
        record_provenance = _under(out_dir, paths.raw_dir())
    if record_provenance:
        _record_provenance(out_dir, seed, [*files, TRUTH_NAME])
    return DemoSummary(out_dir, seed, files, planted, truth_path)


def _truth_json(seed: int, params: DemoParams, truth: dict, files: dict, planted: list) -> str:
    order = ("file", "dataset", "row", "record", "column", "header", "value", "kind", "expected", "reason",
             "duplicate_of_row", "duplicate_of_record")
    doc = {
        "synthetic": True,
        "warning": NOT_REAL,
        "generator": f"khuyencong demo --seed {seed}",
        "seed": seed,
        "params": asdict(params),
        "row_numbers": "row = line number (CSV, header = 1) or sheet row (XLSX, first sheet); "
                       "record = 0-based index among the file's data records",
        "files": {name: {"dataset": spec.dataset, "rows": files[name],
                         "rejected_rows_expected": sum(1 for p in planted if p["file"] == name
                                                       and p["expected"] == "rejected")}
                  for name, spec in ((s.name, s) for s in FILE_SPECS)},
        "truth": truth,
        "planted": [{k: p[k] for k in order if k in p} for p in planted],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _under(path: Path, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _record_provenance(out_dir: Path, seed: int, names: list[str]) -> None:
    for name in names:
        record_generated(out_dir / name, source=f"synthetic: invented by `khuyencong demo` (seed {seed})",
                         generator=f"khuyencong demo --seed {seed}",
                         description=f"SYNTHETIC demo input ({_describe(name)}); not real data")


def record_generated(path: Path, *, source: str, generator: str, description: str) -> None:
    """Provenance record of a generated raw file; ``created`` changes only when the bytes do."""
    from khuyencong.ingest import provenance

    path = Path(path).resolve()
    rel = path.relative_to(paths.raw_dir().resolve()).as_posix()
    old = provenance.load_records().get(rel, {})
    unchanged = old.get("sha256") == sha256_file(path) and old.get("created")
    provenance.record_file(path, source=source, generator=generator, licence=LICENCE, description=description,
                           created=old["created"] if unchanged else date.today().isoformat())


def _describe(name: str) -> str:
    spec = next((s for s in FILE_SPECS if s.name == name), None)
    if spec is None:
        return "true effects, parameters and planted bad cells of the demo set"
    return f"{ds.DATASETS[spec.dataset].title_en}, {_layout(spec)}"


def _layout(spec: FileSpec) -> str:
    """The file's layout in words (README and provenance)."""
    if spec.fmt == "xlsx":
        parts = [f"XLSX, {spec.title_rows} title row(s)"]
        parts += ["merged two-row money header"] * spec.merged_money + ["money as Vietnamese text"] * spec.money_text
    else:
        parts = [f"CSV, {spec.encoding}, separator {spec.sep!r}"]
    parts.append(f"headers {spec.headers}")
    if spec.money_unit == "nghìn":
        parts.append("money in nghìn đồng")
    return ", ".join(parts)


def _readme(seed: int, files: dict) -> str:
    listing = "\n".join(f"| `{s.name}` | {s.dataset} | {_layout(s)} | {files[s.name]} |" for s in FILE_SPECS)
    return f"""# SYNTHETIC demo data — DỮ LIỆU MÔ PHỎNG

**Every number and name in this folder is invented. Không phải số liệu thật.**

## Tiếng Việt
Thư mục này chứa bộ dữ liệu đầu vào mô phỏng (tự sinh) cho 63 tỉnh/thành phố (ranh giới trước
1/7/2025), giai đoạn 2012–2024: danh mục đề án khuyến công, khảo sát cơ sở thụ hưởng, thống kê
kinh tế tỉnh và kế hoạch – thực hiện. Các tệp cố tình có định dạng khác nhau (XLSX có dòng tiêu đề,
tiêu đề gộp hai dòng, CSV UTF-8 BOM / UTF-16 / Windows-1258, dấu `;`, tiêu đề tiếng Anh hoặc không
dấu, đơn vị nghìn đồng) và một tỷ lệ nhỏ ô lỗi được cài sẵn để kiểm tra khâu làm sạch.
Các hiệu ứng "thật" và danh sách ô lỗi nằm trong `{TRUTH_NAME}`.

## English
Seeded synthetic raw inputs for the 63 provinces (boundaries before 1 July 2025), 2012–2024:
project register, beneficiary outcome survey, provincial statistics, plans vs achievements.
The files deliberately differ in layout and encoding, like the files provinces send, and a
small, exactly recorded share of cells is bad on purpose. True effects (co-funding ratios by
category and province, the programme effect on labour productivity by event time and category,
the spending–growth coefficient) and every planted cell are in `{TRUTH_NAME}`.

Regenerate (byte-identical): `khuyencong demo --seed {seed}`. Do not edit by hand: a
test compares this folder with a fresh generation.

| file | dataset | format | data rows |
|---|---|---|---|
{listing}
"""


# ---------------------------------------------------------------- scale generator (benchmarks)

def generate_register_csv(path: Path | str, n_rows: int, seed: int = DEMO_SEED) -> dict:
    """Write a large register CSV (Vietnamese headers, UTF-8, ``.`` decimals) plus a matching survey.

    Vectorised: a million rows take a few seconds. The survey goes beside ``path`` as
    ``<stem>_survey.csv``; its supported establishments are register establishments.
    Returns the two paths and their row counts.
    """
    rng = _rng(seed, 900)
    path = Path(path)
    provs = legacy_provinces()
    codes = np.array([p.code for p in provs])
    pnames = np.array([p.name for p in provs])
    cats = list(DemoParams().category_mix)
    cat_p = np.array([DemoParams().category_mix[c] for c in cats])
    cat_names = np.array([{c.code: c.name_vi for c in ds.categories()}[c] for c in cats])
    p_i = rng.integers(len(provs), size=n_rows)
    year = rng.integers(2012, 2025, size=n_rows)
    c_i = rng.choice(len(cats), size=n_rows, p=cat_p / cat_p.sum())
    national = rng.random(n_rows) < 0.3
    state = np.round(np.maximum(5, 100 * np.exp(rng.normal(0, 0.6, n_rows)) * np.where(national, 1.8, 1)), 1)
    ratio = np.array([DemoParams().cofunding_ratio[c] for c in cats])[c_i] * np.exp(rng.normal(0, 0.35, n_rows))
    contrib = np.round(state * ratio, 1)
    seq = np.arange(n_rows)
    est_num = rng.integers(1, max(2, n_rows // 3), size=n_rows)
    est_id = pd.Series(codes[p_i]).radd("CS") + "-" + pd.Series(est_num).astype(str).str.zfill(6)
    df = pd.DataFrame({
        "Năm": year, "Tỉnh/thành phố": pnames[p_i],
        "Mã đề án": pd.Series(codes[p_i]).radd("KC") + "-" + pd.Series(seq).astype(str).str.zfill(7),
        "Nội dung khuyến công": cat_names[c_i], "Nguồn kinh phí": np.where(national, "KCQG", "KCĐP"),
        "Mã cơ sở": est_id, "Kinh phí hỗ trợ (triệu đồng)": state,
        "Vốn đối ứng (triệu đồng)": contrib, "Tổng kinh phí (triệu đồng)": np.round(state + contrib, 1),
        "Tình trạng": "Hoàn thành"})
    with io.StringIO() as buf:
        df.to_csv(buf, index=False, sep=";", decimal=",", float_format="%.1f")
        atomic_write_text(path, buf.getvalue())
    survey_path = path.with_name(path.stem + "_survey.csv")
    survey_rows = _scale_survey(survey_path, rng, df, pnames, p_i, year)
    return {"register": path, "register_rows": n_rows, "survey": survey_path, "survey_rows": survey_rows}


def _scale_survey(path: Path, rng, reg: pd.DataFrame, pnames, p_i, year) -> int:
    n_est = max(10, len(reg) // 50)
    pick = rng.choice(len(reg), size=n_est, replace=False)
    first = reg.iloc[pick].drop_duplicates("Mã cơ sở")
    est = np.concatenate([first["Mã cơ sở"].to_numpy(dtype=object),
                          np.array([f"DC-{i:07d}" for i in range(len(first))], dtype=object)])
    proj = np.concatenate([first["Mã đề án"].to_numpy(dtype=object), np.full(len(first), "", dtype=object)])
    prov = np.concatenate([first["Tỉnh/thành phố"].to_numpy(dtype=object)] * 2)
    support = np.concatenate([first["Năm"].to_numpy(), np.full(len(first), 9999)])
    years = np.arange(2012, 2025)
    u = np.repeat(np.arange(len(est)), len(years))
    yr = np.tile(years, len(est))
    after = (yr >= support[u]).astype(float)
    workers = np.maximum(1, np.rint(15 * np.exp(rng.normal(0, 0.6, len(est)))[u])).astype(int)
    prod = 134 * np.exp(rng.normal(0, 0.35, len(est))[u] + 0.012 * (yr - 2012) + 0.22 * after
                        + rng.normal(0, 0.08, len(u)))
    df = pd.DataFrame({"Mã cơ sở": est[u], "Mã đề án": proj[u], "Tỉnh/thành phố": prov[u], "Năm": yr,
                       "Giá trị sản xuất (triệu đồng)": np.round(workers * prod, 1), "Số lao động": workers})
    with io.StringIO() as buf:
        df.to_csv(buf, index=False, sep=";", decimal=",", float_format="%.1f")
        atomic_write_text(path, buf.getvalue())
    return len(df)


# ---------------------------------------------------------------- truth for analyses and simulations

def simulate_survey(seed: int = DEMO_SEED, params: DemoParams = DemoParams()) -> pd.DataFrame:
    """The demo survey panel drawn with ``seed`` (canonical codes, no bad cells planted) plus
    ``support_year`` and ``category`` of the first support (empty for comparison establishments)
    and ``true_effect``, the planted effect of each row on log output per worker.

    For Monte Carlo checks of the estimators; smaller ``params`` (projects_max, survey_supported,
    survey_comparison) run faster. Same draws as :func:`generate` for the same seed and params.
    """
    pf = _province_frame(seed, params)
    register, made = _register(seed, params, pf)
    units = _survey_units(seed, params, register, made)
    panel, _ = _survey(seed, params, units, effects=True)
    return panel.merge(units[["establishment_id", "support_year", "category"]], on="establishment_id",
                       how="left", validate="many_to_one")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m khuyencong.synthetic.demo",
                                     description="Write the SYNTHETIC demo input set (invented data).")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default data/raw/demo)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    args = parser.parse_args(argv)
    summary = generate(args.out, seed=args.seed)
    total = sum(summary.files.values())
    bad = sum(p["expected"] == "rejected" for p in summary.planted)
    print(f"wrote {len(summary.files)} SYNTHETIC files ({total} data rows, {bad} planted bad cells) "
          f"to {paths.relative_to_root(summary.out_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
