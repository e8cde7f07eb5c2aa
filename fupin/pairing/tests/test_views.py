"""Pages of the pairing app: coverage with gaps first, helpers, a household's pairing, teams, places; scope."""

import pytest
from django.urls import reverse

from fupin.pairing import services
from fupin.pairing.models import AttendanceRecord, Helper, HouseholdPairing, TeamMember, WorkTeam
from fupin.testing import MINGXI, NINGHUA, TEST_PASSWORD

from .conftest import START


@pytest.fixture
def signed_in(client):
    def sign(user):
        client.login(username=user.username, password=TEST_PASSWORD)
        return client
    return sign


def test_coverage_page_lists_gaps_first(signed_in, township_officer, households, make_helper, village):
    helper = make_helper("帮扶甲")
    services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=households[0].pk,
                            started_on=START)
    page = signed_in(township_officer).get(reverse("pairing:coverage"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="village-{village.code}"' in body  # a poor village without a team is a gap
    assert body.index('id="gap-villages"') < body.index('id="workload"')
    assert f'id="gap-household-{households[1].pk}"' in body
    assert f'id="gap-household-{households[0].pk}"' not in body
    assert 'id="fig-without-helper">6<' in body


def test_pages_are_404_without_the_capability_or_out_of_scope(signed_in, make_user, households):
    client = signed_in(make_user("county", NINGHUA))
    page = client.get(reverse("pairing:coverage"), {"region": MINGXI})  # not a choice: the user's own county
    assert page.status_code == 200 and "宁化县" in page.content.decode()
    assert f'id="gap-household-{households[0].pk}"' not in page.content.decode()
    assert client.get(reverse("pairing:household", args=[households[0].pk])).status_code == 404
    client = signed_in(make_user("helper", MINGXI))
    for name in ("pairing:helpers", "pairing:teams", "pairing:places"):
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("pairing:coverage")).status_code == 404  # a helper role without a Helper
    assert client.get(reverse("pairing:mine")).status_code == 404


def test_register_a_helper_and_pair_by_number(signed_in, county_officer, households, make_user):
    login = make_user("helper", MINGXI)
    client = signed_in(county_officer)
    response = client.post(reverse("pairing:helpers"), {
        "name": "周干部", "unit": "县民政局", "unit_level": "county", "phone": "13700000000",
        "region_code": MINGXI, "username": login.username})
    helper = Helper.objects.get(name="周干部")
    assert response.status_code == 302 and helper.user == login
    response = client.post(reverse("pairing:helper", args=[helper.pk]),
                           {"household_number": households[0].household_number, "started_on": "2016-02-01"})
    assert response.status_code == 302
    assert HouseholdPairing.objects.get().household == households[0]
    page = client.get(reverse("pairing:helper", args=[helper.pk]))
    assert households[0].household_number in page.content.decode()
    # the helper's own login: /pairing/ lands on "my households"
    helper_client = signed_in(login)
    assert helper_client.get(reverse("pairing:coverage")).url == reverse("pairing:mine")
    mine = helper_client.get(reverse("pairing:mine")).content.decode()
    assert f'id="mine-{households[0].pk}"' in mine and f'id="mine-{households[1].pk}"' not in mine
    assert helper_client.get(reverse("pairing:household", args=[households[0].pk])).status_code == 200
    assert helper_client.get(reverse("pairing:household", args=[households[1].pk])).status_code == 404


def test_limit_refusal_is_shown_on_the_form(signed_in, township_officer, households, make_helper):
    helper = make_helper("满员")
    for h in households[:5]:
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h.pk, started_on=START)
    response = signed_in(township_officer).post(reverse("pairing:helper", args=[helper.pk]), {
        "household_number": households[5].household_number, "started_on": "2016-02-01"})
    assert response.status_code == 200
    assert "最多5户" in response.content.decode()
    assert HouseholdPairing.objects.count() == 5


