"""The household page's 识别与帮扶 section: the stored decision with its reasons and policy version,
identification cases, and screening hits for the roles that may see them."""

from __future__ import annotations

import pytest

from fupin.rules import services as rule_services
from fupin.testing import MINGXI, first_village, make_user_for

pytestmark = pytest.mark.django_db


def test_the_latest_decision_shows_with_its_version_and_reasons(client, make_household):
    household = make_household(members=2)
    officer = make_user_for("county", MINGXI)
    decision = rule_services.decide_household(household, actor=officer, context="test")
    client.force_login(officer)
    html = client.get(f"/households/{household.pk}/").content.decode()
    assert 'id="work"' in html
    assert f'id="decision-{decision.pk}"' in html
    assert decision.policy_version in html
    assert f"/rules/households/{household.pk}/" in html
    assert 'id="screening-hits"' in html  # county officers see the screening queue


def test_a_village_cadre_sees_no_screening_hits_section(client, make_household):
    household = make_household(members=1)
    cadre = make_user_for("village", first_village(MINGXI))
    client.force_login(cadre)
    response = client.get(f"/households/{household.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="work"' in html and 'id="screening-hits"' not in html
    assert "尚无识别判定记录" in html or "No eligibility decision" in html
