"""Demo pairing and work teams (演示结对帮扶与驻村工作队): helpers, pairings, teams, first secretaries.

For the demo counties (明溪县, 宁化县), after the demo registry (:mod:`.writer`), in one transaction,
with bulk inserts (:func:`fupin.core.bulk.insert_rows`; one audit row per household pairing):

- **helpers** (帮扶责任人): cadres of county departments (县直, ~60 %), of the township government
  (乡镇, ~30 %) and village cadres (村级, ~10 %); every registered household is paired from 2015 with
  one helper of its township, 1–5 households per helper (the default limit is 5); about 3 % of the
  pairings were transferred (调整) in 2016, so their history has two rows;
- **work teams** (驻村工作队) in every poor village (贫困村) from March 2015, 2–3 members with a 第一书记
  from a city or province unit, and monthly attendance for 2015 (a few months below 20 days);
- **unit pairings**: a county department per poor village (包村), a county leader per township (包乡镇),
  enterprises with a third of the poor villages (百企联百村), a few strong villages leading weak ones
  (强村带弱村), and 永安市 supporting two townships of 宁化县 and 三元区 one of 明溪县 (县际结对) with
  yearly funds 2015–2017 (one year below the 50万 minimum);
- **planted gaps** (演示缺口), so the coverage report has something to show: in 明溪县 three households
  without a helper, one poor village without a team, one poor village whose first secretary left and
  was not replaced, and one helper with 7 households (over the limit of 5); in 宁化县 two households
  without a helper and one poor village without a team;
- the demo login ``demo_helper`` (role 帮扶责任人, region 明溪县) is linked to a helper with four
  households of the demo village (the 明溪 poor village with the most households).

All names, units and figures are demo data (演示数据), not real people or units.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from fupin.accounts.models import User
from fupin.accounts.services import create_user
from fupin.core.bulk import insert_rows, reserve_ids
from fupin.core.models import ChangeAction, ChangeRecord
from fupin.pairing.models import (
    AttendanceRecord,
    CountyPairing,
    CountyPairingFund,
    EnterpriseVillagePairing,
    Helper,
    HouseholdPairing,
    LeaderTownshipPairing,
    TeamMember,
    UnitVillagePairing,
    VillagePairing,
    WorkTeam,
)
from fupin.policy.codes import POVERTY_STATUS_NOT_EXITED
from fupin.policy.regions import LEVEL_TOWNSHIP
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household

from . import names, plan
from .users import DEMO_PASSWORD, DemoLogin, demo_village

DEMO_HELPER = "demo_helper"
PAIRED_FROM = dt.date(2015, 3, 1)
TEAMS_FROM = dt.date(2015, 3, 1)
TRANSFER_SHARE = 0.03
OVER_LIMIT_HOUSEHOLDS = 7
DEMO_HELPER_HOUSEHOLDS = 4
#: Planted gaps per county: households without a helper, poor villages without a team, poor villages
#: whose first secretary left (明溪 only), a helper over the limit (明溪 only).
GAPS = {plan.MINGXI.code: (3, 1, 1, True), plan.NINGHUA.code: (2, 1, 0, False)}
#: 县际结对 (demo): helping county → (helped county, how many of its townships).
COUNTY_PAIRINGS = {"350481000000": (plan.NINGHUA.code, 2), "350404000000": (plan.MINGXI.code, 1)}

DEPARTMENTS = ("农业局", "财政局", "教育局", "卫计局", "民政局", "人社局", "住建局", "交通运输局", "水利局", "林业局",
               "扶贫办", "发改局", "国土资源局", "环保局", "商务局", "文体广电局", "委组织部", "委宣传部", "公安局",
               "统计局", "审计局", "粮食局", "供销社", "科技局")
CITY_UNITS = ("三明市财政局", "三明市农业局", "三明市委组织部", "三明市发改委", "三明市林业局", "三明市卫计委",
              "三明市交通运输局", "三明市人社局")
PROVINCE_UNITS = ("福建省农业厅", "福建省财政厅", "福建省扶贫办", "福建省林业厅")
ENTERPRISES = ("三明农业发展有限公司", "闽西北林业集团", "三明供电公司", "福建三钢集团", "三明农村商业银行",
               "明溪县翠竹实业有限公司", "宁化客家食品有限公司", "三明高速公路有限公司", "闽中建设集团",
               "三明绿野茶业有限公司", "宁化县农村信用合作联社", "明溪县南方红豆杉公司")
LEADER_TITLES = ("县委书记", "县长", "常务副县长", "副县长", "县人大常委会主任", "县政协主席", "县委副书记",
                 "县委组织部长", "县委宣传部长", "县纪委书记", "副县长", "副县长", "副县长", "县人大副主任", "县政协副主席")


def _in_counties(field: str, counties: list[str]) -> Q:
    q = Q()
    for county in counties:
        q |= Q(**{f"{field}__startswith": county[:6]})
    return q


def demo_pairing_present(targets: tuple[plan.CountyTarget, ...] = plan.DEFAULT_TARGETS) -> int:
    """How many helpers the demo counties already have (0: the demo may generate)."""
    return Helper.objects.filter(_in_counties("region_code", [t.code for t in targets])).count()


def _person(rng: random.Random) -> str:
    return names.surname(rng, ()) + names.given_name(rng, rng.choice("12"), rng.randint(1965, 1990))


def _phone(rng: random.Random) -> str:
    return rng.choice(("133", "135", "137", "138", "139", "150", "151", "158", "189")) + f"{rng.randrange(10**8):08d}"


class _Builder:
    """Collects rows (dicts) for the bulk inserts, with reserved primary keys."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.helpers: list[dict[str, Any]] = []
        self.pairings: list[dict[str, Any]] = []
        self.county_names: dict[str, str] = {}

    def helper(self, *, name: str, unit: str, level: str, region_code: str) -> dict[str, Any]:
        row = {"name": name, "unit": unit, "unit_level": level, "region_code": region_code, "phone": _phone(self.rng),
               "active": True, "version": 1, "user_id": None}
        self.helpers.append(row)
        return row


