"""The import/export pages (导入导出): upload → review → merge or refuse; errors.xlsx; template; export.

Validation runs inline here (``FUPIN_IMPORT_SYNC``); the browser test exercises the thread and the
htmx polling. 明溪县 users import into 明溪县; a 宁化县 batch does not exist for them (404).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import fastexcel
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fupin.imports import roster
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch
from fupin.imports.tests.roster_files import write_xls
from fupin.policy.idnumber import make_id_number, mask_id_number
from fupin.registry.models import Household
from fupin.testing import MINGXI, NINGHUA, first_village

CITY = "350400000000"  # 三明市
_seq = iter(range(1, 100_000))


def person_row(village_code: str, household_number: str, relation: str = "01", **extra: str) -> dict[str, str]:
    n = next(_seq)
    row = {
        "行政区划代码": village_code, "户编号": household_number, "贫困户属性": "一般贫困户", "属性版本": "2016",
        "主要致贫原因": "因病", "识别年度": "2014", "识别标准": "国家标准", "脱贫属性": "未脱贫",
        "工资性收入": "6000", "生产经营性收入": "1500",
        "姓名": f"导入{n}", "证件号码": make_id_number(village_code[:6], date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                                                   n % 1000),
        "与户主关系": relation, "民族": "01", "文化程度": "3", "在校生状况": "1", "健康状况": "1", "劳动技能": "1",
    }
    row.update(extra)
    return row


def household_rows(village_code: str, household_number: str, members: int = 2) -> list[dict[str, str]]:
    return [person_row(village_code, household_number, "01" if i == 0 else "03") for i in range(members)]


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=roster.HEADERS)
    writer.writeheader()
    for row in rows:
        writer.writerow({h: row.get(h, "") for h in roster.HEADERS})
    return out.getvalue().encode("utf-8-sig")


def land_checked(officer: Any, rows: list[dict[str, str]], *, file_name: str = "花名册.csv",
                 region_code: str = MINGXI) -> ImportBatch:
    """Land ``rows`` as a CSV roster through the services and check it (the batch as checked)."""
    from fupin.imports import services

    batch = services.land_file(actor=officer, file_name=file_name, content=roster_csv(rows), region_code=region_code,
                               source="test")
    return services.validate_batch(batch.pk, actor=officer)


def small_roster(village_code: str, *, bad_rows: int = 1) -> bytes:
    """Two households of two persons, and ``bad_rows`` rows with an invalid ID number."""
    rows = household_rows(village_code, f"{village_code}90001") + household_rows(village_code, f"{village_code}90002")
    for i in range(bad_rows):
        rows.append(person_row(village_code, f"{village_code}9100{i}", 证件号码="350421196001011234"))
    return roster_csv(rows)


@pytest.fixture(autouse=True)
def _sync_import(settings):
    settings.FUPIN_IMPORT_SYNC = True


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def login(client, make_user):
    def _login(role: str, region_code: str = MINGXI, **extra: Any):
        user = make_user(role, region_code, **extra)
        client.force_login(user)
        return user

    return _login


@pytest.fixture
def upload(client):
    def _upload(content: bytes, region_code: str, name: str = "花名册.csv", **fields: str):
        return client.post("/imports/", {"file": SimpleUploadedFile(name, content, content_type="text/csv"),
                                          "region_code": region_code, **fields})

    return _upload


@pytest.fixture
def batch_of(make_user):
    """A batch at review in a county, landed and validated through the services by a local officer."""
    from fupin.imports import services

    def make(county: str, village: str, *, bad_rows: int = 1) -> ImportBatch:
        officer = make_user("county", county)
        batch = services.land_file(actor=officer, file_name="花名册.csv", content=small_roster(village, bad_rows=bad_rows),
                                   region_code=county, source="test")
        return services.validate_batch(batch.pk, actor=officer)

    return make


# ------------------------------------------------------------------ the list and the upload


def test_anonymous_is_sent_to_login(client):
    for url in ("/imports/", "/imports/1/", "/imports/1/progress/", "/imports/1/errors.xlsx",
                "/imports/template.xlsx", "/imports/export/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")
    assert client.post("/imports/1/merge/").status_code == 302
    assert client.post("/imports/1/refuse/", {"comment": "x"}).status_code == 302


def test_list_shows_upload_and_export_forms_to_an_editor(client, login):
    login("county")
    response = client.get("/imports/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="upload-form"' in body
    assert 'accept=".xlsx,.xls,.ods,.csv,.txt,.tsv,.zip"' in body
    assert 'id="export-form"' in body
    assert "/imports/template.xlsx" in body
    # the nav link of base.html
    assert 'href="/imports/"' in body
    # the region choices: the county and the places inside it, nothing outside
    assert f'value="{MINGXI}"' in body
    assert 'value="350421100000"' in body  # 雪峰镇
    assert f'value="{NINGHUA}"' not in body
    # no batch yet: the list says so, and has nothing to filter
    assert 'id="no-batches"' in body and "还没有导入批次" in body and 'id="batch-filters"' not in body


def test_the_list_filters_batches_by_status_region_and_file(client, login, batch_of, make_user, mingxi_village,
                                                            ninghua_village):
    """导入批次筛选: by status, by region (the batches imported into it or into a region within it), by
    part of the file name or by the file's SHA-256; a value that cannot be valid is dropped, not a 500."""
    from fupin.imports import services
    from fupin.testing import MINGXI_TOWNSHIP

    county = batch_of(MINGXI, mingxi_village)  # at review, into the county
    merged = batch_of(MINGXI, mingxi_village, bad_rows=0)
    services.refuse_batch(actor=None, batch_id=merged.pk, comment="test")
    officer = make_user("township", MINGXI_TOWNSHIP)
    township = services.land_file(actor=officer, file_name="雪峰镇-六月.csv", content=small_roster(mingxi_village),
                                  region_code=MINGXI_TOWNSHIP, source="test")
    other = batch_of(NINGHUA, ninghua_village)
    login("county")

    def shown(**query: str) -> list[int]:
        response = client.get("/imports/", query)
        assert response.status_code == 200
        return [int(pk) for pk in re.findall(r'<tr id="batch-(\d+)"', response.content.decode())]

    assert shown() == [township.pk, merged.pk, county.pk]  # newest first; 宁化 not in scope
    assert shown(status="review") == [county.pk]
    assert shown(status="refused") == [merged.pk]
    assert shown(region=MINGXI_TOWNSHIP) == [township.pk]
    assert shown(region=MINGXI) == [township.pk, merged.pk, county.pk]
    assert shown(q="六月") == [township.pk]
    assert shown(q=county.file_sha256.upper()) == sorted(
        [b.pk for b in (county, merged) if b.file_sha256 == county.file_sha256], reverse=True)
    assert shown(q="0" * 64) == []
    assert shown(status="review", q="六月") == []
    assert "没有符合筛选条件的导入批次" in client.get("/imports/", {"q": "nothing"}).content.decode()
    # values that cannot be valid are dropped: another county's code, an unknown status
    assert shown(region=NINGHUA, status="nonsense") == [township.pk, merged.pk, county.pk]
    assert other.pk not in shown(region=NINGHUA)
    body = client.get("/imports/", {"status": "review"}).content.decode()
    assert 'id="clear-filters"' in body and "明溪县" in body  # the region's name beside its code


