"""超期未处理的导入批次: batches left undecided are refused by the system, checks at work never."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fupin.imports import services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch
from fupin.testing import MINGXI, first_village

from .test_views import small_roster

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _batch(*, days_ago: float, status: str = "review", heartbeat_days_ago: float | None = None) -> ImportBatch:
    """A batch checked (or only landed) ``days_ago``; its times moved back as a real one's would be."""
    village = first_village(MINGXI)
    batch = services.land_file(actor=None, file_name=f"{status}-{days_ago}.csv", content=small_roster(village),
                               region_code=MINGXI, source="test", expire_stale=False)
    if status in ("review", "merged", "refused"):
        batch = services.validate_batch(batch.pk)
        assert batch.status == BatchStatus.REVIEW, batch.error
    if status == "merged":
        services.merge_batch(actor=None, batch_id=batch.pk)
    elif status == "refused":
        services.refuse_batch(actor=None, batch_id=batch.pk, comment="by hand")
    elif status in ("failed", "validating"):
        ImportBatch.objects.filter(pk=batch.pk).update(status=status)
    then = timezone.now() - timedelta(days=days_ago)
    heartbeat = None if heartbeat_days_ago is None else timezone.now() - timedelta(days=heartbeat_days_ago)
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=then, validated_at=then if status in ("review", "merged", "refused") else None,
        heartbeat_at=heartbeat)
    return ImportBatch.objects.get(pk=batch.pk)


def test_undecided_batches_past_the_limit_are_refused_by_the_system_with_the_reason():
    old_review = _batch(days_ago=31)
    recent_review = _batch(days_ago=29)
    old_failed = _batch(days_ago=40, status="failed")
    stopped_check = _batch(days_ago=45, status="validating", heartbeat_days_ago=44)
    check_at_work = _batch(days_ago=45, status="validating", heartbeat_days_ago=0)  # a long check, beating
    old_merged = _batch(days_ago=90, status="merged")
    old_refused = _batch(days_ago=90, status="refused")
    diff_file = services._diff_path(old_review, "members.parquet")
    assert diff_file.exists()

    listed = services.expire_undecided(days=30, dry_run=True)
    assert [(b.pk, was) for b, was in listed] == [(stopped_check.pk, "validating"), (old_failed.pk, "failed"),
                                                 (old_review.pk, "review")]  # oldest first
    assert ImportBatch.objects.filter(status=BatchStatus.REFUSED).count() == 1  # the dry run changed nothing

    refused = services.expire_undecided(days=30)
    assert [(b.pk, was) for b, was in refused] == [(b.pk, was) for b, was in listed]
    for batch in (old_review, old_failed, stopped_check):
        batch.refresh_from_db()
        assert batch.status == BatchStatus.REFUSED
        assert batch.decision_comment.startswith("超过30天未处理，系统自动拒绝")
        assert batch.decided_by_name == "system" and batch.decided_at is not None
    assert not diff_file.exists()  # the working files go, as for any refusal
    assert old_review.stored_path and Path(old_review.stored_path).exists()  # the landed file stays
    for batch, status in ((recent_review, "review"), (check_at_work, "validating"), (old_merged, "merged"),
                          (old_refused, "refused")):
        batch.refresh_from_db()
        assert batch.status == status, batch
    assert old_refused.decision_comment == "by hand"
    assert services.expire_undecided(days=30) == []  # nothing left to expire


def test_a_batch_active_since_the_cutoff_is_not_refused():
    """Checked again between the listing and the refusal: the refusal, under the batch's lock, leaves it."""
    batch = _batch(days_ago=31)
    cutoff = timezone.now() - timedelta(days=30)
    ImportBatch.objects.filter(pk=batch.pk).update(validated_at=timezone.now())
    with pytest.raises(services.ImportRefused, match="active"):
        services.refuse_batch(actor=None, batch_id=batch.pk, comment="x", quiet_since=cutoff)
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW
    assert services.expire_undecided(days=30) == []


