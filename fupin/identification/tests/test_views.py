"""Pages of the identification procedure: scope (404 outside), roles, refusals shown on the page, the
village batch, the new application form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fupin.identification.models import IdentificationCase, ProcedureEvent
from fupin.registry.models import Household
from fupin.testing import next_id_number

from .conftest import MEETING, day

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def case_url(case) -> str:
    return reverse("identification:case", args=[case.pk])


def act_url(case, action: str) -> str:
    return reverse("identification:act", args=[case.pk, action])


def step_post(evidence: dict, on, **extra) -> dict:
    return {**{f"evidence_{k}": v for k, v in evidence.items()}, "on": on.isoformat(), "comment": "", **extra}


def test_anonymous_is_sent_to_login(client, apply):
    case = apply()
    for url in (reverse("identification:list"), case_url(case), reverse("identification:new")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_shows_the_cases_in_scope_only(client, apply, people, ninghua_village, make_user):
    mine = apply()
    theirs = apply(ninghua_village, actor=make_user("village", ninghua_village))
    client.force_login(people["county"])
    response = client.get(reverse("identification:list"))
    assert response.status_code == 200
    body = text(response)
    assert f'id="case-{mine.pk}"' in body and f'id="case-{theirs.pk}"' not in body
    assert "民主评议" in body and "识别程序" in body
    assert f'id="batch-{mine.village_code}-democratic_review"' in body
    client.force_login(people["ninghua_county"])
    assert client.get(case_url(mine)).status_code == 404
    assert client.get(case_url(theirs)).status_code == 200


def test_list_filters_by_step(client, apply, people):
    a, b = apply(), apply()
    from fupin.identification import services

    services.perform_step(actor=people["village"], case_id=a.pk, step="democratic_review", evidence=MEETING,
                          on=day(1))
    client.force_login(people["township"])
    body = text(client.get(reverse("identification:list"), {"step": "first_publicity"}))
    assert f'id="case-{a.pk}"' in body and f'id="case-{b.pk}"' not in body
    assert ">办理中</option>" in body and "in progress" not in body  # the status filter in the page's language


def test_case_page_shows_the_form_of_the_current_step_to_the_right_role(client, apply, people):
    case = apply()
    client.force_login(people["village"])
    body = text(client.get(case_url(case)))
    assert 'id="step-form"' in body and "实到代表人数" in body and 'id="reject-form"' in body
    client.force_login(people["county"])  # the county does not perform the village's review
    body = text(client.get(case_url(case)))
    assert 'id="step-form"' not in body and 'id="not-yours"' in body
    client.force_login(people["city"])  # a viewer sees the case and no form at all
    body = text(client.get(case_url(case)))
    assert 'id="step-form"' not in body and 'id="withdraw-form"' not in body and "农户申请" in body


def test_completing_a_step_on_the_page_shows_the_decision(client, apply, people):
    case = apply()
    client.force_login(people["village"])
    response = client.post(act_url(case, "complete"), step_post(MEETING, day(1), version=1))
    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.step == "first_publicity"
    body = text(client.get(case_url(case)))
    assert 'id="decision"' in body and "national-" in body and 'class="decision-reasons"' in body
    assert 'id="publicity-ends"' in body and "2024-03-09" in body


def test_a_refused_step_is_shown_with_its_message_and_nothing_changes(client, apply, people):
    case = apply()
    client.force_login(people["village"])
    response = client.post(act_url(case, "complete"),
                           step_post(MEETING | {"representatives_present": 10, "votes_for": 6}, day(1)))
    assert response.status_code == 422
    body = text(response)
    assert "到会代表不足法定人数" in body and "至少需20人到会" in body
    assert IdentificationCase.objects.get(pk=case.pk).step == "democratic_review"
    assert ProcedureEvent.objects.filter(case=case).count() == 1


def test_wrong_role_is_refused_on_the_page(client, apply, people):
    case = apply()
    client.force_login(people["county"])
    response = client.post(act_url(case, "complete"), step_post(MEETING, day(1)))
    assert response.status_code == 422
    assert "县扶贫办不能办理「民主评议」" in text(response)
    assert IdentificationCase.objects.get(pk=case.pk).version == 1


def test_out_of_scope_and_viewer_writes_are_404(client, apply, people):
    case = apply()
    for user in (people["ninghua_county"], people["city"]):
        client.force_login(user)
        assert client.post(act_url(case, "complete"), step_post(MEETING, day(1))).status_code == 404
        assert client.post(act_url(case, "withdraw"), {"withdraw-reason": "x", "withdraw-on": "2024-03-02"}
                           ).status_code == 404
    client.force_login(people["village"])
    assert client.post(act_url(case, "nonsense"), {}).status_code == 404
    assert IdentificationCase.objects.get(pk=case.pk).version == 1


def test_objection_and_resolution_on_the_page(client, apply, people):
    from fupin.identification import services

    case = apply()
    services.perform_step(actor=people["village"], case_id=case.pk, step="democratic_review", evidence=MEETING,
                          on=day(1))
    client.force_login(people["township"])
    response = client.post(act_url(case, "object"), {"object-raised_by": "村民乙", "object-text": "家有货车",
                                                     "object-on": day(2).isoformat()})
    assert response.status_code == 302
    objection = case.objections.get()
    body = text(client.get(case_url(case)))
    assert f'id="resolve-form-{objection.pk}"' in body and "家有货车" in body
    response = client.post(act_url(case, "complete"), step_post({}, day(9)))
    assert response.status_code == 422 and "有1条异议未处理" in text(response)
    response = client.post(act_url(case, "resolve"), {
        "objection_id": objection.pk, f"resolve-{objection.pk}-objection": objection.pk,
        f"resolve-{objection.pk}-resolution": "货车为借用 / borrowed", f"resolve-{objection.pk}-on": day(3).isoformat()})
    assert response.status_code == 302
    assert client.post(act_url(case, "complete"), step_post({}, day(9))).status_code == 302
    case.refresh_from_db()
    assert case.step == "township_review"


def test_village_batch_page_moves_the_whole_list(client, apply, people, mingxi_village):
    a, b = apply(), apply()
    url = reverse("identification:village", args=[mingxi_village, "democratic_review"])
    client.force_login(people["village"])
    body = text(client.get(url))
    assert f'id="batch-case-{a.pk}"' in body and f'id="batch-case-{b.pk}"' in body and 'id="batch-button"' in body
    response = client.post(url, step_post(MEETING | {"representatives_present": 3}, day(1)))
    assert response.status_code == 422
    body = text(response)
    assert 'id="blocking"' in body and a.household.household_number in body and b.household.household_number in body
    assert set(IdentificationCase.objects.values_list("step", flat=True)) == {"democratic_review"}
    response = client.post(url, step_post(MEETING, day(1)))
    assert response.status_code == 302
    assert set(IdentificationCase.objects.values_list("step", flat=True)) == {"first_publicity"}
    assert set(ProcedureEvent.objects.filter(step="democratic_review").values_list("batch", flat=True)) != {""}


def test_village_batch_out_of_scope_is_404(client, apply, people, mingxi_village):
    apply()
    url = reverse("identification:village", args=[mingxi_village, "democratic_review"])
    client.force_login(people["ninghua_county"])
    assert client.get(url).status_code == 404
    assert client.post(url, step_post(MEETING, day(1))).status_code == 404
    client.force_login(people["city"])
    assert client.get(url).status_code == 200  # a viewer sees the list ...
    assert 'id="batch-button"' not in text(client.get(url))
    assert client.post(url, step_post(MEETING, day(1))).status_code == 404  # ... and cannot move it


def test_new_application_form(client, people, mingxi_village):
    client.force_login(people["city"])
    assert client.get(reverse("identification:new")).status_code == 404
    client.force_login(people["workteam"])
    response = client.get(reverse("identification:new"))
    assert response.status_code == 200 and 'id="application-form"' in text(response)
    data = {
        "village": mingxi_village, "identification_standard": "1", "category": "2016:1", "main_cause": "5",
        "poverty_status": "0", "identification_year": "2024", "income_wage": "900",
        "application-on": day(0).isoformat(), "application-applicant": "", "application-procedure": "",
        "application-comment": "本人申请",
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "20", "members-0-name": "申请人甲", "members-0-id_number": next_id_number(),
        "members-0-relation": "01", "members-0-ethnicity": "01", "members-0-schooling": "1",
        "members-0-health": "1", "members-0-labour_skill": "1", "members-0-migrant_months": "0",
        "members-0-has_medical_insurance": "on",
    }
    response = client.post(reverse("identification:new"), data)
    assert response.status_code == 302, text(response)[:3000]
    case = IdentificationCase.objects.get()
    assert response["Location"] == case_url(case)
    h = Household.objects.get(pk=case.household_id)
    assert (h.status, h.head_name, h.village_code) == ("applicant", "申请人甲", mingxi_village)
    assert case.events.get().evidence == {"applicant": "申请人甲", "applied_on": "2024-03-01"}
    assert case.events.get().comment == "本人申请"


def test_new_application_refused_in_another_county(client, people, ninghua_village):
    client.force_login(people["county"])
    response = client.post(reverse("identification:new"), {"village": ninghua_village})
    assert response.status_code == 422  # the village is not offered to a 明溪县 officer
    assert not Household.objects.exists()


def test_list_keyword_and_status_filters(client, apply, people):
    a, b = apply(), apply()
    from fupin.identification import services

    services.withdraw(actor=people["village"], case_id=b.pk, reason="撤回", on=day(1))
    client.force_login(people["county"])
    body = text(client.get(reverse("identification:list"), {"q": a.household.household_number}))
    assert f'id="case-{a.pk}"' in body and f'id="case-{b.pk}"' not in body
    body = text(client.get(reverse("identification:list"), {"status": "withdrawn"}))
    assert f'id="case-{b.pk}"' in body and f'id="case-{a.pk}"' not in body and "已撤回" in body
    body = text(client.get(reverse("identification:list"), {"status": "all"}))
    assert f'id="case-{a.pk}"' in body and f'id="case-{b.pk}"' in body


def test_application_form_labels_the_applicant_as_a_person_not_a_status(client, people):
    """"Applicant" is 申请中 (a household status) in the project catalog; the form field is the person who
    applies, so it is translated in the "identification" context (申请人)."""
    client.force_login(people["workteam"])
    body = text(client.get(reverse("identification:new")))
    label = re.search(r'<label[^>]*for="id_application-applicant"[^>]*>(.*?)</label>', body, re.S)
    assert label is not None, body[:3000]
    assert "申请人" in label.group(1) and "申请中" not in label.group(1)
