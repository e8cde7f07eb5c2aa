"""The monitoring pages: anonymous, without the capability, in scope and out of scope (404); the list with
reasons, an object's procedure through its forms (the 5-day notice refused on the page), a household's
record and its flag form, a new edge household, the runs, department data, the policy page."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from fupin.monitoring import runs, services
from fupin.monitoring.models import MonitoringDataList, MonitoringObject
from fupin.testing import TEST_PASSWORD, next_id_number

from .conftest import MEETING, ON, SURVEY, day

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def flagged(people, household):
    h = household()
    return services.flag_household(actor=people["village"], household_id=h.pk, causes=["income_below_line"],
                                   note="走访发现", on=ON)


def test_anonymous_is_sent_to_sign_in(client, flagged):
    for name, args in (("monitoring:list", []), ("monitoring:object", [flagged.pk]), ("monitoring:runs", []),
                       ("monitoring:data", []), ("monitoring:policy", [])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "login" in response["Location"]


def test_list_shows_reasons_and_is_scoped(client, people, flagged, household, ninghua_village, make_user):
    outside = household(village_code=ninghua_village)
    theirs = services.flag_household(actor=make_user("village", ninghua_village), household_id=outside.pk,
                                     causes=["income_below_line"], on=ON)
    page = login(client, people["county"]).get(reverse("monitoring:list")).content.decode()
    assert f'id="object-{flagged.pk}"' in page and f'id="object-{theirs.pk}"' not in page
    assert "人均纯收入低于监测范围" in page and "脱贫不稳定户" in page and "10560" in page
    assert client.get(reverse("monitoring:object", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("monitoring:household", args=[outside.pk])).status_code == 404


def test_helpers_without_the_capability_get_404(client, make_user, village, flagged):
    helper = make_user("helper", village)
    login(client, helper)
    assert client.get(reverse("monitoring:list")).status_code == 404
    assert client.get(reverse("monitoring:object", args=[flagged.pk])).status_code == 404


def test_the_procedure_on_the_page(client, people, flagged):
    url = reverse("monitoring:object", args=[flagged.pk])
    login(client, people["village"])
    page = client.get(url).content.decode()
    assert 'id="start-form"' in page and 'id="dismiss-form"' in page and 'id="eliminate-form"' not in page
    start = {f"start-evidence_{k}": v for k, v in SURVEY.items()} | {"start-on": day(0).isoformat(), "start-version": 1}
    response = client.post(reverse("monitoring:act", args=[flagged.pk, "start"]), start)
    assert response.status_code == 302, response.content.decode()[:2000]
    review = {f"evidence_{k}": v for k, v in MEETING.items()} | {"on": day(1).isoformat()}
    assert client.post(reverse("monitoring:act", args=[flagged.pk, "complete"]), review).status_code == 302
    too_soon = client.post(reverse("monitoring:act", args=[flagged.pk, "complete"]), {"on": day(5).isoformat()})
    assert too_soon.status_code == 422 and "公示期未满5天" in too_soon.content.decode()
    assert client.post(reverse("monitoring:act", args=[flagged.pk, "complete"]),
                       {"on": day(6).isoformat()}).status_code == 302
    flagged.refresh_from_db()
    assert flagged.step == "township_review"
    page = client.get(url).content.decode()
    assert 'id="not-yours"' in page  # the township's step


def test_city_viewers_read_but_cannot_act(client, people, flagged):
    login(client, people["city"])
    page = client.get(reverse("monitoring:object", args=[flagged.pk])).content.decode()
    assert 'id="start-form"' not in page
    response = client.post(reverse("monitoring:act", args=[flagged.pk, "dismiss"]),
                           {"dismiss-reason": "x", "dismiss-on": ON.isoformat()})
    assert response.status_code == 404


def test_household_record_and_flag_form(client, people, household):
    h = household()
    url = reverse("monitoring:household", args=[h.pk])
    login(client, people["village"])
    page = client.get(url).content.decode()
    assert 'id="flag-form"' in page and "10560" in page
    assert client.post(url, {"note": "", "channel": "cadre", "on": ON.isoformat()}).status_code == 422
    response = client.post(url, {"causes": ["large_medical_spending"], "note": "住院", "channel": "self_report",
                                 "on": ON.isoformat()})
    obj = MonitoringObject.objects.get(household=h)
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:object", args=[obj.pk])
    assert (obj.channel, obj.cause_ids) == ("self_report", ["large_medical_spending"])
    assert 'id="flag-form"' not in client.get(url).content.decode()  # one open object at a time


def test_new_edge_household_page(client, people, village):
    login(client, people["village"])
    assert client.get(reverse("monitoring:new")).status_code == 200
    form = {
        "village": village, "identification_standard": "1", "category": "2016:1", "main_cause": "1",
        "poverty_status": "0", "identification_year": "2024", "income_wage": "900",
        "flag-causes": ["income_below_line"], "flag-note": "低收入", "flag-channel": "cadre", "flag-on": ON.isoformat(),
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "20", "members-0-name": "户主甲", "members-0-id_number": next_id_number(),
        "members-0-relation": "01", "members-0-ethnicity": "01", "members-0-schooling": "1",
        "members-0-health": "1", "members-0-labour_skill": "1", "members-0-migrant_months": "0",
        "members-0-has_medical_insurance": "on",
    }
    response = client.post(reverse("monitoring:new"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    obj = MonitoringObject.objects.get()
    assert (obj.type, obj.household.status) == ("edge", "monitored")
    login(client, people["city"])
    assert client.get(reverse("monitoring:new")).status_code == 404


def test_runs_page(client, people, household):
    household()
    login(client, people["county"])
    page = client.get(reverse("monitoring:runs")).content.decode()
    assert 'id="flag-run-form"' in page
    response = client.post(reverse("monitoring:runs"), {"kind": "flag", "flag-region_code": "350421000000",
                                                        "flag-on": ON.isoformat()})
    assert response.status_code == 302
    run_page = client.get(response["Location"]).content.decode()
    assert "人均纯收入低于监测范围" in run_page
    assert '<tr id="count-new"><th>新预警户数</th><td>1</td></tr>' in run_page  # counts named, not keys
    assert '<tr id="count-by_type"><th>新预警户(按监测类型)</th><td>脱贫不稳定户: 1</td></tr>' in run_page
    refused = client.post(reverse("monitoring:runs"), {"kind": "flag", "flag-region_code": "350424000000",
                                                       "flag-on": ON.isoformat()})
    assert refused.status_code == 404  # 宁化县 is out of scope
    login(client, people["village"])
    assert 'id="flag-run-form"' not in client.get(reverse("monitoring:runs")).content.decode()
    assert client.post(reverse("monitoring:runs"), {"kind": "flag", "flag-region_code": "350421000000",
                                                    "flag-on": ON.isoformat()}).status_code == 404


def test_elimination_run_page_lists_decisions(client, people, household, to_monitored):
    h = household(rich=True, labour="4")
    to_monitored(services.flag_household(actor=people["village"], household_id=h.pk, causes=["main_earner_died"], on=ON))
    run = runs.run_elimination(actor=people["county"], on=day(30))
    assert run.status == "done" and run.counts["stays_monitored"] == 1
    page = login(client, people["county"]).get(reverse("monitoring:run", args=[run.pk])).content.decode()
    assert "家庭有劳动能力" in page
    assert '<tr id="count-stays_monitored"><th>继续监测</th><td>1</td></tr>' in page


def test_department_data_upload(client, people, household):
    h = household()
    m = h.members.order_by("id").first()
    login(client, people["county"])
    content = f"参保人身份证号码,参保人姓名,个人自付金额(元),结算日期\n{m.id_number},{m.name},30000,2024-03-01\nbad,x,1,\n"
    upload = io.BytesIO(content.encode("utf-8"))
    upload.name = "med.csv"
    response = client.post(reverse("monitoring:data"), {"kind": "medical", "region_code": "350421000000",
                                                        "as_of": ON.isoformat(), "source_department": "县医保局",
                                                        "file": upload})
    assert response.status_code == 302
    data_list = MonitoringDataList.objects.get()
    assert (data_list.rows_read, data_list.rows_accepted, data_list.rows_rejected) == (2, 1, 1)
    page = client.get(response["Location"]).content.decode()
    assert "读取2行 = 接收1行 + 拒收1行" in page
    login(client, people["village"])
    assert client.post(reverse("monitoring:data"), {}).status_code == 404


def test_department_data_in_a_workbook_with_a_sheet_per_township(client, people, household):
    """A 医保 workbook with a sheet per township (and a hidden code table): both township sheets are read,
    the rows accounted for together, the sheets shown and each rejected row named by its sheet. Before, the
    first sheet was read and the other left out without a word; then the workbook was refused."""
    import xlsxwriter

    from fupin.monitoring.models import MonitoringDataRecord

    h = household()
    first, second = list(h.members.order_by("id"))[:2]
    headers = ["参保人身份证号码", "参保人姓名", "个人自付金额(元)", "结算日期"]
    upload = io.BytesIO()
    book = xlsxwriter.Workbook(upload, {"in_memory": True})
    for name, rows in {"城关镇": [["城关镇医保结算"], headers, [first.id_number, first.name, "30000", "2024-03-01"]],
                       "代码": [["身份证号码", "说明"], ["1", "代码表"]],
                       "夏阳乡": [headers, [second.id_number, second.name, "12000", "2024-04-02"],
                                  ["bad", "x", "1", ""]]}.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
        if name == "代码":
            sheet.hide()
    book.close()
    upload.seek(0)
    upload.name = "医保.xlsx"
    login(client, people["county"])
    response = client.post(reverse("monitoring:data"), {"kind": "medical", "region_code": "350421000000",
                                                        "as_of": ON.isoformat(), "source_department": "县医保局",
                                                        "file": upload})
    assert response.status_code == 302
    data_list = MonitoringDataList.objects.get()
    assert data_list.status == "loaded", data_list.error
    assert data_list.source_sheets == ["城关镇", "夏阳乡"]
    assert (data_list.rows_read, data_list.rows_accepted, data_list.rows_rejected) == (3, 2, 1)
    assert list(MonitoringDataRecord.objects.filter(data_list=data_list).order_by("row_number")
                .values_list("row_number", "id_number")) == [(1_000_003, first.id_number), (2_000_002, second.id_number)]
    page = client.get(response["Location"]).content.decode()
    assert 'id="source-sheets"' in page and "<li>夏阳乡</li>" in page
    assert '<td class="num">夏阳乡 第3行</td>' in page


def test_policy_page(client, people):
    page = login(client, people["village"]).get(reverse("monitoring:policy")).content.decode()
    assert "10560" in page and "monitoring-2021.1" in page and "村内公示" in page and 'id="current-line"' in page
