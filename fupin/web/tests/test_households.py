"""The household list (户查询, with its htmx partial) and the household page (贫困户详情)."""

import pytest

from fupin.policy.idnumber import mask_id_number
from fupin.registry import services
from fupin.testing import MINGXI, NINGHUA, system_actor

from .conftest import CITY
from .helpers import text

ROW = '<td><a href="/households/{pk}/">{number}</a></td>'


def row(h) -> str:
    return ROW.format(pk=h.pk, number=h.household_number)


# ---- list ------------------------------------------------------------------------------------


def test_list_anonymous_goes_to_login(client, db):
    response = client.get("/households/?q=x")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/households/%3Fq%3Dx"


def test_list_shows_only_households_in_scope(client, login, mingxi_household, ninghua_household):
    login("county", MINGXI)
    response = client.get("/households/")
    body = text(response)
    assert response.status_code == 200
    assert '<p class="muted" id="result-count">共1户</p>' in body
    assert row(mingxi_household) in body
    assert row(ninghua_household) not in body
    # asking for the other county by filter gives nothing, not an error
    body = text(client.get(f"/households/?region={NINGHUA}"))
    assert '<p class="muted" id="result-count">共0户</p>' in body
    assert "宁化县" not in body
    assert row(ninghua_household) not in body


def test_list_columns(client, login, make_household, mingxi_village):
    h = make_household(mingxi_village, members=2, category="3", category_form_version="2014", main_cause="5",
                       poverty_status="3")
    login("county", MINGXI)
    body = text(client.get("/households/"))
    start = body.index(row(h))
    cells = body[start: body.index("</tr>", start)]
    assert cells == (
        f'{row(h)}\n      <td>{h.head_name}</td>\n      <td>城东居委会</td>\n      <td class="num">2</td>\n'
        '      <td>低保户</td>\n      <td>缺土地</td>\n      <td>返贫</td>\n      <td class="num">3750.00</td>\n    '
    )


def test_list_in_english(client, login, mingxi_household):
    login("county", MINGXI)
    client.cookies["django_language"] = "en"
    body = text(client.get("/households/"))
    assert "<td>Ordinary poor household</td>" in body
    assert "<td>Illness</td>" in body
    assert "<td>Not exited</td>" in body
    assert '<p class="muted" id="result-count">1 household</p>' in body


def test_city_and_evaluator_can_list(client, login, mingxi_household, ninghua_household):
    login("evaluator", CITY)
    body = text(client.get("/households/"))
    assert row(mingxi_household) in body and row(ninghua_household) in body
    assert 'href="/households/new/"' not in body


@pytest.mark.parametrize("query,expected", [
    ("q={name}", True), ("q={id_number}", True), ("q={number}", True), ("q=nobody", False),
    ("region={village}", True), ("region=350421", True), ("region=350421101", False),
    ("status=left", False), ("status=all", True), ("poverty_status=0", True), ("poverty_status=1", False),
    ("cause=1", True), ("cause=2", False), ("category=2016:1", True), ("category=2016:2", False),
    ("category=2014:1", False),
])
def test_filters(client, login, mingxi_household, mingxi_village, query, expected):
    member = mingxi_household.members.order_by("pk").last()
    login("county", MINGXI)
    url = "/households/?" + query.format(name=member.name, id_number=member.id_number,
                                         number=mingxi_household.household_number, village=mingxi_village)
    body = text(client.get(url))
    assert (row(mingxi_household) in body) is expected
    assert ("共1户" if expected else "共0户") in body


def test_left_households_are_listed_with_status_left(client, login, mingxi_household):
    services.household_leaves(actor=system_actor(), household_id=mingxi_household.pk, reason="moved",
                              comment="整户迁出")
    login("county", MINGXI)
    assert row(mingxi_household) not in text(client.get("/households/"))
    body = text(client.get("/households/?status=left"))
    assert row(mingxi_household) in body
    assert '<span class="tag">已注销</span>' in body


def test_bad_region_filter_shows_the_error(client, login, mingxi_household):
    login("county", MINGXI)
    body = text(client.get("/households/?region=12345"))
    assert "区划代码: 区划代码应为2、4、6、9或12位数字" in body
    assert "共0户" in body


def test_paging_50_per_page(client, login, make_household, mingxi_village):
    made = [make_household(mingxi_village, members=1) for _ in range(51)]
    login("county", MINGXI)
    first = text(client.get("/households/"))
    assert first.count('<td><a href="/households/') == 50
    assert "第1页,共2页" in first
    assert '<a href="?page=2" hx-get="?page=2">下一页 →</a>' in first
    second = text(client.get("/households/?page=2"))
    assert second.count('<td><a href="/households/') == 1
    assert row(made[-1]) in second


