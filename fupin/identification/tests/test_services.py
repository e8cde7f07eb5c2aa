"""The identification procedure through its services: a village walked through every step, refusals,
publicity periods, objections, quorum, the Kaizhou and Jingyu variants, and the registry at the end."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.core.models import ChangeRecord
from fupin.identification import services
from fupin.identification.models import AppendOnlyError, IdentificationCase, Objection, ProcedureEvent
from fupin.identification.services import IdentificationError
from fupin.registry.models import Household
from fupin.registry.services import VersionConflict
from fupin.rules.models import HouseholdDecision

from .conftest import COMPARISON, MEETING, OPINION, SIGNATURES, SURVEY, day

pytestmark = pytest.mark.django_db


def perform(case, actor, step, on, **evidence):
    return services.perform_step(actor=actor, case_id=case.pk, step=step, evidence=evidence, on=on, source="test")


def refresh(case) -> IdentificationCase:
    return IdentificationCase.objects.select_related("household").get(pk=case.pk)


def test_a_village_walks_through_every_step(apply, people, mingxi_village):
    """Three applications of one village: the list moves together, one is blocked by an objection at the
    first publicity until it is resolved, an illegal jump and an early close are refused, and at 建档 the
    households go on the registry with their handbook numbers."""
    village, township, county = people["village"], people["township"], people["county"]
    cases = [apply(), apply(), apply()]
    first = cases[0]
    assert [c.step for c in cases] == ["democratic_review"] * 3
    h = first.household
    assert (h.status, h.handbook_number) == ("applicant", "")
    assert first.events.get().evidence == {"applicant": h.head_name, "applied_on": "2024-03-01"}

    # an illegal jump is refused and nothing changes
    with pytest.raises(IdentificationError) as err:
        perform(first, county, "county_review", day(1), **OPINION)
    assert err.value.code == "illegal_transition"
    assert "当前环节是「民主评议」" in err.value.message
    assert refresh(first).step == "democratic_review" and first.events.count() == 1

    # 民主评议 for the whole village at once; the decision runs for each household
    moved = services.advance_village(actor=village, village_code=mingxi_village, step="democratic_review",
                                     evidence=MEETING, on=day(1), source="test")
    assert [c.pk for c in moved] == [c.pk for c in cases]
    decisions = HouseholdDecision.objects.filter(household__in=[c.household for c in cases])
    assert sorted(decisions.values_list("context", "outcome")) == [("democratic_review", "eligible")] * 3
    event = ProcedureEvent.objects.get(case=first, step="democratic_review")
    assert event.decision_id == decisions.get(household=first.household).pk
    assert event.evidence["representatives_present"] == 24 and event.batch.startswith("village-")

    # first publicity: an objection against the first household
    objection = services.record_objection(actor=village, case_id=first.pk, raised_by="村民甲",
                                          text="该户有小轿车 / owns a car", on=day(3), source="test")
    assert refresh(first).open_objections == 1
    # too early for everyone: the error names the earliest date
    with pytest.raises(IdentificationError) as err:
        perform(cases[1], village, "first_publicity", day(7))
    assert err.value.code == "publicity_too_short"
    assert "最早2024-03-09可结束" in err.value.message
    # on time, but the village's batch is blocked by the first household's open objection
    with pytest.raises(IdentificationError) as err:
        services.advance_village(actor=village, village_code=mingxi_village, step="first_publicity", on=day(8))
    assert err.value.code == "batch_blocked"
    assert err.value.field_errors["households"] == [
        f"户编号 {first.household.household_number}({first.household.head_name}): 「第一次公示」有1条异议未处理,"
        "处理后才能结束公示 / 1 objection(s) at first publicity are not resolved; resolve them first"]
    assert {refresh(c).step for c in cases} == {"first_publicity"}  # all or nothing
    services.resolve_objection(actor=township, objection_id=objection.pk, upheld=False, on=day(5),
                               resolution="车辆已于2022年过户 / the car was sold in 2022", source="test")
    objection.refresh_from_db()
    assert (objection.upheld, objection.resolved_by_name, objection.resolved_on) == (False, township.username, day(5))
    services.advance_village(actor=village, village_code=mingxi_village, step="first_publicity", on=day(8))

    # township review: a village cadre may not do it
    with pytest.raises(IdentificationError) as err:
        perform(first, village, "township_review", day(9), **OPINION)
    assert err.value.code == "wrong_role"
    services.advance_village(actor=township, village_code=mingxi_village, step="township_review",
                             evidence=OPINION, on=day(9))
    services.advance_village(actor=township, village_code=mingxi_village, step="second_publicity", on=day(16))
    with pytest.raises(IdentificationError, match="应由县扶贫办办理"):
        services.advance_village(actor=township, village_code=mingxi_village, step="county_review",
                                 evidence=OPINION, on=day(17))
    for case in cases:
        perform(case, county, "county_review", day(17), **OPINION)
        perform(case, county, "announcement", day(18))
    assert HouseholdDecision.objects.filter(household=first.household, context="county_review").count() == 1
    services.advance_village(actor=county, village_code=mingxi_village, step="registration", on=day(20))

    for n, case in enumerate(cases, start=1):
        case = refresh(case)
        h = case.household
        assert (case.status, case.closed_on) == ("registered", day(20))
        assert (h.status, h.poverty_status, h.identification_year) == ("active", "0", 2024)
        assert h.handbook_number == f"350421202400{n:03d}"
    steps = list(ProcedureEvent.objects.filter(case=first, action="complete").values_list("step", flat=True))
    assert steps == ["application", "democratic_review", "first_publicity", "township_review", "second_publicity",
                     "county_review", "announcement", "registration"]
    assert list(ProcedureEvent.objects.filter(case=first).exclude(action="complete")
                .values_list("action", flat=True)) == ["object", "resolve"]
    # the audit trail: the case's moves and the household's status change
    status_change = ChangeRecord.objects.get(model="registry.household", object_id=str(first.household_id),
                                             action="status")
    assert status_change.changes["status"] == ["applicant", "active"]
    assert status_change.changes["handbook_number"] == ["", "350421202400001"]
    assert ChangeRecord.objects.filter(model="identification.identificationcase", object_id=str(first.pk)).count() == 10


def test_registration_changes_the_registry_figures(apply, people, mingxi_village):
    from fupin.regions.models import Region
    from fupin.registry.selectors import households, region_figures

    case = apply()
    county = people["county"]
    region = Region.objects.get(code=mingxi_village)
    assert region_figures(county, region)[0].households == 0
    assert not households(county).filter(pk=case.household_id).exists()  # the default list: active only
    _walk_to(case, "registration", people)
    perform(case, county, "registration", day(20))
    figures = region_figures(county, region)[0]
    assert (figures.households, figures.persons, figures.poor_households) == (1, 3, 1)
    assert households(county).filter(pk=case.household_id).exists()


def _walk_to(case, target, people):
    """Complete the national steps of ``case`` up to (not including) ``target``."""
    plan = [("democratic_review", "village", 1, MEETING), ("first_publicity", "village", 8, {}),
            ("township_review", "township", 9, OPINION), ("second_publicity", "township", 16, {}),
            ("county_review", "county", 17, OPINION), ("announcement", "county", 18, {})]
    for step, role, n, evidence in plan:
        if step == target:
            return
        perform(case, people[role], step, day(n), **evidence)


def test_publicity_minimum_duration_is_enforced_with_an_explicit_date(apply, people):
    case = apply()
    _walk_to(case, "first_publicity", people)
    assert refresh(case).step_started_on == day(1)
    with pytest.raises(IdentificationError) as err:
        perform(case, people["village"], "first_publicity", day(7))
    assert err.value.message == ("公示期未满7天: 自2024-03-02起公示,最早2024-03-09可结束 / the publicity period of 7 "
                                 "days is not over: it began on 2024-03-02 and may end on 2024-03-09 at the earliest")
    assert err.value.field_errors == {"on": [err.value.message]}
    assert refresh(case).version == 2
    perform(case, people["village"], "first_publicity", day(8))
    assert refresh(case).step == "township_review"


def test_an_upheld_objection_ends_in_rejection_and_the_household_is_declined(apply, people):
    case = apply()
    _walk_to(case, "second_publicity", people)
    o = services.record_objection(actor=people["township"], case_id=case.pk, raised_by="", text="在县城购房",
                                  on=day(10))
    assert o.raised_by == "匿名"
    services.resolve_objection(actor=people["township"], objection_id=o.pk, resolution="属实 / confirmed",
                               upheld=True, on=day(11))
    with pytest.raises(IdentificationError) as err:
        perform(case, people["township"], "second_publicity", day(20))
    assert err.value.code == "objection_upheld"
    services.reject(actor=people["township"], case_id=case.pk, reason="异议成立:在县城购房", on=day(12))
    case = refresh(case)
    assert (case.status, case.outcome_comment, case.closed_on) == ("rejected", "异议成立:在县城购房", day(12))
    assert case.household.status == "declined"
    record = ChangeRecord.objects.filter(model="registry.household", object_id=str(case.household_id),
                                         action="status").get()
    assert record.comment == "识别程序驳回: 异议成立:在县城购房"
    with pytest.raises(IdentificationError, match="本申请已结束"):
        services.withdraw(actor=people["village"], case_id=case.pk, reason="x", on=day(13))
    # the household may apply again: a new case, the old one stays
    again = services.reapply(actor=people["village"], household_id=case.household_id, on=day(30))
    assert (again.step, refresh(again).household.status) == ("democratic_review", "applicant")
    assert IdentificationCase.objects.filter(household_id=case.household_id).count() == 2


def test_quorum_through_the_service(apply, people):
    case = apply()
    with pytest.raises(IdentificationError) as err:
        perform(case, people["village"], "democratic_review", day(1),
                **(MEETING | {"representatives_present": 19, "votes_for": 15}))
    assert err.value.code == "quorum_not_met"
    assert err.value.field_errors == {"evidence.representatives_present": ["至少需20人到会 / at least 20 must be present"]}
    assert not HouseholdDecision.objects.filter(household=case.household).exists()  # refused before deciding
    perform(case, people["village"], "democratic_review", day(1),
            **(MEETING | {"representatives_present": 20, "votes_for": 17}))
    assert refresh(case).step == "first_publicity"


def test_a_household_the_rules_find_not_eligible_cannot_pass_the_review(apply, people):
    case = apply(rich=True)
    with pytest.raises(IdentificationError) as err:
        perform(case, people["village"], "democratic_review", day(1), **MEETING)
    assert err.value.code == "decision_negative"
    decision = HouseholdDecision.objects.get(household=case.household)  # kept, and shown on the case page
    assert decision.outcome != "eligible" and decision.context == "democratic_review"
    assert decision.policy_version in err.value.message
    assert refresh(case).step == "democratic_review"
    services.reject(actor=people["village"], case_id=case.pk, reason="收入高于标准 / income above the line",
                    on=day(1))
    assert refresh(case).household.status == "declined"


def test_kaizhou_variant(apply, people):
    case = apply(procedure_id="kaizhou")
    assert (case.procedure_id, case.procedure_version, case.step) == ("kaizhou", "kaizhou-2015.1", "household_survey")
    with pytest.raises(IdentificationError) as err:
        perform(case, people["workteam"], "household_survey", day(0))
    assert set(err.value.field_errors) == {"evidence.surveyor", "evidence.surveyed_on", "evidence.findings"}
    perform(case, people["workteam"], "household_survey", day(0), **SURVEY)
    perform(case, people["village"], "democratic_review", day(2), **MEETING)
    perform(case, people["village"], "first_publicity", day(9))
    with pytest.raises(IdentificationError, match="应由乡镇干部办理"):
        perform(case, people["village"], "data_comparison", day(10), **COMPARISON)
    perform(case, people["township"], "data_comparison", day(10), **COMPARISON)
    assert refresh(case).step == "township_review"


def test_jingyu_needs_both_secretaries_to_sign(apply, people):
    case = apply(procedure_id="jingyu")
    perform(case, people["village"], "household_survey", day(0), **SURVEY)
    perform(case, people["village"], "democratic_review", day(2), **MEETING)
    with pytest.raises(IdentificationError) as err:
        perform(case, people["village"], "first_publicity", day(9), village_secretary="村书记")
    assert list(err.value.field_errors) == ["evidence.first_secretary"]
    perform(case, people["village"], "first_publicity", day(9), **SIGNATURES)
    event = ProcedureEvent.objects.get(case=case, step="first_publicity")
    assert event.evidence == SIGNATURES


def test_a_county_setting_changes_the_procedure_of_new_cases_only(apply, people, mingxi_village):
    from fupin.identification.models import ProcedureSetting

    before = apply()
    ProcedureSetting.objects.create(region_code="350421000000", procedure_id="national", valid_from=day(-30),
                                    overrides={"publicity_days": {"first_publicity": 5}},
                                    version="national-2014.1+350421.1")
    after = apply()
    assert (before.procedure_version, after.procedure_version) == ("national-2014.1", "national-2014.1+350421.1")
    for case in (before, after):
        perform(case, people["village"], "democratic_review", day(1), **MEETING)
    perform(after, people["village"], "first_publicity", day(6))  # 5 days
    with pytest.raises(IdentificationError, match="公示期未满7天"):
        perform(before, people["village"], "first_publicity", day(6))


def test_scope_and_capability(apply, people, ninghua_village, make_user):
    from fupin.core.scoping import ScopeError

    case = apply()
    for outsider in (people["ninghua_county"], people["city"], people["admin"]):
        with pytest.raises(ScopeError):
            perform(case, outsider, "democratic_review", day(1), **MEETING)
    with pytest.raises(ScopeError):
        apply(ninghua_village)  # a 明溪县 village cadre cannot apply in 宁化县
    other_village = make_user("village", ninghua_village)
    with pytest.raises(ScopeError):
        services.record_objection(actor=other_village, case_id=case.pk, raised_by="x", text="y", on=day(2))
    assert refresh(case).version == 1


def test_one_open_case_per_household_stale_version_and_future_dates(apply, people):
    case = apply()
    with pytest.raises(VersionConflict):
        services.perform_step(actor=people["village"], case_id=case.pk, step="democratic_review", evidence=MEETING,
                              on=day(1), expected_version=7)
    with pytest.raises(IdentificationError, match="晚于今天"):
        services.withdraw(actor=people["village"], case_id=case.pk, reason="x",
                          on=services.today() + dt.timedelta(days=1))
    with pytest.raises(IdentificationError, match="只有未纳入的户可以再次申请"):
        services.reapply(actor=people["village"], household_id=case.household_id, on=day(2))
    services.withdraw(actor=people["workteam"], case_id=case.pk, reason="外出务工 / moved away for work", on=day(2))
    case = refresh(case)
    assert (case.status, case.household.status) == ("withdrawn", "declined")


def test_events_are_append_only(apply):
    case = apply()
    event = case.events.get()
    event.comment = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_a_batch_with_no_case_at_the_step(people, mingxi_village):
    with pytest.raises(IdentificationError, match="该村没有处于"):
        services.advance_village(actor=people["village"], village_code=mingxi_village, step="announcement",
                                 on=day(1))


def test_resolving_needs_an_open_objection_of_the_current_step(apply, people):
    case = apply()
    _walk_to(case, "first_publicity", people)
    o = services.record_objection(actor=people["village"], case_id=case.pk, raised_by="甲", text="异议", on=day(2))
    services.resolve_objection(actor=people["village"], objection_id=o.pk, resolution="不成立", on=day(3))
    with pytest.raises(IdentificationError, match="该异议已处理"):
        services.resolve_objection(actor=people["village"], objection_id=o.pk, resolution="again", on=day(3))
    assert Objection.objects.get(pk=o.pk).resolution == "不成立"
    assert Household.objects.get(pk=case.household_id).status == "applicant"


def test_procedure_settings_are_checked(apply, mingxi_village):
    from fupin.identification.admin import ProcedureSettingForm
    from fupin.identification.models import ProcedureSetting

    form = ProcedureSettingForm({"region_code": "350421000000", "procedure_id": "national", "version": "v-bad",
                                 "overrides": '{"publicity_days": {"county_review": 3}}', "valid_from": "2024-01-01"})
    assert not form.is_valid()
    assert "「县级复审」不是公示环节" in str(form.errors)
    ProcedureSetting.objects.create(region_code="350421000000", procedure_id="national", version="v-bad",
                                    overrides={"quorum": {"democratic_review": "5/4"}}, valid_from=day(-10))
    with pytest.raises(IdentificationError, match="识别程序设置 v-bad 有误"):
        apply()
    assert not Household.objects.exists()


def test_a_decision_that_cannot_be_made_is_a_clear_refusal(apply, people, monkeypatch):
    from fupin.rules import services as rule_services

    def refuse(household, **kwargs):
        raise rule_services.RulesRefused("该户没有在册成员,无法判定 / the household has no active member")

    case = apply()
    monkeypatch.setattr(rule_services, "decide_household", refuse)
    with pytest.raises(IdentificationError, match="自动判定未能进行") as err:
        perform(case, people["village"], "democratic_review", day(1), **MEETING)
    assert "没有在册成员" in err.value.message
    assert refresh(case).step == "democratic_review"
