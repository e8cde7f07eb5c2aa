"""Pages of the rules app: policy in force, try a rule, runs with progress, results, a household's decisions."""

from __future__ import annotations

import re

from fupin.rules import services
from fupin.rules.models import HouseholdDecision, PathwayRun, RuleRun
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import ON
from .test_services import raise_line


def text(response) -> str:
    return response.content.decode()


def test_pages_need_a_login(client):
    for url in ("/rules/", "/rules/try/", "/rules/runs/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_policy_page_shows_version_line_and_rules(client, make_user):
    client.force_login(make_user("county", MINGXI))
    response = client.get("/rules/", {"on": "2016-06-01"})
    assert response.status_code == 200
    page = text(response)
    assert "national-2016.1" in page
    assert "2952" in page
    assert "income_per_capita &lt; poverty_line" in page
    assert "家庭成员中有财政供养人员" in page  # an exclusion label
    assert "九个一批(三明)" in page
    assert "现行政策" in page  # Chinese first
    # the transfers counted in income, by label in the registration form's order (the policy holds a set)
    assert "五保金 wubao、养老保险金 pensions、生态补偿金 ecological compensation、其他转移性收入 other transfers" in page


def test_the_policy_page_shows_a_county_override(client, make_user, db):
    raise_line(amount=3500)
    client.force_login(make_user("township", first_village(MINGXI)[:9] + "000"))
    page = text(client.get("/rules/", {"on": "2016-06-01"}))
    assert "mingxi-2016.1" in page and "3500" in page


def test_the_policy_page_of_another_county_is_404(client, make_user):
    client.force_login(make_user("county", MINGXI))
    assert client.get("/rules/", {"region": NINGHUA}).status_code == 404
    assert client.get("/rules/", {"region": "bad"}).status_code == 404


def test_try_a_rule_on_one_household(client, make_user, household):
    client.force_login(make_user("county", MINGXI))
    h = household(per_capita=2500)
    response = client.get("/rules/try/", {"household_number": h.household_number, "unit": "household",
                                          "text": "income_per_capita < poverty_line AND n_members = 3",
                                          "on": ON.isoformat()})
    assert response.status_code == 200
    page = text(response)
    assert 'id="rule-result" class="matched"' in page
    assert 'id="value-income_per_capita"' in page and "2500" in page
    assert 'id="value-n_members"' in page


def test_try_a_bad_rule_shows_the_rule_error(client, make_user, household):
    client.force_login(make_user("county", MINGXI))
    h = household()
    response = client.get("/rules/try/", {"household_number": h.household_number, "unit": "household",
                                          "text": "DROP TABLE registry_household"})
    assert response.status_code == 422
    assert 'id="rule-error"' in text(response)


def test_try_a_rule_on_an_out_of_scope_household_is_404(client, make_user, household, ninghua_village):
    client.force_login(make_user("county", MINGXI))
    h = household(village=ninghua_village)
    response = client.get("/rules/try/", {"household_number": h.household_number, "unit": "household",
                                          "text": "n_members > 0"})
    assert response.status_code == 404
    assert 'id="result"' not in text(response)


def test_run_a_scheme_from_the_page_and_drill_down(client, make_user, household, mingxi_village):
    client.force_login(make_user("county", MINGXI))
    ill = household(main_cause="1")
    household(main_cause="7", village=first_village(MINGXI, 40))
    response = client.post("/rules/pathways/", {"region_code": MINGXI, "scheme_id": "sanming9"})
    run = PathwayRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rules/pathways/{run.pk}/"
    page = text(client.get(f"/rules/pathways/{run.pk}/"))
    assert "医疗救助一批" in page and 'id="total-households">2<' in page
    # the persons of the households are 人口, as on the region pages (户数 / 人口), not 人数
    assert '<dt>户数</dt>' in page and '<dt>人口</dt><dd id="total-persons">' in page and "括号内为人口。" in page
    assert "<dt>人数</dt>" not in page and "括号内为人数" not in page
    township = mingxi_village[:9] + "000"
    assert f'id="region-{township}"' in page  # one row per township
    drilled = text(client.get(f"/rules/pathways/{run.pk}/", {"region": township}))
    assert f'id="region-{mingxi_village}"' in drilled  # its villages
    listed = text(client.get(f"/rules/pathways/{run.pk}/", {"region": township, "pathway": "medical"}))
    assert f'id="household-{ill.pk}"' in listed
    # the household's size (msgctxt "rules"), not the project's section title 家庭成员
    assert '<th class="num">人口</th>' in listed and '<th class="num">家庭成员</th>' not in listed
    client.cookies["django_language"] = "en"  # the scheme's pathways by their English label
    assert "<h2 id=\"households\">Medical aid · " in text(client.get(f"/rules/pathways/{run.pk}/",
                                                                   {"region": township, "pathway": "medical"}))
    del client.cookies["django_language"]
    progress = client.get(f"/rules/pathways/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and progress["HX-Refresh"] == "true"
    assert client.get(f"/rules/pathways/{run.pk}/", {"region": NINGHUA}).status_code == 404


def test_run_the_eligibility_set_from_the_page(client, make_user, household):
    client.force_login(make_user("county", MINGXI))
    poor = household(per_capita=2000)
    response = client.post("/rules/runs/", {"region_code": MINGXI, "mode": "eligibility"})
    run = RuleRun.objects.get()
    assert response.status_code == 302
    # the run used today's date: the latest line (2020) applies
    page = text(client.get(f"/rules/runs/{run.pk}/", {"rule": "eligible"}))
    assert f'id="household-{poor.pk}"' in page
    assert "符合识别条件" in page
    assert '<th class="num">符合识别条件</th>' in page and "eligible<" not in page  # outcomes in one language
    assert '<th class="num">年人均纯收入低于扶贫标准</th>' in page
    client.cookies["django_language"] = "en"
    english = text(client.get(f"/rules/runs/{run.pk}/"))
    assert '<th class="num">eligible</th>' in english  # the policy's rules by their English label
    assert '<th class="num">Net income per person below the poverty line</th>' in english


def test_the_run_form_names_its_radio_buttons_and_checkboxes_with_a_legend(client, make_user):
    """A RadioSelect or CheckboxSelectMultiple has no one input a <label for> can point at (Django's
    id_for_label is empty): the group is a <fieldset> named by a <legend>, each option keeps its own
    <label> (regression: <label for="">, which names nothing)."""
    client.force_login(make_user("county", MINGXI))
    for response in (client.get("/rules/runs/"),
                     client.post("/rules/runs/", {"region_code": MINGXI, "mode": "rule", "rule_text": "SELECT 1"})):
        page = text(response)
        assert 'for=""' not in page
        form = page[page.index('id="rule-run-form"'):page.index('id="scheme-run-form"')]
        assert re.search(r'<fieldset class="field[^"]*">\s*<legend>运行内容</legend>', form)
        assert re.search(r'<fieldset class="field[^"]*">\s*<legend>政策中的规则</legend>', form)
        assert '<label for="id_mode_0"><input type="radio" name="mode" value="eligibility"' in form
        assert '<label for="id_region_code">' in form  # a single input keeps its label


def test_a_bad_rule_text_is_refused_on_the_run_form(client, make_user):
    client.force_login(make_user("county", MINGXI))
    response = client.post("/rules/runs/", {"region_code": MINGXI, "mode": "rule", "rule_text": "SELECT 1"})
    assert response.status_code == 422
    assert not RuleRun.objects.exists()


def test_another_countys_runs_are_404(client, make_user, household, ninghua_village):
    household(village=ninghua_village)
    run = services.run_scheme(None, NINGHUA, "national5", on=ON)
    client.force_login(make_user("county", MINGXI))
    assert client.get(f"/rules/pathways/{run.pk}/").status_code == 404
    assert client.get(f"/rules/pathways/{run.pk}/progress/").status_code == 404
    assert f"pathway-run-{run.pk}" not in text(client.get("/rules/runs/"))
    assert client.post("/rules/pathways/", {"region_code": NINGHUA, "scheme_id": "national5"}).status_code == 422


def test_a_households_decisions_and_pathways(client, make_user, household):
    user = make_user("township", first_village(MINGXI)[:9] + "000")
    client.force_login(user)
    h = household(per_capita=2500, main_cause="1")
    services.decide_household(h, actor=user, context="democratic_review", on=ON)
    services.run_scheme(None, MINGXI, "sanming9", on=ON)
    page = text(client.get(f"/rules/households/{h.pk}/"))
    assert "符合识别条件" in page and "national-2016.1" in page
    assert 'data-rule="income_below_line"' in page
    assert 'id="stored-sanming9"' in page and 'data-pathway="medical"' in page
    assert 'id="now-sanming9"' in page
    response = client.post(f"/rules/households/{h.pk}/")
    assert response.status_code == 302
    assert HouseholdDecision.objects.filter(household=h, context="manual_check").count() == 1


def test_a_household_out_of_scope_is_404_and_viewers_cannot_decide(client, make_user, household, ninghua_village):
    other = household(village=ninghua_village)
    client.force_login(make_user("county", MINGXI))
    assert client.get(f"/rules/households/{other.pk}/").status_code == 404
    mine = household()
    client.force_login(make_user("city", "350400000000"))
    assert client.get(f"/rules/households/{mine.pk}/").status_code == 200
    assert client.post(f"/rules/households/{mine.pk}/").status_code == 404
    assert not HouseholdDecision.objects.exists()


def test_a_running_run_shows_its_progress_and_polls(client, make_user):
    user = make_user("county", MINGXI)
    client.force_login(user)
    run = services.create_rule_run(actor=user, region_code=MINGXI, eligibility=True)  # queued, not started
    page = text(client.get(f"/rules/runs/{run.pk}/"))
    assert f'hx-get="/rules/runs/{run.pk}/progress/"' in page and 'id="counts"' not in page
    response = client.get(f"/rules/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Refresh" not in response
    services.execute_rule_run(run.pk)
    response = client.get(f"/rules/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    assert 'id="counts"' in text(client.get(f"/rules/runs/{run.pk}/"))


def test_a_run_whose_process_ended_shows_as_stopped(client, make_user):
    """运行中断: a run left running by a process that ended (a restart, a kill) has no heartbeat; after four
    missed beats its page stops polling and says so, the list and the API call it stopped, and a fresh
    heartbeat keeps it running."""
    from datetime import timedelta

    from django.utils import timezone

    from fupin.api.tests.conftest import token_api
    from fupin.rules.choices import RunStatus

    user = make_user("county", MINGXI)
    client.force_login(user)
    run = services.create_rule_run(actor=user, region_code=MINGXI, eligibility=True)
    pathway = services.create_pathway_run(actor=user, region_code=MINGXI, scheme_id="national5", on=ON)
    silent_since = timezone.now() - timedelta(minutes=10)  # the default 30 s beat: stopped after 2 min
    RuleRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, heartbeat_at=silent_since, progress=50)
    PathwayRun.objects.filter(pk=pathway.pk).update(created_at=silent_since)  # queued, never started
    for url in (f"/rules/runs/{run.pk}/", f"/rules/pathways/{pathway.pk}/"):
        page = text(client.get(url))
        assert 'id="run-stalled"' in page and "已中断" in page, url
        assert "hx-get=" not in page and 'id="progress"' not in page
    response = client.get(f"/rules/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"  # a page still polling reloads into the notice
    listing = text(client.get("/rules/runs/"))
    assert listing.count("已中断") == 2
    body = token_api(client, user).get(f"/rules/runs/{run.pk}").json()
    assert (body["status"], body["stalled"], body["status_label"]) == ("running", True, "已中断 stopped")

    RuleRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())  # a beat: at work again
    page = text(client.get(f"/rules/runs/{run.pk}/"))
    assert f'hx-get="/rules/runs/{run.pk}/progress/"' in page and 'id="run-stalled"' not in page
    assert 'id="run-status">运行中<' in page


def test_a_run_beats_while_it_works(make_user, monkeypatch, settings):
    """The run writes its heartbeat when it starts and from a helper thread while it works."""
    import time

    from fupin.rules import runs

    settings.FUPIN_IMPORT_HEARTBEAT_SECONDS = 0.05
    user = make_user("county", MINGXI)
    run = services.create_rule_run(actor=user, region_code=MINGXI, eligibility=True)
    beats = []
    real_beat = runs._beat
    monkeypatch.setattr(runs, "_beat", lambda model, pk: beats.append(pk) or real_beat(model, pk))
    real_groups = runs.frames.view_groups

    def slow_groups(*args, **kwargs):
        assert RuleRun.objects.get(pk=run.pk).heartbeat_at is not None  # written with the status
        time.sleep(0.3)
        return real_groups(*args, **kwargs)

    monkeypatch.setattr(runs.frames, "view_groups", slow_groups)
    done = services.execute_rule_run(run.pk)
    assert done.status == "done" and not done.stalled() and done.status_label == "已完成 done"
    assert beats and set(beats) == {run.pk}
