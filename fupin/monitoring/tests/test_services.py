"""Monitoring of one household: flags by hand (edge households on the registry as 监测户), the procedure
with its 5-day notice and objections, income checks, risk elimination (no labour, < 6 months), scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from fupin.core.models import ChangeRecord
from fupin.monitoring import services
from fupin.monitoring.errors import MonitoringError
from fupin.monitoring.models import AppendOnlyError, MonitoringObject
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import DuplicatePerson, RegistryError, VersionConflict
from fupin.testing import member_data

from .conftest import MEETING, ON, OPINION, SURVEY, day

pytestmark = pytest.mark.django_db


def flag(people, h, causes=("income_below_line",), **extra):
    return services.flag_household(actor=people["village"], household_id=h.pk, causes=causes, note="走访发现",
                                   on=ON, source="test", **extra)


# ------------------------------------------------------------------------------------------ flagging


def test_flag_an_exited_household_by_hand(people, household):
    h = household()
    obj = flag(people, h, causes=("large_medical_spending",), channel="self_report")
    assert (obj.type, obj.status, obj.channel, obj.flagged_on) == ("unstable_exited", "flagged", "self_report", ON)
    assert float(obj.line_amount) == 10560 and obj.village_code == h.village_code
    assert [f.rule_id for f in obj.flags.all()] == ["large_medical_spending"]
    assert ChangeRecord.objects.filter(model="monitoring.monitoringobject", object_id=str(obj.pk)).exists()
    with pytest.raises(MonitoringError, match="已是监测对象"):
        flag(people, h)


def test_registered_poor_not_exited_are_refused(people, household):
    with pytest.raises(MonitoringError, match="未脱贫"):
        flag(people, household(exited=False))


def test_unknown_causes_and_no_cause_are_refused(people, household):
    h = household()
    with pytest.raises(MonitoringError):
        services.flag_household(actor=people["village"], household_id=h.pk, causes=["nope"], on=ON)
    with pytest.raises(MonitoringError):
        services.flag_household(actor=people["village"], household_id=h.pk, causes=[], note="", on=ON)


def test_an_edge_household_is_recorded_as_monitored_through_the_registry(people, edge_household):
    obj = edge_household()
    h = obj.household
    assert (h.status, obj.type) == (RecordStatus.MONITORED, "edge")
    assert h.members.filter(status="active").count() == 3 and h.household_number.startswith(h.village_code)
    sudden = edge_household(causes=("large_medical_spending",))
    assert sudden.type == "sudden_hardship"
    # not counted as a registered household
    assert not Household.objects.filter(pk=h.pk, status=RecordStatus.ACTIVE).exists()


def test_one_person_one_household_applies_to_edge_households(people, household, village):
    h = household()
    someone = h.members.order_by("id").first()
    from fupin.testing import household_data

    with pytest.raises(DuplicatePerson):
        services.record_edge_household(actor=people["village"], village_code=village, data=household_data(),
                                       members=[member_data("01", id_number=someone.id_number)], causes=["income_below_line"],
                                       on=ON)
    assert not Household.objects.filter(status=RecordStatus.MONITORED).exists()  # nothing half-written


def test_flagging_is_scoped(people, household, ninghua_village):
    h = household(village_code=ninghua_village)
    with pytest.raises(Http404):
        flag(people, h)
    with pytest.raises(Http404):
        services.flag_household(actor=people["city"], household_id=household().pk, causes=["income_below_line"], on=ON)


# ------------------------------------------------------------------------------------------ procedure


def test_the_whole_procedure_makes_the_object_monitored(people, household, to_monitored):
    obj = to_monitored(flag(people, household()))
    assert (obj.status, obj.monitored_on, obj.procedure_version) == ("monitored", day(8), "monitoring-2021.1")
    actions = list(obj.events.values_list("step", "action"))
    assert actions == [("", "flag"), ("application", "complete"), ("democratic_review", "complete"),
                       ("village_publicity", "complete"), ("township_review", "complete"),
                       ("registration", "complete")]
    event = obj.events.last()
    with pytest.raises(AppendOnlyError):
        event.save()


def test_the_notice_lasts_at_least_five_days(people, household):
    obj = flag(people, household())
    v = people["village"]
    services.start_identification(actor=v, object_id=obj.pk, evidence=SURVEY, on=day(0))
    services.perform_step(actor=v, object_id=obj.pk, step="democratic_review", evidence=MEETING, on=day(1))
    with pytest.raises(MonitoringError) as exc:
        services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(5))
    assert exc.value.code == "publicity_too_short" and "2024-07-07" in exc.value.message
    services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(6))
    obj.refresh_from_db()
    assert obj.step == "township_review"


def test_an_open_objection_blocks_the_notice_and_an_upheld_one_means_rejection(people, household):
    obj = flag(people, household())
    v = people["village"]
    services.start_identification(actor=v, object_id=obj.pk, evidence=SURVEY, on=day(0))
    services.perform_step(actor=v, object_id=obj.pk, step="democratic_review", evidence=MEETING, on=day(1))
    objection = services.record_objection(actor=v, object_id=obj.pk, raised_by="村民甲", text="该户收入不低", on=day(2))
    with pytest.raises(MonitoringError) as exc:
        services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(7))
    assert exc.value.code == "objection_open"
    services.resolve_objection(actor=v, objection_id=objection.pk, resolution="核实属实", upheld=True, on=day(3))
    with pytest.raises(MonitoringError) as exc:
        services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(7))
    assert exc.value.code == "objection_upheld"
    services.reject(actor=v, object_id=obj.pk, reason="异议成立 / objection upheld", on=day(7))
    obj.refresh_from_db()
    assert (obj.status, obj.closed_on) == ("dismissed", day(7))


def test_steps_follow_the_roles_and_evidence(people, household):
    obj = flag(people, household())
    v, c = people["village"], people["county"]
    with pytest.raises(MonitoringError) as exc:
        services.start_identification(actor=v, object_id=obj.pk, evidence={}, on=day(0))
    assert exc.value.code == "missing_evidence"
    services.start_identification(actor=v, object_id=obj.pk, evidence=SURVEY, on=day(0))
    services.perform_step(actor=v, object_id=obj.pk, step="democratic_review", evidence=MEETING, on=day(1))
    services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(6))
    with pytest.raises(MonitoringError) as exc:
        services.perform_step(actor=v, object_id=obj.pk, step="township_review", evidence=OPINION, on=day(7))
    assert exc.value.code == "wrong_role"
    with pytest.raises(MonitoringError) as exc:
        services.perform_step(actor=c, object_id=obj.pk, step="registration", evidence=OPINION, on=day(7))
    assert exc.value.code == "illegal_transition"
    with pytest.raises(VersionConflict):
        services.perform_step(actor=people["township"], object_id=obj.pk, step="township_review", evidence=OPINION,
                              on=day(7), expected_version=1)


def test_a_flag_can_be_dismissed_before_the_procedure_with_a_reason(people, household):
    obj = flag(people, household())
    with pytest.raises(MonitoringError):
        services.dismiss(actor=people["village"], object_id=obj.pk, reason=" ", on=ON)
    services.dismiss(actor=people["village"], object_id=obj.pk, reason="外出务工收入已核实", on=ON)
    obj.refresh_from_db()
    assert (obj.status, obj.close_reason) == ("dismissed", "外出务工收入已核实")
    with pytest.raises(MonitoringError):
        services.start_identification(actor=people["village"], object_id=obj.pk, evidence=SURVEY, on=day(0))


def test_procedure_writes_are_scoped(people, household):
    obj = flag(people, household())
    for outsider in (people["ninghua_county"], people["city"]):
        with pytest.raises(Http404):
            services.start_identification(actor=outsider, object_id=obj.pk, evidence=SURVEY, on=day(0))


# ------------------------------------------------------------------------------------------ elimination


def give_measure(h, on=ON):
    from fupin.monitoring.frames import measure_given_model

    model = measure_given_model()
    assert model is not None, "the assistance app provides MeasureGiven"
    return model.objects.create(household=h, measure_type="employment", given_on=on, amount=Decimal(3000), unit="元")


def checks(people, obj, *dates, amount="15000"):
    for d in dates:
        services.record_income_check(actor=people["village"], object_id=obj.pk, income_per_capita=amount, checked_on=d)


@pytest.fixture
def monitored(people, household, to_monitored):
    """A monitored exited household that now earns 20,000 a person (above the line)."""

    def make(**kwargs):
        h = household(rich=True, **kwargs)
        obj = to_monitored(flag(people, h, causes=("large_medical_spending",)))
        return obj

    return make


def test_risk_eliminated_when_every_condition_holds(people, monitored):
    obj = monitored()
    give_measure(obj.household, day(10))
    checks(people, obj, day(10), day(100), day(200))
    assess_on = day(10) + dt.timedelta(days=190)  # more than six whole months after the first check
    decision = services.assess(actor=people["village"], object_id=obj.pk, on=assess_on)
    assert decision.eliminable, decision.failed
    assert decision.facts["months_above_line"] >= 6 and decision.facts["measures_received"] == 1
    with pytest.raises(Http404):
        services.eliminate(actor=people["village"], object_id=obj.pk, on=assess_on)  # cadres do not confirm
    services.eliminate(actor=people["county"], object_id=obj.pk, on=assess_on, comment="收入稳定")
    obj.refresh_from_db()
    assert (obj.status, obj.closed_on, obj.close_reason) == ("eliminated", assess_on, "收入稳定")


def test_fewer_than_six_months_of_stable_income_blocks_elimination(people, monitored):
    obj = monitored()
    give_measure(obj.household, day(10))
    checks(people, obj, day(10), day(100))
    on = day(10) + dt.timedelta(days=150)  # five months
    with pytest.raises(MonitoringError, match="收入持续稳定") as exc:
        services.eliminate(actor=people["county"], object_id=obj.pk, on=on)
    assert exc.value.field_errors["conditions"] == ["收入持续稳定超过监测范围6个月以上 / Income stably above the line "
                                                    "for at least 6 months"]
    obj.refresh_from_db()
    assert obj.status == "monitored"
    assert obj.decisions.get().eliminable is False  # the refused assessment is kept


def test_a_check_below_the_line_starts_the_six_months_again(people, monitored):
    obj = monitored()
    give_measure(obj.household, day(10))
    checks(people, obj, day(10))
    checks(people, obj, day(100), amount="8000")
    checks(people, obj, day(120))
    decision = services.assess(actor=people["village"], object_id=obj.pk, on=day(10) + dt.timedelta(days=200))
    assert [f["rule_id"] for f in decision.failed] == ["income_stable"]


def test_no_measure_blocks_elimination(people, monitored):
    obj = monitored()
    checks(people, obj, day(10))
    decision = services.assess(actor=people["village"], object_id=obj.pk, on=day(10) + dt.timedelta(days=200))
    assert [f["rule_id"] for f in decision.failed] == ["measure_received"]


def test_a_household_without_labour_stays_monitored(people, monitored):
    obj = monitored(labour="4")
    give_measure(obj.household, day(10))
    checks(people, obj, day(10), day(100), day(190))
    on = day(10) + dt.timedelta(days=300)
    decision = services.assess(actor=people["village"], object_id=obj.pk, on=on)
    assert (decision.eliminable, decision.stays_monitored) == (False, True)
    assert [f["rule_id"] for f in decision.failed] == ["has_labour"]
    with pytest.raises(MonitoringError, match="无劳动能力户持续监测"):
        services.eliminate(actor=people["county"], object_id=obj.pk, on=on)
    obj.refresh_from_db()
    assert obj.status == "monitored"


def test_a_broken_guarantee_blocks_elimination(people, monitored):
    obj = monitored(housing_secure=False)
    give_measure(obj.household, day(10))
    checks(people, obj, day(10))
    decision = services.assess(actor=people["village"], object_id=obj.pk, on=day(10) + dt.timedelta(days=200))
    assert [f["rule_id"] for f in decision.failed] == ["housing_secure"]


def test_income_checks_are_checked(people, monitored, household):
    obj = monitored()
    with pytest.raises(RegistryError):
        services.record_income_check(actor=people["village"], object_id=obj.pk, income_per_capita="-1",
                                     checked_on=day(10))
    with pytest.raises(RegistryError):
        services.record_income_check(actor=people["village"], object_id=obj.pk, income_per_capita="abc",
                                     checked_on=day(10))
    flagged = flag(people, household())
    with pytest.raises(MonitoringError):
        services.record_income_check(actor=people["village"], object_id=flagged.pk, income_per_capita="100",
                                     checked_on=day(10))
    assert MonitoringObject.objects.get(pk=obj.pk).income_checks.count() == 0