@pytest.mark.parametrize("role", ["city", "evaluator"])
def test_viewers_get_no_upload_form_and_cannot_post(client, login, upload, mingxi_village, role):
    login(role, CITY if role == "city" else MINGXI)
    response = client.get("/imports/")
    assert response.status_code == 200
    assert 'id="upload-form"' not in response.content.decode()
    assert upload(small_roster(mingxi_village), MINGXI).status_code == 404
    assert not ImportBatch.objects.exists()


def test_the_review_page_warns_of_registered_households_not_in_the_file(client, login, upload, mingxi_village,
                                                                         make_household):
    make_household(mingxi_village, members=2)
    login("county")
    response = upload(small_roster(mingxi_village), MINGXI)
    html = client.get(response["Location"]).content.decode()
    assert 'id="households-absent"' in html
    assert "本文件所涉行政村中有1户在册户不在文件中" in html
    assert f'<tr id="village-{mingxi_village}">' in html and '<td class="num absent">1</td>' in html
    batch_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert f'href="/imports/{batch_id}/absent.xlsx"' in html
    report = client.get(f"/imports/{batch_id}/absent.xlsx")
    assert report.status_code == 200
    sheet = fastexcel.read_excel(report.content).load_sheet(0, dtypes="string").to_polars()
    assert sheet.height == 1 and sheet.columns[2] == "户编号 household"
    client.logout()
    login("county", NINGHUA)
    assert client.get(f"/imports/{batch_id}/absent.xlsx").status_code == 404


