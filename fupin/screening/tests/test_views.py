"""The screening pages: upload, lists, runs, the queue and decisions — scoped, IDs masked by role."""

from __future__ import annotations

import io

import fastexcel
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.policy.idnumber import mask_id_number
from fupin.screening import services
from fupin.screening.models import DepartmentList, ScreeningHit, ScreeningRun
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA, TEST_PASSWORD

from .conftest import TOWNSHIP_T2, VILLAGE_T1
from .list_files import person_id


def _login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _gbk_list(*ids: str) -> bytes:
    lines = ["明溪县不动产登记信息", "权利人,权利人证件号码,房屋坐落,建筑面积"]
    lines += [f"某人,{i},城关镇某小区,89.5" for i in ids]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


PAGES = ("screening:queue", "screening:lists", "screening:runs")


def test_anonymous_is_sent_to_sign_in_and_cadres_get_404(client, make_user):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]
    _login(client, make_user("village", VILLAGE_T1))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404


def test_upload_a_list_and_see_its_counts_and_rejections(client, county_officer):
    _login(client, county_officer)
    page = client.get(reverse("screening:lists"))
    assert page.status_code == 200 and "upload-form" in page.text and "房屋坐落" in page.text
    assert "每乡镇一个工作表的工作簿各表一并读取;隐藏的工作表不读取。" in page.text  # the form says how sheets are read
    good, bad = person_id(501), person_id(502)[:17] + "Y"
    response = client.post(reverse("screening:lists"), {
        "kind": "real_estate", "region_code": MINGXI, "as_of": "2024-06-30", "source_department": "",
        "file": SimpleUploadedFile("不动产.csv", _gbk_list(good, bad), "text/csv")})
    dept_list = DepartmentList.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:list", args=[dept_list.pk])
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert (dept_list.rows_read, dept_list.rows_accepted, dept_list.rows_rejected) == (2, 1, 1)
    assert 'id="rows-read">2<' in detail.text and 'id="rows-rejected">1<' in detail.text
    assert bad in detail.text and "证件号码含非法字符" in detail.text
    xlsx = client.get(reverse("screening:list_rejections", args=[dept_list.pk]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = fastexcel.read_excel(io.BytesIO(xlsx.content).getvalue()).load_sheet(0).to_polars()
    assert sheet.row(0)[:3] == (4, "权利人证件号码", bad) and "非法字符" in sheet.row(0)[3]
    again = client.post(reverse("screening:lists"), {
        "kind": "real_estate", "region_code": MINGXI, "as_of": "2024-06-30",
        "file": SimpleUploadedFile("again.csv", _gbk_list(good, bad), "text/csv")})
    assert again.status_code == 422 and f"第{dept_list.pk}号名单" in again.text
    assert DepartmentList.objects.count() == 1


def test_the_page_takes_a_tab_delimited_list_and_refuses_other_files(client, county_officer):
    """Excel's and WPS's 文本文件(制表符分隔) (.txt, GBK) through the page, as the reader takes it; a .pdf is refused."""
    _login(client, county_officer)
    assert 'accept=".xlsx,.xls,.ods,.csv,.txt,.tsv"' in client.get(reverse("screening:lists")).text
    text = _gbk_list(person_id(511)).decode("gbk").replace(",", "\t").encode("gbk")
    response = client.post(reverse("screening:lists"), {
        "kind": "real_estate", "region_code": MINGXI, "as_of": "2024-06-30",
        "file": SimpleUploadedFile("不动产.txt", text, "text/plain")})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert (DepartmentList.objects.get().rows_read, DepartmentList.objects.get().rows_accepted) == (1, 1)
    refused = client.post(reverse("screening:lists"), {
        "kind": "real_estate", "region_code": MINGXI, "as_of": "2024-06-30",
        "file": SimpleUploadedFile("不动产.pdf", b"%PDF", "application/pdf")})
    assert refused.status_code == 422 and "只能导入 .xlsx、.xls、.ods、.csv 和制表符分隔的 .txt 文件。" in refused.text


def test_township_sees_the_county_list_but_not_its_rows_and_cannot_upload(client, planted, make_user):
    _login(client, make_user("township", MINGXI_TOWNSHIP))
    page = client.get(reverse("screening:lists"))
    assert page.status_code == 200 and "upload-form" not in page.text
    dept_list = planted.lists["vehicle"]
    assert f'id="list-{dept_list.pk}"' in page.text
    detail = client.get(reverse("screening:list", args=[dept_list.pk]))
    assert detail.status_code == 200 and "rows-elsewhere" in detail.text
    assert client.get(reverse("screening:list_rejections", args=[dept_list.pk])).status_code == 404
    assert client.post(reverse("screening:lists"), {"kind": "vehicle"}).status_code == 404
    _login(client, make_user("county", NINGHUA))
    assert client.get(reverse("screening:list", args=[dept_list.pk])).status_code == 404


def test_run_then_work_the_queue(client, planted, county_officer, make_user):
    township = make_user("township", MINGXI_TOWNSHIP)
    _login(client, township)
    page = client.get(reverse("screening:runs"))
    assert page.status_code == 200 and "run-form" in page.text
    # the lists are checkboxes: a fieldset named by its legend, not <label for=""> (web/includes/field.html)
    assert 'for=""' not in page.text and "<legend>部门名单</legend>" in page.text
    response = client.post(reverse("screening:runs"), {"region_code": MINGXI_TOWNSHIP})
    run = ScreeningRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:run", args=[run.pk])
    assert (run.region_code, run.hits_new) == (MINGXI_TOWNSHIP, 4)
    assert 'id="hits-new"' in client.get(response["Location"]).text
    queue = client.get(reverse("screening:queue"))
    assert queue.status_code == 200
    m1 = planted.members(planted.h1)
    assert m1[0].id_number in queue.text  # township officers see full IDs
    assert queue.text.count('class="decide-form"') == 4
    hit = ScreeningHit.objects.filter(member=m1[1]).get()
    back = reverse("screening:queue") + "?kind=payroll"
    refused = client.post(reverse("screening:decide", args=[hit.pk]), {"decision": "dismiss", "comment": "",
                                                                       "next": back}, follow=True)
    assert refused.redirect_chain[-1][0] == back and "排除疑点须填写核实意见" in refused.text
    assert "needs a comment" not in refused.text  # the message in the page's language
    hit.refresh_from_db()
    assert hit.status == "open"
    done = client.post(reverse("screening:decide", args=[hit.pk]), {"decision": "dismiss", "comment": "已离职",
                                                                    "next": "https://evil.example/"})
    assert done.status_code == 302 and done["Location"] == reverse("screening:hit", args=[hit.pk])
    hit.refresh_from_db()
    assert (hit.status, hit.comment, hit.decided_by) == ("dismissed", "已离职", township)
    detail = client.get(reverse("screening:hit", args=[hit.pk]))
    assert detail.status_code == 200 and "decide-form" not in detail.text and "已离职" in detail.text
    # open by default; every status on request
    assert f'id="hit-{hit.pk}"' not in client.get(reverse("screening:queue")).text
    assert f'id="hit-{hit.pk}"' in client.get(reverse("screening:queue"), {"status": ""}).text


def test_queue_scope_masking_and_404s(client, planted, county_officer, make_user):
    services.run_screening(actor=county_officer, region_code=MINGXI)
    in_t2 = ScreeningHit.objects.filter(township_code=TOWNSHIP_T2).first()
    _login(client, make_user("city", "350400000000"))
    queue = client.get(reverse("screening:queue"))
    number = planted.members(planted.h1)[0].id_number
    assert number not in queue.text and mask_id_number(number) in queue.text
    assert 'class="decide-form"' not in queue.text
    assert client.post(reverse("screening:decide", args=[in_t2.pk]), {"decision": "confirm"}).status_code == 404
    _login(client, make_user("township", MINGXI_TOWNSHIP))
    assert client.get(reverse("screening:hit", args=[in_t2.pk])).status_code == 404
    assert client.post(reverse("screening:decide", args=[in_t2.pk]), {"decision": "confirm"}).status_code == 404
    _login(client, make_user("county", NINGHUA))
    assert client.get(reverse("screening:queue")).status_code == 200
    assert client.get(reverse("screening:hit", args=[in_t2.pk])).status_code == 404
    assert client.get(reverse("screening:run", args=[ScreeningRun.objects.get().pk])).status_code == 404
    in_t2.refresh_from_db()
    assert in_t2.status == "open"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_pages_render_in_both_languages(client, planted, county_officer, lang):
    run = services.run_screening(actor=county_officer, region_code=MINGXI)
    hit = ScreeningHit.objects.first()
    _login(client, county_officer)
    client.cookies["django_language"] = lang
    words = {"zh-hans": "疑点队列", "en": "Exception queue"}[lang]
    for url in (reverse("screening:queue"), reverse("screening:lists"), reverse("screening:runs"),
                reverse("screening:run", args=[run.pk]), reverse("screening:hit", args=[hit.pk]),
                reverse("screening:list", args=[planted.lists["vehicle"].pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert words in response.text, url
