"""The seeded project register of the demo set: provinces, establishments, projects, co-funding.

Canonical rows (province codes, category codes, million VND) before any rendering or planted
problem; :func:`register_truth` states the model they were drawn from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.core.provinces import legacy_provinces
from khuyencong.synthetic.params import DemoParams, rng as _rng, years as _years

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



def _categories_for(year: int, params: DemoParams) -> tuple[list[str], np.ndarray]:
    since = {c.code: c.since for c in ds.categories()}
    codes = [c for c in params.category_mix if since[c] <= year]
    probs = np.array([params.category_mix[c] for c in codes], dtype=float)
    return codes, probs / probs.sum()


def base_median_support(params: DemoParams) -> float:
    """Median support of a multiplier-1 local project, so the expected mean hits the target."""
    mix = params.category_mix
    total = sum(mix.values())
    cat_mean = sum(mix[c] / total * params.support_multiplier[c] for c in mix)
    funding = 1 - params.kcqg_share + params.kcqg_share * params.kcqg_multiplier
    return params.mean_state_support / (cat_mean * funding * np.exp(params.state_sigma ** 2 / 2))


def draw_provinces(seed: int, params: DemoParams) -> pd.DataFrame:
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


def draw_register(seed: int, params: DemoParams, pf: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Canonical register rows (codes, million VND) and each province's establishment counter."""
    rng = _rng(seed, 2)
    base = base_median_support(params)
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
    column = ds.category(cat).output_column
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


def register_truth(params: DemoParams, pf: pd.DataFrame, reg: pd.DataFrame) -> dict:
    """What the register was drawn from, and the sample figures it came out with (for the sidecar)."""
    cofunded = reg[reg.beneficiary_contribution > 0]
    names = {p.code: p.name for p in legacy_provinces()}
    return {
        "state_support_model": "log-normal: median = base × category multiplier × (KCQG multiplier if "
                               "national); base chosen so the expected mean equals mean_state_support",
        "base_median_state_support": round(base_median_support(params), 3),
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
