"""A screening run finds exactly the planted hits; decisions confirm, dismiss, flag and audit."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.registry.models import Member
from fupin.screening import selectors, services
from fupin.screening.models import ScreeningHit, ScreeningRun
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA

from .conftest import TOWNSHIP_T2, VILLAGE_T1, VILLAGE_T2, import_csv


def _found(run: ScreeningRun | None = None) -> set[tuple[int, str, int]]:
    qs = ScreeningHit.objects.all() if run is None else ScreeningHit.objects.filter(run=run)
    return {(h.member_id, h.kind, h.record.row_number) for h in qs.select_related("record")}


def _hit(member: Member, kind: str) -> ScreeningHit:
    return ScreeningHit.objects.get(member=member, kind=kind)


def test_a_run_finds_exactly_the_planted_hits(planted, county_officer):
    run = services.run_screening(actor=county_officer, region_code=MINGXI, source="test")
    assert run.status == "done", run.error
    assert _found(run) == planted.planted
    assert (run.hits_matched, run.hits_new) == (6, 6)
    assert run.persons_screened == 5  # h1 and h2; h3 is in 宁化县
    assert set(run.lists.values_list("pk", flat=True)) == {d.pk for d in planted.lists.values()}
    assert run.counts == {  # no real-estate list was imported
        "vehicle": {"records": 4, "matched": 2, "new": 2}, "business": {"records": 2, "matched": 0, "new": 0},
        "payroll": {"records": 3, "matched": 2, "new": 2}, "death": {"records": 3, "matched": 2, "new": 2},
    }
    hit = _hit(planted.members(planted.h2)[1], "payroll")
    assert (hit.household_id, hit.village_code, hit.township_code, hit.county_code, hit.city_code,
            hit.province_code) == (planted.h2.pk, VILLAGE_T2, TOWNSHIP_T2, MINGXI, "350400000000", "350000000000")
    assert hit.status == "open" and hit.rule_id == run.rules["payroll"] and hit.rule_id
    assert set(run.rules) == {"vehicle", "business", "payroll", "death"}
    # nobody outside the registry or outside the region
    registry_ids = set(Member.objects.values_list("id_number", flat=True))
    assert not set(planted.strangers) & registry_ids
    assert not ScreeningHit.objects.filter(household=planted.h3).exists()
    audit = ChangeRecord.objects.get(model="screening.screeningrun", object_id=str(run.pk))
    assert audit.changes["hits_new"] == [None, 6] and audit.region_code == MINGXI


def test_a_rerun_raises_nothing_again_and_a_township_run_sees_its_own(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    again = services.run_screening(actor=county_officer, region_code=MINGXI)
    assert (again.status, again.hits_matched, again.hits_new) == ("done", 6, 0)
    assert ScreeningHit.objects.count() == 6
    township = make_user("township", MINGXI_TOWNSHIP)
    own = services.run_screening(actor=township, source="test")  # default: the user's region
    assert own.region_code == MINGXI_TOWNSHIP and own.status == "done"
    assert (own.persons_screened, own.hits_matched, own.hits_new) == (3, 4, 0)  # h1 only; the county's lists
    # A decided hit is not raised again either.
    hit = ScreeningHit.objects.filter(member=planted.members(planted.h1)[0], kind="vehicle").first()
    services.decide_hit(actor=township, hit_id=hit.pk, decision="dismiss", comment="车已转卖")
    assert services.run_screening(actor=township).hits_new == 0
    assert ScreeningHit.objects.count() == 6


def test_a_new_list_raises_only_its_own_records(planted, county_officer, tmp_path):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    m1 = planted.members(planted.h1)
    newer = import_csv(tmp_path, county_officer, "vehicle", ["身份证号码", "号牌号码"],
                       [[m1[0].id_number, "闽G20001"], [m1[1].id_number, "闽G20002"]], name="vehicle-2.csv",
                       as_of=planted.lists["vehicle"].as_of.replace(month=12))
    run = services.run_screening(actor=county_officer, region_code=MINGXI)
    assert newer in run.lists.all() and planted.lists["vehicle"] not in run.lists.all()  # newest of each kind
    assert _found(run) == {(m1[0].pk, "vehicle", 2), (m1[1].pk, "vehicle", 3)}
    chosen = services.run_screening(actor=county_officer, region_code=MINGXI, list_ids=[planted.lists["vehicle"].pk])
    assert (chosen.hits_matched, chosen.hits_new) == (2, 0)


def test_lists_of_other_regions_cannot_be_used(planted, county_officer, make_user, tmp_path):
    ninghua = make_user("county", NINGHUA)
    other = import_csv(tmp_path, ninghua, "vehicle", ["身份证号码"], [[planted.members(planted.h1)[0].id_number]],
                       name="ninghua.csv", region_code=NINGHUA)
    with pytest.raises(services.ScreeningRefused, match=f"#{other.pk}"):
        services.run_screening(actor=county_officer, region_code=MINGXI, list_ids=[other.pk])
    assert other not in selectors.usable_lists(county_officer, MINGXI)
    with pytest.raises(services.ScreeningRefused, match="no department list"):
        services.run_screening(actor=make_user("county", "350423000000"), region_code="350423000000")
    assert not ScreeningRun.objects.exists()


def test_scope_of_runs(planted, make_user):
    for role, region, target in (("county", NINGHUA, MINGXI), ("township", MINGXI_TOWNSHIP, TOWNSHIP_T2),
                                 ("village", VILLAGE_T1, VILLAGE_T1), ("auditor", MINGXI, MINGXI),
                                 ("city", "350400000000", MINGXI)):
        with pytest.raises(ScopeError):
            services.run_screening(actor=make_user(role, region), region_code=target)
    assert not ScreeningRun.objects.exists()


def test_confirm_dismiss_and_the_matches_of_contract_c(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    township = make_user("township", MINGXI_TOWNSHIP)
    m1 = planted.members(planted.h1)
    car = ScreeningHit.objects.filter(member=m1[0], kind="vehicle").order_by("id").first()
    with pytest.raises(services.ScreeningRefused, match="comment"):
        services.decide_hit(actor=township, hit_id=car.pk, decision="dismiss", comment="  ")
    with pytest.raises(services.ScreeningRefused, match="confirm or dismiss"):
        services.decide_hit(actor=township, hit_id=car.pk, decision="maybe")
    decided = services.decide_hit(actor=township, hit_id=car.pk, decision="confirm", comment="入户核实属实")
    assert (decided.status, decided.decided_by, decided.comment) == ("confirmed", township, "入户核实属实")
    assert decided.decided_at is not None
    with pytest.raises(services.ScreeningRefused, match="already decided"):
        services.decide_hit(actor=township, hit_id=car.pk, decision="dismiss", comment="x")
    job = _hit(m1[1], "payroll")
    services.decide_hit(actor=township, hit_id=job.pk, decision="dismiss", comment="同名同号为录入错误,已核实")
    trail = ChangeRecord.objects.filter(model="screening.screeninghit").order_by("id")
    assert [(r.object_id, r.household_id, r.changes["status"]) for r in trail] == [
        (str(car.pk), planted.h1.pk, ["open", "confirmed"]), (str(job.pk), planted.h1.pk, ["open", "dismissed"])]
    assert trail[1].comment == "同名同号为录入错误,已核实" and trail[1].actor == township

    matches = selectors.confirmed_matches(MINGXI)
    assert matches.schema == pl.Schema({"id_number": pl.Utf8, "kind": pl.Utf8})
    assert matches.rows() == [(m1[0].id_number, "vehicle")]  # two cars, one (distinct) match
    assert selectors.confirmed_matches(NINGHUA).height == 0
    assert selectors.confirmed_matches(TOWNSHIP_T2).height == 0
    with_open = set(selectors.confirmed_matches(MINGXI, include_open=True).rows())
    disabled = planted.members(planted.h2)[1]
    assert with_open == {(m1[0].id_number, "vehicle"), (m1[2].id_number, "death"),
                         (disabled.id_number, "payroll"), (planted.members(planted.h2)[0].id_number, "death")}
    assert len(disabled.id_number) == 20  # the member's own number, so the analytic view joins it


def test_confirming_a_death_takes_the_member_off(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    township = make_user("township", MINGXI_TOWNSHIP)
    m1 = planted.members(planted.h1)
    hit = _hit(m1[2], "death")
    services.decide_hit(actor=township, hit_id=hit.pk, decision="confirm")
    m1[2].refresh_from_db()
    assert (m1[2].status, m1[2].left_reason) == ("left", "death")
    assert "数据比对" in m1[2].left_comment and "2024-03-01" in m1[2].left_comment
    planted.h1.refresh_from_db()
    assert planted.h1.size == 2
    assert ChangeRecord.objects.filter(model="registry.member", object_id=str(m1[2].pk), action="status").exists()


def test_a_dead_head_with_others_is_refused_as_a_whole(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    head = planted.members(planted.h2)[0]
    hit = _hit(head, "death")
    with pytest.raises(services.ScreeningRefused, match="户主"):
        services.decide_hit(actor=make_user("township", TOWNSHIP_T2), hit_id=hit.pk, decision="confirm")
    hit.refresh_from_db()
    head.refresh_from_db()
    assert hit.status == "open" and head.status == "active"
    assert not ChangeRecord.objects.filter(model="screening.screeninghit").exists()
    # Dismissing it (e.g. a wrong ID at the civil affairs office) works.
    services.decide_hit(actor=county_officer, hit_id=hit.pk, decision="dismiss", comment="本人健在,民政数据有误")


def test_deciding_is_for_township_and_county_officers_in_scope(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    hit = _hit(planted.members(planted.h2)[1], "payroll")  # in T2
    for role, region in (("township", MINGXI_TOWNSHIP), ("village", VILLAGE_T2), ("workteam", VILLAGE_T2),
                         ("admin", MINGXI), ("auditor", MINGXI), ("county", NINGHUA)):
        with pytest.raises(ScopeError):
            services.decide_hit(actor=make_user(role, region), hit_id=hit.pk, decision="confirm")
    with pytest.raises(ScopeError):
        services.decide_hit(actor=county_officer, hit_id=999_999, decision="confirm")
    assert services.decide_hit(actor=make_user("township", TOWNSHIP_T2), hit_id=hit.pk,
                               decision="confirm").status == "confirmed"


def test_the_queue_is_scoped_and_filtered(planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    assert selectors.hits(county_officer).count() == 6
    assert selectors.hits(make_user("township", MINGXI_TOWNSHIP)).count() == 4
    assert selectors.hits(make_user("city", "350400000000")).count() == 6
    assert selectors.hits(make_user("county", NINGHUA)).count() == 0
    assert selectors.hits(make_user("village", VILLAGE_T1)).count() == 0  # cadres do not see the queue
    f = selectors.HitFilters
    assert selectors.hits(county_officer, f(kind="death")).count() == 2
    assert selectors.hits(county_officer, f(region=VILLAGE_T2)).count() == 2
    assert selectors.hits(county_officer, f(region="bad")).count() == 0
    assert selectors.hits(county_officer, f(status="confirmed")).count() == 0
    assert selectors.hits_for_household(county_officer, planted.h1.pk).count() == 4


def test_every_screening_model_has_a_scope_rule():
    from django.apps import apps

    from fupin.core.scoping import SCOPE_RULES

    models = list(apps.get_app_config("screening").get_models())
    assert len(models) == 5
    for model in models:
        assert model._meta.label_lower in SCOPE_RULES


def test_reading_in_chunks_gives_the_same_frames(planted, county_officer, monkeypatch):
    """On PostgreSQL the frames are read in chunks of ``CHUNK_IDS`` ids; tiny chunks give the same rows."""
    from fupin.screening import frames

    whole_members = frames.region_members(MINGXI).sort("member_id")
    whole_records = frames.list_records(planted.lists["vehicle"].pk).sort("record_id")
    monkeypatch.setattr(frames, "CHUNK_IDS", 2)
    assert frames.region_members(MINGXI).sort("member_id").equals(whole_members)
    assert frames.list_records(planted.lists["vehicle"].pk, rows=4).sort("record_id").equals(whole_records)
    assert whole_members.height == 5 and whole_records.height == 4
    assert frames.list_records(999_999).height == 0
    run = services.run_screening(actor=county_officer, region_code=MINGXI)
    assert _found(run) == planted.planted
