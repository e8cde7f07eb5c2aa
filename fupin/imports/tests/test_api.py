"""The import/export API: POST /api/v1/imports validates in the request; merge/refuse; rejections; export.

401 without a token; 404 out of scope, or for a write without ``registry.edit``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import quote

import fastexcel
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import ApiToken
from fupin.api.imports import ChangeKind
from fupin.api.tests.conftest import PREFIX, Api
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ExportRecord, ImportBatch
from fupin.imports.pipelines.change_list import KINDS
from fupin.policy.idnumber import make_id_number, mask_id_number
from fupin.registry.models import Household
from fupin.testing import MINGXI, NINGHUA, first_village

from .test_views import household_rows, roster_csv, small_roster

CITY = "350400000000"


class ImportApi(Api):
    def upload(self, content: bytes, region_code: str, name: str = "花名册.csv", **fields: str):
        return self.client.post(PREFIX + "/imports", {"file": SimpleUploadedFile(name, content, "text/csv"),
                                                      "region_code": region_code, **fields}, **self._headers())


@pytest.fixture
def anonymous(client) -> ImportApi:
    return ImportApi(client)


@pytest.fixture
def api_as(client, make_user) -> Callable[..., ImportApi]:
    def make(role: str, region_code: str) -> ImportApi:
        user = make_user(role, region_code)
        _token, raw = ApiToken.issue(user, name="test")
        return ImportApi(client, user, raw)

    return make


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def review_batch(api_as, mingxi_village) -> int:
    response = api_as("county", MINGXI).upload(small_roster(mingxi_village), MINGXI)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_anonymous_gets_401(anonymous, mingxi_village):
    assert anonymous.upload(small_roster(mingxi_village), MINGXI).status_code == 401
    for path in ("/imports", "/imports/1", "/imports/1/rejections", "/imports/1/rows-to-fix", "/exports/roster"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
    assert anonymous.post("/imports/1/merge", {}).status_code == 401
    assert anonymous.post("/imports/1/refuse", {"comment": "x"}).status_code == 401
    assert not ImportBatch.objects.exists()


def test_upload_validates_in_the_request(api_as, mingxi_village):
    api = api_as("county", MINGXI)
    response = api.upload(small_roster(mingxi_village), MINGXI)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "review"
    assert (body["rows_read"], body["rows_imported"], body["rows_rejected"]) == (5, 4, 1)
    assert body["households_new"] == 2 and body["persons_new"] == 4
    assert (body["region_code"], body["mode"]) == (MINGXI, "households")
    assert [v["village_code"] for v in body["by_village"]] == [mingxi_village]
    assert ImportBatch.objects.get(pk=body["id"]).source == "api"

    fetched = api.get(f"/imports/{body['id']}")
    assert fetched.status_code == 200 and fetched.json()["status"] == "review"
    listing = api.get("/imports").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == body["id"]
    rejections = api.get(f"/imports/{body['id']}/rejections", {"page": 1}).json()
    assert rejections["count"] >= 1
    first = rejections["items"][0]
    assert first["column"] == "证件号码" and first["row_number"] == 6 and first["reason"]


def test_registered_households_not_in_the_file_are_counted(api_as, make_household, mingxi_village, ninghua_village):
    make_household(mingxi_village, members=2)
    make_household(mingxi_village, members=3)
    make_household(first_village(MINGXI, 1), members=2)  # a village the file does not cover
    body = api_as("county", MINGXI).upload(small_roster(mingxi_village), MINGXI).json()
    assert body["households_absent"] == 2
    assert [(v["village_code"], v["absent"]) for v in body["by_village"]] == [(mingxi_village, 2)]
    listed = api_as("county", MINGXI).get(f"/imports/{body['id']}/absent").json()
    assert listed["count"] == 2 and {i["village_code"] for i in listed["items"]} == {mingxi_village}
    assert api_as("county", NINGHUA).get(f"/imports/{body['id']}/absent").status_code == 404


@pytest.fixture
def re_import(api_as, mingxi_village):
    """A registered household of three and one of two (uploaded and merged through the API), then a newer
    file at review: the first household without its third member, the second with one 文化程度 changed."""
    api = api_as("county", MINGXI)
    first = household_rows(mingxi_village, f"{mingxi_village}80001", members=3)
    second = household_rows(mingxi_village, f"{mingxi_village}80002", members=2)
    merged = api.upload(roster_csv(first + second), MINGXI, "v1.csv").json()
    assert api.post(f"/imports/{merged['id']}/merge", {}).json()["status"] == "merged"
    changed = {**second[1], "文化程度": "4" if second[1]["文化程度"] != "4" else "3"}
    body = api.upload(roster_csv([*first[:2], second[0], changed]), MINGXI, "v2.csv").json()
    assert body["status"] == "review", body
    return {"batch": body, "gone": first[2], "changed": changed, "first": f"{mingxi_village}80001",
            "second": f"{mingxi_village}80002"}


def test_a_re_import_counts_the_persons_leaving_and_the_changes_by_field(api_as, re_import, mingxi_village):
    body = re_import["batch"]
    assert (body["persons_left"], body["households_changed"], body["persons_changed"]) == (1, 2, 1)
    assert body["persons_moved"] == 0  # the person is in no other household of the file
    assert body["many_leaving"] is False and 0 < body["leaving_share"] < 1  # one person: not flagged
    assert [(v["village_code"], v["persons_left"]) for v in body["by_village"]] == [(mingxi_village, 1)]
    summary = {(s["change"], s["field"]): s for s in body["changes_by_field"]}
    assert summary[("member_left", "relation")] == {"change": "member_left", "field": "relation",
                                                    "header": "与户主关系", "rows": 1, "households": 1}
    assert (summary[("member_changed", "education")]["header"], summary[("member_changed", "education")]["rows"]) == (
        "文化程度", 1)
    assert summary[("household", "size")]["households"] == 1
    fetched = api_as("county", MINGXI).get(f"/imports/{body['id']}").json()
    assert (fetched["persons_left"], fetched["changes_by_field"]) == (1, body["changes_by_field"])


def test_a_merge_that_marks_persons_as_left_needs_their_number_confirmed(api_as, re_import):
    """核对减员: 422 naming persons_left_confirmed without it or with another number; merged with it."""
    api, batch_id = api_as("county", MINGXI), re_import["batch"]["id"]
    for body in ({}, {"persons_left_confirmed": 0}, {"persons_left_confirmed": 2}):
        response = api.post(f"/imports/{batch_id}/merge", body)
        assert response.status_code == 422, body
        assert "persons_left_confirmed" in response.json()["field_errors"]
    assert api.get(f"/imports/{batch_id}").json()["status"] == "review"
    merged = api.post(f"/imports/{batch_id}/merge", {"persons_left_confirmed": 1}).json()
    assert (merged["status"], merged["persons_left"]) == ("merged", 1)


def test_a_batch_checked_before_the_list_existed_reads_without_it(api_as, re_import, mingxi_village):
    """An old batch: no persons_left in its villages, no changes by field, no list of changes on disk."""
    from fupin.imports import services

    batch = ImportBatch.objects.get(pk=re_import["batch"]["id"])
    batch.by_village = [{k: v for k, v in row.items() if k != "persons_left"} for row in batch.by_village]
    batch.changes_by_field = []
    batch.save(update_fields=["by_village", "changes_by_field"])
    services.changes_path(batch).unlink()
    api = api_as("county", MINGXI)
    body = api.get(f"/imports/{batch.pk}").json()
    assert [(v["village_code"], v["persons_left"]) for v in body["by_village"]] == [(mingxi_village, 0)]
    assert body["changes_by_field"] == []
    assert api.get(f"/imports/{batch.pk}/changes").json() == {"count": 0, "page": 1, "page_size": 100, "items": []}


def test_the_list_of_changes_pages_and_filters(api_as, re_import, mingxi_village):
    api = api_as("county", MINGXI)
    batch_id = re_import["batch"]["id"]
    records = ExportRecord.objects.count()
    listed = api.get(f"/imports/{batch_id}/changes").json()
    total = sum(s["rows"] for s in re_import["batch"]["changes_by_field"])
    assert (listed["count"], listed["page"], listed["page_size"], len(listed["items"])) == (total, 1, 100, total)
    assert [i["household_number"] for i in listed["items"]] == sorted(i["household_number"] for i in listed["items"])
    assert {i["village_code"] for i in listed["items"]} == {mingxi_village}

    left = api.get(f"/imports/{batch_id}/changes", {"change": "member_left"}).json()
    gone = re_import["gone"]
    assert left["count"] == 1
    assert left["items"] == [{
        "village_code": mingxi_village, "household_number": re_import["first"], "name": gone["姓名"],
        "id_number": gone["证件号码"], "change": "member_left", "change_label": KINDS["member_left"],
        "field": "relation", "header": "与户主关系", "old": left["items"][0]["old"], "new": ""}]
    assert left["items"][0]["old"]  # the relation to the head, as the roster shows it

    education = api.get(f"/imports/{batch_id}/changes", {"field": "education"}).json()["items"]
    assert [(i["change"], i["household_number"], i["id_number"], i["header"]) for i in education] == [
        ("member_changed", re_import["second"], re_import["changed"]["证件号码"], "文化程度")]
    assert education[0]["old"] != education[0]["new"]
    both = api.get(f"/imports/{batch_id}/changes", {"change": "household", "field": "size"}).json()["items"]
    assert [(i["household_number"], i["old"], i["new"]) for i in both] == [(re_import["first"], "3", "2")]
    other = first_village(MINGXI, 1)
    assert api.get(f"/imports/{batch_id}/changes", {"village": other}).json() == {
        "count": 0, "page": 1, "page_size": 100, "items": []}
    assert api.get(f"/imports/{batch_id}/changes", {"village": mingxi_village}).json()["count"] == total

    second = api.get(f"/imports/{batch_id}/changes", {"page": 2, "page_size": 1}).json()
    assert (second["count"], second["page"], second["page_size"]) == (total, 2, 1)
    assert second["items"] == listed["items"][1:2]
    assert api.get(f"/imports/{batch_id}/changes", {"page": 99, "page_size": 500}).json()["items"] == []

    for query, field in (({"change": "moved"}, "change"), ({"village": "3504"}, "village"),
                         ({"field": "Size;"}, "field"), ({"page_size": 501}, "page_size")):
        refused = api.get(f"/imports/{batch_id}/changes", query)
        assert refused.status_code == 422, query
        assert field in refused.json()["field_errors"], refused.json()
    assert ExportRecord.objects.count() == records  # a paged read, not an export


def test_the_change_kinds_the_api_takes_are_those_of_the_list():
    assert ChangeKind.__args__ == ("", *KINDS)


def test_the_list_of_changes_is_masked_for_a_city_viewer_and_404_out_of_scope(api_as, re_import):
    batch_id = re_import["batch"]["id"]
    number = re_import["gone"]["证件号码"]
    left = api_as("city", CITY).get(f"/imports/{batch_id}/changes", {"change": "member_left"}).json()["items"]
    assert [i["id_number"] for i in left] == [mask_id_number(number)]
    every = api_as("city", CITY).get(f"/imports/{batch_id}/changes").json()["items"]
    assert not any(len(i["id_number"]) == 18 and "*" not in i["id_number"] for i in every)
    assert api_as("county", NINGHUA).get(f"/imports/{batch_id}/changes").status_code == 404
    assert api_as("county", MINGXI).get("/imports/999999/changes").status_code == 404


@pytest.mark.parametrize("role,region", [("city", CITY), ("evaluator", MINGXI)])
def test_viewers_cannot_upload(api_as, mingxi_village, role, region):
    assert api_as(role, region).upload(small_roster(mingxi_village), MINGXI).status_code == 404
    assert not ImportBatch.objects.exists()


def test_upload_as_listed_persons_only_and_an_unknown_mode(api_as, mingxi_village):
    """``mode=members`` (只更新所列成员): the same small roster's registered persons listed again, one with a
    new 文化程度, and a person not registered — rejected alone; ``mode=partial`` is 422 naming the field."""
    from fupin.imports import services

    api = api_as("county", MINGXI)
    data = small_roster(mingxi_village, bad_rows=0)
    first = api.upload(data, MINGXI).json()
    services.merge_batch(actor=None, batch_id=first["id"])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    listed = [dict(rows[1], 文化程度="4"), dict(rows[2]),
              dict(rows[3], 证件号码=make_id_number(mingxi_village[:6], date(1990, 1, 1), 7))]
    response = api.upload(roster_csv(listed), MINGXI, mode="members")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mode"], body["rows_imported"], body["rows_rejected"], body["persons_changed"],
            body["persons_unchanged"], body["persons_left"]) == ("members", 2, 1, 1, 1, 0)
    refused = api.upload(roster_csv(listed), MINGXI, mode="partial")
    assert refused.status_code == 422
    assert "mode" in refused.json()["field_errors"]


def test_upload_out_of_scope_is_404(api_as, ninghua_village):
    response = api_as("county", MINGXI).upload(small_roster(ninghua_village), NINGHUA)
    assert response.status_code == 404
    assert not ImportBatch.objects.exists()


def test_upload_with_a_bad_region_code_is_422(api_as, mingxi_village):
    response = api_as("county", MINGXI).upload(small_roster(mingxi_village), "abc")
    assert response.status_code == 422
    assert "region_code" in response.json()["field_errors"]


def test_upload_over_the_size_limit_is_422_naming_the_file(api_as, mingxi_village, settings):
    roster = small_roster(mingxi_village)
    settings.FUPIN_IMPORT_MAX_BYTES = len(roster) - 1
    response = api_as("county", MINGXI).upload(roster, MINGXI)
    assert response.status_code == 422
    assert response.json()["field_errors"]["file"][0].startswith("文件超过")
    assert not ImportBatch.objects.exists()


def test_a_stopped_batch_is_said_stalled_and_checked_again(api_as, review_batch):
    from datetime import timedelta

    from django.utils import timezone

    api = api_as("county", MINGXI)
    assert api.get(f"/imports/{review_batch}").json()["stalled"] is False
    refused = api.post(f"/imports/{review_batch}/validate", {})
    assert refused.status_code == 422 and "重新校验" in refused.json()["message"]
    ImportBatch.objects.filter(pk=review_batch).update(status=BatchStatus.VALIDATING,
                                                        heartbeat_at=timezone.now() - timedelta(hours=1))
    assert api.get(f"/imports/{review_batch}").json()["stalled"] is True
    response = api.post(f"/imports/{review_batch}/validate", {})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["stalled"], body["rows_read"], body["rows_rejected"]) == ("review", False, 5, 1)
    assert api_as("city", CITY).post(f"/imports/{review_batch}/validate", {}).status_code == 404


def test_rejected_id_numbers_are_masked_for_a_city_viewer(api_as, review_batch):
    def values(api):
        return [i["value"] for i in api.get(f"/imports/{review_batch}/rejections", {"page": 1}).json()["items"]
                if i["column"] == "证件号码"]

    assert values(api_as("county", MINGXI)) == ["350421196001011234"]
    assert values(api_as("city", CITY)) == [mask_id_number("350421196001011234")]


def test_out_of_scope_batch_is_404(api_as, review_batch):
    other = api_as("county", NINGHUA)
    assert other.get(f"/imports/{review_batch}").status_code == 404
    assert other.get(f"/imports/{review_batch}/rejections").status_code == 404
    assert other.post(f"/imports/{review_batch}/merge", {}).status_code == 404
    assert other.post(f"/imports/{review_batch}/refuse", {"comment": "不对"}).status_code == 404
    assert other.get("/imports").json()["count"] == 0
    assert ImportBatch.objects.get(pk=review_batch).status == BatchStatus.REVIEW


@pytest.mark.parametrize("role,region", [("city", CITY), ("evaluator", MINGXI)])
def test_viewers_read_but_cannot_decide(api_as, review_batch, role, region):
    api = api_as(role, region)
    assert api.get(f"/imports/{review_batch}").status_code == 200
    assert api.post(f"/imports/{review_batch}/merge", {}).status_code == 404
    assert api.post(f"/imports/{review_batch}/refuse", {"comment": "不对"}).status_code == 404
    assert ImportBatch.objects.get(pk=review_batch).status == BatchStatus.REVIEW


def test_merge(api_as, review_batch, mingxi_village):
    api = api_as("county", MINGXI)
    response = api.post(f"/imports/{review_batch}/merge", {"comment": "核对无误"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "merged"
    assert Household.objects.filter(household_number=f"{mingxi_village}90001").exists()
    again = api.post(f"/imports/{review_batch}/merge", {})
    assert again.status_code == 422
    assert again.json()["message"]


def test_township_officer_cannot_decide_a_county_batch(api_as, review_batch):
    api = api_as("township", "350421100000")
    assert api.post(f"/imports/{review_batch}/merge", {}).status_code == 404


def test_refuse_needs_a_comment(api_as, review_batch, mingxi_village):
    api = api_as("county", MINGXI)
    assert api.post(f"/imports/{review_batch}/refuse", {}).status_code == 422
    assert api.post(f"/imports/{review_batch}/refuse", {"comment": ""}).status_code == 422
    response = api.post(f"/imports/{review_batch}/refuse", {"comment": "户编号有误"})
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["decision_comment"] == "户编号有误"
    assert not Household.objects.filter(household_number=f"{mingxi_village}90001").exists()


@pytest.mark.parametrize("fmt,kind", [("xlsx", "spreadsheetml"), ("csv", "text/csv")])
def test_export(api_as, make_household, mingxi_village, ninghua_village, fmt, kind):
    household = make_household(mingxi_village, members=2)
    make_household(ninghua_village, members=2)
    api = api_as("county", MINGXI)
    response = api.get("/exports/roster", {"region": MINGXI, "format": fmt})
    assert response.status_code == 200
    assert kind in response["Content-Type"]
    assert "attachment" in response["Content-Disposition"]
    if fmt == "csv":
        assert household.members.first().id_number in response.getvalue().decode("utf-8-sig")
    assert api.get("/exports/roster", {"region": NINGHUA, "format": fmt}).status_code == 404
    assert api.get("/exports/roster", {"region": MINGXI, "format": "pdf"}).status_code == 422
    assert api.get("/exports/roster", {"format": fmt}).status_code == 200  # default: the user's region


def test_a_filtered_or_split_export_through_the_api(api_as, make_household, mingxi_village):
    """导出筛选 and 分村导出: only the households named, kept with the record (``/exports/records``); a ZIP of one
    file per village; 422 naming the field for a value that cannot be valid."""
    import zipfile

    make_household(mingxi_village, members=2)
    out = make_household(mingxi_village, members=1, poverty_status="1", identification_year=2015, exit_year=2019)
    api = api_as("county", MINGXI)
    response = api.get("/exports/roster", {"region": MINGXI, "format": "csv", "poverty_status": "已脱贫(享受政策)",
                                           "exit_year": "2018-2020"})
    assert response.status_code == 200
    frame = pl.read_csv(io.BytesIO(response.getvalue()[3:]), infer_schema=False)
    assert frame["户编号"].to_list() == [out.household_number]
    archive = api.get("/exports/roster", {"region": MINGXI, "split": "village"})
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.getvalue())) as files:
        assert len(files.namelist()) == 1 and files.namelist()[0].endswith(".xlsx")
    by_cause = api.get("/exports/roster", {"region": MINGXI, "format": "csv", "kind": "households", "cause": "因病",
                                           "category": "一般贫困户"})
    assert pl.read_csv(io.BytesIO(by_cause.getvalue()[3:]), infer_schema=False).height == 2
    for query, field in (({"poverty_status": "9"}, "poverty_status"), ({"identification_year": "20X4"},
                                                                       "identification_year"),
                         ({"exit_year": "2020-2019"}, "exit_year"), ({"cause": "因穷"}, "causes"),
                         ({"planned_exit_year": "20X9"}, "planned_exit_year"), ({"shortfall": "收入"}, "shortfall"),
                         ({"dilapidated": "B"}, "dilapidated"),
                         ({"age": "60-16"}, "age"), ({"schooling": "在读"}, "schooling"),
                         ({"category": "1"}, "categories")):
        refused = api.get("/exports/roster", {"region": MINGXI, **query})
        assert refused.status_code == 422
        assert list(refused.json()["field_errors"]) == [field]
    assert api.get("/exports/roster", {"region": MINGXI, "split": "county"}).status_code == 422
    records = api.get("/exports/records").json()["items"]
    assert [(r["filters"], r["format"]) for r in records] == [
        ({"causes": ["1"], "categories": ["2014:1", "2016:1"]}, "csv"),
        ({}, "xlsx.zip"), ({"poverty_status": ["1"], "exit_year": [2018, 2020]}, "csv")]


def test_a_person_filtered_export_through_the_api(api_as, make_household, mingxi_village):
    """人员筛选: the members named only (person roster), their households whole (household roster)."""
    ill = make_household(mingxi_village, members=3, member_overrides=[{}, {"health": "3"}])
    make_household(mingxi_village, members=2)
    api = api_as("county", MINGXI)
    persons = api.get("/exports/roster", {"region": MINGXI, "format": "csv", "health": "患有大病,2"})
    frame = pl.read_csv(io.BytesIO(persons.getvalue()[3:]), infer_schema=False)
    assert (frame["户编号"].to_list(), frame["健康状况"].to_list()) == ([ill.household_number], ["患有大病"])
    assert quote(f"花名册-{MINGXI}-健康2+3.csv") in persons["Content-Disposition"]
    households = api.get("/exports/roster", {"region": MINGXI, "format": "csv", "kind": "households", "health": "3"})
    frame = pl.read_csv(io.BytesIO(households.getvalue()[3:]), infer_schema=False)
    assert (frame["户编号"].to_list(), frame["家庭人口"].to_list()) == ([ill.household_number], ["3"])


def test_export_of_the_household_roster(api_as, make_household, mingxi_village):
    household = make_household(mingxi_village, members=2)
    response = api_as("county", MINGXI).get("/exports/roster", {"region": MINGXI, "format": "csv", "kind": "households"})
    assert response.status_code == 200
    text = response.getvalue().decode("utf-8-sig")
    header, *rows = text.strip().splitlines()
    assert header.split(",")[7:10] == ["户主姓名", "户主证件号码", "家庭人口"]
    assert len(rows) == 1 and household.household_number in rows[0]
    assert api_as("county", MINGXI).get("/exports/roster", {"kind": "villages"}).status_code == 422


def test_an_xlsx_export_larger_than_a_sheet_is_422(api_as, make_household, mingxi_village, monkeypatch):
    from fupin.core import xlsx_sheet

    make_household(mingxi_village, members=3)
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)
    response = api_as("county", MINGXI).get("/exports/roster", {"region": MINGXI, "format": "xlsx"})
    assert response.status_code == 422
    assert "CSV" in response.json()["field_errors"]["format"][0]


def test_export_masks_ids_for_viewers(api_as, make_household, mingxi_village):
    household = make_household(mingxi_village, members=2)
    number = household.members.first().id_number
    text = api_as("city", CITY).get("/exports/roster", {"region": MINGXI, "format": "csv"}).getvalue().decode("utf-8-sig")
    assert number not in text
    assert mask_id_number(number) in text


def _rows_to_fix_sheet(content: bytes) -> pl.DataFrame:
    return fastexcel.read_excel(content).load_sheet("花名册", dtypes="string").to_polars()


def test_rows_to_fix_download_as_a_roster_to_correct_and_is_recorded(api_as, review_batch, mingxi_village):
    api = api_as("county", MINGXI)
    response = api.get(f"/imports/{review_batch}/rows-to-fix")
    assert response.status_code == 200, response.content
    assert "spreadsheetml" in response["Content-Type"]
    name = f"待改正的行-{review_batch}.xlsx"
    assert "attachment" in response["Content-Disposition"] and quote(name) in response["Content-Disposition"]
    content = response.getvalue()  # streamed: read once
    sheet = _rows_to_fix_sheet(content)
    assert sheet.columns[:2] == ["原行号", "错误原因"] and "证件号码" in sheet.columns
    # The one bad row of small_roster (row 6: header row 1, four good persons before it), as written.
    assert sheet.height == 1
    row = sheet.row(0, named=True)
    assert row["原行号"] == "6"
    assert row["错误原因"].startswith("证件号码: ")
    assert (row["证件号码"], row["户编号"]) == ("350421196001011234", f"{mingxi_village}91000")

    record = ExportRecord.objects.get(kind="rows_to_fix")
    assert (record.channel, record.format, record.region_code, record.rows, record.file_name, record.full_numbers,
            record.actor_name) == ("api", "xlsx", MINGXI, 1, name, True, api.user.username)
    assert (record.file_size, record.file_sha256) == (len(content), hashlib.sha256(content).hexdigest())


def test_rows_to_fix_are_masked_for_a_city_viewer_and_404_out_of_scope(api_as, review_batch):
    response = api_as("city", CITY).get(f"/imports/{review_batch}/rows-to-fix")
    assert response.status_code == 200
    assert _rows_to_fix_sheet(response.getvalue())["证件号码"].to_list() == [mask_id_number("350421196001011234")]
    assert ExportRecord.objects.get(kind="rows_to_fix").full_numbers is False
    assert api_as("county", NINGHUA).get(f"/imports/{review_batch}/rows-to-fix").status_code == 404
    assert api_as("county", MINGXI).get("/imports/999999/rows-to-fix").status_code == 404
    assert ExportRecord.objects.filter(kind="rows_to_fix").count() == 1


def test_rows_to_fix_of_a_batch_without_rejected_rows_is_the_header_alone(api_as, mingxi_village):
    api = api_as("county", MINGXI)
    body = api.upload(small_roster(mingxi_village, bad_rows=0), MINGXI).json()
    assert body["rows_rejected"] == 0
    response = api.get(f"/imports/{body['id']}/rows-to-fix")
    assert response.status_code == 200
    sheet = _rows_to_fix_sheet(response.getvalue())
    assert sheet.height == 0 and sheet.columns[:2] == ["原行号", "错误原因"] and "证件号码" in sheet.columns
    assert ExportRecord.objects.get(kind="rows_to_fix").rows == 0


def test_rows_to_fix_from_a_landed_file_changed_on_disk_is_422(api_as, review_batch):
    batch = ImportBatch.objects.get(pk=review_batch)
    Path(batch.stored_path).write_bytes(b"changed")
    response = api_as("county", MINGXI).get(f"/imports/{review_batch}/rows-to-fix")
    assert response.status_code == 422
    assert "SHA-256" in response.json()["message"]
    assert not ExportRecord.objects.filter(kind="rows_to_fix").exists()


def test_rows_to_fix_larger_than_a_sheet_is_422(api_as, review_batch, monkeypatch):
    from fupin.core import xlsx_sheet

    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 1)
    response = api_as("county", MINGXI).get(f"/imports/{review_batch}/rows-to-fix")
    assert response.status_code == 422
    assert "xlsx" in response.json()["message"]
    assert not ExportRecord.objects.filter(kind="rows_to_fix").exists()


def test_the_batch_list_filters_by_status_region_and_file(api_as, mingxi_village):
    from fupin.imports import services
    from fupin.testing import MINGXI_TOWNSHIP

    api = api_as("county", MINGXI)
    first = api.upload(small_roster(mingxi_village), MINGXI).json()
    second = services.land_file(actor=api.user, file_name="雪峰镇.csv", content=small_roster(mingxi_village, bad_rows=2),
                                region_code=MINGXI_TOWNSHIP, source="test")

    def ids(**query: str) -> list[int]:
        response = api.get("/imports", query)
        assert response.status_code == 200, response.content
        return [b["id"] for b in response.json()["items"]]

    assert ids() == [second.pk, first["id"]]
    assert ids(status="review") == [first["id"]]
    assert ids(status="landed", region=MINGXI_TOWNSHIP) == [second.pk]
    assert ids(q="雪峰") == [second.pk]
    assert ids(q=first["file_sha256"]) == [first["id"]]
    for bad in ({"status": "nonsense"}, {"region": "3504"}, {"q": "x" * 256}):
        assert api.get("/imports", bad).status_code == 422, bad


def test_the_statuses_the_api_filters_by_are_the_batches():
    from typing import get_args

    from fupin.api.imports import BatchQuery

    literal = BatchQuery.model_fields["status"].annotation
    assert set(get_args(literal)) == {"", *BatchStatus.values}
