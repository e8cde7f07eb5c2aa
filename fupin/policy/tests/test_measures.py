"""The measure catalogue, suggestions, the plan's state machines and the visit policy (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.policy.data import read_toml
from fupin.policy.measures import (
    MeasureCatalogue,
    MeasureError,
    MeasureStatus,
    PathwayRef,
    PlanStatus,
    apply_override,
    check_amount,
    check_measure_transition,
    check_plan_transition,
    days_overdue,
    deadline_state,
    expected_amount,
    load_default_catalogue,
    overdue,
    overdue_expr,
    suggest,
    visit_due_on,
)
from fupin.policy.policy_sets import load_default_policy

CAT = load_default_catalogue()


# ------------------------------------------------------------------------------------------ the catalogue


def test_catalogue_has_every_group_of_domain_section_4():
    groups = {g.id for g in CAT.groups}
    assert {"industry", "employment", "relocation", "education", "health", "housing", "finance", "asset_income",
            "ecology", "social_security", "infrastructure", "pv", "ecommerce", "tourism"} <= groups
    named = {m.label_zh for m in CAT.measures}
    assert {"公益岗位", "雨露计划", "医保代缴", "大病救治", "危房改造", "扶贫小额信贷", "资产收益(入股分红)",
            "易地扶贫搬迁(集中安置)", "易地扶贫搬迁(分散安置)", "户用光伏", "电商销售帮扶", "乡村旅游帮扶"} <= named
    assert CAT.version == "2016.1" and CAT.valid_from == date(2016, 1, 1)


def test_seed_amounts():
    assert [(m, CAT.get(m).default_amount(), CAT.get(m).unit) for m in
            ("industry_bamboo", "industry_tea", "industry_camellia", "industry_fruit")] == [
        ("industry_bamboo", Decimal(800), "mu"), ("industry_tea", Decimal(1500), "mu"),
        ("industry_camellia", Decimal(800), "mu"), ("industry_fruit", Decimal(1000), "mu")]
    relocation = CAT.get("relocation_centralized")
    assert relocation.default_amount() == Decimal(8000) and relocation.default_amount("deep_poverty") == Decimal(16000)
    assert relocation.unit == "person"
    loan = CAT.get("finance_microloan")
    assert (loan.max_amount, loan.max_term_months) == (Decimal(50000), 36)
    assert CAT.get("infra_road").level == "village" and CAT.get("industry_tea").level == "household"
    assert CAT.get("education_grant").default_amount() is None  # the seeds give no amount: typed in


def test_expected_amount_and_limits():
    assert expected_amount(CAT.get("industry_tea"), Decimal("2.5")) == Decimal("3750.00")
    assert expected_amount(CAT.get("relocation_dispersed"), Decimal(3), "deep_poverty") == Decimal("48000.00")
    assert expected_amount(CAT.get("finance_microloan"), Decimal(30000)) == Decimal(30000)  # yuan: the quantity
    assert expected_amount(CAT.get("education_grant"), Decimal(2)) is None
    assert expected_amount(CAT.get("industry_tea"), None) is None
    loan = CAT.get("finance_microloan")
    check_amount(loan, Decimal(50000), term_months=36)
    with pytest.raises(MeasureError) as e:
        check_amount(loan, Decimal("50000.01"))
    assert (e.value.field, e.value.code) == ("amount", "amount_above_limit") and "50000" in e.value.message
    with pytest.raises(MeasureError) as e:
        check_amount(loan, Decimal(1000), term_months=37)
    assert (e.value.field, e.value.code) == ("term_months", "term_above_limit")


def test_round_trip_and_bad_data():
    assert MeasureCatalogue.from_dict(CAT.to_dict()) == CAT
    data = read_toml("measures.toml")
    bad = {**data, "measures": [*data["measures"], {**data["measures"][0]}]}
    with pytest.raises(MeasureError, match="duplicate measure type ids"):
        MeasureCatalogue.from_dict(bad)
    bad = {**data, "suggest": [{"cause": "1", "measures": ["no_such_measure"]}]}
    with pytest.raises(MeasureError, match="no_such_measure"):
        MeasureCatalogue.from_dict(bad)
    with pytest.raises(MeasureError, match="exactly one trigger"):
        MeasureCatalogue.from_dict({**data, "suggest": [{"cause": "1", "rule": "n_labour > 0", "measures": ["x"]}]})
    with pytest.raises(MeasureError, match="unknown cause"):
        MeasureCatalogue.from_dict({**data, "suggest": [{"cause": "77", "measures": ["industry_tea"]}]})
    with pytest.raises(MeasureError, match="invalid suggestion rule"):
        MeasureCatalogue.from_dict({**data, "suggest": [{"rule": "no_column > 1", "measures": ["industry_tea"]}]})
    with pytest.raises(MeasureError, match="unknown unit"):
        MeasureCatalogue.from_dict({**data, "measures": [{**data["measures"][0], "unit": "ton"}]})


def test_every_suggested_pathway_exists_in_its_shipped_scheme():
    schemes = load_default_policy().schemes
    for row in CAT.suggestions:
        if row.pathway:
            assert row.scheme in schemes, row
            schemes[row.scheme].pathway(row.pathway)  # KeyError if the scheme has no such pathway
    covered = {(r.scheme, r.pathway) for r in CAT.suggestions if r.pathway}
    every = {(s.id, p.id) for s in schemes.values() for p in s.pathways}
    assert every == covered  # every pathway of every shipped scheme suggests something


def test_county_override_makes_a_new_version():
    county = apply_override(CAT, {"version": "2016.1+350421.1", "visits": {"interval_days": 15},
                                  "amounts": {"industry_tea": {"standard": 1200}}, "disable": ["pv_household"],
                                  "suggest": [{"cause": "12", "measures": ["employment_transfer"]}],
                                  "plans": {"approver_roles": ["county"]}})
    assert (county.version, county.based_on, county.visit_interval_days) == ("2016.1+350421.1", "2016.1", 15)
    assert county.get("industry_tea").default_amount() == Decimal(1200)
    assert CAT.get("industry_tea").default_amount() == Decimal(1500)  # the default is not changed
    assert not county.get("pv_household").enabled and "pv_household" not in dict(county.choices())
    assert "pv_household" in dict(county.choices(include=["pv_household"]))
    assert county.approver_roles == ("county",)
    assert [s.measure.id for s in suggest(county, causes=["12"])] == ["employment_transfer"]
    with pytest.raises(MeasureError, match="version"):
        apply_override(CAT, {"visits": {"interval_days": 15}})
    with pytest.raises(MeasureError, match="unknown keys"):
        apply_override(CAT, {"version": "x", "colour": "red"})
    with pytest.raises(MeasureError, match="unknown measure type"):
        apply_override(CAT, {"version": "x", "amounts": {"gold": {"standard": 1}}})
    with pytest.raises(MeasureError, match="at least 1 day"):
        apply_override(CAT, {"version": "x", "visits": {"interval_days": 0}})


# ------------------------------------------------------------------------------------------ suggestions


def ids(suggestions) -> list[str]:
    return [s.measure.id for s in suggestions]


def test_sanming_illness_suggests_health_measures_with_reasons():
    medical = PathwayRef("sanming9", "medical", "医疗救助一批", "Medical aid")
    out = suggest(CAT, pathways=[medical], causes=["1"])
    assert ids(out) == ["health_serious_illness", "health_medical_aid", "health_insurance_premium"]
    first = out[0]
    assert [(r.kind, r.label_zh) for r in first.reasons] == [
        ("pathway", "医疗救助一批(sanming9)"), ("cause", "致贫原因: 因病")]
    assert first.reasons[0].to_dict() == {"kind": "pathway", "label_zh": "医疗救助一批(sanming9)",
                                          "label_en": "Medical aid (sanming9)", "scheme_id": "sanming9",
                                          "pathway_id": "medical"}
    assert [r.kind for r in out[2].reasons] == ["pathway"]  # 医保代缴: the pathway only


def test_each_sanming_pathway_maps_to_its_measures():
    cases = {
        "disability": ["social_disability", "employment_public_post"],
        "education": ["education_yulu", "education_grant"],
        "finance": ["finance_microloan"],
        "relocation": ["relocation_centralized", "relocation_dispersed"],
        "wubao_support": ["social_tekun", "social_collective_care"],
        "dibao_guarantees": ["health_insurance_premium", "social_dibao"],
    }
    for pathway, expected in cases.items():
        assert sorted(ids(suggest(CAT, pathways=[PathwayRef("sanming9", pathway)]))) == sorted(expected), pathway


def test_causes_alone_and_exclusions_and_ranking():
    assert ids(suggest(CAT, causes=["9"])) == ["finance_microloan"]
    assert ids(suggest(CAT, causes=["99", ""])) == []
    assert ids(suggest(CAT, causes=["12"])) == []
    jingyu = [PathwayRef("jingyu6", "production"), PathwayRef("jingyu6", "illness_aid")]
    out = suggest(CAT, pathways=jingyu, causes=["9"])
    assert ids(out)[0] == "finance_microloan"  # two reasons (the pathway and the cause) rank first
    assert "finance_microloan" not in ids(suggest(CAT, pathways=jingyu, causes=["9"], exclude=["finance_microloan"]))
    # a pathway of another scheme with the same id does not trigger this scheme's row
    assert ids(suggest(CAT, pathways=[PathwayRef("other", "medical")])) == []


def test_condition_rows_read_the_household_view():
    row = {"dilapidated_grade": "D", "housing_secure": False, "drinking_water_safe": True,
           "drinking_water_difficult": False}
    out = suggest(CAT, household=row)
    assert ids(out) == ["housing_repair"]
    assert out[0].reasons[0].kind == "condition" and out[0].reasons[0].label_zh == "住房不安全(C/D级危房)"
    ok = {**row, "dilapidated_grade": "", "housing_secure": True}
    assert ids(suggest(CAT, household=ok)) == []
    assert ids(suggest(CAT)) == []  # no row: condition rows are left out


def test_disabled_measures_are_not_suggested():
    county = apply_override(CAT, {"version": "x", "disable": ["health_medical_aid"]})
    assert "health_medical_aid" not in ids(suggest(county, causes=["1"]))


# ------------------------------------------------------------------------------------------ state machines


LEGAL = [("planned", "in_progress"), ("in_progress", "done"), ("planned", "dropped"), ("in_progress", "dropped")]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_measure_moves(current, target):
    check_measure_transition(current, target, reason="换成其他措施" if target == "dropped" else "")


@pytest.mark.parametrize(("current", "target"), [
    ("planned", "done"), ("done", "in_progress"), ("done", "dropped"), ("dropped", "planned"),
    ("dropped", "in_progress"), ("in_progress", "planned"), ("planned", "planned"), ("done", "done")])
def test_illegal_measure_moves_are_refused_clearly(current, target):
    with pytest.raises(MeasureError) as e:
        check_measure_transition(current, target, reason="x")
    assert e.value.code == "illegal_transition" and e.value.field == "status"
    assert "/ a measure cannot go from" in e.value.message


def test_messages_name_the_allowed_moves_and_final_states():
    with pytest.raises(MeasureError) as e:
        check_measure_transition("planned", "done")
    assert e.value.message == ("措施不能从“计划”改为“已完成”: 只能改为“已放弃”、“实施中” / a measure cannot go from planned "
                               "to done: it can only become dropped or in progress")
    with pytest.raises(MeasureError) as e:
        check_measure_transition("done", "dropped", reason="x")
    assert "“已完成”是最终状态" in e.value.message and "done is final" in e.value.message


def test_dropping_needs_a_reason():
    for reason in ("", "   "):
        with pytest.raises(MeasureError) as e:
            check_measure_transition(MeasureStatus.PLANNED, MeasureStatus.DROPPED, reason=reason)
        assert (e.value.code, e.value.field) == ("reason_required", "reason")
    with pytest.raises(MeasureError, match="unknown status"):
        check_measure_transition("planned", "finished")


def test_plan_moves():
    check_plan_transition(PlanStatus.DRAFT, PlanStatus.APPROVED)
    check_plan_transition(PlanStatus.APPROVED, PlanStatus.CLOSED)
    for current, target in (("approved", "draft"), ("closed", "approved"), ("approved", "approved")):
        with pytest.raises(MeasureError, match="a plan cannot go from"):
            check_plan_transition(current, target)


# ------------------------------------------------------------------------------------------ visits and deadlines

D = date(2024, 6, 30)


def test_overdue_visits():
    assert not overdue(D - timedelta(days=30), D, 30)  # exactly N days ago: on time
    assert overdue(D - timedelta(days=31), D, 30)
    assert not overdue(D - timedelta(days=1), D, 30)
    assert not overdue(None, D, 30, since=D - timedelta(days=10))  # paired 10 days ago, not visited yet
    assert overdue(None, D, 30, since=D - timedelta(days=31))
    assert overdue(None, D, 30)  # nothing known: overdue
    assert overdue(D - timedelta(days=20), D, 15, since=D - timedelta(days=1))  # the last visit counts, not since
    assert visit_due_on(D, 30) == D + timedelta(days=30)
    assert days_overdue(D - timedelta(days=45), D, 30) == 15
    assert days_overdue(None, D, 30) is None
    with pytest.raises(MeasureError):
        overdue(D, D, 0)


@given(st.lists(st.tuples(st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2025, 1, 1))),
                          st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2025, 1, 1))),
                          st.integers(1, 120)), max_size=30),
       st.dates(date(2020, 1, 1), date(2025, 6, 1)))
def test_overdue_expr_equals_the_pure_function(rows, today):
    frame = pl.DataFrame(rows, schema={"last_visit": pl.Date, "since": pl.Date, "n": pl.Int64}, orient="row")
    got = frame.select(overdue_expr(today).alias("o"))["o"].to_list()
    assert got == [overdue(lv, today, n, since=since) for lv, since, n in rows]


def test_deadlines():
    assert deadline_state(D - timedelta(days=1), D, "planned") == "overdue"
    assert deadline_state(D - timedelta(days=1), D, "in_progress") == "overdue"
    assert deadline_state(D, D, "planned") == "due_soon"
    assert deadline_state(D + timedelta(days=14), D, "planned") == "due_soon"
    assert deadline_state(D + timedelta(days=15), D, "planned") == ""
    assert deadline_state(D + timedelta(days=15), D, "planned", 30) == "due_soon"
    assert deadline_state(D - timedelta(days=1), D, "done") == ""
    assert deadline_state(D - timedelta(days=1), D, "dropped") == ""
    assert deadline_state(None, D, "planned") == ""
