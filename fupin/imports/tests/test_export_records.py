"""导出记录: every roster export — page, API, command — is recorded (who, when, channel, region, roster,
rows, full or masked numbers, the file's name, size and SHA-256); a refused export is recorded as
refused; records are read in scope by roles with ``audit.view`` only, and found by a file's SHA-256."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fupin.accounts.models import ApiToken
from fupin.api.tests.conftest import Api
from fupin.imports.choices import ExportChannel, ExportOutcome
from fupin.imports.exports import export_roster_to, spooled_export
from fupin.imports.models import ExportRecord
from fupin.policy.regions import RegionCodeError
from fupin.testing import MINGXI, NINGHUA, first_village

pytestmark = pytest.mark.django_db
CITY = "350400000000"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def two_counties(make_household):
    """明溪县: a household of 3 (and one of 2); 宁化县: a household of 2."""
    make_household(first_village(MINGXI), members=3)
    make_household(first_village(MINGXI), members=2)
    make_household(first_village(NINGHUA), members=2)


# --- the service -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_recorded_with_its_rows_size_and_hash(two_counties, make_user, tmp_path, fmt):
    officer = make_user("county", MINGXI, username="mx-officer")
    path = tmp_path / f"out.{fmt}"
    with path.open("w+b") as out:
        record = export_roster_to(officer, MINGXI, fmt, "persons", out, channel=ExportChannel.CLI,
                                  file_name=path.name)
        assert out.tell() == 0  # handed back at its start
    data = path.read_bytes()
    record.refresh_from_db()
    assert (record.actor_id, record.actor_name, record.channel) == (officer.pk, "mx-officer", "cli")
    assert (record.region_code, record.kind, record.format, record.outcome) == (MINGXI, "persons", fmt, "done")
    assert (record.rows, record.full_numbers, record.reason) == (5, True, "")
    assert (record.file_name, record.file_size, record.file_sha256) == (path.name, len(data), sha256(data))


def test_the_household_roster_counts_households_and_a_viewer_is_recorded_masked(two_counties, make_user):
    viewer = make_user("city", CITY)
    out, record = spooled_export(viewer, CITY, "csv", "households", channel=ExportChannel.WEB)
    with out:
        data = out.read()
    assert (record.rows, record.full_numbers, record.kind) == (3, False, "households")
    assert record.file_name == f"户花名册-{CITY}.csv"
    assert record.file_sha256 == sha256(data) and record.file_size == len(data)


def test_the_system_is_recorded_as_system_with_full_numbers(two_counties):
    out, record = spooled_export(None, "3504", "csv", "persons", channel=ExportChannel.CLI)
    out.close()
    assert (record.actor_id, record.actor_name, record.full_numbers) == (None, "system", True)
    assert (record.region_code, record.rows) == (CITY, 7)  # the code as stored: normalised to 12 digits


def test_a_refused_export_is_recorded_as_refused_and_a_bad_code_not_at_all(two_counties, make_user, monkeypatch):
    from fupin.core import xlsx_sheet

    officer = make_user("county", MINGXI)
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)  # header + 2 rows: 5 persons do not fit
    with pytest.raises(xlsx_sheet.TooManyRows):
        spooled_export(officer, MINGXI, "xlsx", "persons", channel=ExportChannel.API)
    record = ExportRecord.objects.get()
    assert (record.outcome, record.rows, record.file_size, record.file_sha256) == ("refused", 0, 0, "")
    assert "请改用 CSV" in record.reason
    with pytest.raises(RegionCodeError):
        spooled_export(officer, "not-a-code", "csv", "persons", channel=ExportChannel.API)
    assert ExportRecord.objects.count() == 1


# --- the page ----------------------------------------------------------------------------------------

def test_the_page_export_is_recorded_and_the_records_page_shows_the_scope(client, make_user, two_counties):
    officer = make_user("county", MINGXI, username="mx")
    other = make_user("county", NINGHUA, username="nh")
    client.force_login(other)
    assert client.get("/imports/export/", {"region": NINGHUA, "format": "csv"}).status_code == 200
    client.force_login(officer)
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv"})
    data = response.getvalue()
    mine = ExportRecord.objects.get(actor=officer)
    assert (mine.channel, mine.rows, mine.file_sha256) == ("web", 5, sha256(data))
    page = client.get("/imports/exports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="export-{mine.pk}"' in html and mine.file_sha256[:16] in html
    other_record = ExportRecord.objects.get(actor=other)
    assert f'id="export-{other_record.pk}"' not in html  # 宁化县's export is out of 明溪县's scope
    assert "导出记录" in html and "网页" in html and "完整" in html
    assert 'id="export-records-link"' in client.get("/imports/").content.decode()


def test_the_records_page_finds_an_export_by_its_file_hash(client, make_user, two_counties):
    officer = make_user("county", MINGXI)
    client.force_login(officer)
    first = client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).getvalue()
    client.get("/imports/export/", {"region": MINGXI, "format": "xlsx"}).getvalue()
    wanted = ExportRecord.objects.get(format="csv")
    html = client.get("/imports/exports/", {"sha256": sha256(first).upper()}).content.decode()
    assert f'id="export-{wanted.pk}"' in html
    assert html.count('<tr id="export-') == 1
    html = client.get("/imports/exports/", {"sha256": "0" * 64}).content.decode()
    assert 'id="no-export-records"' in html


@pytest.mark.parametrize("role,region", [("city", CITY), ("evaluator", CITY), ("province", "350000000000")])
def test_roles_without_the_audit_trail_get_404_for_the_records(client, make_user, two_counties, role, region):
    client.force_login(make_user(role, region))
    assert client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).status_code == 200
    assert ExportRecord.objects.get().full_numbers is False  # their export is recorded, masked
    assert client.get("/imports/exports/").status_code == 404
    assert 'id="export-records-link"' not in client.get("/imports/").content.decode()


def test_an_auditor_reads_the_records_of_their_region(client, make_user, two_counties):
    officer = make_user("county", MINGXI)
    client.force_login(officer)
    client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).getvalue()
    client.force_login(make_user("auditor", CITY))
    html = client.get("/imports/exports/").content.decode()
    assert f'id="export-{ExportRecord.objects.get().pk}"' in html


def test_the_records_name_the_households_each_export_took(client, make_user, make_household, two_counties):
    """导出筛选 on the records: the page names an export's filter in words (全部 for an unfiltered one), the
    API gives it as ``filters`` ({} for all)."""
    import re

    make_household(first_village(MINGXI), members=1, poverty_status="3", identification_year=2015, exit_year=2019)
    officer = make_user("county", MINGXI)
    client.force_login(officer)
    client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).getvalue()
    client.get("/imports/export/", {"region": MINGXI, "format": "csv", "poverty_status": ["3", "0"],
                                    "identification_year": "2015-2016"}).getvalue()
    everything, chosen = ExportRecord.objects.order_by("pk")
    assert (everything.rows, everything.filters, everything.filters_text) == (6, {}, "")
    assert (chosen.rows, chosen.filters) == (1, {"poverty_status": ["0", "3"], "identification_year": [2015, 2016]})
    html = client.get("/imports/exports/").content.decode()
    assert "导出范围" in html

    def cell(pk: int) -> str:
        return re.search(rf'<tr id="export-{pk}">.*?<td class="filters">(.*?)</td>', html, re.S).group(1)

    assert cell(everything.pk) == '<span class="muted">全部</span>'
    assert cell(chosen.pk) == "脱贫状态:未脱贫、返贫;识别年度:2015-2016"
    items = _api(client, officer).get("/exports/records").json()["items"]
    assert [(i["id"], i["filters"]) for i in items] == [(chosen.pk, chosen.filters), (everything.pk, {})]


# --- the API -----------------------------------------------------------------------------------------

def _api(client, user) -> Api:
    _token, raw = ApiToken.issue(user, name="test")
    return Api(client, user, raw)


def test_the_api_export_is_recorded_and_listed_in_scope(client, make_user, two_counties):
    mx = _api(client, make_user("county", MINGXI))
    response = mx.get("/exports/roster", {"region": MINGXI, "format": "csv"})
    data = response.getvalue()
    nh = _api(client, make_user("county", NINGHUA))
    nh.get("/exports/roster", {"region": NINGHUA, "format": "xlsx", "kind": "households"}).getvalue()
    listed = mx.get("/exports/records").json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert (item["channel"], item["region_code"], item["rows"], item["file_sha256"]) == ("api", MINGXI, 5, sha256(data))
    assert (item["outcome"], item["full_numbers"], item["kind"], item["format"]) == ("done", True, "persons", "csv")
    found = mx.get("/exports/records", {"sha256": sha256(data)}).json()
    assert [i["id"] for i in found["items"]] == [item["id"]]
    assert nh.get("/exports/records").json()["items"][0]["kind"] == "households"
    viewer = _api(client, make_user("city", CITY))
    assert viewer.get("/exports/records").json() == {"count": 0, "page": 1, "page_size": 100, "items": []}
    auditor = _api(client, make_user("auditor", CITY))
    assert auditor.get("/exports/records").json()["count"] == 2


# --- the command -------------------------------------------------------------------------------------

def test_the_command_records_its_export_and_prints_the_hash(tmp_path: Path, make_user, two_counties):
    out = tmp_path / "明溪.csv"
    printed = io.StringIO()
    call_command("export", str(out), "--region", MINGXI, stdout=printed)
    record = ExportRecord.objects.get()
    data = out.read_bytes()
    assert (record.channel, record.actor_name, record.full_numbers, record.rows) == ("cli", "system", True, 5)
    assert (record.file_name, record.file_sha256, record.file_size) == ("明溪.csv", sha256(data), len(data))
    assert f"rows=5 sha256={sha256(data)}" in printed.getvalue()
    make_user("city", CITY, username="viewer")
    call_command("export", str(tmp_path / "v.xlsx"), "--region", MINGXI, "--as", "viewer", stdout=io.StringIO())
    assert ExportRecord.objects.filter(actor_name="viewer", full_numbers=False, format="xlsx").count() == 1


def test_a_refused_command_export_is_recorded_and_leaves_no_file(tmp_path: Path, two_counties, monkeypatch):
    from fupin.core import xlsx_sheet

    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)
    with pytest.raises(CommandError, match="请改用 CSV"):
        call_command("export", str(tmp_path / "r.xlsx"), "--region", MINGXI, stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
    assert ExportRecord.objects.get().outcome == ExportOutcome.REFUSED


# --- the file a batch was imported from (原始文件) ---------------------------------------------------------

@pytest.fixture
def landed_batch(make_user, settings, tmp_path):
    """A 明溪县 batch at review, landed from a small CSV by a county officer."""
    from fupin.imports import services

    from .test_views import small_roster

    settings.DATA_DIR = tmp_path
    content = small_roster(first_village(MINGXI))
    officer = make_user("county", MINGXI, username="uploader")
    batch = services.land_file(actor=officer, file_name="明溪县花名册.csv", content=content, region_code=MINGXI,
                               source="web")
    services.validate_batch(batch.pk, actor=officer)
    batch.refresh_from_db()
    return batch, content


def test_the_landed_file_is_handed_out_as_uploaded_and_recorded(client, make_user, landed_batch):
    batch, content = landed_batch
    client.force_login(make_user("county", MINGXI, username="mx-auditing"))
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="landed-file-link"' in page and batch.file_sha256 in page
    response = client.get(f"/imports/{batch.pk}/file/")
    assert response.status_code == 200
    assert response.getvalue() == content
    record = ExportRecord.objects.get()
    assert (record.kind, record.format, record.channel, record.actor_name) == ("landed", "csv", "web", "mx-auditing")
    assert (record.rows, record.full_numbers, record.file_name) == (batch.rows_read, True, "明溪县花名册.csv")
    assert (record.file_sha256, record.file_size) == (batch.file_sha256, len(content))
    assert "导入原始文件" in client.get("/imports/exports/").content.decode()


@pytest.mark.parametrize("role,region", [("city", CITY), ("evaluator", CITY), ("county", NINGHUA),
                                         ("township", "350421100000")])
def test_the_landed_file_is_404_for_those_who_may_not_take_it(client, make_user, landed_batch, role, region):
    """Viewers without full numbers or the audit trail, another county, a township below the county's
    batch (which does not see the batch at all)."""
    batch, _content = landed_batch
    client.force_login(make_user(role, region))
    assert client.get(f"/imports/{batch.pk}/file/").status_code == 404
    if role in ("city", "evaluator"):  # they see the batch, not the link
        assert 'id="landed-file-link"' not in client.get(f"/imports/{batch.pk}/").content.decode()
    assert not ExportRecord.objects.exists()


def test_a_landed_file_changed_on_disk_is_not_handed_out(client, make_user, landed_batch):
    batch, _content = landed_batch
    Path(batch.stored_path).write_bytes(b"not what was uploaded")
    client.force_login(make_user("auditor", CITY))
    response = client.get(f"/imports/{batch.pk}/file/", follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/imports/{batch.pk}/")
    assert "SHA-256 不同" in response.content.decode()
    assert not ExportRecord.objects.exists()


def test_the_api_hands_out_the_landed_file_to_an_auditor_only(client, make_user, landed_batch):
    batch, content = landed_batch
    auditor = _api(client, make_user("auditor", CITY))
    response = auditor.get(f"/imports/{batch.pk}/file")
    assert response.status_code == 200 and response.getvalue() == content
    assert ExportRecord.objects.get().channel == "api"
    assert _api(client, make_user("city", CITY)).get(f"/imports/{batch.pk}/file").status_code == 404
    Path(batch.stored_path).unlink()
    assert auditor.get(f"/imports/{batch.pk}/file").status_code == 422
    assert ExportRecord.objects.count() == 1


# --- a batch's reports (错误行报告, 文件中没有的在册户) ---------------------------------------------------------

def test_the_batch_reports_are_recorded_when_downloaded(client, make_user, landed_batch):
    batch, _content = landed_batch
    client.force_login(make_user("city", CITY, username="viewer"))
    errors = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert errors.status_code == 200
    record = ExportRecord.objects.get()
    assert (record.kind, record.format, record.channel, record.actor_name) == ("rejections", "xlsx", "web", "viewer")
    assert (record.region_code, record.rows, record.full_numbers) == (MINGXI, batch.rejections.count(), False)
    assert (record.file_sha256, record.file_size) == (sha256(errors.content), len(errors.content))
    absent = client.get(f"/imports/{batch.pk}/absent.xlsx")
    record = ExportRecord.objects.get(kind="absent")
    assert (record.rows, record.file_sha256) == (batch.households_absent, sha256(absent.content))
    client.force_login(make_user("county", MINGXI))
    html = client.get("/imports/exports/").content.decode()
    assert "错误行报告" in html and "文件中没有的在册户" in html


def test_the_import_commands_report_is_recorded(tmp_path: Path, make_user, settings):
    from .test_views import small_roster

    settings.DATA_DIR = tmp_path
    roster = tmp_path / "r.csv"
    roster.write_bytes(small_roster(first_village(MINGXI)))
    dry = tmp_path / "dry.xlsx"
    call_command("import", str(roster), "--region", "3504", "--dry-run", "--report", str(dry), "--no-progress",
                 stdout=io.StringIO(), stderr=io.StringIO())
    record = ExportRecord.objects.get()
    assert (record.kind, record.channel, record.region_code, record.actor_name) == ("rejections", "cli", CITY,
                                                                                      "system")
    assert (record.file_name, record.file_sha256, record.full_numbers) == ("dry.xlsx", sha256(dry.read_bytes()), True)
    assert record.rows >= 1
    report = tmp_path / "errors.xlsx"
    call_command("import", str(roster), "--region", MINGXI, "--report", str(report), "--no-progress",
                 stdout=io.StringIO(), stderr=io.StringIO())
    last = ExportRecord.objects.order_by("-id").first()
    assert (last.kind, last.region_code, last.file_sha256) == ("rejections", MINGXI, sha256(report.read_bytes()))