def test_the_limit_comes_from_the_setting(settings):
    batch = _batch(days_ago=8)
    settings.FUPIN_IMPORT_UNDECIDED_DAYS = 10
    assert services.expire_undecided() == []
    settings.FUPIN_IMPORT_UNDECIDED_DAYS = 7
    assert [b.pk for b, _ in services.expire_undecided()] == [batch.pk]
    with pytest.raises(ValueError):
        services.expire_undecided(days=0)


def test_the_command_lists_refuses_and_counts():
    batch = _batch(days_ago=31)
    out = io.StringIO()
    call_command("expire_imports", "--days", "30", "--dry-run", stdout=out)
    assert f"将拒绝 / would refuse #{batch.pk} review-31.csv {MINGXI} (review" in out.getvalue()
    assert out.getvalue().rstrip().endswith("expired=1 (dry run)")
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW
    out = io.StringIO()
    call_command("expire_imports", "--days", "30", stdout=out)
    assert f"已拒绝 / refused #{batch.pk}" in out.getvalue() and out.getvalue().rstrip().endswith("expired=1")
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REFUSED
    with pytest.raises(CommandError):
        call_command("expire_imports", "--days", "0")


def test_landing_a_file_refuses_the_batches_past_the_limit_where_no_daily_run_does(monkeypatch, caplog):
    """The batch page says a batch undecided for 30 days is refused by the system. Where no cron runs
    ``fupin expire_imports`` that stayed untrue; now every file landed sweeps them first (the demo, a
    small office). A sweep that fails is logged and the upload goes on."""
    old_review = _batch(days_ago=31)
    recent_review = _batch(days_ago=29)
    village = first_village(MINGXI)
    new = services.land_file(actor=None, file_name="new.csv", content=small_roster(village), region_code=MINGXI,
                             source="test")
    old_review.refresh_from_db()
    recent_review.refresh_from_db()
    assert (old_review.status, recent_review.status, new.status) == ("refused", "review", "landed")
    assert old_review.decision_comment == (f"超过30天未处理，系统自动拒绝(批次 #{new.pk} 上传时) / not decided within 30 "
                                           f"days: refused by the system (when batch #{new.pk} was uploaded)")
    assert old_review.decided_by_name and "超过30天未处理" in old_review.decision_comment

    def broken(**_kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services, "expire_undecided", broken)
    again = services.land_file(actor=None, file_name="again.csv", content=small_roster(village, bad_rows=1),
                               region_code=MINGXI, source="test")
    assert again.status == "landed" and Path(again.stored_path).exists()
    assert "expiring undecided batches after landing batch" in caplog.text


def test_the_batch_page_shows_the_systems_refusal_in_the_pages_language(client, make_user):
    """A batch the system refused: "系统" / "the system" as who decided, its comment in one language;
    a comment a person wrote is shown as written."""
    old_review = _batch(days_ago=31)
    services.expire_undecided(trigger="批次 #9 上传时 / when batch #9 was uploaded")
    by_hand = _batch(days_ago=1)
    services.refuse_batch(actor=None, batch_id=by_hand.pk, comment="重复上传 / uploaded twice")
    ImportBatch.objects.filter(pk=by_hand.pk).update(decided_by_name="mingxi_county")
    client.force_login(make_user("county", MINGXI))
    page = client.get(f"/imports/{old_review.pk}/").content.decode()
    assert '<dd id="decision-comment">超过30天未处理，系统自动拒绝(批次 #9 上传时)</dd>' in page
    assert '<dd id="decided-by">系统 · ' in page
    assert '<dd id="decision-comment">重复上传 / uploaded twice</dd>' in client.get(f"/imports/{by_hand.pk}/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/imports/{old_review.pk}/").content.decode()
    assert ('<dd id="decision-comment">not decided within 30 days: refused by the system (when batch #9 was '
            'uploaded)</dd>') in english
    assert '<dd id="decided-by">the system · ' in english