def test_household_page_pair_transfer_end(signed_in, township_officer, households, make_helper):
    a, b = make_helper("甲帮扶"), make_helper("乙帮扶")
    h = households[0]
    client = signed_in(township_officer)
    url = reverse("pairing:household", args=[h.pk])
    found = client.get(url, {"q": "帮扶", "search": "1"}).content.decode()
    assert f'id="found-{a.pk}"' in found and f'id="found-{b.pk}"' in found
    assert client.post(url, {"helper": a.pk, "on": "2016-02-01"}).status_code == 302
    first = HouseholdPairing.objects.get()
    assert client.post(url, {"helper": b.pk, "on": "2017-02-01", "transfer_from": first.pk,
                             "comment": "调整"}).status_code == 302
    first.refresh_from_db()
    second = HouseholdPairing.objects.get(ended_on__isnull=True)
    assert first.transfer_to == second and second.helper == b
    history = client.get(url).content.decode()
    assert f'id="history-{first.pk}"' in history and f'id="history-{second.pk}"' in history
    response = client.post(reverse("pairing:pairing_end", args=[second.pk]),
                           {"reason": "exited", "ended_on": "2018-01-01", "comment": ""})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.end_reason == "exited"


def test_team_page_members_and_attendance(signed_in, township_officer, village, make_user):
    client = signed_in(township_officer)
    response = client.post(reverse("pairing:teams"), {"village": village.code, "sending_unit": "市农业局",
                                                      "unit_level": "city", "started_on": "2016-03-01"})
    team = WorkTeam.objects.get()
    assert response.url == reverse("pairing:team", args=[team.pk])
    url = reverse("pairing:team", args=[team.pk])
    client.post(url, {"action": "member", "name": "郑书记", "unit": "市农业局", "is_first_secretary": "on",
                      "joined_on": "2016-03-01"})
    member = TeamMember.objects.get()
    assert member.is_first_secretary
    refused = client.post(url, {"action": "member", "name": "又一个", "is_first_secretary": "on",
                                "joined_on": "2016-03-01"})
    assert refused.status_code == 200 and "已有第一书记" in refused.content.decode()
    workteam = signed_in(make_user("workteam", village.code))
    workteam.post(url, {"action": "attendance", "member": member.pk, "month": "2016-04", "days_present": 12})
    assert AttendanceRecord.objects.get().days_present == 12
    page = workteam.get(url).content.decode()
    assert 'title="低于最低天数">12<' in page or ">12</span>" in page  # below 20 days is marked
    assert workteam.post(url, {"action": "member", "name": "x", "joined_on": "2016-03-01"}).status_code == 404


def test_place_pairings_page(signed_in, county_officer, village):
    client = signed_in(county_officer)
    url = reverse("pairing:places_kind", args=["enterprise_village"])
    response = client.post(url, {"action": "start", "enterprise": "三明某公司", "village": village.code,
                                 "started_on": "2016-05-01"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "三明某公司" in page
    # the kinds in the page's language ("百企联百村 enterprise–village" is stored with both)
    assert "<h2>百企联百村</h2>" in page and "enterprise–village" not in page
    assert client.get(reverse("pairing:places_kind", args=["nothing"])).status_code == 404
    bad = client.post(url, {"action": "start", "enterprise": "", "village": village.code, "started_on": "2016-05-01"})
    assert bad.status_code == 200 and "必填" in bad.content.decode()


def test_pages_show_the_pairing_wording_not_the_household_one(signed_in, township_officer, village, make_helper):
    """"Member", "Members", "Left on", "Leaves" and "Households" mean a team member, a count and leaving the
    post here, not a household member (家庭成员, 成员减少, 注销日期) or poor households (贫困户): msgctxt."""
    client = signed_in(township_officer)
    client.post(reverse("pairing:teams"), {"village": village.code, "sending_unit": "市农业局", "unit_level": "city",
                                           "started_on": "2016-03-01"})
    team = WorkTeam.objects.get()
    url = reverse("pairing:team", args=[team.pk])
    client.post(url, {"action": "member", "name": "郑书记", "unit": "市农业局", "joined_on": "2016-03-01"})
    page = client.get(url).content.decode()
    assert "<th>离岗日期</th>" in page and ">离岗</button>" in page  # a team member leaves the post
    assert '<label for="id_member">队员' in page  # the attendance form
    assert "注销日期" not in page and "成员减少" not in page and "家庭成员" not in page
    teams = client.get(reverse("pairing:teams")).content.decode()
    assert '<th class="num">队员数</th>' in teams and "家庭成员" not in teams
    helper = make_helper("王帮扶")
    detail = client.get(reverse("pairing:helper", args=[helper.pk])).content.decode()
    assert "<dt>户数</dt>" in detail
    helpers = client.get(reverse("pairing:helpers")).content.decode()
    assert '<th class="num">户数</th>' in helpers
