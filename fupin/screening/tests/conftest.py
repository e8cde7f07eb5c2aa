"""A planted registry and department lists for the screening tests.

Households: ``h1`` (3 persons) in 雪峰镇城东村 (township T1), ``h2`` (2 persons, the second registered
with a 20-digit disability certificate number) in 盖洋镇盖洋村 (township T2), both in 明溪县; ``h3``
(2 persons) in 宁化县, outside. Lists (imported by 明溪县's county officer as the test's files):

- vehicle: h1's head twice (two cars), h3's head (outside the region), a stranger;
- payroll: h1's second member, h2's disability-certificate member (by the 18-character ID), a stranger;
- death: h1's third member, h2's head (head of a household with another member), a stranger;
- business: strangers only.

``planted`` names the hits a run over 明溪县 must find: (member id, kind, record row number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fupin.registry.models import Household, Member
from fupin.screening import services
from fupin.screening.models import DepartmentList
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for

from .list_files import person_id, write_csv

VILLAGE_T1 = "350421100201"  # 雪峰镇 城东村委会
VILLAGE_T2 = "350421101201"  # 盖洋镇 盖洋村委会
TOWNSHIP_T2 = "350421101000"
AS_OF = date(2024, 6, 30)


@dataclass
class Planted:
    h1: Household
    h2: Household
    h3: Household
    lists: dict[str, DepartmentList] = field(default_factory=dict)
    planted: set[tuple[int, str, int]] = field(default_factory=set)
    strangers: list[str] = field(default_factory=list)

    def members(self, household: Household) -> list[Member]:
        return list(household.members.order_by("id"))


def import_csv(tmp_path: Path, actor: Any, kind: str, headers: list[str], rows: list[list[str]],
               name: str | None = None, region_code: str = MINGXI, as_of: date = AS_OF) -> DepartmentList:
    path = write_csv(tmp_path / (name or f"{kind}.csv"), headers, rows)
    dept_list = services.import_list(actor=actor, kind=kind, region_code=region_code, as_of=as_of,
                                     file_name=path.name, path=path, source="test")
    assert dept_list.status == "loaded", dept_list.error
    return dept_list


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path_factory):
    """Landed list files go to a temporary data folder, not the checkout's var/."""
    settings.DATA_DIR = tmp_path_factory.mktemp("data")


@pytest.fixture
def county_officer(make_user):
    return make_user("county", MINGXI)


@pytest.fixture
def planted(db, county_officer, tmp_path) -> Planted:
    h1 = make_household_for(VILLAGE_T1, members=3)
    disabled = person_id(901, "350421", 1985)
    h2 = make_household_for(VILLAGE_T2, members=2, member_overrides=[{}, {"id_number": disabled + "14"}])
    h3 = make_household_for(first_village(NINGHUA), members=2)
    p = Planted(h1, h2, h3, strangers=[person_id(950 + i, "350402", 1970) for i in range(6)])
    m1, m2, m3 = p.members(h1), p.members(h2), p.members(h3)
    assert m2[1].id_number == disabled + "14"
    p.lists["vehicle"] = import_csv(tmp_path, county_officer, "vehicle", ["身份证号码", "所有人", "号牌号码", "车辆类型"], [
        [m1[0].id_number, m1[0].name, "闽G10001", "小型轿车"],  # row 2
        [p.strangers[0], "路人甲", "闽G10002", "小型轿车"],  # row 3
        [m1[0].id_number, m1[0].name, "闽G10003", "轻型货车"],  # row 4
        [m3[0].id_number, m3[0].name, "闽G10004", "小型轿车"],  # row 5: outside the region
    ])
    p.lists["payroll"] = import_csv(tmp_path, county_officer, "payroll", ["身份证号", "姓名", "工作单位"], [
        [p.strangers[1], "路人乙", "县财政局"],  # row 2
        [m1[1].id_number, m1[1].name, "县教育局"],  # row 3
        [disabled, m2[1].name, "县民政局"],  # row 4: the 18-character ID of a 20-digit certificate
    ])
    p.lists["death"] = import_csv(tmp_path, county_officer, "death", ["公民身份号码", "姓名", "死亡日期"], [
        [m1[2].id_number, m1[2].name, "2024-03-01"],  # row 2
        [m2[0].id_number, m2[0].name, "2024-04-01"],  # row 3: a head with another member
        [p.strangers[2], "路人丙", "2024-05-01"],  # row 4
    ])
    p.lists["business"] = import_csv(tmp_path, county_officer, "business", ["法定代表人身份证号码", "法定代表人", "企业名称"], [
        [p.strangers[3], "路人丁", "某某公司"], [p.strangers[4], "路人戊", "某某商行"],
    ])
    p.planted = {
        (m1[0].pk, "vehicle", 2), (m1[0].pk, "vehicle", 4), (m1[1].pk, "payroll", 3), (m2[1].pk, "payroll", 4),
        (m1[2].pk, "death", 2), (m2[0].pk, "death", 3),
    }
    return p
