"""Poverty lines (扶贫标准): domain.md §1 defaults, unconfirmed marks, most specific region, year lag."""

from __future__ import annotations

import pytest

from fupin.policy.policy_sets import apply_override, load_default_policy
from fupin.policy.poverty_lines import PovertyLine, PovertyLineMissing, PovertyLineTable

NATIONAL = {2011: 2536, 2012: 2625, 2013: 2736, 2014: 2800, 2015: 2855, 2016: 2952, 2017: 2952, 2018: 2995,
            2019: 3218, 2020: 4000}
PROJECTED = {2017: 3335, 2018: 3535, 2019: 3747, 2020: 3972}


def test_default_national_lines_are_domain_values():
    table = load_default_policy().lines
    for year, amount in NATIONAL.items():
        assert table.amount(year=year) == amount
    for year, amount in PROJECTED.items():
        assert table.amount(year=year, series="exit_projected") == amount


def test_unconfirmed_values_are_marked():
    table = load_default_policy().lines
    unconfirmed = {y for y in NATIONAL if table.lookup(year=y).unconfirmed}
    assert unconfirmed == {2017, 2018, 2020}
    assert "≈" in table.lookup(year=2020).note
    assert not table.lookup(year=2017, series="exit_projected").unconfirmed
    assert table.lookup(year=2015, series="exit_projected").unconfirmed  # computed, not in the sources


def test_projected_line_is_six_percent_a_year_from_2014():
    table = load_default_policy().lines
    for year in range(2015, 2021):
        assert table.amount(year=year, series="exit_projected") == round(2800 * 1.06 ** (year - 2014))


def test_most_specific_region_prefix_wins():
    table = PovertyLineTable((
        PovertyLine("current", "2", "35", 2016, 3100),
        PovertyLine("current", "2", "3504", 2016, 3200),
        PovertyLine("current", "2", "350421", 2016, 3300),
        PovertyLine("current", "1", "", 2016, 2952),
    ))
    assert table.amount(year=2016, standard="2", region_code="350421100200") == 3300
    assert table.amount(year=2016, standard="2", region_code="350423000000") == 3200
    assert table.amount(year=2016, standard="2", region_code="350100000000") == 3100
    assert table.amount(year=2016, standard="1", region_code="350421100200") == 2952
    with pytest.raises(PovertyLineMissing, match="未找到扶贫标准 no poverty line"):
        table.amount(year=2016, standard="2", region_code="360100000000")   # no silent fallback to 国家标准
    with pytest.raises(PovertyLineMissing):
        table.amount(year=2017, standard="1")
    with pytest.raises(PovertyLineMissing):
        table.amount(year=2016, standard="3", region_code="350421000000")


def test_year_lag_judges_year_n_by_the_line_of_n_minus_lag():
    policy = load_default_policy()
    assert policy.poverty_line(year=2016, region_code="350421000000") == 2952
    lagged = apply_override(policy, {"lag": 1}, version="350421-2016.1")
    assert lagged.poverty_line(year=2016, region_code="350421000000") == 2855
    assert lagged.poverty_line(year=2020) == 3218
    with pytest.raises(PovertyLineMissing):
        lagged.poverty_line(year=2011)


def test_contract_call_and_lines_by_standard():
    policy = load_default_policy()
    assert policy.poverty_line(standard="1", region_code="350421000000", year=2016) == 2952.0
    county = apply_override(policy, {"poverty_lines": [
        {"standard": "2", "region": "35", "year": 2016, "amount": 3300},
        {"standard": "1", "region": "", "year": 2016, "amount": 2960, "note": "corrected"},
    ]}, version="35-2016.1")
    assert county.poverty_lines_by_standard(year=2016, region_code="350421000000") == {"1": 2960.0, "2": 3300.0}
    assert county.poverty_lines_by_standard(year=2016, region_code="360000000000") == {"1": 2960.0}
    assert policy.poverty_line(year=2016) == 2952  # the base is unchanged


def test_lines_are_validated():
    with pytest.raises(ValueError):
        PovertyLine("current", "4", "", 2016, 3000)
    with pytest.raises(ValueError):
        PovertyLine("current", "1", "3504a", 2016, 3000)
    with pytest.raises(ValueError):
        PovertyLine("current", "1", "350", 2016, 3000)
    with pytest.raises(ValueError):
        PovertyLine("current", "1", "", 2016, 0)
    with pytest.raises(ValueError, match="duplicate"):
        PovertyLineTable((PovertyLine("current", "1", "", 2016, 1), PovertyLine("current", "1", "", 2016, 2)))
    with pytest.raises(ValueError, match="unknown"):
        PovertyLine.from_dict({"year": 2016, "amount": 1, "amout": 2})


def test_table_round_trip():
    table = load_default_policy().lines
    assert PovertyLineTable.from_dict(table.to_dict()) == table
    assert table.series_label("exit_projected").startswith("按年增6%")