def test_htmx_request_gets_the_results_partial(client, login, mingxi_household):
    member = mingxi_household.members.get(relation="01")
    login("county", MINGXI)
    response = client.get(f"/households/?q={member.name}", headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert "<form" not in body
    assert body.startswith('\n<p class="muted" id="result-count">共1户</p>')
    assert row(mingxi_household) in body
    assert "HX-Request" in response["Vary"]
    # a history restore asks for the whole page
    full = text(client.get("/households/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}))
    assert full.startswith("<!doctype html>")


def test_htmx_partial_is_scoped_too(client, login, ninghua_household):
    login("county", MINGXI)
    body = text(client.get(f"/households/?q={ninghua_household.household_number}", headers={"HX-Request": "true"}))
    assert "共0户" in body
    assert row(ninghua_household) not in body


def test_filter_form_uses_htmx(client, login):
    login("county", MINGXI)
    body = text(client.get("/households/"))
    assert 'hx-get="/households/" hx-target="#results" hx-push-url="true"' in body


# ---- detail ----------------------------------------------------------------------------------


def test_detail_anonymous_goes_to_login(client, mingxi_household):
    response = client.get(f"/households/{mingxi_household.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/households/{mingxi_household.pk}/"


def test_detail_out_of_scope_is_404(client, login, ninghua_household):
    login("county", MINGXI)
    assert client.get(f"/households/{ninghua_household.pk}/").status_code == 404
    assert client.get("/households/999999/").status_code == 404


def test_detail_shows_registration_data(client, login, make_household, mingxi_village):
    h = make_household(mingxi_village, members=2, phone="13900001111", bank_name="明溪农商行",
                       bank_account="6228480012345678", other_cause_1="7", other_cause_2="9", is_only_child=True,
                       dilapidated_grade="C", fuel_type="1", road_type="3")
    login("county", MINGXI)
    body = text(client.get(f"/households/{h.pk}/"))
    for fragment in (
        '<dd id="phone">13900001111</dd>',
        '<dd id="bank-account">6228480012345678</dd>',
        '<dd id="category">一般贫困户 (2016版)</dd>',
        '<dd id="main-cause">因病</dd>',
        "<dt>其他致贫原因</dt><dd>缺技术、缺资金</dd>",
        "<dt>独生子女户</dt><dd>是</dd>",
        "<dt>双女户</dt><dd>否</dd>",
        "<dt>危房等级</dt><dd>C级危房</dd>",
        "<dt>主要燃料类型</dt><dd>柴草</dd>",
        "<dt>入户路类型</dt><dd>水泥路</dd>",
        '<dd id="income-net"><strong>7500.00</strong></dd>',
        '<dd id="income-per-capita"><strong>3750.00</strong></dd>',
        '<dd id="poverty-status">未脱贫</dd>',
        f'<a class="button" href="/households/{h.pk}/edit/">修改</a>',
        f'href="/households/{h.pk}/members/new/"',
        f'href="/households/{h.pk}/history/"',
    ):
        assert fragment in body
    head = h.members.get(relation="01")
    sex = {"1": "男", "2": "女"}[head.sex]
    assert f'<tr id="member-{head.pk}">\n      <td>{head.name}</td>\n      <td>{sex}</td>' in body
    assert f'<td class="id-number">{head.id_number}</td>' in body
    assert f'href="/members/{head.pk}/edit/"' in body


@pytest.mark.parametrize("role,region", [("city", CITY), ("evaluator", MINGXI), ("province", "350000000000")])
def test_viewers_see_masked_ids_and_no_edit_links(client, login, make_household, mingxi_village, role, region):
    h = make_household(mingxi_village, members=2, bank_account="6228480012345678")
    login(role, region)
    body = text(client.get(f"/households/{h.pk}/"))
    for m in h.members.all():
        masked = mask_id_number(m.id_number)
        assert masked == "3504**********" + m.id_number[-4:]
        assert f'<td class="id-number">{masked}</td>' in body
        assert m.id_number not in body
    assert '<dd id="bank-account">************5678</dd>' in body
    assert "6228480012345678" not in body
    assert "/edit/" not in body
    assert "/members/new/" not in body
    assert "/history/" not in body


def test_county_sees_full_ids(client, login, mingxi_household):
    login("county", MINGXI)
    body = text(client.get(f"/households/{mingxi_household.pk}/"))
    for m in mingxi_household.members.all():
        assert f'<td class="id-number">{m.id_number}</td>' in body


def test_left_members_are_listed_apart(client, login, mingxi_household):
    child = mingxi_household.members.exclude(relation="01").first()
    services.member_leaves(actor=system_actor(), member_id=child.pk, reason="death", comment="病故")
    login("county", MINGXI)
    body = text(client.get(f"/households/{mingxi_household.pk}/"))
    assert '<h2>已减少成员 <small class="muted">(1)</small></h2>' in body
    assert "<td>已注销: 死亡 (病故)</td>" in body
    assert '<h2 id="members-title">家庭成员 <small class="muted">(2)</small></h2>' in body


def test_the_households_nav_link_is_marked_on_the_households_page_only(client, login, mingxi_household):
    login("county", MINGXI)
    active = '<a href="/households/" class="active">'
    assert active in text(client.get("/households/"))
    # the yearly review's flow drill-down is also named "households", in its own namespace
    other = text(client.get(f"/review/flows/households/?region={MINGXI}&kind=exited"))
    assert active not in other and '<a href="/households/">' in other
