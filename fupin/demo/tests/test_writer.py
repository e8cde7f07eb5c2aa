"""Storing the demo registry and the demo users (database)."""

import io
import time

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from fupin.core.models import ChangeRecord
from fupin.demo import plan
from fupin.demo.users import DEMO_PASSWORD, ensure_demo_users
from fupin.demo.writer import POPULATION_SOURCE, demo_present, generate_demo
from fupin.policy import roles
from fupin.policy.idnumber import validate_id_number
from fupin.policy.income import IncomeLines, compute_income_per_capita
from fupin.policy.regions import LEVEL_FIELD, ancestor_codes
from fupin.regions.models import Region
from fupin.registry.models import Household, Member

SMALL = plan.scaled_targets(250)


@pytest.fixture
def demo(db):
    return generate_demo(seed=3, targets=SMALL)


def test_totals_per_county_are_exact(demo):
    for target, result in zip(SMALL, demo, strict=True):
        households = Household.objects.filter(county_code=target.code)
        assert households.aggregate(s=Sum("size"))["s"] == target.persons == result.persons
        assert Member.objects.filter(household__county_code=target.code).count() == target.persons
        exited = households.filter(poverty_status="1")
        assert exited.aggregate(s=Sum("size"))["s"] == target.exited_2014 == result.exited_persons
        assert not exited.exclude(exit_year=2014).exists()


def test_stored_households_are_consistent(demo):
    households = list(Household.objects.annotate(n=Count("members")))
    heads = dict(Member.objects.filter(relation="01").values("household_id").annotate(n=Count("id"))
                 .values_list("household_id", "n"))
    head_names = dict(Member.objects.filter(relation="01").values_list("household_id", "name"))
    numbers = set()
    for h in households:
        assert h.n == h.size
        assert heads[h.pk] == 1
        assert h.head_name == head_names[h.pk]
        assert h.version == 1 and h.status == "active"
        for level, code in ancestor_codes(h.village_id).items():
            assert getattr(h, LEVEL_FIELD[level]) == code
        assert h.household_number.startswith(h.village_code) and len(h.household_number) == 17
        numbers.add(h.household_number)
        lines = IncomeLines(
            wage=h.income_wage, business=h.income_business, property=h.income_property,
            transfer_dibao=h.transfer_dibao, transfer_wubao=h.transfer_wubao, transfer_pension=h.transfer_pension,
            transfer_eco=h.transfer_eco, transfer_other=h.transfer_other, business_expense=h.business_expense)
        result = compute_income_per_capita(lines, h.size)
        assert (h.income_net, h.income_per_capita) == (result.net_income, result.per_capita)
    assert len(numbers) == len(households)
    ids = list(Member.objects.values_list("id_number", flat=True))
    assert len(ids) == len(set(ids))
    assert all(validate_id_number(i).ok for i in ids)


def test_one_audit_row_per_household(demo):
    records = ChangeRecord.objects.filter(source="demo", model="registry.household")
    assert records.count() == Household.objects.count()
    h = Household.objects.order_by("pk").first()
    row = records.get(household_id=h.pk)
    assert (row.action, row.actor_id, row.actor_name, row.region_code) == ("create", None, "demo", h.village_code)
    assert row.changes["household_number"] == [None, h.household_number]
    assert row.changes["income_per_capita"] == [None, str(h.income_per_capita)]
    assert row.changes["village"] == [None, h.village_code]


def test_region_flags_and_demo_populations(demo):
    for target in SMALL:
        county = Region.objects.get(code=target.code)
        assert county.is_key_county
        prefix = target.code[:6]
        poor = Region.objects.filter(code__startswith=prefix, level=5, is_poor_village=True)
        assert poor.count() == target.poor_villages
        townships = Region.objects.filter(code__startswith=prefix, level=4, rural_population__isnull=False)
        township_sum = 0
        for township in townships:
            villages = Region.objects.filter(code__startswith=township.code[:9], level=5)
            assert township.rural_population == villages.aggregate(s=Sum("rural_population"))["s"]
            assert township.population_source == POPULATION_SOURCE
            township_sum += township.rural_population
        assert county.rural_population >= township_sum
        assert county.population_source == POPULATION_SOURCE
        for village in Region.objects.filter(code__startswith=prefix, level=5, rural_population__isnull=False):
            persons = Household.objects.filter(village_code=village.code).aggregate(s=Sum("size"))["s"] or 0
            assert village.rural_population >= persons


def test_second_run_adds_nothing(demo):
    assert demo_present(SMALL) == Household.objects.count() > 0
    def counts():
        return (Household.objects.count(), Member.objects.count(),
                ChangeRecord.objects.filter(model="registry.household").count())

    before = counts()
    out = io.StringIO()
    call_command("demo", "--no-serve", "--households", "250", "--seed", "3", stdout=out)
    assert "nothing generated" in out.getvalue()
    assert "demo_county" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    assert counts() == before


def test_demo_users_for_every_role_can_sign_in(demo, client):
    from fupin.demo.pairing import ensure_demo_pairing

    logins = ensure_demo_users() + ensure_demo_pairing(targets=SMALL)  # demo_helper comes with the pairings
    assert {x.role for x in logins} == set(roles.ROLES)
    by_role = {x.role: x for x in logins}
    village = Region.objects.get(code=by_role["village"].region_code)
    assert village.level == 5 and village.is_poor_village and village.code.startswith("350421")
    assert Household.objects.filter(village_code=village.code).exists()
    assert by_role["township"].region_code == village.code[:9] + "000"
    assert by_role["county"].region_code == plan.MINGXI.code
    assert by_role["evaluator"].region_code == plan.NINGHUA.code
    assert by_role["city"].region_code == by_role["auditor"].region_code == "350400000000"
    assert by_role["province"].region_code == by_role["admin"].region_code == "350000000000"
    for login in logins:
        assert client.login(username=login.username, password=DEMO_PASSWORD), login.username
        client.logout()
    again = ensure_demo_users()
    assert not any(x.created for x in again)
    assert by_role["helper"].username == "demo_helper"


@pytest.mark.django_db
def test_full_size_mingxi_is_exact_and_fast():
    started = time.monotonic()
    (result,) = generate_demo(seed=2014, targets=[plan.MINGXI])
    elapsed = time.monotonic() - started
    assert (result.persons, result.exited_persons) == (8451, 1753)
    households = Household.objects.filter(county_code=plan.MINGXI.code)
    assert households.aggregate(s=Sum("size"))["s"] == 8451
    assert households.filter(poverty_status="1").aggregate(s=Sum("size"))["s"] == 1753
    assert 2900 < households.count() < 3300
    assert elapsed < 15  # ~2 s on the 2-core build machine; generous for a loaded CI runner
