"""Regions (行政区划): the tree and one region's figures, only inside the user's region."""

from __future__ import annotations

import pytest

from fupin.api.errors import NOT_FOUND
from fupin.regions.models import Region
from fupin.testing import MINGXI, NINGHUA, first_village

SANMING = "350400000000"
XUEFENG = "350421100000"  # 雪峰镇, 明溪县
MINGXI_TOWNSHIPS = ["350421100000", "350421101000", "350421102000", "350421103000", "350421200000",
                    "350421201000", "350421202000", "350421203000", "350421204000"]


def _count(node):
    return 1 + sum(_count(c) for c in node["children"])


def test_tree_defaults_to_the_users_region_two_levels_down(api_as, django_assert_num_queries):
    api = api_as("county", MINGXI)
    with django_assert_num_queries(3):  # token, last use, the tree
        response = api.get("/regions/tree")
    assert response.status_code == 200
    tree = response.json()
    assert {k: tree[k] for k in ("code", "name", "level", "level_label")} == {
        "code": MINGXI, "name": "明溪县", "level": 3, "level_label": "县"}
    assert [t["code"] for t in tree["children"]] == MINGXI_TOWNSHIPS
    xuefeng = tree["children"][0]
    assert xuefeng["name"] == "雪峰镇"
    assert [v["code"] for v in xuefeng["children"]][:3] == ["350421100001", "350421100002", "350421100003"]
    assert xuefeng["children"][0] == {"code": "350421100001", "name": "城东居委会", "level": 5,
                                      "level_label": "村", "is_poor_village": False, "children": []}
    assert _count(tree) == Region.objects.filter(code__startswith="350421").count() == 106


def test_tree_root_and_depth(api_as):
    api = api_as("county", MINGXI)
    shallow = api.get("/regions/tree", {"depth": 1}).json()
    assert [t["children"] for t in shallow["children"]] == [[]] * 9
    assert api.get("/regions/tree", {"depth": 0}).json()["children"] == []
    township = api.get("/regions/tree", {"root": "350421100"}).json()  # 9-digit prefix form
    assert township["code"] == XUEFENG
    assert len(township["children"]) == 8


def test_city_viewer_tree(api_as):
    tree = api_as("city", SANMING).get("/regions/tree", {"depth": 1}).json()
    assert tree["code"] == SANMING
    assert len(tree["children"]) == 11
    assert {MINGXI, NINGHUA} <= {c["code"] for c in tree["children"]}


@pytest.mark.parametrize("root", [NINGHUA, "350424", SANMING, "35", "350421999999"])
def test_tree_out_of_scope_or_unknown_root_is_404(api_as, root):
    response = api_as("county", MINGXI).get("/regions/tree", {"root": root})
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


@pytest.mark.parametrize(("params", "field"), [({"root": "35042"}, "root"), ({"root": "abc"}, "root"),
                                               ({"depth": 5}, "depth"), ({"depth": -1}, "depth")])
def test_tree_bad_parameters_are_422(api_as, params, field):
    response = api_as("county", MINGXI).get("/regions/tree", params)
    assert response.status_code == 422
    assert list(response.json()["field_errors"]) == [field]


def test_user_without_a_role_sees_no_region(api_as):
    api = api_as("nobody", MINGXI)
    assert api.get("/regions/tree").status_code == 404
    assert api.get(f"/regions/{MINGXI}").status_code == 404


def test_region_detail_with_figures(api_as, make_household):
    v1, v2 = first_village(MINGXI), first_village(MINGXI, 1)
    make_household(v1, members=3)
    make_household(v2, members=2, poverty_status="1", exit_year=2016)
    make_household(first_village(NINGHUA), members=5)
    Region.objects.filter(code=MINGXI).update(rural_population=600)

    response = api_as("evaluator", MINGXI).get("/regions/350421")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("code", "name", "level", "level_label", "parent_code", "rural_population")} == {
        "code": MINGXI, "name": "明溪县", "level": 3, "level_label": "县", "parent_code": SANMING,
        "rural_population": 600}
    assert [a["name"] for a in body["ancestors"]] == ["福建省", "三明市"]
    assert body["figures"] == {
        "code": MINGXI, "name": "明溪县", "level": 3, "households": 2, "persons": 5, "poor_households": 1,
        "poor_persons": 3, "rural_population": 600, "incidence_rate": "0.50", "is_poor_village": False}
    assert [c["code"] for c in body["children"]] == MINGXI_TOWNSHIPS
    assert (body["children"][0]["households"], body["children"][0]["persons"]) == (2, 5)
    assert sum(c["persons"] for c in body["children"]) == 5


def test_city_sees_both_counties_figures(api_as, make_household):
    make_household(first_village(MINGXI), members=3)
    make_household(first_village(NINGHUA), members=5)
    body = api_as("city", SANMING).get(f"/regions/{SANMING}").json()
    assert (body["figures"]["households"], body["figures"]["persons"]) == (2, 8)
    by_code = {c["code"]: c for c in body["children"]}
    assert (by_code[MINGXI]["persons"], by_code[NINGHUA]["persons"]) == (3, 5)


@pytest.mark.parametrize("code", [NINGHUA, "350424", SANMING, "3504", "350000000000", "350421999999", "abc",
                                  "3504211"])
def test_region_out_of_scope_unknown_or_malformed_is_404(api_as, make_household, code):
    make_household(first_village(NINGHUA), members=5)
    response = api_as("county", MINGXI).get(f"/regions/{code}")
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert "宁化" not in response.content.decode()
