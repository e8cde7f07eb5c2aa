"""Policy versions, decisions of one household, and rule/pathway runs over a region."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.policy.policy_sets import load_default_policy
from fupin.rules import services
from fupin.rules.choices import PolicyStatus, RunStatus
from fupin.rules.models import (
    HouseholdDecision,
    PathwayAssignment,
    PolicyVersion,
    ReleasedPolicyError,
    RuleDefinition,
    RuleMatch,
)
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import LINE_2016, ON

CITY = "350400000000"


def county_draft(version: str = "mingxi-2016.1", region: str = MINGXI, **override):
    return services.new_draft(actor=None, region_code=region, version=version, valid_from=date(2016, 1, 1),
                              override=override or None)


def release(draft):
    return services.release_policy(actor=None, version_id=draft.pk)


def raise_line(region: str = MINGXI, amount: float = 3500, version: str = "mingxi-2016.1"):
    """A county raises its 2016 national-standard line (an override, no code change) and releases it."""
    prefix = region[:6]
    return release(county_draft(version, region, poverty_lines=[
        {"series": "current", "standard": "1", "region": prefix, "year": 2016, "amount": amount}]))


# --- policy versions ---------------------------------------------------------------------------------

def test_default_policy_applies_without_stored_versions(db):
    assert services.effective_version(MINGXI, ON) is None
    assert services.effective_policy(MINGXI, ON).version == load_default_policy().version


def test_the_most_specific_released_version_valid_on_the_date_applies(db):
    city = release(county_draft("sanming-2016.1", CITY))
    assert services.effective_policy(first_village(MINGXI), ON).version == "sanming-2016.1"
    county = release(county_draft("mingxi-2016.1", MINGXI))
    assert services.effective_version(first_village(MINGXI), ON) == county
    assert services.effective_version(first_village(NINGHUA), ON) == city  # the other county keeps the city's
    draft = county_draft("mingxi-2016.2", MINGXI)
    assert services.effective_version(MINGXI, ON) == county  # a draft never applies
    expired = PolicyVersion.objects.filter(pk=county.pk)
    assert expired.get().valid_to is None
    later = services.new_draft(actor=None, region_code=MINGXI, version="mingxi-2017.1",
                               valid_from=date(2017, 1, 1))
    release(later)
    assert services.effective_version(MINGXI, ON) == county
    assert services.effective_version(MINGXI, date(2017, 3, 1)).version == "mingxi-2017.1"
    assert draft.status == PolicyStatus.DRAFT


def test_a_released_version_can_never_be_edited(db):
    version = release(county_draft())
    version.refresh_from_db()
    assert version.status == PolicyStatus.RELEASED
    assert version.policy["version"] == "mingxi-2016.1"
    version.title = "changed"
    with pytest.raises(ReleasedPolicyError):
        version.save()
    with pytest.raises(ReleasedPolicyError):
        version.delete()
    row = version.rules.first()
    row.text = "n_members > 100"
    with pytest.raises(ReleasedPolicyError):
        row.save()
    with pytest.raises(ReleasedPolicyError):
        row.delete()
    with pytest.raises(ReleasedPolicyError):
        RuleDefinition.objects.create(policy_version=version, rule_id="ex_new", kind="exclusion", label_zh="新",
                                      text="any_vehicle")
    with pytest.raises(services.RulesRefused):
        services.release_policy(actor=None, version_id=version.pk)
    assert PolicyVersion.objects.get(pk=version.pk).title == ""


def test_release_folds_the_rule_rows_into_the_json(db):
    draft = county_draft()
    rows = {r.rule_id: r for r in draft.rules.all()}
    assert {"income_below_line", "ex_public_payroll", "ex_deceased_member"} <= set(rows)
    assert rows["ex_deceased_member"].enabled is False  # disabled in the default, kept as a row
    rows["ex_vehicle"].enabled = False
    rows["ex_vehicle"].save()
    rows["income_below_line"].text = "income_per_capita < poverty_line * 1.1"
    rows["income_below_line"].save()
    RuleDefinition.objects.create(policy_version=draft, rule_id="ex_big_house", kind="exclusion",
                                  label_zh="住房面积过大", label_en="Large house", text="housing_area_m2 > 300")
    policy = services.policy_of(release(draft))
    assert policy.rule("ex_vehicle").enabled is False
    assert policy.income_rule.text == "income_per_capita < poverty_line * 1.1"
    assert policy.rule("ex_big_house").label_zh == "住房面积过大"
    assert policy.released is True and policy.based_on == load_default_policy().version
    assert ChangeRecord.objects.filter(model="rules.policyversion", object_id=str(draft.pk), action="status").exists()


def test_release_refuses_a_bad_rule_and_an_invalid_override(db):
    draft = county_draft()
    RuleDefinition.objects.create(policy_version=draft, rule_id="ex_bad", kind="exclusion", label_zh="坏",
                                  text="DROP TABLE registry_household")
    with pytest.raises(services.RulesRefused) as exc:
        release(draft)
    assert "ex_bad" in exc.value.message
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyStatus.DRAFT
    rows_in_json = county_draft("mingxi-2016.3", disable_rules=["ex_vehicle"])
    assert "disable_rules" in services.override_error(rows_in_json)
    other = county_draft("mingxi-2016.2", lag=99)
    assert "lag" in services.override_error(other) or "滞后" in services.override_error(other)
    with pytest.raises(services.RulesRefused):
        release(other)


def test_policy_versions_are_managed_in_scope_only(make_user):
    county = make_user("county", MINGXI)
    assert services.new_draft(actor=county, region_code=MINGXI, version="v1", valid_from=ON).created_by == county
    with pytest.raises(ScopeError):
        services.new_draft(actor=county, region_code=NINGHUA, version="v1", valid_from=ON)
    with pytest.raises(ScopeError):
        services.new_draft(actor=county, region_code="", version="national-x", valid_from=ON)
    with pytest.raises(ScopeError):
        services.new_draft(actor=make_user("township", MINGXI[:6] + "100000"), region_code=MINGXI, version="v2",
                           valid_from=ON)
    with pytest.raises(services.RulesRefused):
        services.new_draft(actor=county, region_code=first_village(MINGXI), version="v3", valid_from=ON)


# --- one household ------------------------------------------------------------------------------------

def test_decide_household_stores_version_reasons_and_audit(make_user, household):
    actor = make_user("township", first_village(MINGXI)[:9] + "000")
    h = household(per_capita=2500)
    decision = services.decide_household(h, actor=actor, context="democratic_review", on=ON)
    assert decision.outcome == "eligible"
    assert decision.kind == "eligibility"
    assert decision.policy_version == load_default_policy().version
    assert decision.policy_record is None
    assert decision.reasons == [{"rule_id": "income_below_line", "label_zh": "年人均纯收入低于扶贫标准",
                                 "label_en": "Net income per person below the poverty line"}]
    assert decision.details["poverty_line"] == LINE_2016
    assert decision.details["income_per_capita"] == 2500
    assert decision.details["line_year"] == 2016
    assert decision.details["values"]["n_away_12m"] == 0
    assert decision.context == "democratic_review" and decision.made_by == actor
    assert (decision.village_code, decision.county_code) == (h.village_code, MINGXI)
    audit = ChangeRecord.objects.get(model="rules.householddecision", object_id=str(decision.pk))
    assert audit.household_id == h.pk and audit.changes["outcome"] == [None, "eligible"]
    assert audit.comment == "democratic_review"


def test_an_exclusion_hit_excludes_with_its_reason(household, plant_matches):
    h = household(per_capita=2000)
    head = h.members.get(relation="01")
    plant_matches([(head.id_number, "payroll")])
    decision = services.decide_household(h, actor=None, context="county_review", on=ON)
    assert decision.outcome == "excluded"
    assert [r["rule_id"] for r in decision.reasons] == ["income_below_line", "ex_public_payroll"]
    assert decision.details["values"]["any_public_payroll"] is True


def test_above_the_line_is_not_eligible_and_says_which_rule_failed(household):
    decision = services.decide_household(household(per_capita=3000), actor=None, context="x", on=ON)
    assert decision.outcome == "not_eligible"
    assert decision.reasons == []
    assert [r["rule_id"] for r in decision.details["failed"]] == ["income_below_line"]


def test_a_county_raising_its_line_makes_a_household_eligible_without_code(household):
    h = household(per_capita=3000)
    before = services.decide_household(h, actor=None, context="x", on=ON)
    assert before.outcome == "not_eligible"
    version = raise_line(amount=3500)
    after = services.decide_household(h, actor=None, context="x", on=ON)
    assert after.outcome == "eligible"
    assert after.policy_version == "mingxi-2016.1" and after.policy_record == version
    assert after.details["poverty_line"] == 3500
    assert HouseholdDecision.objects.filter(household=h).count() == 2  # both kept
    other = household(per_capita=3000, village=first_village(NINGHUA))
    assert services.decide_household(other, actor=None, context="x", on=ON).outcome == "not_eligible"


def test_deciding_out_of_scope_is_refused(make_user, household, ninghua_village):
    h = household(village=ninghua_village)
    with pytest.raises(ScopeError):
        services.decide_household(h, actor=make_user("county", MINGXI), context="x", on=ON)
    with pytest.raises(ScopeError):  # a viewer has no registry.edit
        services.decide_household(h, actor=make_user("city", CITY), context="x", on=ON)
    assert not HouseholdDecision.objects.exists()


def test_a_year_without_a_line_uses_the_latest_earlier_line(household):
    decision = services.decide_household(household(per_capita=3900), actor=None, context="x", on=date(2026, 3, 1))
    assert decision.details["line_year"] == 2020
    assert decision.details["poverty_line"] == 4000
    assert decision.outcome == "eligible"


def test_try_rule_shows_the_values_it_read_or_the_error(household):
    h = household(per_capita=2500, members=2)
    result = services.try_rule(h, "income_per_capita < poverty_line AND n_members >= 2", on=ON)
    assert result.error == "" and result.matched is True
    assert {v["column"]: v["value"] for v in result.values} == {
        "income_per_capita": 2500, "poverty_line": LINE_2016, "n_members": 2}
    assert services.try_rule(h, "n_members > 2", on=ON).matched is False
    bad = services.try_rule(h, "income_per_capita < (SELECT 1)", on=ON)
    assert bad.matched is None and bad.error
    unknown = services.try_rule(h, "no_such_column = 1", on=ON)
    assert "no_such_column" in unknown.error
    persons = services.try_rule(h, "age >= 18", unit="person", on=ON)
    assert len(persons.persons) == 2 and persons.matched is True


# --- runs over a region -------------------------------------------------------------------------------

def _sanming_registry(household, mingxi_village):
    """Six households with hand-known 九个一批 pathways (main and other causes both count)."""
    township_b = first_village(MINGXI, 40)
    assert township_b[:9] != mingxi_village[:9]
    made = {
        "ill": household(main_cause="1"),                                 # medical
        "ill_school": household(main_cause="1", other_cause_1="3"),       # medical + education
        "skills": household(main_cause="7", village=township_b),          # skills
        "land": household(main_cause="5", village=township_b),            # relocation
        "dibao": household(main_cause="8", category="2", member_overrides=[{"labour_skill": "3"}] * 3),  # dibao
        "wubao": household(main_cause="1", category="3", members=1),      # wubao_support (not medical)
    }
    return made, township_b


def test_run_scheme_counts_equal_a_hand_count(household, mingxi_village, make_user):
    made, township_b = _sanming_registry(household, mingxi_village)
    household(main_cause="1", village=first_village(NINGHUA))  # another county: not in the run
    run = services.run_scheme(make_user("county", MINGXI), MINGXI, "sanming9", on=ON)
    assert run.status == RunStatus.DONE, run.error
    counts = run.counts
    assert counts["households"] == 6 and counts["persons"] == 3 * 5 + 1
    expected = {"medical": 2, "education": 1, "skills": 1, "relocation": 1, "dibao_guarantees": 1, "wubao_support": 1}
    assert {k: v["households"] for k, v in counts["by_pathway"].items()} == expected
    assert counts["by_pathway"]["medical"]["persons"] == 6
    assert counts["classified_households"] == 6 and counts["unclassified_households"] == 0
    by_region = {(r["level"], r["code"], r["pathway_id"]): r["households"] for r in counts["regions"]}
    assert by_region[(3, MINGXI, "medical")] == 2
    assert by_region[(4, mingxi_village[:9] + "000", "medical")] == 2
    assert by_region[(4, township_b[:9] + "000", "skills")] == 1
    assert by_region[(5, township_b, "relocation")] == 1
    assert by_region[(3, MINGXI, "*")] == 6
    assert not [r for r in counts["regions"] if r["level"] < 3]
    stored = PathwayAssignment.objects.filter(run=run)
    assert stored.count() == 7
    assert set(stored.filter(pathway_id="medical").values_list("household_id", flat=True)) == {
        made["ill"].pk, made["ill_school"].pk}
    assert stored.get(household=made["skills"]).rule_id == "sanming9.skills"


def test_run_a_person_scheme(household, mingxi_village):
    household(members=3)  # ages from the test ID numbers: adults with labour
    run = services.run_scheme(None, mingxi_village, "xianning5", on=ON)
    assert run.status == RunStatus.DONE, run.error
    assert run.unit == "person"
    assert run.counts["by_pathway"]["development"] == {"households": 1, "persons": 3}
    assert PathwayAssignment.objects.filter(run=run, member__isnull=False).count() == 3


def test_run_eligibility_stores_outcomes_and_fired_rules(household, plant_matches, mingxi_village):
    poor = household(per_capita=2000)
    rich = household(per_capita=5000)
    cadre = household(per_capita=1000)
    plant_matches([(cadre.members.get(relation="01").id_number, "village_cadre")])
    run = services.run_eligibility(None, MINGXI, on=ON)
    assert run.status == RunStatus.DONE, run.error
    assert run.counts["by_rule"] == {"eligible": 1, "not_eligible": 1, "excluded": 1, "income_below_line": 2,
                                     "ex_village_cadre": 1}
    matches = RuleMatch.objects.filter(run=run)
    assert set(matches.filter(rule_id="eligible").values_list("household_id", flat=True)) == {poor.pk}
    assert set(matches.filter(rule_id="excluded").values_list("household_id", flat=True)) == {cadre.pk}
    assert set(matches.filter(rule_id="not_eligible").values_list("household_id", flat=True)) == {rich.pk}


def test_run_rule_text_and_rule_ids(household):
    small = household(members=1)
    household(members=4)
    run = services.run_rule(None, MINGXI, rule_text="n_members = 1", rule_ids=["income_below_line"], on=ON)
    assert run.status == RunStatus.DONE, run.error
    assert run.counts["by_rule"] == {"adhoc": 1, "income_below_line": 2}
    assert list(RuleMatch.objects.filter(run=run, rule_id="adhoc").values_list("household_id", flat=True)) == [small.pk]
    with pytest.raises(services.RulesRefused) as exc:
        services.run_rule(None, MINGXI, rule_text="DROP TABLE x")
    assert exc.value.field == "rule_text"
    with pytest.raises(services.RulesRefused):
        services.run_rule(None, MINGXI, rule_ids=["nope"])


def test_a_city_run_applies_each_countys_own_policy(household, ninghua_village):
    household(per_capita=3000)  # 明溪: eligible under its raised line
    household(per_capita=3000, village=ninghua_village)  # 宁化: national line, not eligible
    raise_line(amount=3500)
    run = services.run_eligibility(None, CITY, on=ON)
    assert run.status == RunStatus.DONE, run.error
    by_region = {(r["code"], r["rule_id"]): r["households"] for r in run.counts["regions"] if r["level"] == 3}
    assert by_region[(MINGXI, "eligible")] == 1
    assert by_region[(NINGHUA, "not_eligible")] == 1
    assert "mingxi-2016.1" in run.policy_version


def test_runs_are_scoped(make_user):
    with pytest.raises(ScopeError):
        services.run_rule(make_user("county", MINGXI), NINGHUA, rule_text="n_members > 0")
    with pytest.raises(services.RulesRefused):
        services.run_scheme(None, MINGXI, "no_such_scheme")
