"""The admin of policy versions: a county edits a draft (rule rows validated), releases it; a released
version is read-only; other counties' versions are invisible."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.rules import services
from fupin.rules.choices import PolicyStatus
from fupin.rules.models import PolicyVersion
from fupin.testing import MINGXI, NINGHUA

URL = "/admin/rules/policyversion/"


@pytest.fixture
def county_staff(client, make_user):
    user = make_user("county", MINGXI, is_staff=True)
    client.force_login(user)
    return user


def _draft(region: str = MINGXI, version: str = "mingxi-2016.1"):
    return services.new_draft(actor=None, region_code=region, version=version, valid_from=date(2016, 1, 1))


def _post_data(version: PolicyVersion, **changes) -> dict[str, str]:
    """What the change form sends for the draft and its rule rows, with ``changes`` (``rule_id`` →
    {field: value}) applied to the rows."""
    rows = list(version.rules.order_by("kind", "position", "id"))
    data = {
        "version": version.version, "title": version.title, "valid_from": version.valid_from.isoformat(),
        "valid_to": "", "override": "{}", "comment": "",
        "rules-TOTAL_FORMS": str(len(rows)), "rules-INITIAL_FORMS": str(len(rows)),
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
    }
    for i, r in enumerate(rows):
        values = {"id": r.pk, "policy_version": version.pk, "position": r.position, "kind": r.kind,
                  "rule_id": r.rule_id, "label_zh": r.label_zh, "label_en": r.label_en, "text": r.text,
                  "description": r.description, "enabled": r.enabled}
        values.update(changes.get(r.rule_id, {}))
        for key, value in values.items():
            if key == "enabled":
                if value:
                    data[f"rules-{i}-enabled"] = "on"
            else:
                data[f"rules-{i}-{key}"] = str(value)
    return data


def test_a_county_edits_a_draft_and_a_bad_rule_is_a_form_error(client, county_staff):
    draft = _draft()
    response = client.post(f"{URL}{draft.pk}/change/", _post_data(
        draft, ex_vehicle={"text": "any_vehicle AND DROP"}, ex_business={"enabled": False}))
    assert response.status_code == 200  # the form again, with the error
    assert "不允许的词 token not allowed: DROP" in response.content.decode()
    assert draft.rules.get(rule_id="ex_business").enabled is True  # nothing saved
    response = client.post(f"{URL}{draft.pk}/change/", _post_data(
        draft, ex_business={"enabled": False}, income_below_line={"text": "income_per_capita < poverty_line * 1.2"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert draft.rules.get(rule_id="ex_business").enabled is False
    assert draft.rules.get(rule_id="income_below_line").text == "income_per_capita < poverty_line * 1.2"


def test_an_invalid_override_is_a_form_error(client, county_staff):
    draft = _draft()
    data = _post_data(draft)
    data["override"] = '{"lag": 99}'
    response = client.post(f"{URL}{draft.pk}/change/", data)
    assert response.status_code == 200 and "年度滞后" in response.content.decode()
    data["override"] = '{"poverty_lines": [{"standard": "1", "region": "350421", "year": 2016, "amount": 3500}]}'
    assert client.post(f"{URL}{draft.pk}/change/", data).status_code == 302
    assert PolicyVersion.objects.get(pk=draft.pk).override["poverty_lines"][0]["amount"] == 3500


def test_release_from_the_admin_then_it_is_read_only(client, county_staff):
    draft = _draft()
    response = client.post(URL, {"action": "release", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    version = PolicyVersion.objects.get(pk=draft.pk)
    assert version.status == PolicyStatus.RELEASED and version.released_by == county_staff
    page = client.get(f"{URL}{draft.pk}/change/").content.decode()
    assert 'name="_save"' not in page  # view only
    response = client.post(f"{URL}{draft.pk}/change/", _post_data(version, ex_vehicle={"enabled": False}))
    assert response.status_code == 403
    assert version.rules.get(rule_id="ex_vehicle").enabled is True
    assert client.post(f"{URL}{draft.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PolicyVersion.objects.filter(pk=draft.pk).exists()


def test_new_draft_from_a_released_version(client, county_staff):
    released = services.release_policy(actor=None, version_id=_draft().pk)
    client.post(URL, {"action": "new_draft_from", "_selected_action": [released.pk]})
    draft = PolicyVersion.objects.exclude(pk=released.pk).get()
    assert draft.status == PolicyStatus.DRAFT and draft.based_on == released
    assert draft.rules.count() == released.rules.count()


def test_adding_a_version_copies_the_policy_in_force(client, county_staff):
    response = client.post(f"{URL}add/", {"region_code": MINGXI, "version": "mingxi-2019.1", "title": "",
                                          "valid_from": "2019-01-01", "valid_to": "", "override": "{}",
                                          "comment": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    village = client.post(f"{URL}add/", {"region_code": MINGXI[:6] + "100001", "version": "v", "valid_from": "2019-01-01",
                                         "valid_to": "", "override": "{}", "comment": "", "title": ""})
    assert village.status_code == 200 and "12位代码" in village.content.decode()
    added = PolicyVersion.objects.get(version="mingxi-2019.1")
    assert added.status == PolicyStatus.DRAFT and added.created_by == county_staff
    assert added.rules.filter(rule_id="income_below_line").exists()


def test_other_counties_versions_are_not_listed(client, county_staff):
    mine, theirs = _draft(), _draft(NINGHUA, "ninghua-2016.1")
    page = client.get(URL).content.decode()
    assert "mingxi-2016.1" in page and "ninghua-2016.1" not in page
    assert client.get(f"{URL}{theirs.pk}/change/").status_code == 302  # the admin's "not found" redirect
    assert client.post(f"{URL}add/", {"region_code": NINGHUA, "version": "x", "valid_from": "2019-01-01",
                                      "override": "{}"}).status_code == 404
    assert mine.pk


def test_a_township_officer_has_no_policy_admin(client, make_user):
    client.force_login(make_user("township", MINGXI[:6] + "100000", is_staff=True))
    assert client.get(URL).status_code == 403
