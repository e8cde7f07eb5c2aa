"""The labels of the form pages: every <label for> names an element of the page, a group of radio buttons or
checkboxes is a <fieldset> named by its <legend> (web/includes/field.html), and aria-describedby points at
text that is there (the help text, the errors)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fupin.testing import MINGXI

#: Pages with forms, reachable with a user and a household (pages of one object get the household's pk).
PAGES = ("web:households", "web:household_create", "rules:policy", "rules:try", "rules:runs", "identification:list",
         "identification:new", "screening:queue", "screening:lists", "screening:runs", "pairing:coverage",
         "pairing:helpers", "pairing:teams", "pairing:places", "assistance:home", "assistance:overdue", "exits:list",
         "exits:lists", "review:list", "monitoring:list", "monitoring:new", "monitoring:runs", "monitoring:data",
         "monitoring:policy", "imports:list")
HOUSEHOLD_PAGES = ("web:household", "web:household_edit", "monitoring:household")
#: The groups (RadioSelect, CheckboxSelectMultiple) the pages above must show as fieldsets.
GROUPS = {"rules:runs": ["运行内容", "政策中的规则"], "monitoring:new": ["风险类型"], "monitoring:household": ["风险类型"],
          "imports:list": ["导入方式"]}

FIELDSET = re.compile(r'<fieldset class="field[^"]*"[^>]*>\s*(<legend>(.*?)</legend>)?', re.S)


def problems(body: str) -> list[str]:
    found = []
    ids = set(re.findall(r'\sid="([^"]*)"', body))
    if 'for=""' in body:
        found.append('an empty <label for="">')
    found += [f"<label for={target!r}> names nothing" for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', body)
              if target not in ids]
    found += [f"aria-describedby {target!r} is not on the page"
              for value in re.findall(r'aria-describedby="([^"]*)"', body) for target in value.split() if target not in ids]
    found += ["a group without a <legend>" for legend, _ in FIELDSET.findall(body) if not legend]
    return found


def legends(body: str) -> list[str]:
    return [text.strip() for _, text in FIELDSET.findall(body)]


@pytest.mark.parametrize("role", ["county", "township", "village"])
def test_form_pages_have_labels_that_name_something(client, login, mingxi_village, mingxi_household, role):
    login(role, {"county": MINGXI, "township": mingxi_village[:9] + "000", "village": mingxi_village}[role])
    urls = {name: reverse(name) for name in PAGES}
    urls.update({name: reverse(name, args=[mingxi_household.pk]) for name in HOUSEHOLD_PAGES})
    seen = 0
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code == 404:  # not for this role (screening is for county and township)
            continue
        assert response.status_code == 200, url
        seen += 1
        body = response.content.decode()
        assert problems(body) == [], url
        for label in GROUPS.get(name, []):
            assert label in legends(body), (url, label)
    assert seen >= len(urls) - 3


def test_the_login_page(client):
    body = client.get(reverse("web:login")).content.decode()
    assert problems(body) == [] and '<label for="id_username">' in body


def test_problems_are_found():
    """The checks above can fail: the markup of the old field include."""
    assert problems('<label for="">风险类型</label><div id="id_causes"></div>') == ['an empty <label for="">']
    assert problems('<fieldset class="field"><div id="x"></div></fieldset>') == ["a group without a <legend>"]
    assert problems('<label for="id_a">A</label><input aria-describedby="id_a_helptext" id="id_a">') == [
        "aria-describedby 'id_a_helptext' is not on the page"]