def test_upload_validates_and_shows_the_review_page(client, login, upload, mingxi_village):
    login("county")
    response = upload(small_roster(mingxi_village), MINGXI)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert batch.status == BatchStatus.REVIEW
    assert batch.source == "web"
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (5, 4, 1)
    assert batch.households_new == 2 and batch.persons_new == 4

    page = client.get(f"/imports/{batch.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<dd id="rows-read">5</dd>' in body
    assert '<dd id="rows-imported">4</dd>' in body
    assert '<dd id="rows-rejected">1</dd>' in body
    assert f'id="village-{mingxi_village}"' in body
    assert 'id="merge-form"' in body and 'id="refuse-form"' in body
    assert f"/imports/{batch.pk}/errors.xlsx" in body
    assert "证件号码" in body  # the rejected row's column
    assert 'hx-trigger="every 1s"' not in body  # no polling at review
    # the rejected row's reason, stored "中文 / English", in the page's language
    reason = batch.rejections.get().reason
    assert reason == "校验位错误(应为X) / wrong check character (expected X)"
    assert '<td class="wrap">校验位错误(应为X)</td>' in body and "wrong check character" not in body
    client.cookies["django_language"] = "en"
    english = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<td class="wrap">wrong check character (expected X)</td>' in english and "校验位错误" not in english


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_an_excel_97_2003_or_opendocument_roster_is_uploaded_and_validated(client, login, upload, mingxi_village,
                                                                         tmp_path, kind):
    """A real .xls (xlwt), or an OpenDocument spreadsheet (.ods: LibreOffice, WPS "ODF 表格"), through the
    upload page: read, checked, the bad row numbered as in the file."""
    from .roster_files import write_ods

    login("county")
    rows = [r for r in csv.DictReader(io.StringIO(small_roster(mingxi_village).decode("utf-8-sig")))]
    write = write_xls if kind == "xls" else write_ods
    path = write(tmp_path / f"花名册.{kind}", rows, headers=list(roster.HEADERS), title_rows=["明溪县花名册"])
    response = upload(path.read_bytes(), MINGXI, name=f"花名册.{kind.upper()}")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert (batch.status, batch.encoding) == (BatchStatus.REVIEW, kind)
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (5, 4, 1)
    assert list(batch.rejections.values_list("row_number", flat=True).distinct()) == [7]  # title, header, 4 rows


def test_a_tab_delimited_list_uploaded_as_listed_persons_only_updates_them(client, login, upload, mingxi_village):
    """The page's import mode 只更新所列成员 with a tab-delimited .txt (Excel's 文本文件(制表符分隔)): the
    list of one registered member comes back with a new 健康状况; nobody leaves; the page shows the mode."""
    from fupin.imports import services

    officer = login("county")
    rows = household_rows(mingxi_village, f"{mingxi_village}57001", members=3)
    services.merge_batch(actor=officer, batch_id=land_checked(officer, rows).pk)
    text = "户编号\t证件号码\t姓名\t健康状况\r\n" + f"{rows[1]['户编号']}\t{rows[1]['证件号码']}\t{rows[1]['姓名']}\t长期慢性病\r\n"
    response = upload(text.encode("gb18030"), MINGXI, name="健康名单.txt", mode="members")
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.latest("pk")
    assert (batch.mode, batch.encoding, batch.rows_imported, batch.persons_changed, batch.persons_left) == (
        "members", "gb18030", 1, 1, 0), batch.error
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert re.search(r'id="batch-mode">只更新所列成员', html)
    assert "不读取户信息" in html
    assert '<td class="num absent">—</td>' in html  # 在册但文件中没有的户: not counted for a list
    form = client.get("/imports/").content.decode()
    # 导入方式 as radio buttons, each naming what it does; whole households checked unless chosen
    assert re.search(r'<input type="radio" name="mode" value="households"[^>]*checked>\s*整户导入:', form)
    assert re.search(r'<input type="radio" name="mode" value="members"[^>]*>\s*只更新所列成员:收回改正后的部分人员名单', form)
    assert re.search(r'<input type="radio" name="mode" value="household_columns"[^>]*>\s*只更新户信息:每户一行', form)
    assert not re.search(r'value="members"[^>]*checked', form)
    # the batch list names a mode other than whole households under the file's name
    assert re.search(r'健康名单.txt</a>\s*<div class="muted batch-mode">只更新所列成员</div>', form)
    assert 'accept=".xlsx,.xls,.ods,.csv,.txt,.tsv,.zip"' in form


def test_upload_refuses_other_file_types_and_regions_out_of_scope(client, login, upload, mingxi_village):
    login("county")
    response = upload(b"hello", MINGXI, name="roster.pdf")
    assert response.status_code == 422
    assert 'id="upload-form"' in response.content.decode()
    assert "只能导入 .xlsx、.xls、.ods、.csv 和制表符分隔的 .txt 文件，或这些文件的 .zip 压缩包。" in response.content.decode()
    response = upload(small_roster(mingxi_village), NINGHUA)
    assert response.status_code == 422  # not one of the choices
    assert not ImportBatch.objects.exists()


def test_upload_over_the_size_limit_is_refused_with_the_limit(client, login, upload, mingxi_village, settings):
    login("county")
    roster = small_roster(mingxi_village)
    settings.FUPIN_IMPORT_MAX_BYTES = len(roster) - 1
    response = upload(roster, MINGXI)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="upload-form"' in body and "文件超过" in body
    assert not ImportBatch.objects.exists()
    settings.FUPIN_IMPORT_MAX_BYTES = len(roster)
    assert upload(roster, MINGXI).status_code == 302
    assert ImportBatch.objects.get().file_size == len(roster)


def test_township_officer_may_choose_only_inside_the_township(client, login, upload, mingxi_village):
    login("township", "350421100000")
    body = client.get("/imports/").content.decode()
    assert 'value="350421100000"' in body
    assert f'value="{mingxi_village}"' in body
    assert f'value="{MINGXI}"' not in body
    assert upload(small_roster(mingxi_village), MINGXI).status_code == 422


# ------------------------------------------------------------------ one batch


def test_batch_pages_in_scope_and_out_of_scope(client, login, batch_of, mingxi_village, ninghua_village):
    mine = batch_of(MINGXI, mingxi_village)
    theirs = batch_of(NINGHUA, ninghua_village)
    login("county")
    for url in (f"/imports/{mine.pk}/", f"/imports/{mine.pk}/progress/", f"/imports/{mine.pk}/errors.xlsx"):
        assert client.get(url).status_code == 200, url
    for url in (f"/imports/{theirs.pk}/", f"/imports/{theirs.pk}/progress/", f"/imports/{theirs.pk}/errors.xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/imports/{theirs.pk}/merge/").status_code == 404
    assert client.post(f"/imports/{theirs.pk}/refuse/", {"comment": "不对"}).status_code == 404
    assert client.get("/imports/999999/").status_code == 404
    listing = client.get("/imports/").content.decode()
    assert f'id="batch-{mine.pk}"' in listing
    assert f'id="batch-{theirs.pk}"' not in listing
    theirs.refresh_from_db()
    assert theirs.status == BatchStatus.REVIEW


def test_city_viewer_sees_batches_but_cannot_decide(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village)
    login("city", CITY)
    page = client.get(f"/imports/{batch.pk}/")
    assert page.status_code == 200
    assert 'id="merge-form"' not in page.content.decode()
    assert client.post(f"/imports/{batch.pk}/merge/").status_code == 404
    assert client.post(f"/imports/{batch.pk}/refuse/", {"comment": "不对"}).status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW


def test_rejected_id_numbers_are_masked_for_a_viewer_who_may_not_see_them(client, login, batch_of, mingxi_village):
    """The bad row's 证件号码 (350421196001011234, wrong check character) on the page and in the report:
    in full for the county officer, masked for the city viewer — as everywhere else."""
    batch = batch_of(MINGXI, mingxi_village)
    bad, masked = "350421196001011234", "3504**********1234"
    login("county")
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert f"<td>{bad}</td>" in page
    report = fastexcel.read_excel(client.get(f"/imports/{batch.pk}/errors.xlsx").content)
    assert bad in report.load_sheet(0, dtypes="string").to_polars()["值 value"].to_list()
    client.logout()
    login("city", CITY)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert bad not in page and f"<td>{masked}</td>" in page
    values = fastexcel.read_excel(client.get(f"/imports/{batch.pk}/errors.xlsx").content).load_sheet(
        0, dtypes="string").to_polars()["值 value"].to_list()
    assert bad not in values and masked in values


def test_evaluator_cannot_decide(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village)
    login("evaluator", MINGXI)
    assert client.post(f"/imports/{batch.pk}/merge/").status_code == 404
    assert client.post(f"/imports/{batch.pk}/refuse/", {"comment": "不对"}).status_code == 404


def test_merge_writes_the_households(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village)
    login("county")
    response = client.post(f"/imports/{batch.pk}/merge/")
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGED
    assert Household.objects.filter(household_number__in=[f"{mingxi_village}90001", f"{mingxi_village}90002"]
                                    ).count() == 2
    body = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="merged-note"' in body
    assert f"/households/?region={MINGXI}" in body
    assert 'id="merge-form"' not in body
    # a second merge is refused by the service, not a crash
    again = client.post(f"/imports/{batch.pk}/merge/", follow=True)
    assert again.status_code == 200
    assert 'class="alert error' in again.content.decode()


def test_refuse_needs_a_comment(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village)
    login("county")
    response = client.post(f"/imports/{batch.pk}/refuse/", {"comment": ""})
    assert response.status_code == 422
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW
    response = client.post(f"/imports/{batch.pk}/refuse/", {"comment": "户编号有误"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REFUSED
    assert not Household.objects.filter(household_number=f"{mingxi_village}90001").exists()
    body = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="refused-note"' in body and "户编号有误" in body


def test_progress_asks_htmx_to_reload_when_done(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village)
    login("county")
    response = client.get(f"/imports/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.VALIDATING, progress=40,
                                                   progress_label="校验")
    response = client.get(f"/imports/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in response
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="40"' in body
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert f'hx-get="/imports/{batch.pk}/progress/"' in page


def test_a_stopped_check_stops_polling_and_can_be_checked_again(client, login, batch_of, mingxi_village):
    from datetime import timedelta

    from django.utils import timezone

    batch = batch_of(MINGXI, mingxi_village)
    login("county")
    silent_since = timezone.now() - timedelta(minutes=10)  # the default 30 s beat: stalled after 2 min
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.VALIDATING, progress=5,
                                                   progress_label="读取与校验", heartbeat_at=silent_since)
    response = client.get(f"/imports/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"  # an open page reloads and shows the stop
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="batch-stalled"' in page and "校验已中断" in page
    assert "hx-trigger" not in page  # no polling of a check that is not at work
    assert 'id="revalidate-form"' in page and 'id="refuse-form"' in page
    listing = client.get("/imports/").content.decode()
    assert "校验中断" in listing

    response = client.post(f"/imports/{batch.pk}/validate/")
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    batch.refresh_from_db()
    assert (batch.status, batch.rows_read, batch.rows_rejected) == (BatchStatus.REVIEW, 5, 1)
    again = client.post(f"/imports/{batch.pk}/validate/", follow=True)  # at review: refused, said on the page
    assert "只有校验失败或校验中断的批次可以重新校验" in again.content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW


def test_a_check_at_work_offers_no_restart(client, login, batch_of, mingxi_village, make_user):
    batch = batch_of(MINGXI, mingxi_village)
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.VALIDATING, progress=40)
    login("county")
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="revalidate-form"' not in page and 'id="batch-stalled"' not in page
    response = client.post(f"/imports/{batch.pk}/validate/", follow=True)
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATING
    client.force_login(make_user("city", "350400000000"))  # a viewer: the write is 404
    assert client.post(f"/imports/{batch.pk}/validate/").status_code == 404
    assert response.status_code == 200


def test_rejections_are_paged_and_downloadable(client, login, batch_of, mingxi_village):
    batch = batch_of(MINGXI, mingxi_village, bad_rows=3)
    login("county")
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    frame = fastexcel.read_excel(response.content).load_sheet(0, dtypes="string").to_polars()
    assert frame.height >= 3
    from fupin.imports.models import ImportRejection

    real = batch.rejections.count()
    ImportRejection.objects.bulk_create(
        ImportRejection(batch=batch, row_number=1000 + i, column="姓名", reason="测试") for i in range(120))
    first = client.get(f"/imports/{batch.pk}/").content.decode()
    assert first.count('<td class="wrap">测试</td>') == 100 - real
    second = client.get(f"/imports/{batch.pk}/?page=2").content.decode()
    assert 'class="wrap">测试</td>' in second


# ------------------------------------------------------------------ the list of changes (变更明细)


@pytest.fixture
def changed_batch(make_user, mingxi_village):
    """A 明溪县 batch at review re-importing two registered households (in two villages): the first
    without its third member (成员减少), the second with its second member's 文化程度 changed."""
    from fupin.imports import services

    officer = make_user("county", MINGXI)
    other_village = first_village(MINGXI, 1)
    first = household_rows(mingxi_village, f"{mingxi_village}70001", members=3)
    second = household_rows(other_village, f"{other_village}70002", members=2)

    def land(rows: list[dict[str, str]]) -> ImportBatch:
        batch = services.land_file(actor=officer, file_name="花名册.csv", content=roster_csv(rows), region_code=MINGXI,
                                   source="test")
        return services.validate_batch(batch.pk, actor=officer)

    registered = land(first + second)
    assert registered.status == BatchStatus.REVIEW, registered.error
    services.merge_batch(actor=officer, batch_id=registered.pk)
    batch = land([*first[:2], second[0], dict(second[1], 文化程度="4")])
    assert (batch.status, batch.persons_left, batch.rows_rejected) == (BatchStatus.REVIEW, 1, 0), batch.error
    return SimpleNamespace(batch=batch, gone=first[2], changed=second[1], other_village=other_village)


def test_a_file_without_most_members_is_flagged_as_maybe_not_a_whole_roster(client, login, make_user, mingxi_village,
                                                                            settings):
    """减员异常: a file listing only the heads of registered households (a list exported with 人员筛选 and
    imported back) — 12 of 16 registered persons would leave: the review page says the file may not be a
    whole roster; one person leaving of a dozen is not flagged."""
    from fupin.imports import services

    settings.FUPIN_IMPORT_SYNC = True
    officer = make_user("county", MINGXI)
    households = [household_rows(mingxi_village, f"{mingxi_village}7100{i}", members=4) for i in range(4)]
    registered = land_checked(officer, [row for h in households for row in h])
    services.merge_batch(actor=officer, batch_id=registered.pk)
    heads = land_checked(officer, [h[0] for h in households], file_name="在校生名单.csv")
    assert (heads.persons_left, heads.persons_unchanged, heads.leaving_percent, heads.many_leaving) == (12, 4, 75, True)
    login("county")
    html = client.get(f"/imports/{heads.pk}/").content.decode()
    assert 'id="many-leaving"' in html
    assert "本文件各户的在册成员中将有12人减员(占75%)。该文件可能不是完整的花名册" in html
    assert "以导入方式“只更新所列成员”重新上传" in html
    settings.FUPIN_IMPORT_LEAVING_WARN_SHARE = 0.8  # a county's own threshold
    assert ImportBatch.objects.get(pk=heads.pk).many_leaving is False
    settings.FUPIN_IMPORT_LEAVING_WARN_SHARE = 0.2
    services.refuse_batch(actor=officer, batch_id=heads.pk, comment="只是名单")
    one = land_checked(officer, [row for h in households for row in h][:-1])
    assert (one.persons_left, one.many_leaving) == (1, False)
    assert 'id="many-leaving"' not in client.get(f"/imports/{one.pk}/").content.decode()


def change_rows(html: str) -> list[str]:
    """The rows of the change table (``<tr class="change …">`` … ``</tr>``)."""
    return [part.split("</tr>", 1)[0] for part in html.split('<tr class="change ')[1:]]


def test_the_review_page_shows_the_persons_leaving_and_the_changes_by_field(client, login, changed_batch,
                                                                             mingxi_village):
    batch, gone = changed_batch.batch, changed_batch.gone
    login("county")
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<td class="num left">1</td>' in html  # persons
    assert '<td class="num left muted">—</td>' in html  # households: none
    assert f'<tr id="village-{mingxi_village}">' in html
    village_row = html.split(f'<tr id="village-{mingxi_village}">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num persons-left">1</td>' in village_row
    other_row = html.split(f'<tr id="village-{changed_batch.other_village}">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num persons-left">0</td>' in other_row
    assert 'id="persons-left"' in html
    assert "本文件各户中有1名在册成员未列入文件，入库时将被标记为离开" in html
    assert f'href="/imports/{batch.pk}/changes/?change=member_left"' in html

    assert 'id="changes"' in html and "变更明细" in html and 'id="changes-by-field"' in html
    left = html.split('<tr id="change-member_left-relation">', 1)[1].split("</tr>", 1)[0]
    assert "成员减少（文件中该户无此人）" in left and "与户主关系" in left
    assert '<td class="num rows">1</td>' in left and '<td class="num households">1</td>' in left
    assert f'href="/imports/{batch.pk}/changes/?change=member_left&amp;field=relation"' in left
    education = html.split('<tr id="change-member_changed-education">', 1)[1].split("</tr>", 1)[0]
    assert "成员信息变更" in education and "文化程度" in education
    assert f'href="/imports/{batch.pk}/changes/"' in html and 'id="changes-link"' in html
    assert f'href="/imports/{batch.pk}/changes.xlsx"' in html
    assert 'id="no-changes"' not in html and 'id="changes-unavailable"' not in html
    assert gone["证件号码"] not in html  # the page counts; the list shows who

    listing = client.get("/imports/").content.decode()
    assert listing.split(f'id="batch-{batch.pk}"', 1)[1].split("</tr>", 1)[0].count('<td class="num persons-left">1</td>') == 1
    # 核对减员: the merge form asks for the number to be confirmed, and refuses without it.
    assert 'name="persons_left_confirmed" value="1" required' in html
    refused = client.post(f"/imports/{batch.pk}/merge/", follow=True).content.decode()
    assert "入库将注销 1 名成员" in refused
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW
    assert client.post(f"/imports/{batch.pk}/merge/", {"persons_left_confirmed": "2"}).status_code == 302
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW  # another number: not merged
    assert client.post(f"/imports/{batch.pk}/merge/", {"persons_left_confirmed": "1"}).status_code == 302
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.MERGED
    merged = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="persons-left"' not in merged  # done: no warning, the list stays
    assert 'id="changes-by-field"' in merged and '<td class="num left">1</td>' in merged


def test_the_review_page_says_how_many_of_the_persons_leaving_split_off(client, login, make_user, mingxi_village):
    """分户: a registered son listed as the head of a new household of the file leaves his household, not
    the registry; the page says so beside the persons leaving, and the list of changes says where to."""
    from fupin.imports import services

    officer = make_user("county", MINGXI)
    rows = household_rows(mingxi_village, f"{mingxi_village}70001", members=3)

    def land(rows: list[dict[str, str]]) -> ImportBatch:
        batch = services.land_file(actor=officer, file_name="花名册.csv", content=roster_csv(rows), region_code=MINGXI,
                                   source="test")
        return services.validate_batch(batch.pk, actor=officer)

    services.merge_batch(actor=officer, batch_id=land(rows).pk)
    son = dict(rows[2], 户编号=f"{mingxi_village}70003", 与户主关系="01")
    batch = land([*rows[:2], son])
    assert (batch.status, batch.persons_left, batch.persons_moved, batch.households_new) == (
        BatchStatus.REVIEW, 1, 1, 1), batch.error
    login("county")
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="persons-moved"' in html and "其中1人在文件的另一户中（分户或迁至他户）" in html
    listed = client.get(f"/imports/{batch.pk}/changes/", {"change": "member_left"}).content.decode()
    assert f"分户至户 {mingxi_village}70003" in listed
    # merged: each household page links the son's other record (现在户 / 曾在户)
    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=1)
    old, new = (Household.objects.get(household_number=f"{mingxi_village}7000{n}") for n in (1, 3))
    gone = old.members.get(status="left")
    came = new.members.get(status="active")
    assert gone.id_number == came.id_number
    day = gone.left_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d")
    assert _elsewhere(client, old, gone) == f"现在户 {new.household_number} ({came.name})"
    assert _elsewhere(client, new, came) == f"曾在户 {old.household_number} ({old.head_name}) · 分户 {day}"
    assert f'<a href="/households/{new.pk}/">{new.household_number}</a>' in client.get(f"/households/{old.pk}/").content.decode()


def _elsewhere(client, household, member) -> str:
    """The text of a member's 曾在户 / 现在户 line on the household page."""
    html = client.get(f"/households/{household.pk}/").content.decode()
    found = re.search(rf'<div class="elsewhere" id="elsewhere-{member.pk}">(.*?)</div>', html, re.S)
    assert found, f"no elsewhere line for member {member.pk}"
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_a_batch_of_new_households_has_no_changes_and_an_old_batch_no_list(client, login, batch_of, mingxi_village):
    from fupin.imports import services

    batch = batch_of(MINGXI, mingxi_village)
    login("county")
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="no-changes"' in html and "在册户和成员均无变更。" in html
    assert 'id="persons-left"' not in html and 'id="changes-by-field"' not in html
    services.changes_path(batch).unlink()  # as a batch checked before the list was kept
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="changes-unavailable"' in html and 'id="no-changes"' not in html
    page = client.get(f"/imports/{batch.pk}/changes/")
    assert page.status_code == 200 and 'id="changes-unavailable"' in page.content.decode()
    assert client.get(f"/imports/{batch.pk}/changes.xlsx").status_code == 404


def test_the_changes_page_lists_filters_and_pages_the_changes(client, login, changed_batch, monkeypatch):
    batch, gone, changed = changed_batch.batch, changed_batch.gone, changed_batch.changed
    total = sum(s["rows"] for s in batch.changes_by_field)
    login("county")
    response = client.get(f"/imports/{batch.pk}/changes/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="change-table"' in html and f'href="/imports/{batch.pk}/"' in html
    assert f"共{total}条变更" in html
    rows = change_rows(html)
    assert len(rows) == total
    left = [r for r in rows if r.startswith("member_left")]
    assert len(left) == 1
    assert gone["姓名"] in left[0] and f'<td class="id-number">{gone["证件号码"]}</td>' in left[0]  # in full
    assert "成员减少（文件中该户无此人）" in left[0]
    assert 'id="numbers-masked"' not in html
    # the filter form: villages of the batch, the kinds, the fields of the batch
    assert f'<option value="{changed_batch.other_village}">' in html
    assert '<option value="member_left">' in html and '<option value="education">文化程度</option>' in html

    only_left = client.get(f"/imports/{batch.pk}/changes/", {"change": "member_left"}).content.decode()
    assert [r.split('"', 1)[0] for r in change_rows(only_left)] == ["member_left"]
    assert '<option value="member_left" selected>' in only_left
    education = change_rows(client.get(f"/imports/{batch.pk}/changes/", {"field": "education"}).content.decode())
    assert len(education) == 1 and changed["姓名"] in education[0]
    assert '<td class="old wrap">初中</td>' in education[0] and "高中" in education[0]
    other = change_rows(client.get(f"/imports/{batch.pk}/changes/",
                                   {"village": changed_batch.other_village}).content.decode())
    assert other and all(f"<td>{changed_batch.other_village}</td>" in r for r in other)
    assert len(other) < total
    none = client.get(f"/imports/{batch.pk}/changes/", {"change": "member_new"}).content.decode()
    assert 'id="no-matching-changes"' in none and 'id="change-table"' not in none
    # values that cannot be a filter are ignored, never an error
    for query in ({"change": "nonsense"}, {"village": "abc"}, {"village": "３５０４２１"}, {"field": "x;drop"},
                  {"page": "zz"}):
        response = client.get(f"/imports/{batch.pk}/changes/", query)
        assert response.status_code == 200, query
        assert len(change_rows(response.content.decode())) == total, query

    monkeypatch.setattr("fupin.imports.views.CHANGES_PAGE_SIZE", 2)
    first = client.get(f"/imports/{batch.pk}/changes/").content.decode()
    assert len(change_rows(first)) == 2 and 'class="pager"' in first
    pages = -(-total // 2)
    last = client.get(f"/imports/{batch.pk}/changes/", {"page": pages}).content.decode()
    assert len(change_rows(last)) == total - 2 * (pages - 1)
    assert f"第{pages}页,共{pages}页" in last and "下一页" not in last and "上一页" in last
    seen = [r for n in range(1, pages + 1)
            for r in change_rows(client.get(f"/imports/{batch.pk}/changes/", {"page": n}).content.decode())]
    assert seen == change_rows(html)  # every change once, in the list's order


def test_the_changes_are_masked_for_a_viewer_who_may_not_see_full_numbers(client, login, changed_batch):
    batch, gone = changed_batch.batch, changed_batch.gone
    login("city", CITY)
    html = client.get(f"/imports/{batch.pk}/changes/", {"change": "member_left"}).content.decode()
    assert 'id="numbers-masked"' in html
    assert gone["证件号码"] not in html
    assert f'<td class="id-number">{mask_id_number(gone["证件号码"])}</td>' in html
    sheet = fastexcel.read_excel(client.get(f"/imports/{batch.pk}/changes.xlsx").content).load_sheet(
        0, dtypes="string").to_polars()
    assert gone["证件号码"] not in sheet["证件号码 ID number"].to_list()
    assert mask_id_number(gone["证件号码"]) in sheet["证件号码 ID number"].to_list()


def test_another_county_finds_no_list_of_changes(client, login, changed_batch):
    from fupin.imports.models import ExportRecord

    batch = changed_batch.batch
    login("county", NINGHUA)
    assert client.get(f"/imports/{batch.pk}/changes/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/changes.xlsx").status_code == 404
    assert client.get("/imports/999999/changes/").status_code == 404
    assert not ExportRecord.objects.filter(kind="changes").exists()
    client.logout()
    for url in (f"/imports/{batch.pk}/changes/", f"/imports/{batch.pk}/changes.xlsx"):
        assert client.get(url)["Location"].startswith("/login/?next=")


def test_the_list_of_changes_downloads_as_xlsx_and_is_recorded(client, login, changed_batch):
    from fupin.imports.models import ExportRecord

    batch, gone = changed_batch.batch, changed_batch.gone
    total = sum(s["rows"] for s in batch.changes_by_field)
    user = login("county")
    response = client.get(f"/imports/{batch.pk}/changes.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"变更明细-{batch.pk}.xlsx" in unquote(response["Content-Disposition"])
    sheet = fastexcel.read_excel(response.content).load_sheet(0, dtypes="string").to_polars()
    assert sheet.height == total
    assert gone["证件号码"] in sheet["证件号码 ID number"].to_list()
    record = ExportRecord.objects.get(kind="changes")
    assert (record.actor_id, record.region_code, record.rows, record.format, record.channel, record.full_numbers) == (
        user.pk, MINGXI, total, "xlsx", "web", True)
    assert record.file_name == f"变更明细-{batch.pk}.xlsx" and record.file_size == len(response.content)
    assert record.kind_label == "变更明细"

    filtered = client.get(f"/imports/{batch.pk}/changes.xlsx", {"change": "member_left"})
    sheet = fastexcel.read_excel(filtered.content).load_sheet(0, dtypes="string").to_polars()
    assert sheet["户编号 household"].to_list() == [gone["户编号"]]
    assert ExportRecord.objects.filter(kind="changes").order_by("-pk").first().rows == 1
    page = client.get(f"/imports/{batch.pk}/changes/", {"change": "member_left"}).content.decode()
    assert f'href="/imports/{batch.pk}/changes.xlsx?change=member_left"' in page


# ------------------------------------------------------------------ template and export


def test_blank_template(client, login):
    login("evaluator")
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert fastexcel.read_excel(response.content).load_sheet(0).to_polars().columns == roster.HEADERS
    # an evaluator imports nowhere: the template has no place lists
    assert fastexcel.read_excel(response.content).sheet_names == ["花名册", "填写说明", "代码表"]


def test_the_template_offers_the_places_the_user_may_import_into(client, login):
    """A township officer's template: 乡镇 and 行政村 drop-downs of the township, and 村名单 with the codes."""
    from fupin.core.tests.xlsx_help import workbook_help
    from fupin.regions.models import Region
    from fupin.testing import MINGXI_TOWNSHIP

    login("township", MINGXI_TOWNSHIP)
    content = client.get("/imports/template.xlsx").content
    shown = workbook_help(content)
    assert shown.sheet_names == ["花名册", "填写说明", "村名单", "代码表"] and shown.hidden_sheets == ["代码表"]
    villages = list(Region.objects.filter(level=5, code__startswith=MINGXI_TOWNSHIP[:9]).order_by("code")
                    .values_list("name", "code"))
    assert shown.by_header["乡镇"].values == ("雪峰镇",)
    assert shown.by_header["行政村"].values == tuple(dict.fromkeys(n for n, _ in villages))
    assert shown.by_header["行政村"].kind == "list" and shown.by_header["行政村"].error_style == "warning"
    listed = fastexcel.read_excel(content).load_sheet("村名单", dtypes="string").to_polars()
    assert listed.columns == ["县", "乡镇", "行政村", "行政区划代码"]
    assert list(zip(listed["行政村"], listed["行政区划代码"], strict=True)) == villages
    assert set(listed["县"]) == {"明溪县"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_in_scope(client, login, make_household, mingxi_village, ninghua_village, fmt):
    make_household(mingxi_village, members=2)
    make_household(ninghua_village, members=2)
    login("county")
    response = client.get("/imports/export/", {"region": MINGXI, "format": fmt})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming  # from a temporary file, not held in memory
    length = int(response["Content-Length"])
    assert length > 0 and len(response.getvalue()) == length
    assert client.get("/imports/export/", {"region": NINGHUA, "format": fmt}).status_code == 404
    assert client.get("/imports/export/", {"region": "nonsense", "format": fmt}).status_code == 404
    assert client.get("/imports/export/", {"region": MINGXI, "format": "pdf"}).status_code == 400


def test_an_xlsx_export_larger_than_a_sheet_is_refused_with_advice(client, login, make_household, mingxi_village,
                                                                    monkeypatch):
    from fupin.core import xlsx_sheet

    make_household(mingxi_village, members=3)
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)  # header + 2 rows: the 3 persons do not fit
    login("county")
    response = client.get("/imports/export/", {"region": MINGXI, "format": "xlsx"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/imports/")
    assert "请改用 CSV" in response.content.decode()
    assert client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).status_code == 200
    households = client.get("/imports/export/", {"region": MINGXI, "format": "xlsx", "kind": "households"})
    assert households.status_code == 200  # one household row fits


def test_export_of_the_household_roster(client, login, make_household, mingxi_village, ninghua_village):
    household = make_household(mingxi_village, members=3)
    make_household(ninghua_village, members=2)
    login("county")
    page = client.get("/imports/").content.decode()
    assert 'name="kind"' in page and "按户（每户一行）" in page
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "kind": "households"})
    assert response.status_code == 200
    assert f"户花名册-{MINGXI}.csv" in unquote(response["Content-Disposition"])
    frame = pl.read_csv(io.BytesIO(response.getvalue()[3:]), infer_schema=False)
    assert frame.get_column("户编号").to_list() == [household.household_number]
    assert frame.get_column("家庭人口").to_list() == ["3"]
    persons = client.get("/imports/export/", {"region": MINGXI, "format": "csv"})
    assert f"花名册-{MINGXI}.csv" in unquote(persons["Content-Disposition"])
    assert client.get("/imports/export/", {"region": MINGXI, "kind": "villages"}).status_code == 400


def test_a_filtered_or_split_export_from_the_page(client, login, make_household, mingxi_village):
    """导出筛选 and 分村导出 from the export form: only the households named, recorded with the filter; a
    ZIP of one file per village; a value that cannot be valid goes back to the list with the reason,
    and nothing is recorded."""
    import zipfile

    from fupin.imports.models import ExportRecord

    make_household(mingxi_village, members=2)
    back = make_household(mingxi_village, members=3, poverty_status="3", identification_year=2015)
    login("county")
    page = client.get("/imports/").content.decode()
    for name in ('name="poverty_status" value="3"', 'name="identification_year"', 'name="exit_year"',
                 'name="planned_exit_year"', 'name="cause"', 'name="category"', 'name="shortfall" value="water"',
                 "住房安全有保障", "两不愁三保障未达标项", 'name="dilapidated" value="D"', "D级危房",
                 'name="split"', "3 返贫", "每个行政村一个文件"):
        assert name in page
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "poverty_status": ["3", "2"],
                                               "identification_year": "2015"})
    assert response.status_code == 200
    assert f"花名册-{MINGXI}-状态2+3-识别2015.csv" in unquote(response["Content-Disposition"])
    frame = pl.read_csv(io.BytesIO(response.getvalue()[3:]), infer_schema=False)
    assert (frame.height, frame["户编号"].unique().to_list()) == (3, [back.household_number])
    record = ExportRecord.objects.get()
    assert record.filters == {"poverty_status": ["2", "3"], "identification_year": [2015, 2015]}
    records = client.get("/imports/exports/").content.decode()
    assert "脱贫状态:预脱贫、返贫;识别年度:2015" in records
    unsafe = make_household(mingxi_village, members=1, housing_secure=False)
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "shortfall": ["housing", "water"]})
    assert f"花名册-{MINGXI}-未达标住房安全+饮水.csv" in unquote(response["Content-Disposition"])
    frame = pl.read_csv(io.BytesIO(response.getvalue()[3:]), infer_schema=False)
    assert frame["户编号"].unique().to_list() == [unsafe.household_number]
    assert ExportRecord.objects.latest("pk").filters == {"shortfall": ["housing", "water"]}
    assert "两不愁三保障未达标:住房安全有保障、饮水安全" in client.get("/imports/exports/").content.decode()

    archive = client.get("/imports/export/", {"region": MINGXI, "format": "xlsx", "split": "village"})
    assert archive["Content-Type"] == "application/zip"
    assert f"花名册-{MINGXI}-按行政村-xlsx.zip" in unquote(archive["Content-Disposition"])
    with zipfile.ZipFile(io.BytesIO(archive.getvalue())) as files:
        assert [n.split("-")[1] for n in files.namelist()] == [mingxi_village]
    assert ExportRecord.objects.latest("pk").format == "xlsx.zip"

    for bad, words in ((({"identification_year": "2016-2014"}), "起始年份晚于结束年份"),
                       (({"poverty_status": "9"}), "不是有效的脱贫状态: 9"),
                       (({"shortfall": "income"}), "不是两不愁三保障的一项: income")):
        refused = client.get("/imports/export/", {"region": MINGXI, "format": "csv", **bad}, follow=True)
        assert refused.redirect_chain[-1][0].endswith("/imports/")
        assert words in refused.content.decode()
        assert "/ not" not in refused.content.decode()  # the flash message in the page's language only
    assert ExportRecord.objects.count() == 3
    assert client.get("/imports/export/", {"region": MINGXI, "split": "county"}).status_code == 400


def test_a_person_filtered_export_from_the_page(client, login, make_household, mingxi_village):
    """人员筛选 on the export form, folded under its own heading: only the members named, recorded and
    described; a bad age goes back to the list with the reason."""
    from fupin.imports.models import ExportRecord

    worker = make_household(mingxi_village, members=2, member_overrides=[{"migrant_work": "4"}, {}])
    login("county")
    page = client.get("/imports/").content.decode()
    folded = page.split('id="person-filters"', 1)[1].split("</details>", 1)[0]
    for name in ('name="sex" value="2"', '<option value="少数民族">', 'name="education" value="2"', 'name="schooling"',
                 '<option value="在校生">', 'name="health" value="3"',
                 'name="labour_skill" value="劳动力"', 'name="migrant_work" value="未务工"', 'name="age"'):
        assert name in folded
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "migrant_work": ["4", "3"],
                                               "age": "16-60"})
    assert f"花名册-{MINGXI}-务工3+4-年龄16-60.csv" in unquote(response["Content-Disposition"])
    frame = pl.read_csv(io.BytesIO(response.getvalue()[3:]), infer_schema=False)
    head = worker.members.get(relation="01")
    assert frame["证件号码"].to_list() == [head.id_number]
    assert ExportRecord.objects.get().filters["migrant_work"] == ["3", "4"]
    assert "务工状况:县外省内务工、省外务工;年龄:16-60周岁" in client.get("/imports/exports/").content.decode()
    refused = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "age": "老人"}, follow=True)
    assert "应为周岁或其范围" in refused.content.decode()
    assert ExportRecord.objects.count() == 1


