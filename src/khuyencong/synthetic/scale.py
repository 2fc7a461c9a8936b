"""Large register and survey CSVs for benchmarks: vectorised draws shaped like the demo set."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.core.provinces import legacy_provinces
from khuyencong.files import atomic_write_text
from khuyencong.synthetic.params import DEMO_SEED, DemoParams, rng as _rng


def generate_register_csv(path: Path | str, n_rows: int, seed: int = DEMO_SEED) -> dict:
    """Write a large register CSV (Vietnamese headers, UTF-8, ``;`` separator, ``,`` decimals) plus a matching survey.

    Vectorised: a million rows take a few seconds. The survey goes beside ``path`` as
    ``<stem>_survey.csv``; its supported establishments are register establishments.
    Returns the two paths and their row counts.
    """
    rng = _rng(seed, 900)
    path = Path(path)
    provs = legacy_provinces()
    codes = np.array([p.code for p in provs])
    pnames = np.array([p.name for p in provs])
    params = DemoParams()
    cats = list(params.category_mix)
    cat_p = np.array([params.category_mix[c] for c in cats])
    cat_names = np.array([ds.category(c).name_vi for c in cats])
    p_i = rng.integers(len(provs), size=n_rows)
    year = rng.integers(2012, 2025, size=n_rows)
    c_i = rng.choice(len(cats), size=n_rows, p=cat_p / cat_p.sum())
    national = rng.random(n_rows) < 0.3
    state = np.round(np.maximum(5, 100 * np.exp(rng.normal(0, 0.6, n_rows)) * np.where(national, 1.8, 1)), 1)
    ratio = np.array([params.cofunding_ratio[c] for c in cats])[c_i] * np.exp(rng.normal(0, 0.35, n_rows))
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
    _write_csv(path, df)
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
    _write_csv(path, df)
    return len(df)


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    """``;``-separated, ``,`` decimals: what the readers meet in provincial files."""
    with io.StringIO() as buf:
        df.to_csv(buf, index=False, sep=";", decimal=",", float_format="%.1f")
        atomic_write_text(path, buf.getvalue())
