"""The region page (区划页): figures, children, breadcrumbs, scope."""

import pytest

from fupin.regions.models import Region
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA

from .conftest import CITY
from .helpers import text


@pytest.fixture
def two_counties(make_household, mingxi_village, ninghua_village):
    """明溪县: 1 household of 3 (not exited). 宁化县: 2 households of 4 and 5, the second exited."""
    make_household(mingxi_village, members=3)
    make_household(ninghua_village, members=4)
    make_household(ninghua_village, members=5, poverty_status="1", exit_year=2016)


def figures(body: str) -> dict[str, str]:
    out = {}
    for key in ("households", "persons", "poor-households", "poor-persons", "incidence"):
        start = body.index(f'<dd id="fig-{key}">') + len(f'<dd id="fig-{key}">')
        out[key] = body[start:body.index("</dd>", start)]
    return out


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(f"/regions/{MINGXI}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/regions/{MINGXI}/"


def test_county_sees_own_county_figures_only(client, login, two_counties):
    login("county", MINGXI)
    response = client.get(f"/regions/{MINGXI}/")
    assert response.status_code == 200
    body = text(response)
    assert figures(body) == {"households": "1", "persons": "3", "poor-households": "1", "poor-persons": "3",
                             "incidence": "—"}
    assert "<h1>明溪县 <small class=\"muted\">县 · 350421000000</small></h1>" in body
    # children are 明溪县's townships only; 宁化县's numbers (2 households, 9 persons) appear nowhere
    codes = [c.code for c in Region.objects.filter(parent_id=MINGXI)]
    assert body.count('<tr data-code="') == len(codes)
    assert '<tr data-code="350424' not in body
    assert "宁化县" not in body
    assert '<td class="num">9</td>' not in body
    assert '<td class="num">2</td>' not in body


def test_breadcrumbs_link_only_regions_in_scope(client, login, mingxi_village):
    login("county", MINGXI)
    body = text(client.get(f"/regions/{mingxi_village}/"))
    assert ('<ol class="breadcrumbs"><li><span>福建省</span></li><li><span>三明市</span></li>'
            '<li><a href="/regions/350421000000/">明溪县</a></li>'
            '<li><a href="/regions/350421100000/">雪峰镇</a></li></ol>') in body


def test_city_sees_both_counties(client, login, two_counties):
    login("city", CITY)
    body = text(client.get(f"/regions/{CITY}/"))
    assert figures(body) == {"households": "3", "persons": "12", "poor-households": "2", "poor-persons": "7",
                             "incidence": "—"}
    mingxi_row = body[body.index(f'<tr data-code="{MINGXI}">'):]
    mingxi_row = mingxi_row[: mingxi_row.index("</tr>")]
    assert ('<td class="num">1</td><td class="num">3</td>\n      <td class="num">1</td><td class="num">3</td>'
            in mingxi_row)
    ninghua_row = body[body.index(f'<tr data-code="{NINGHUA}">'):]
    ninghua_row = ninghua_row[: ninghua_row.index("</tr>")]
    assert ('<td class="num">2</td><td class="num">9</td>\n      <td class="num">1</td><td class="num">4</td>'
            in ninghua_row)


def test_incidence_uses_the_rural_population(client, login, two_counties):
    Region.objects.filter(code=MINGXI).update(rural_population=300)
    login("county", MINGXI)
    assert figures(text(client.get(f"/regions/{MINGXI}/")))["incidence"] == "1.00%"


@pytest.mark.parametrize("code", [CITY, NINGHUA, "350424100000", "350000000000"])
def test_out_of_scope_is_404(client, login, two_counties, code):
    login("county", MINGXI)
    assert client.get(f"/regions/{code}/").status_code == 404


@pytest.mark.parametrize("raw,full", [("350421", MINGXI), ("350421100", MINGXI_TOWNSHIP), ("3504", CITY)])
def test_prefix_codes_redirect_to_12_digits(client, login, raw, full):
    login("city", CITY)
    response = client.get(f"/regions/{raw}/")
    assert response.status_code == 302
    assert response["Location"] == f"/regions/{full}/"


@pytest.mark.parametrize("raw", ["abc", "35042", "3504210000001", "999999999999"])
def test_bad_or_unknown_codes_are_404(client, login, raw):
    login("city", CITY)
    assert client.get(f"/regions/{raw}/").status_code == 404


def test_village_page_lists_its_households(client, login, make_household, mingxi_village):
    h1 = make_household(mingxi_village, members=2)
    h2 = make_household(mingxi_village, members=1, main_cause="2")
    login("village", mingxi_village)
    body = text(client.get(f"/regions/{mingxi_village}/"))
    assert figures(body)["households"] == "2"
    assert body.count('<table class="households">') == 1
    assert f'<a href="/households/{h1.pk}/">{h1.household_number}</a>' in body
    assert f'<a href="/households/{h2.pk}/">{h2.household_number}</a>' in body
    assert "<td>因残</td>" in body
    assert f'href="/households/?region={mingxi_village}"' in body
    assert f'href="/households/new/?village={mingxi_village}"' in body


def test_township_rows_link_villages_to_the_filtered_list(client, login, mingxi_village):
    login("township", MINGXI_TOWNSHIP)
    body = text(client.get(f"/regions/{MINGXI_TOWNSHIP}/"))
    assert f'<td><a href="/households/?region={mingxi_village}">贫困户</a></td>' in body
