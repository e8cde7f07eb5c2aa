"""The exit pages: the list, a case and its actions, a village (proposals, batches), the lists; scope (404)."""

from __future__ import annotations

import pytest

from fupin.exits import services
from fupin.exits.models import ExitCase
from fupin.testing import TEST_PASSWORD

from .conftest import MEETING, VERIFY, D, consent_of, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def _login(user):
        assert client.login(username=user.username, password=TEST_PASSWORD)
        return client

    return _login


def test_anonymous_is_sent_to_sign_in(client, household, propose, mingxi_village):
    case = propose(household())
    for url in ("/exits/", f"/exits/{case.pk}/", f"/exits/village/{mingxi_village}/", "/exits/lists/",
                f"/exits/village/{mingxi_village}/democratic_review/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_the_case_list_and_a_case_page_in_chinese(login, people, household, propose):
    case = propose(household())
    client = login(people["township"])
    page = client.get("/exits/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "精准退出" in html and f"case-{case.pk}" in html and "村两委民主评议" in html
    page = client.get(f"/exits/{case.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "村两委民主评议" in html and "应到代表人数" in html and "预脱贫" in html
    assert 'id="complete-button"' in html and 'id="withdraw-button"' in html


def test_completing_steps_through_the_page(login, people, household, propose):
    case = propose(household())
    client = login(people["village"])
    form = {f"evidence_{k}": v for k, v in MEETING.items()} | {"on": day(1).isoformat(), "version": 1}
    bad = client.post(f"/exits/{case.pk}/complete/", {**form, "evidence_representatives_present": 5,
                                                      "evidence_votes_for": 4})
    assert bad.status_code == 422 and "到会代表不足法定人数" in bad.content.decode()
    response = client.post(f"/exits/{case.pk}/complete/", form)
    assert response.status_code == 302
    case = ExitCase.objects.get(pk=case.pk)
    assert case.step == "verification"
    form = {f"evidence_{k}": v for k, v in VERIFY.items() if k != "criterion_housing_secure"}
    bad = client.post(f"/exits/{case.pk}/complete/", {**form, "on": day(2).isoformat()})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "住房安全有保障核实情况" in html
    response = client.post(f"/exits/{case.pk}/complete/", {**form, "evidence_criterion_housing_secure": "安全住房",
                                                           "on": day(2).isoformat()})
    assert response.status_code == 302
    page = client.get(f"/exits/{case.pk}/").content.decode()
    assert "达到退出标准" in page and "贫困户认可" in page and "签字人" in page
    assert "安全住房" in page  # the evidence in the event log
    response = client.post(f"/exits/{case.pk}/reject/", {"reject-reason": "户主不同意", "reject-on": day(3).isoformat()})
    assert response.status_code == 302
    page = client.get(f"/exits/{case.pk}/").content.decode()
    assert "贫困户不认可" in page and "未脱贫" in page


def test_a_case_out_of_scope_is_404(login, people, household, propose):
    case = propose(household())
    client = login(people["ninghua_county"])
    assert client.get(f"/exits/{case.pk}/").status_code == 404
    assert client.post(f"/exits/{case.pk}/withdraw/", {"withdraw-reason": "x", "withdraw-on": day(1)}).status_code == 404
    viewer = login(people["city"])
    assert viewer.get(f"/exits/{case.pk}/").status_code == 200  # a viewer reads …
    assert viewer.post(f"/exits/{case.pk}/withdraw/", {"withdraw-reason": "x",
                                                       "withdraw-on": day(1)}).status_code == 404  # … but acts not


def test_the_village_page_proposes_the_checked_households(login, people, household, mingxi_village):
    good, bad = household(), household(food_secure=False)
    client = login(people["village"])
    page = client.get(f"/exits/village/{mingxi_village}/?year=2016")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="propose-{good.pk}" checked' in html and f'id="propose-{bad.pk}"' in html
    assert f'id="propose-{bad.pk}" checked' not in html and "吃饭未达到不愁" in html
    response = client.post(f"/exits/village/{mingxi_village}/", {"households": [good.pk], "year": 2016,
                                                                 "on": D.isoformat()})
    assert response.status_code == 302
    case = ExitCase.objects.get(household=good)
    assert (case.year, case.step, case.started_on) == (2016, "democratic_review", D)
    page = client.get(f"/exits/village/{mingxi_village}/?year=2016").content.decode()
    assert f'id="propose-{good.pk}"' not in page
    none = client.post(f"/exits/village/{mingxi_village}/", {"year": 2016, "on": D.isoformat()})
    assert none.status_code == 422


def test_the_village_batch_page_names_blocking_households(login, people, household, mingxi_village):
    good, bad = household(), household(medical_secure=False)
    services.propose_village(actor=people["village"], village_code=mingxi_village, household_ids=[good.pk, bad.pk],
                             on=D, year=2016)
    services.advance_village(actor=people["village"], village_code=mingxi_village, step="democratic_review",
                             evidence=MEETING, on=day(1))
    client = login(people["workteam"])
    url = f"/exits/village/{mingxi_village}/verification/"
    page = client.get(url)
    assert page.status_code == 200 and 'id="batch-form"' in page.content.decode()
    response = client.post(url, {**{f"evidence_{k}": v for k, v in VERIFY.items()}, "on": day(2).isoformat()})
    html = response.content.decode()
    assert response.status_code == 422 and 'id="blocking"' in html and "基本医疗未保障" in html
    assert set(ExitCase.objects.values_list("step", flat=True)) == {"verification"}
    consent = client.get(f"/exits/village/{mingxi_village}/consent/")
    assert 'id="not-batchable"' in consent.content.decode()
    assert login(people["ninghua_county"]).get(url).status_code == 404


def test_the_lists_page_shows_both_lists(login, people, household, propose, mingxi_village):
    candidate = household()
    failing = household(housing_secure=False)
    propose(failing)
    client = login(people["county"])
    page = client.get("/exits/lists/", {"region": mingxi_village, "year": 2016})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="candidate-{candidate.pk}"' in html and f'id="candidate-{failing.pk}"' not in html
    assert f'id="failing-{failing.pk}"' in html and "住房安全未保障" in html
    assert login(people["ninghua_county"]).get("/exits/lists/", {"region": mingxi_village}).status_code == 404


def test_a_case_walked_to_the_end_shows_exited(login, people, household, propose):
    case = propose(household())
    for actor, step, on, evidence in (("village", "democratic_review", day(1), MEETING),
                                      ("workteam", "verification", day(2), VERIFY),
                                      ("village", "consent", day(3), consent_of(case)),
                                      ("village", "village_publicity", day(10), {}),
                                      ("county", "announcement", day(11), {}),
                                      ("county", "deregistration", day(12), {})):
        services.perform_step(actor=people[actor], case_id=case.pk, step=step, evidence=evidence, on=on)
    page = login(people["county"]).get(f"/exits/{case.pk}/").content.decode()
    assert "已销号(已脱贫)" in page and "已脱贫(享受政策)" in page and 'id="exited-on">2016-11-13' in page
