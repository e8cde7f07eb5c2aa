"""The analytic views: exactly the documented columns, member aggregates over active members, ages on as_of."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.policy.analytic_view import HOUSEHOLD_INPUT_FIELDS, MEMBER_INPUT_FIELDS, household_view, person_view
from fupin.policy.income import IncomeSettings
from fupin.policy.rules import HOUSEHOLD_COLUMNS, PERSON_COLUMNS

AS_OF = date(2018, 3, 1)
DTYPES = {"int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "str": pl.String, "date": pl.Date}


def households(**overrides) -> pl.DataFrame:
    base = {
        "id": [1, 2, 3],
        "household_number": ["35042110020000001", "35042110020000002", "35042210010000001"],
        "village_code": ["350421100200", "350421100200", "350422100100"],
        "township_code": ["350421100000", "350421100000", "350422100000"],
        "county_code": ["350421000000", "350421000000", "350422000000"],
        "status": ["active", "active", "active"],
        "identification_standard": ["1", "2", "1"],
        "category": ["1", "2", "4"],
        "category_form_version": ["2016", "2016", "2014"],
        "main_cause": ["1", "5", "8"],
        "other_cause_1": ["7", "", ""],
        "other_cause_2": ["", "", "2"],
        "income_wage": [3000.0, 1000.0, 0.0],
        "income_business": [0.0, 500.0, 0.0],
        "income_property": [0.0, 0.0, 0.0],
        "transfer_dibao": [0.0, 1200.0, 0.0],
        "transfer_wubao": [0.0, 0.0, 3000.0],
        "transfer_pension": [600.0, 0.0, 0.0],
        "transfer_eco": [0.0, 0.0, 0.0],
        "transfer_other": [0.0, 0.0, 0.0],
        "business_expense": [0.0, 100.0, 0.0],
        "income_net": [3600.0, 2600.0, 3000.0],
        "income_per_capita": [1200.0, 1300.0, 3000.0],
        "has_electricity": [True, True, False],
    }
    base.update(overrides)
    return pl.DataFrame(base)


def members() -> pl.DataFrame:
    rows = [
        # household 1: three active (one turns 18 on as_of, one turns 60 the day after), one who left
        dict(id=10, household_id=1, id_number="350421200003011234", birth_date=date(2000, 3, 1), labour_skill="1",
             health="1", schooling="1", migrant_work="3", migrant_months=12, is_dibao=False, is_tekun=False,
             status="active"),
        dict(id=11, household_id=1, id_number="35042119580302123X", birth_date=date(1958, 3, 2), labour_skill="3",
             health="3", schooling="1", migrant_work="", migrant_months=0, is_dibao=False, is_tekun=False,
             status="active"),
        dict(id=12, household_id=1, id_number="350421201006011234", birth_date=date(2010, 6, 1), labour_skill="4",
             health="1", schooling="3", migrant_work="", migrant_months=0, is_dibao=False, is_tekun=False,
             status="active"),
        dict(id=13, household_id=1, id_number="350421195001011234", birth_date=date(1950, 1, 1), labour_skill="4",
             health="4", schooling="1", migrant_work="", migrant_months=0, is_dibao=False, is_tekun=False,
             status="left"),
        # household 2: two active, both with labour, one on dibao, one disabled but able
        dict(id=20, household_id=2, id_number="350421197001011234", birth_date=date(1958, 3, 1), labour_skill="2",
             health="4", schooling="1", migrant_work="", migrant_months=3, is_dibao=True, is_tekun=False,
             status="active"),
        dict(id=21, household_id=2, id_number="350421200002291234", birth_date=date(2000, 2, 29), labour_skill="1",
             health="2", schooling="10", migrant_work="", migrant_months=0, is_dibao=False, is_tekun=False,
             status="active"),
        # household 3 has no active member
        dict(id=30, household_id=3, id_number="350422194001011234", birth_date=date(1940, 1, 1), labour_skill="4",
             health="3", schooling="1", migrant_work="", migrant_months=0, is_dibao=False, is_tekun=True,
             status="left"),
    ]
    return pl.DataFrame(rows)


def matches() -> pl.DataFrame:
    return pl.DataFrame({
        "id_number": ["35042119580302123x", "350421197001011234", "350421197001011234", "350421195001011234",
                      "999999999999999999"],
        "kind": ["vehicle", "payroll", "village_cadre", "real_estate", "business"],
    })


@pytest.fixture
def hv() -> pl.DataFrame:
    return household_view(households(), members(), as_of=AS_OF, poverty_line=2952, matches=matches())


def row(frame: pl.DataFrame, key: str, value: int) -> dict:
    found = frame.filter(pl.col(key) == value)
    assert found.height == 1
    return found.row(0, named=True)


def test_household_view_has_exactly_the_documented_columns(hv):
    assert hv.columns == list(HOUSEHOLD_COLUMNS)
    assert hv.schema == pl.Schema({name: DTYPES[c.kind] for name, c in HOUSEHOLD_COLUMNS.items()})
    assert hv.height == 3


def test_person_view_has_exactly_the_documented_columns():
    pv = person_view(households(), members(), as_of=AS_OF, matches=matches())
    assert pv.columns == list(PERSON_COLUMNS)
    assert pv.schema == pl.Schema({name: DTYPES[c.kind] for name, c in PERSON_COLUMNS.items()})
    assert sorted(pv["member_id"].to_list()) == [10, 11, 12, 20, 21]  # active members only


def test_member_aggregates_count_active_members_only(hv):
    h1 = row(hv, "household_id", 1)
    assert h1["n_members"] == 3
    assert h1["n_labour"] == 1
    assert h1["n_under_18"] == 1          # the 2000-03-01 member is 18 on 2018-03-01; the child is 7
    assert h1["n_over_60"] == 0           # born 1958-03-02: still 59 on 2018-03-01
    assert h1["n_lost_labour"] == 1       # labour 3 + serious illness; the child (labour 4, healthy) is not
    assert h1["n_ill"] == 1
    assert h1["n_disabled"] == 0          # the disabled member left
    assert h1["n_students"] == 1
    assert h1["n_migrant"] == 1
    assert h1["n_away_12m"] == 1
    assert h1["any_real_estate"] is False  # the member matched by real estate left the household
    h2 = row(hv, "household_id", 2)
    assert (h2["n_members"], h2["n_labour"], h2["n_over_60"], h2["n_disabled"], h2["n_ill"]) == (2, 2, 1, 1, 1)
    assert h2["n_lost_labour"] == 0        # disabled but with labour
    assert h2["n_students"] == 1 and h2["n_migrant"] == 1 and h2["n_away_12m"] == 0
    assert h2["any_dibao"] is True and h2["any_tekun"] is False


def test_household_without_active_members_has_zero_counts(hv):
    h3 = row(hv, "household_id", 3)
    assert all(h3[name] == 0 for name in HOUSEHOLD_COLUMNS if name.startswith("n_"))
    assert all(h3[name] is False for name in HOUSEHOLD_COLUMNS if name.startswith("any_"))


def test_matches_mark_members_by_id_number(hv):
    h1, h2 = row(hv, "household_id", 1), row(hv, "household_id", 2)
    assert h1["any_vehicle"] is True       # lower-case x in the department's list still matches
    assert h1["any_public_payroll"] is False
    assert h2["any_public_payroll"] is True and h2["any_village_cadre"] is True
    assert not any(r["any_business"] for r in hv.iter_rows(named=True))
    pv = person_view(households(), members(), as_of=AS_OF, matches=matches())
    assert row(pv, "member_id", 11)["has_vehicle"] is True
    assert row(pv, "member_id", 20)["on_public_payroll"] is True
    assert row(pv, "member_id", 20)["is_village_cadre"] is True
    assert row(pv, "member_id", 10)["has_vehicle"] is False


def test_without_matches_every_match_flag_is_false():
    view = household_view(households(), members(), as_of=AS_OF, poverty_line=2952)
    for name in ("any_vehicle", "any_real_estate", "any_business", "any_public_payroll", "any_village_cadre",
                 "any_deceased"):
        assert view[name].to_list() == [False, False, False]
    odd = pl.DataFrame({"id_number": ["35042119580302123X"], "kind": ["imprisoned"]})
    view = household_view(households(), members(), as_of=AS_OF, poverty_line=2952, matches=odd)
    assert view["any_vehicle"].to_list() == [False, False, False]


def test_ages_are_completed_years_on_as_of():
    pv = person_view(households(), members(), as_of=AS_OF)
    assert row(pv, "member_id", 10)["age"] == 18      # birthday today
    assert row(pv, "member_id", 11)["age"] == 59      # birthday tomorrow
    assert row(pv, "member_id", 20)["age"] == 60
    assert row(pv, "member_id", 21)["age"] == 18      # 29 February: a year older on 1 March
    before = person_view(households(), members(), as_of=date(2018, 2, 28))
    assert row(before, "member_id", 21)["age"] == 17
    assert row(before, "member_id", 10)["age"] == 17


def test_person_flags():
    pv = person_view(households(), members(), as_of=AS_OF)
    m11, m12, m20, m21 = (row(pv, "member_id", i) for i in (11, 12, 20, 21))
    assert (m11["has_labour"], m11["lost_labour"], m11["is_ill"]) == (False, True, True)
    assert (m12["has_labour"], m12["lost_labour"], m12["is_student"]) == (False, False, True)
    assert (m20["has_labour"], m20["lost_labour"], m20["is_disabled"], m20["is_dibao"]) == (True, False, True, True)
    assert m21["is_student"] is True and m21["is_ill"] is True
    assert m20["category_group"] == "dibao_poor" and m20["village_code"] == "350421100200"
    assert m20["n_members"] == 2 and m20["main_cause"] == "5" and m20["cause_land"] is True


def test_cause_flags_read_main_and_other_causes(hv):
    h1, h2, h3 = (row(hv, "household_id", i) for i in (1, 2, 3))
    assert h1["cause_illness"] and h1["cause_skills"] and not h1["cause_land"]
    assert h2["cause_land"] and not h2["cause_illness"]
    assert h3["cause_labour"] and h3["cause_disability"]
    assert h1["cause_other"] is False


@pytest.mark.parametrize("version, category, labour, dibao, tekun, group", [
    ("2014", "1", 1, False, False, "general"),
    ("2014", "2", 0, False, False, "dibao_poor"),
    ("2014", "3", 1, False, False, "dibao"),
    ("2014", "4", 0, False, False, "wubao"),
    ("2016", "1", 0, True, False, "general"),
    ("2016", "2", 1, False, False, "dibao_poor"),
    ("2016", "2", 0, False, False, "dibao"),
    ("2016", "3", 1, False, False, "wubao"),
    ("2016", "", 0, False, True, "wubao"),
    ("2016", "", 1, True, False, "dibao_poor"),
    ("2016", "", 0, True, False, "dibao"),
    ("2016", "", 1, False, False, "general"),
])
def test_category_group(version, category, labour, dibao, tekun, group):
    hh = pl.DataFrame({"id": [1], "category": [category], "category_form_version": [version]})
    mm = pl.DataFrame({"id": [1], "household_id": [1], "id_number": ["x"], "birth_date": [date(1980, 1, 1)],
                       "labour_skill": ["1" if labour else "4"], "is_dibao": [dibao], "is_tekun": [tekun]})
    view = household_view(hh, mm, as_of=AS_OF, poverty_line=2952)
    assert view["category_group"].to_list() == [group]


def test_poverty_line_one_amount_or_by_standard():
    view = household_view(households(), members(), as_of=AS_OF, poverty_line=2952)
    assert view["poverty_line"].to_list() == [2952.0] * 3
    view = household_view(households(), members(), as_of=AS_OF, poverty_line={"1": 2952, "2": 3300})
    assert view["poverty_line"].to_list() == [2952.0, 3300.0, 2952.0]
    view = household_view(households(), members(), as_of=AS_OF, poverty_line={"1": 2952})
    assert view["poverty_line"].to_list() == [2952.0, None, 2952.0]


def test_income_is_stored_or_recomputed_with_the_policy_settings():
    stored = household_view(households(), members(), as_of=AS_OF, poverty_line=2952)
    assert stored["income_per_capita"].to_list() == [1200.0, 1300.0, 3000.0]
    no_dibao = IncomeSettings(version="x", counted_transfers=frozenset({"transfer_wubao", "transfer_pension"}))
    view = household_view(households(), members(), as_of=AS_OF, poverty_line=2952, income_settings=no_dibao)
    assert view["income_net"].to_list() == [3600.0, 1400.0, 3000.0]
    assert view["income_per_capita"].to_list() == [1200.0, 700.0, None]  # household 3 has no active member
    thirds = household_view(households(income_wage=[1000.0, 0.0, 0.0], transfer_pension=[0.0, 0.0, 0.0]),
                            members(), as_of=AS_OF, poverty_line=2952, income_settings=no_dibao)
    assert thirds["income_per_capita"][0] == 333.33


def test_missing_optional_columns_are_null_and_ids_are_required():
    view = household_view(pl.DataFrame({"id": [1]}), pl.DataFrame({"household_id": [1]}), as_of=AS_OF,
                          poverty_line=2952)
    r = view.row(0, named=True)
    assert r["n_members"] == 1 and r["main_cause"] is None and r["has_electricity"] is None
    with pytest.raises(ValueError, match="id"):
        household_view(pl.DataFrame({"village_code": ["1"]}), members(), as_of=AS_OF, poverty_line=2952)
    with pytest.raises(ValueError, match="household_id"):
        person_view(households(), pl.DataFrame({"id": [1]}), as_of=AS_OF)


def test_empty_frames():
    empty_h = pl.DataFrame(schema={"id": pl.Int64})
    empty_m = pl.DataFrame(schema={"household_id": pl.Int64})
    view = household_view(empty_h, empty_m, as_of=AS_OF, poverty_line=2952)
    assert view.height == 0 and view.columns == list(HOUSEHOLD_COLUMNS)
    assert person_view(empty_h, empty_m, as_of=AS_OF).columns == list(PERSON_COLUMNS)


def test_string_dates_and_extra_columns_are_accepted():
    mm = members().with_columns(pl.col("birth_date").cast(pl.String), pl.lit("x").alias("name"))
    pv = person_view(households(), mm, as_of=AS_OF)
    assert row(pv, "member_id", 10)["age"] == 18


def test_input_field_lists_name_model_fields():
    assert HOUSEHOLD_INPUT_FIELDS[0] == "id"
    assert "village_code" in HOUSEHOLD_INPUT_FIELDS and "n_members" not in HOUSEHOLD_INPUT_FIELDS
    assert "category_group" not in HOUSEHOLD_INPUT_FIELDS and "poverty_line" not in HOUSEHOLD_INPUT_FIELDS
    assert {"id", "household_id", "id_number", "birth_date", "status"} <= set(MEMBER_INPUT_FIELDS)
