import pandas as pd
import pytest

from khuyencong.analysis.selection import select


def test_all_provinces_keeps_every_row_in_the_years():
    sel = select("all", 2014, 2016)
    df = pd.DataFrame({"province_code_2025": ["24", "92"], "year": [2013, 2015]})
    assert sel.province is None
    assert sel.filter(df)["year"].tolist() == [2015]


def test_legacy_name_on_2025_boundaries_selects_its_successor_and_says_so():
    sel = select("Sóc Trăng", boundaries="2025", lang="en")
    assert sel.province.code == "92"
    assert "Sóc Trăng" in sel.note and "Cần Thơ" in sel.note


@pytest.mark.parametrize("boundaries, code, column", [("legacy", "27", "province_code"),
                                                      ("2025", "24", "province_code_2025")])
def test_filter_uses_the_codes_of_the_chosen_boundaries(boundaries, code, column):
    sel = select("Bac Ninh", boundaries=boundaries)
    assert (sel.province.code, sel.code_column) == (code, column)
    df = pd.DataFrame({"province_code": ["24", "27"], "province_code_2025": ["24", "24"], "year": [2015, 2015]})
    expected = 1 if boundaries == "legacy" else 2
    assert len(sel.filter(df)) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"boundaries": "1975"}, "boundaries"),
    ({"start_year": 2020, "end_year": 2010}, "start_year"),
    ({"lang": "fr"}, "fr"),
    ({"province": "Bac Giag"}, "Bắc Giang"),
])
def test_bad_parameters_say_what_to_pass(kwargs, message):
    with pytest.raises(ValueError, match=message):
        select(**kwargs)


def test_boundaries_given_as_a_number_from_the_command_line():
    assert select("Bắc Ninh", boundaries=2025).boundaries == "2025"