def _helper_for(b: _Builder, rng: random.Random, county: str, county_name: str, township: str, township_name: str,
                village: str, village_name: str) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.6:
        return b.helper(name=_person(rng), unit=f"{county_name}{rng.choice(DEPARTMENTS)}", level="county",
                        region_code=county)
    if roll < 0.9:
        return b.helper(name=_person(rng), unit=f"{township_name}人民政府", level="township", region_code=township)
    return b.helper(name=_person(rng), unit=f"{village_name}委会", level="village", region_code=village)


def _plan_pairings(rng: random.Random, households: list[tuple[int, str, bool]], names_by_code: dict[str, str],
                   demo_village_code: str) -> tuple[_Builder, list[tuple[int, int]], dict[str, Any] | None]:
    """Helpers and (household, helper index) pairs; returns the builder, the pairs and the demo helper."""
    b = _Builder(rng)
    b.county_names = names_by_code
    pairs: list[tuple[int, int]] = []
    by_village: dict[str, list[int]] = defaultdict(list)
    open_households = {pk for pk, _, is_open in households if is_open}
    for pk, village, _ in households:
        by_village[village].append(pk)
    demo_helper: dict[str, Any] | None = None
    # planted: one helper over the limit, in the county's village with the most households (not the demo's)
    over_limit_village: dict[str, str] = {}
    for village, ids in sorted(by_village.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        county = village[:6] + "000000"
        if GAPS.get(county, (0, 0, 0, False))[3] and county not in over_limit_village and village != demo_village_code \
                and len(ids) >= OVER_LIMIT_HOUSEHOLDS + 1:
            over_limit_village[county] = village
    over_limit_done: set[str] = set()
    gaps_left = {county: gap[0] for county, gap in GAPS.items()}
    for village in sorted(by_village):
        county, township = village[:6] + "000000", village[:9] + "000"
        ids = by_village[village]
        # planted: households without a helper (the last not-exited household of the first villages with several)
        if gaps_left.get(county, 0) > 0 and len(ids) >= 3 and village != demo_village_code:
            gap = next((pk for pk in reversed(ids) if pk in open_households), None)
            if gap is not None:
                ids = [pk for pk in ids if pk != gap]
                gaps_left[county] -= 1
        i = 0
        while i < len(ids):
            size = rng.choices((1, 2, 3, 4, 5), weights=(0.12, 0.2, 0.3, 0.23, 0.15))[0]
            if village == demo_village_code and demo_helper is None:
                size = DEMO_HELPER_HOUSEHOLDS
            elif over_limit_village.get(county) == village and county not in over_limit_done \
                    and len(ids) - i >= OVER_LIMIT_HOUSEHOLDS:
                size = OVER_LIMIT_HOUSEHOLDS
                over_limit_done.add(county)
            chunk = ids[i:i + size]
            i += size
            if village == demo_village_code and demo_helper is None:
                helper = b.helper(name=_person(rng), unit=f"{names_by_code.get(county, '')}农业局", level="county",
                                  region_code=county)
                demo_helper = helper
            else:
                helper = _helper_for(b, rng, county, names_by_code.get(county, ""), township,
                                     names_by_code.get(township, ""), village, names_by_code.get(village, ""))
            index = len(b.helpers) - 1
            pairs.extend((pk, index) for pk in chunk)
    return b, pairs, demo_helper


def _save_pairings(rng: random.Random, b: _Builder, pairs: list[tuple[int, int]],
                   villages_of: dict[int, str]) -> tuple[int, int]:
    helper_ids = reserve_ids(Helper, len(b.helpers))
    for pk, row in zip(helper_ids, b.helpers, strict=True):
        row["id"] = pk
    insert_rows(Helper, b.helpers)
    transfers = [i for i in range(len(pairs)) if rng.random() < TRANSFER_SHARE]
    transfer_set = set(transfers)
    ids = reserve_ids(HouseholdPairing, len(pairs) + len(transfers))
    rows: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []
    next_id = iter(ids)
    for i, (household_id, helper_index) in enumerate(pairs):
        started = PAIRED_FROM + dt.timedelta(days=rng.randint(0, 45))
        row = {"id": next(next_id), "helper_id": helper_ids[helper_index], "household_id": household_id,
               "started_on": started, "ended_on": None, "end_reason": "", "end_comment": "", "transfer_to_id": None}
        if i in transfer_set:  # an earlier helper who left in 2016: the history has two rows
            left = dt.date(2016, rng.randint(1, 12), rng.randint(1, 28))
            county = villages_of[household_id][:6] + "000000"
            previous = b.helper(name=_person(rng), unit=f"{b.county_names.get(county, '')}{rng.choice(DEPARTMENTS)}",
                                level="county", region_code=county)
            previous["active"] = False
            earlier.append({"id": next(next_id), "helper_index": len(b.helpers) - 1, "household_id": household_id,
                            "started_on": started, "ended_on": left, "end_reason": "transfer",
                            "end_comment": "原帮扶人工作调动 / the earlier helper moved", "transfer_to_id": row["id"]})
            row["started_on"] = left
        rows.append(row)
    extra = b.helpers[len(helper_ids):]
    extra_ids = reserve_ids(Helper, len(extra))
    for pk, row in zip(extra_ids, extra, strict=True):
        row["id"] = pk
    insert_rows(Helper, extra)
    all_helper_ids = helper_ids + extra_ids
    for row in earlier:
        row["helper_id"] = all_helper_ids[row.pop("helper_index")]
    insert_rows(HouseholdPairing, rows + earlier)
    label = HouseholdPairing._meta.label_lower
    insert_rows(ChangeRecord, [
        {"actor_id": None, "actor_name": "demo", "action": ChangeAction.CREATE, "model": label,
         "object_id": str(r["id"]), "household_id": r["household_id"], "region_code": villages_of[r["household_id"]],
         "changes": {"helper": [None, r["helper_id"]], "household": [None, r["household_id"]],
                     "started_on": [None, r["started_on"].isoformat()],
                     **({"ended_on": [None, r["ended_on"].isoformat()], "end_reason": [None, "transfer"],
                         "transfer_to": [None, r["transfer_to_id"]]} if r["ended_on"] else {})},
         "source": "demo", "comment": "演示数据:结对帮扶 / demo data: pairing"}
        for r in rows + earlier
    ])
    return len(all_helper_ids), len(rows) + len(earlier)


def _month_starts(first: dt.date, n: int) -> list[dt.date]:
    out, year, month = [], first.year, first.month
    for _ in range(n):
        out.append(dt.date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _save_teams(rng: random.Random, counties: list[str], names_by_code: dict[str, str]) -> tuple[int, list[str]]:
    """Teams in the poor villages (less the planted gaps), members, attendance; the gap villages."""
    poor = list(Region.objects.filter(_in_counties("code", counties), is_poor_village=True)
                .order_by("code").values_list("code", flat=True))
    demo = demo_village()
    gap_villages: list[str] = []
    without_team: set[str] = set()
    fs_left: set[str] = set()
    for county in counties:
        _, no_team, no_fs, _ = GAPS.get(county, (0, 0, 0, False))
        candidates = [v for v in poor if v.startswith(county[:6]) and v != demo]
        picks = candidates[-(no_team + no_fs):] if no_team + no_fs else []
        without_team.update(picks[:no_team])
        fs_left.update(picks[no_team:])
    teams, members, attendance = [], [], []
    team_ids = iter(reserve_ids(WorkTeam, len(poor)))
    member_ids = iter(reserve_ids(TeamMember, len(poor) * 4))
    months = _month_starts(dt.date(2015, 4, 1), 9)  # Apr–Dec 2015
    for village in poor:
        if village in without_team:
            gap_villages.append(village)
            continue
        unit = rng.choice(CITY_UNITS if rng.random() < 0.8 else PROVINCE_UNITS)
        team = {"id": next(team_ids), "village_id": village, "sending_unit": unit,
                "unit_level": "province" if unit.startswith("福建省") else "city",
                "name": f"{names_by_code.get(village, '')}驻村工作队", "started_on": TEAMS_FROM, "ended_on": None,
                "end_reason": "", "end_comment": ""}
        teams.append(team)
        crew = [{"name": _person(rng), "unit": unit, "is_first_secretary": True, "is_leader": True}]
        crew += [{"name": _person(rng), "unit": f"{names_by_code.get(village[:6] + '000000', '')}"
                  f"{rng.choice(DEPARTMENTS)}", "is_first_secretary": False, "is_leader": False}
                 for _ in range(rng.choice((1, 2)))]
        for i, person in enumerate(crew):
            left = dt.date(2016, 6, 30) if village in fs_left and i == 0 else None
            member = {"id": next(member_ids), "team_id": team["id"], "helper_id": None, "phone": _phone(rng),
                      "joined_on": TEAMS_FROM, "left_on": left,
                      "left_comment": "调回原单位,尚未接任 / recalled, not yet replaced" if left else "", **person}
            members.append(member)
            for month in months:
                days = rng.randint(20, 26) if rng.random() > 0.06 else rng.randint(12, 19)
                attendance.append({"member_id": member["id"], "month": month, "days_present": days, "comment": ""})
        if village in fs_left:
            gap_villages.append(village)
    insert_rows(WorkTeam, teams)
    insert_rows(TeamMember, members)
    insert_rows(AttendanceRecord, attendance)
    return len(teams), gap_villages


def _save_places(rng: random.Random, counties: list[str], names_by_code: dict[str, str]) -> None:
    poor = list(Region.objects.filter(_in_counties("code", counties), is_poor_village=True)
                .order_by("code").values_list("code", flat=True))
    insert_rows(UnitVillagePairing, [
        {"unit": f"{names_by_code.get(v[:6] + '000000', '')}{rng.choice(DEPARTMENTS)}", "unit_level": "county",
         "village_id": v, "started_on": dt.date(2015, 1, 1), "ended_on": None, "end_reason": "", "end_comment": "",
         "transfer_to_id": None} for v in poor])
    townships = list(Region.objects.filter(_in_counties("code", counties), level=LEVEL_TOWNSHIP)
                     .order_by("code").values_list("code", flat=True))
    insert_rows(LeaderTownshipPairing, [
        {"leader_name": _person(rng), "leader_title": LEADER_TITLES[i % len(LEADER_TITLES)], "township_id": t,
         "started_on": dt.date(2015, 1, 1), "ended_on": None, "end_reason": "", "end_comment": "",
         "transfer_to_id": None} for i, t in enumerate(townships)])
    insert_rows(EnterpriseVillagePairing, [
        {"enterprise": ENTERPRISES[i % len(ENTERPRISES)], "credit_code": "", "village_id": v,
         "projects": rng.randint(1, 4), "donated": Decimal(rng.randrange(5, 60) * 10_000), "started_on": dt.date(2015, 6, 1),
         "ended_on": None, "end_reason": "", "end_comment": "", "transfer_to_id": None}
        for i, v in enumerate(poor[::3])])
    rural = (Region.objects.filter(_in_counties("code", counties), level=5, is_poor_village=False)
             .order_by("code").values_list("code", flat=True))
    rich = [code for code in rural if code[9] == "2"][:40:8]
    insert_rows(VillagePairing, [
        {"strong_village_id": strong, "weak_village_id": weak, "project": rng.choice(("平贝母种植", "食用菌", "光伏电站",
                                                                                      "乡村旅游", "茶叶加工")),
         "started_on": dt.date(2015, 9, 1), "ended_on": None, "end_reason": "", "end_comment": "",
         "transfer_to_id": None}
        for strong, weak in zip(rich, poor[1::7], strict=False) if strong[:6] == weak[:6]])
    for helping, (helped, n) in COUNTY_PAIRINGS.items():
        if not Region.objects.filter(code=helping).exists() or helped not in counties:
            continue
        for township in [t for t in townships if t.startswith(helped[:6])][1:1 + n]:
            pairing = CountyPairing.objects.create(helping_county_id=helping, helped_county_id=helped,
                                                   helped_township_id=township, started_on=dt.date(2015, 1, 1))
            insert_rows(CountyPairingFund, [
                {"pairing_id": pairing.pk, "year": year, "committed": Decimal(amount),
                 "delivered": Decimal(amount) * Decimal("0.8") if year < 2017 else Decimal(0)}
                for year, amount in ((2015, 500_000), (2016, 600_000), (2017, 450_000 if n == 1 else 500_000))])


def _generate(rng: random.Random, counties: list[str]) -> dict[str, Any]:
    rows = list(Household.objects.filter(county_code__in=counties, status=RecordStatus.ACTIVE)
                .order_by("village_code", "household_number").values_list("pk", "village_code", "poverty_status"))
    households = [(pk, village, status in POVERTY_STATUS_NOT_EXITED) for pk, village, status in rows]
    codes = {code[:9] + "000" for _, code, _ in households} | {code for _, code, _ in households} | set(counties)
    area = Region.objects.filter(_in_counties("code", counties))
    codes |= set(area.filter(Q(is_poor_village=True) | Q(level=LEVEL_TOWNSHIP)).values_list("code", flat=True))
    names_by_code = {c: _short(n) for c, n in Region.objects.filter(code__in=codes).values_list("code", "name")}
    demo_code = demo_village()
    builder, pairs, demo_helper = _plan_pairings(rng, households, names_by_code, demo_code)
    helpers, pairings = _save_pairings(rng, builder, pairs, {pk: village for pk, village, _ in households})
    teams, gap_villages = _save_teams(rng, counties, names_by_code)
    _save_places(rng, counties, names_by_code)
    return {"helpers": helpers, "pairings": pairings, "teams": teams, "gap_villages": gap_villages,
            "demo_helper_id": demo_helper["id"] if demo_helper else None}


def _short(name: str) -> str:
    for suffix, short in (("村民委员会", "村"), ("村委会", "村"), ("居民委员会", "社区"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + short
    return name


def _ensure_login(helper_id: int | None) -> DemoLogin:
    """The ``demo_helper`` login (role 帮扶责任人, region 明溪县), linked to the demo helper."""
    user = User.objects.select_related("region").filter(username=DEMO_HELPER).first()
    created = user is None
    if user is None:
        user, _ = create_user(username=DEMO_HELPER, role="helper", region_code=plan.MINGXI.code, password=DEMO_PASSWORD,
                              source="demo")
    if not Helper.objects.filter(user=user).exists():
        if helper_id is None:  # pairing data from an earlier run: a helper of the demo village, not linked yet
            helper_id = (Helper.objects.filter(user__isnull=True, active=True,
                                               household_pairings__household__village_code=demo_village(),
                                               household_pairings__ended_on__isnull=True)
                         .order_by("pk").values_list("pk", flat=True).first())
        if helper_id is not None:
            Helper.objects.filter(pk=helper_id).update(user=user)
    region = user.region
    return DemoLogin(DEMO_HELPER, user.role, region.code if region else "", region.name if region else "", DEMO_PASSWORD,
                     created)


def ensure_demo_pairing(*, seed: int = 2014, write: Callable[[str], Any] | None = None,
                        targets: tuple[plan.CountyTarget, ...] = plan.DEFAULT_TARGETS) -> list[DemoLogin]:
    """Generate the demo pairing data unless the demo counties have helpers; ensure ``demo_helper``.
    Returns the demo login(s) it adds (for the command's table of logins)."""
    counties = [t.code for t in targets if Household.objects.filter(county_code=t.code).exists()]
    helper_id = None
    with transaction.atomic():
        present = demo_pairing_present(targets)
        if present or not counties:
            if write and present:
                write(f"    结对帮扶数据已存在({present}名帮扶责任人) / pairing data present ({present} helpers)")
        else:
            result = _generate(random.Random(seed + 5), counties)
            helper_id = result["demo_helper_id"]
            if write:
                write(f"    结对帮扶 / pairing: {result['helpers']} 名帮扶责任人 helpers, {result['pairings']} 条结对 "
                      f"pairings, {result['teams']} 支驻村工作队 work teams")
        return [_ensure_login(helper_id)]


__all__ = ["DEMO_HELPER", "demo_pairing_present", "ensure_demo_pairing"]
