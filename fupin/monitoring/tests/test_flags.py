"""The flag run (风险识别) over hand-built households: each flag alone, the types, what is not flagged,
the line used and its version, department data accounting, and no second flag for an open object."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.core.models import ChangeRecord
from fupin.monitoring import runs, services
from fupin.monitoring.models import MonitoringFlag, MonitoringObject
from fupin.policy import clock
from fupin.registry.services import member_leaves

from .conftest import FUJIAN_2024_LINE, ON

pytestmark = pytest.mark.django_db


def flagged(run, household) -> MonitoringObject:
    return MonitoringObject.objects.get(run=run, household=household)


def rule_ids(obj: MonitoringObject) -> list[str]:
    return sorted(MonitoringFlag.objects.filter(object=obj).values_list("rule_id", flat=True))


def test_income_below_the_line_alone(people, household):
    poor = household(exited=True)
    rich = household(exited=True, rich=True)
    run = runs.run_flags(actor=people["county"], on=ON, source="test")
    assert run.status == "done", run.error
    obj = flagged(run, poor)
    assert rule_ids(obj) == ["income_below_line"]
    assert (obj.type, obj.status, obj.channel) == ("unstable_exited", "flagged", "department")
    assert not MonitoringObject.objects.filter(household=rich).exists()
    flag = obj.flags.get()
    assert flag.policy_version == "monitoring-2021.1" and flag.rule_text == "income_per_capita < monitoring_line"
    assert flag.values["income_per_capita"] == 2500 and flag.values["monitoring_line"] == FUJIAN_2024_LINE
    assert [c["rule_id"] for c in obj.risk_causes] == ["income_below_line"]
    assert obj.events.get().action == "flag"


def test_the_line_used_is_fujians_2023_line_carried_into_2024(people, household):
    poor = household()
    obj = flagged(runs.run_flags(actor=people["county"], on=ON), poor)
    assert (float(obj.line_amount), obj.line_year, obj.line_region, obj.policy_version) == (
        FUJIAN_2024_LINE, 2023, "35", "monitoring-2021.1")
    assert "沿用2023年" in obj.line_note


def test_large_medical_spending_alone(people, household, import_data):
    h = household(rich=True)
    other = household(rich=True)
    m = h.members.order_by("id").first()
    o = other.members.order_by("id").first()
    data = import_data("medical", [
        [m.id_number, m.name, "25000", "2024-03-04"],  # 60,000 net: half is 30,000 …
        [m.id_number, m.name, "6000.50", "2024-05-01"],  # … with this one 31,000.50 ≥ 30,000
        [o.id_number, o.name, "20000", "2024-03-04"],  # below half of 60,000
        [o.id_number, o.name, "50000", "2023-01-01"],  # before the look-back period
        ["not an id", "x", "1", "2024-01-01"],  # rejected
    ])
    assert (data.status, data.rows_read, data.rows_accepted, data.rows_rejected) == ("loaded", 5, 4, 1)
    run = runs.run_flags(actor=people["county"], on=ON)
    obj = flagged(run, h)
    assert rule_ids(obj) == ["large_medical_spending"]
    assert obj.type == "unstable_exited"
    assert obj.flags.get().values["medical_spending"] == pytest.approx(31000.5)
    assert not MonitoringObject.objects.filter(household=other).exists()
    assert run.counts["by_rule"] == {"large_medical_spending": 1} and run.data_lists == [data.pk]


def test_disaster_alone_makes_a_monitored_household_sudden_hardship(people, edge_household, import_data):
    obj = edge_household(rich=True, causes=(), note="受灾 / a flood")
    services.dismiss(actor=people["village"], object_id=obj.pk, reason="核实无风险 / no risk found", on=ON)
    head = obj.household.members.get(relation="01")
    import_data("disaster", [[head.id_number, head.name, "35000", "2024-06-01"]])
    run = runs.run_flags(actor=people["county"], on=ON + dt.timedelta(days=200))
    new = MonitoringObject.objects.get(run=run)
    assert new.household_id == obj.household_id
    assert rule_ids(new) == ["disaster_loss"]
    assert new.type == "sudden_hardship"


def test_death_of_the_main_earner_alone(people, household, import_data):
    h = household(rich=True)
    head = h.members.get(relation="01")
    import_data("death", [[head.id_number, head.name, "2024-02-01"]])
    obj = flagged(runs.run_flags(actor=people["county"], on=ON), h)
    assert rule_ids(obj) == ["main_earner_died"]
    assert obj.flags.get().sudden is True and obj.type == "unstable_exited"


def test_death_recorded_in_the_registry_of_the_last_member_with_labour(people, household):
    h = household(rich=True, labour="4")  # nobody with labour …
    son = h.members.exclude(relation="01").order_by("id").first()
    from fupin.registry.services import update_member

    update_member(actor=people["county"], member_id=son.pk, expected_version=None,
                  data={"labour_skill": "1", "health": "1"}, source="test")  # … but the son
    member_leaves(actor=people["county"], member_id=son.pk, reason="death", comment="病故", source="test")
    obj = flagged(runs.run_flags(actor=people["county"], on=clock.today()), h)
    assert "main_earner_died" in rule_ids(obj)


def test_death_of_a_member_without_labour_is_not_the_main_earner(people, household, import_data):
    h = household(rich=True)
    member = h.members.exclude(relation="01").order_by("id").first()
    from fupin.registry.services import update_member

    update_member(actor=people["county"], member_id=member.pk, expected_version=None,
                  data={"labour_skill": "4", "health": "3"}, source="test")
    import_data("death", [[member.id_number, member.name, "2024-02-01"]])
    runs.run_flags(actor=people["county"], on=ON)
    assert not MonitoringObject.objects.filter(household=h).exists()


def test_registered_poor_not_exited_are_not_monitored(people, household):
    h = household(exited=False)
    run = runs.run_flags(actor=people["county"], on=ON)
    assert not MonitoringObject.objects.filter(household=h).exists()
    assert run.counts["new"] == 0


def test_an_open_object_is_not_flagged_again_and_other_counties_are_not_read(people, household, ninghua_village,
                                                                              make_household):
    h = household()
    outside = household(village_code=ninghua_village)
    first = runs.run_flags(actor=people["county"], on=ON)
    second = runs.run_flags(actor=people["county"], on=ON)
    assert first.counts["new"] == 1 and second.counts["new"] == 0 and second.counts["skipped"] == 1
    assert MonitoringObject.objects.filter(household=h).count() == 1
    assert not MonitoringObject.objects.filter(household=outside).exists()
    assert ChangeRecord.objects.filter(model="monitoring.monitoringrun", object_id=str(first.pk)).exists()


def test_a_dismissed_household_rests_for_the_quiet_days(people, household):
    h = household()
    obj = flagged(runs.run_flags(actor=people["county"], on=ON), h)
    services.dismiss(actor=people["village"], object_id=obj.pk, reason="收入核实高于监测范围", on=ON)
    assert runs.run_flags(actor=people["county"], on=ON + dt.timedelta(days=30)).counts["new"] == 0
    assert runs.run_flags(actor=people["county"], on=ON + dt.timedelta(days=181)).counts["new"] == 1


def test_a_run_needs_the_capability_and_the_region(people, ninghua_village):
    from django.http import Http404

    with pytest.raises(Http404):
        runs.run_flags(actor=people["village"], on=ON)  # village cadres do not run
    with pytest.raises(Http404):
        runs.run_flags(actor=people["county"], region_code="350424000000", on=ON)  # 宁化县


def test_unmatched_department_records_are_counted_as_leads(people, household, import_data):
    from fupin.testing import next_id_number

    household(rich=True)
    import_data("medical", [[next_id_number(), "外人", "90000", "2024-03-01"]])
    run = runs.run_flags(actor=people["county"], on=ON)
    assert (run.counts["records_read"], run.counts["records_unmatched"], run.counts["new"]) == (1, 1, 0)


def test_runs_over_an_empty_region(make_user):
    officer = make_user("county", "350424000000")  # 宁化县: no household
    flag_run = runs.run_flags(actor=officer, on=ON)
    elimination = runs.run_elimination(actor=officer, on=ON)
    assert (flag_run.status, flag_run.counts["households"], flag_run.counts["new"]) == ("done", 0, 0), flag_run.error
    assert (elimination.status, elimination.counts["monitored"]) == ("done", 0), elimination.error
