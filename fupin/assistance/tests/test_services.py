"""Services of the assistance app: who may act, the plan's state machine, limits, visits, the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.assistance import services
from fupin.assistance.models import AssistanceSetting, HouseholdPlan, MeasureGiven, PlannedMeasure, Visit, VisitPhoto
from fupin.assistance.services import AssistanceError
from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.registry.services import VersionConflict

from .conftest import TODAY, ago

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def plan_for(w, household=None, actor=None, year=TODAY.year):
    return services.create_plan(actor=actor or w.helper_user, household_id=(household or w.h1).pk, year=year,
                                goal="年内增收脱贫", source="test")


def add(w, plan, measure_type="health_medical_aid", actor=None, **extra):
    extra.setdefault("target_date", TODAY + dt.timedelta(days=30))
    return services.add_measure(actor=actor or w.helper_user, plan_id=plan.pk, measure_type=measure_type,
                                source="test", **extra)


def records(obj):
    return list(ChangeRecord.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id"))


# ------------------------------------------------------------------------------------------ plans


def test_helper_creates_a_plan_for_their_household_audited(world):
    plan = plan_for(world)
    assert (plan.household_id, plan.year, plan.status, plan.catalogue_version) == (world.h1.pk, TODAY.year, "draft",
                                                                                   "2016.1")
    assert plan.created_by_name == "wang_helper"
    [rec] = records(plan)
    assert rec.action == "create" and rec.household_id == world.h1.pk and rec.region_code == world.village
    assert rec.changes == {"year": [None, TODAY.year], "status": [None, "draft"], "goal": [None, "年内增收脱贫"],
                           "catalogue_version": [None, "2016.1"]}
    with pytest.raises(AssistanceError) as e:
        plan_for(world)
    assert e.value.code == "plan_exists" and e.value.field_errors == {"year": [e.value.message]}
    assert HouseholdPlan.objects.count() == 1


def test_who_may_draw_up_a_plan(world):
    # a helper cannot act on a household that is not theirs (even in their county): 404, nothing written
    for actor, household in ((world.helper2_user, world.h1), (world.helper_user, world.h3),
                             (world.city, world.h1), (world.ninghua_county, world.h1),
                             (world.other_cadre, world.h1), (world.helper_user, world.far)):
        with pytest.raises(ScopeError):
            plan_for(world, household, actor=actor)
    assert HouseholdPlan.objects.count() == 0
    # editors of the household's region may (the village cadre, the township, the county)
    assert plan_for(world, world.h2, actor=world.cadre).created_by_name == world.cadre.username
    assert plan_for(world, world.h3, actor=world.township).household_id == world.h3.pk


def test_a_helper_who_left_or_whose_pairing_ended_cannot_act(world):
    world.p1.ended_on = ago(1)
    world.p1.save()
    with pytest.raises(ScopeError):
        plan_for(world)
    world.helper.active = False
    world.helper.save()
    with pytest.raises(ScopeError):
        plan_for(world, world.h2)


def test_approval_by_township_or_county_only(world):
    plan = plan_for(world)
    for actor in (world.helper_user, world.cadre, world.city, world.ninghua_county):
        with pytest.raises(ScopeError):
            services.approve_plan(actor=actor, plan_id=plan.pk, source="test")
    with pytest.raises(VersionConflict):
        services.approve_plan(actor=world.township, plan_id=plan.pk, expected_version=plan.version + 1)
    approved = services.approve_plan(actor=world.township, plan_id=plan.pk, expected_version=plan.version,
                                     source="test")
    assert (approved.status, approved.approved_by_name, approved.version) == ("approved", world.township.username, 2)
    assert records(plan)[-1].changes == {"status": ["draft", "approved"]}
    with pytest.raises(AssistanceError) as e:
        services.approve_plan(actor=world.county, plan_id=plan.pk)
    assert e.value.code == "illegal_transition"
    closed = services.close_plan(actor=world.county, plan_id=plan.pk)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(AssistanceError) as e:
        add(world, plan)
    assert e.value.code == "plan_closed"


def test_a_county_setting_names_other_approvers(world):
    AssistanceSetting.objects.create(region_code=world.county.region.code, version="2016.1+350421.1",
                                     valid_from=ago(10), overrides={"plans": {"approver_roles": ["county"]}})
    plan = plan_for(world)
    assert plan.catalogue_version == "2016.1+350421.1"
    with pytest.raises(ScopeError):
        services.approve_plan(actor=world.township, plan_id=plan.pk)
    assert services.approve_plan(actor=world.county, plan_id=plan.pk).status == "approved"


# ------------------------------------------------------------------------------------------ measures


def test_add_measure_with_reasons_helper_and_default_amount(world):
    plan = plan_for(world)
    m = add(world, plan, "industry_tea", quantity="2", expected_income="1800", description="种茶2亩")
    assert (m.household_id, m.helper, m.status, m.planned_amount, m.expected_income) == (
        world.h1.pk, world.helper, "planned", Decimal("3000.00"), Decimal("1800.00"))
    assert m.reasons == []  # tea is not suggested for this household
    medical = add(world, plan, "health_medical_aid")
    kinds = {(r["kind"], r.get("pathway_id", r.get("cause", ""))) for r in medical.reasons}
    assert ("pathway", "medical") in kinds and ("cause", "1") in kinds  # Sanming 医疗救助一批 and 因病
    assert records(m)[0].changes["measure_type"] == [None, "industry_tea"]


def test_measure_refusals(world):
    plan = plan_for(world)
    with pytest.raises(AssistanceError) as e:
        add(world, plan, "no_such_measure")
    assert "measure_type" in e.value.field_errors
    with pytest.raises(AssistanceError) as e:
        add(world, plan, "finance_microloan", planned_amount="60000")
    assert e.value.code == "amount_above_limit" and "planned_amount" in e.value.field_errors
    with pytest.raises(AssistanceError) as e:
        add(world, plan, target_date=dt.date(TODAY.year - 1, 12, 31))
    assert e.value.code == "target_before_plan_year"
    with pytest.raises(AssistanceError) as e:
        add(world, plan, helper_id=world.helper2.pk)  # not this household's helper
    assert e.value.code == "not_a_current_helper"
    with pytest.raises(AssistanceError) as e:
        add(world, plan, expected_income="-5")
    assert e.value.field_errors.keys() == {"expected_income"}
    assert PlannedMeasure.objects.count() == 0


def test_status_transitions_legal_and_illegal(world):
    plan = plan_for(world)
    m = add(world, plan)
    with pytest.raises(AssistanceError) as e:  # planned → done is not allowed
        services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="done")
    assert e.value.code == "illegal_transition"
    assert "只能改为" in e.value.message and "/ a measure cannot go from planned to done" in e.value.message
    m = services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="in_progress",
                                       on=ago(3), expected_version=1)
    assert (m.status, m.started_on, m.version) == ("in_progress", ago(3), 2)
    with pytest.raises(VersionConflict):
        services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="done", expected_version=1)
    m = services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="done", expected_version=2)
    assert (m.status, m.done_on) == ("done", TODAY)
    for target in ("in_progress", "dropped", "planned", "done"):
        with pytest.raises(AssistanceError) as e:
            services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status=target, reason="x")
        assert e.value.code == "illegal_transition"
    statuses = [r.changes.get("status") for r in records(m) if r.action == "status"]
    assert statuses == [["planned", "in_progress"], ["in_progress", "done"]]


def test_dropping_needs_a_reason_and_is_final(world):
    plan = plan_for(world)
    m = add(world, plan)
    with pytest.raises(AssistanceError) as e:
        services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="dropped", reason="  ")
    assert e.value.code == "reason_required" and "reason" in e.value.field_errors
    m = services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="dropped",
                                       reason="已纳入大病保险")
    assert (m.status, m.drop_reason, m.dropped_on) == ("dropped", "已纳入大病保险", TODAY)
    assert records(m)[-1].comment == "已纳入大病保险"
    with pytest.raises(AssistanceError):
        services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="in_progress")
    with pytest.raises(AssistanceError):
        services.change_measure_status(actor=world.helper_user, measure_id=m.pk, status="in_progress",
                                       on=TODAY + dt.timedelta(days=1))


def test_status_change_out_of_scope_is_404_and_changes_nothing(world):
    m = add(world, plan_for(world))
    for actor in (world.helper2_user, world.city, world.ninghua_county, world.other_cadre):
        with pytest.raises(ScopeError):
            services.change_measure_status(actor=actor, measure_id=m.pk, status="in_progress")
    m.refresh_from_db()
    assert (m.status, m.version) == ("planned", 1)


# ------------------------------------------------------------------------------------------ measures given


def test_record_measure_given_with_defaults_and_limits(world):
    plan = plan_for(world)
    m = add(world, plan, "relocation_dispersed")
    g = services.record_measure_given(actor=world.helper_user, household_id=world.h1.pk,
                                      measure_type="relocation_dispersed", given_on=ago(2), quantity="3",
                                      variant="deep_poverty", planned_measure_id=m.pk, fund_ref="2024易地搬迁专项",
                                      source="test")
    assert (g.amount, g.unit, g.quantity, g.planned_measure_id, g.fund_ref) == (
        Decimal("48000.00"), "person", Decimal("3.00"), m.pk, "2024易地搬迁专项")
    assert records(g)[0].changes["amount"] == [None, "48000.00"]
    loan = services.record_measure_given(actor=world.cadre, household_id=world.h1.pk, measure_type="finance_microloan",
                                         given_on=ago(1), amount="50000", term_months=36, loan_ref="邮储贷-001")
    assert (loan.amount, loan.unit, loan.term_months) == (Decimal("50000.00"), "yuan", 36)
    with pytest.raises(AssistanceError) as e:
        services.record_measure_given(actor=world.cadre, household_id=world.h1.pk, measure_type="finance_microloan",
                                      given_on=ago(1), amount="50001")
    assert e.value.code == "amount_above_limit"
    with pytest.raises(AssistanceError) as e:
        services.record_measure_given(actor=world.cadre, household_id=world.h1.pk, measure_type="finance_microloan",
                                      given_on=ago(1), amount="1000", term_months=48)
    assert e.value.code == "term_above_limit"
    with pytest.raises(AssistanceError) as e:
        services.record_measure_given(actor=world.cadre, household_id=world.h1.pk, measure_type="industry_tea",
                                      given_on=TODAY + dt.timedelta(days=1), quantity="1")
    assert e.value.code == "future_date"
    other_plan = plan_for(world, world.h2)
    other = add(world, other_plan)
    with pytest.raises(AssistanceError) as e:
        services.record_measure_given(actor=world.helper_user, household_id=world.h1.pk, measure_type="industry_tea",
                                      given_on=ago(1), planned_measure_id=other.pk)
    assert e.value.code == "not_this_household"
    with pytest.raises(ScopeError):
        services.record_measure_given(actor=world.helper2_user, household_id=world.h1.pk,
                                      measure_type="industry_tea", given_on=ago(1))
    assert MeasureGiven.objects.count() == 2


def test_cancelling_keeps_the_record(world):
    g = services.record_measure_given(actor=world.helper_user, household_id=world.h1.pk, measure_type="industry_tea",
                                      given_on=ago(1), quantity="1")
    assert g.amount == Decimal("1500.00")
    with pytest.raises(AssistanceError):
        services.cancel_measure_given(actor=world.helper_user, given_id=g.pk, reason="")
    g = services.cancel_measure_given(actor=world.helper_user, given_id=g.pk, reason="重复录入")
    assert g.is_cancelled and g.cancel_reason == "重复录入" and MeasureGiven.objects.filter(pk=g.pk).exists()
    with pytest.raises(AssistanceError):
        services.cancel_measure_given(actor=world.helper_user, given_id=g.pk, reason="again")


# ------------------------------------------------------------------------------------------ visits


def test_helper_records_a_visit_with_photos(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("IMG_0001.JPG", JPEG, content_type="image/jpeg")
    png = SimpleUploadedFile("house.png", PNG, content_type="image/png")
    v = services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1),
                              found="母亲住院, 医保报销已办", agreed="下周送药", photos=[photo, png], source="test")
    assert (v.helper, v.household_id, v.visited_on, v.recorded_by_name) == (world.helper, world.h1.pk, ago(1),
                                                                            "wang_helper")
    stored = list(v.photos.order_by("id"))
    assert [(p.content_type, p.original_name) for p in stored] == [("image/jpeg", "IMG_0001.JPG"),
                                                                    ("image/png", "house.png")]
    assert stored[0].file.name.startswith(f"assistance/visits/{world.village}/") and stored[0].file.name.endswith(
        ".jpg")
    assert (tmp_path / stored[0].file.name).read_bytes() == JPEG
    assert records(v)[0].changes["photos"] == [None, 2]


def test_visit_refusals(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              photos=[fake])
    assert e.value.code == "bad_photo" and "virus.jpg" in e.value.field_errors["photos"][0]
    settings.FUPIN_VISIT_PHOTO_MAX_BYTES = 100
    big = SimpleUploadedFile("big.jpg", JPEG, content_type="image/jpeg")
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              photos=[big])
    assert e.value.code == "bad_photo"
    settings.FUPIN_VISIT_PHOTOS_MAX = 1
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              photos=[SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)])
    assert e.value.code == "too_many_photos"
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1), found="  ")
    assert e.value.field_errors.keys() == {"found"}
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.helper_user, household_id=world.h1.pk,
                              visited_on=TODAY + dt.timedelta(days=1), found="x")
    assert e.value.code == "future_date"
    # a cadre records for the household's helper, and must name one
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.cadre, household_id=world.h1.pk, visited_on=ago(1), found="x")
    assert e.value.code == "helper_required"
    with pytest.raises(AssistanceError) as e:
        services.record_visit(actor=world.cadre, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              helper_id=world.helper2.pk)
    assert e.value.code == "not_a_current_helper"
    # a helper cannot record a visit in another helper's name, nor visit another's household
    with pytest.raises(ScopeError):
        services.record_visit(actor=world.helper2_user, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              helper_id=world.helper.pk)
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0
    v = services.record_visit(actor=world.cadre, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              helper_id=world.helper.pk)
    assert v.helper == world.helper and v.recorded_by_name == world.cadre.username


def test_photos_added_later_count_against_the_limit(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.FUPIN_VISIT_PHOTOS_MAX = 2
    v = services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(1), found="x",
                              photos=[SimpleUploadedFile("a.png", PNG)])
    saved = services.add_visit_photos(actor=world.helper_user, visit_id=v.pk, photos=[SimpleUploadedFile("b.png", PNG)])
    assert len(saved) == 1 and v.photos.count() == 2
    with pytest.raises(AssistanceError):
        services.add_visit_photos(actor=world.helper_user, visit_id=v.pk, photos=[SimpleUploadedFile("c.png", PNG)])
    with pytest.raises(ScopeError):
        services.add_visit_photos(actor=world.helper2_user, visit_id=v.pk, photos=[SimpleUploadedFile("d.png", PNG)])


def test_no_help_for_a_household_that_left(world):
    world.h2.status = "left"  # (the registry's leave service is tested there)
    world.h2.save()
    with pytest.raises(AssistanceError) as e:
        plan_for(world, world.h2)
    assert e.value.code == "household_not_active"
