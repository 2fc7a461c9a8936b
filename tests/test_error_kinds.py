"""Which exception a failure raises: the rule of :mod:`khuyencong.errors`, pinned both ways.

What the user can fix (the text of a figure, a data file they edit, a condition of their dataset)
raises an :class:`~khuyencong.errors.InputError` (exit 2, one ``error:`` line from the CLI). A call
outside a function's domain (a bad ``lang``, ``boundaries`` or ``ci``) stays a plain ``ValueError``:
a bug in the calling code, shown with its traceback.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from khuyencong.errors import InputError, KhuyencongError
from khuyencong.ingest.gso import GsoFormatError


# ---------------------------------------------------------------- small data sets

def _event_panel(event_times: dict[str, list]) -> pd.DataFrame:
    """Establishments × 4 years with the given event times (NaN: not treated in that row)."""
    rows = []
    for i, (unit, times) in enumerate(event_times.items()):
        for j, (year, e) in enumerate(zip(range(2016, 2020), times)):
            rows.append({"establishment_id": unit, "year": year, "event_time": e,
                         "log_productivity": 0.1 * i + 0.05 * j + 0.01 * ((i * 7 + j * 3) % 5),
                         "support_category": "A"})
    return pd.DataFrame(rows)


_NAN = np.nan
_TREATED = [-2, -1, 0, 1]   # supported in 2018
_NEVER = [_NAN] * 4


def _no_never_treated():
    from khuyencong.analysis import models

    return models.event_study(_event_panel({"E1": _TREATED, "E2": [-1, 0, 1, 2]}), window=(-2, 2))


def _treatment_missing_on_some_rows():
    from khuyencong.analysis import models

    return models.event_study(_event_panel({"E1": [-2, -1, _NAN, 1], "E2": _NEVER}), window=(-2, 2))


def _adoption_year_not_constant():
    from khuyencong.analysis import models

    return models.event_study(_event_panel({"E1": [-2, -1, 1, 2], "E2": _NEVER}), window=(-2, 2))


def _no_post_observations():
    from khuyencong.analysis import models

    return models.sun_abraham_att(_event_panel({"E1": [-4, -3, -2, -1], "E2": _NEVER, "E3": _NEVER}),
                                  window=(-4, 0))


def _group_not_constant():
    from khuyencong.analysis import models

    panel = _event_panel({"E1": _TREATED, "E2": _NEVER})
    panel.loc[(panel["establishment_id"] == "E1") & (panel["year"] == 2019), "support_category"] = "B"
    return models.did_by_group(panel, "support_category")


def _province_panel(n_units: int = 3, years=range(2016, 2020)) -> pd.DataFrame:
    rows = [{"u": f"P{i}", "t": t, "x": float((i * 5 + t * 3) % 7), "y": float((i * 3 + t * 2) % 5), "c": "one"}
            for i in range(n_units) for t in years]
    return pd.DataFrame(rows)


def _no_complete_rows():
    from khuyencong.analysis import fixed_effects

    return fixed_effects.panel_twfe(_province_panel().assign(y=np.nan), "y", "x", unit="u", time="t")


def _one_cluster():
    from khuyencong.analysis import fixed_effects

    return fixed_effects.panel_twfe(_province_panel(), "y", "x", unit="u", time="t", cluster="c")


def _no_residual_dof():
    from khuyencong.analysis import fixed_effects

    # 2 provinces × 2 years, clusters across provinces: 4 rows, 4 parameters (x, 2 units, 1 year)
    panel = pd.DataFrame({"u": ["A", "A", "B", "B"], "t": [1, 2, 1, 2], "x": [0.0, 0.0, 0.0, 1.0],
                          "y": [1.0, 2.0, 3.0, 5.0], "c": ["k", "m", "m", "k"]})
    return fixed_effects.panel_twfe(panel, "y", "x", unit="u", time="t", cluster="c")


def _stats(codes=("24", "27"), years=(2018, 2019)) -> pd.DataFrame:
    return pd.DataFrame([{"province_code": c, "year": y, "industrial_grdp": 100.0 + y - 2018, "iip": 105.0,
                          "population": 1000.0} for c in codes for y in years])


def _register(state_support=(10.0, 20.0)) -> pd.DataFrame:
    return pd.DataFrame({"province_code": ["24", "27"], "year": [2019, 2019], "status": ["completed"] * 2,
                         "state_support": list(state_support)})


def _growth_duplicates():
    from khuyencong.analysis import growth

    stats = _stats()
    return growth.growth_panel(_register(), pd.concat([stats, stats.head(1)]), boundaries="legacy")


def _growth_without_state_support():
    from khuyencong.analysis import growth

    return growth.growth_panel(_register(state_support=(10.0, None)), _stats(), boundaries="legacy")


def _selection_without_rows():
    from khuyencong.analysis import metrics

    data = pd.DataFrame({"province_code": ["24", "27"], "year": [2019, 2019], "value": [1.0, 2.0]})
    return metrics.selection_vs_country(lambda df, by: df.groupby(by, as_index=False)["value"].sum(),
                                        data, "province_code", "01")


def _versus_region_empty():
    from khuyencong.analysis import metrics

    table = pd.DataFrame(columns=["indicator", "province_code", "region_code", "value", "num", "den"])
    return metrics.versus_region(table, "value", "num", "den", "indicator")


def _rebase_duplicates():
    from khuyencong.core.rebase import rebase_to_2025

    frame = pd.DataFrame({"province_code": ["24", "24"], "year": [2019, 2019], "v": [1.0, 2.0]})
    return rebase_to_2025(frame, sums=["v"])


def _truth_mismatch():
    from khuyencong.synthetic import truth

    sidecar = {"truth": {"survey": {"att_by_event_time_sample": {"0": 0.1, "1": 0.2}}}}
    return truth.true_event_path(sidecar, [0, 1, 7])


def _ceilings_file(tmp_path, body: str):
    from khuyencong.analysis import ceilings

    path = tmp_path / "support_ceilings.csv"
    path.write_text(",".join(ceilings.CEILING_COLUMNS) + "\n" + body, encoding="utf-8")
    return ceilings.load_ceilings(path)


def _ceiling_category() -> str:
    from khuyencong.core.datasets import categories

    return categories()[0].code


def _ceilings_not_a_number(tmp_path):
    return _ceilings_file(tmp_path, f"{_ceiling_category()},KCQG,50%,,Circular 28/2018,yes\n")


def _ceilings_share_over_one(tmp_path):
    return _ceilings_file(tmp_path, f"{_ceiling_category()},KCQG,1.5,,Circular 28/2018,yes\n")


def _ceilings_verified_without_value(tmp_path):
    return _ceilings_file(tmp_path, f"{_ceiling_category()},KCQG,,,Circular 28/2018,yes\n")


def _ceilings_wrong_columns(tmp_path):
    from khuyencong.analysis import ceilings

    path = tmp_path / "support_ceilings.csv"
    path.write_text("category,share\nX,0.5\n", encoding="utf-8")
    return ceilings.load_ceilings(path)


def _reference_points_repeat(tmp_path, monkeypatch):
    from khuyencong.analysis import productivity

    row = ["R1", "productivity", "15", "40"] + ["x"] * (len(productivity.REFERENCE_COLUMNS) - 4)
    lines = [",".join(productivity.REFERENCE_COLUMNS), ",".join(row), ",".join(row)]
    (tmp_path / productivity.REFERENCE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(productivity, "PACKAGE_DATA", tmp_path)
    return productivity.reference_points()


def _published_units():
    from khuyencong.analysis import productivity

    figures = pd.DataFrame({"indicator": ["productivity_gain"], "unit": ["million VND"]})
    return productivity.published_claims(figures)


def _parse(text: str, decimal: str | None = None):
    from khuyencong.core import vnformat

    return lambda: vnformat.parse_amount(text, decimal)


def _number(text: str, decimal: str | None = ","):
    from khuyencong.core import vnnumber

    return lambda: vnnumber.parse_number(text, decimal)


def _gso_label():
    from khuyencong.ingest import gso

    return gso.parse_label("2016 2017 Total")


def _published_date():
    from khuyencong.ingest import published

    return published.parse_date("12/5/2019")


# (case, call, expected class, distinctive part of the message); calls taking tmp_path get it
USER_FIXABLE = [
    ("vnformat: a decrease", _parse("giảm 5%"), InputError, "decrease"),
    ("vnformat: unknown rate", _parse("3 triệu đồng/con mèo"), InputError, "unknown rate denominator"),
    ("vnformat: range reversed", _parse("40 - 15%"), InputError, "range low end"),
    ("vnformat: fraction over the whole", _parse("9/7 nội dung"), InputError, "more than the whole"),
    ("vnformat: text after the number", _parse("5 tỷ đồng abc"), InputError, "cannot read 'tỷ đồng abc'"),
    ("vnformat: no number", _parse("khoảng"), InputError, "no number found"),
    ("vnnumber: not English", _number("1.234,5", "."), InputError, "not an English-format number"),
    ("vnnumber: not Vietnamese", _number("12.34", ","), InputError, "not a Vietnamese-format number"),
    ("vnnumber: overflow", _number("1e999", "."), InputError, "overflows a float"),
    ("gso: column label", _gso_label, GsoFormatError, "is not '\\[measure\\] \\[Prel.\\] YYYY'"),
    ("published: date", _published_date, InputError, "is not YYYY, YYYY-MM or YYYY-MM-DD"),
    ("ceilings: not a number", _ceilings_not_a_number, InputError, "max_state_share is not a number in rows \\[2\\]"),
    ("ceilings: share over 1", _ceilings_share_over_one, InputError, "must be a fraction in \\(0, 1\\]"),
    ("ceilings: verified, no value", _ceilings_verified_without_value, InputError, "say verified=yes but give no"),
    ("ceilings: columns", _ceilings_wrong_columns, InputError, "columns must be"),
    ("reference points: ref_id repeats", _reference_points_repeat, InputError, "ref_id repeats: \\['R1'\\]"),
    ("published claims: units", _published_units, InputError, "must be in percent"),
    ("models: no never-treated", _no_never_treated, InputError, "no never-treated units"),
    ("models: treatment partly missing", _treatment_missing_on_some_rows, InputError, "missing on some but not all"),
    ("models: adoption year moves", _adoption_year_not_constant, InputError, "must be constant within each unit"),
    ("models: nothing at e >= 0", _no_post_observations, InputError, "no treated observations at event time >= 0"),
    ("models: group not constant", _group_not_constant, InputError, "must be constant within each treated"),
    ("fixed effects: no complete rows", _no_complete_rows, InputError, "no complete rows"),
    ("fixed effects: one cluster", _one_cluster, InputError, "at least 2 clusters"),
    ("fixed effects: no residual dof", _no_residual_dof, InputError, "no residual degrees of freedom"),
    ("growth: duplicated stats", _growth_duplicates, InputError, "more than one row for some province_code"),
    ("growth: no state_support", _growth_without_state_support, InputError, "have no state_support"),
    ("metrics: selection without rows", _selection_without_rows, InputError, "no rows with province_code == '01'"),
    ("metrics: empty table", _versus_region_empty, InputError, "the table is empty"),
    ("rebase: duplicate rows", _rebase_duplicates, InputError, "duplicate province-year rows"),
    ("truth: another demo set", _truth_mismatch, InputError, "have no true effect in the sidecar"),
]


@pytest.mark.parametrize("call, kind, match", [c[1:] for c in USER_FIXABLE], ids=[c[0] for c in USER_FIXABLE])
def test_what_the_user_can_fix_is_an_input_error(call, kind, match, tmp_path, monkeypatch):
    import inspect

    wanted = inspect.signature(call).parameters
    kwargs = {k: v for k, v in (("tmp_path", tmp_path), ("monkeypatch", monkeypatch)) if k in wanted}
    with pytest.raises(kind, match=match) as info:
        call(**kwargs)
    assert isinstance(info.value, ValueError)  # every `except ValueError` still catches it
    assert info.value.exit_code == 2


# ---------------------------------------------------------------- the other way: a wrong call is a bug

def _check_lang():
    from khuyencong.core import i18n

    return i18n.check_lang("fr")


def _bad_boundaries():
    from khuyencong.core import provinces

    return provinces.normalize_province("Hà Nội", boundaries="1990")


def _bad_ci():
    from khuyencong.analysis import fixed_effects

    return fixed_effects.check_ci(1.5)


def _bad_n_boot():
    from khuyencong.analysis import area_rows

    return area_rows.ratio_interval([1.0, 2.0], [2.0, 3.0], n_boot=0)


def _bad_window():
    from khuyencong.analysis import models

    return models.event_study(_event_panel({"E1": _TREATED, "E2": _NEVER}), window=(2, -2))


def _bad_decimal():
    from khuyencong.core import vnnumber

    return vnnumber.parse_number("1", decimal=";")


def _non_finite_format():
    from khuyencong.core import vnnumber

    return vnnumber.format_vn(float("nan"))


def _bad_unit():
    from khuyencong.core import i18n

    return i18n.fmt_money(1.0, "vi", unit="crore")


def _columns_named_twice():
    from khuyencong.core.rebase import rebase_to_2025

    frame = pd.DataFrame({"province_code": ["24"], "year": [2019], "v": [1.0], "w": [1.0]})
    return rebase_to_2025(frame, sums=["v"], weighted={"v": "w"})


def _band_reversed():
    from khuyencong.analysis import metrics

    return metrics.share_in_band(pd.DataFrame({"gain": [0.1]}), low=0.5, high=0.2)


PROGRAMMER_ERRORS = [
    ("lang", _check_lang, "lang must be 'vi'"),
    ("boundaries", _bad_boundaries, "boundaries must be 'legacy'"),
    ("ci", _bad_ci, "ci must be a coverage level"),
    ("n_boot", _bad_n_boot, "n_boot must be a positive number"),
    ("window", _bad_window, "must satisfy lo < hi"),
    ("decimal", _bad_decimal, "decimal must be None"),
    ("format nan", _non_finite_format, "cannot format non-finite value"),
    ("money unit", _bad_unit, "unit must be 'auto'"),
    ("rebase columns named twice", _columns_named_twice, "named both in sums and in weighted"),
    ("band low > high", _band_reversed, "must not exceed high"),
]


@pytest.mark.parametrize("call, match", [c[1:] for c in PROGRAMMER_ERRORS], ids=[c[0] for c in PROGRAMMER_ERRORS])
def test_a_wrong_call_stays_a_plain_value_error(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert not isinstance(info.value, KhuyencongError), type(info.value).__mro__


def test_warm_kernels_on_a_kernelspec_without_ipykernel_launcher_are_an_environment_problem():
    from khuyencong.errors import EnvironmentProblem
    from khuyencong.runner import kernels

    with pytest.raises(EnvironmentProblem, match="runs `python -m ipykernel_launcher`") as info:
        kernels.zygote_for(["/usr/bin/python3", "-m", "some_other_kernel", "-f", "{connection_file}"])
    assert info.value.exit_code == 5
