"""The demo import batch (演示: 导入批次待审核): a village's monthly update, checked and left at review."""

import pytest

from fupin.demo import plan
from fupin.demo.imports import ensure_demo_import
from fupin.demo.users import demo_village, ensure_demo_users
from fupin.demo.writer import generate_demo
from fupin.imports import services
from fupin.imports.models import ImportBatch
from fupin.registry.models import Household, Member


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    generate_demo(seed=3, targets=plan.scaled_targets(1200))
    ensure_demo_users()


def test_the_demo_batch_waits_for_review_with_each_kind_of_finding(demo):
    members = Member.objects.count()
    lines: list[str] = []
    batch = ensure_demo_import(write=lines.append)
    assert batch is not None and batch.status == "review" and batch.accounted
    assert (batch.actor_name, batch.source, batch.region_code) == ("demo_county", "demo", plan.MINGXI.code)
    village = demo_village()
    size = Household.objects.filter(village_code=village, status="active").count()
    # one household rejected whole (a mistyped 证件号码), the others listed
    assert batch.households_new == 0
    assert batch.households_changed + batch.households_unchanged == size - 1
    assert batch.rows_rejected >= 2 and batch.persons_left == 1
    summary = {(s["change"], s["field"]): s["households"] for s in batch.changes_by_field}
    assert summary[("household", "phone")] == 3
    assert summary[("member_changed", "education")] == 1
    assert summary[("member_left", "relation")] == 1
    assert services.rows_to_fix(batch, full=True)["错误原因"].str.contains("证件号码").any()
    assert Member.objects.count() == members  # nothing written: the batch waits for its reviewer
    assert lines and "left=1" in lines[0]
    # Idempotent: a second demo run leaves the one batch.
    assert ensure_demo_import() is None
    assert ImportBatch.objects.count() == 1
    # The reviewer confirms the person leaving and merges.
    merged = services.merge_batch(actor=None, batch_id=batch.pk, persons_left_confirmed=1)
    assert merged.status == "merged"


def test_a_demo_too_small_for_the_update_gets_no_batch(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    generate_demo(seed=3, targets=plan.scaled_targets(20))
    ensure_demo_users()
    lines: list[str] = []
    if Household.objects.filter(village_code=demo_village()).count() >= 8:
        pytest.fail("the scaled-down demo village is not small; choose a smaller demo")
    assert ensure_demo_import(write=lines.append) is None
    assert ImportBatch.objects.count() == 0 and "no demo import batch" in lines[0]
