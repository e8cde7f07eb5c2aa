"""The household exit through its services: a village walked through every step, consent, objections,
publicity, illegal transitions, the village batch, the registry status at each end, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.exits import services
from fupin.exits.models import AppendOnlyError, ExitCase, ExitEvent, ExitSetting
from fupin.exits.selectors import exits_in_year
from fupin.exits.services import ExitError
from fupin.registry.models import Household
from fupin.registry.services import VersionConflict, update_household
from fupin.rules.models import HouseholdDecision
from fupin.testing import system_actor

from .conftest import MEETING, VERIFY, D, consent_of, day

pytestmark = pytest.mark.django_db


def perform(case, actor, step, on, **evidence):
    return services.perform_step(actor=actor, case_id=case.pk, step=step, evidence=evidence, on=on, source="test")


def refresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def walk_to(case, people, step):
    """Move one case to ``step`` along the usual dates."""
    plan = [("democratic_review", "village", day(1), MEETING), ("verification", "workteam", day(2), VERIFY),
            ("consent", "village", day(3), None), ("village_publicity", "village", day(10), {}),
            ("announcement", "county", day(11), {})]
    for step_id, role, on, evidence in plan:
        if refresh(case).step == step:
            return refresh(case)
        perform(case, people[role], step_id, on, **(evidence if evidence is not None else consent_of(case)))
    assert refresh(case).step == step
    return refresh(case)


def test_a_village_exits_together(people, household, mingxi_village):
    village, workteam, county = people["village"], people["workteam"], people["county"]
    homes = [household(), household(), household()]
    cases = services.propose_village(actor=village, village_code=mingxi_village,
                                     household_ids=[h.pk for h in homes], on=D, year=2016, source="test")
    assert [c.step for c in cases] == ["democratic_review"] * 3
    assert {refresh(h).poverty_status for h in homes} == {"2"}  # 预脱贫 while proposed
    assert cases[0].previous_poverty_status == "0" and cases[0].rules_version == "exit-national-2016.1"
    assert ExitEvent.objects.filter(case=cases[0]).get().step == "proposal"

    services.advance_village(actor=village, village_code=mingxi_village, step="democratic_review", evidence=MEETING,
                             on=day(1), source="test")
    services.advance_village(actor=workteam, village_code=mingxi_village, step="verification", evidence=VERIFY,
                             on=day(2), source="test")
    decisions = HouseholdDecision.objects.filter(household__in=homes, kind="exit")
    assert sorted(decisions.values_list("context", "outcome")) == [("verification", "exit_met")] * 3
    d = decisions.get(household=homes[0])
    assert d.policy_version == "exit-national-2016.1" and d.details["line"]["by_standard"] == {"1": 2952.0}
    assert d.details["values"]["income_per_capita"] == 3500.0 and d.details["policy_version"] == "national-2016.1"
    event = ExitEvent.objects.get(case=cases[0], step="verification")
    assert event.decision_id == d.pk and event.evidence["criterion_housing_secure"] == "入户查看属实"
    assert event.batch.startswith("village-")

    with pytest.raises(ExitError) as err:  # each household signs its own consent
        services.advance_village(actor=village, village_code=mingxi_village, step="consent", on=day(3))
    assert err.value.code == "not_batchable"
    for case in cases:
        perform(case, village, "consent", day(3), **consent_of(case))
    assert ExitEvent.objects.get(case=cases[1], step="consent").evidence == {
        "signed_by": homes[1].head_name, "signed_on": "2016-11-04"}

    with pytest.raises(ExitError) as err:  # 7 days from day(3): day(10) at the earliest
        services.advance_village(actor=village, village_code=mingxi_village, step="village_publicity", on=day(9))
    assert err.value.code == "batch_blocked" and len(err.value.field_errors["households"]) == 3
    assert "最早2016-11-11可结束" in err.value.field_errors["households"][0]
    services.advance_village(actor=village, village_code=mingxi_village, step="village_publicity", on=day(10))
    with pytest.raises(ScopeError):  # another county's officer: 404
        services.advance_village(actor=people["ninghua_county"], village_code=mingxi_village, step="announcement",
                                 on=day(11))
    services.advance_village(actor=county, village_code=mingxi_village, step="announcement", on=day(11))
    assert {refresh(h).poverty_status for h in homes} == {"2"}
    services.advance_village(actor=county, village_code=mingxi_village, step="deregistration", on=day(12))
    for h in homes:
        h = refresh(h)
        assert (h.poverty_status, h.exit_year) == ("1", 2016)
    assert {c.status for c in ExitCase.objects.filter(pk__in=[c.pk for c in cases])} == {"exited"}
    assert refresh(cases[0]).exited_on == day(12)
    out = exits_in_year(mingxi_village, 2016)
    assert out.columns == ["household_id", "exited_on"]
    assert sorted(out["household_id"].to_list()) == sorted(h.pk for h in homes)
    assert out["exited_on"].to_list() == [day(12)] * 3
    assert exits_in_year("350421000000", 2016).height == 3 and exits_in_year(mingxi_village, 2017).height == 0
    assert exits_in_year("350424000000", 2016).height == 0
    audit = ChangeRecord.objects.filter(model="registry.household", household_id=homes[0].pk,
                                        changes__has_key="poverty_status").order_by("id")
    assert [r.changes["poverty_status"] for r in audit] == [[None, "0"], ["0", "2"], ["2", "1"]]


def test_a_wrong_role_is_refused_with_the_step_named(people, household, propose):
    case = walk_to(propose(household()), people, "announcement")
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "announcement", day(11))
    assert err.value.code == "wrong_role" and "县扶贫办" in err.value.message


def test_an_illegal_transition_is_refused_and_nothing_changes(people, household, propose):
    case = propose(household())
    with pytest.raises(ExitError) as err:
        perform(case, people["county"], "deregistration", day(1))
    assert err.value.code == "illegal_transition" and "当前环节是「村两委民主评议」" in err.value.message
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "consent", day(1), signed_by="x", signed_on="2016-11-02")
    assert err.value.code == "illegal_transition"
    assert refresh(case).step == "democratic_review" and case.events.count() == 1


def test_consent_missing_is_refused(people, household, propose):
    case = walk_to(propose(household()), people, "consent")
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "consent", day(3))
    assert err.value.code == "missing_evidence"
    assert set(err.value.field_errors) == {"evidence.signed_by", "evidence.signed_on"}
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "consent", day(3), signed_by="路人甲", signed_on="2016-11-04")
    assert err.value.code == "invalid_evidence" and "evidence.signed_by" in err.value.field_errors
    assert refresh(case).step == "consent"


def test_the_household_refusing_ends_the_case_and_restores_its_status(people, household, propose):
    h = household()
    case = walk_to(propose(h), people, "consent")
    assert refresh(h).poverty_status == "2"
    with pytest.raises(ExitError):  # refusing is only at the consent step
        services.refuse_consent(actor=people["village"], case_id=propose(household()).pk, reason="x", on=day(3))
    services.refuse_consent(actor=people["village"], case_id=case.pk, reason="户主认为收入不稳定,不同意退出",
                            on=day(3), source="test")
    case = refresh(case)
    assert (case.status, case.step, case.outcome_comment) == ("rejected", "consent", "户主认为收入不稳定,不同意退出")
    assert refresh(h).poverty_status == "0" and refresh(h).exit_year is None
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "consent", day(4), **consent_of(case))
    assert err.value.code == "case_closed"
    again = services.propose(actor=people["village"], household_id=h.pk, on=day(5), year=2016, source="test")
    assert again.step == "democratic_review"  # a new case may follow


def test_an_objection_blocks_the_publicity_until_resolved(people, household, propose):
    case = walk_to(propose(household()), people, "village_publicity")
    objection = services.record_objection(actor=people["village"], case_id=case.pk, raised_by="村民乙",
                                          text="该户子女在外务工收入未申报", on=day(4), source="test")
    assert refresh(case).open_objections == 1
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "village_publicity", day(10))
    assert err.value.code == "objection_open"
    services.resolve_objection(actor=people["township"], objection_id=objection.pk, resolution="经核实属实",
                               upheld=True, on=day(5), source="test")
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "village_publicity", day(10))
    assert err.value.code == "objection_upheld"
    services.reject(actor=people["village"], case_id=case.pk, reason="异议成立", on=day(10), source="test")
    assert refresh(case).status == "rejected" and refresh(case.household).poverty_status == "0"


def test_an_objection_found_unfounded_lets_the_publicity_end(people, household, propose):
    case = walk_to(propose(household()), people, "village_publicity")
    objection = services.record_objection(actor=people["workteam"], case_id=case.pk, raised_by="",
                                          text="匿名举报", on=day(4))
    assert objection.raised_by == "匿名"
    services.resolve_objection(actor=people["village"], objection_id=objection.pk, resolution="不属实", on=day(5))
    perform(case, people["village"], "village_publicity", day(10))
    assert refresh(case).step == "announcement"


def test_objections_only_during_publicity(people, household, propose):
    case = propose(household())
    with pytest.raises(ExitError) as err:
        services.record_objection(actor=people["village"], case_id=case.pk, raised_by="x", text="y", on=day(1))
    assert err.value.code == "not_publicity"


def test_a_county_setting_shortens_the_publicity_for_new_cases(people, household, propose):
    ExitSetting.objects.create(region_code="350421000000", version="exit-350421-2016.1", valid_from=dt.date(2016, 1, 1),
                               procedure_overrides={"publicity_days": {"village_publicity": 5}})
    case = walk_to(propose(household()), people, "village_publicity")
    assert case.procedure_version == "exit-350421-2016.1"
    perform(case, people["village"], "village_publicity", day(8))  # 5 days after day(3)
    assert refresh(case).step == "announcement"


def test_verification_refuses_a_household_that_fails_and_keeps_the_decision(people, household, propose):
    h = household(housing_secure=False)
    case = walk_to(propose(h), people, "verification")
    with pytest.raises(ExitError) as err:
        perform(case, people["workteam"], "verification", day(2), **VERIFY)
    assert err.value.code == "decision_negative" and "住房安全未保障" in err.value.message
    decision = HouseholdDecision.objects.get(household=h, kind="exit")
    assert decision.outcome == "exit_not_met" and decision.context == "verification"
    assert [r["rule_id"] for r in decision.reasons] == ["housing_secure"]
    assert refresh(case).step == "verification"
    # missing evidence is refused before any decision is made
    with pytest.raises(ExitError) as err:
        perform(case, people["workteam"], "verification", day(2),
                **{k: v for k, v in VERIFY.items() if k != "criterion_food_secure"})
    assert err.value.code == "missing_evidence"
    assert HouseholdDecision.objects.filter(household=h, kind="exit").count() == 1


def test_the_village_batch_is_all_or_nothing_and_names_the_blocking_household(people, household, mingxi_village):
    good, bad = household(), household(medical_secure=False)
    services.propose_village(actor=people["village"], village_code=mingxi_village, household_ids=[good.pk, bad.pk],
                             on=D, year=2016)
    services.advance_village(actor=people["village"], village_code=mingxi_village, step="democratic_review",
                             evidence=MEETING, on=day(1))
    with pytest.raises(ExitError) as err:
        services.advance_village(actor=people["workteam"], village_code=mingxi_village, step="verification",
                                 evidence=VERIFY, on=day(2))
    assert err.value.code == "batch_blocked"
    blocking = err.value.field_errors["households"]
    assert len(blocking) == 1 and refresh(bad).household_number in blocking[0] and "基本医疗未保障" in blocking[0]
    assert set(ExitCase.objects.values_list("step", flat=True)) == {"verification"}  # nothing moved
    with pytest.raises(ExitError) as err:  # a meeting without a quorum blocks every household
        services.advance_village(actor=people["village"], village_code=mingxi_village, step="verification",
                                 evidence={}, on=day(2))
    assert err.value.code == "batch_blocked"


def test_proposals_that_cannot_be_made(people, household, propose, mingxi_village, other_mingxi_village):
    exited = household(poverty_status="1", exit_year=2015)
    with pytest.raises(ExitError) as err:
        propose(exited)
    assert err.value.code == "not_proposable" and "不是退出对象" in err.value.message
    h = household()
    propose(h)
    with pytest.raises(ExitError) as err:
        propose(h)
    assert "办理中的退出案件" in err.value.message
    elsewhere = household(other_mingxi_village)
    fresh = household()
    with pytest.raises(ExitError) as err:
        services.propose_village(actor=people["village"], village_code=mingxi_village,
                                 household_ids=[fresh.pk, exited.pk, elsewhere.pk], on=D)
    assert err.value.code == "batch_blocked" and len(err.value.field_errors["households"]) == 2
    assert refresh(fresh).poverty_status == "0" and not ExitCase.objects.filter(household=fresh).exists()
    with pytest.raises(ExitError):
        services.propose_village(actor=people["village"], village_code=mingxi_village, household_ids=[], on=D)
    with pytest.raises(ExitError) as err:
        services.propose(actor=people["village"], household_id=fresh.pk, on=D, year=2030)
    assert "year" in err.value.field_errors


def test_withdrawing_restores_a_returned_households_status(people, household, propose):
    h = household(poverty_status="3")
    case = propose(h)
    assert refresh(h).poverty_status == "2" and case.previous_poverty_status == "3"
    services.withdraw(actor=people["township"], case_id=case.pk, reason="暂缓退出", on=day(1))
    assert refresh(h).poverty_status == "3" and refresh(case).status == "withdrawn"
    # the restored 3 is not a return to poverty (2 → 3 is not 1 → 3): a new case may exit this year
    case = walk_to(propose(h, on=day(1)), people, "verification")
    perform(case, people["workteam"], "verification", day(2), **VERIFY)
    assert HouseholdDecision.objects.filter(household=h, kind="exit").get().outcome == "exit_met"


def test_scope_and_capability(people, household, propose, ninghua_village):
    case = propose(household())
    for outsider in ("ninghua_county", "ninghua_village", "city", "auditor"):
        with pytest.raises(ScopeError):
            perform(case, people[outsider], "democratic_review", day(1), **MEETING)
        with pytest.raises(ScopeError):
            services.withdraw(actor=people[outsider], case_id=case.pk, reason="x", on=day(1))
    theirs = household(ninghua_village)
    with pytest.raises(ScopeError):
        propose(theirs)
    with pytest.raises(ScopeError):
        services.propose_village(actor=people["village"], village_code=ninghua_village, household_ids=[theirs.pk],
                                 on=D)
    with pytest.raises(ScopeError):
        services.decide_exit(theirs, actor=people["county"], year=2016, on=D)


def test_a_stale_version_is_refused(people, household, propose):
    case = propose(household())
    services.perform_step(actor=people["village"], case_id=case.pk, step="democratic_review", evidence=MEETING,
                          on=day(1), expected_version=1)
    with pytest.raises(VersionConflict):
        services.withdraw(actor=people["village"], case_id=case.pk, reason="x", on=day(1), expected_version=1)


def test_dates_in_the_future_or_out_of_order_are_refused(people, household, propose):
    case = propose(household())
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "democratic_review", services.today() + dt.timedelta(days=1), **MEETING)
    assert "on" in err.value.field_errors
    with pytest.raises(ExitError) as err:
        perform(case, people["village"], "democratic_review", D - dt.timedelta(days=1), **MEETING)
    assert err.value.code == "date_order"


def test_the_event_log_is_append_only(household, propose):
    event = propose(household()).events.get()
    event.comment = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


# ------------------------------------------------------------------------------------ decision inputs


def test_income_changed_this_year_is_judged_by_the_income_at_the_start_of_the_year(people, household):
    h = household(income_wage="3000", income_business="0")  # 1,000 a person
    update_household(actor=system_actor(), household_id=h.pk, expected_version=None,
                     data={"income_wage": "9000", "income_business": "1500"}, source="test")
    decision = services.decide_exit(refresh(h), actor=people["county"], year=2016, on=D)
    assert decision.outcome == "exit_not_met"
    assert [r["rule_id"] for r in decision.reasons] == ["income_stable"]
    assert decision.details["values"]["previous_income_per_capita"] == 1000.0
    assert decision.details["previous_line"]["by_standard"] == {"1": 2855.0}
    # judged for a later year, the change lies before the year: the current income is last year's too
    ChangeRecord.objects.filter(household_id=h.pk, model="registry.household").update(
        at=dt.datetime(2016, 6, 1, tzinfo=dt.UTC))
    assert services.decide_exit(refresh(h), actor=people["county"], year=2017, on=dt.date(2017, 11, 1)).outcome \
        == "exit_met"


def test_a_household_that_returned_to_poverty_this_year_does_not_exit(people, household):
    h = household(poverty_status="1", exit_year=2015)
    update_household(actor=system_actor(), household_id=h.pk, expected_version=None, data={"poverty_status": "3"},
                     source="test")
    record = ChangeRecord.objects.filter(household_id=h.pk, changes__has_key="poverty_status",
                                         action="update").get()
    ChangeRecord.objects.filter(pk=record.pk).update(at=dt.datetime(2016, 5, 1, tzinfo=dt.UTC))
    decision = services.decide_exit(refresh(h), actor=people["county"], year=2016, on=D)
    assert [r["rule_id"] for r in decision.reasons] == ["returned_this_year"]
    assert decision.reasons[0]["label_zh"] == "当年返贫的户当年不退出"
    later = services.decide_exit(refresh(h), actor=people["county"], year=2017, on=dt.date(2017, 11, 1))
    assert later.outcome == "exit_met"


def test_a_household_identified_this_year_does_not_exit(people, household):
    h = household(identification_year=2016, planned_exit_year=2016)
    decision = services.decide_exit(h, actor=people["county"], year=2016, on=D)
    assert [r["rule_id"] for r in decision.reasons] == ["identified_this_year"]


def test_a_decision_is_audited_and_carries_the_policy_record(people, household):
    h = household()
    decision = services.decide_exit(h, actor=people["village"], year=2016, on=D, context="manual")
    assert decision.kind == "exit" and decision.policy_record is None  # the built-in national default
    assert [r["rule_id"] for r in decision.reasons][:3] == ["on_registry", "in_poverty", "income_above_line"]
    assert ChangeRecord.objects.filter(model="rules.householddecision", object_id=str(decision.pk)).exists()


def test_a_county_setting_changes_the_criteria(people, household):
    ExitSetting.objects.create(region_code="350421000000", version="exit-350421-2016.2", valid_from=dt.date(2016, 1, 1),
                               rules_override={"line_series": "exit_projected",
                                               "disable_criteria": ["drinking_water_safe"]})
    h = household(drinking_water_safe=False, income_wage="8100", income_business="0")  # 2,700 a person
    decision = services.decide_exit(h, actor=people["county"], year=2016, on=D)
    assert decision.policy_version == "exit-350421-2016.2"
    assert decision.details["line"]["series"] == "exit_projected"
    # 2,700 < 3,146 (the projected 2016 line), and last year's 2,700 < 2,968 (2015)
    assert [r["rule_id"] for r in decision.reasons] == ["income_above_line", "income_stable"]


def test_households_of_a_left_record_are_judged_off_the_registry(people, household):
    h = household()
    Household.objects.filter(pk=h.pk).update(status="left")
    decision = services.decide_exit(refresh(h), actor=people["county"], year=2016, on=D)
    assert [r["rule_id"] for r in decision.reasons] == ["on_registry"]


def test_deregistration_refuses_a_household_whose_status_changed_meanwhile(people, household, propose):
    h = household()
    case = walk_to(propose(h), people, "deregistration")
    update_household(actor=system_actor(), household_id=h.pk, expected_version=None, data={"poverty_status": "3"},
                     source="test")  # e.g. marked 返贫 by the monitoring
    with pytest.raises(ExitError) as err:
        perform(case, people["county"], "deregistration", day(12))
    assert err.value.code == "household_changed"
    with pytest.raises(ExitError) as err:
        services.advance_village(actor=people["county"], village_code=case.village_code, step="deregistration",
                                 on=day(12))
    assert err.value.code == "batch_blocked" and "不能销号" in err.value.field_errors["households"][0]
    assert refresh(h).poverty_status == "3" and refresh(case).step == "deregistration"
    services.withdraw(actor=people["county"], case_id=case.pk, reason="已返贫", on=day(12))
    assert refresh(h).poverty_status == "3"  # not "restored" over the monitoring's change