def test_the_household_list_exports_the_households_it_shows(client, login, make_household, mingxi_village):
    """户查询 → 导出: the list's 脱贫状态, 致贫原因 and 贫困户属性 become the export's filter, so the file holds the
    households the list shows; with a keyword or left households the list offers no export."""
    make_household(mingxi_village, members=2)
    shown = make_household(mingxi_village, members=3, poverty_status="3", other_cause_1="2")
    make_household(mingxi_village, members=1, poverty_status="3")
    login("county")
    html = client.get("/households/", {"poverty_status": "3", "cause": "2", "category": "2016:1"}).content.decode()
    link = html.split('id="export-these"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link == f"/imports/export/?region={MINGXI}&poverty_status=3&cause=2&category=2016%3A1"
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument")
    sheet = fastexcel.read_excel(response.getvalue()).load_sheet(0, dtypes="string").to_polars()
    assert sheet["户编号"].unique().to_list() == [shown.household_number]
    assert 'id="export-these"' not in client.get("/households/", {"q": "张"}).content.decode()
    assert 'id="export-these"' not in client.get("/households/", {"status": "left"}).content.decode()


def test_export_masks_ids_for_a_city_viewer(client, login, make_household, mingxi_village):
    household = make_household(mingxi_village, members=2)
    number = household.members.first().id_number
    login("city", CITY)
    response = client.get("/imports/export/", {"region": MINGXI, "format": "csv"})
    assert response.status_code == 200
    text = response.getvalue().decode("utf-8-sig")
    assert number not in text
    assert mask_id_number(number) in text  # masked, not dropped
    client.logout()
    login("county")
    text = client.get("/imports/export/", {"region": MINGXI, "format": "csv"}).getvalue().decode("utf-8-sig")
    assert number in text


def test_upload_of_a_realistic_xlsx(client, login, upload, mingxi_village, tmp_path):
    """A messy but valid xlsx (title row, two-row header, labels for codes) as a county office sends it."""
    from .roster_files import Village, as_labels, build_roster, write_xlsx

    village = Village(mingxi_village, "明溪县", "雪峰镇", "城东居委会")
    rows = as_labels(build_roster(households=3, villages=[village], sizes=(2, 3, 1), start=7001))
    path = write_xlsx(tmp_path / "明溪县花名册.xlsx", rows, title_rows=["明溪县建档立卡贫困户花名册"],
                      two_row_header=True)
    login("county")
    response = upload(path.read_bytes(), MINGXI, name="明溪县花名册.xlsx")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (6, 6, 0), list(batch.rejections.values_list("row_number", "column", "value", "reason"))
    assert (batch.households_new, batch.persons_new) == (3, 6)
    body = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="no-rejections"' in body
    assert client.post(f"/imports/{batch.pk}/merge/").status_code == 302
    assert Household.objects.filter(household_number__startswith=f"{mingxi_village}700").count() == 3


# ------------------------------------------------------------------ the rejected rows to correct (待改正的行)


def test_the_rejected_rows_download_as_a_roster_to_correct_and_import_again(client, login, batch_of, mingxi_village,
                                                                            upload):
    from fupin.imports.models import ExportRecord

    batch = batch_of(MINGXI, mingxi_village, bad_rows=2)
    bad = "350421196001011234"
    login("county")
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert f'href="/imports/{batch.pk}/rows-to-fix.xlsx"' in page and 'id="rows-to-fix-note"' in page
    response = client.get(f"/imports/{batch.pk}/rows-to-fix.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = fastexcel.read_excel(response.content).load_sheet("花名册", dtypes="string").to_polars()
    assert sheet["原行号"].to_list() == ["6", "7"]  # header row 1, two households of two rows, then the bad rows
    assert sheet["证件号码"].to_list() == [bad, bad]
    assert all("证件号码" in r for r in sheet["错误原因"].to_list())
    record = ExportRecord.objects.get(kind="rows_to_fix")
    assert (record.rows, record.channel, record.full_numbers, record.region_code) == (2, "web", True, MINGXI)
    # Corrected in the file (a valid ID number each) and uploaded again: both rows come in.
    fixed = sheet.with_columns(pl.Series("证件号码", [make_id_number("350421", date(1960, 1, 1), 901 + i)
                                                    for i in range(2)]))
    buffer = io.BytesIO()
    fixed.write_csv(buffer)
    upload(buffer.getvalue(), MINGXI, name="已改正.csv")
    again = ImportBatch.objects.latest("pk")
    assert (again.rows_read, again.rows_imported, again.rows_rejected) == (2, 2, 0)

    client.logout()
    login("city", CITY)
    masked = fastexcel.read_excel(client.get(f"/imports/{batch.pk}/rows-to-fix.xlsx").content).load_sheet(
        "花名册", dtypes="string").to_polars()
    assert masked["证件号码"].to_list() == ["3504**********1234"] * 2
    assert "cannot be imported again as it is" in client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode() \
        or "不能原样再次导入" in client.get(f"/imports/{batch.pk}/").content.decode()


def test_rows_to_fix_out_of_scope_or_from_a_changed_file(client, login, batch_of, mingxi_village, ninghua_village):
    from pathlib import Path

    mine, theirs = batch_of(MINGXI, mingxi_village), batch_of(NINGHUA, ninghua_village)
    login("county")
    assert client.get(f"/imports/{theirs.pk}/rows-to-fix.xlsx").status_code == 404
    Path(mine.stored_path).write_bytes(b"changed since it landed")
    response = client.get(f"/imports/{mine.pk}/rows-to-fix.xlsx", follow=True)
    assert response.redirect_chain[-1][0] == f"/imports/{mine.pk}/"
    assert "SHA-256" in response.content.decode()


def test_the_decision_says_when_an_undecided_batch_is_refused_by_the_system(client, login, batch_of, mingxi_village,
                                                                           settings):
    from datetime import timedelta

    from django.utils import timezone

    from fupin.policy import clock

    batch = batch_of(MINGXI, mingxi_village)
    checked = timezone.now() - timedelta(days=10)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=checked, validated_at=checked, heartbeat_at=checked)
    settings.FUPIN_IMPORT_UNDECIDED_DAYS = 30
    login("county")
    body = client.get(f"/imports/{batch.pk}/").content.decode()
    day = (checked + timedelta(days=30)).astimezone(clock.ZONE).strftime("%Y-%m-%d")  # as the page shows it
    assert f"超过 30 天未处理的批次由系统自动拒绝：本批次自 {day} 起。" in body


def test_a_batchs_status_and_mode_are_shown_in_the_pages_language(client, batch_at_review):
    """The choice labels are "中文 English" (admin, command line); a page shows one language — the list's
    status filter too. Before, a Chinese page said "待确认 awaiting review"."""
    officer, batch = batch_at_review
    client.force_login(officer)
    zh = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="batch-status">待确认</dd>' in zh and re.search(r'id="batch-mode">整户导入\s*<', zh)
    listing = client.get("/imports/").content.decode()
    assert '<option value="review">待确认</option>' in listing and "awaiting review" not in listing
    client.cookies["django_language"] = "en"
    en = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="batch-status">awaiting review</dd>' in en and re.search(r'id="batch-mode">whole households\s*<', en)
    assert '<option value="review">awaiting review</option>' in client.get("/imports/").content.decode()
    # the roster's columns: the file's header on a Chinese page, the English label with it on an English one
    assert "Relation to head (与户主关系)" in en and "Relation to head (与户主关系)" not in zh
    changes = client.get(f"/imports/{batch.pk}/changes/").content.decode()
    assert "(与户主关系)</td>" in changes
    assert '<option value="relation">Relation to head (与户主关系)</option>' in changes  # the field filter too


def test_the_export_forms_choices_are_in_the_pages_language(client, make_user):
    """导出筛选 and 人员筛选 named their codes in Chinese on an English page too. The values sent stay the
    same whatever the language (codes, and the groups' first words, which the filter reads)."""
    client.force_login(make_user("county", MINGXI))
    zh = client.get("/imports/").content.decode()
    for label in ("1 已脱贫(享受政策)", "不愁吃", "C级危房", "1 因病", "在校生 (全部)", "劳动力 (普通劳动力、技能劳动力)"):
        assert label in zh, label
    client.cookies["django_language"] = "en"
    en = client.get("/imports/").content.decode()
    for label in ("1 Exited (still receiving support)", "enough food", "Grade C (partly unsafe)", "1 Illness",
                  "Students (all)",
                  "Labour (Ordinary labour, Skilled labour)"):
        assert label in en, label
    for chinese in ("不愁吃", "C级危房", "在校生 (全部)", "已脱贫(享受政策)"):
        assert chinese not in en, chinese
    assert 'value="在校生"' in en and 'value="food"' in en  # the values the filter reads
